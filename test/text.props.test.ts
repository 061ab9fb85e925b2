/**
 * Property tests of everything that reads a user's or a file's text before it is searched:
 * query parsing (search/query.ts), spelling (search/spelling.ts), lexical words and fields
 * (text/words.ts, index/lexical-fields.ts) and both tokenizers (the shipped model's identifier
 * tokenizer and a Hugging Face tokenizer, the tiny test model's). On arbitrary Unicode text,
 * including the names on Object.prototype, lone surrogates, right-to-left text, emoji, control
 * characters and strings of 100 KB, each must not throw and must give well-formed output, as
 * defined in each test. `npm run fuzz` runs many more cases (test/helpers/fuzz.ts).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { lexicalFields, lexicalQueryTokens, termOf } from '../src/engine/index/lexical-fields';
import { defaultEnglishWordsFile, loadEnglishWords } from '../src/engine/search/english-words';
import { parseQuery } from '../src/engine/search/query';
import { Speller } from '../src/engine/search/spelling';
import { MAX_WORD_LENGTH, splitWords, stem } from '../src/engine/text/words';
import type { LanguageId } from '../src/engine/types';
import { identifierPieces } from '../src/engine/vectors/identifier-tokenizer';
import { loadTokenizer, type TextTokenizer } from '../src/engine/vectors/tokenizer';
import { fuzzParams } from './helpers/fuzz';
import { buildTinyModel, SPECIAL_TOKENS, type TinyModel } from './helpers/tiny-model';
import { PACKAGE_ROOT, TempDirs } from './helpers/workspace';

const SHIPPED_MODEL_DIR = path.join(PACKAGE_ROOT, 'models', 'codescout-code-v1');
const SHIPPED_TOKENIZER = JSON.parse(readFileSync(path.join(SHIPPED_MODEL_DIR, 'tokenizer.json'), 'utf8')) as {
  vocab: string[];
  hashBuckets: number;
  minPieceLength: number;
};
const LANGUAGE_IDS: readonly LanguageId[] = [
  'typescript', 'tsx', 'javascript', 'python', 'go', 'rust', 'java', 'c', 'cpp', 'csharp', 'ruby', 'php', 'markdown', 'text',
];
const HUNDRED_KB = 100 * 1024;

/** Pieces of hostile text; arbitrary strings are built from them. */
const piece: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...Object.getOwnPropertyNames(Object.prototype)),
  fc.string({ unit: 'binary', maxLength: 4 }), // any code point, astral ones included
  fc.string({ unit: 'grapheme', maxLength: 4 }),
  fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)), // lone surrogates
  fc.integer({ min: 0, max: 0x1f }).map((c) => String.fromCharCode(c)), // C0 controls
  fc.constantFrom('\u007f', '\u0085', '\u00a0', '\u2028', '\u2029', '\ufeff', '\u200b', '\u200d', '\ufffd', '\u0000'),
  fc.constantFrom('مرحبا بالعالم', 'שלום', 'كتاب_القراءة', '\u202e', '\u202b', '\u200f', '\u061c', 'ערך2'), // right-to-left
  fc.constantFrom('😀', '👨‍👩‍👧‍👦', '🇫🇷', '❤️', '🏳️‍🌈', 'e\u0301', 'İ', 'ß', 'ǅ', 'Σ', 'ﬁ', '𝔘𝔫𝔦'), // emoji, combining, case oddities
  fc.constantFrom('parseJSONFile', 'read_file', 'HTTPServer', 'getURLs', 'utf8Decode', 'python', 'golang', 'c++', 'c#', 'PYTHON', 'permisions', 'fromtext'),
  fc.constantFrom(' ', '  ', '\t', '\n', '_', '-', '.', '#', '+', '/', '\\', '$', '{', '}'),
);

/** Arbitrary text of up to 40 pieces. */
const text: fc.Arbitrary<string> = fc.array(piece, { maxLength: 40 }).map((parts) => parts.join(''));

