/**
 * Which agent tools (src/agent/tools.ts) the extension contributes as VS Code language-model
 * tools, under which names, and what the chat shows while one runs. The manifest's
 * `contributes.languageModelTools` lists the same names with the core tools' input schemas
 * (test/lm-tools.test.ts keeps them equal).
 */
import type { AgentToolName } from '../agent/tools';
import { oneLine } from './display-text';

export interface LmToolSpec {
  /** the name in `contributes.languageModelTools` and `vscode.lm.registerTool` */
  name: string;
  /** the agent tool that answers it */
  agentTool: AgentToolName;
  /** the progress message while it runs, from its (not yet validated) input; plain text, one line */
  invocationMessage(input: unknown): string;
}

/** The longest quoted argument in a progress message. */
const MESSAGE_ARGUMENT_CHARS = 60;

export const LM_TOOLS: readonly LmToolSpec[] = [
  {
    name: 'codescout_searchCode',
    agentTool: 'search_code',
    invocationMessage: (input) => {
      const query = stringField(input, 'query');
      return query ? `Searching the code for “${shorten(query)}”` : 'Searching the code';
    },
  },
  {
    name: 'codescout_relatedCode',
    agentTool: 'related_code',
    invocationMessage: (input) => {
      const target = stringField(input, 'symbol') ?? stringField(input, 'location');
      return target ? `Finding code related to ${shorten(target)}` : 'Finding related code';
    },
  },
];

/** The input fields a progress message quotes. */
type QuotedField = 'query' | 'symbol' | 'location';

function stringField(input: unknown, key: QuotedField): string | undefined {
  if (typeof input !== 'object' || input === null || !Object.hasOwn(input, key)) return undefined;
  const value = (input as { [K in QuotedField]?: unknown })[key];
  return typeof value === 'string' && value.trim() ? value.trim() : undefined;
}

/** One line of at most MESSAGE_ARGUMENT_CHARS characters, controls shown as escapes. */
function shorten(text: string): string {
  const line = oneLine(text.replace(/\s+/g, ' '));
  return line.length > MESSAGE_ARGUMENT_CHARS ? `${line.slice(0, MESSAGE_ARGUMENT_CHARS - 1)}…` : line;
}
