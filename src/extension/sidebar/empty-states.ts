/**
 * What the results list says when there is nothing to show and the filters are why: a filter
 * that cannot be used is named before anything is searched, and an empty answer says whether
 * the path filter, the language filter or only both together left nothing (QueryResult.emptyBecause).
 * Pure, so every wording can be tested.
 */
import { isLanguageName } from '../../engine/language-names';
import { emptyBecauseSentence, pathGlobProblem, type EmptyBecause } from '../../engine/search/filters';
import type { ParsedQuery } from '../query-syntax';

/** What is wrong with a search's filters, named, before anything is searched; undefined when they are usable. */
export function filterProblem(query: ParsedQuery): string | undefined {
  for (const glob of query.paths) {
    const problem = pathGlobProblem(glob);
    if (problem) return `Invalid path filter “${glob}”: it ${problem}.`;
  }
  for (const name of query.languages) {
    if (!isLanguageName(name)) return `Unknown language “${name}” in the language filter.`;
  }
  return undefined;
}

/**
 * What an empty result list says when the filters are why (QueryResult.emptyBecause), or else
 * when nothing is indexed (`nothingIndexed`, status-view.ts); undefined otherwise.
 */
export function emptyText(because: EmptyBecause | undefined, query: ParsedQuery, nothingIndexed = false): string | undefined {
  return emptyBecauseSentence(because, query.paths.map((p) => `“${p}”`).join(', '), query.languages.join(', ')) ?? (nothingIndexed ? NOT_INDEXED_TEXT : undefined);
}


/**
 * Why a list is no strong match (QueryResult.weak): no query word in the code the search looked
 * at. With a path or language filter that is only the code the filters let through: the words
 * may well be elsewhere.
 */
export function weakReason(query: ParsedQuery | undefined): string {
  return query && (query.paths.length || query.languages.length)
    ? 'nothing the filters let through uses these words'
    : 'nothing in the code uses these words';
}

/** What an empty search says when the open folders were never indexed (status-view.ts nothingIndexed). */
export const NOT_INDEXED_TEXT = 'Nothing is indexed yet: run Index Workspace (Code Scout: Reindex) to search this workspace.';

/** What a search says when no folder is open: nothing to search, and what to do. */
export const NO_FOLDER_TEXT = 'No folder is open: open a folder to search its code.';

/** What replaces that answer once a folder is open: the search is not run again by itself. */
export const FOLDER_OPENED_TEXT = 'A folder is open now: press Enter to search it.';