/** Text of at least 100 KB: a few pieces repeated. */
const hugeText: fc.Arbitrary<string> = fc.array(piece, { minLength: 1, maxLength: 6 }).map((parts) => {
  const unit = parts.join('') || 'x';
  return unit.repeat(Math.ceil(HUNDRED_KB / unit.length));
});

/** Fixed 100 KB strings that a repeated short unit does not make: one long word, one long identifier. */
const HUGE_FIXED = [
  'a'.repeat(HUNDRED_KB),
  'aB'.repeat(HUNDRED_KB / 2),
  'x_'.repeat(HUNDRED_KB / 2),
  '\ud800'.repeat(HUNDRED_KB),
  'مرحبا'.repeat(HUNDRED_KB / 5),
  Array.from({ length: HUNDRED_KB / 8 }, (_, i) => `w${i.toString(36)}x`).join(' '),
];

function assertWords(words: readonly string[], what: string): void {
  assert.ok(Array.isArray(words), what);
  for (const w of words) {
    assert.equal(typeof w, 'string', what);
    assert.ok(w.length > 0 && w.length <= MAX_WORD_LENGTH, `${what}: ${JSON.stringify(w)}`);
    assert.ok(!/[\s_]/u.test(w), `${what}: ${JSON.stringify(w)} holds a separator`);
  }
}

describe('lexical words', () => {
  /** Well-formed: non-empty words of at most MAX_WORD_LENGTH, no spaces or underscores, the same each time. */
  const check = (t: string): void => {
    const words = splitWords(t);
    assertWords(words, 'splitWords');
    assert.deepEqual(splitWords(t), words, 'the same words twice (the memo changes nothing)');
    for (const w of words) {
      const s = stem(w);
      assert.ok(typeof s === 'string' && s.length > 0 && s.length <= w.length, `stem(${JSON.stringify(w)}) = ${JSON.stringify(s)}`);
    }
    const terms = lexicalQueryTokens(t);
    assert.deepEqual(terms, words.map(termOf), 'the term of each word, in order');
    assert.deepEqual(lexicalQueryTokens(t), terms, 'the same terms twice (the memo changes nothing)');
    for (const term of terms) assert.ok(typeof term === 'string' && term.length > 0, JSON.stringify(term));
  };

  test('splitWords, stem and lexicalQueryTokens on arbitrary text', () => {
    fc.assert(fc.property(text, check), fuzzParams(300));
  });

  test('text separated by a space splits into the words of each side', () => {
    fc.assert(
      fc.property(text, text, (a, b) => {
        assert.deepEqual(splitWords(`${a} ${b}`), [...splitWords(a), ...splitWords(b)]);
      }),
      fuzzParams(200),
    );
  });

  test('lexical fields of a chunk made of arbitrary text', () => {
    fc.assert(
      fc.property(text, text, text, text, (name, body, doc, file) => {
        const fields = lexicalFields({
          path: `src/${file}.ts`, language: 'typescript', kind: 'function', name, container: doc, signature: name,
          doc, text: body, startByte: 0, endByte: body.length, startLine: 1, endLine: 1,
        });
        for (const f of fields) {
          assert.ok(f.weight > 0 && Number.isFinite(f.weight));
          assert.ok(f.tokens.length > 0, 'an empty field is left out');
          for (const token of f.tokens) assert.ok(typeof token === 'string' && token.length > 0);
        }
      }),
      fuzzParams(150),
    );
  });

  test('100 KB texts', () => {
    for (const t of HUGE_FIXED) check(t);
    fc.assert(fc.property(hugeText, check), fuzzParams(5));
  });
});

