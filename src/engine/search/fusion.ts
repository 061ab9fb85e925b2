/**
 * Hybrid ranking: fuses a lexical (BM25) ranking and a vector (cosine) ranking into one.
 *
 * Scores are interpolated after normalising each list to [0, 1] (BM25 by the best score of
 * the query, cosine by the best and a floor candidate), so that a strong match on either side
 * counts and a match on both counts most. Interpolating scores keeps the margin information
 * that rank-only fusion (RRF) throws away; the weights (RankingOptions, ranker.ts) are tuned on
 * the dev sets (see BENCHMARKS.md).
 */

export interface Scored {
  id: number;
  score: number;
}

export type MatchedBy = 'lexical' | 'vector' | 'both';

export interface FusedHit {
  id: number;
  score: number;
  matchedBy: MatchedBy;
  lexicalScore?: number;
  vectorScore?: number;
}

/**
 * Interpolates the two sides after normalising each to [0, 1]: BM25 by the query's best score,
 * cosine from the `floorRank`-th best candidate's (0) to the best (1), lower ones clamped to 0
 * (default: the last candidate's). Taking the floor at a fixed rank, not at the last candidate,
 * makes a deeper list (a longer result page, a full ranking for evaluation) order its top exactly
 * as a ten-result search does. Returns the best `top`, by score then id.
 */
export function fuseRankings(lexical: Scored[], vector: Scored[], lexicalWeight: number, top: number, floorRank = Infinity): FusedHit[] {
  const hits = new Map<number, FusedHit>();
  let lexMax = 0;
  for (const h of lexical) lexMax = Math.max(lexMax, h.score);
  for (const h of lexical) {
    if (h.score <= 0) continue;
    hits.set(h.id, { id: h.id, score: lexicalWeight * (h.score / lexMax), matchedBy: 'lexical', lexicalScore: h.score });
  }
  if (vector.length) {
    const sorted = vector.map((h) => h.score).sort((a, b) => b - a);
    const best = sorted[0];
    const floor = sorted[Math.min(sorted.length, floorRank) - 1];
    const span = best - floor || 1;
    for (const h of vector) {
      const part = (1 - lexicalWeight) * Math.max(0, (h.score - floor) / span);
      const hit = hits.get(h.id);
      if (hit) {
        hit.score += part;
        hit.matchedBy = 'both';
        hit.vectorScore = h.score;
      } else {
        hits.set(h.id, { id: h.id, score: part, matchedBy: 'vector', vectorScore: h.score });
      }
    }
  }
  return [...hits.values()].sort((a, b) => b.score - a.score || a.id - b.id).slice(0, top);
}
