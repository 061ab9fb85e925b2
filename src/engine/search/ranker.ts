/**
 * The ranking stage: from the lexical and vector candidates of a query to the result list.
 *
 *   fuse (per query kind)  →  priors (definitions, paths, noise)  →  file evidence  →  one per definition, diversified across files
 *
 * Every scoring step is a named option of {@link RankingOptions}, with the default measured on the
 * dev sets (semble-dev and CoSQA dev; BENCHMARKS.md has the ablation). An option at its "off" value
 * (a boost of 0, a penalty or decay of 1) leaves that step out. Two steps present rather than score,
 * and have no switch: a name's definitions are looked up exact spellings first (name-index.ts), and a
 * symbol query shows a long definition of the name it asks for at the window that holds its header.
 */
import type { ChunkRecord } from '../catalog';
import { lexicalQueryTokens } from '../index/lexical-fields';
import { definitionKey, oneDefinition, specialized } from './definitions';
import { fuseRankings, type FusedHit, type Scored } from './fusion';
import { askedNoise, askedSuperseded, isHeaderWindow, pathInfo, supersededFolderOf } from './path-priors';
import { compact, spelt, type QueryShape } from './query-kind';

export interface RankingOptions {
  /** weight of the lexical side in the hybrid score of natural-language queries (the vector side gets 1 − w) */
  lexicalWeight: number;
  /** the same for symbol queries (one identifier or qualified name): names are matched by words, not meaning */
  symbolLexicalWeight: number;
  /** the same for code used as a query (related code, find similar): the source's words against its embedding */
  relatedLexicalWeight: number;
  /** candidates taken from the lexical index per query */
  lexicalDepth: number;
  /**
   * the most distinct words of code used as a query (related code, find similar) searched in the
   * lexical index: the heaviest by count × inverse document frequency (code-query.ts). A chunk's
   * commonest words (`return`, `if`, `self`) hold most of the entries such a query reads and add
   * little to its ranking. 0 searches them all
   */
  codeQueryTerms: number;
  /** candidates taken from the vector index per query; the cosine of the last of them is the vector side's zero (see fuse) */
  vectorDepth: number;
  /**
   * a chunk that defines a name the query mentions gains this × the best fused score of the query (so that
   * the definition of a named symbol ranks near the top however long it is); names guessed from capitalised
   * words count half, a qualifier that does not match halves it again
   */
  definitionBoost: number;
  /**
   * × this on the definition boost when the definition's name matches a code-like name of the query
   * only once case and separators are ignored (`Timeout` against the method `timeout`, `Serialize`
   * against `serialize`), and some candidate is spelt exactly as the query spells it: identifiers are
   * case-sensitive, so the exact spelling is the stronger evidence. When nothing is spelt that way (a
   * symbol typed in lower case) every namesake keeps the whole boost (1: no difference)
   */
  definitionCaseMismatch: number;
  /**
   * × this on the definition boost for a C++ specialisation of the template the query names
   * (`formatter<int, Char>` for `formatter`; definitions.ts `specialized`): a definition of the name
   * for some arguments, weaker evidence than the template itself. 0 gives specialisations no boost
   */
  specializationMatch: number;
  /**
   * × this on the definition boost for a constructor (Java, C#, C++), whose name is its class's: a
   * query that names a class asks for the class, which a short constructor otherwise outscores on
   * words alone. 1 makes them equal. A C++ specialisation's constructor (`formatter()` inside
   * `formatter<Tuple, Char>`) also takes specializationMatch, as its class does
   */
  constructorMatch: number;
  /**
   * the definition boost's share for a name spelt by adjacent words of a question ("JSON array" →
   * `JsonArray`; query-kind.ts phraseNames), against 1 for a code-like word and 0.5 for a capitalised
   * one; 0 leaves such names out
   */
  phraseNameWeight: number;
  /** × (1 + this × the share of the query's words found in the chunk's folder and file names), for questions (symbol queries: symbolPathBoost) */
  pathBoost: number;
  /**
   * the same for symbol queries: a file named like the symbol (`request.rb` for `Request`) holds its
   * definition as often as its namesakes (a method `request`), which the definition boost tells apart
   */
  symbolPathBoost: number;
  /** × this for tests, examples, vendored and generated copies, declaration stubs and prose docs, unless the query asks for that kind */
  noisePenalty: number;
  /** × this for a line window that is a code file's import or licence header */
  headerPenalty: number;
  /**
   * × this for code in a superseded version folder (`v3/` beside `v4/`, or a `v1/` snapshot of the code
   * around it: path-priors.ts supersededFolders), unless the query asks for old code or names the folder
   */
  supersededPenalty: number;
  /**
   * each chunk gains this × the scores of (up to) the next two best strong candidates of its file (those
   * scoring at least half the best candidate's): a file with several strong chunks is likely the answer.
   * Not for code as a query (related code), whose words match its own file's chunks.
   */
  fileEvidence: number;
  /** the n-th further result from one file scores × this^n, so that the list reaches more files */
  fileDecay: number;
  /** × this for chunks in a language the query names (1: no preference; 0 would drop them) */
  languageBoost: number;
  /**
   * a search whose words match no code is a weak match (match-strength.ts) when the best cosine
   * similarity of the vector side is below this; 0 never calls a list weak unless it is empty
   */
  weakMatchSimilarity: number;
}