describe('query parsing', () => {
  /**
   * Well-formed: lexical tokens as lexicalQueryTokens gives them; languages are distinct language
   * ids; with no language named, the tokens are exactly those of the whole text; the same each time.
   */
  const check = (t: string): void => {
    const q = parseQuery(t);
    for (const token of q.lexicalTokens) assert.ok(typeof token === 'string' && token.length > 0, JSON.stringify(token));
    assert.equal(new Set(q.languages).size, q.languages.length, 'each language once');
    for (const l of q.languages) assert.ok(LANGUAGE_IDS.includes(l), `unknown language ${String(l)}`);
    if (q.languages.length === 0) assert.deepEqual(q.lexicalTokens, lexicalQueryTokens(t));
    assert.deepEqual(parseQuery(t), q);
  };

  test('arbitrary text', () => {
    fc.assert(fc.property(text, check), fuzzParams(300));
  });

  test('a language named between spaces is reported, and its name is not a search word', () => {
    fc.assert(
      fc.property(text, text, fc.constantFrom(['python', 'python'], ['Golang', 'go'], ['C++', 'cpp'], ['c#', 'csharp'], ['RUBY', 'ruby']), (a, b, [name, id]) => {
        const q = parseQuery(`${a} ${name} ${b}`);
        assert.ok(q.languages.includes(id as LanguageId), JSON.stringify(q));
        check(`${a} ${name} ${b}`);
      }),
      fuzzParams(200),
    );
  });

  test('100 KB texts', () => {
    for (const t of HUGE_FIXED) check(t);
    fc.assert(fc.property(hugeText, check), fuzzParams(5));
  });
});

describe('spelling, with the shipped model word list and English word list', () => {
  const dictionary = SHIPPED_TOKENIZER.vocab.slice(1);
  const known = new Set(dictionary.map((w) => w.toLowerCase()));
  let english: ReadonlySet<string>;
  let speller: Speller;
  before(() => {
    const list = loadEnglishWords(defaultEnglishWordsFile());
    assert.ok(list, `the English word list is built (${defaultEnglishWordsFile()}; run node esbuild.mjs)`);
    english = list;
    speller = new Speller(dictionary, { keep: english }); // as the engine builds it
  });

  /**
   * Well-formed: each correction replaces a word of the query by one or two dictionary words;
   * without corrections the text is unchanged; correcting the corrected text changes nothing more;
   * the same each time.
   */
  const check = (t: string): void => {
    const spelled = speller.correct(t);
    assert.equal(typeof spelled.text, 'string');
    if (spelled.corrections.length === 0) assert.equal(spelled.text, t);
    for (const { from, to } of spelled.corrections) {
      assert.ok(t.includes(from), `${JSON.stringify(from)} is a word of the query`);
      const parts = to.split(' ');
      assert.ok(parts.length <= 2 && parts.every((p) => known.has(p)), `${JSON.stringify(to)} is made of dictionary words`);
    }
    assert.deepEqual(speller.correct(spelled.text).corrections, [], `${JSON.stringify(spelled.text)} needs no more correction`);
    assert.deepEqual(speller.correct(t), spelled);
  };

  test('arbitrary text', () => {
    fc.assert(fc.property(text, check), fuzzParams(150));
  });

  /**
   * Issue #10: a real word is never changed. Queries of words from the English list (as typed:
   * lower-case, capitalised or in capitals), other words of letters (typos among them) and
   * separators: no correction is of an English word, and the English words alone, with their
   * separators, come back unchanged.
   */
  test('no word of the English list is ever changed', () => {
    const list = [...english];
    const englishWord = fc.nat({ max: list.length - 1 }).map((i) => list[i]!);
    const word = fc.oneof(
      { arbitrary: englishWord, weight: 3 },
      fc.stringMatching(/^[a-z]{5,14}$/),
      fc.constantFrom('permisions', 'dictionray', 'fromtext', 'lunat', 'estimte', 'surfaceed'),
    );
    const as = fc.constantFrom(
      (w: string) => w,
      (w: string) => w.charAt(0).toUpperCase() + w.slice(1),
      (w: string) => w.toUpperCase(),
    );
    const separator = fc.constantFrom(' ', ', ', '. ', '? ', '\n', ' (', ') ', ' / ', '"', ': ');
    fc.assert(
      fc.property(fc.array(fc.tuple(word, as, separator), { minLength: 1, maxLength: 12 }), (parts) => {
        const query = parts.map(([w, typed, sep]) => typed(w) + sep).join('');
        for (const { from } of speller.correct(query).corrections) {
          assert.ok(!english.has(from.toLowerCase()), `${JSON.stringify(from)} is an English word, changed in ${JSON.stringify(query)}`);
        }
        const real = parts.filter(([w]) => english.has(w)).map(([w, typed, sep]) => typed(w) + sep).join('');
        assert.deepEqual(speller.correct(real), { text: real, corrections: [] });
      }),
      fuzzParams(200),
    );
  });

  test('suggestions for arbitrary words are dictionary words', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z\u00e0-\u00ff]{1,24}$/), (word) => {
        const s = speller.suggest(word);
        if (s !== undefined) assert.ok(s.split(' ').every((p) => known.has(p)), s);
      }),
      fuzzParams(100),
    );
  });

  test('100 KB texts', () => {
    for (const t of HUGE_FIXED) check(t);
    fc.assert(fc.property(hugeText, check), fuzzParams(5));
  });
});

