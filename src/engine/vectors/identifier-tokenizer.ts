import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
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

/** Classes of the ASCII range, precomputed: most source text is ASCII. */
const ASCII_CLASSES: readonly CharClass[] = Array.from({ length: 128 }, (_, code) => classifySlow(String.fromCharCode(code)));

function classifySlow(char: string): CharClass {
  if (UPPER.test(char)) return CharClass.Upper;
  if (LETTER_OR_MARK.test(char)) return CharClass.Lower;
  if (DIGIT.test(char)) return CharClass.Digit;
  return CharClass.Other;
}

function classify(char: string): CharClass {
  const code = char.charCodeAt(0);
  return code < 128 ? ASCII_CLASSES[code]! : classifySlow(char);
}

/** Whether a piece ends between `classes[i - 1]` and `classes[i]` (rule 2). */
function isBoundary(classes: readonly CharClass[], i: number): boolean {
  const prev = classes[i - 1]!;
  const cur = classes[i]!;
  return (
    (prev === CharClass.Digit) !== (cur === CharClass.Digit) ||
    (prev === CharClass.Lower && cur === CharClass.Upper) ||
    (prev === CharClass.Upper && cur === CharClass.Upper && classes[i + 1] === CharClass.Lower)
  );
}

/**
 * The lower-cased word pieces of `text` (rules 1–3), in order; stops once `limit` pieces are found.
 * Exported for tests.
 */
export function identifierPieces(text: string, minPieceLength: number, limit = Infinity): string[] {
  const out: string[] = [];
  let chars: string[] = [];
  let classes: CharClass[] = [];
  const emit = (piece: string): void => {
    const lowered = piece.toLowerCase();
    if (codePointLength(lowered) >= minPieceLength) out.push(lowered);
  };
  const flush = (): void => {
    let start = 0;
    for (let i = 1; i < chars.length && out.length < limit; i++) {
      if (isBoundary(classes, i)) {
        emit(chars.slice(start, i).join(''));
        start = i;
      }
    }
    if (chars.length > 0 && out.length < limit) emit(chars.slice(start).join(''));
    chars = [];
    classes = [];
  };
  for (const char of text) {
    if (out.length >= limit) break;
    const cls = classify(char);
    if (cls === CharClass.Other) {
      flush();
    } else {
      chars.push(char);
      classes.push(cls);
    }
  }
  if (out.length < limit) flush();
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

class IdentifierTokenizer implements TextTokenizer {
  readonly padId = 0;
  private readonly ids: Map<string, number>;
  private wordList: readonly string[] | undefined;

  constructor(private readonly file: IdentifierTokenizerFile) {
    this.ids = new Map(file.vocab.map((piece, id) => [piece, id]));
  }

  /** The vocabulary without `<pad>`: pieces ranked by frequency in the training text. */
  get words(): readonly string[] {
    this.wordList ??= this.file.vocab.slice(1);
    return this.wordList;
  }

  encode(text: string, maxTokens: number): number[] {
    return identifierPieces(text, this.file.minPieceLength, maxTokens).map((piece) => this.idOf(piece));
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
