/**
 * Whether a search found anything that answers the query, or only the least distant code.
 *
 * A vector index always has nearest neighbours, so a query about something the workspace does not
 * contain ("zzqqxv flibbertigibbetqq", or a topic absent from the code) still gets a full list. The
 * list is a weak match when no word of the query occurs in the code (no lexical candidate and no
 * definition of a name it mentions) and the model's best cosine similarity is below
 * {@link RankingOptions.weakMatchSimilarity}, a threshold calibrated on the dev sets
 * (bench/weak-match.ts; BENCHMARKS.md, "No strong match"). The results are still returned: the
 * editor says that none is a strong match rather than hiding them.
 */
import type { Scored } from './fusion';

export interface MatchEvidence {
  /** lexical candidates (query words found in the code) */
  lexical: readonly Scored[];
  /** definitions of the names the query mentions */
  named: readonly number[];
  /** vector candidates, best first (empty in lexical-only mode) */
  vector: readonly Scored[];
}

/** True when nothing matched the query's words and the nearest code is not similar enough to count. */
export function isWeakMatch(e: MatchEvidence, weakMatchSimilarity: number): boolean {
  if (e.lexical.length > 0 || e.named.length > 0) return false;
  let best = -Infinity;
  for (const h of e.vector) best = Math.max(best, h.score);
  return best < weakMatchSimilarity;
}
