/**
 * What the engine process tells `codescout mcp --attach` (src/cli/mcp-relay.ts) on its agent
 * socket (src/server/agent-endpoint.ts), besides the MCP session it relays.
 */

/**
 * Engine → relay, the last line of a session the engine closes because it is shutting down:
 * whether a new engine process will serve the same socket (`reconnect`: the extension replaces
 * the process, RestartWanted) or not (the editor is closing). The relay never passes it on to its
 * client. A session that ends without it (the process was killed or crashed) is reconnected too,
 * since the extension restarts a crashed engine.
 */
export const ENGINE_ENDING = 'notifications/codescout/engineEnding';

export interface EngineEndingParams {
  reconnect: boolean;
}

/** The notice as one line of the socket. */
export function engineEndingLine(reconnect: boolean): string {
  const params: EngineEndingParams = { reconnect };
  return `${JSON.stringify({ jsonrpc: '2.0', method: ENGINE_ENDING, params })}\n`;
}
