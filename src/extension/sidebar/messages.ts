/**
 * Messages between the sidebar webview (media/sidebar.js) and the extension. Everything the
 * webview sends is untrusted input: `parseWebviewMessage` accepts only the shapes below,
 * with bounded strings, and the extension opens only results it sent itself (by id).
 */
import type { FileGroup } from './result-view';
import { ownFields } from '../../engine/own-fields';
import { STATUS_ACTIONS, type StatusAction, type StatusCommand, type StatusKind } from '../status-view';

/** webview → extension */
export type WebviewMessage =
  | { type: 'ready' }
  | { type: 'search'; query: string; language: string; path: string }
  /** open a result; `side`: in the editor group beside the active one */
  | { type: 'open'; id: string; side: boolean }
  | { type: 'copy'; id: string }
  | { type: 'reveal'; id: string }
  /** an action a status offered (StatusAction.command) */
  | { type: 'command'; command: StatusCommand }
  | { type: 'reindex' }
  | { type: 'cancel' };

export interface ResultList {
  /** the results, grouped by file */
  groups: FileGroup[];
  /** some folder's index is still being built */
  partial: boolean;
  /** a one-line notice above the list (lexical-only mode, a folder that could not answer) */
  notice?: string;
  /** none of the results is a strong match (QueryResult.weak): why, said above them (empty-states.ts weakReason) */
  weak?: string;
  /** what an empty list says, when the host knows why it is empty (filters, an invalid filter) */
  empty?: string;
  error?: string;
}

/** extension → webview */
export type HostMessage =
  | {
      type: 'status';
      kind: StatusKind;
      /** the state line: a sentence */
      text: string;
      level: string;
      indexing: boolean;
      canReindex: boolean;
      actions: StatusAction[];
      languages: string[];
    }
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
  const m = {
    type: field('type'),
    query: field('query'),
    language: field('language'),
    path: field('path'),
    id: field('id'),
    side: field('side'),
    command: field('command'),
  };
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
      return isId(m.id) && (m.side === undefined || typeof m.side === 'boolean') ? { type: 'open', id: m.id, side: m.side === true } : undefined;
    case 'copy':
    case 'reveal':
      return isId(m.id) ? { type: m.type, id: m.id } : undefined;
    case 'command':
      return typeof m.command === 'string' && COMMANDS.has(m.command) ? { type: 'command', command: m.command as StatusCommand } : undefined;
    default:
      return undefined;
  }
}

const COMMANDS: ReadonlySet<string> = new Set(STATUS_ACTIONS);

function isId(value: unknown): value is string {
  return typeof value === 'string' && ID.test(value);
}

function text(value: unknown): value is string {
  return typeof value === 'string' && value.length <= MAX_TEXT;
}
