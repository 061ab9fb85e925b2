import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { fnv1a32, identifierPieces, loadIdentifierTokenizer } from '../src/engine/vectors/identifier-tokenizer';
import { loadTokenizer } from '../src/engine/vectors/tokenizer';

/**
 * The fixtures are written by the training side (training/codescout_train/parity_fixture.py):
 * for each text, the pieces and ids that the Python tokenizer the model was trained with produces.
 */
const REPO_ROOT = path.resolve(__dirname, '..', '..');
const FIXTURES = path.join(REPO_ROOT, 'test', 'fixtures', 'tokenizer-parity');
const SHIPPED_MODEL_DIR = path.join(REPO_ROOT, 'models', 'codescout-code-v1');

interface ParityCase {
  text: string;
  maxTokens: number;
  pieces: string[];
  ids: number[];
}

function readCases(file: string): ParityCase[] {
  return (JSON.parse(readFileSync(path.join(FIXTURES, file), 'utf8')) as { cases: ParityCase[] }).cases;
}

function vocabSize(tokenizerFile: string): number {
  return (JSON.parse(readFileSync(tokenizerFile, 'utf8')) as { vocab: string[] }).vocab.length;
}

const noOptions = { kind: 'identifier', options: {} } as const;

test('pieces and ids match the training tokenizer on a small vocabulary (hashing path)', async () => {
  const cases = readCases('small-cases.json');
  const tokenizer = await loadIdentifierTokenizer(FIXTURES, { ...noOptions, file: 'small/tokenizer.json' });
  for (const c of cases) {
    assert.deepEqual(identifierPieces(c.text, 2, c.maxTokens), c.pieces, `pieces of ${JSON.stringify(c.text)}`);
    assert.deepEqual(tokenizer.encode(c.text, c.maxTokens), c.ids, `ids of ${JSON.stringify(c.text)}`);
  }
  const known = vocabSize(path.join(FIXTURES, 'small', 'tokenizer.json'));
  const ids = cases.flatMap((c) => c.ids);
  assert.ok(ids.some((id) => id < known), 'fixture covers vocabulary pieces');
  assert.ok(ids.some((id) => id >= known), 'fixture covers hashed pieces');
});

test('ids match the training tokenizer with the shipped model vocabulary', async () => {
  const tokenizer = await loadTokenizer(SHIPPED_MODEL_DIR, { ...noOptions, file: 'tokenizer.json' });
  assert.equal(tokenizer.padId, 0);
  for (const c of readCases('shipped-model-cases.json')) {
    assert.deepEqual(tokenizer.encode(c.text, c.maxTokens), c.ids, `ids of ${JSON.stringify(c.text)}`);
  }
});

test('splits identifiers at case, acronym and digit boundaries and drops one-letter pieces', () => {
  assert.deepEqual(identifierPieces('getHTTPResponse2Code x_y', 2), ['get', 'http', 'response', 'code']);
  assert.deepEqual(identifierPieces('parse_JSONFile', 2), ['parse', 'json', 'file']);
  assert.deepEqual(identifierPieces('naïveΣΑΣ', 2), ['naïve', 'σας']);
  assert.deepEqual(identifierPieces('a b c', 1), ['a', 'b', 'c']);
});

test('encode truncates to maxTokens', async () => {
  const tokenizer = await loadIdentifierTokenizer(FIXTURES, { ...noOptions, file: 'small/tokenizer.json' });
  assert.equal(tokenizer.encode('one two three four', 3).length, 3);
  assert.deepEqual(tokenizer.encode('one two three four', 0), []);
});

test('fnv1a32 hashes UTF-8 bytes', () => {
  assert.equal(fnv1a32(''), 0x811c9dc5);
  assert.equal(fnv1a32('a'), 0xe40c292c);
  assert.equal(fnv1a32('é'), fnv1a32('\u00e9'));
  assert.notEqual(fnv1a32('é'), fnv1a32('e\u0301'));
});

test('rejects options and malformed tokenizer files with the reason', async () => {
  await assert.rejects(
    loadIdentifierTokenizer(FIXTURES, { ...noOptions, file: 'small/tokenizer.json', options: { lowercase: false } }),
    /takes no options, got: lowercase/,
  );
  await assert.rejects(
    loadIdentifierTokenizer(FIXTURES, { ...noOptions, file: 'small-cases.json' }),
    /not a valid identifier tokenizer: kind is undefined/,
  );
  await assert.rejects(loadIdentifierTokenizer(FIXTURES, { ...noOptions, file: 'missing.json' }), /cannot read identifier tokenizer/);
});
