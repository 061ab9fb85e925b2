import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { spawnSync } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import { splitWords, stem } from '../src/engine/text/words';
import { LEXICAL_FORMAT_VERSION, LexicalIndex, type WeightedTokens } from '../src/engine/index/lexical';
import { lexicalFormatOne, lexicalFormatTwo } from './helpers/legacy-formats';
import { SCANS_BEFORE_LOADING, VECTOR_FORMAT_VERSION, VectorIndex } from '../src/engine/index/vector-index';
import { runSteps, TimeSlices } from '../src/engine/time-slice';
import { quantize, toInt8Unit } from '../src/engine/index/int8';
import { HierarchicalNSW } from 'hnswlib-node';
import { checkGraphFile, expandGraph, graphHeaderBytes, HNSW_HEADER_BYTES } from '../src/engine/index/graph-file';
import { LoopTurns } from './helpers/loop-turns';
import { cachedForm, EmbeddingCache, embeddingKey, EMBEDDING_KEY_BYTES } from '../src/engine/index/embedding-cache';
import {
  commitGeneration,
  IndexCorruptError,
  IndexVersionError,
  loadManifest,
  MANIFEST_FILE,
  manifestChecksum,
  openGeneration,
  saveManifest,
  sha256File,
  sha256Hex,
  writeFileAtomic,
} from '../src/engine/index/store';
import { seededRandom } from './helpers/random';

const CORPUS_DIR = path.join(__dirname, '..', '..', 'test', 'fixtures', 'index', 'corpus');

/** A vector scaled to unit length. */
function unitOf(vector: Float32Array): Float32Array {
  const norm = Math.hypot(...vector);
  return vector.map((x) => x / norm);
}

function randomVectors(count: number, dimension: number, seed: number): Float32Array[] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, () => Float32Array.from({ length: dimension }, () => random() * 2 - 1));
}

const tempDirs: string[] = [];
after(() => tempDirs.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

/** The bytes of a graph file in int8, as hnswlib writes and reads it (graph-file.ts `expandGraph`). */
function hnswlibForm(graphFile: string, dimension = 32): Buffer {
  const fd = fs.openSync(graphFile, 'r');
  try {
    const { layout } = runSteps(checkGraphFile(fd, dimension, 'sha256', 'int8'));
    const target = path.join(tempDir(), 'hnswlib.hnsw');
    runSteps(expandGraph(fd, layout, dimension, target));
    return fs.readFileSync(target);
  } finally {
    fs.closeSync(fd);
  }
}

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'codescout-index-test-'));
  tempDirs.push(dir);
  return dir;
}

function terms(text: string): string[] {
  return splitWords(text).map(stem);
}

function body(text: string): WeightedTokens[] {
  return [{ tokens: terms(text), weight: 1 }];
}

describe('splitWords', () => {
  const cases: [string, string[]][] = [
    ['readFile', ['read', 'file', 'readfile']],
    ['HTTPServer', ['http', 'server', 'httpserver']],
    ['parseJSONFile', ['parse', 'json', 'file', 'parsejsonfile']],
    ['utf8Decode', ['utf', '8', 'decode', 'utf8decode']],
    ['md5', ['md', '5', 'md5']],
    ['read_file', ['read', 'file', 'readfile']],
    ['HTTP_SERVER_URL', ['http', 'server', 'url', 'httpserverurl']],
    ['__init__', ['init']],
    ['dry-run', ['dry', 'run']],
    ['getURLs', ['get', 'urls', 'geturls']],
    ['XMLHttpRequest', ['xml', 'http', 'request', 'xmlhttprequest']],
    ['caféBar', ['café', 'bar', 'cafébar']],
    ['日本語', ['日本語']],
    ['x = a[i] + b.c;', ['x', 'a', 'i', 'b', 'c']],
    ['', []],
  ];
  for (const [input, expected] of cases) {
    test(JSON.stringify(input), () => assert.deepEqual(splitWords(input), expected));
  }

  test('drops blobs longer than 64 characters', () => {
    assert.deepEqual(splitWords(`key ${'a'.repeat(65)} value`), ['key', 'value']);
  });
});

describe('stem', () => {
  test('inflections of a word share a stem', () => {
    const groups = [
      ['parse', 'parses', 'parsed', 'parsing'],
      ['query', 'queries'],
      ['copy', 'copies', 'copied', 'copying'],
      ['match', 'matches', 'matched', 'matching'],
      ['class', 'classes'],
      ['embed', 'embedded', 'embedding', 'embeddings'],
      ['run', 'runs', 'running'],
      ['index', 'indexes', 'indexed', 'indexing'],
      ['status', 'statuses'],
      ['size', 'sizes'],
      ['box', 'boxes'],
    ];
    for (const group of groups) {
      assert.equal(new Set(group.map(stem)).size, 1, `${group.join(', ')} → ${group.map(stem).join(', ')}`);
    }
  });

  test('leaves derivations, short words and non-words alone', () => {
    for (const word of ['parser', 'string', 'need', 'this', 'is', 'utf8', 'café', 'ok']) assert.equal(stem(word), word);
    assert.notEqual(stem('parser'), stem('parse'));
  });
});

