/**
 * Query spelling. People type queries fast ("permisions", "dictionray") and run words together
 * ("pythonreturn", "fromtext"); a misspelt word matches nothing in the lexical index and is noise
 * to the embedding model. So before a query is searched, each word that is neither known to the
 * workspace's index nor in the dictionary is replaced by the closest dictionary word (one edit for
 * words of up to 9 letters, two for longer ones; a transposition is one edit) or split into two
 * dictionary words of three letters or more (counted as one edit). Among equally close candidates the more frequent wins.
 *
 * The dictionary is the embedding model's vocabulary (the words of code and doc comments, most
 * frequent first). Two kinds of word are never changed, though neither is ever suggested:
 * - a real word ({@link SpellerOptions.keep}: the engine passes an English word list, SCOWL up to
 *   size 70, built into dist/english-words.txt), so "lunar", missing from the model's vocabulary,
 *   is not turned into "luna";
 * - a word the workspace's own index contains: a project's own identifiers are not typos.
 */

export interface Correction {
  readonly from: string;
  readonly to: string;
}

export interface SpelledQuery {
  readonly text: string;
  readonly corrections: readonly Correction[];
}

/** Words shorter than this are left alone: too many short words are one edit from each other. */
const MIN_WORD_LENGTH = 5;
/** Dictionary words shorter than this are never suggested as a replacement. */
const MIN_SUGGESTION_LENGTH = 3;
/** Both parts of a split are at least this long: two-letter parts (`unit|on`, `pen|ny`) are too often wrong. */
const MIN_SPLIT_PART = 3;
/** Words at least this long may take two edits; shorter ones one (`organises` is not `organism`). */
const TWO_EDITS_FROM = 10;
/** A run of letters that is a whole word: not part of an identifier with digits or underscores. */
const WORD = /(?<![\p{L}\p{M}\p{N}_])\p{L}+(?![\p{L}\p{M}\p{N}_])/gu;
/** An upper-case letter after the first: camelCase and ACRONYMS are identifiers, typed on purpose. */
const INNER_CAPITAL = /^.+\p{Lu}/u;
const LETTERS_ONLY = /^\p{L}+$/u;

export interface SpellerOptions {
  /**
   * Real words (lower-case) that are never changed although the dictionary lacks them: a query word
   * in this set is kept as typed. They are never suggested: a correction is always a dictionary word,
   * one the model knows. Default: none.
   */
  readonly keep?: WordList;
}

/**
 * A set of words, as far as spelling asks of it: whether it holds a word. The engine's English
 * list is read the first time a query word is neither in the dictionary nor in the workspace's
 * index, not when the speller is made (most queries never need it; it takes 50-60 ms to read).
 */
export interface WordList {
  has(word: string): boolean;
}

const NO_WORDS: WordList = new Set<string>();

/** A speller's dictionary, as {@link Speller} builds it from its words. */
interface Dictionary {
  /** rank (0 = most frequent) of every dictionary word */
  readonly rank: Map<string, number>;
  /** suggestion candidates by length */
  readonly byLength: Map<number, string[]>;
  /** length of the longest dictionary word: no longer word can be reached within two edits or split in two */
  readonly longest: number;
}

export class Speller {
  /** the dictionary, built the first time a word is looked up in it: a query whose words the workspace knows never needs it (building it took about 20 ms of a CLI query) */
  private built: Dictionary | undefined;
  /** real words kept as typed (see {@link SpellerOptions.keep}) */
  private readonly keep: WordList;

  /**
   * `words`: the dictionary, most frequent first; entries that are not all letters are ignored.
   * `options.keep`: real words that are never changed, nor suggested.
   */
  constructor(
    private readonly words: Iterable<string>,
    options: SpellerOptions = {},
  ) {
    this.keep = options.keep ?? NO_WORDS;
  }

  private get dictionary(): Dictionary {
    if (this.built === undefined) {
      const rank = new Map<string, number>();
      const byLength = new Map<number, string[]>();
      let longest = 0;
      for (const raw of this.words) {
        const word = raw.toLowerCase();
        if (!LETTERS_ONLY.test(word) || rank.has(word)) continue;
        rank.set(word, rank.size);
        longest = Math.max(longest, word.length);
        if (word.length >= MIN_SUGGESTION_LENGTH) {
          const list = byLength.get(word.length) ?? [];
          list.push(word);
          byLength.set(word.length, list);
        }
      }
      this.built = { rank, byLength, longest };
    }
    return this.built;
  }

  get size(): number {
    return this.dictionary.rank.size;
  }