/**
 * The defaults, chosen on semble-dev and CoSQA dev with the embedded model (bench/tune-ranking.ts;
 * the ablation table is in BENCHMARKS.md). Each part helped semble-dev on its own and together they
 * leave CoSQA (one function per file, so no path, noise or file evidence) no worse.
 */
export const DEFAULT_RANKING: Readonly<RankingOptions> = {
  lexicalWeight: 0.6,
  symbolLexicalWeight: 0.7,
  relatedLexicalWeight: 0.3,
  lexicalDepth: 200,
  codeQueryTerms: 60,
  vectorDepth: 200,
  definitionBoost: 1,
  definitionCaseMismatch: 0.5,
  specializationMatch: 0.5,
  constructorMatch: 0.5,
  phraseNameWeight: 0.5,
  pathBoost: 1,
  symbolPathBoost: 0.5,
  noisePenalty: 0.5,
  headerPenalty: 0.5,
  supersededPenalty: 0.5,
  fileEvidence: 0.2,
  fileDecay: 0.5,
  languageBoost: 3,
  weakMatchSimilarity: 0.35,
};

/** The names of the ranking options: a Set, so that a name from outside never meets Object.prototype. */
const RANKING_KEYS: ReadonlySet<string> = new Set(Object.keys(DEFAULT_RANKING));

function isRankingKey(key: string): key is keyof RankingOptions {
  return RANKING_KEYS.has(key);
}

/** Checks a caller's options and fills in the defaults; a bad value is a clear error. */
export function rankingOptions(given: Partial<RankingOptions> = {}): RankingOptions {
  const o: RankingOptions = { ...DEFAULT_RANKING };
  for (const [key, value] of Object.entries(given)) {
    if (value === undefined) continue;
    if (!isRankingKey(key)) throw new Error(`unknown ranking option "${key}"`);
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw new Error(`ranking option ${key} must be a finite number ≥ 0, got ${String(value)}`);
    o[key] = value;
  }
  for (const key of ['lexicalWeight', 'symbolLexicalWeight', 'relatedLexicalWeight', 'noisePenalty', 'headerPenalty', 'supersededPenalty', 'fileDecay', 'definitionCaseMismatch', 'specializationMatch', 'constructorMatch', 'phraseNameWeight', 'weakMatchSimilarity'] as const) {
    if (o[key] > 1) throw new Error(`ranking option ${key} must be between 0 and 1, got ${o[key]}`);
  }
  for (const key of ['lexicalDepth', 'vectorDepth'] as const) {
    if (!Number.isInteger(o[key]) || o[key] < 1) throw new Error(`ranking option ${key} must be a whole number ≥ 1, got ${o[key]}`);
  }
  if (!Number.isInteger(o.codeQueryTerms)) throw new Error(`ranking option codeQueryTerms must be a whole number ≥ 0, got ${o.codeQueryTerms}`);
  return o;
}

