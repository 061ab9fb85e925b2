/**
 * Registers Code Scout's MCP server (mcp-server-command.ts) with VS Code 1.101+, so that chat
 * clients in VS Code find it without configuration.
 */
import * as vscode from 'vscode';
import { MCP_PROVIDER_ID, MCP_SERVER_LABEL, type McpServerCommand } from './mcp-server-command';

/**
 * Registers the provider where the host has the API; on an older VS Code, or when the host
 * refuses it, says so in the output channel. `ensureEngine` starts the engine process (and so its socket) before VS Code
 * starts the relay. Answers whether the provider was registered.
 */
export function registerMcpProvider(
  server: McpServerCommand & { version: string },
  ensureEngine: () => Promise<unknown>,
  output: vscode.LogOutputChannel,
  subscriptions: vscode.Disposable[],
): boolean {
  const lm = vscode.lm;
  if (typeof lm?.registerMcpServerDefinitionProvider !== 'function') {
    output.info(
      `The MCP server is not registered with VS Code: this VS Code (${vscode.version}) has no vscode.lm.registerMcpServerDefinitionProvider (VS Code 1.101 or later has it). Other clients can run \`codescout mcp\`.`,
    );
    return false;
  }
  // One definition for the whole session: a restarted engine listens on the same socket, so
  // nothing about it changes and there is no change event to fire.
  const definition = new vscode.McpStdioServerDefinition(MCP_SERVER_LABEL, server.command, server.args, server.env, server.version);
  try {
    subscriptions.push(
      lm.registerMcpServerDefinitionProvider(MCP_PROVIDER_ID, {
        provideMcpServerDefinitions: () => [definition],
        // a failure (the engine stopped after crashes) is shown by VS Code with its message
        resolveMcpServerDefinition: async (resolved) => {
          await ensureEngine();
          return resolved;
        },
      }),
    );
    return true;
  } catch (err) {
    output.warn(`The MCP server could not be registered with VS Code: ${(err as Error).message}`);
    return false;
  }
}
