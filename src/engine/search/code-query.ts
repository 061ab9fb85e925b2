/**
 * The lexical query made of code (related code, find similar). A chunk's words are many, and a
 * few of them (`return`, `if`, `self`, `the`) are in a third of the index's documents: their
 * postings hold most of the entries such a query reads, while their weight in the BM25 score is
 * small. As Lucene's MoreLikeThis does, each distinct term is weighed by how often the code uses
 * it times its inverse document frequency, and only the heaviest are searched.
 */

/**
 * The distinct terms of `tokens` to search: all of them, in order of first use, when they are
 * no more than `maxTerms` (or `maxTerms` is 0); else the `maxTerms` heaviest, heaviest first, where
 * a term's weight is its count in `tokens` × log(1 + (N − df + 0.5) / (df + 0.5)), the BM25 idf
 * with N = `documentCount` and df = `documentFrequency(term)`, and terms no document holds are
 * left out (they match nothing). Ties go to the term first used in `tokens`, so the choice
 * depends on the code and the index alone.
 */
export function codeQueryTerms(
  tokens: readonly string[],
  documentFrequency: (term: string) => number,
  documentCount: number,
  maxTerms: number,
): string[] {
  const counts = new Map<string, number>();
  for (const t of tokens) counts.set(t, (counts.get(t) ?? 0) + 1);
  if (maxTerms === 0 || counts.size <= maxTerms) return [...counts.keys()];
  const weighed: { term: string; weight: number; order: number }[] = [];
  let order = 0;
  for (const [term, count] of counts) {
    const df = documentFrequency(term);
    if (df > 0 && documentCount > 0) weighed.push({ term, weight: count * Math.log(1 + (documentCount - df + 0.5) / (df + 0.5)), order });
    order++;
  }
  weighed.sort((a, b) => b.weight - a.weight || a.order - b.order);
  return weighed.slice(0, maxTerms).map((w) => w.term);
}
