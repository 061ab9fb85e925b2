/**
 * Code Scout's language-model tools (VS Code 1.95+): search code and related code, for
 * Copilot's agent mode, `#codescoutSearch`-style references in chat, and any extension that
 * calls `vscode.lm.invokeTool`. Each invocation runs the agent core's tool (src/agent/tools.ts:
 * validation, limits, compact text) against the engine process the editor already uses.
 */
import * as vscode from 'vscode';
import { runAgentTool } from '../agent/tools';
import type { AgentBackend } from '../agent/backend';
import type { Cancellation } from './agent-backend';
import { LM_TOOLS } from './lm-tool-specs';

/**
 * Registers the tools where the host has the API; on an older VS Code, says so in the output
 * channel and registers nothing. A tool the host refuses is reported there too, and the rest
 * of the extension activates regardless. Answers the registered tools' names.
 */
export function registerLanguageModelTools(
  backend: (token: Cancellation) => AgentBackend,
  output: vscode.LogOutputChannel,
  subscriptions: vscode.Disposable[],
): string[] {
  const lm = vscode.lm;
  if (typeof lm?.registerTool !== 'function') {
    output.info(`Language-model tools are not available: this VS Code (${vscode.version}) has no vscode.lm.registerTool (VS Code 1.95 or later has it).`);
    return [];
  }
  const registered: string[] = [];
  for (const spec of LM_TOOLS) {
    const tool: vscode.LanguageModelTool<unknown> = {
      prepareInvocation: (options) => ({ invocationMessage: new vscode.MarkdownString().appendText(spec.invocationMessage(options.input)) }),
      invoke: async (options, token) => {
        const answer = await runAgentTool(backend(token), spec.agentTool, options.input);
        if (token.isCancellationRequested) throw new vscode.CancellationError();
        // VS Code's guidance for tools: a failure is an error whose message the model can act on
        if (answer.isError) throw new Error(answer.text);
        return new vscode.LanguageModelToolResult([new vscode.LanguageModelTextPart(answer.text)]);
      },
    };
    try {
      subscriptions.push(lm.registerTool(spec.name, tool));
      registered.push(spec.name);
    } catch (err) {
      output.warn(`The language-model tool ${spec.name} could not be registered: ${(err as Error).message}`);
    }
  }
  return registered;
}
