/**
 * Query spelling (src/engine/search/spelling.ts): the edit distance, the choice of a correction,
 * what is left alone, and the engine's use of it with the shipped model's word list.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { boundedDistance, Speller } from '../src/engine/search/spelling';
import { Engine } from '../src/engine/engine';
import { TempDirs } from './helpers/workspace';

const temp = new TempDirs();
after(() => temp.cleanup());

const SHIPPED_MODEL_DIR = path.join(__dirname, '..', '..', 'models', 'codescout-code-v1');

test('edit distance counts insertions, deletions, substitutions and neighbour swaps, and stops past the bound', () => {
  assert.equal(boundedDistance('string', 'string', 2), 0);
  assert.equal(boundedDistance('stirng', 'string', 2), 1); // swap
  assert.equal(boundedDistance('permisions', 'permissions', 2), 1); // insertion
  assert.equal(boundedDistance('lamda', 'lambda', 2), 1);
  assert.equal(boundedDistance('dictionray', 'dictionary', 2), 1);
  assert.equal(boundedDistance('argumetns', 'arguments', 2), 1);
  assert.equal(boundedDistance('charachhters', 'characters', 2), 2);
  assert.equal(boundedDistance('kitten', 'sitting', 3), 3);
  // beyond the bound the answer is bound + 1, whatever the true distance
  assert.equal(boundedDistance('kitten', 'sitting', 1), 2);
  assert.equal(boundedDistance('a', 'abcdef', 2), 3);
  assert.equal(boundedDistance('', 'ab', 2), 2);
});

// most frequent first
const DICTIONARY = ['the', 'on', 'unit', 'file', 'string', 'list', 'from', 'text', 'with', 'none', 'type', 'lists', 'permissions',
  'permission', 'dictionary', 'arguments', 'lambda', 'background', 'python', 'return', 'semantic', 'sematic', 'union', 'organism'];

test('an unknown word becomes the closest dictionary word, the more frequent on a tie', () => {
  const speller = new Speller(DICTIONARY);
  assert.equal(speller.suggest('permisions'), 'permissions');
  assert.equal(speller.suggest('dictionray'), 'dictionary');
  assert.equal(speller.suggest('vackground'), 'background');
  // one edit from both "semantic" and "sematic": the more frequent wins
  assert.equal(speller.suggest('sementic'), 'semantic');
  assert.equal(speller.suggest('xylophone'), undefined);
});

test('words run together are split into two dictionary words', () => {
  const speller = new Speller(DICTIONARY);
  assert.equal(speller.suggest('fromtext'), 'from text');
  assert.equal(speller.suggest('nonetype'), 'none type');
  assert.equal(speller.suggest('pythonreturn'), 'python return');
  // a split needs parts of three letters or more, however frequent "unit" and "on" are
  assert.equal(speller.suggest('uniton'), 'union');
  // two edits only for words of ten letters or more
  assert.equal(speller.suggest('organises'), undefined);
  assert.equal(speller.suggest('charachhters'), undefined); // "characters" is not in this dictionary
  assert.equal(new Speller(['characters']).suggest('charachhters'), 'characters');
  const { text, corrections } = speller.correct('get listswith Permisions from a dictionray');
  assert.equal(text, 'get lists with permissions from a dictionary');
  assert.deepEqual(corrections, [
    { from: 'listswith', to: 'lists with' },
    { from: 'Permisions', to: 'permissions' },
    { from: 'dictionray', to: 'dictionary' },
  ]);
});

test('known words, short words, identifiers and words the workspace knows are left as typed', () => {
  const speller = new Speller(DICTIONARY);
  const keep = (q: string, isKnown?: (w: string) => boolean) => assert.equal(speller.correct(q, isKnown).text, q);
  keep('string list file'); // dictionary words
  keep('lst strn'); // under five letters
  keep('parsePermisions ReadFILE'); // camelCase and capitals inside a word: typed on purpose
  keep('permisions_cache utf8strng'); // parts of identifiers with underscores or digits
  keep('permisions', (w) => w === 'permisions'); // the workspace's own (misspelt) identifier
  assert.equal(speller.correct('Permisions?').text, 'permissions?');
});

test('the dictionary keeps only words of letters, once, at their first (most frequent) rank', () => {
  const speller = new Speller(['<pad>', 'file', '2d', 'utf8', 'FILE', 'files']);
  assert.equal(speller.size, 2);
  assert.equal(speller.suggest('filess'), 'files');
});

test('the engine searches the corrected query, and leaves words its index knows alone', async () => {
  const repo = await temp.make('spelling-repo');
  await writeFile(
    path.join(repo, 'access.py'),
    'def check_permissions(user, resource):\n    """Return whether the user may open the resource."""\n    return resource in user.grants\n\n' +
      'def permisions_cache():\n    """A typo the project itself made, and searches for."""\n    return {}\n',
  );
  await writeFile(path.join(repo, 'colors.py'), 'def parse_color(text):\n    """Parse a CSS colour."""\n    return text.strip()\n');
  const engine = await Engine.open(repo, { indexDir: await temp.make('spelling-index'), model: SHIPPED_MODEL_DIR });
  try {
    await engine.refresh();
    // "permisions" is an identifier piece of this workspace: kept
    assert.deepEqual(engine.spell('permisions').corrections, []);
    assert.deepEqual(engine.spell('check user permissons').corrections, [{ from: 'permissons', to: 'permissions' }]);
    const answer = await engine.searchAnswer('check user permissons', { top: 1 });
    assert.equal(answer.searchedFor, 'check user permissions');
    assert.equal(answer.hits[0]?.name, 'check_permissions');
    assert.ok(!('searchedFor' in (await engine.searchAnswer('check user permissions'))), 'nothing to correct');
  } finally {
    await engine.close();
  }
  // off by option, and without a model (no dictionary)
  const off = await Engine.open(repo, { indexDir: await temp.make('spelling-index-off'), model: SHIPPED_MODEL_DIR, spelling: false });
  const lexical = await Engine.open(repo, { indexDir: await temp.make('spelling-index-lex'), model: null });
  try {
    assert.deepEqual(off.spell('check user permissons').corrections, []);
    assert.deepEqual(lexical.spell('check user permissons').corrections, []);
  } finally {
    await off.close();
    await lexical.close();
  }
});
