/**
 * Word splitting and stemming for the lexical index. Code is full of compound identifiers
 * (`parseJSONFile`, `read_file`, `HTTPServer`), so text is split into the words a person would
 * type in a query, and those words are lightly stemmed so that `parse`, `parses`, `parsed` and
 * `parsing` meet.
 *
 * Index and query text must go through the same pipeline: `splitWords(text).map(stem)`.
 */
import { detached } from './slice';

/** A run of letters, combining marks and digits, optionally joined by underscores (snake_case). */
const IDENTIFIER = /[\p{L}\p{M}\p{N}]+(?:_+[\p{L}\p{M}\p{N}]+)*/gu;

/**
 * The words inside one underscore-free identifier part, in order of preference:
 * a plural acronym (`URLs`, `IDs`), an acronym followed by a capitalised word (`HTTP` of
 * `HTTPServer`), a capitalised or lowercase word (`Server`, `parse`), a trailing acronym
 * (`JSON`), a run of digits, and a run of letters without case (CJK, Arabic, …).
 */
const SUB_WORD =
  /\p{Lu}{2,}s(?!\p{Ll})|\p{Lu}[\p{Lu}\p{M}]*(?=\p{Lu}\p{Ll})|\p{Lu}?[\p{Ll}\p{M}]+|[\p{Lu}\p{M}]+|\p{N}+|[\p{Lt}\p{Lm}\p{Lo}\p{M}]+/gu;

const NON_ASCII = /[^\x00-\x7f]/;

/**
 * Words longer than this are dropped: they are blobs (hashes, base64, minified names),
 * which no one types and which would only bloat the term dictionary.
 */
export const MAX_WORD_LENGTH = 64;

/**
 * Splits text into lowercase words for lexical search.
 *
 * - Identifiers are runs of Unicode letters and digits; everything else separates them.
 *   Hyphens separate too, so kebab-case (`dry-run`) yields its words.
 * - Within an identifier, words break at underscores (snake_case), lower→upper case changes
 *   (camelCase, PascalCase), acronym ends (`HTTPServer` → `http`, `server`;
 *   `parseJSONFile` → `parse`, `json`, `file`; a plural acronym stays whole: `getURLs` →
 *   `get`, `urls`) and letter/digit changes
 *   (`utf8Decode` → `utf`, `8`, `decode`; `md5` → `md`, `5`).
 * - An identifier made of several words is also emitted whole, lowercased and without
 *   underscores, after its words: `readFile` → `read`, `file`, `readfile`. This lets a query
 *   for `readfile` or `read_file` find `readFile`, rewards an exact identifier match with an
 *   extra term, and keeps digit-bearing names such as `md5` or `utf8` findable as typed.
 * - Words longer than {@link MAX_WORD_LENGTH} are dropped. Nothing else is filtered:
 *   single letters and stop words are left to BM25's inverse document frequency.
 */
export function splitWords(text: string): string[] {
  const words: string[] = [];
  eachIdentifier(text, (raw) => {
    for (const word of wordsOfIdentifier(raw)) words.push(word);
  });
  return words;
}

/**
 * Calls `visit` with each identifier of `text` as it stands (the runs {@link splitWords} splits),
 * in order. `splitWords(text)` is the concatenation of {@link splitIdentifier} over them.
 */
export function eachIdentifier(text: string, visit: (raw: string) => void): void {
  // one expression for every call, its position kept here: `visit` may split other text meanwhile
  for (let at = 0; ; ) {
    IDENTIFIER.lastIndex = at;
    const match = IDENTIFIER.exec(text);
    if (match === null) return;
    at = IDENTIFIER.lastIndex;
    visit(match[0]);
  }
}

/**
 * The words {@link splitWords} emits for one identifier, remembered: code repeats its identifiers
 * endlessly, and splitting one with Unicode-aware expressions was the indexer's largest cost.
 * The memo is cleared when it reaches {@link MEMO_LIMIT} entries, which bounds its memory.
 */
function wordsOfIdentifier(raw: string): readonly string[] {
  let words = identifierMemo.get(raw);
  if (words === undefined) {
    words = splitIdentifier(raw).map(detached);
    if (raw.length > MEMO_IDENTIFIER_LENGTH) return words; // a blob of data, rarely met again: not remembered
    if (identifierMemo.size >= MEMO_LIMIT) identifierMemo.clear();
    identifierMemo.set(detached(raw), words);
  }
  return words;
}

/** The words {@link splitWords} emits for one identifier (a match of its identifier pattern), not remembered. */
export function splitIdentifier(raw: string): string[] {
  const identifier = NON_ASCII.test(raw) ? raw.normalize('NFC') : raw;
  const parts = identifierWords(identifier);
  const out: string[] = [];
  for (const word of parts) pushWord(out, word);
  if (parts.length > 1) pushWord(out, parts.join(''));
  return out;
}

