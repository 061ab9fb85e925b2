/**
 * Code Scout as an MCP server: the agent tools (tools.ts) registered on the official SDK's
 * McpServer, answering with compact text and `structuredContent`. The transport is the
 * caller's: stdio for `codescout mcp`, a socket connection in the engine process
 * (src/server/agent-endpoint.ts).
 */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { AgentBackend } from './backend';
import { AGENT_TOOLS, runAgentTool } from './tools';

/** What the server tells a client about itself when it connects (MCP `instructions`). */
const INSTRUCTIONS =
  'Code Scout searches this codebase on this machine: a local index of its functions, methods and classes, ranked by words and ' +
  'by a code embedding model. Use search_code to find code by behaviour or by name before reading files, related_code to find ' +
  'code like a definition, similar_code to find code like a snippet, and index_status when results look incomplete. Results ' +
  'are locations (path:lines) with their first lines; read the files for more.';

export function createMcpServer(backend: AgentBackend, options: { version: string }): McpServer {
  const server = new McpServer({ name: 'codescout', title: 'Code Scout', version: options.version }, { instructions: INSTRUCTIONS });
  for (const tool of AGENT_TOOLS) {
    server.registerTool(
      tool.name,
      {
        title: tool.title,
        description: tool.description,
        inputSchema: tool.inputSchema,
        outputSchema: tool.outputSchema,
        annotations: { title: tool.title, readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
      },
      async (args: unknown) => {
        const answer = await runAgentTool(backend, tool.name, args);
        return answer.isError
          ? { content: [{ type: 'text' as const, text: answer.text }], isError: true }
          : { content: [{ type: 'text' as const, text: answer.text }], structuredContent: answer.structured };
      },
    );
  }
  return server;
}
