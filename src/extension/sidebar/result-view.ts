/**
 * Search hits as the sidebar shows them, in the manner of VS Code's Search view: grouped by file
 * (in the order of each file's best result), each result with its name, kind and container and a
 * few lines of its code with the query words marked. The webview receives plain text split into
 * highlighted and plain parts and builds its DOM with textContent, so code is never parsed as HTML.
 */
import type { FolderHit } from '../../protocol/protocol';

export { queryTerms } from '../../engine/text/preview';

/** Why a result matched, in the user's words. */
export type MatchReason = 'words' | 'meaning' | 'both';

export interface TextPart {
  text: string;
  /** a query word */
  match: boolean;
}

export interface PreviewRow {
  /** 1-based line number in the file */
  line: number;
  parts: TextPart[];
}

export interface ResultView {
  /** opaque handle the webview sends back to open the result */
  id: string;
  name: string;
  kind: string;
  container?: string;
  /** 1-based first line */
  line: number;
  /** `path:line`, prefixed with the folder name in multi-root workspaces: what "Copy Location" copies and the tooltip shows */
  location: string;
  language: string;
  reason: MatchReason;
  /** the lines shown: the hit's preview lines as on disk, or its signature when the file could not be read or changed */
  preview: PreviewRow[];
  /** present (true) when the file changed on disk since it was indexed (FolderHit.changed): its line may have moved */
  changed?: true;
}

/** One file's results. */
export interface FileGroup {
  /** the file's path as shown (with the folder name in multi-root workspaces) */
  path: string;
  /** its last part */
  name: string;
  /** the folder it is in, as shown beside the name ('' at the root) */
  dir: string;
  items: ResultView[];
}

export function matchReason(matchedBy: FolderHit['matchedBy']): MatchReason {
  return matchedBy === 'lexical' ? 'words' : matchedBy === 'vector' ? 'meaning' : 'both';
}

/** Splits `text` into parts, marking case-insensitive occurrences of `terms`. */
export function highlight(text: string, terms: readonly string[]): TextPart[] {
  if (!terms.length || !text) return text ? [{ text, match: false }] : [];
  const pattern = new RegExp(terms.map(escapeRegExp).sort((a, b) => b.length - a.length).join('|'), 'giu');
  const parts: TextPart[] = [];
  let last = 0;
  for (const m of text.matchAll(pattern)) {
    if (m.index > last) parts.push({ text: text.slice(last, m.index), match: false });
    parts.push({ text: m[0], match: true });
    last = m.index + m[0].length;
  }
  if (last < text.length) parts.push({ text: text.slice(last), match: false });
  return parts;
}

export function resultView(id: string, hit: FolderHit, terms: readonly string[], folderName: string | undefined): ResultView {
  const lines = hit.preview?.length ? hit.preview : [{ line: hit.startLine, text: hit.signature || hit.snippet }];
  return {
    id,
    name: hit.name,
    kind: hit.kind,
    container: hit.container,
    line: hit.startLine,
    location: `${shownPath(hit, folderName)}:${hit.startLine}`,
    language: hit.language,
    reason: matchReason(hit.matchedBy),
    preview: lines.filter((l) => l.text).map((l) => ({ line: l.line, parts: highlight(l.text, terms) })),
    ...(hit.changed && { changed: true as const }),
  };
}

/** The hit's path as the sidebar shows it: with the folder name in multi-root workspaces. */
export function shownPath(hit: Pick<FolderHit, 'path'>, folderName: string | undefined): string {
  return `${folderName ? `${folderName}/` : ''}${hit.path}`;
}

/** Results grouped by file, files in the order of their first (best) result, results in rank order within a file. */
export function groupByFile(items: readonly { view: ResultView; path: string }[]): FileGroup[] {
  const groups = new Map<string, FileGroup>();
  for (const { view, path } of items) {
    let group = groups.get(path);
    if (!group) {
      const slash = path.lastIndexOf('/');
      group = { path, name: path.slice(slash + 1), dir: slash > 0 ? path.slice(0, slash) : '', items: [] };
      groups.set(path, group);
    }
    group.items.push(view);
  }
  return [...groups.values()];
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
