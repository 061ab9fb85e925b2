import type { Chunk } from '../types';
import { splitWords, stem } from '../text/words';
import type { WeightedTokens } from './lexical';

/**
 * Which parts of a chunk the lexical index sees, and how much each counts. A query word in a
 * function's name or doc comment says more about it than the same word deep in its body.
 * Weights are tuned on the CoSQA dev queries (BENCHMARKS.md); index and query text go through
 * the same `splitWords` + `stem` pipeline.
 */
export const FIELD_WEIGHTS = { name: 3, doc: 2, signature: 1.5, path: 1, body: 1 };

export function lexicalFields(chunk: Chunk): WeightedTokens[] {
  const fileName = chunk.path.slice(chunk.path.lastIndexOf('/') + 1).replace(/\.[^.]+$/, '');
  return [
    { tokens: terms(`${chunk.container ?? ''} ${chunk.name}`), weight: FIELD_WEIGHTS.name },
    { tokens: terms(chunk.doc ?? ''), weight: FIELD_WEIGHTS.doc },
    { tokens: terms(chunk.signature), weight: FIELD_WEIGHTS.signature },
    { tokens: terms(fileName), weight: FIELD_WEIGHTS.path },
    { tokens: terms(chunk.text), weight: FIELD_WEIGHTS.body },
  ].filter((f) => f.weight > 0 && f.tokens.length > 0);
}

/** The tokens of a query (or of a chunk used as a query, for related code). */
export function lexicalQueryTokens(text: string): string[] {
  return terms(text);
}

function terms(text: string): string[] {
  return splitWords(text).map(stem);
}
