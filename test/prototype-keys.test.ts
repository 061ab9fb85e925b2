/**
 * The guard for one class of bug: a lookup table that is a plain object, keyed by a string from
 * outside (a query word, a language name, a file extension, an identifier, a key of a JSON file),
 * finds what `Object.prototype` holds under names such as `constructor` or `toString`. (The word
 * `constructor` in a query used to crash every search.) Every lookup the engine, server and
 * editor make by an outside string is run here through every name on `Object.prototype`, and
 * must answer as for any other unknown (or known) name.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { Catalog } from '../src/engine/catalog';
import { languageForPath, languageSpec } from '../src/engine/chunks/languages';
import { isLanguageName, languageSelection, selects } from '../src/engine/language-names';
import { Engine } from '../src/engine/engine';
import { IgnoreRules } from '../src/engine/files/ignore-rules';
import { LexicalIndex } from '../src/engine/index/lexical';
import { lexicalFields, lexicalQueryTokens } from '../src/engine/index/lexical-fields';
import { parseQuery } from '../src/engine/search/query';
import { Speller } from '../src/engine/search/spelling';
import { splitWords, stem } from '../src/engine/text/words';
import type { LanguageId } from '../src/engine/types';
import { identifierPieces } from '../src/engine/vectors/identifier-tokenizer';
import { loadModelConfig, ModelConfigError } from '../src/engine/vectors/model-config';
import { isTokenizerKind, loadTokenizer } from '../src/engine/vectors/tokenizer';
import { kindIcon } from '../src/extension/kind-icons';
import { DefinitionMap } from '../src/server/definitions';
import { buildTinyModel } from './helpers/tiny-model';
import { PACKAGE_ROOT, TempDirs, writeIn } from './helpers/workspace';

/** Every name on Object.prototype (constructor, __proto__, toString, hasOwnProperty, …), and case variants. */
const PROTOTYPE_NAMES: readonly string[] = Object.getOwnPropertyNames(Object.prototype);
const NAMES: readonly string[] = [
  ...new Set([
    ...PROTOTYPE_NAMES,
    ...PROTOTYPE_NAMES.map((n) => n.toLowerCase()),
    ...PROTOTYPE_NAMES.map((n) => n.toUpperCase()),
    'prototype',
  ]),
];

const SHIPPED_MODEL_DIR = path.join(PACKAGE_ROOT, 'models', 'codescout-code-v1');

const temp = new TempDirs();
after(() => temp.cleanup());

test('the list of names covers what the bug class needs', () => {
  for (const name of ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__', 'isPrototypeOf']) {
    assert.ok(NAMES.includes(name), name);
  }
});

function assertWords(words: readonly string[], what: string): void {
  assert.ok(Array.isArray(words), what);
  for (const w of words) assert.ok(typeof w === 'string' && w.length > 0, `${what}: ${JSON.stringify(words)}`);
}

test('query parsing: prototype names are ordinary words, never languages', () => {
  for (const name of NAMES) {
    const q = parseQuery(name);
    assert.deepEqual(q.languages, [], name);
    assert.deepEqual(q.lexicalTokens, lexicalQueryTokens(name), name);
    const withLanguage = parseQuery(`${name} in python`);
    assert.deepEqual(withLanguage.languages, ['python'], name);
    assertWords(withLanguage.lexicalTokens, name);
  }
  assert.deepEqual(parseQuery('constructor').lexicalTokens, ['constructor']);
});

test('lexical words and terms: prototype names split and stem like any identifier', () => {
  assert.deepEqual(splitWords('constructor __proto__ toString hasOwnProperty'), [
    'constructor', 'proto', 'to', 'string', 'tostring', 'has', 'own', 'property', 'hasownproperty',
  ]);
  for (const name of NAMES) {
    const words = splitWords(name);
    assertWords(words, name);
    for (const w of words) assert.equal(typeof stem(w), 'string');
    assertWords(lexicalQueryTokens(name), name);
    const fields = lexicalFields({
      path: `src/${name}.ts`, language: 'typescript', kind: 'function', name, signature: `function ${name}()`,
      text: `function ${name}() { return ${name}; }`, startByte: 0, endByte: 10, startLine: 1, endLine: 1, doc: name, container: name,
    });
    for (const f of fields) assertWords(f.tokens, name);
  }
});

test('spelling: prototype names are kept when known, and never crash a lookup', () => {
  const plain = new Speller(['construct', 'string', 'value', 'property', 'prototype']);
  for (const name of NAMES) {
    const spelled = plain.correct(name);
    assert.equal(typeof spelled.text, 'string', name);
    for (const c of spelled.corrections) assert.ok(typeof c.from === 'string' && typeof c.to === 'string', name);
    const suggestion = plain.suggest(name.toLowerCase());
    assert.ok(suggestion === undefined || typeof suggestion === 'string', name);
  }
  // a dictionary made of the names knows them all: nothing to correct
  const knowing = new Speller(NAMES);
  for (const name of NAMES) {
    const spelled = knowing.correct(name.toLowerCase());
    assert.deepEqual(spelled, { text: name.toLowerCase(), corrections: [] }, name);
  }
  assert.equal(knowing.size, new Set(NAMES.filter((n) => /^\p{L}+$/u.test(n)).map((n) => n.toLowerCase())).size);
  // and an unknown word close to one of them is corrected to it
  assert.deepEqual(knowing.correct('constructr').corrections, [{ from: 'constructr', to: 'constructor' }]);
});

