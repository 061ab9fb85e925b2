/**
 * The agent tools' answers: a compact text for the model to read, and the same facts as
 * structured data (MCP `structuredContent`). Agents pay per token, so the text has one header
 * line per result (`path:start-end kind name in container`) and a few lines of its code, and
 * stops adding code once a budget is spent. Names, paths and code come from files, so control
 * and bidirectional characters are written as escapes: a file name cannot break the layout.
 */
import * as nodePath from 'node:path';
import * as z from 'zod';
import { escapeMatches } from '../engine/visible-text';
import type { FolderHit, FolderStatus } from '../protocol/protocol';
import { readExcerpt } from './excerpt';

/** Code lines shown under a result, the first usually being its signature. */
export const EXCERPT_LINES = 5;
/**
 * Characters of code lines one answer shows at most (about 3,000 tokens); results past the budget
 * keep their header line, and the structured content keeps every field.
 */
export const TEXT_BUDGET_CHARS = 12_000;

/** Controls (tab kept), DEL, C1, line/paragraph separators and bidi controls. */
const UNSAFE = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const NAMED = new Map<string, string>([
  ['\n', '\\n'],
  ['\r', '\\r'],
]);

/** Text from a file, safe to place in a line of the answer. */
export function visible(text: string): string {
  return escapeMatches(text, UNSAFE, NAMED);
}

export const agentHit = z.object({
  /** root-relative POSIX path */
  path: z.string(),
  /** the absolute root of the served folder the file is in */
  folder: z.string(),
  startLine: z.number().int(),
  endLine: z.number().int(),
  name: z.string(),
  kind: z.string(),
  container: z.string().optional(),
  language: z.string(),
  signature: z.string(),
  /** the first lines of the code as on disk (or the indexed first line when the file cannot be read, or changed) */
  snippet: z.string(),
  score: z.number(),
  /** present (true) when the file changed on disk since it was indexed and the index had not caught up: the lines may have moved */
  changed: z.literal(true).optional(),
});
export type AgentHit = z.infer<typeof agentHit>;

export const answerState = {
  /** some folder's first index is still being built: more results may come */
  partial: z.boolean(),
  /** `lexical-only`: ranked by words only (no embedding model) */
  mode: z.enum(['hybrid', 'lexical-only']),
  /** folders that could not answer */
  failures: z.array(z.object({ folder: z.string(), message: z.string() })).optional(),
};

/** One result as structured data, with up to `lines` lines of its code read from disk. */
export async function agentHitOf(hit: FolderHit, lines: number): Promise<AgentHit> {
  // a file that changed since it was indexed no longer holds the hit's code at its lines
  const excerpt = hit.changed ? undefined : await readExcerpt(hit.root, hit.path, hit.startLine, hit.endLine, lines);
  return {
    path: hit.path,
    folder: hit.root,
    startLine: hit.startLine,
    endLine: hit.endLine,
    name: hit.name,
    kind: hit.kind,
    ...(hit.container ? { container: hit.container } : {}),
    language: hit.language,
    signature: hit.signature,
    snippet: excerpt ? excerpt.join('\n') : hit.snippet,
    score: Math.round(hit.score * 1000) / 1000,
    ...(hit.changed && { changed: true as const }),
  };
}

/** Results with excerpts, the code of the first ones up to the text budget. */
export async function agentHits(hits: FolderHit[]): Promise<AgentHit[]> {
  return Promise.all(hits.map((h) => agentHitOf(h, EXCERPT_LINES)));
}

/** How paths are written in the text: relative to the folder when one folder is served, absolute otherwise. */
export interface PathStyle {
  absolute: boolean;
}

export function pathStyle(served: FolderStatus[]): PathStyle {
  return { absolute: served.length > 1 };
}

export function displayPath(hit: Pick<AgentHit, 'folder' | 'path'>, style: PathStyle): string {
  return visible(style.absolute ? nodePath.join(hit.folder, ...hit.path.split('/')) : hit.path);
}

/** `src/a.ts:10-20 function parse in Config` */
export function headerLine(hit: Pick<AgentHit, 'folder' | 'path' | 'startLine' | 'endLine' | 'kind' | 'name' | 'container' | 'changed'>, style: PathStyle): string {
  const lines = hit.endLine > hit.startLine ? `${hit.startLine}-${hit.endLine}` : `${hit.startLine}`;
  const container = hit.container ? ` in ${visible(hit.container)}` : '';
  // a window of lines outside any definition is named after its file and lines: nothing to add
  const windowName = /:\d+-\d+$/.test(hit.name) && hit.path.endsWith(hit.name.replace(/:\d+-\d+$/, ''));
  const changed = hit.changed ? ' (file changed since indexed: lines may have moved)' : '';
  return `${displayPath(hit, style)}:${lines} ${visible(hit.kind)}${windowName ? '' : ` ${visible(hit.name)}`}${container}${changed}`;
}

/** Result blocks: a header line each, then its code indented, while the budget lasts. */
export function resultBlocks(hits: AgentHit[], style: PathStyle, budget = TEXT_BUDGET_CHARS): string {
  let left = budget;
  const blocks: string[] = [];
  for (const hit of hits) {
    const code = hit.snippet
      .split('\n')
      .map((l) => (l === '' ? '' : `    ${visible(l)}`))
      .join('\n');
    const withCode = code.trim() !== '' && code.length <= left;
    if (withCode) left -= code.length;
    blocks.push(withCode ? `${headerLine(hit, style)}\n${code}` : headerLine(hit, style));
  }
  return blocks.join('\n');
}

/** The notes every answer ends with: partial results, words-only ranking, folders that failed. */
export function stateNotes(state: { partial: boolean; mode: 'hybrid' | 'lexical-only'; failures?: { folder: string; message: string }[] }, served: FolderStatus[]): string[] {
  const notes: string[] = [];
  if (state.partial) {
    const building = served.filter((f) => f.partial);
    const percent = building.map((f) => f.progress?.percent).find((p) => p !== undefined);
    notes.push(
      `Partial results: the index is still being built${percent !== undefined ? ` (${percent}% of files read)` : ''}; ask again later for complete results.`,
    );
  }
  if (state.mode === 'lexical-only') notes.push('Ranked by words only: no embedding model is in use.');
  for (const f of state.failures ?? []) notes.push(`${visible(f.folder)} could not answer: ${visible(f.message)}`);
  // a folder that answered from memory though its last refresh failed (its folder was deleted, say): the answer may be out of date
  for (const f of served) {
    if (f.state !== 'error' || f.lastError === undefined || (state.failures ?? []).some((failed) => failed.folder === f.root)) continue;
    notes.push(`${visible(f.root)}: its index could not be brought up to date (${visible(f.lastError)}); its results are from the index as it was.`);
  }
  return notes;
}

/** `3 results` / `1 result` */
export function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