export interface RankInput {
  lexical: Scored[];
  /** empty in lexical-only mode */
  vector: Scored[];
  /** definitions of the names the query mentions, candidates whatever their lexical and vector scores */
  named: readonly number[];
  /** the query's lexical tokens (after language names were taken out) */
  tokens: readonly string[];
  shape: QueryShape;
  /** languages the query names */
  preferred: ReadonlySet<string>;
  /** folders that hold superseded copies of the code (path-priors.ts supersededFolders); none when absent */
  superseded?: ReadonlySet<string>;
  chunk: (id: number) => ChunkRecord;
  /**
   * For two chunks of one file with the same definitionKey whose lines lie apart: whether they are
   * one definition's windows, or two definitions that share a name and signature (an `#ifdef`
   * version and its `#else`), which are listed apart (definitions.ts `oneDefinition`). Absent:
   * one key is one definition.
   */
  sameDefinition?: (a: ChunkRecord, b: ChunkRecord) => boolean;
  top: number;
}

/** Words that carry no subject in a developer's question, as index terms; they earn no path credit. */
const STOP_TERMS = new Set(
  lexicalQueryTokens(
    'a an the of to in on for from with by and or not is are be how does do what where which when why who this that these those it its ' +
      'into via as at work works handled handle used use using implement implemented implementation get set',
  ),
);

interface Candidate extends FusedHit {
  c: ChunkRecord;
}

/** Fuses, re-scores and orders the candidates; returns at most `top`, one per definition. */
export function rankCandidates(input: RankInput, options: RankingOptions): FusedHit[] {
  const { shape, chunk } = input;
  const hybrid = input.vector.length > 0;
  const weight = !hybrid ? 1 : shape.kind === 'symbol' ? options.symbolLexicalWeight : shape.kind === 'code' ? options.relatedLexicalWeight : options.lexicalWeight;
  // one object shape for every candidate (no spreads), which keeps the loops below monomorphic
  const candidates: Candidate[] = fuseRankings(input.lexical, input.vector, weight, Infinity, options.vectorDepth).map((h) => ({
    id: h.id,
    score: h.score,
    matchedBy: h.matchedBy,
    lexicalScore: h.lexicalScore,
    vectorScore: h.vectorScore,
    c: chunk(h.id),
  }));
  let best = 0;
  for (const h of candidates) best = Math.max(best, h.score);
  if (input.named.length) {
    const have = new Set(candidates.map((h) => h.id));
    for (const id of input.named) {
      if (have.has(id)) continue;
      have.add(id);
      candidates.push({ id, score: 0, matchedBy: 'lexical', lexicalScore: undefined, vectorScore: undefined, c: chunk(id) });
    }
  }

  const asked = askedNoise(input.tokens);
  const queryTerms = shape.kind === 'code' ? [] : [...new Set(input.tokens)].filter((t) => !STOP_TERMS.has(t));
  const shares = new Map<string, number>();
  const pathShare = (path: string, terms: ReadonlySet<string>): number => {
    let share = shares.get(path);
    if (share === undefined) {
      share = queryTerms.filter((t) => terms.has(t)).length / queryTerms.length;
      shares.set(path, share);
    }
    return share;
  };

  const pathBoost = shape.kind === 'symbol' ? options.symbolPathBoost : options.pathBoost;
  const exactNames = exactSpellings(candidates, shape);
  for (const h of candidates) {
    const c = h.c;
    let factor = 1;
    const info = pathInfo(c.path);
    if (pathBoost > 0 && queryTerms.length) factor *= 1 + pathBoost * pathShare(c.path, info.terms);
    if (options.noisePenalty < 1 && info.noise && !asked.has(info.noise)) factor *= options.noisePenalty;
    if (options.headerPenalty < 1 && isHeaderWindow(c)) factor *= options.headerPenalty;
    if (options.supersededPenalty < 1 && input.superseded?.size) {
      const folder = supersededFolderOf(c.path, input.superseded);
      if (folder !== undefined && !askedSuperseded(input.tokens, folder)) factor *= options.supersededPenalty;
    }
    if (input.preferred.size && input.preferred.has(c.language)) factor *= options.languageBoost;
    h.score *= factor;
    if (options.definitionBoost > 0 && c.kind !== 'window' && shape.names.length) h.score += options.definitionBoost * best * definitionMatch(c, shape, exactNames, options);
  }

  if (options.fileEvidence > 0 && shape.kind !== 'code') addFileEvidence(candidates, options.fileEvidence);
  const ranked = diversify(candidates, input.top, options.fileDecay, input.sameDefinition);
  // a symbol query asks where the symbol is defined: a long definition cut into windows is shown at the
  // window that holds its header, wherever its best-scoring window was (its place in the list is kept)
  const shown = shape.kind === 'symbol' && options.definitionBoost > 0 ? headerWindows(ranked, candidates, shape, exactNames, options, input.sameDefinition) : ranked;
  return shown.map(({ id, score, matchedBy, lexicalScore, vectorScore }) => ({ id, score, matchedBy, lexicalScore, vectorScore }));
}

