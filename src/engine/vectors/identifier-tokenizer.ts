import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { detached } from '../text/slice';
import type { TextTokenizer, TokenizerSpec } from './tokenizer';

/**
 * The "identifier" tokenizer of Code Scout's own embedding model. It must give exactly the ids that
 * training/codescout_train/tokenizer.py gives (test/tokenizer-parity.test.ts checks shared fixtures):
 *
 * 1. Words are maximal runs of Unicode letters (L*), combining marks (M*) and digits (N*); anything
 *    else separates words.
 * 2. Words split at letter/digit boundaries, at lower→upper boundaries (`fooBar` → `foo|Bar`) and
 *    before the last capital of an acronym followed by a lower-case letter (`HTMLParser` → `HTML|Parser`);
 *    "upper" means Lu or Lt; marks count as lower-case letters.
 * 3. Pieces are lower-cased (full Unicode mapping) and those shorter than `minPieceLength` code points dropped.
 * 4. A piece in the vocabulary maps to its index, any other to `vocab.length + fnv1a32(utf8(piece)) % hashBuckets`.
 */

/** The contents of an identifier tokenizer's file. */
interface IdentifierTokenizerFile {
  kind: 'identifier';
  version: 1;
  minPieceLength: number;
  hashBuckets: number;
  hash: 'fnv1a32-utf8';
  padId: 0;
  vocab: string[];
}

const PAD_PIECE = '<pad>';

const enum CharClass {
  Upper,
  Lower,
  Digit,
  Other,
}

const UPPER = /[\p{Lu}\p{Lt}]/u;
const LETTER_OR_MARK = /[\p{L}\p{M}]/u;
const DIGIT = /\p{N}/u;

function classifySlow(char: string): CharClass {
  if (UPPER.test(char)) return CharClass.Upper;
  if (LETTER_OR_MARK.test(char)) return CharClass.Lower;
  if (DIGIT.test(char)) return CharClass.Digit;
  return CharClass.Other;
}

/** Classes of the ASCII range, precomputed: most source text is ASCII. */
const ASCII_CLASSES = Uint8Array.from({ length: 128 }, (_, code) => classifySlow(String.fromCharCode(code)));

/** Classes of the other code points met so far (a lone surrogate is a code point of its own here, and Other). */
const OTHER_CLASSES = new Map<number, CharClass>();

function classifyCodePoint(codePoint: number): CharClass {
  if (codePoint < 128) return ASCII_CLASSES[codePoint] as CharClass;
  let cls = OTHER_CLASSES.get(codePoint);
  if (cls === undefined) {
    cls = classifySlow(String.fromCodePoint(codePoint));
    if (OTHER_CLASSES.size >= OTHER_CLASSES_LIMIT) OTHER_CLASSES.clear();
    OTHER_CLASSES.set(codePoint, cls);
  }
  return cls;
}

/** Non-ASCII code points whose class is remembered, at most (a few hundred KB). */
const OTHER_CLASSES_LIMIT = 10_000;

/**
 * The words of `text` (rule 1), in order: calls `word(start, end)` with the UTF-16 offsets of each
 * maximal run of letters, marks and digits, until it returns false.
 */
function eachWord(text: string, word: (start: number, end: number) => boolean): void {
  let start = -1; // of the word under way, if any
  for (let i = 0; i < text.length; ) {
    const code = text.charCodeAt(i);
    let cls: CharClass;
    let units = 1;
    if (code < 128) {
      cls = ASCII_CLASSES[code] as CharClass;
    } else {
      const codePoint = text.codePointAt(i)!; // a surrogate pair's code point, a lone surrogate's own value
      cls = classifyCodePoint(codePoint);
      if (codePoint > 0xffff) units = 2;
    }
    if (cls !== CharClass.Other) {
      if (start < 0) start = i;
    } else if (start >= 0) {
      if (!word(start, i)) return;
      start = -1;
    }
    i += units;
  }
  if (start >= 0) word(start, text.length);
}

/** Words up to this many code units have their buffers kept for the next words. */
const KEPT_WORD_BUFFER = 4096;

/** Per code point of the word being split: its class and its UTF-16 offset (reused between words, grown when needed). */
let wordClasses = new Uint8Array(256);
let wordOffsets = new Int32Array(257);

/**
 * The pieces of one word, `text.slice(start, end)` (rules 2–3), lower-cased, those shorter than
 * `minPieceLength` code points dropped: passed to `piece` in order until it returns false.
 */
function eachPiece(text: string, start: number, end: number, minPieceLength: number, piece: (p: string) => boolean): boolean {
  let classes = wordClasses;
  let offsets = wordOffsets;
  if (end - start + 1 > offsets.length) {
    classes = new Uint8Array(2 * (end - start));
    offsets = new Int32Array(2 * (end - start) + 1);
    // kept for the next words unless a very long word (a blob of data) asked for them
    if (end - start <= KEPT_WORD_BUFFER) {
      wordClasses = classes;
      wordOffsets = offsets;
    }
  }
  let count = 0;
  for (let i = start; i < end; ) {
    const code = text.charCodeAt(i);
    offsets[count] = i;
    if (code < 128) {
      classes[count++] = ASCII_CLASSES[code];
      i++;
    } else {
      const codePoint = text.codePointAt(i)!;
      classes[count++] = classifyCodePoint(codePoint);
      i += codePoint > 0xffff ? 2 : 1;
    }
  }
  offsets[count] = end;
  const emit = (from: number, to: number): boolean => {
    if (minPieceLength > 1 && to - from < minPieceLength) {
      // fewer code points than the minimum before lower-casing; lower-casing can lengthen a piece (İ → i̇)
      const lowered = text.slice(offsets[from], offsets[to]).toLowerCase();
      return codePointLength(lowered) >= minPieceLength ? piece(lowered) : true;
    }
    return piece(text.slice(offsets[from], offsets[to]).toLowerCase());
  };
  let from = 0;
  for (let i = 1; i < count; i++) {
    const prev = classes[i - 1];
    const cur = classes[i];
    if (
      (prev === CharClass.Digit) !== (cur === CharClass.Digit) ||
      (prev === CharClass.Lower && cur === CharClass.Upper) ||
      (prev === CharClass.Upper && cur === CharClass.Upper && i + 1 < count && classes[i + 1] === CharClass.Lower)
    ) {
      if (!emit(from, i)) return false;
      from = i;
    }
  }
  return emit(from, count);
}

