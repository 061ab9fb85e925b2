/**
 * The identifier tokenizer scans text by UTF-16 code unit, with a table for ASCII, and remembers
 * the ids of the words it has met. Its pieces and ids must be exactly those of the plain
 * definition (a code point at a time, a piece at a time), which training/codescout_train/tokenizer.py
 * mirrors: this file keeps that definition as the model, and compares the two on random text
 * (ASCII identifiers, acronyms, digits, accents and combining marks, Greek final sigma, `İ`,
 * surrogate pairs, lone surrogates, separators), at every piece limit, with the memo cold and warm.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { fnv1a32, identifierPieces, loadIdentifierTokenizer } from '../src/engine/vectors/identifier-tokenizer';
import { fuzzParams } from './helpers/fuzz';

const FIXTURES = path.join(path.resolve(__dirname, '..', '..'), 'test', 'fixtures', 'tokenizer-parity');

const enum C {
  Upper,
  Lower,
  Digit,
  Other,
}

/** The model: rules 1–3 of identifier-tokenizer.ts, a code point at a time (the tokenizer's first form). */
function modelPieces(text: string, minPieceLength: number, limit = Infinity): string[] {
  const classify = (ch: string): C =>
    /[\p{Lu}\p{Lt}]/u.test(ch) ? C.Upper : /[\p{L}\p{M}]/u.test(ch) ? C.Lower : /\p{N}/u.test(ch) ? C.Digit : C.Other;
  const out: string[] = [];
  let chars: string[] = [];
  let classes: C[] = [];
  const emit = (piece: string) => {
    const lowered = piece.toLowerCase();
    if ([...lowered].length >= minPieceLength) out.push(lowered);
  };
  const flush = () => {
    let start = 0;
    for (let i = 1; i < chars.length && out.length < limit; i++) {
      const p = classes[i - 1];
      const c = classes[i];
      if ((p === C.Digit) !== (c === C.Digit) || (p === C.Lower && c === C.Upper) || (p === C.Upper && c === C.Upper && classes[i + 1] === C.Lower)) {
        emit(chars.slice(start, i).join(''));
        start = i;
      }
    }
    if (chars.length > 0 && out.length < limit) emit(chars.slice(start).join(''));
    chars = [];
    classes = [];
  };
  for (const ch of text) {
    if (out.length >= limit) break;
    const cls = classify(ch);
    if (cls === C.Other) flush();
    else {
      chars.push(ch);
      classes.push(cls);
    }
  }
  if (out.length < limit) flush();
  return out.slice(0, limit);
}

/** Characters that exercise every rule: each class, case pairs that change length, marks, astral letters and digits, lone halves. */
const ALPHABET = [
  'a', 'b', 'z', 'A', 'B', 'Z', '0', '7', '9', '_', ' ', '.', '-', '\n', '$',
  'é', 'É', 'ß', 'İ', 'ı', 'Σ', 'σ', 'ς', 'ǅ', 'ǆ', '\u0301', '\u0663', '²', '½',
  '𝐀', '𝐚', '𝟘', '😀', '\uD835', '\uDC00', 'ー', '漢', '\u200B',
];

const text = fc.array(fc.constantFrom(...ALPHABET), { maxLength: 40 }).map((cs) => cs.join(''));
const identifierish = fc
  .array(fc.oneof(fc.constantFrom('get', 'HTTP', 'Response', 'parse', 'JSON', 'x', 'V2', '2', 'Über', 'ΣΑΣ'), fc.constantFrom(...ALPHABET)), { maxLength: 12 })
  .map((cs) => cs.join(''));

test('pieces are those of the code-point-at-a-time definition, at every limit and minimum length', () => {
  fc.assert(
    fc.property(fc.oneof(text, identifierish), fc.integer({ min: 1, max: 3 }), fc.option(fc.integer({ min: 0, max: 12 }), { nil: undefined }), (t, min, limit) => {
      assert.deepEqual(identifierPieces(t, min, limit), modelPieces(t, min, limit));
    }),
    fuzzParams(2000),
  );
});

/** The fixtures' small tokenizer (hashing path included), and the ids the model gives with its vocabulary. */
async function smallTokenizer() {
  const tokenizer = await loadIdentifierTokenizer(FIXTURES, { kind: 'identifier', options: {}, file: 'small/tokenizer.json' });
  const { vocab, minPieceLength, hashBuckets } = JSON.parse(readFileSync(path.join(FIXTURES, 'small', 'tokenizer.json'), 'utf8')) as {
    vocab: string[];
    minPieceLength: number;
    hashBuckets: number;
  };
  const ids = new Map(vocab.map((p, i) => [p, i]));
  const modelIds = (t: string, max: number) => modelPieces(t, minPieceLength, max).map((p) => ids.get(p) ?? vocab.length + (fnv1a32(p) % hashBuckets));
  return { tokenizer, modelIds, minPieceLength };
}

test('ids are those of the model pieces, whether the words were met before or not', async () => {
  const { tokenizer, modelIds } = await smallTokenizer();
  fc.assert(
    fc.property(fc.array(fc.oneof(text, identifierish), { minLength: 1, maxLength: 4 }), fc.integer({ min: 0, max: 20 }), (texts, max) => {
      // the same words again and again, in texts cut at different limits: the memo must give what a fresh tokenizer gives
      for (const t of [...texts, ...texts]) assert.deepEqual(tokenizer.encode(t, max), modelIds(t, max), JSON.stringify(t));
    }),
    fuzzParams(500),
  );
});

test('long words, which are split each time and not remembered, give the model pieces and ids too', async () => {
  const { tokenizer, modelIds, minPieceLength } = await smallTokenizer();
  // 65 and 5,000 code units (past the memo's and the kept buffers' lengths), then a short word that reuses the buffers
  const medium = 'getHTTPResponse2Code'.repeat(4).slice(0, 65);
  const long = Array.from({ length: 1000 }, (_, i) => ['Ab', 'CD', 'ef', '12', 'Σς'][i % 5]).join('').slice(0, 5000);
  for (const text of [medium, `${medium} ${medium}`, long, `x ${long} parseJSON`, 'parseJSONFile']) {
    for (const max of [3, 512, 100_000]) {
      assert.deepEqual(identifierPieces(text, minPieceLength, max), modelPieces(text, minPieceLength, max));
      assert.deepEqual(tokenizer.encode(text, max), modelIds(text, max));
    }
  }
});