/**
 * Each ranked definition of a name the query asks for, as its first window among the candidates: the
 * place and the evidence (score, matched by) stay the ranked window's; only the lines shown move.
 */
function headerWindows(ranked: Candidate[], candidates: readonly Candidate[], shape: QueryShape, exactNames: ReadonlySet<string>, options: RankingOptions, apart: RankInput['sameDefinition']): Candidate[] {
  const keys = new Set<string>();
  const anyMatch = { definitionCaseMismatch: 1, phraseNameWeight: 1, specializationMatch: options.specializationMatch > 0 ? 1 : 0, constructorMatch: 1 };
  for (const h of ranked) if (h.c.kind !== 'window' && definitionMatch(h.c, shape, exactNames, anyMatch) > 0) keys.add(definitionKey(h.c));
  if (!keys.size) return ranked;
  // the candidates of each such key: a definition's first window is the first of those that are its parts
  const byKey = new Map<string, ChunkRecord[]>();
  for (const { c } of candidates) {
    if (c.kind === 'window') continue;
    const key = definitionKey(c);
    if (!keys.has(key)) continue;
    const list = byKey.get(key);
    if (list) list.push(c);
    else byKey.set(key, [c]);
  }
  return ranked.map((h) => {
    if (h.c.kind === 'window') return h;
    let header: ChunkRecord | undefined;
    for (const c of byKey.get(definitionKey(h.c)) ?? []) if ((!header || c.startLine < header.startLine) && oneDefinition(h.c, c, apart)) header = c;
    return header && header !== h.c ? { id: header.id, score: h.score, matchedBy: h.matchedBy, lexicalScore: h.lexicalScore, vectorScore: h.vectorScore, c: header } : h;
  });
}

/** The code-like names of the query (compact form) that some candidate definition is spelt exactly as typed. */
function exactSpellings(candidates: readonly Candidate[], shape: QueryShape): Set<string> {
  const out = new Set<string>();
  const wanted = shape.names.filter((n) => n.strong && n.typed);
  if (!wanted.length) return out;
  for (const { c } of candidates) {
    if (c.kind === 'window') continue;
    for (const n of wanted) if (!out.has(n.name) && spelt(c.name) === n.typed) out.add(n.name);
  }
  return out;
}

/**
 * 1 when the chunk defines a name the query mentions (with its qualifier, if any), less for weaker
 * evidence (the weights' options), else 0.
 */
function definitionMatch(
  c: ChunkRecord,
  shape: QueryShape,
  exact: ReadonlySet<string>,
  weights: Pick<RankingOptions, 'definitionCaseMismatch' | 'phraseNameWeight' | 'specializationMatch' | 'constructorMatch'>,
): number {
  const name = compact(c.name);
  const template = specialized(c.name);
  const share = c.kind === 'constructor' ? weights.constructorMatch : 1;
  // a constructor is named as its class is named in its own declaration (`formatter()` inside
  // `struct formatter<Tuple, Char>`): it is a specialisation's when its class is one
  const ofSpecialization = c.kind === 'constructor' && c.container !== undefined && specialized(c.container) !== undefined;
  let best = 0;
  for (const n of shape.names) {
    // `tuple<>` is a specialisation of `tuple`, though its compact form is the template's
    const own = n.name === name && template !== name && !ofSpecialization;
    if (!own && n.name !== template && !(ofSpecialization && n.name === name)) continue;
    let m = n.phrase ? weights.phraseNameWeight : n.strong ? 1 : 0.5;
    if (!own) m *= weights.specializationMatch;
    else if (weights.definitionCaseMismatch < 1 && exact.has(n.name) && spelt(c.name) !== n.typed) m *= weights.definitionCaseMismatch;
    if (n.qualifier && !compact(c.container ?? '').endsWith(n.qualifier) && !compact(c.path).includes(n.qualifier)) m *= 0.5;
    best = Math.max(best, m * share);
  }
  return best;
}