/**
 * The lower-cased word pieces of `text` (rules 1–3), in order; stops once `limit` pieces are found.
 * Exported for tests.
 */
export function identifierPieces(text: string, minPieceLength: number, limit = Infinity): string[] {
  const out: string[] = [];
  if (limit <= 0) return out;
  const add = (p: string): boolean => {
    out.push(p);
    return out.length < limit;
  };
  eachWord(text, (start, end) => eachPiece(text, start, end, minPieceLength, add));
  return out;
}

function codePointLength(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** 32-bit FNV-1a over the UTF-8 bytes of `s`. */
export function fnv1a32(s: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(s, 'utf8')) {
    hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
  }
  return hash;
}

/** Words whose ids a tokenizer remembers, at most; then it forgets them all and starts again. */
const WORD_MEMO_LIMIT = 20_000;

/** Words longer than this (UTF-16 code units) are not remembered. */
const MEMO_WORD_LENGTH = 64;

class IdentifierTokenizer implements TextTokenizer {
  readonly padId = 0;
  private readonly ids: Map<string, number>;
  private wordList: readonly string[] | undefined;
  /** The ids of words met before: code repeats its identifiers, so most words are one lookup (cleared at WORD_MEMO_LIMIT). */
  private readonly wordIds = new Map<string, readonly number[]>();

  constructor(private readonly file: IdentifierTokenizerFile) {
    this.ids = new Map(file.vocab.map((piece, id) => [piece, id]));
  }

  /** The vocabulary without `<pad>`: pieces ranked by frequency in the training text. */
  get words(): readonly string[] {
    this.wordList ??= this.file.vocab.slice(1);
    return this.wordList;
  }

  encode(text: string, maxTokens: number): number[] {
    const out: number[] = [];
    if (maxTokens <= 0) return out;
    const memo = this.wordIds;
    eachWord(text, (start, end) => {
      // a long word (a hash, a blob of data) is rarely met again: split each time, not remembered
      const word = end - start <= MEMO_WORD_LENGTH ? text.slice(start, end) : undefined;
      let ids = word === undefined ? undefined : memo.get(word);
      if (ids === undefined) {
        const found: number[] = [];
        eachPiece(text, start, end, this.file.minPieceLength, (piece) => found.push(this.idOf(piece)) > 0);
        ids = found;
        if (word !== undefined) {
          if (memo.size >= WORD_MEMO_LIMIT) memo.clear();
          memo.set(detached(word), ids); // not a view of the text, which the memo would keep alive
        }
      }
      for (let k = 0; k < ids.length; k++) {
        out.push(ids[k]);
        if (out.length >= maxTokens) return false;
      }
      return true;
    });
    return out;
  }

  private idOf(piece: string): number {
    return this.ids.get(piece) ?? this.file.vocab.length + (fnv1a32(piece) % this.file.hashBuckets);
  }
}

/**
 * Loads the tokenizer of a model folder whose codescout-model.json names tokenizer kind "identifier";
 * `spec.file` is the tokenizer's JSON file (vocabulary and settings) relative to `modelDir`.
 */
export async function loadIdentifierTokenizer(modelDir: string, spec: TokenizerSpec): Promise<TextTokenizer> {
  const unknownOptions = Object.keys(spec.options);
  if (unknownOptions.length > 0) {
    throw new Error(`tokenizer kind "identifier" takes no options, got: ${unknownOptions.join(', ')}`);
  }
  const file = path.resolve(modelDir, spec.file);
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new Error(`cannot read identifier tokenizer ${file}: ${(err as Error).message}`);
  }
  return new IdentifierTokenizer(validate(parsed, file));
}

function validate(value: unknown, file: string): IdentifierTokenizerFile {
  const fail = (what: string): never => {
    throw new Error(`${file} is not a valid identifier tokenizer: ${what}`);
  };
  if (typeof value !== 'object' || value === null) return fail('not a JSON object');
  const v = value as Record<string, unknown>;
  if (v.kind !== 'identifier') fail(`kind is ${JSON.stringify(v.kind)}, expected "identifier"`);
  if (v.version !== 1) fail(`version ${JSON.stringify(v.version)} is not supported (expected 1)`);
  if (v.hash !== 'fnv1a32-utf8') fail(`hash ${JSON.stringify(v.hash)} is not supported (expected "fnv1a32-utf8")`);
  if (v.padId !== 0) fail('padId must be 0');
  if (!isPositiveInteger(v.minPieceLength)) fail('minPieceLength must be a positive integer');
  if (!isPositiveInteger(v.hashBuckets)) fail('hashBuckets must be a positive integer');
  const vocab = v.vocab;
  if (!Array.isArray(vocab) || vocab[0] !== PAD_PIECE || !vocab.every((p) => typeof p === 'string')) {
    fail(`vocab must be an array of strings starting with "${PAD_PIECE}"`);
  }
  return v as unknown as IdentifierTokenizerFile;
}

function isPositiveInteger(x: unknown): x is number {
  return typeof x === 'number' && Number.isInteger(x) && x > 0;
}