test('languages by file extension, by file name and by id: prototype names are no language', () => {
  for (const name of NAMES) {
    assert.equal(languageForPath(`file.${name}`), undefined, name);
    assert.equal(languageForPath(name), undefined, name);
    assert.equal(languageForPath(`${name}/x.${name}`), undefined, name);
    assert.equal(languageSpec(name as LanguageId), undefined, name);
  }
  assert.equal(languageForPath('constructor.py'), 'python');
  for (const name of NAMES) {
    assert.equal(isLanguageName(name), false, name);
    const selection = languageSelection([name])!;
    assert.deepEqual([selection.ids.size, selection.extensions.size], [0, 0], name);
    assert.equal(selects(selection, 'text', `notes/${name}.${name}`), false, name);
  }
});

test('tokenizer kinds: a prototype name is no kind', () => {
  for (const name of NAMES) assert.equal(isTokenizerKind(name), false, name);
  assert.equal(isTokenizerKind('identifier'), true);
});

test('loading a tokenizer of a prototype-named kind is refused with its cause', async () => {
  for (const name of NAMES) {
    const spec = { kind: name, file: 'tokenizer.json', options: {} } as unknown as Parameters<typeof loadTokenizer>[1];
    await assert.rejects(loadTokenizer(SHIPPED_MODEL_DIR, spec), { message: `unknown tokenizer kind ${JSON.stringify(name)} (known: huggingface, identifier)` });
  }
});

test('the shipped model tokenizer gives in-range ids for prototype names', async () => {
  const tokenizer = await loadTokenizer(SHIPPED_MODEL_DIR, { kind: 'identifier', file: 'tokenizer.json', options: {} });
  const file = (await import(path.join(SHIPPED_MODEL_DIR, 'tokenizer.json'))) as { vocab: string[]; hashBuckets: number };
  const idSpace = file.vocab.length + file.hashBuckets;
  for (const name of NAMES) {
    const pieces = identifierPieces(name, 1);
    assertWords(pieces, name);
    const ids = tokenizer.encode(name, 512);
    assert.equal(ids.length, pieces.length, name);
    for (const [i, id] of ids.entries()) {
      assert.ok(Number.isInteger(id) && id > 0 && id < idSpace, `${name}: id ${id}`);
      // a piece the vocabulary holds maps to its own id, whatever its name
      if (file.vocab.indexOf(pieces[i]!) > 0) assert.equal(id, file.vocab.indexOf(pieces[i]!), pieces[i]);
    }
  }
});

test('the Hugging Face tokenizer (tiny model) gives in-range ids for prototype names', async () => {
  const model = await buildTinyModel(await temp.make('keys-model'));
  const tokenizer = await loadTokenizer(model.dir, { kind: 'huggingface', file: 'tokenizer.json', options: {} });
  const unknown = model.vocab.indexOf('[UNK]');
  for (const name of NAMES) {
    const ids = tokenizer.encode(name, 64);
    assert.ok(ids.length >= 3, name); // [CLS] … [SEP]
    for (const id of ids) assert.ok(Number.isInteger(id) && id >= 0 && id < model.vocab.length, `${name}: ${id}`);
    // none of the names is in the tiny vocabulary: each word piece is [UNK]
    assert.ok(ids.slice(1, -1).every((id) => id === unknown), `${name}: ${JSON.stringify(ids)}`);
  }
});

test('a model config whose keys or values are prototype names is refused with its cause', async () => {
  const dir = await temp.make('keys-config');
  const base = {
    format: 1, id: 'm', onnx: 'model.onnx', dimension: 4, maxTokens: 8, pooling: 'mean',
    tokenizer: { kind: 'identifier', file: 'tokenizer.json' },
  };
  const write = (config: unknown) => writeFile(path.join(dir, 'codescout-model.json'), JSON.stringify(config));
  for (const name of PROTOTYPE_NAMES) {
    // JSON.stringify writes `__proto__` as an own key only when it is one: build the text by hand
    await writeFile(path.join(dir, 'codescout-model.json'), `${JSON.stringify(base).slice(0, -1)},${JSON.stringify(name)}:1}`);
    await assert.rejects(loadModelConfig(dir), (err: Error) => err instanceof ModelConfigError && err.message.includes(`"${name}" is not a known key`), name);
    await write({ ...base, tokenizer: { kind: name, file: 'tokenizer.json' } });
    await assert.rejects(loadModelConfig(dir), (err: Error) => err instanceof ModelConfigError && /"tokenizer\.kind" must be one of/.test(err.message), name);
    await write({ ...base, pooling: name });
    await assert.rejects(loadModelConfig(dir), (err: Error) => err instanceof ModelConfigError && /"pooling" must be one of/.test(err.message), name);
  }
  // a config missing a key that Object.prototype has a value for is still missing it
  const { format: _format, ...noFormat } = base;
  await write(noFormat);
  await assert.rejects(loadModelConfig(dir), /"format" is missing/);
});

