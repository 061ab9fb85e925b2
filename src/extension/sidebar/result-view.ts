/**
 * Search hits as the sidebar shows them. The webview receives plain text split into
 * highlighted and plain parts and builds its DOM with textContent, so code is never parsed
 * as HTML.
 */
import type { FolderHit } from '../../protocol/protocol';

/** Why a result matched, in the user's words. */
export type MatchReason = 'words' | 'meaning' | 'both';

export interface TextPart {
  text: string;
  /** a query word */
  match: boolean;
}

export interface ResultView {
  /** opaque handle the webview sends back to open the result */
  id: string;
  name: string;
  kind: string;
  container?: string;
  /** `path:line`, prefixed with the folder name in multi-root workspaces */
  location: string;
  language: string;
  reason: MatchReason;
  /** the signature, then the first line of the body when it differs */
  code: TextPart[][];
}

export function matchReason(matchedBy: FolderHit['matchedBy']): MatchReason {
  return matchedBy === 'lexical' ? 'words' : matchedBy === 'vector' ? 'meaning' : 'both';
}

/** Query words worth highlighting: two or more letters or digits. */
export function queryTerms(query: string): string[] {
  return [...new Set(query.toLowerCase().split(/[^\p{L}\p{N}_]+/u).flatMap(splitIdentifier))].filter((t) => t.length >= 2);
}

/** `parse_config` → parse, config; `fetchJson` → fetch, json. */
function splitIdentifier(word: string): string[] {
  return word.split(/_+/).filter(Boolean);
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
  const lines = [hit.signature, hit.snippet].filter((line, i, all) => line && all.indexOf(line) === i);
  return {
    id,
    name: hit.name,
    kind: hit.kind,
    container: hit.container,
    location: `${folderName ? `${folderName}/` : ''}${hit.path}:${hit.startLine}`,
    language: hit.language,
    reason: matchReason(hit.matchedBy),
    code: lines.map((line) => highlight(line, terms)),
  };
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