  /**
   * `query` with its unknown words corrected. `isKnown(word)` says whether the workspace knows a
   * (lower-case) word; such words, dictionary words and the real words of `options.keep` are kept
   * as typed.
   */
  correct(query: string, isKnown: (word: string) => boolean = () => false): SpelledQuery {
    const corrections: Correction[] = [];
    // A word repeated in the query is looked up once: a suggestion scans a share of the dictionary.
    const decided = new Map<string, string | undefined>();
    const text = query.replace(WORD, (typed) => {
      if (INNER_CAPITAL.test(typed)) return typed;
      const word = typed.toLowerCase();
      let to: string | undefined;
      if (decided.has(word)) {
        to = decided.get(word);
      } else {
        // the cheaper tests first: the workspace's terms (a lookup each), then the dictionary (built on first use), then the real-word list (read on first use)
        const keep = codePointsBelow(word, MIN_WORD_LENGTH) || isKnown(word) || this.dictionary.rank.has(word) || this.keep.has(word);
        to = keep ? undefined : this.suggest(word);
        decided.set(word, to);
      }
      if (to === undefined) return typed;
      corrections.push({ from: typed, to });
      return to;
    });
    return { text, corrections };
  }

  /** The best replacement for an unknown word, or undefined when nothing is close enough. */
  suggest(word: string): string | undefined {
    const { rank, byLength, longest } = this.dictionary;
    const maxDistance = word.length >= TWO_EDITS_FROM ? 2 : 1;
    // Too long to be within reach of any dictionary word, or to be two of them run together.
    if (word.length > longest * 2 && word.length > longest + maxDistance) return undefined;
    let best: { cost: number; rank: number; text: string } | undefined;
    const consider = (cost: number, rank: number, text: string): void => {
      if (!best || cost < best.cost || (cost === best.cost && rank < best.rank)) best = { cost, rank, text };
    };
    const rows = distanceRows(word.length + maxDistance);
    for (let length = word.length - maxDistance; length <= word.length + maxDistance; length++) {
      for (const candidate of byLength.get(length) ?? []) {
        const d = boundedDistance(word, candidate, maxDistance, rows);
        if (d <= maxDistance) consider(d, rank.get(candidate)!, candidate);
      }
    }
    // Both parts of a split are dictionary words, so neither is longer than the longest one.
    const firstSplit = Math.max(MIN_SPLIT_PART, word.length - longest);
    const lastSplit = Math.min(word.length - MIN_SPLIT_PART, longest);
    for (let i = firstSplit; i <= lastSplit; i++) {
      const left = rank.get(word.slice(0, i));
      const right = rank.get(word.slice(i));
      if (left !== undefined && right !== undefined) consider(1, Math.max(left, right), `${word.slice(0, i)} ${word.slice(i)}`);
    }
    return best?.text;
  }
}

/** Whether `word` has fewer than `n` code points (counted only as far as needed). */
function codePointsBelow(word: string, n: number): boolean {
  if (word.length < n) return true;
  let count = 0;
  for (const _ of word) if (++count >= n) return false;
  return true;
}

/**
 * Optimal-string-alignment distance between `a` and `b` (insertions, deletions, substitutions and
 * transpositions of neighbours each cost 1), or `max + 1` as soon as it must exceed `max`.
 * Only the diagonal band of width `2 * max + 1` is computed: a cell outside it costs more than
 * `max`. Works on UTF-16 code units, which is exact for the letters of the BMP. `scratch` (three
 * rows of at least `b.length + 2` cells) lets a caller reuse the rows across many calls.
 */
export function boundedDistance(a: string, b: string, max: number, scratch?: DistanceRows): number {
  const over = max + 1;
  if (Math.abs(a.length - b.length) > max) return over;
  const rows = scratch && scratch[0].length >= b.length + 2 ? scratch : distanceRows(b.length);
  let [before, prev, cur] = rows;
  for (let j = 0; j <= Math.min(b.length, max); j++) prev[j] = j;
  if (max + 1 <= b.length) prev[max + 1] = over;
  for (let i = 1; i <= a.length; i++) {
    const lo = Math.max(1, i - max);
    const hi = Math.min(b.length, i + max);
    cur[lo - 1] = lo === 1 ? i : over;
    let rowMin = over;
    for (let j = lo; j <= hi; j++) {
      const same = a.charCodeAt(i - 1) === b.charCodeAt(j - 1);
      let d = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (same ? 0 : 1));
      if (i > 1 && j > 1 && a.charCodeAt(i - 1) === b.charCodeAt(j - 2) && a.charCodeAt(i - 2) === b.charCodeAt(j - 1)) {
        d = Math.min(d, before[j - 2]! + 1);
      }
      cur[j] = d;
      if (d < rowMin) rowMin = d;
    }
    if (hi + 1 <= b.length) cur[hi + 1] = over; // the next row reads one cell past this band
    if (rowMin > max) return over;
    [before, prev, cur] = [prev, cur, before];
  }
  return Math.min(prev[b.length]!, over);
}

/** Three rows of distance cells, for {@link boundedDistance}. */
export type DistanceRows = [Int32Array, Int32Array, Int32Array];

export function distanceRows(length: number): DistanceRows {
  return [new Int32Array(length + 2), new Int32Array(length + 2), new Int32Array(length + 2)];
}