describe('LexicalIndex', () => {
  test('scores equal a hand-computed BM25 value', () => {
    const index = new LexicalIndex();
    index.add(1, [{ tokens: ['cat', 'dog'], weight: 1 }]);
    index.add(2, [{ tokens: ['cat', 'cat', 'fish', 'bird'], weight: 1 }]);
    index.add(3, [{ tokens: ['bird'], weight: 1 }]);
    // N = 3, avgdl = 7/3, df(cat) = 2, idf = ln(1 + (3 - 2 + 0.5) / (2 + 0.5)) = ln 1.6.
    // doc 2: tf 2, dl 4: ln 1.6 · 2 · 2.2 / (2 + 1.2 · (0.25 + 0.75 · 4 / (7/3))) = 0.53814541935943
    // doc 1: tf 1, dl 2: ln 1.6 · 1 · 2.2 / (1 + 1.2 · (0.25 + 0.75 · 2 / (7/3))) = 0.49917626830237
    const hits = index.search(['cat'], 10);
    assert.deepEqual(hits.map((h) => h.id), [2, 1]);
    assert.ok(Math.abs(hits[0].score - 0.5381454193594297) < 1e-12);
    assert.ok(Math.abs(hits[1].score - 0.4991762683023676) < 1e-12);
  });

  test('ranks code by identifier-aware terms', () => {
    const index = new LexicalIndex();
    const files = fs.readdirSync(CORPUS_DIR).sort();
    files.forEach((file, id) => index.add(id, body(fs.readFileSync(path.join(CORPUS_DIR, file), 'utf8'))));
    const top = (query: string): string => files[index.search(terms(query), 1)[0].id];
    assert.equal(top('parse json file'), 'json-file.js');
    assert.equal(top('start http server'), 'http_server.py');
    assert.equal(top('utf8 decoding'), 'utf8.go');
    assert.equal(top('retry backoff delay'), 'retry.java');
    assert.equal(top('cached templates'), 'cache.rs');
  });

  test('weights fields', () => {
    const index = new LexicalIndex();
    index.add(1, [{ tokens: ['load'], weight: 1 }, { tokens: ['config', 'file'], weight: 1 }]);
    index.add(2, [{ tokens: ['config'], weight: 3 }, { tokens: ['load', 'file'], weight: 1 }]);
    assert.deepEqual(index.search(['config'], 2).map((h) => h.id), [2, 1]);
  });

  test('dedupes query tokens and ignores unknown ones', () => {
    const index = new LexicalIndex();
    index.add(1, body('alpha beta'));
    index.add(2, body('beta gamma'));
    assert.deepEqual(index.search(['beta', 'beta', 'alpha', 'nowhere'], 5), index.search(['alpha', 'beta'], 5));
  });

  test('filters and limits results', () => {
    const index = new LexicalIndex();
    // longer documents score lower (length normalisation), so every score differs
    for (let id = 0; id < 20; id++) index.add(id, body(`common ${'pad '.repeat(id)}`));
    const hits = index.search(['common'], 3, (id) => id % 2 === 1);
    assert.deepEqual(hits.map((h) => h.id), [1, 3, 5]);
    assert.deepEqual(index.search(['common'], 0), []);
    // documents that score alike are all kept at the cut: which make it must not depend on their ids
    const tied = new LexicalIndex();
    for (let id = 0; id < 20; id++) tied.add(id, body(`common word${id}`));
    assert.deepEqual(tied.search(['common'], 3, (id) => id % 2 === 1).map((h) => h.id), [1, 3, 5, 7, 9, 11, 13, 15, 17, 19]);
  });

  test('removal updates document frequencies and lengths', () => {
    const docs: [number, string][] = [
      [1, 'open file read file'],
      [2, 'read socket buffer'],
      [3, 'file buffer flush buffer write'],
      [4, 'close socket'],
      [5, 'write file atomically'],
    ];
    const index = new LexicalIndex();
    for (const [id, text] of docs) index.add(id, body(text));
    assert.equal(index.remove(3), true);
    assert.equal(index.remove(3), false);
    assert.equal(index.remove(5), true);
    assert.equal(index.remove(42), false);
    index.add(6, body('read buffer'));
    const fresh = new LexicalIndex();
    for (const [id, text] of docs) if (id !== 3 && id !== 5) fresh.add(id, body(text));
    fresh.add(6, body('read buffer'));
    for (const query of ['file', 'buffer', 'read socket', 'write flush', 'close']) {
      assert.deepEqual(index.search(terms(query), 10), fresh.search(terms(query), 10), query);
    }
    assert.equal(index.size, 4);
  });

  test('purging removed documents in bulk keeps results identical', () => {
    const random = seededRandom(21);
    const text = (id: number) => Array.from({ length: 8 }, () => `w${Math.floor(random() * 50)}`).join(' ') + ` id${id}`;
    const docs = Array.from({ length: 3000 }, (_, id) => text(id));
    const index = new LexicalIndex();
    docs.forEach((doc, id) => index.add(id, body(doc)));
    const kept = new LexicalIndex();
    for (let id = 0; id < 3000; id++) {
      if (id % 3 === 0) kept.add(id, body(docs[id]));
      else index.remove(id);
    }
    index.add(1, body(docs[1]));
    kept.add(1, body(docs[1]));
    const loaded = LexicalIndex.deserialize(index.serialize());
    for (const query of ['w1', 'w7 w8 w9', 'id1 w3', 'id2']) {
      assert.deepEqual(index.search(terms(query), 25), kept.search(terms(query), 25), query);
      assert.deepEqual(loaded.search(terms(query), 25), kept.search(terms(query), 25), query);
    }
  });

  test('re-adding an id replaces the document', () => {
    const index = new LexicalIndex();
    index.add(7, body('old words'));
    index.add(7, body('new words'));
    assert.equal(index.size, 1);
    assert.deepEqual(index.search(['old'], 5), []);
    assert.equal(index.search(['new'], 5)[0].id, 7);
  });

  test('serialises and deserialises without changing results', () => {
    const index = new LexicalIndex({ k1: 1.5, b: 0.6 });
    const random = seededRandom(7);
    const vocabulary = Array.from({ length: 300 }, (_, i) => `term${i}`);
    for (let id = 0; id < 500; id++) {
      const tokens = Array.from({ length: 5 + Math.floor(random() * 40) }, () => vocabulary[Math.floor(random() * random() * 300)]);
      index.add(id * 3 + 1_000_000, [
        { tokens: tokens.slice(0, 3), weight: 2.5 },
        { tokens: tokens.slice(3), weight: 1 },
      ]);
    }
    for (const id of [1_000_000, 1_000_300, 1_000_903]) index.remove(id);
    const bytes = index.serialize();
    const copy = LexicalIndex.deserialize(bytes, { k1: 1.5, b: 0.6 });
    assert.equal(copy.size, index.size);
    for (const query of [['term0'], ['term1', 'term17'], ['term250', 'term3', 'term99']]) {
      assert.deepEqual(copy.search(query, 20), index.search(query, 20));
    }
    assert.deepEqual(copy.serialize(), bytes);
    copy.add(5, body('fresh words'));
    assert.equal(copy.remove(1_000_003), true);
    assert.equal(copy.remove(5), true);
    index.remove(1_000_003);
    assert.deepEqual(copy.search(['fresh'], 5), []);
    for (const query of [['term0'], ['term1', 'term17']]) assert.deepEqual(copy.search(query, 20), index.search(query, 20));
  });

  test('rejects damaged serialised data', () => {
    const index = new LexicalIndex();
    index.add(1, body('some words here'));
    const bytes = index.serialize();
    assert.throws(() => LexicalIndex.deserialize(bytes.subarray(0, bytes.length - 3)), IndexCorruptError);
    const wrongVersion = Buffer.from(bytes);
    wrongVersion.writeUInt32LE(99, 4);
    assert.throws(() => LexicalIndex.deserialize(wrongVersion), IndexVersionError);
    assert.throws(() => LexicalIndex.deserialize(Buffer.from('not an index')), IndexCorruptError);
  });

  /** An index of `documents`, in the current format. */
  const currentOf = (documents: [number, string][]): Buffer => {
    const index = new LexicalIndex();
    for (const [id, text] of documents) index.add(id, body(text));
    return index.serialize();
  };
  /** An index of `documents`, in format 1. */
  const formatOne = (documents: [number, string][]): Buffer => lexicalFormatOne(currentOf(documents));

  for (const [older, write] of [[1, formatOne], [2, (documents: [number, string][]) => lexicalFormatTwo(currentOf(documents))]] as const) {
    test(`reads format ${older}, and writes what it read in the current format`, () => {
      const documents: [number, string][] = [[4, 'parse the config file'], [9, 'größe café naïve 数据 🚀 rocket'], [2, 'read the file twice file']];
      const expected = new LexicalIndex();
      for (const [id, text] of documents) expected.add(id, body(text));
      const bytes = write(documents);
      assert.equal(bytes.readUInt32LE(4), older);
      const loaded = LexicalIndex.deserialize(bytes);
      assert.equal(loaded.formatRead, older);
      assert.deepEqual(loaded.search(terms('数据 café'), 5).map((h) => h.id), [9]);
      for (const query of [['file'], terms('größe café'), terms('数据 🚀'), ['rocket', 'parse']]) assert.deepEqual(loaded.search(query, 5), expected.search(query, 5));
      const again = LexicalIndex.deserialize(loaded.serialize());
      assert.equal(again.serialize().readUInt32LE(4), LEXICAL_FORMAT_VERSION);
      for (const query of [['file'], terms('größe café'), terms('数据 🚀')]) assert.deepEqual(again.search(query, 5), expected.search(query, 5));
    });
  }

  test('a damaged term list, term table or posting table is refused on loading (formats 2 and 3), a damaged posting when it is first used', () => {
    const index = new LexicalIndex();
    index.add(1, body('alpha beta gamma'));
    index.add(2, body('beta delta 数据'));
    const bytes = index.serialize();
    const termCount = 4 * 3 + 2 * 4 + 2 * 8; // magic, version, count; ids; lengths
    // format 2: the terms' lengths (varints) follow their count
    const two = lexicalFormatTwo(bytes);
    const termsStart = termCount + 4;
    const formatTwoCases: [string, (b: Buffer) => Buffer][] = [
      ['a term length too long', (b) => ((b[termsStart] += 1), b)],
      ['a term length too short', (b) => ((b[termsStart] -= 1), b)],
      ['more terms than bytes', (b) => (b.writeUInt32LE(0xfffffff0, termCount), b)],
    ];
    for (const [name, mutate] of formatTwoCases) assert.throws(() => LexicalIndex.deserialize(mutate(Buffer.from(two))), IndexCorruptError, `format 2: ${name}`);
    assert.deepEqual(LexicalIndex.deserialize(two).search(['beta'], 5).map((h) => h.id), [1, 2]);
    // format 3: the count, the seed, the table's size, the table, then where each term ends
    const terms3 = bytes.readUInt32LE(termCount);
    const slotCount = bytes.readUInt32LE(termCount + 8);
    const slotAt = (s: number) => termCount + 12 + 4 * s;
    const endAt = (t: number) => slotAt(slotCount) + 4 * t;
    const slots = Array.from({ length: slotCount }, (_, s) => bytes.readUInt32LE(slotAt(s)));
    const taken = slots.findIndex((v) => v !== 0);
    const empty = slots.indexOf(0);
    assert.ok(terms3 >= 3 && taken >= 0 && empty >= 0);
    const cases: [string, (b: Buffer) => Buffer][] = [
      ['the last term ending past the text', (b) => (b.writeUInt32LE(b.readUInt32LE(endAt(terms3 - 1)) + 1, endAt(terms3 - 1)), b)],
      ['a term ending where the one before it ends', (b) => (b.writeUInt32LE(b.readUInt32LE(endAt(0)), endAt(1)), b)],
      ['an empty first term', (b) => (b.writeUInt32LE(0, endAt(0)), b)],
      ['a slot naming no term', (b) => (b.writeUInt32LE(terms3 + 1, slotAt(empty)), b)],
      ['a term in two slots', (b) => (b.writeUInt32LE(slots[taken], slotAt(empty)), b)],
      ['a term in no slot', (b) => (b.writeUInt32LE(0, slotAt(taken)), b)],
      ['a table as long as the terms', (b) => (b.writeUInt32LE(terms3, termCount + 8), b)],
      ['a huge table', (b) => (b.writeUInt32LE(0xfffffff0, termCount + 8), b)],
      ['more terms than bytes', (b) => (b.writeUInt32LE(0xfffffff0, termCount), b)],
      ['a huge document count', (b) => (b.writeUInt32LE(0xfffffff0, 8), b)],
    ];
    for (const [name, mutate] of cases) assert.throws(() => LexicalIndex.deserialize(mutate(Buffer.from(bytes))), IndexCorruptError, name);
    // the posting table: find it by its end, the length of the posting bytes after it
    const loaded = LexicalIndex.deserialize(bytes);
    assert.deepEqual(loaded.search(['beta'], 5).map((h) => h.id), [1, 2]);
    // a posting's bytes are the file's last ones but four (the length of what comes before them); damage the last frequency (a float32) to NaN
    const damaged = Buffer.from(bytes);
    damaged.writeFloatLE(Number.NaN, damaged.length - 8);
    const lazy = LexicalIndex.deserialize(damaged);
    const lastTerm = [...new Set(['alpha', 'beta', 'gamma', 'delta', '数据'].flatMap((w) => terms(w)))].filter((t) => {
      try {
        LexicalIndex.deserialize(damaged).search([t], 5);
        return false;
      } catch (error) {
        return error instanceof IndexCorruptError;
      }
    });
    assert.equal(lastTerm.length, 1, 'exactly the damaged posting fails, when used');
    assert.throws(() => lazy.search(lastTerm, 5), /invalid term frequency/);
  });

  test('validates ids, weights and parameters', () => {
    const index = new LexicalIndex();
    assert.throws(() => index.add(-1, body('x')), RangeError);
    assert.throws(() => index.add(2 ** 32, body('x')), RangeError);
    assert.throws(() => index.add(1, [{ tokens: ['x'], weight: 0 }]), RangeError);
    assert.throws(() => new LexicalIndex({ b: 1.5 }), RangeError);
  });
});