describe('tokenizers', () => {
  const temp = new TempDirs();
  let identifier: TextTokenizer;
  let huggingFace: TextTokenizer;
  let tiny: TinyModel;
  before(async () => {
    identifier = await loadTokenizer(SHIPPED_MODEL_DIR, { kind: 'identifier', file: 'tokenizer.json', options: {} });
    tiny = await buildTinyModel(await temp.make('props-model'));
    huggingFace = await loadTokenizer(tiny.dir, { kind: 'huggingface', file: 'tokenizer.json', options: {} });
  });
  after(() => temp.cleanup());

  const maxTokens = fc.integer({ min: 1, max: 64 });

  /**
   * Identifier tokenizer, well-formed: at most `max` ids, one per word piece, each an integer in
   * 1 … vocabulary + hash buckets - 1 (0 is padding); a shorter limit gives a prefix; the same each time.
   */
  const checkIdentifier = (t: string, max: number): void => {
    const ids = identifier.encode(t, max);
    const pieces = identifierPieces(t, SHIPPED_TOKENIZER.minPieceLength, max);
    assert.ok(ids.length <= max);
    assert.equal(ids.length, pieces.length);
    for (const p of pieces) assert.ok(p.length > 0);
    const idSpace = SHIPPED_TOKENIZER.vocab.length + SHIPPED_TOKENIZER.hashBuckets;
    for (const id of ids) assert.ok(Number.isInteger(id) && id >= 1 && id < idSpace, `id ${id}`);
    assert.deepEqual(identifier.encode(t, max), ids);
    if (max > 1) assert.deepEqual(identifier.encode(t, max - 1), ids.slice(0, max - 1));
  };

  /**
   * Hugging Face tokenizer, well-formed: [CLS] … [SEP], at most `max` ids (at least the two
   * special tokens), each an integer id of the vocabulary; the same each time.
   */
  const checkHuggingFace = (t: string, max: number): void => {
    const limit = Math.max(max, 2);
    const ids = huggingFace.encode(t, limit);
    assert.ok(ids.length >= 2 && ids.length <= limit, `${ids.length} ids for a limit of ${limit}`);
    assert.equal(ids[0], tiny.vocab.indexOf(SPECIAL_TOKENS[2]));
    assert.equal(ids[ids.length - 1], tiny.vocab.indexOf(SPECIAL_TOKENS[3]));
    for (const id of ids) assert.ok(Number.isInteger(id) && id >= 0 && id < tiny.vocab.length, `id ${id}`);
    assert.deepEqual(huggingFace.encode(t, limit), ids);
  };

  test('identifier tokenizer (shipped model) on arbitrary text', () => {
    fc.assert(fc.property(text, maxTokens, checkIdentifier), fuzzParams(300));
  });

  test('Hugging Face tokenizer (tiny model) on arbitrary text', () => {
    fc.assert(fc.property(text, maxTokens, checkHuggingFace), fuzzParams(300));
  });

  test('100 KB texts, at the shipped model window', () => {
    for (const t of HUGE_FIXED) {
      checkIdentifier(t, 512);
      checkHuggingFace(t, 64);
    }
    fc.assert(
      fc.property(hugeText, (t) => {
        checkIdentifier(t, 512);
        checkHuggingFace(t, 64);
      }),
      fuzzParams(3),
    );
  });
});
