/**
 * Hybrid ranking: fuses a lexical (BM25) ranking and a vector (cosine) ranking into one.
 *
 * Scores are interpolated after normalising each list to [0, 1] (BM25 by the best score of
 * the query, cosine by the best and worst candidate), so that a strong match on either side
 * counts and a match on both counts most. Interpolating scores keeps the margin information
 * that rank-only fusion (RRF) throws away; the weight is tuned on the CoSQA dev queries
 * (see BENCHMARKS.md).
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
 * Weight of the lexical side in the hybrid score (the vector side gets 1 − w). With the
 * embedded model, CoSQA dev MRR is flat from 0.35 to 0.45 (0.452–0.455) and falls off on both
 * sides; 0.4 is the middle of that plateau (BENCHMARKS.md).
 */
export const DEFAULT_LEXICAL_WEIGHT = 0.4;

export function fuseRankings(lexical: Scored[], vector: Scored[], lexicalWeight: number, top: number): FusedHit[] {
  const hits = new Map<number, FusedHit>();
  const lexMax = Math.max(0, ...lexical.map((h) => h.score));
  for (const h of lexical) {
    if (h.score <= 0) continue;
    hits.set(h.id, { id: h.id, score: lexicalWeight * (h.score / lexMax), matchedBy: 'lexical', lexicalScore: h.score });
  }
  if (vector.length) {
    const best = vector.reduce((m, h) => Math.max(m, h.score), -Infinity);
    const worst = vector.reduce((m, h) => Math.min(m, h.score), Infinity);
    const span = best - worst || 1;
    for (const h of vector) {
      const part = (1 - lexicalWeight) * ((h.score - worst) / span);
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
