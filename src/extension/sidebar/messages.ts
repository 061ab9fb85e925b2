/**
 * Messages between the sidebar webview (media/sidebar.js) and the extension. Everything the
 * webview sends is untrusted input: `parseWebviewMessage` accepts only the shapes below,
 * with bounded strings, and the extension opens only results it sent itself (by id).
 */
import type { ResultView } from './result-view';
import { ownFields } from '../../engine/own-fields';

/** webview → extension */
export type WebviewMessage =
  | { type: 'ready' }
  | { type: 'search'; query: string; language: string; path: string }
  | { type: 'open'; id: string }
  | { type: 'reindex' }
  | { type: 'cancel' };

export interface ResultList {
  items: ResultView[];
  /** some folder's index is still being built */
  partial: boolean;
  /** a one-line notice above the list (lexical-only mode, a folder that could not answer) */
  notice?: string;
  error?: string;
}

/** extension → webview */
export type HostMessage =
  | { type: 'status'; text: string; level: string; indexing: boolean; languages: string[] }
  | { type: 'searching'; query: string }
  | ({ type: 'results'; query: string; searchedFor?: string; setQuery?: true } & ResultList)
  | { type: 'relatedLoading' }
  | ({ type: 'related'; source: string | null } & ResultList);

/**
 * A search's results; `searchedFor` (QueryResult.searchedFor: the query as searched, present
 * only when a word was corrected) is shown above them as plain text. `setQuery` puts `query`
 * in the webview's search box: only for lists the webview did not ask for (palette search,
 * Find Similar), since the box may have moved on from the query of a search the webview sent.
 */
export function resultsMessage(query: string, list: ResultList, searchedFor?: string, setQuery = false): HostMessage {
  return { type: 'results', query, ...(searchedFor !== undefined ? { searchedFor } : {}), ...(setQuery ? { setQuery } : {}), ...list };
}

/**
 * Longest query or filter the webview may send: well above the engine's query limit (2,000
 * characters), which answers a longer query with a message the sidebar shows; a message over
 * this bound is dropped without an answer.
 */
export const MAX_TEXT = 10_000;
const ID = /^[a-z]\d{1,9}$/;

export function parseWebviewMessage(raw: unknown): WebviewMessage | undefined {
  const field = ownFields(raw);
  if (!field) return undefined;
  const m = { type: field('type'), query: field('query'), language: field('language'), path: field('path'), id: field('id') };
  switch (m.type) {
    case 'ready':
    case 'reindex':
    case 'cancel':
      return { type: m.type };
    case 'search':
      return text(m.query) && text(m.language) && text(m.path)
        ? { type: 'search', query: m.query, language: m.language, path: m.path }
        : undefined;
    case 'open':
      return typeof m.id === 'string' && ID.test(m.id) ? { type: 'open', id: m.id } : undefined;
    default:
      return undefined;
  }
}

function text(value: unknown): value is string {
  return typeof value === 'string' && value.length <= MAX_TEXT;
}