test('the lexical index, the catalog and the definition map hold prototype names as ordinary keys', () => {
  const index = new LexicalIndex();
  NAMES.forEach((name, id) => index.add(id, [{ tokens: lexicalQueryTokens(name), weight: 1 }]));
  for (const [id, name] of NAMES.entries()) {
    for (const term of lexicalQueryTokens(name)) assert.ok(index.hasTerm(term), name);
    const hits = index.search(lexicalQueryTokens(name), NAMES.length);
    assert.ok(hits.some((h) => h.id === id), name);
  }
  assert.equal(new LexicalIndex().hasTerm('constructor'), false);
  assert.deepEqual(new LexicalIndex().search(['constructor', '__proto__'], 5), []);

  const catalog = new Catalog();
  for (const name of NAMES) catalog.addFile(name, { size: 1, mtimeMs: 1 }, []);
  const copy = Catalog.deserialize(catalog.serialize());
  assert.deepEqual([...copy.files.keys()].sort(), [...NAMES].sort());
  assert.equal(new Catalog().files.get('constructor'), undefined);

  const sites = NAMES.map((name, i) => ({ path: `${name}.ts`, name, kind: 'function', startLine: i + 1, endLine: i + 1, signature: name }));
  const map = new DefinitionMap(sites);
  for (const name of NAMES) {
    assert.deepEqual(map.named(name).map((s) => s.name), [name]);
    assert.equal(map.inFile(`${name}.ts`).length, 1);
  }
  assert.deepEqual(new DefinitionMap([]).named('constructor'), []);
});

test('editor: kind icons of prototype names', () => {
  for (const name of NAMES) assert.equal(kindIcon(name), name === 'constructor' ? 'symbol-constructor' : 'symbol-misc', name);
});

test('ignore rules with prototype names as patterns and as paths', async () => {
  const root = await temp.make('keys-ignore');
  await writeIn(root, '.gitignore', `${PROTOTYPE_NAMES.filter((n) => n !== 'toString').join('\n')}\n`);
  const rules = await IgnoreRules.forRoot(root);
  for (const name of PROTOTYPE_NAMES) {
    assert.equal(rules.test(name, false).ignored, name !== 'toString', name);
    assert.equal(rules.test(`src/${name}`, true).ignored, name !== 'toString', name);
  }
});

describe('the engine, searching with prototype names', () => {
  let engine: Engine;

  before(async () => {
    const root = await temp.make('keys-engine');
    await mkdir(path.join(root, 'src'));
    await writeIn(root, 'src/shapes.js', [
      'class Shape {',
      '  constructor(sides) {',
      '    this.sides = sides;',
      '  }',
      '  toString() {',
      '    return `shape of ${this.sides} sides`;',
      '  }',
      '}',
      '',
    ].join('\n'));
    await writeIn(root, 'src/area.py', 'def area(width, height):\n    """The area of a rectangle."""\n    return width * height\n');
    await writeIn(root, 'constructor.md', '# constructor\n\nHow shapes are made.\n');
    engine = await Engine.open(root, { model: null, indexDir: path.join(await temp.make('keys-index'), 'index') });
    await engine.refresh();
  });
  after(() => engine?.close());

  test('every prototype name is a query that answers, and `constructor` finds the constructor', async () => {
    for (const name of NAMES) {
      const hits = await engine.search(name);
      assert.ok(Array.isArray(hits), name);
      for (const h of hits) assert.ok(typeof h.path === 'string' && Number.isFinite(h.score), name);
      await engine.search(`${name} in python ${name}`);
    }
    // the same names as C# attributes and inside type marks (query-kind.ts: attribute classes, generic arguments)
    for (const name of NAMES) {
      for (const query of [`[${name}] attribute`, `${name}<${name}>[]`, `how does ${name}* work`]) {
        assert.ok(Array.isArray(await engine.search(query)), query);
      }
    }
    const hits = await engine.search('constructor');
    assert.ok(hits.some((h) => h.name === 'constructor' && h.path === 'src/shapes.js'), JSON.stringify(hits));
    assert.ok((await engine.search('constructor<T>[]')).some((h) => h.name === 'constructor' && h.path === 'src/shapes.js'));
    assert.ok((await engine.search('toString')).some((h) => h.name === 'toString'));
  });

  test('a language filter named like a prototype key keeps nothing, and does not throw', async () => {
    for (const name of NAMES) assert.deepEqual(await engine.search('area shape', { languages: [name] }), [], name);
    assert.ok((await engine.search('area', { languages: ['py'] })).every((h) => h.language === 'python'));
  });

  test('counts by language and by skip reason are own properties only', async () => {
    const contents = engine.contents();
    assert.deepEqual(Object.keys(contents.languages).sort(), ['javascript', 'markdown', 'python']);
    assert.equal(Object.hasOwn(contents.languages, 'constructor'), false);
    const status = await engine.status();
    assert.equal(Object.hasOwn(status.skippedByReason, 'constructor'), false);
  });
});