/** Adds to each candidate `weight` × the scores of the next two best strong candidates (≥ half the best) of its file. */
function addFileEvidence(candidates: Candidate[], weight: number): void {
  let best = 0;
  for (const h of candidates) best = Math.max(best, h.score);
  const strong = best / 2;
  const byFile = new Map<string, number[]>();
  for (const h of candidates) {
    if (h.score < strong) continue;
    const scores = byFile.get(h.c.path);
    if (scores) scores.push(h.score);
    else byFile.set(h.c.path, [h.score]);
  }
  for (const scores of byFile.values()) scores.sort((a, b) => b - a).splice(3);
  const gains = candidates.map((h) => {
    const top3 = byFile.get(h.c.path);
    if (!top3) return 0;
    // the two best others: the file's top three less this chunk if it is among them
    const at = top3.indexOf(h.score);
    const others = at >= 0 ? top3.filter((_, i) => i !== at) : top3;
    return weight * ((others[0] ?? 0) + (others[1] ?? 0));
  });
  candidates.forEach((h, i) => (h.score += gains[i]));
}

/**
 * Orders the candidates by score, one per definition, the n-th further chunk of a file scoring
 * × decay^n. A max-heap keeps this O(n log n): a popped candidate whose file has gained results
 * since it was scored goes back with its decayed score.
 */
function diversify(candidates: Candidate[], top: number, decay: number, apart: RankInput['sameDefinition']): Candidate[] {
  // equal scores (copies of one piece of code, say) in the order of their place in the folder: a
  // chunk's id says when it was indexed, which an edit undone changes though the files are the same
  const heap = new MaxHeap<{ h: Candidate; score: number; seen: number }>((a, b) => a.score - b.score || byPlace(b.h.c, a.h.c) || b.h.id - a.h.id);
  for (const h of candidates) heap.push({ h, score: h.score, seen: 0 });
  const perFile = new Map<string, number>();
  /** the chunks listed, by definition key: a chunk of a definition listed already is not listed again */
  const listed = new Map<string, ChunkRecord[]>();
  const out: Candidate[] = [];
  while (out.length < top && heap.size) {
    const e = heap.pop()!;
    const key = definitionKey(e.h.c);
    const same = listed.get(key);
    if (same?.some((c) => oneDefinition(c, e.h.c, apart))) continue;
    const n = perFile.get(e.h.c.path) ?? 0;
    if (n > e.seen && decay < 1) {
      heap.push({ h: e.h, score: e.h.score * decay ** n, seen: n });
      continue;
    }
    if (same) same.push(e.h.c);
    else listed.set(key, [e.h.c]);
    perFile.set(e.h.c.path, n + 1);
    e.h.score = e.score;
    out.push(e.h);
  }
  return out;
}

/** Orders two chunks by path (code units), then by their first line. */
function byPlace(a: ChunkRecord, b: ChunkRecord): number {
  return a.path < b.path ? -1 : a.path > b.path ? 1 : a.startLine - b.startLine;
}

class MaxHeap<T> {
  private readonly items: T[] = [];
  constructor(private readonly cmp: (a: T, b: T) => number) {}
  get size(): number {
    return this.items.length;
  }
  push(x: T): void {
    const a = this.items;
    a.push(x);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (this.cmp(a[i], a[p]) <= 0) break;
      [a[i], a[p]] = [a[p], a[i]];
      i = p;
    }
  }
  pop(): T | undefined {
    const a = this.items;
    if (!a.length) return undefined;
    const top = a[0];
    const last = a.pop()!;
    if (a.length) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && this.cmp(a[l], a[m]) > 0) m = l;
        if (r < a.length && this.cmp(a[r], a[m]) > 0) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m], a[i]];
        i = m;
      }
    }
    return top;
  }
}