describe('VectorIndex', () => {
  const dimension = 32;

  test('HNSW and exact search agree on the nearest neighbour', () => {
    const vectors = randomVectors(3000, dimension, 1);
    const index = new VectorIndex({ dimension, exactSearchMaxVectors: 0 });
    vectors.forEach((v, label) => index.add(label, v));
    assert.equal(index.hasGraph, true);
    const queries = randomVectors(100, dimension, 2);
    let agree = 0;
    for (const query of queries) {
      const graph = index.search(query, 10);
      const exact = index.searchExact(query, 10);
      assert.equal(graph.length, 10);
      if (graph[0].label === exact[0].label) {
        agree++;
        assert.ok(Math.abs(graph[0].score - exact[0].score) < 1e-5);
      }
    }
    assert.ok(agree >= 95, `top-1 agreement ${agree}/100`);
    for (let label = 0; label < 3000; label += 97) {
      assert.equal(index.search(vectors[label], 1)[0].label, label);
    }
  });

  test('exact search returns cosine similarities, best first', () => {
    const index = new VectorIndex({ dimension: 2 });
    index.add(1, [1, 0]);
    index.add(2, [0, 5]);
    index.add(3, [3, 3]);
    const hits = index.search([2, 0], 3);
    assert.deepEqual(hits.map((h) => h.label), [1, 3, 2]);
    assert.ok(Math.abs(hits[1].score - Math.SQRT1_2) < 1e-6);
    assert.ok(Math.abs(hits[2].score) < 1e-6);
    assert.deepEqual(Array.from(index.getVector(2)!), [0, 1]);
    assert.equal(index.getVector(9), undefined);
  });

  test('rejects bad vectors and labels', () => {
    const index = new VectorIndex({ dimension: 3 });
    assert.throws(() => index.add(1, [1, Number.NaN, 0]), /NaN/);
    assert.throws(() => index.add(1, [1, Number.POSITIVE_INFINITY, 0]), RangeError);
    assert.throws(() => index.add(1, [0, 0, 0]), /zeros/);
    assert.throws(() => index.add(1, [1, 2]), /dimensions/);
    assert.throws(() => index.add(-1, [1, 2, 3]), /uint32/);
    assert.throws(() => index.add(2 ** 32, [1, 2, 3]), /uint32/);
    assert.throws(() => index.add(1.5, [1, 2, 3]), /uint32/);
    index.add(1, [1, 2, 3]);
    assert.throws(() => index.search([Number.NaN, 0, 0], 1), /NaN/);
    assert.equal(index.size, 1);
  });

  test('removal is idempotent, also in the graph', () => {
    const index = new VectorIndex({ dimension, exactSearchMaxVectors: 0 });
    const vectors = randomVectors(50, dimension, 3);
    vectors.forEach((v, label) => index.add(label, v));
    assert.equal(index.remove(10), true);
    assert.equal(index.remove(10), false);
    assert.equal(index.remove(999), false);
    assert.equal(index.size, 49);
    assert.notEqual(index.search(vectors[10], 1)[0].label, 10);
    index.add(10, vectors[10]);
    assert.equal(index.search(vectors[10], 1)[0].label, 10);
    assert.equal(index.remove(10), true);
  });

  test('a selective filter still yields k results through the graph', () => {
    const index = new VectorIndex({ dimension, exactSearchMaxVectors: 0 });
    randomVectors(2000, dimension, 4).forEach((v, label) => index.add(label, v));
    const query = randomVectors(1, dimension, 5)[0];
    const filter = (label: number) => label % 97 === 0;
    const hits = index.search(query, 10, filter);
    assert.equal(hits.length, 10);
    assert.ok(hits.every((h) => filter(h.label)));
    assert.deepEqual(hits.map((h) => h.label), index.searchExact(query, 10, filter).map((h) => h.label));
    assert.equal(index.search(query, 30, filter).length, 21);
  });

  test('a filter that passes most vectors is served by the full-effort search, a narrow one by the filtered search', () => {
    const index = new VectorIndex({ dimension, exactSearchMaxVectors: 0 });
    const vectors = randomVectors(3000, dimension, 60);
    vectors.forEach((v, label) => index.add(label, v));
    for (const query of randomVectors(20, dimension, 61)) {
      const nearest = index.searchExact(query, 3).map((h) => h.label);
      const broad = (label: number) => !nearest.includes(label); // related code: all but the definition itself
      const hits = index.search(query, 50, broad);
      assert.equal(hits.length, 50);
      assert.ok(hits.every((h) => broad(h.label)));
      assert.deepEqual(hits.map((h) => h.label), index.searchExact(query, 50, broad).map((h) => h.label));
      const narrow = (label: number) => label % 50 === 7; // a folder: 60 of 3,000
      assert.deepEqual(index.search(query, 10, narrow).map((h) => h.label), index.searchExact(query, 10, narrow).map((h) => h.label));
    }
    assert.throws(() => new VectorIndex({ dimension, efFilteredSearch: 0 }), /efFilteredSearch/);
  });

  test('grows beyond its initial capacity, with and without a graph', () => {
    for (const exactSearchMaxVectors of [0, 1_000_000]) {
      const index = new VectorIndex({ dimension: 8, exactSearchMaxVectors, efConstruction: 40 });
      const vectors = randomVectors(2500, 8, 6);
      vectors.forEach((v, label) => index.add(label * 7, v));
      assert.equal(index.size, 2500);
      for (const label of [0, 1023, 1024, 2047, 2048, 2499]) {
        assert.equal(index.search(vectors[label], 1)[0].label, label * 7);
        // stored normalised and in int8: the unit vector's codes, at the scale that keeps them of unit length
        const stored = index.getVector(label * 7)!;
        const unit = Array.from(vectors[label], (x) => x / Math.hypot(...vectors[label]));
        assert.deepEqual(quantize(stored).codes, quantize(unit).codes);
        assert.ok(Math.abs(Math.hypot(...stored) - 1) < 1e-6);
        assert.ok(stored.reduce((sum, x, j) => sum + x * unit[j], 0) > 0.999);
      }
    }
  });

  test('builds the graph once the exact-search limit is passed, and rebuilds it on request', () => {
    const index = new VectorIndex({ dimension, exactSearchMaxVectors: 100 });
    const vectors = randomVectors(200, dimension, 8);
    vectors.slice(0, 100).forEach((v, label) => index.add(label, v));
    assert.equal(index.hasGraph, false);
    vectors.slice(100).forEach((v, i) => index.add(100 + i, v));
    assert.equal(index.hasGraph, true);
    for (let label = 0; label < 70; label++) index.remove(label);
    assert.equal(index.needsGraphRebuild, true);
    index.rebuildGraph();
    assert.equal(index.needsGraphRebuild, false);
    assert.equal(index.hasGraph, true);
    assert.equal(index.search(vectors[150], 1)[0].label, 150);
    for (let label = 70; label < 150; label++) index.remove(label);
    assert.equal(index.needsGraphRebuild, true, 'most nodes deleted');
    assert.equal(index.search(vectors[199], 1)[0].label, 199);
    index.rebuildGraph();
    assert.equal(index.hasGraph, false);
    assert.equal(index.search(vectors[199], 1)[0].label, 199);
  });

  /** The two files of a saved index in `dir`. */
  const filesIn = (dir: string, name = 'vectors'): { vectors: string; graph: string } => ({ vectors: path.join(dir, `${name}.bin`), graph: path.join(dir, `${name}.hnsw`) });

  test('saves and loads, with and without a graph; with one, the vectors are stored only in it', () => {
    const dir = tempDir();
    for (const exactSearchMaxVectors of [0, 1_000_000]) {
      const index = new VectorIndex({ dimension, exactSearchMaxVectors });
      const vectors = randomVectors(300, dimension, 9);
      vectors.forEach((v, label) => index.add(label + 5, v));
      index.remove(5);
      index.remove(6);
      const files = filesIn(dir, `vectors-${exactSearchMaxVectors}`);
      index.save(files);
      const withGraph = exactSearchMaxVectors === 0;
      // header and labels, then the vectors only when no graph holds them (a scale and the int8
      // codes each), then no flags, no labels sharing a vector, and each vector's hash with its label
      assert.equal(fs.statSync(files.vectors).size, 60 + 298 * 4 + (withGraph ? 0 : 298 * (4 + dimension)) + 4 + 4 + 4 + 298 * 8);
      assert.equal(fs.existsSync(files.graph), withGraph);
      const loaded = VectorIndex.load(files, { dimension, exactSearchMaxVectors });
      assert.equal(loaded.size, 298);
      assert.equal(loaded.hasGraph, withGraph);
      assert.equal(loaded.remove(5), false);
      for (const query of randomVectors(10, dimension, 10)) assert.deepEqual(loaded.search(query, 5), index.search(query, 5));
      assert.deepEqual(loaded.getVector(100), index.getVector(100));
      loaded.add(5, vectors[0]);
      assert.equal(loaded.search(vectors[0], 1)[0].label, 5);
    }
  });

  test('a graph left in its file gives each label the vector the loaded graph gives: read from the node of its slot when that node holds it, else from the node the labels of the file name (read from it once), never by a scan of the vectors', () => {
    const dir = tempDir();
    const index = new VectorIndex({ dimension, exactSearchMaxVectors: 0 });
    const vectors = randomVectors(400, dimension, 41);
    vectors.slice(0, 300).forEach((v, label) => index.add(label, v));
    // each removal moves the last slot into the gap: those labels' slots no longer name their nodes
    for (let label = 0; label < 300; label += 7) index.remove(label);
    for (let label = 399; label >= 300; label--) index.add(label, vectors[label]);
    const files = filesIn(dir, 'vectors-nodes');
    index.save(files);
    // two labels of the vector file's list swapped: their slots no longer name their nodes (a
    // file this code writes keeps the graph's order; this stands for any other)
    const bytes = fs.readFileSync(files.vectors);
    const [first, second] = [bytes.readUInt32LE(60), bytes.readUInt32LE(64)];
    bytes.writeUInt32LE(second, 60);
    bytes.writeUInt32LE(first, 64);
    fs.writeFileSync(files.vectors, bytes);
    const eager = VectorIndex.load(files, { dimension, exactSearchMaxVectors: 0 });
    const onDemand = VectorIndex.load(files, { dimension, exactSearchMaxVectors: 0, graphLoading: 'on-demand' });
    const internals = onDemand as unknown as { scanDisk: (...args: unknown[]) => void; onDisk: { nodes?: unknown } | undefined };
    assert.notEqual(internals.onDisk, undefined, 'the graph is left in its file');
    const scan = internals.scanDisk.bind(onDemand);
    let scans = 0;
    internals.scanDisk = (...args: unknown[]) => {
      scans++;
      return scan(...args);
    };
    let beforeLabelsRead = 0;
    for (let label = 0; label < 400; label++) {
      assert.deepEqual(onDemand.getVector(label), eager.getVector(label), `label ${label}`);
      if (internals.onDisk!.nodes === undefined) beforeLabelsRead++;
    }
    assert.equal(scans, 0, 'no scan of the vectors');
    assert.ok(internals.onDisk!.nodes !== undefined && beforeLabelsRead > 0, `the labels of the file read once some label was not in its slot's node (after ${beforeLabelsRead})`);
    assert.notEqual(internals.onDisk, undefined, 'still in its file');
  });

  test('without a graph the vectors are saved in int8, a scale each, and a file with a vector not in that form is refused', () => {
    const dir = tempDir();
    const index = new VectorIndex({ dimension, exactSearchMaxVectors: 1_000_000 });
    randomVectors(50, dimension, 32).forEach((v, label) => index.add(label, v));
    const files = filesIn(dir);
    index.save(files);
    const good = fs.readFileSync(files.vectors);
    const scaleAt = 60 + 50 * 4 + 7 * 4; // the eighth vector's scale, after the header and the labels
    const codesAt = 60 + 50 * 4 + 50 * 4 + 7 * dimension; // its codes, after every scale
    const damaged: [string, (bytes: Buffer) => void][] = [
      ...[Number.NaN, 0, -0.01, Number.POSITIVE_INFINITY, 1e30].map((scale): [string, (bytes: Buffer) => void] => [`scale ${scale}`, (bytes) => bytes.writeFloatLE(scale, scaleAt)]),
      ['scale one step off', (bytes) => bytes.writeFloatLE(bytes.readFloatLE(scaleAt) * (1 + 2 ** -20), scaleAt)],
      ['code -128', (bytes) => bytes.writeInt8(-128, codesAt + 3)],
      ['all codes zero', (bytes) => bytes.fill(0, codesAt, codesAt + dimension)],
    ];
    for (const [what, damage] of damaged) {
      const bad = Buffer.from(good);
      damage(bad);
      fs.writeFileSync(files.vectors, bad);
      assert.throws(() => VectorIndex.load(files, { dimension, exactSearchMaxVectors: 1_000_000 }), (error: unknown) => error instanceof IndexCorruptError && /stored form/.test(error.message), what);
    }
  });

  test('a vector read back from the graph and restored is stored bit for bit', () => {
    // 256 dimensions, as the model's: normalising again in float arithmetic (hnswlib's cosine space) changes the bits of most such vectors
    const index = new VectorIndex({ dimension: 256, exactSearchMaxVectors: 0 });
    randomVectors(100, 256, 21).forEach((v, label) => index.add(label, v));
    for (let label = 0; label < 100; label++) {
      const before = index.getVector(label)!;
      index.remove(label);
      index.restore(label, before);
      index.restore(label, index.getVector(label)!);
      assert.deepEqual(index.getVector(label), before);
    }
  });

  test('loading with another exact-search limit builds or drops the graph, and the vectors survive both', () => {
    const dir = tempDir();
    const vectors = randomVectors(200, dimension, 22);
    for (const [saved, loadedWith] of [[0, 1_000_000], [1_000_000, 0]]) {
      const index = new VectorIndex({ dimension, exactSearchMaxVectors: saved });
      vectors.forEach((v, label) => index.add(label, v));
      const files = filesIn(dir, `limit-${saved}`);
      index.save(files);
      const loaded = VectorIndex.load(files, { dimension, exactSearchMaxVectors: loadedWith });
      assert.equal(loaded.hasGraph, loadedWith === 0);
      for (const label of [0, 99, 199]) {
        const stored = loaded.getVector(label)!;
        index.getVector(label)!.forEach((x, j) => assert.ok(Math.abs(x - stored[j]) < 1e-6));
        assert.equal(loaded.search(vectors[label], 1)[0].label, label);
      }
    }
  });

  test('reads format 1, whose graph is inside the vector file', async () => {
    const dir = tempDir();
    const index = new VectorIndex({ dimension, exactSearchMaxVectors: 0 });
    const vectors = randomVectors(120, dimension, 23);
    vectors.forEach((v, label) => index.add(label, v));
    const files = filesIn(dir);
    index.save(files);
    const graph = hnswlibForm(files.graph);
    const header = Buffer.from(fs.readFileSync(files.vectors).subarray(0, 60));
    header.writeUInt32LE(1, 4);
    header.writeBigUInt64LE(BigInt(graph.length), 20);
    sha256Buffer(graph).copy(header, 28);
    const labels = Buffer.from(Uint32Array.from(vectors.map((_, label) => label)).buffer);
    const units = Buffer.concat(vectors.map((_, label) => Buffer.from(index.getVector(label)!.buffer)));
    const v1 = path.join(dir, 'v1.bin');
    fs.writeFileSync(v1, Buffer.concat([header, labels, units, graph]));
    const loaded = VectorIndex.load({ vectors: v1, graph: path.join(dir, 'none.hnsw') }, { dimension, exactSearchMaxVectors: 0 });
    assert.equal(loaded.formatRead, 1);
    assert.equal(loaded.hasGraph, true);
    for (const query of randomVectors(10, dimension, 24)) assert.deepEqual(loaded.search(query, 5), index.search(query, 5));
    // read with a limit it does not pass, its graph is not read: the graph built when it grows shares nodes, and needs no rebuild
    const small = VectorIndex.load({ vectors: v1, graph: path.join(dir, 'none.hnsw') }, { dimension, exactSearchMaxVectors: 120, graphThread: true });
    assert.equal(small.hasGraph, false);
    const slices = new TimeSlices(0);
    await small.buildGraphBefore(500, slices);
    small.add(500, vectors[0]);
    await small.finishGraphThread(slices);
    assert.equal(small.graphInMemory, true);
    assert.equal(small.needsGraphRebuild, false);
    fs.writeFileSync(v1, Buffer.concat([header, labels, units, flip(Buffer.from(graph), 500)]));
    assert.throws(() => VectorIndex.load({ vectors: v1, graph: '' }, { dimension, exactSearchMaxVectors: 0 }), /graph checksum mismatch/);
  });

  test('reads format 2 (float32 vectors; with a graph, hnswlib\'s own file) and format 3 without a graph (float32 vectors), eagerly and on demand, its vectors put in the stored form, and writes the current format when saved again', () => {
    const dir = tempDir();
    const raw = randomVectors(150, dimension, 25);
    const units = raw.map((v) => Float32Array.from(v, (x) => x / Math.hypot(...v)));
    const stored = units.map((unit) => toInt8Unit(unit.slice()));
    const labels = Buffer.from(Uint32Array.from(raw.map((_, label) => label)).buffer);
    /** A vector file of format 2: with a graph, its length and SHA-256; without, the vectors. */
    const header = (graph: Buffer | undefined, version = 2): Buffer => {
      const bytes = Buffer.alloc(60);
      [0x49565343, version, 1, dimension, raw.length].forEach((value, i) => bytes.writeUInt32LE(value, 4 * i));
      bytes.writeBigUInt64LE(BigInt(graph?.length ?? 0), 20);
      if (graph !== undefined) sha256Buffer(graph).copy(bytes, 28);
      return bytes;
    };
    // as format 2 saved it: hnswlib's file of the normalised vectors as they were
    const hnsw = new HierarchicalNSW('ip', dimension);
    hnsw.initIndex({ maxElements: 200, m: 12, efConstruction: 64, randomSeed: 100 });
    units.forEach((unit, label) => hnsw.addPoint(Array.from(unit), label));
    const v2 = filesIn(dir, 'v2');
    hnsw.writeIndexSync(v2.graph);
    const graph = fs.readFileSync(v2.graph);
    fs.writeFileSync(v2.vectors, Buffer.concat([header(graph), labels]));
    const flat = filesIn(dir, 'v2-flat');
    fs.writeFileSync(flat.vectors, Buffer.concat([header(undefined), labels, ...units.map((unit) => Buffer.from(unit.buffer))]));
    // format 3 (the graph file in int8) still stored the vectors of an index without a graph in float32
    const flat3 = filesIn(dir, 'v3-flat');
    fs.writeFileSync(flat3.vectors, Buffer.concat([header(undefined, 3), labels, ...units.map((unit) => Buffer.from(unit.buffer))]));
    const queries = randomVectors(8, dimension, 26);
    for (const [files, graphLoading] of [[v2, 'eager'], [v2, 'on-demand'], [flat, 'eager'], [flat3, 'eager']] as const) {
      const what = `${path.basename(files.vectors)} ${graphLoading}`;
      const exactSearchMaxVectors = files === v2 ? 0 : 1_000_000;
      const loaded = VectorIndex.load(files, { dimension, exactSearchMaxVectors, graphLoading });
      assert.equal(loaded.formatRead, files === flat3 ? 3 : 2);
      assert.equal(loaded.graphInMemory, files === v2 && graphLoading === 'eager', what);
      for (const label of [0, 77, 149]) assert.deepEqual(loaded.getVector(label), stored[label], what);
      const again = filesIn(dir, `again-${path.basename(files.vectors, '.bin')}-${graphLoading}`);
      const hits = queries.map((query) => loaded.search(query, 5));
      loaded.save(again);
      assert.equal(fs.readFileSync(again.vectors).readUInt32LE(4), VECTOR_FORMAT_VERSION);
      const reloaded = VectorIndex.load(again, { dimension, exactSearchMaxVectors, graphLoading });
      for (const label of [0, 77, 149]) assert.deepEqual(reloaded.getVector(label), stored[label], what);
      if (graphLoading === 'eager') assert.deepEqual(queries.map((query) => reloaded.search(query, 5)), hits, what);
    }
    fs.writeFileSync(v2.graph, flip(Buffer.from(graph), 700));
    assert.throws(() => VectorIndex.load(v2, { dimension, exactSearchMaxVectors: 0 }), /graph checksum mismatch/);
  });

  test('a graph with no room for hnswlib\'s form (beside it, nor in the temporary folder) stays in its file, and searches scan it', { skip: process.platform !== 'linux' && 'names a file by /proc/self/fd' }, () => {
    const dir = tempDir();
    const index = new VectorIndex({ dimension, exactSearchMaxVectors: 0 });
    randomVectors(200, dimension, 30).forEach((v, label) => index.add(label, v));
    const files = filesIn(dir);
    index.save(files);
    const fd = fs.openSync(files.graph, 'r');
    const tmpdir = process.env.TMPDIR;
    process.env.TMPDIR = path.join(dir, 'no-such-folder'); // os.tmpdir() reads it
    try {
      // the graph named where no file can be made beside it
      const loaded = VectorIndex.fromBytes(fs.readFileSync(files.vectors), { dimension, exactSearchMaxVectors: 0 }, `/proc/self/fd/${fd}`);
      assert.equal(loaded.hasGraph, true);
      assert.equal(loaded.graphInMemory, false);
      for (const query of randomVectors(SCANS_BEFORE_LOADING + 2, dimension, 31)) assert.deepEqual(loaded.search(query, 5), index.searchExact(query, 5));
      assert.equal(loaded.graphInMemory, false, 'no search tries to load it again');
      assert.throws(() => loaded.writeGraph(path.join(dir, 'again.hnsw')), /ENOENT/, 'a change that needs the graph says why it cannot have it');
      loaded.close();
    } finally {
      if (tmpdir === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = tmpdir;
      fs.closeSync(fd);
    }
  });

  test('a saved graph holds each vector in int8 as the index stored it: loaded, it searches bit for bit as the index that saved it, a third of the float32 size', () => {
    const dir = tempDir();
    const index = new VectorIndex({ dimension: 256, exactSearchMaxVectors: 0 });
    const vectors = randomVectors(300, 256, 27);
    vectors.forEach((v, label) => index.add(label, label % 2 === 0 ? cachedForm(v) : v)); // as the cache gives them, and not
    const files = filesIn(dir);
    index.save(files);
    const inInt8 = fs.statSync(files.graph).size;
    const float32 = hnswlibForm(files.graph, 256).length;
    assert.ok(inInt8 < 0.35 * float32, `${inInt8} bytes in int8, ${float32} in float32`);
    for (const graphLoading of ['eager', 'on-demand'] as const) {
      const loaded = VectorIndex.load(files, { dimension: 256, exactSearchMaxVectors: 0, graphLoading });
      for (let label = 0; label < 300; label += 13) assert.deepEqual(loaded.getVector(label), index.getVector(label));
      for (const query of randomVectors(5, 256, 28)) {
        assert.deepEqual(loaded.searchExact(query, 10), index.searchExact(query, 10));
        if (graphLoading === 'eager') assert.deepEqual(loaded.search(query, 10), index.search(query, 10));
      }
    }
    assert.deepEqual(fs.readdirSync(dir).sort(), ['vectors.bin', 'vectors.hnsw'], 'hnswlib\'s form went through a temporary file, removed');
    // a graph in its file whose folder is gone is read through its descriptor, by way of the system's temporary folder
    const lazy = VectorIndex.load(files, { dimension: 256, exactSearchMaxVectors: 0, graphLoading: 'on-demand' });
    fs.rmSync(dir, { recursive: true });
    lazy.rebuildGraph(); // reads the vectors from the file
    const lazier = (() => {
      const again = tempDir();
      const moved = filesIn(again);
      index.save(moved);
      const loaded = VectorIndex.load(moved, { dimension: 256, exactSearchMaxVectors: 0, graphLoading: 'on-demand' });
      fs.rmSync(again, { recursive: true });
      return loaded;
    })();
    const query = randomVectors(1, 256, 29)[0];
    for (let i = 0; i < SCANS_BEFORE_LOADING; i++) lazier.search(query, 10);
    assert.equal(lazier.graphInMemory, true);
    assert.deepEqual(lazier.search(query, 10), index.search(query, 10));
    // a vector the cache gave keeps its codes: the index's vector is that one normalised, to float32 rounding
    for (const label of [0, 100, 298]) {
      const cached = cachedForm(vectors[label]);
      const norm = Math.hypot(...cached);
      index.getVector(label)!.forEach((x, j) => assert.ok(Math.abs(x - cached[j] / norm) < 1e-6));
    }
  });

  test("on demand, a saved graph stays in its file: searches scan it exactly, and the tenth search, a rebuild or a save loads it", () => {
    const dir = tempDir();
    const vectors = randomVectors(600, dimension, 40);
    const index = new VectorIndex({ dimension, exactSearchMaxVectors: 0 });
    vectors.forEach((v, label) => index.add(label, v));
    for (let label = 0; label < 600; label += 7) index.remove(label); // deleted nodes stay in the file
    const files = filesIn(dir);
    index.save(files);
    const options = { dimension, exactSearchMaxVectors: 0 };
    const eager = VectorIndex.load(files, options);
    const lazy = (): VectorIndex => VectorIndex.load(files, { ...options, graphLoading: 'on-demand' });
    const queries = randomVectors(SCANS_BEFORE_LOADING + 2, dimension, 41);
    const filter = (label: number) => label % 3 === 0;

    const onDisk = lazy();
    assert.equal(onDisk.hasGraph, true);
    assert.equal(onDisk.graphInMemory, false);
    assert.deepEqual(onDisk.getVector(300), eager.getVector(300));
    assert.equal(onDisk.getVector(7), undefined, 'a deleted node is not read');
    // the filter is asked only of vectors that would make the cut (related code's asks for each one's chunk record)
    let asked = 0;
    const counted = lazy();
    assert.deepEqual(counted.searchExact(queries[0], 10, (label) => (asked++, filter(label))), eager.searchExact(queries[0], 10, filter));
    assert.ok(asked > 0 && asked < 200, `the filter was asked of ${asked} of the file's 514 vectors`);
    counted.close();
    for (const [i, query] of queries.entries()) {
      const hits = onDisk.search(query, 10, i % 2 === 0 ? filter : undefined);
      assert.equal(onDisk.graphInMemory, i + 1 >= SCANS_BEFORE_LOADING, `after search ${i + 1}`);
      if (i + 1 < SCANS_BEFORE_LOADING) assert.deepEqual(hits, eager.searchExact(query, 10, i % 2 === 0 ? filter : undefined));
      else assert.deepEqual(hits, eager.search(query, 10, i % 2 === 0 ? filter : undefined));
      assert.ok(hits.every((h) => h.label % 7 !== 0));
    }

    // a change keeps the graph in its file (see the next test); rebuilding it loads it
    const rebuilt = lazy();
    rebuilt.rebuildGraph();
    assert.equal(rebuilt.graphInMemory, true);
    for (const query of queries.slice(0, 3)) assert.deepEqual(rebuilt.searchExact(query, 10), eager.searchExact(query, 10));
    // saving loads it too, and writes the same index
    const again = filesIn(dir, 'again');
    const saving = lazy();
    saving.save(again);
    saving.close();
    assert.deepEqual(fs.readFileSync(again.vectors), fs.readFileSync(files.vectors));
    // its file deleted under it (a writer's cleanup of an old generation) and something else
    // written under its name: on Linux hnswlib reads the file held open (through /proc), so the
    // tenth search and a save load the graph that was checked; elsewhere searches go on scanning
    // through the descriptor, and a save fails plainly, leaving the index as it was
    const copy = filesIn(dir, 'copy');
    fs.copyFileSync(files.vectors, copy.vectors);
    fs.copyFileSync(files.graph, copy.graph);
    const gone = VectorIndex.load(copy, { ...options, graphLoading: 'on-demand' });
    fs.rmSync(copy.graph);
    fs.writeFileSync(copy.graph, 'not the graph that was checked');
    const linux = process.platform === 'linux';
    for (const [i, query] of queries.entries()) {
      const loaded = linux && i + 1 >= SCANS_BEFORE_LOADING;
      assert.deepEqual(gone.search(query, 10), loaded ? eager.search(query, 10) : eager.searchExact(query, 10), `search ${i + 1}`);
      assert.equal(gone.graphInMemory, loaded);
    }
    if (linux) {
      const saved = filesIn(dir, 'gone');
      gone.save(saved);
      assert.deepEqual(fs.readFileSync(saved.vectors), fs.readFileSync(files.vectors));
    } else {
      assert.throws(() => gone.save(filesIn(dir, 'gone')), /graph file was removed or replaced/);
      assert.equal(gone.hasGraph, true);
      assert.deepEqual(gone.search(queries[0], 10), eager.searchExact(queries[0], 10));
    }
    // closed, it holds no file and answers nothing
    const closed = lazy();
    closed.close();
    assert.throws(() => closed.search(queries[0], 5), /closed/);
    for (const index of [onDisk, rebuilt, gone]) index.close();
  });

  test("hnswlib's writer cut short (the file-size limit) is reported as the failed write it is", () => {
    const script = [
      `const { VectorIndex } = require(${JSON.stringify(path.join(__dirname, '..', 'src', 'engine', 'index', 'vector-index.js'))});`,
      `const { writeFailure } = require(${JSON.stringify(path.join(__dirname, '..', 'src', 'engine', 'index', 'errors.js'))});`,
      'const index = new VectorIndex({ dimension: 64, exactSearchMaxVectors: 0, efConstruction: 16 });',
      'for (let label = 0; label < 2000; label++) index.add(label, Array.from({ length: 64 }, (_, j) => Math.sin(label * 64 + j + 1)));',
      'const report = (error) => console.log(JSON.stringify({ failure: writeFailure(error), message: error.message }));',
      `try { index.writeGraph(${JSON.stringify(path.join(tempDir(), 'graph.hnsw'))}); console.log('written'); } catch (error) { report(error); }`,
      `index.writeGraphAsync(${JSON.stringify(path.join(tempDir(), 'graph.hnsw'))}).then(() => console.log('written'), report);`,
    ].join('\n');
    // SIGXFSZ ignored: a write past the limit fails with EFBIG instead of killing the process
    const run = spawnSync('sh', ['-c', `trap '' XFSZ; ulimit -f 128; exec "${process.execPath}" -e "$SCRIPT"`], { env: { ...process.env, SCRIPT: script }, encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    const outcomes = run.stdout.trim().split('\n').map((line) => JSON.parse(line) as { failure?: { code: string } });
    assert.deepEqual(outcomes.map((outcome) => outcome.failure?.code), ['EFBIG', 'EFBIG'], run.stdout);
  });

  test('a graph built ahead of the add that needs it, in slices, is the graph the add would build', async () => {
    // a threshold whose graph outgrows the initial capacity (1024 nodes): the capacity is then the one the add would choose
    const options = { dimension, exactSearchMaxVectors: 800, efConstruction: 32, graphThread: false };
    const vectors = randomVectors(850, dimension, 70);
    const inline = new VectorIndex(options);
    const sliced = new VectorIndex(options);
    const loop = new LoopTurns();
    try {
      for (const [label, vector] of vectors.entries()) {
        inline.add(label, vector);
        const before = loop.turns;
        await sliced.buildGraphBefore(label, new TimeSlices(0));
        if (label === 800) {
          assert.ok(loop.turns - before >= 5, `the event loop turned ${loop.turns - before} times while 800 vectors went into the graph`);
          assert.equal(sliced.hasGraph, true, 'the 801st vector: the graph is built before it is added');
          assert.equal(sliced.size, 800);
        } else {
          assert.equal(sliced.hasGraph, label > 800, `label ${label}`);
        }
        sliced.add(label, vector);
      }
    } finally {
      loop.stop();
    }
    assert.equal(inline.hasGraph, true);
    for (const query of randomVectors(20, dimension, 71)) assert.deepEqual(sliced.search(query, 10), inline.search(query, 10));
    const dir = tempDir();
    assert.deepEqual(sliced.writeGraph(path.join(dir, 'sliced.hnsw')), inline.writeGraph(path.join(dir, 'inline.hnsw')), 'the same graph file');
  });

  test('a graph rebuilt in slices is the graph rebuilt at once, and the event loop runs meanwhile', async () => {
    const options = { dimension, exactSearchMaxVectors: 100, efConstruction: 32, rebuildDeletedRatio: 0.2 };
    const vectors = randomVectors(1500, dimension, 80);
    const [atOnce, sliced] = [new VectorIndex(options), new VectorIndex(options)];
    for (const index of [atOnce, sliced]) {
      vectors.forEach((v, label) => index.add(label, v));
      for (let label = 0; label < 1500; label += 3) index.remove(label);
      assert.equal(index.needsGraphRebuild, true);
    }
    atOnce.rebuildGraph();
    const loop = new LoopTurns();
    await sliced.rebuildGraphSliced(new TimeSlices(0));
    loop.stop();
    assert.ok(loop.turns >= 5, `the event loop turned ${loop.turns} times during the rebuild`);
    assert.equal(sliced.needsGraphRebuild, false);
    const dir = tempDir();
    assert.deepEqual(sliced.writeGraph(path.join(dir, 'sliced.hnsw')), atOnce.writeGraph(path.join(dir, 'at-once.hnsw')), 'the same graph file');
    for (const query of randomVectors(10, dimension, 81)) assert.deepEqual(sliced.search(query, 10), atOnce.search(query, 10));
  });

  test('writing the graph in the background gives the same file and digest, and the event loop runs meanwhile', async () => {
    const dir = tempDir();
    // hnswlib's file of several conversion blocks (4 MB): turning it into int8 takes several turns
    const index = new VectorIndex({ dimension: 128, exactSearchMaxVectors: 0, efConstruction: 16 });
    randomVectors(8000, 128, 60).forEach((v, label) => index.add(label, v));
    const inline = index.writeGraph(path.join(dir, 'inline.hnsw'));
    const loop = new LoopTurns();
    const background = await index.writeGraphAsync(path.join(dir, 'background.hnsw'), new TimeSlices(0));
    loop.stop();
    assert.ok(loop.turns >= 3, `the event loop turned ${loop.turns} times while the graph was written`);
    assert.ok(hnswlibForm(path.join(dir, 'inline.hnsw'), 128).length > 4 << 20);
    assert.deepEqual(background, inline);
    assert.ok(fs.readFileSync(path.join(dir, 'background.hnsw')).equals(fs.readFileSync(path.join(dir, 'inline.hnsw'))));
  });

  test('on demand, changes are kept beside the file and searched with it, then applied when the graph is loaded', () => {
    const dir = tempDir();
    const vectors = randomVectors(500, dimension, 50);
    const saved = new VectorIndex({ dimension, exactSearchMaxVectors: 0, rebuildDeletedRatio: 0.2 });
    vectors.forEach((v, label) => saved.add(label, v));
    for (let label = 0; label < 500; label += 9) saved.remove(label);
    const files = filesIn(dir);
    saved.save(files);
    const options = { dimension, exactSearchMaxVectors: 0, rebuildDeletedRatio: 0.2 };
    const extra = randomVectors(40, dimension, 51);
    /** The same changes to any index: new labels, replaced vectors, removals (of live, new and re-added labels). */
    const change = (index: VectorIndex): void => {
      extra.forEach((v, i) => index.add(1000 + i, v));
      for (let label = 1; label < 60; label += 4) index.restore(label, unitOf(vectors[label + 100]));
      for (let label = 2; label < 80; label += 3) index.remove(label);
      index.remove(1003);
      index.add(2, vectors[3]); // removed above, added back
    };
    const lazy = VectorIndex.load(files, { ...options, graphLoading: 'on-demand' });
    const eager = VectorIndex.load(files, options);
    change(lazy);
    change(eager);
    assert.equal(lazy.graphInMemory, false, 'changes do not load the graph');
    assert.equal(lazy.size, eager.size);
    const queries = randomVectors(6, dimension, 52);
    const filter = (label: number) => label % 2 === 1;
    for (const query of queries) {
      assert.deepEqual(lazy.searchExact(query, 10), eager.searchExact(query, 10));
      assert.deepEqual(lazy.searchExact(query, 10, filter), eager.searchExact(query, 10, filter));
    }
    for (const label of [1, 2, 5, 1000, 1039, 1003, 7, 9]) assert.deepEqual(lazy.getVector(label), eager.getVector(label), `label ${label}`);
    assert.equal(lazy.needsGraphRebuild, eager.needsGraphRebuild);
    // a rebuild reads the vectors from the file and the changes beside it
    const rebuiltLazy = VectorIndex.load(files, { ...options, graphLoading: 'on-demand' });
    const rebuiltEager = VectorIndex.load(files, options);
    for (const index of [rebuiltLazy, rebuiltEager]) {
      change(index);
      index.rebuildGraph();
    }
    assert.equal(rebuiltLazy.size, rebuiltEager.size);
    for (let label = 0; label < 1040; label++) assert.deepEqual(rebuiltLazy.getVector(label), rebuiltEager.getVector(label), `rebuilt, label ${label}`);
    for (const query of queries) assert.deepEqual(rebuiltLazy.search(query, 10), rebuiltEager.search(query, 10));
    // loading applies them: the graph then answers as the one changed in memory, and saves the same index
    const reloaded = filesIn(dir, 'changed');
    const reference = filesIn(dir, 'reference');
    lazy.save(reloaded);
    eager.save(reference);
    assert.equal(lazy.graphInMemory, true);
    const a = VectorIndex.load(reloaded, options);
    const b = VectorIndex.load(reference, options);
    assert.equal(a.size, b.size);
    for (const query of queries) assert.deepEqual(a.search(query, 10), b.search(query, 10));
    for (const label of [1, 2, 1000, 1039]) assert.deepEqual(a.getVector(label), b.getVector(label));
    assert.equal(a.getVector(1003), undefined);
    assert.equal(a.needsGraphRebuild, b.needsGraphRebuild);
  });

  test('on demand, enough removals ask for a rebuild, as they do with the graph in memory', () => {
    const dir = tempDir();
    const index = new VectorIndex({ dimension, exactSearchMaxVectors: 0 });
    randomVectors(300, dimension, 53).forEach((v, label) => index.add(label, v));
    const files = filesIn(dir);
    index.save(files);
    const lazy = VectorIndex.load(files, { dimension, exactSearchMaxVectors: 0, graphLoading: 'on-demand' });
    const eager = VectorIndex.load(files, { dimension, exactSearchMaxVectors: 0 });
    for (let label = 0; label < 300; label += 2) {
      lazy.remove(label);
      eager.remove(label);
      assert.equal(lazy.needsGraphRebuild, eager.needsGraphRebuild, `after removing ${label}`);
    }
    assert.equal(lazy.needsGraphRebuild, true);
    lazy.rebuildGraph();
    assert.equal(lazy.needsGraphRebuild, false);
    assert.equal(lazy.size, 150);
  });

  test('refuses a file of another dimension', () => {
    const files = filesIn(tempDir());
    const index = new VectorIndex({ dimension: 4 });
    index.add(1, [1, 2, 3, 4]);
    index.save(files);
    assert.throws(() => VectorIndex.load(files, { dimension: 8 }), (error: unknown) => {
      assert.ok(error instanceof IndexCorruptError);
      assert.match(error.message, /dimension 4, expected 8/);
      return true;
    });
  });

  test('a damaged, truncated or missing file raises IndexCorruptError instead of crashing', () => {
    const dir = tempDir();
    const files = filesIn(dir);
    const index = new VectorIndex({ dimension, exactSearchMaxVectors: 0 });
    randomVectors(400, dimension, 11).forEach((v, label) => index.add(label, v));
    index.save(files);
    const good = { vectors: fs.readFileSync(files.vectors), graph: fs.readFileSync(files.graph) };
    const other = new VectorIndex({ dimension, exactSearchMaxVectors: 0 });
    randomVectors(400, dimension, 12).forEach((v, label) => other.add(label, v));
    const otherFiles = filesIn(dir, 'other');
    other.save(otherFiles);
    const damaged = (which: 'vectors' | 'graph', mutate: (bytes: Buffer) => Buffer | undefined): { vectors: string; graph: string } => {
      const target = filesIn(dir, 'damaged');
      fs.writeFileSync(target.vectors, which === 'vectors' ? mutate(Buffer.from(good.vectors))! : good.vectors);
      fs.rmSync(target.graph, { force: true });
      const graph = which === 'graph' ? mutate(Buffer.from(good.graph)) : good.graph;
      if (graph !== undefined) fs.writeFileSync(target.graph, graph);
      return target;
    };
    const cases: [string, 'vectors' | 'graph', (bytes: Buffer) => Buffer | undefined][] = [
      ['flipped graph header', 'graph', (b) => flip(b, 20)],
      ['flipped graph links', 'graph', (b) => flip(b, 200)],
      ['flipped graph tail', 'graph', (b) => flip(b, b.length - 5)],
      ['truncated graph', 'graph', (b) => b.subarray(0, b.length - 1000)],
      ['missing graph', 'graph', () => undefined],
      ['the graph of another index', 'graph', () => fs.readFileSync(otherFiles.graph)],
      ['flipped graph checksum', 'vectors', (b) => flip(b, 40)],
      ['truncated labels', 'vectors', (b) => b.subarray(0, b.length - 10)],
      ['trailing bytes', 'vectors', (b) => Buffer.concat([b, Buffer.alloc(4)])],
      ['truncated header', 'vectors', (b) => b.subarray(0, 30)],
      ['empty file', 'vectors', () => Buffer.alloc(0)],
    ];
    for (const [name, which, mutate] of cases) {
      assert.throws(() => VectorIndex.load(damaged(which, mutate), { dimension, exactSearchMaxVectors: 0 }), IndexCorruptError, name);
    }
    assert.ok(VectorIndex.load(damaged('graph', (b) => b), { dimension, exactSearchMaxVectors: 0 }).hasGraph);
  });

  test('a graph with a valid checksum but an inconsistent layout is refused before hnswlib reads it', () => {
    const dir = tempDir();
    const files = filesIn(dir);
    const index = new VectorIndex({ dimension, exactSearchMaxVectors: 0 });
    randomVectors(50, dimension, 13).forEach((v, label) => index.add(label, v));
    index.save(files);
    const goodVectors = fs.readFileSync(files.vectors);
    const graph = fs.readFileSync(files.graph);
    /** The index with its graph file replaced, and the vector file's record of its length and checksum made to match. */
    const withGraph = (bytes: Buffer): { vectors: string; graph: string } => {
      const header = Buffer.from(goodVectors);
      header.writeBigUInt64LE(BigInt(bytes.length), 20);
      sha256Buffer(bytes).copy(header, 28);
      const target = filesIn(dir, 'rewritten');
      fs.writeFileSync(target.vectors, header);
      fs.writeFileSync(target.graph, bytes);
      return target;
    };
    const options = { dimension, exactSearchMaxVectors: 0 };
    assert.ok(VectorIndex.load(withGraph(Buffer.from(graph)), options).hasGraph);
    // hnswlib's header, after the int8 form's prefix
    const at = graphHeaderBytes('int8') - HNSW_HEADER_BYTES;
    const otherDimension = Buffer.from(graph);
    otherDimension.writeBigUInt64LE(otherDimension.readBigUInt64LE(at + 32) + 4n, at + 32);
    const hugeCount = Buffer.from(graph);
    hugeCount.writeBigUInt64LE(2n ** 40n, at + 8);
    hugeCount.writeBigUInt64LE(2n ** 40n, at + 16);
    const levelZeroMoved = Buffer.from(graph);
    levelZeroMoved.writeBigUInt64LE(1n << 40n, at);
    const linksLonger = Buffer.from(graph);
    linksLonger.writeBigUInt64LE(linksLonger.readBigUInt64LE(at + 64) + 1n, at + 64); // maxM0: the vector no longer after the links
    const entryBeyond = Buffer.from(graph);
    entryBeyond.writeUInt32LE(50, at + 52);
    const notInt8 = Buffer.from(graph);
    notInt8.writeUInt32LE(2, 4); // another version of the form
    const cases: [string, Buffer, RegExp][] = [
      ['not a graph in int8', hnswlibForm(files.graph), /not a graph in int8/],
      ['another version', notInt8, /not a graph in int8/],
      ['level-0 links elsewhere', levelZeroMoved, /inconsistent header/],
      ['more level-0 links than the node holds', linksLonger, /inconsistent header/],
      ['an entry point beyond the nodes', entryBeyond, /inconsistent header/],
      ['truncated', graph.subarray(0, graph.length - 8), /truncated/],
      ['trailing bytes', Buffer.concat([graph, Buffer.alloc(4)]), /trailing/],
      ['header only', graph.subarray(0, 50), /truncated/],
      ['other dimension', otherDimension, /dimension 32/],
      ['a node count beyond the file', hugeCount, /truncated/],
    ];
    for (const [name, bytes, message] of cases) {
      assert.throws(() => VectorIndex.load(withGraph(bytes), options), (error: unknown) => error instanceof IndexCorruptError && message.test(error.message), name);
    }
  });

  test('the manifest checksum catches a damaged file before it is read', async () => {
    const dir = tempDir();
    const index = new VectorIndex({ dimension, exactSearchMaxVectors: 1_000_000 });
    randomVectors(100, dimension, 12).forEach((v, label) => index.add(label, v));
    const manifest = await commitGeneration(dir, { version: 1, meta: {}, files: [{ name: 'vectors.bin', write: (p) => index.writeVectors(p) }] });
    const file = path.join(dir, manifest.files['vectors.bin'].file);
    fs.writeFileSync(file, flip(fs.readFileSync(file), 1000));
    const generation = openGeneration(dir, 1)!;
    assert.throws(() => generation.read('vectors.bin'), /vectors\.bin checksum mismatch\); it will be rebuilt/);
    fs.truncateSync(file, 500);
    assert.throws(() => openGeneration(dir, 1), /vectors\.bin has 500 bytes/);
  });

  test('writing the vector file before its graph, or a digest without a graph, is refused', () => {
    const dir = tempDir();
    const withGraph = new VectorIndex({ dimension, exactSearchMaxVectors: 0 });
    withGraph.add(1, randomVectors(1, dimension, 30)[0]);
    assert.throws(() => withGraph.writeVectors(path.join(dir, 'a.bin')), /graph must be written before/);
    const digest = withGraph.writeGraph(path.join(dir, 'a.hnsw'));
    const without = new VectorIndex({ dimension });
    without.add(1, randomVectors(1, dimension, 31)[0]);
    assert.throws(() => without.writeVectors(path.join(dir, 'b.bin'), digest), /without a graph/);
    assert.throws(() => without.writeGraph(path.join(dir, 'b.hnsw')), /no graph/);
  });
});

describe('store', () => {
  test('generation files of a known name that the commit lacks are cleaned up, and their numbers never reused', async () => {
    const dir = tempDir();
    await commitGeneration(dir, { version: 1, meta: {}, files: [{ name: 'a.bin', data: Buffer.from('A1') }] });
    // a graph file left by a commit that was killed after writing it, before its manifest
    fs.writeFileSync(path.join(dir, 'graph.g5.hnsw'), 'left behind');
    fs.writeFileSync(path.join(dir, 'other.g9.hnsw'), 'not ours');
    const next = await commitGeneration(dir, { version: 1, meta: {}, files: [{ name: 'a.bin', data: Buffer.from('A2') }], knownNames: ['a.bin', 'graph.hnsw'] });
    assert.equal(next.generation, 6);
    assert.deepEqual(fs.readdirSync(dir).sort(), ['a.g6.bin', MANIFEST_FILE, 'other.g9.hnsw'], 'generation 1 and the crashed graph are gone, the other file stays');
  });


  test('writeFileAtomic replaces a file and leaves no temporary files', () => {
    const dir = tempDir();
    const file = path.join(dir, 'data.txt');
    writeFileAtomic(file, 'first');
    writeFileAtomic(file, Buffer.from('second'));
    assert.equal(fs.readFileSync(file, 'utf8'), 'second');
    assert.deepEqual(fs.readdirSync(dir), ['data.txt']);
  });

  test('sha256 helpers agree', () => {
    const file = path.join(tempDir(), 'data.bin');
    const data = Buffer.alloc(3 << 20, 7);
    fs.writeFileSync(file, data);
    assert.equal(sha256File(file), sha256Hex(data));
    assert.equal(sha256Hex('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  test('commits generations and deletes the files of earlier ones, so the folder holds one index', async () => {
    const dir = tempDir();
    assert.equal(openGeneration(dir, 1), undefined);
    const first = await commitGeneration(dir, { version: 1, meta: { model: 'm1' }, files: [{ name: 'a.bin', data: Buffer.from('A1') }, { name: 'b', write: (p) => fs.writeFileSync(p, 'B1') }] });
    assert.equal(first.generation, 1);
    assert.equal(first.files['a.bin'].file, 'a.g1.bin');
    assert.equal(first.files['b'].file, 'b.g1');
    const reader = openGeneration(dir, 1)!; // a reader that read the first manifest
    const second = await commitGeneration(dir, { version: 1, meta: { model: 'm2' }, files: [{ name: 'a.bin', data: Buffer.from('A2') }] });
    assert.equal(second.generation, 2);
    assert.equal(second.createdAt, first.createdAt);
    assert.deepEqual(fs.readdirSync(dir).sort(), ['a.g2.bin', MANIFEST_FILE], "generation 1's files are gone, also b, which generation 2 does not have");
    assert.deepEqual(second.retained, []);
    // the reader of the replaced manifest finds its file gone (and re-reads: workspace-store, readCommitted)
    assert.throws(() => reader.read('a.bin'), IndexCorruptError);
    const generation = openGeneration(dir, 1, (meta): meta is { model: string } => typeof (meta as { model?: unknown }).model === 'string')!;
    assert.equal(generation.manifest.meta.model, 'm2');
    assert.equal(generation.read('a.bin').toString(), 'A2');
    assert.equal(generation.has('b'), false);
    assert.throws(() => generation.read('b'), IndexCorruptError);
    await commitGeneration(dir, { version: 1, meta: { model: 'm3' }, files: [{ name: 'a.bin', data: Buffer.from('A3') }] });
    assert.deepEqual(fs.readdirSync(dir).sort(), ['a.g3.bin', MANIFEST_FILE]);
  });

  test('the first commit after an earlier version kept a generation for readers deletes it too', async () => {
    const dir = tempDir();
    await commitGeneration(dir, { version: 1, meta: null, files: [{ name: 'a.bin', data: Buffer.from('A1') }, { name: 'old.json', data: Buffer.from('{}') }] });
    const second = await commitGeneration(dir, { version: 1, meta: null, files: [{ name: 'a.bin', data: Buffer.from('A2') }] });
    // as an earlier version wrote it: generation 1's files left on disk and named in `retained`
    fs.writeFileSync(path.join(dir, 'a.g1.bin'), 'A1');
    fs.writeFileSync(path.join(dir, 'old.g1.json'), '{}');
    const { checksum: _, ...body } = { ...second, retained: ['a.g1.bin', 'old.g1.json'] };
    saveManifest(dir, { ...body, checksum: manifestChecksum(body) });
    assert.deepEqual(openGeneration(dir, 1)!.manifest.retained, ['a.g1.bin', 'old.g1.json'], 'a manifest that retains files loads');
    await commitGeneration(dir, { version: 1, meta: null, files: [{ name: 'a.bin', data: Buffer.from('A3') }] });
    assert.deepEqual(fs.readdirSync(dir).sort(), ['a.g3.bin', MANIFEST_FILE], 'also old.g1.json, of a name no longer committed');
  });

  test('only the index\'s own files are ever deleted', async () => {
    const dir = tempDir();
    const mine = ['notes.g1.txt', 'report.g7.pdf', 'data.g2', 'a.g2', 'b.g1.bin', '.manifest.json.x'];
    for (const file of mine) fs.writeFileSync(path.join(dir, file), 'keep me');
    for (let i = 0; i < 4; i++) await commitGeneration(dir, { version: 1, meta: null, files: [{ name: 'a.bin', data: Buffer.from(`A${i}`) }] });
    for (const file of mine) assert.equal(fs.readFileSync(path.join(dir, file), 'utf8'), 'keep me', file);
    assert.equal(openGeneration(dir, 1)!.read('a.bin').toString(), 'A3');
  });

  test('a commit removes the temporary files of the manifest and of generation files that dead processes left, and no other', async () => {
    const dir = tempDir();
    const dead = spawnSync(process.execPath, ['-e', 'process.pid']).pid!; // exited by now
    const removed = [`.graph.g1.hnsw.${dead}.0a1b2c3d.tmp`, `.a.g4.bin.${dead}.ff00ff00.tmp`, `.${MANIFEST_FILE}.${dead}.12345678.tmp`];
    const kept = [
      `.graph.g1.hnsw.${process.pid}.0a1b2c3d.tmp`, // a live process's (a reader loading the graph)
      `.notes.g1.txt.${dead}.0a1b2c3d.tmp`, // not a generation file of the index's names
      `.graph.g1.hnsw.tmp`,
      `graph.g1.hnsw.${dead}.0a1b2c3d.tmp`,
    ];
    for (const file of [...removed, ...kept]) fs.writeFileSync(path.join(dir, file), 'x');
    await commitGeneration(dir, { version: 1, meta: null, files: [{ name: 'a.bin', data: Buffer.from('A') }], knownNames: ['a.bin', 'graph.hnsw'] });
    for (const file of removed) assert.equal(fs.existsSync(path.join(dir, file)), false, file);
    for (const file of kept) assert.equal(fs.existsSync(path.join(dir, file)), true, file);
  });

  test("a manifest that names another file as a generation's is never a reason to delete that file", async () => {
    const dir = tempDir();
    const first = await commitGeneration(dir, { version: 1, meta: null, files: [{ name: 'a.bin', data: Buffer.from('A1') }] });
    fs.writeFileSync(path.join(dir, 'notes.g1.md'), 'keep me');
    // a manifest edited by hand, its checksum made to match, that lists the user's file as a.bin's
    const { checksum: _, ...body } = { ...first, files: { 'a.bin': { ...first.files['a.bin'], file: 'notes.g1.md' } } };
    saveManifest(dir, { ...body, checksum: manifestChecksum(body) });
    await commitGeneration(dir, { version: 1, meta: null, files: [{ name: 'a.bin', data: Buffer.from('A2') }] });
    assert.equal(fs.readFileSync(path.join(dir, 'notes.g1.md'), 'utf8'), 'keep me');
  });

  test('a crash in the middle of a commit leaves the previous generation loadable', async () => {
    const dir = tempDir();
    await commitGeneration(dir, { version: 1, meta: null, files: [{ name: 'a.bin', data: Buffer.from('old A') }, { name: 'b.bin', data: Buffer.from('old B') }] });
    const crash = new Error('killed');
    await assert.rejects(
      () =>
        commitGeneration(dir, {
          version: 1,
          meta: null,
          files: [
            { name: 'a.bin', data: Buffer.from('new A') },
            { name: 'b.bin', write: () => { throw crash; } },
          ],
        }),
      (error) => error === crash,
    );
    assert.equal(fs.existsSync(path.join(dir, 'a.g2.bin')), false, 'the failed commit removed what it wrote');
    fs.writeFileSync(path.join(dir, 'a.g2.bin'), 'left by a process killed while committing');
    const generation = openGeneration(dir, 1)!;
    assert.equal(generation.manifest.generation, 1);
    assert.equal(generation.read('a.bin').toString(), 'old A');
    assert.equal(generation.read('b.bin').toString(), 'old B');
    const next = await commitGeneration(dir, { version: 1, meta: null, files: [{ name: 'a.bin', data: Buffer.from('newer A') }] });
    assert.equal(next.generation, 3);
    assert.deepEqual(fs.readdirSync(dir).sort(), ['a.g3.bin', MANIFEST_FILE], 'the killed commit\'s file is gone, and generation 1 once 3 is committed');
  });

  test('a damaged manifest or data file raises IndexCorruptError', async () => {
    const dir = tempDir();
    const manifestPath = path.join(dir, MANIFEST_FILE);
    await commitGeneration(dir, { version: 2, meta: { ok: true }, files: [{ name: 'a.bin', data: Buffer.from('payload') }] });
    const good = fs.readFileSync(manifestPath, 'utf8');

    assert.throws(() => openGeneration(dir, 3), (error: unknown) => error instanceof IndexVersionError && /format version 2, this version reads 3/.test(error.message));
    assert.throws(() => openGeneration(dir, 2, (meta): meta is string => typeof meta === 'string'), /invalid metadata/);

    fs.writeFileSync(manifestPath, good.slice(0, 40));
    assert.throws(() => loadManifest(dir, 2), (error: unknown) => error instanceof IndexCorruptError && !(error instanceof IndexVersionError) && /not valid JSON/.test(error.message));
    fs.writeFileSync(manifestPath, JSON.stringify({ ...JSON.parse(good), files: { 'a.bin': { file: '../../etc/passwd', sha256: 'x', bytes: 1 } } }));
    assert.throws(() => loadManifest(dir, 2), /invalid entry for a\.bin/);
    fs.writeFileSync(manifestPath, good);

    const dataFile = path.join(dir, 'a.g1.bin');
    fs.writeFileSync(dataFile, 'PAYLOAD');
    assert.throws(() => openGeneration(dir, 2)!.read('a.bin'), (error: unknown) => error instanceof IndexCorruptError && error.message === `index at ${dir} is damaged (a.bin checksum mismatch); it will be rebuilt`);
    fs.rmSync(dataFile);
    assert.throws(() => openGeneration(dir, 2), /a\.bin is missing/);
    fs.writeFileSync(dataFile, 'payload');
    fs.rmSync(manifestPath);
    assert.throws(() => openGeneration(dir, 2), /manifest\.json is missing/);
    assert.equal(openGeneration(path.join(dir, 'nothing-here'), 2), undefined);

    await commitGeneration(dir, { version: 3, meta: null, files: [{ name: 'a.bin', data: Buffer.from('rebuilt') }] });
    assert.equal(openGeneration(dir, 3)!.read('a.bin').toString(), 'rebuilt');
  });

  test('rejects unsafe file names', async () => {
    const dir = tempDir();
    for (const name of ['../x', 'a/b', 'a.b.c', MANIFEST_FILE, '']) {
      await assert.rejects(() => commitGeneration(dir, { version: 1, meta: null, files: [{ name, data: Buffer.alloc(1) }] }), RangeError, name);
    }
  });
});

describe('EmbeddingCache', () => {
  const dimension = 16;
  const keyOf = (i: number): Buffer => embeddingKey('model', `chunk ${i}`);
  const vectorOf = (i: number): Float32Array => Float32Array.from({ length: dimension }, (_, j) => i + j / 100);
  /** what the cache gives back for vectorOf(i): int8, each with its scale */
  const storedOf = (i: number): Float32Array => cachedForm(vectorOf(i));
  const recordBytes = EMBEDDING_KEY_BYTES + 4 + dimension + 4;

  function filled(file: string, count: number): void {
    const cache = EmbeddingCache.open(file, dimension);
    for (let i = 0; i < count; i++) cache.put(keyOf(i), vectorOf(i));
    cache.close();
  }

  test('the indexer compacts a cache that holds more than twice the vectors the index uses', async () => {
    const { compactEmbeddingCache } = await import('../src/engine/indexer');
    const file = path.join(tempDir(), 'embeddings.cache');
    const cache = EmbeddingCache.open(file, dimension);
    for (let i = 0; i < 30; i++) cache.put(keyOf(i), vectorOf(i));
    const liveChunks = (n: number) => ({ chunks: new Map(Array.from({ length: n }, (_, i) => [i, { embeddingKey: keyOf(i).toString('hex') }])) });
    const state = (n: number) => ({ catalog: liveChunks(n), embeddingCache: cache }) as unknown as Parameters<typeof compactEmbeddingCache>[0];
    compactEmbeddingCache(state(15), 0); // 30 cached for 15 live: not more than twice, kept
    assert.equal(cache.size, 30);
    // 30 for 10, and a recorded key that is not a cache key (a catalog from elsewhere), which keeps nothing: rewritten with the 10
    const withOdd = state(10);
    (withOdd.catalog.chunks as unknown as Map<number, { embeddingKey: string }>).set(99, { embeddingKey: 'abc' });
    compactEmbeddingCache(withOdd, 0);
    assert.equal(cache.size, 10);
    assert.deepEqual(cache.get(keyOf(9)), storedOf(9));
    assert.equal(cache.get(keyOf(10)), undefined);
    cache.close();
    const reopened = EmbeddingCache.open(file, dimension);
    assert.equal(reopened.size, 10);
    reopened.close();
  });

  test('grows past a full cache read from disk, and bounds its size before reading it', () => {
    const file = path.join(tempDir(), 'embeddings.cache');
    filled(file, 1100); // read into an array of exactly 1,100 slots: the next put must grow it
    fs.appendFileSync(file, Buffer.alloc(recordBytes - 7, 0xab)); // a torn tail, counted by neither
    const cache = EmbeddingCache.open(file, dimension);
    assert.equal(cache.sizeBound, 1100, 'the bound comes from the file length, before the records are read');
    assert.equal(fs.statSync(file).size, 16 + 1100 * recordBytes + recordBytes - 7, 'and did not read them');
    for (let i = 1100; i < 1103; i++) cache.put(keyOf(i), vectorOf(i));
    assert.equal(cache.size, 1103);
    assert.equal(cache.sizeBound, 1103);
    for (const i of [0, 1099, 1100, 1102]) assert.deepEqual(cache.get(keyOf(i)), storedOf(i));
    cache.close();
    const reopened = EmbeddingCache.open(file, dimension);
    assert.equal(reopened.size, 1103);
    assert.deepEqual(reopened.get(keyOf(1101)), storedOf(1101));
    reopened.close();
  });

  test('getMany searches the file without reading it, each time; puts after it are appended without reading it either; search: false reads it', () => {
    const file = path.join(tempDir(), 'embeddings.cache');
    filled(file, 40);
    const bytes = fs.readFileSync(file);
    flip(bytes, 16 + 7 * recordBytes + 40); // record 7's vector: its checksum fails
    fs.writeFileSync(file, Buffer.concat([bytes, Buffer.alloc(recordBytes - 7, 0xab)])); // and a torn tail
    const torn = fs.statSync(file).size;
    const cache = EmbeddingCache.open(file, dimension);
    const found = cache.getMany([keyOf(3), keyOf(99), keyOf(7), keyOf(39), keyOf(3)]);
    assert.deepEqual(found, [storedOf(3), undefined, undefined, storedOf(39), storedOf(3)]);
    assert.equal(fs.statSync(file).size, torn, 'searching neither read nor repaired the file');
    cache.put(keyOf(99), vectorOf(99));
    cache.put(keyOf(3), vectorOf(3)); // cached already: written again, harmlessly
    cache.put(keyOf(99), vectorOf(99)); // put twice: written once
    assert.equal(cache.sizeBound, 42);
    cache.flush();
    assert.equal(fs.statSync(file).size, 16 + 42 * recordBytes, 'the torn tail was cut before the append');
    const internals = cache as unknown as { loaded: unknown };
    assert.deepEqual(cache.getMany([keyOf(99), keyOf(39)]), [storedOf(99), storedOf(39)], 'a second search finds the appended vector');
    assert.equal(internals.loaded, undefined, 'and did not read the records');
    cache.put(keyOf(100), vectorOf(100)); // pending, not flushed: found by a search too
    assert.deepEqual(cache.getMany([keyOf(100)]), [storedOf(100)]);
    assert.deepEqual(cache.getMany([keyOf(3), keyOf(7)], { search: false }), [storedOf(3), undefined], 'search: false reads the records');
    assert.notEqual(internals.loaded, undefined);
    assert.equal(cache.size, 41, '41 distinct keys: 0–39 but the damaged 7, 99 and 100');
    assert.deepEqual(cache.recovery, { truncatedBytes: 0, corruptRecords: 1, reset: false });
    cache.close();
    const reopened = EmbeddingCache.open(file, dimension);
    assert.equal(reopened.size, 41);
    assert.deepEqual(reopened.get(keyOf(99)), storedOf(99));
    reopened.close();
  });

  test('getMany finds records past its first read block (4 MB) and at the file\'s last record', () => {
    const file = path.join(tempDir(), 'embeddings.cache');
    const count = Math.ceil((4 * 1024 * 1024) / recordBytes) + 50; // past the first block
    filled(file, count);
    const cache = EmbeddingCache.open(file, dimension);
    assert.deepEqual(cache.getMany([keyOf(count - 1), keyOf(count - 60), keyOf(0), keyOf(count)]), [storedOf(count - 1), storedOf(count - 60), storedOf(0), undefined]);
    cache.close();
  });

  test('vectors put after a search survive reading the records, and a file of another format started afresh', () => {
    for (const otherFormat of [false, true]) {
      const file = path.join(tempDir(), 'embeddings.cache');
      if (otherFormat) {
        const other = EmbeddingCache.open(file, dimension * 2);
        other.put(keyOf(1), Float32Array.from({ length: dimension * 2 }, () => 1));
        other.close();
      } else filled(file, 5);
      const cache = EmbeddingCache.open(file, dimension);
      assert.deepEqual(cache.getMany([keyOf(50)]), [undefined]);
      cache.put(keyOf(50), vectorOf(50));
      cache.flush(); // appended to the file as it is, or to a fresh one
      cache.put(keyOf(51), vectorOf(51)); // not flushed yet
      assert.deepEqual(cache.get(keyOf(50)), storedOf(50), `reading keeps the flushed put (${otherFormat})`);
      assert.deepEqual(cache.get(keyOf(51)), storedOf(51), `and the pending one (${otherFormat})`);
      assert.equal(cache.size, otherFormat ? 2 : 7);
      cache.close();
      const reopened = EmbeddingCache.open(file, dimension);
      assert.equal(reopened.size, otherFormat ? 2 : 7);
      assert.deepEqual(reopened.get(keyOf(51)), storedOf(51));
      reopened.close();
    }
  });

  test('keeps flushed vectors across reopening', () => {
    const file = path.join(tempDir(), 'not', 'yet', 'there', 'embeddings.cache');
    const cache = EmbeddingCache.open(file, dimension);
    cache.put(keyOf(1), vectorOf(1));
    cache.put(keyOf(1), vectorOf(99));
    cache.put(keyOf(2), vectorOf(2));
    assert.deepEqual(cache.get(keyOf(1)), storedOf(1));
    cache.flush();
    cache.put(keyOf(3), vectorOf(3));
    cache.close();
    const reopened = EmbeddingCache.open(file, dimension);
    assert.equal(reopened.size, 3);
    assert.deepEqual(reopened.get(keyOf(2)), storedOf(2));
    assert.deepEqual(reopened.get(keyOf(3)), storedOf(3));
    assert.equal(reopened.get(keyOf(4)), undefined);
    assert.deepEqual(reopened.recovery, { truncatedBytes: 0, corruptRecords: 0, reset: false });
    reopened.close();
  });

  test('cuts off a torn tail and appends after the last good record', () => {
    const file = path.join(tempDir(), 'embeddings.cache');
    filled(file, 5);
    const size = fs.statSync(file).size;
    fs.appendFileSync(file, Buffer.alloc(recordBytes - 7, 0xab));
    const cache = EmbeddingCache.open(file, dimension);
    assert.deepEqual(cache.recovery, { truncatedBytes: recordBytes - 7, corruptRecords: 0, reset: false });
    assert.equal(fs.statSync(file).size, size);
    assert.equal(cache.size, 5);
    cache.put(keyOf(5), vectorOf(5));
    cache.close();
    const reopened = EmbeddingCache.open(file, dimension);
    assert.equal(reopened.size, 6);
    assert.deepEqual(reopened.get(keyOf(5)), storedOf(5));
    reopened.close();
  });

  test('reads its records on first use, not when opened (opening an index to search does not pay for it)', () => {
    const file = path.join(tempDir(), 'embeddings.cache');
    filled(file, 5);
    const size = fs.statSync(file).size;
    fs.appendFileSync(file, Buffer.alloc(recordBytes - 7, 0xab));
    const cache = EmbeddingCache.open(file, dimension);
    assert.equal(fs.statSync(file).size, size + recordBytes - 7, 'opening leaves the torn tail: the records are not read yet');
    assert.deepEqual(cache.get(keyOf(4)), storedOf(4));
    assert.equal(fs.statSync(file).size, size, 'the first lookup read them and cut the tail');
    cache.put(keyOf(5), vectorOf(5));
    cache.close();
    const reopened = EmbeddingCache.open(file, dimension);
    assert.equal(reopened.size, 6);
    reopened.close();
  });

  test('opening still refuses what is not a file, at once', () => {
    const dir = path.join(tempDir(), 'embeddings.cache');
    fs.mkdirSync(dir);
    assert.throws(() => EmbeddingCache.open(dir, dimension), (err: Error) => err.name === 'NotAFileError');
  });

  test('skips corrupted records and drops a corrupted last record', () => {
    const file = path.join(tempDir(), 'embeddings.cache');
    filled(file, 5);
    const bytes = fs.readFileSync(file);
    flip(bytes, 16 + recordBytes + 40);
    flip(bytes, 16 + 4 * recordBytes + 3);
    fs.writeFileSync(file, bytes);
    const cache = EmbeddingCache.open(file, dimension);
    assert.deepEqual(cache.recovery, { truncatedBytes: recordBytes, corruptRecords: 1, reset: false });
    assert.equal(cache.has(keyOf(1)), false);
    assert.equal(cache.has(keyOf(4)), false);
    assert.deepEqual(cache.get(keyOf(2)), storedOf(2));
    assert.equal(cache.size, 3);
    cache.close();
  });

  test('compacts to the live keys', () => {
    const file = path.join(tempDir(), 'embeddings.cache');
    filled(file, 10);
    const cache = EmbeddingCache.open(file, dimension);
    cache.put(keyOf(10), vectorOf(10));
    cache.compact([keyOf(2), keyOf(10), keyOf(77)]);
    assert.equal(cache.size, 2);
    assert.equal(fs.statSync(file).size, 16 + 2 * recordBytes);
    cache.put(keyOf(11), vectorOf(11));
    cache.close();
    const reopened = EmbeddingCache.open(file, dimension);
    assert.equal(reopened.size, 3);
    assert.deepEqual(reopened.get(keyOf(10)), storedOf(10));
    assert.deepEqual(reopened.get(keyOf(11)), storedOf(11));
    assert.equal(reopened.has(keyOf(3)), false);
    reopened.close();
  });

  test('starts afresh for another dimension and validates input', () => {
    const file = path.join(tempDir(), 'embeddings.cache');
    filled(file, 3);
    const cache = EmbeddingCache.open(file, dimension * 2);
    assert.equal(cache.recovery.reset, true);
    assert.equal(cache.size, 0);
    assert.throws(() => cache.put(keyOf(1), vectorOf(1)), /dimensions/);
    assert.throws(() => cache.put(keyOf(1), new Float32Array(dimension * 2).fill(Number.NaN)), /non-finite/);
    assert.throws(() => cache.put(Buffer.alloc(8), new Float32Array(dimension * 2)), /32 bytes/);
    cache.close();
    assert.throws(() => cache.put(keyOf(1), new Float32Array(dimension * 2)), /closed/);
  });
});

function sha256Buffer(data: Uint8Array): Buffer {
  return Buffer.from(sha256Hex(data), 'hex');
}

/** Inverts one byte in place and returns the buffer. */
function flip(bytes: Buffer, offset: number): Buffer {
  bytes[offset] = bytes[offset] ^ 0xff;
  return bytes;
}

describe('CheckpointProjection', () => {
  test('projects the time left from the share of bytes indexed so far, and never before a byte is done', async () => {
    const { CheckpointProjection } = await import('../src/engine/indexer');
    let now = 1_000;
    const projection = new CheckpointProjection([{ size: 10 }, { size: 0 }, { size: 10 }, { size: 80 }], () => now);
    assert.equal(projection.endsWithin(1e9), false, 'nothing indexed yet: no projection');
    now += 1_000;
    projection.indexed(2); // 10 of 100 bytes in 1 s: 9 s left
    assert.equal(projection.endsWithin(8_999), false);
    assert.equal(projection.endsWithin(9_000), true);
    projection.indexed(3); // 20 of 100 bytes in 1 s: 4 s left
    assert.equal(projection.endsWithin(5_000), true);
    assert.equal(projection.endsWithin(3_999), false);
    projection.indexed(64); // past the end (the last batch's count): all done
    assert.equal(projection.endsWithin(0), true);
  });

  test('checkpointDue: due after the interval unless the end is near, and always 15 s after that', async () => {
    const { checkpointDue } = await import('../src/engine/indexer');
    const near = () => true;
    const far = () => false;
    assert.equal(checkpointDue(10_000, 15_000, far), false, 'not yet');
    assert.equal(checkpointDue(15_000, 15_000, far), false);
    assert.equal(checkpointDue(15_001, 15_000, far), true);
    assert.equal(checkpointDue(15_001, 15_000, near), false, 'the final save follows soon');
    assert.equal(checkpointDue(29_999, 15_000, near), false);
    assert.equal(checkpointDue(30_001, 15_000, near), true, 'a projection proved wrong: no longer left out');
    assert.equal(checkpointDue(52_000, 37_500, near), false, 'after a costly checkpoint: 15 s more, not twice its interval');
    assert.equal(checkpointDue(52_501, 37_500, near), true);
    let asked: number | undefined;
    checkpointDue(20_000, 15_000, (ms) => ((asked = ms), false));
    assert.equal(asked, 5_000, 'near is within 5 s');
  });

  test('checkpointInterval: 15 s, or 15 times what the last checkpoint took, up to a minute', async () => {
    const { checkpointInterval } = await import('../src/engine/indexer');
    assert.equal(checkpointInterval(0), 15_000);
    assert.equal(checkpointInterval(1_000), 15_000);
    assert.equal(checkpointInterval(2_500), 37_500);
    assert.equal(checkpointInterval(10_000), 60_000, 'a slow checkpoint (searches answered meanwhile) puts the next off by a minute at most');
  });

  test('files of no bytes alone never project an end', async () => {
    const { CheckpointProjection } = await import('../src/engine/indexer');
    const projection = new CheckpointProjection([{ size: 0 }, { size: 0 }], () => 5);
    projection.indexed(1);
    assert.equal(projection.endsWithin(1e9), false);
  });
});
