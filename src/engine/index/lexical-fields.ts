import type { Chunk } from '../types';
import { splitWords, stem } from '../text/words';
import type { WeightedTokens } from './lexical';

/**
 * Which parts of a chunk the lexical index sees, and how much each counts on top of the body
 * (which already holds the doc comment and signature once). A query word in a definition's
 * name says more about it than the same word deep in its body. The weights were chosen on the
 * CoSQA dev queries (bench/tune-lexical.ts, BENCHMARKS.md): a name boost and a light doc boost
 * helped a little, a signature boost did not; a weight of 0 leaves the field out. Index and
 * query text go through the same `splitWords` + `stem` pipeline.
 */
export const FIELD_WEIGHTS = { name: 2, doc: 0.5, signature: 0, path: 1, body: 1 };

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
