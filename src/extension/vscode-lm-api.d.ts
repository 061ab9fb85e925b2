/**
 * The parts of VS Code's language-model API that Code Scout uses and that are newer than the
 * VS Code it supports (`engines.vscode` ^1.90.0, `@types/vscode` 1.90.0):
 *
 * - language-model tools (`lm.registerTool`, `lm.tools`, `lm.invokeTool`, `LanguageModelTool`,
 *   `LanguageModelToolResult`, `LanguageModelTextPart`): finalized in VS Code 1.95;
 * - MCP server definition providers (`lm.registerMcpServerDefinitionProvider`,
 *   `McpStdioServerDefinition`): finalized in VS Code 1.101.
 *
 * Declared as in those versions' `@types/vscode`, members Code Scout does not use left out.
 * Older hosts lack them at run time: every use is feature-detected first (`lm-tools.ts`,
 * `mcp-provider.ts`), so an optional member here may still be absent.
 */
import 'vscode';

declare module 'vscode' {
  /** VS Code 1.95. */
  export class LanguageModelTextPart {
    value: string;
    constructor(value: string);
  }

  /** VS Code 1.95. */
  export class LanguageModelToolResult {
    content: Array<LanguageModelTextPart | unknown>;
    constructor(content: Array<LanguageModelTextPart>);
  }

  /** VS Code 1.95. Only a chat request hands out a real token; other callers pass `undefined`. */
  export type ChatParticipantToolToken = never;

  /** VS Code 1.95. */
  export interface LanguageModelToolInvocationOptions<T> {
    toolInvocationToken: ChatParticipantToolToken | undefined;
    input: T;
  }

  /** VS Code 1.95. */
  export interface LanguageModelToolInvocationPrepareOptions<T> {
    input: T;
  }

  /** VS Code 1.95. */
  export interface PreparedToolInvocation {
    invocationMessage?: string | MarkdownString;
  }

  /** VS Code 1.95. */
  export interface LanguageModelTool<T> {
    invoke(options: LanguageModelToolInvocationOptions<T>, token: CancellationToken): ProviderResult<LanguageModelToolResult>;
    prepareInvocation?(options: LanguageModelToolInvocationPrepareOptions<T>, token: CancellationToken): ProviderResult<PreparedToolInvocation>;
  }

  /** VS Code 1.95. */
  export interface LanguageModelToolInformation {
    readonly name: string;
    readonly description: string;
    readonly inputSchema: object | undefined;
    readonly tags: readonly string[];
  }

  /** VS Code 1.101. Run as a child process of the extension host, speaking MCP on its stdin/stdout. */
  export class McpStdioServerDefinition {
    readonly label: string;
    cwd?: Uri;
    command: string;
    args: string[];
    env: Record<string, string | number | null>;
    version?: string;
    constructor(label: string, command: string, args?: string[], env?: Record<string, string | number | null>, version?: string);
  }

  /** VS Code 1.101. */
  export interface McpServerDefinitionProvider<T extends McpStdioServerDefinition = McpStdioServerDefinition> {
    readonly onDidChangeMcpServerDefinitions?: Event<void>;
    provideMcpServerDefinitions(token: CancellationToken): ProviderResult<T[]>;
    resolveMcpServerDefinition?(server: T, token: CancellationToken): ProviderResult<T>;
  }

  export namespace lm {
    /** VS Code 1.95. The tool must also be listed in `contributes.languageModelTools`. */
    export const registerTool: (<T>(name: string, tool: LanguageModelTool<T>) => Disposable) | undefined;
    /** VS Code 1.95. */
    export const tools: readonly LanguageModelToolInformation[] | undefined;
    /** VS Code 1.95. */
    export const invokeTool:
      | ((name: string, options: LanguageModelToolInvocationOptions<object>, token?: CancellationToken) => Thenable<LanguageModelToolResult>)
      | undefined;
    /** VS Code 1.101. The id must also be listed in `contributes.mcpServerDefinitionProviders`. */
    export const registerMcpServerDefinitionProvider: ((id: string, provider: McpServerDefinitionProvider) => Disposable) | undefined;
  }
}
