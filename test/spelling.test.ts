/**
 * Query spelling (src/engine/search/spelling.ts): the edit distance, the choice of a correction,
 * what is left alone, and the engine's use of it with the shipped model's word list.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { readFileSync } from 'node:fs';
import { defaultEnglishWordsFile, loadEnglishWords } from '../src/engine/search/english-words';
import { boundedDistance, distanceRows, Speller } from '../src/engine/search/spelling';
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

/** Textbook optimal-string-alignment distance over the whole matrix, to check the banded one against. */
function referenceDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}

test('the banded distance agrees with the whole-matrix one on random words, with rows reused', () => {
  let seed = 7;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const word = () => Array.from({ length: 1 + Math.floor(random() * 12) }, () => 'abcde'[Math.floor(random() * 5)]).join('');
  const rows = distanceRows(40);
  for (let n = 0; n < 3000; n++) {
    const [a, b, max] = [word(), word(), 1 + Math.floor(random() * 3)];
    const want = Math.min(referenceDistance(a, b), max + 1);
    assert.equal(boundedDistance(a, b, max, rows), want, `${a} ${b} ${max}`);
    assert.equal(boundedDistance(a, b, max), want, `${a} ${b} ${max} (own rows)`);
  }
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

test('a word repeated in a query is looked up once, and corrected everywhere it is', () => {
  const speller = new Speller(DICTIONARY);
  const asked: string[] = [];
  const { text, corrections } = speller.correct('Permisions permisions PERMISIONS dictionray permisions', (w) => {
    asked.push(w);
    return false;
  });
  assert.equal(text, 'permissions permissions PERMISIONS dictionary permissions');
  assert.deepEqual(asked, ['permisions', 'dictionray']);
  assert.equal(corrections.length, 4);
});

test('splits reach as far as the longest dictionary word on either side, and no further', () => {
  const long = 'internationalisation';
  const speller = new Speller([long, 'cat', 'dog']);
  assert.equal(speller.suggest(`${long}cat`), `${long} cat`);
  assert.equal(speller.suggest(`dog${long}`), `dog ${long}`);
  assert.equal(speller.suggest(`${long}${long}`), `${long} ${long}`);
  // longer than two dictionary words and out of reach of any: nothing to suggest
  assert.equal(speller.suggest(`${long}${long}x`), undefined);
  assert.equal(speller.suggest('x'.repeat(100_000)), undefined);
  assert.deepEqual(speller.correct(`${'ab'.repeat(50_000)} dgo`.repeat(2)).corrections, []);
});

test('the dictionary keeps only words of letters, once, at their first (most frequent) rank', () => {
  const speller = new Speller(['<pad>', 'file', '2d', 'utf8', 'FILE', 'files']);
  assert.equal(speller.size, 2);
  assert.equal(speller.suggest('filess'), 'files');
});

test('a real word the dictionary lacks is kept as typed, and never suggested', () => {
  const keep = new Set(['lunar', 'tide', 'permisions']);
  const speller = new Speller(['luna', 'tides', 'permissions', 'phase'], { keep });
  assert.deepEqual(new Speller(['luna', 'tides']).correct('Lunar tide').corrections, [{ from: 'Lunar', to: 'luna' }], 'without the list');
  assert.deepEqual(speller.correct('Lunar tide LUNAR').corrections, []);
  // a kept word wins over a close dictionary word, and a typo is corrected to a dictionary word only
  assert.equal(speller.correct('permisions').text, 'permisions');
  assert.equal(speller.suggest('lunat'), 'luna');
  assert.equal(speller.correct('phasse lunat').text, 'phase luna');
  assert.equal(speller.size, 4, 'kept words are not dictionary words');
});

/** The shipped model's vocabulary, most frequent first, as the engine gives it to the speller. */
function shippedVocabulary(): string[] {
  const file = JSON.parse(readFileSync(path.join(SHIPPED_MODEL_DIR, 'tokenizer.json'), 'utf8')) as { vocab: string[] };
  return file.vocab.slice(1);
}

test('with the shipped word lists, real words are kept and typos corrected', () => {
  const english = loadEnglishWords(defaultEnglishWordsFile());
  assert.ok(english && english.size > 100_000, `the English word list is built (${defaultEnglishWordsFile()}; run node esbuild.mjs)`);
  const vocabulary = shippedVocabulary();
  const speller = new Speller(vocabulary, { keep: english });
  // the query of issue #10: "lunar" is not in the model's vocabulary, and used to become "luna"
  assert.ok(!vocabulary.includes('lunar'));
  assert.equal(new Speller(vocabulary).correct('lunar phase tide estimate').text, 'luna phase tide estimate');
  assert.deepEqual(speller.correct('lunar phase tide estimate'), { text: 'lunar phase tide estimate', corrections: [] });
  for (const q of ['how are retries surfaced to the caller', 'discriminated union schema', 'automate the release']) {
    assert.deepEqual(speller.correct(q).corrections, [], q);
  }
  assert.equal(speller.correct('enable executable permisions').text, 'enable executable permissions');
  assert.equal(speller.correct('create dictionray from keys').text, 'create dictionary from keys');
  assert.equal(speller.correct('passing functions as argumetns').text, 'passing functions as arguments');
  assert.equal(speller.correct('running in vackground').text, 'running in background');
  assert.equal(speller.correct('get contents fromtext file').text, 'get contents from text file');
});

test('the shipped English list is lower-case words of letters, with its copyright notice beside it', () => {
  const file = defaultEnglishWordsFile();
  const lines = readFileSync(file, 'utf8').split('\n');
  assert.equal(lines.pop(), '', 'ends with a newline');
  assert.ok(lines.every((w) => /^\p{Ll}+$/u.test(w)), 'one lower-case word of letters a line');
  assert.equal(new Set(lines).size, lines.length, 'each word once');
  for (const w of ['lunar', 'tide', 'estimate', 'colour', 'color', 'minify']) assert.ok(lines.includes(w), w);
  for (const w of ['permisions', 'dictionray', 'luna']) assert.ok(!lines.includes(w), w);
  const notice = readFileSync(path.join(path.dirname(file), 'english-words-copyright.txt'), 'utf8');
  assert.match(notice, /SCOWL/);
  assert.match(notice, /Copyright 2000-2016 by Kevin Atkinson/);
});

test('a missing English list leaves spelling to the model vocabulary, and is reported once', async () => {
  const repo = await temp.make('spelling-nolist-repo');
  await writeFile(path.join(repo, 'tides.py'), 'def high_water(day):\n    return day\n');
  const missing = path.join(repo, 'no-such-words.txt');
  const said: string[] = [];
  const log = (m: string) => said.push(m);
  const engines = [
    await Engine.open(repo, { indexDir: await temp.make('spelling-nolist-index'), model: SHIPPED_MODEL_DIR, englishWords: missing, log }),
    await Engine.open(repo, { indexDir: await temp.make('spelling-nolist-index2'), model: SHIPPED_MODEL_DIR, englishWords: missing, log }),
  ];
  try {
    for (const engine of engines) {
      assert.deepEqual(engine.spell('check user permissons').corrections, [{ from: 'permissons', to: 'permissions' }]);
      assert.equal(engine.spell('lunar phase').text, 'luna phase', 'the model vocabulary alone');
    }
    const about = said.filter((m) => m.includes(missing));
    assert.equal(about.length, 1, JSON.stringify(said));
    assert.match(about[0]!, /English word list/);
  } finally {
    for (const engine of engines) await engine.close();
  }
});

test('the English list is read only when a query word is in neither the dictionary nor the index', async () => {
  const repo = await temp.make('spelling-lazylist-repo');
  await writeFile(path.join(repo, 'tides.py'), 'def high_water(day):\n    return day\n');
  const missing = path.join(repo, 'no-such-words-either.txt');
  const said: string[] = [];
  const engine = await Engine.open(repo, { indexDir: await temp.make('spelling-lazylist-index'), model: SHIPPED_MODEL_DIR, englishWords: missing, log: (m) => said.push(m) });
  try {
    await engine.refresh();
    // dictionary words, short words and a word of the workspace's own index
    assert.equal(engine.spell('parse the configuration file high_water').text, 'parse the configuration file high_water');
    assert.deepEqual(engine.spell('tides').corrections, []);
    assert.deepEqual(said.filter((m) => m.includes(missing)), [], 'not read yet');
    engine.spell('lunar phase');
    assert.equal(said.filter((m) => m.includes(missing)).length, 1, 'read (and found missing) for a word the dictionary lacks');
  } finally {
    await engine.close();
  }
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
    // real words are kept with the shipped English list (issue #10)
    assert.deepEqual(engine.spell('lunar phase tide estimate').corrections, []);
    assert.ok(!('searchedFor' in (await engine.searchAnswer('lunar phase tide estimate'))));
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

test("a word of a folder's name is the workspace's: kept as typed, though no file or identifier holds it", async () => {
  const repo = await temp.make('spelling-folders');
  await mkdir(path.join(repo, 'src', 'axios'), { recursive: true });
  await writeFile(path.join(repo, 'src', 'axios', 'client.py'), 'def send(request):\n    """Send the request."""\n    return request\n');
  const engine = await Engine.open(repo, { indexDir: await temp.make('spelling-folders-index'), model: SHIPPED_MODEL_DIR });
  try {
    await engine.refresh();
    assert.deepEqual(engine.spell('axios send request').corrections, [], 'the folder src/axios/ knows it');
    assert.deepEqual(engine.spell('axois send request').corrections.map((c) => c.from), ['axois'], 'a typo is still corrected');
    // a folder that comes later counts once it is indexed
    await mkdir(path.join(repo, 'lib', 'kubectl'), { recursive: true });
    await writeFile(path.join(repo, 'lib', 'kubectl', 'run.py'), 'def run():\n    return 1\n');
    assert.notDeepEqual(engine.spell('kubectl apply').corrections, [], 'not yet known');
    await engine.refresh();
    assert.deepEqual(engine.spell('kubectl apply').corrections, []);
  } finally {
    await engine.close();
  }
});

test('the dictionary is built the first time a word is looked up in it, once: a query whose words the workspace knows never builds it', () => {
  let reads = 0;
  const words = {
    *[Symbol.iterator]() {
      reads++;
      yield* ['parse', 'string', 'permissions', 'file'];
    },
  };
  const speller = new Speller(words);
  assert.deepEqual(speller.correct('parse strnig permisions', () => true), { text: 'parse strnig permisions', corrections: [] });
  assert.equal(reads, 0, 'known to the workspace: no dictionary');
  assert.deepEqual(speller.correct('parse strnig', (w) => w === 'parse').corrections, [{ from: 'strnig', to: 'string' }]);
  assert.equal(reads, 1);
  assert.equal(speller.correct('permisions').text, 'permissions');
  assert.equal(speller.size, 4);
  assert.equal(reads, 1, 'built once');
});
