import type { QueryResult } from '../protocol/protocol';
import type { ParsedQuery } from './query-syntax';
import { emptyText, weakReason } from './sidebar/empty-states';

/**
 * The palette search's title: the corrected query when a word was corrected (the title stays in
 * view while the list scrolls), how many results, and whether the index is partial or lexical-only;
 * an empty list says why when the filters, or a workspace never indexed (`nothingIndexed`), are why.
 */
export function resultTitle(result: QueryResult, query?: ParsedQuery, nothingIndexed = false): string {
  const empty = query && !result.hits.length ? emptyText(result.emptyBecause, query, nothingIndexed) : undefined;
  const parts = [empty ?? `${result.hits.length} result${result.hits.length === 1 ? '' : 's'}`];
  if (result.weak) parts.push(`no strong match: ${weakReason(query)}`);
  if (result.searchedFor !== undefined) parts.unshift(`Showing results for “${result.searchedFor}”`);
  if (result.partial) parts.push('index still being built: partial results');
  if (result.lexicalOnly) parts.push('no embedding model: matching words only');
  if (result.failures.length) parts.push(`${result.failures.length} folder(s) could not answer`);
  return `Code Scout — ${parts.join(' · ')}`;
}