const MEMO_LIMIT = 100_000;
/** Identifiers longer than this (UTF-16 code units) are split each time, not remembered, by this memo and the lexical index's. */
export const MEMO_IDENTIFIER_LENGTH = 128;
const identifierMemo = new Map<string, readonly string[]>();

/** The lowercase words of one identifier, e.g. `parse_JSONFile` → `parse`, `json`, `file`. */
function identifierWords(identifier: string): string[] {
  const words: string[] = [];
  for (const part of identifier.split('_')) {
    for (const match of part.matchAll(SUB_WORD)) words.push(match[0].toLowerCase());
  }
  return words;
}

function pushWord(words: string[], word: string): void {
  if (word.length <= MAX_WORD_LENGTH) words.push(word);
}

/** Endings kept whole by the plural rule: `class`, `status`, `analysis`. */
const NOT_PLURAL = /(?:ss|us|is)$/;
/** Plurals that add `es` after a sibilant: `boxes`, `matches`, `hashes` (not `z`: `sizes` is `size` + `s`). */
const SIBILANT_PLURAL = /(?:x|ch|sh)es$/;
const VOWEL = /[aeiouy]/;
const ASCII_LOWERCASE_WORD = /^[a-z]+$/;
/** A doubled final consonant left by `-ing`/`-ed` (`runn`, `stopp`, `embedd`); l, s, z stay doubled (`fill`, `pass`). */
const DOUBLED_CONSONANT = /([bcdfghjkmnpqrtvwxy])\1$/;
/** A final `y` after a consonant, which inflection turns into `i` (`copy`, `copies`, `copied`). */
const CONSONANT_Y = /[^aeiou]y$/;
/** A final silent `e` (`parse`, `queue`), but not `ee` (`degree`). */
const SILENT_E = /[^e]e$/;

/**
 * A light, conservative English stemmer for lowercase words, so that inflections of a word
 * share one index term. It only undoes inflection, never derivation (`parser` stays `parser`,
 * `encoder` stays `encoder`), because derived words usually name different things in code.
 *
 * Rules, applied in order:
 * 1. Words of 3 letters or fewer, and words that are not plain ASCII letters, are returned as is.
 * 2. Plurals: `-ies` → `-i` (`queries` → `queri`), `-sses` → `-ss`, a sibilant's `-es` is dropped
 *    (`matches` → `match`), otherwise a final `-s` is dropped unless the word ends in
 *    `-ss`, `-us` or `-is`.
 * 3. `-ing` is dropped when at least 3 letters with a vowel remain, `-ed` (but not `-eed`) when
 *    at least 4 remain, so `string`, `embed`, `need` and `fixed` are kept; a doubled final
 *    consonant is then undoubled (`running` → `run`, `embedded` → `embed`).
 * 4. The bare word is made to meet its inflections: a final consonant + `y` becomes `i`
 *    (`copy`, `copies`, `copied`, `copying` → `copi`), and a final silent `e` is dropped when at
 *    least 4 letters remain (`parse`, `parses`, `parsed`, `parsing` → `pars`).
 *
 * Stems are index terms, not display words: `pars` is fine as long as every form maps to it.
 * Irregular forms (`made`, `ran`) and derivations are deliberately left alone.
 */
export function stem(word: string): string {
  if (word.length <= 3 || !ASCII_LOWERCASE_WORD.test(word)) return word;
  return normaliseEnding(stripVerbEnding(stripPlural(word)));
}

function stripPlural(word: string): string {
  if (word.endsWith('ies') && word.length > 4) return word.slice(0, -2);
  if (word.endsWith('sses') || SIBILANT_PLURAL.test(word)) return word.slice(0, -2);
  if (word.endsWith('s') && !NOT_PLURAL.test(word)) return word.slice(0, -1);
  return word;
}

function stripVerbEnding(word: string): string {
  if (word.endsWith('ing')) return verbStem(word, word.slice(0, -3), 3);
  if (word.endsWith('ed') && !word.endsWith('eed')) return verbStem(word, word.slice(0, -2), 4);
  return word;
}

/** `candidate` (undoubled) when it is long enough and has a vowel, else `word` unchanged. */
function verbStem(word: string, candidate: string, minLength: number): string {
  if (candidate.length < minLength || !VOWEL.test(candidate)) return word;
  return candidate.length >= 4 && DOUBLED_CONSONANT.test(candidate) ? candidate.slice(0, -1) : candidate;
}

function normaliseEnding(word: string): string {
  if (word.length >= 4 && CONSONANT_Y.test(word)) return `${word.slice(0, -1)}i`;
  if (word.length >= 5 && SILENT_E.test(word)) return word.slice(0, -1);
  return word;
}
