/**
 * The MCP server Code Scout registers with VS Code (mcp-provider.ts): its provider id, label
 * and command line. VS Code runs a relay, `node <extension>/dist/cli.js mcp --attach <socket> --wait`,
 * that connects its stdin/stdout to the MCP sessions the running engine process serves on its
 * agent socket (agent-socket.ts): the editor's own index answers, never a second one.
 */

/** The provider's id, as in `contributes.mcpServerDefinitionProviders`. */
export const MCP_PROVIDER_ID = 'codescout.mcp';
export const MCP_SERVER_LABEL = 'Code Scout';

/** What VS Code runs for the server. */
export interface McpServerCommand {
  command: string;
  args: string[];
  /** added to the extension host's environment */
  env: { ELECTRON_RUN_AS_NODE: string };
}

/**
 * The relay's command line. `node` is the extension host's executable: in desktop VS Code that
 * is Electron, which ELECTRON_RUN_AS_NODE=1 runs as plain Node (as for the engine process).
 */
export function mcpServerCommand(node: string, cli: string, socket: string): McpServerCommand {
  // --wait: VS Code may start the relay while the engine is between two processes (a replacement
  // after a large index, a restart after a crash); the relay then waits for the next one
  return { command: node, args: [cli, 'mcp', '--attach', socket, '--wait'], env: { ELECTRON_RUN_AS_NODE: '1' } };
}
