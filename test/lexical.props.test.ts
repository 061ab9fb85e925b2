/**
 * A lexical index loaded from its bytes behaves exactly like the index it was saved from: the
 * same answers and term checks through any sequence of additions, removals (which may compact
 * it), searches and further save/load round trips. Words include Object.prototype names.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { LexicalIndex } from '../src/engine/index/lexical';
import { IndexCorruptError } from '../src/engine/index/errors';
import { fuzzParams } from './helpers/fuzz';
import { lexicalFormatTwo } from './helpers/legacy-formats';

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'codescout-lexical-'));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));
let files = 0;

/**
 * `bytes` (an index as serialize writes it) read as a one-shot command reads it: the part before
 * the postings (the length its last four bytes give) in memory, the postings left in a file open as
 * `fd`, which the index closes.
 */
function fromHead(bytes: Buffer): { index: LexicalIndex; fd: number } {
  const file = path.join(scratch, `lexical-${files++}.bin`);
  fs.writeFileSync(file, bytes);
  const fd = fs.openSync(file, 'r');
  return { index: LexicalIndex.deserializeHead(bytes.subarray(0, bytes.readUInt32LE(bytes.length - 4)), { fd, size: bytes.length }), fd };
}

/** Whether `fd` is open. */
function isOpen(fd: number): boolean {
  try {
    fs.fstatSync(fd);
    return true;
  } catch {
    return false;
  }
}

// words outside ASCII too: the stored term list is measured in UTF-16 code units and written in UTF-8
const word = fc.constantFrom('parse', 'config', 'read', 'file', 'retry', 'request', 'socket', 'open', 'x', 'constructor', '__proto__', 'größe', '数据', 'x🚀');
const doc = fc.record({ id: fc.nat(40), name: fc.array(word, { maxLength: 3 }), body: fc.array(word, { maxLength: 12 }) });
const op = fc.oneof(
  doc.map((d) => ({ kind: 'add' as const, ...d })),
  fc.nat(40).map((id) => ({ kind: 'remove' as const, id })),
  fc.array(word, { minLength: 1, maxLength: 4 }).map((query) => ({ kind: 'search' as const, query })),
  fc.constant({ kind: 'reload' as const }),
);

const fieldsOf = (d: { name: string[]; body: string[] }) => [
  { tokens: d.name, weight: 3 },
  { tokens: d.body, weight: 1 },
];

/** A document's terms as `documentTerms` lists them, in term order (the order they are listed in is not part of it). */
const sorted = (d: { terms: [string, number][]; length: number } | undefined) => d && { ...d, terms: [...d.terms].sort((a, b) => (a[0] < b[0] ? -1 : 1)) };

test('a loaded lexical index answers like the one it was saved from, through any updates, read whole or with its postings left in the file', () => {
  fc.assert(
    fc.property(fc.array(doc, { maxLength: 30 }), fc.array(op, { maxLength: 40 }), fc.boolean(), (docs, ops, headFirst) => {
      const original = new LexicalIndex();
      for (const d of docs) original.add(d.id, fieldsOf(d));
      // reloads alternate between the two ways of reading
      let viaFile = headFirst;
      const reload = (bytes: Buffer): LexicalIndex => {
        viaFile = !viaFile;
        return viaFile ? fromHead(bytes).index : LexicalIndex.deserialize(bytes);
      };
      let loaded = reload(original.serialize());
      // documents removed or replaced since the last reload: a posting still in its bytes counts them (documentFrequency)
      let removedSinceLoad = 0;
      for (const o of ops) {
        if (o.kind === 'add') {
          if (loaded.has(o.id)) removedSinceLoad++;
          original.add(o.id, fieldsOf(o));
          loaded.add(o.id, fieldsOf(o));
        } else if (o.kind === 'remove') {
          const removed = original.remove(o.id);
          assert.equal(loaded.remove(o.id), removed);
          if (removed) removedSinceLoad++;
        } else if (o.kind === 'search') {
          // each word's document frequency, before the search decodes its posting and after
          const frequencies = o.query.map((w) => loaded.documentFrequency(w));
          assert.deepEqual(loaded.search(o.query, 10), original.search(o.query, 10));
          o.query.forEach((w, i) => {
            assert.equal(loaded.hasTerm(w), original.hasTerm(w));
            const holding = original.search([w], 1000).length;
            assert.equal(original.documentFrequency(w), holding, `documents holding ${w}, built in memory`);
            assert.equal(loaded.documentFrequency(w), holding, `documents holding ${w}, once searched`);
            assert.ok(frequencies[i] >= holding && frequencies[i] <= holding + removedSinceLoad, `${w}: ${frequencies[i]} before its posting was read, ${holding} documents, ${removedSinceLoad} removed since loading`);
            if (removedSinceLoad === 0) assert.equal(frequencies[i], holding, `${w}: nothing removed since loading`);
          });
        } else {
          const before = loaded;
          loaded = reload(loaded.serialize());
          before.close();
          removedSinceLoad = 0;
        }
        assert.equal(loaded.size, original.size);
      }
      for (const d of docs) assert.deepEqual(sorted(loaded.documentTerms(d.id)), sorted(original.documentTerms(d.id)));
      loaded.close();
    }),
    fuzzParams(200),
  );
});

test('a stored posting\'s document count of one, two and three bytes is read without decoding it', () => {
  const built = new LexicalIndex();
  for (let id = 0; id < 20_000; id++) {
    const tokens = ['all'];
    if (id % 100 === 0) tokens.push('rare'); // 200 documents: a count of two bytes
    if (id === 7) tokens.push('one');
    built.add(id, [{ tokens, weight: 1 }]);
  }
  const bytes = built.serialize();
  for (const [how, index] of [['read whole', LexicalIndex.deserialize(bytes)], ['left in the file', fromHead(bytes).index]] as const) {
    built.add(20_000, [{ tokens: ['rare'], weight: 1 }]);
    index.add(20_000, [{ tokens: ['rare'], weight: 1 }]);
    assert.deepEqual(['all', 'rare', 'one', 'absent'].map((t) => index.documentFrequency(t)), [20_000, 201, 1, 0], how);
    assert.deepEqual(['all', 'rare', 'one'].map((t) => index.search([t], 300_000).length), [20_000, 201, 1], `${how}: as many documents as searched`);
    index.close();
  }
});

test('postings left in the file: read as searches ask for them, all at once before a save, and the file let go then, or when every posting is read, or on close', () => {
  const built = new LexicalIndex();
  built.add(1, [{ tokens: ['parse', 'config', 'file'], weight: 1 }]);
  built.add(2, [{ tokens: ['read', 'config', '数据'], weight: 1 }]);
  built.add(3, [{ tokens: ['open', 'socket'], weight: 1 }]);
  const bytes = built.serialize();

  const searched = fromHead(bytes);
  assert.deepEqual(searched.index.search(['config'], 5), built.search(['config'], 5));
  assert.ok(isOpen(searched.fd), 'open while postings are left in it');
  searched.index.close();
  assert.equal(isOpen(searched.fd), false, 'closed');
  assert.deepEqual(searched.index.search(['config'], 5), built.search(['config'], 5), 'a posting read before goes on answering');
  assert.throws(() => searched.index.search(['socket'], 5), /closed/);

  const saved = fromHead(bytes);
  assert.deepEqual(saved.index.serialize(), bytes, 'a save reads them all first, and writes the same bytes');
  assert.equal(isOpen(saved.fd), false, 'and lets the file go');
  assert.deepEqual(saved.index.search(['socket', '数据'], 5), built.search(['socket', '数据'], 5));

  const every = fromHead(bytes);
  for (const term of ['parse', 'config', 'file', 'read', '数据', 'open', 'socket']) every.index.search([term], 5);
  assert.equal(isOpen(every.fd), false, 'every posting read: the file is no longer needed');
  every.index.close(); // nothing left to close

  const empty = new LexicalIndex().serialize();
  const none = fromHead(empty);
  assert.equal(isOpen(none.fd), false, 'no term, no posting to read: let go at once');
  assert.equal(none.index.size, 0);
});

test('a head that does not end where the postings begin, or a file too short for its end, is refused', () => {
  const built = new LexicalIndex();
  built.add(1, [{ tokens: ['parse', 'config'], weight: 1 }]);
  built.add(2, [{ tokens: ['read', 'file'], weight: 1 }]);
  const bytes = built.serialize();
  const head = bytes.readUInt32LE(bytes.length - 4);
  const file = path.join(scratch, 'refused.bin');
  fs.writeFileSync(file, bytes);
  const fd = fs.openSync(file, 'r');
  try {
    for (const [what, part, size] of [
      ['a head one byte short', bytes.subarray(0, head - 1), bytes.length],
      ['a head with a posting byte', bytes.subarray(0, head + 1), bytes.length],
      ['a file shorter than the head and its end', bytes.subarray(0, head), head + 3],
      ['postings longer than the table says', bytes.subarray(0, head), bytes.length + 1],
    ] as const) {
      assert.throws(() => LexicalIndex.deserializeHead(part, { fd, size }), IndexCorruptError, what);
    }
    // read whole: an end that does not give the head's length
    const wrongEnd = Buffer.from(bytes);
    wrongEnd.writeUInt32LE(head + 1, bytes.length - 4);
    assert.throws(() => LexicalIndex.deserialize(wrongEnd), /malformed end/);
  } finally {
    fs.closeSync(fd);
  }
});

test('terms that are halves of one surrogate pair are written each on its own, and read back as the U+FFFD each is written as', () => {
  const built = new LexicalIndex();
  built.add(1, [{ tokens: ['a\ud83d', '\ude00b'], weight: 1 }]);
  built.add(2, [{ tokens: ['plain'], weight: 1 }]);
  const loaded = LexicalIndex.deserialize(built.serialize());
  assert.deepEqual(loaded.search(['a\ufffd'], 5).map((h) => h.id), [1]);
  assert.deepEqual(loaded.search(['a\ud83d'], 5).map((h) => h.id), [], 'a key under one string only: the one it reads back as');
  assert.deepEqual(loaded.search(['\ufffdb'], 5).map((h) => h.id), [1]);
  assert.deepEqual(loaded.search(['plain'], 5).map((h) => h.id), [2]);
  // saved again (every posting read, each once), it reads back the same
  const again = LexicalIndex.deserialize(loaded.serialize());
  for (const term of ['a\ufffd', '\ufffdb', 'plain']) assert.deepEqual(again.search([term], 5), loaded.search([term], 5));
});

test('a file in format 2 (no end to read a head by: what was taken for one is not) is read whole from the descriptor, which is then closed', () => {
  const built = new LexicalIndex();
  built.add(1, [{ tokens: ['parse', 'config', '数据'], weight: 1 }]);
  built.add(2, [{ tokens: ['read', 'file'], weight: 1 }]);
  const two = lexicalFormatTwo(built.serialize());
  const file = path.join(scratch, 'two.bin');
  fs.writeFileSync(file, two);
  for (const taken of [0, 5, 8, 40, two.length - 4]) {
    const fd = fs.openSync(file, 'r');
    const loaded = LexicalIndex.deserializeHead(two.subarray(0, taken), { fd, size: two.length });
    assert.equal(loaded.formatRead, 2);
    assert.equal(isOpen(fd), false);
    for (const query of [['config'], ['数据', 'file'], ['absent']]) assert.deepEqual(loaded.search(query, 5), built.search(query, 5));
  }
});

/**
 * BM25 worked out from scratch over the live documents, the textbook way: what `search` must
 * return whatever its scan reuses between calls (score buffers, per-slot length norms) and
 * however the slots were renumbered by compaction. Scores are summed in the query's term order,
 * as the index sums them, so they compare exactly.
 */
function referenceSearch(
  docs: ReadonlyMap<number, Map<string, number>>,
  query: readonly string[],
  k: number,
  filter: (id: number) => boolean,
  k1 = 1.2,
  b = 0.75,
): { id: number; score: number }[] {
  if (docs.size === 0 || k <= 0) return [];
  const lengthOf = (tf: Map<string, number>) => [...tf.values()].reduce((a, c) => a + c, 0);
  let total = 0;
  for (const tf of docs.values()) total += lengthOf(tf);
  const average = total / docs.size;
  const terms = [...new Set(query)].filter((t) => [...docs.values()].some((tf) => tf.has(t)));
  const scored: { id: number; score: number }[] = [];
  for (const [id, tf] of docs) {
    let score = 0;
    let matched = false;
    for (const t of terms) {
      const f = tf.get(t);
      if (f === undefined) continue;
      matched = true;
      const df = [...docs.values()].filter((d) => d.has(t)).length;
      const idf = Math.log(1 + (docs.size - df + 0.5) / (df + 0.5));
      const norm = k1 * (1 - b + (b * lengthOf(tf)) / average);
      score += idf * ((f * (k1 + 1)) / (f + norm));
    }
    if (matched && filter(id)) scored.push({ id, score });
  }
  scored.sort((x, y) => y.score - x.score || x.id - y.id);
  if (scored.length <= k) return scored;
  const cut = scored[k - 1].score;
  return scored.filter((s, i) => i < k || s.score === cut);
}

function termFrequencies(d: { name: string[]; body: string[] }): Map<string, number> {
  const tf = new Map<string, number>();
  for (const t of d.name) tf.set(t, (tf.get(t) ?? 0) + 3);
  for (const t of d.body) tf.set(t, (tf.get(t) ?? 0) + 1);
  return tf;
}

test('search returns exactly the BM25 top k of the live documents, ties at the cut included, and scoresOf the score of any document, through updates and saves', () => {
  const searchOp = fc.record({ query: fc.array(word, { minLength: 1, maxLength: 5 }), k: fc.integer({ min: 1, max: 8 }), modulus: fc.integer({ min: 1, max: 3 }), ids: fc.array(fc.nat(45), { maxLength: 6 }) });
  const step = fc.oneof(
    doc.map((d) => ({ kind: 'add' as const, ...d })),
    fc.nat(40).map((id) => ({ kind: 'remove' as const, id })),
    searchOp.map((s) => ({ kind: 'search' as const, ...s })),
    fc.constant({ kind: 'save' as const }), // serialising compacts the index it is called on
    fc.constant({ kind: 'reload' as const }), // a loaded index removes without knowing each document's terms
    fc.array(fc.nat(40), { maxLength: 6 }).map((ids) => ({ kind: 'removeMany' as const, ids })),
  );
  fc.assert(
    fc.property(fc.array(step, { maxLength: 60, size: 'max' }), (steps) => {
      let index = new LexicalIndex();
      const model = new Map<number, Map<string, number>>();
      for (const s of steps) {
        if (s.kind === 'reload') {
          index = LexicalIndex.deserialize(index.serialize());
        } else if (s.kind === 'removeMany') {
          const present = new Set(s.ids.filter((id) => model.has(id)));
          assert.equal(index.removeMany(s.ids), present.size);
          for (const id of present) model.delete(id);
        } else if (s.kind === 'add') {
          index.add(s.id, fieldsOf(s));
          model.set(s.id, termFrequencies(s));
        } else if (s.kind === 'remove') {
          index.remove(s.id);
          model.delete(s.id);
        } else if (s.kind === 'save') {
          index.serialize();
        } else {
          const filter = (id: number) => id % s.modulus === 0;
          const asked: number[] = [];
          const hits = index.search(s.query, s.k, (id) => (asked.push(id), filter(id)));
          assert.deepEqual(hits, referenceSearch(model, s.query, s.k, filter));
          assert.ok(asked.every((id) => model.has(id)), 'the filter is only asked about live documents');
          // the scores of chosen documents, made the cut or not: as search would give them, in the order asked, none for a document without a query term or not in the index
          const all = new Map(referenceSearch(model, s.query, model.size, () => true).map((h) => [h.id, h.score]));
          assert.deepEqual(index.scoresOf(s.query, s.ids), s.ids.filter((id) => all.has(id)).map((id) => ({ id, score: all.get(id)! })));
          for (const w of s.query) assert.equal(index.hasTerm(w), [...model.values()].some((tf) => tf.has(w)), `hasTerm(${w})`);
          assert.equal(index.size, model.size);
        }
      }
    }),
    fuzzParams(300),
  );
});

test('search stays exact across compaction, and a throwing filter leaves the next search unharmed', () => {
  const index = new LexicalIndex();
  const model = new Map<number, Map<string, number>>();
  const words = ['parse', 'config', 'read', 'file', 'retry', 'open'];
  const docOf = (id: number) => ({ name: [words[id % 6]], body: [words[(id * 7) % 6], words[(id * 5) % 6], 'x'.repeat(1 + (id % 4))] });
  for (let id = 0; id < 3000; id++) {
    index.add(id, fieldsOf(docOf(id)));
    model.set(id, termFrequencies(docOf(id)));
  }
  // enough removals to compact (renumbering slots) more than once
  for (let id = 0; id < 3000; id += 3) {
    index.remove(id);
    model.delete(id);
  }
  for (let id = 3000; id < 3100; id++) {
    index.add(id, fieldsOf(docOf(id)));
    model.set(id, termFrequencies(docOf(id)));
  }
  const all = () => true;
  assert.deepEqual(index.search(['parse', 'xx', 'retry'], 25, all), referenceSearch(model, ['parse', 'xx', 'retry'], 25, all));
  assert.throws(() => index.search(['config', 'read'], 5, () => {
    throw new Error('filter failed');
  }), /filter failed/);
  assert.deepEqual(index.search(['config', 'read'], 40), referenceSearch(model, ['config', 'read'], 40, all));
});

test('a filter that searches the same index again gets the answers of two separate searches', () => {
  const index = new LexicalIndex();
  const model = new Map<number, Map<string, number>>();
  const docs = [
    { name: ['parse'], body: ['config', 'file'] },
    { name: ['read'], body: ['file', 'retry'] },
    { name: ['open'], body: ['socket', 'file', 'config'] },
    { name: ['retry'], body: ['request'] },
  ];
  docs.forEach((d, id) => {
    index.add(id, fieldsOf(d));
    model.set(id, termFrequencies(d));
  });
  const all = () => true;
  const nested: { id: number; score: number }[][] = [];
  const outer = index.search(['file', 'config'], 3, (id) => {
    nested.push(index.search(['retry', 'request'], 2));
    return id !== 1;
  });
  assert.deepEqual(outer, referenceSearch(model, ['file', 'config'], 3, (id) => id !== 1));
  assert.ok(nested.length > 0);
  for (const answer of nested) assert.deepEqual(answer, referenceSearch(model, ['retry', 'request'], 2, all));
  assert.deepEqual(index.search(['file'], 4), referenceSearch(model, ['file'], 4, all), 'and the index searches as before afterwards');
});

test('a loaded index stays exact through removals of loaded and added documents, which decode no posting, through compaction', () => {
  const words = ['parse', 'config', 'read', 'file', 'retry', 'open'];
  const docOf = (id: number) => ({ name: [words[id % 6]], body: [words[(id * 7) % 6], words[(id * 5) % 6], 'x'.repeat(1 + (id % 4))] });
  const built = new LexicalIndex();
  const model = new Map<number, Map<string, number>>();
  for (let id = 0; id < 3000; id++) {
    built.add(id, fieldsOf(docOf(id)));
    model.set(id, termFrequencies(docOf(id)));
  }
  const index = LexicalIndex.deserialize(built.serialize());
  const internals = index as unknown as { stored: { undecoded: number } | undefined };
  const terms = internals.stored!.undecoded;
  // a removal decodes nothing
  assert.equal(index.removeMany([5, 11]), 2);
  model.delete(5);
  model.delete(11);
  assert.equal(internals.stored?.undecoded, terms, 'removing documents decoded no posting');
  for (let id = 3000; id < 3300; id++) {
    index.add(id, fieldsOf(docOf(id))); // added after loading (their entries wait beside the undecoded postings)
    model.set(id, termFrequencies(docOf(id)));
  }
  const all = () => true;
  const check = () => {
    for (const q of [['parse', 'xx'], ['retry', 'file', 'xxxx'], ['open']]) assert.deepEqual(index.search(q, 30), referenceSearch(model, q, 30, all), q.join(' '));
  };
  check();
  // ten batches mixing loaded and late documents, through compaction
  for (let batch = 0; batch < 10; batch++) {
    const ids = Array.from({ length: 130 }, (_, i) => (batch * 130 + i) * 2 + (i % 2 === 0 ? 0 : 1)).filter((id) => id < 3300);
    const late = Array.from({ length: 3 }, (_, i) => 3000 + batch * 10 + i);
    const present = [...ids, ...late].filter((id) => model.has(id));
    assert.equal(index.removeMany([...late, ...ids]), new Set(present).size); // a late document first
    for (const id of present) model.delete(id);
    check();
  }
  assert.equal(internals.stored, undefined, 'compaction decoded every posting');
  for (let id = 4000; id < 4050; id++) {
    index.add(id, fieldsOf(docOf(id)));
    model.set(id, termFrequencies(docOf(id)));
  }
  index.removeMany([4001, 3290, 3291]);
  for (const id of [4001, 3290, 3291]) model.delete(id);
  check();
  assert.equal(index.size, model.size);
  // a loaded document's terms, found in the renumbered postings, are those it was saved with
  for (const id of [...model.keys()].filter((id) => id < 3000).slice(0, 40)) assert.deepEqual(sorted(index.documentTerms(id)), sorted(built.documentTerms(id)), `document ${id}`);
});

test('a loaded index whose postings were all decoded before its first removal removes exactly, a term dropped and added again included', () => {
  const built = new LexicalIndex();
  const model = new Map<number, Map<string, number>>();
  const docOf = (id: number) => ({ name: [`n${id % 7}`], body: id % 50 === 0 ? ['rare', `b${id % 3}`] : [`b${id % 3}`, `c${id % 11}`] });
  for (let id = 0; id < 400; id++) {
    built.add(id, fieldsOf(docOf(id)));
    model.set(id, termFrequencies(docOf(id)));
  }
  const index = LexicalIndex.deserialize(built.serialize());
  index.serialize(); // no removed documents: not compacted, but every posting decoded
  const internals = index as unknown as { stored: unknown };
  assert.equal(internals.stored, undefined);
  const remove = (ids: number[]) => {
    assert.equal(index.removeMany(ids), ids.filter((id) => model.has(id)).length);
    for (const id of ids) model.delete(id);
    for (const q of [['rare'], ['b1', 'c3'], ['n2', 'rare', 'c10']]) assert.deepEqual(index.search(q, 20), referenceSearch(model, q, 20, () => true), q.join(' '));
  };
  remove([0, 50, 100, 150, 200, 250, 300, 350]); // every document with 'rare': its posting goes
  assert.equal(index.hasTerm('rare'), false);
  index.add(1000, fieldsOf({ name: ['rare'], body: ['b1'] })); // and comes back, holding a new document only
  model.set(1000, termFrequencies({ name: ['rare'], body: ['b1'] }));
  remove([1, 2, 3, 51, 52, 399]);
  remove([1000, 4, 5]);
  assert.deepEqual(sorted(index.documentTerms(7)), sorted(built.documentTerms(7)));
});

test("a loaded index removes and adds documents without decoding postings; a document's terms are read from the postings in place, or kept for those added since the last commit", () => {
  const built = new LexicalIndex();
  const model = new Map<number, Map<string, number>>();
  const docOf = (id: number) => ({ name: [`name${id}`], body: [`w${id % 5}`, `own${id}`] });
  for (let id = 0; id < 300; id++) {
    built.add(id, fieldsOf(docOf(id)));
    model.set(id, termFrequencies(docOf(id)));
  }
  const index = LexicalIndex.deserialize(built.serialize());
  const internals = index as unknown as { stored: { undecoded: number } | undefined; recentTerms: Map<number, unknown> };
  const terms = internals.stored!.undecoded;
  const check = () => {
    for (const q of [['w1'], ['w2', 'own7'], ['name8', 'w3'], ['own9']]) assert.deepEqual(index.search(q, 20), referenceSearch(model, q, 20, () => true), q.join(' '));
  };
  assert.equal(index.removeMany([7, 8]), 2);
  model.delete(7);
  model.delete(8);
  assert.equal(internals.stored!.undecoded, terms, 'no posting decoded');
  check();
  assert.equal(index.hasTerm('own7'), false, 'a term whose documents are all removed is gone');
  assert.equal(index.hasTerm('own9'), true);
  const decoded = terms - internals.stored!.undecoded;
  // a loaded document's terms, read from the postings' bytes: still none decoded for it
  assert.deepEqual(sorted(index.documentTerms(10)), sorted(built.documentTerms(10)));
  assert.equal(terms - internals.stored!.undecoded, decoded);
  // a document added since loading: its entries wait beside the postings still in the bytes (w0
  // is not decoded for it), and its terms are kept until the index is committed, then read
  const undecoded = internals.stored!.undecoded;
  index.add(500, fieldsOf(docOf(500)));
  model.set(500, termFrequencies(docOf(500)));
  assert.equal(internals.stored!.undecoded, undecoded, 'adding a document decoded no posting');
  assert.equal(internals.recentTerms.size, 1);
  const fresh = sorted(index.documentTerms(500));
  assert.deepEqual(fresh, { length: 5, terms: [['name500', 3], ['own500', 1], ['w0', 1]] });
  assert.deepEqual(sorted(index.recentDocumentTerms(500)), fresh);
  assert.equal(index.recentDocumentTerms(10), undefined, "a loaded document's terms are not kept");
  index.markCommitted();
  assert.equal(internals.recentTerms.size, 0);
  assert.equal(index.recentDocumentTerms(500), undefined);
  assert.deepEqual(sorted(index.documentTerms(500)), fresh, 'read from the postings');
  assert.deepEqual(index.search(['w0', 'name500'], 5), referenceSearch(model, ['w0', 'name500'], 5, () => true), 'its entry joins the posting when it is decoded');
  assert.equal(index.removeMany([9, 500]), 2);
  model.delete(9);
  model.delete(500);
  check();
  assert.equal(index.documentTerms(500), undefined);
});

test('a loaded index whose small postings were all decoded answers exactly after most of its documents are removed, its arena compacted', () => {
  const UNIQUE = 8;
  const tokensOf = (id: number) => [...Array.from({ length: UNIQUE }, (_, k) => `u${k}x${id}`), `s${id % 50}`, `w${id % 7}`];
  const ids = Array.from({ length: 3000 }, (_, id) => id);
  const built = new LexicalIndex();
  for (const id of ids) built.add(id, [{ tokens: tokensOf(id), weight: 1 }]);
  const loaded = LexicalIndex.deserialize(built.serialize());
  // every posting decoded into the arena (all are small: the largest, w*, has 429 entries)
  for (const id of ids) assert.equal(loaded.search(tokensOf(id), 1)[0].id, id);
  const arena = (loaded as unknown as { arena: { reservedEntries: number; garbageEntries: number } }).arena;
  const reservedBefore = arena.reservedEntries;
  assert.equal(reservedBefore, ids.length * (UNIQUE + 2));
  // three quarters removed, in one batch and then one by one: the postings of their own terms go
  const removed = ids.filter((id) => id % 4 !== 0);
  assert.equal(loaded.removeMany(removed.slice(0, 1000)), 1000);
  for (const id of removed.slice(1000)) assert.ok(loaded.remove(id));
  // only compaction gives entries back
  assert.ok(arena.reservedEntries < reservedBefore, `the arena was compacted (${arena.reservedEntries} of ${reservedBefore} entries reserved)`);

  const kept = ids.filter((id) => id % 4 === 0);
  const fresh = new LexicalIndex();
  for (const id of kept) fresh.add(id, [{ tokens: tokensOf(id), weight: 1 }]);
  const again = LexicalIndex.deserialize(loaded.serialize());
  const queries = [['s3', 'w2'], ['s0'], ['w6', 'u1x8'], ...kept.filter((id) => id % 40 === 0).map(tokensOf), ['u0x1', 's1'], ['nothing']];
  for (const query of queries) {
    assert.deepEqual(loaded.search(query, 20), fresh.search(query, 20), query.join(' '));
    assert.deepEqual(again.search(query, 20), fresh.search(query, 20), query.join(' '));
  }
  const sorted = (d: ReturnType<LexicalIndex['documentTerms']>) => d && { ...d, terms: [...d.terms].sort(([a], [b]) => (a < b ? -1 : 1)) };
  for (const id of kept.filter((id) => id % 12 === 0)) assert.deepEqual(sorted(loaded.documentTerms(id)), sorted(fresh.documentTerms(id)));
  for (const id of removed.slice(0, 50)) assert.equal(loaded.documentTerms(id), undefined);
  assert.equal(loaded.hasTerm('u0x1'), false);
  assert.equal(loaded.hasTerm('u0x4'), true);
});

test('an index keeps the terms of at most recentTermsLimit documents added since its last commit, and none once more were added; its answers do not depend on the limit', () => {
  const step = fc.oneof(
    doc.map((d) => ({ kind: 'add' as const, ...d })),
    fc.nat(40).map((id) => ({ kind: 'remove' as const, id })),
    fc.constant({ kind: 'commit' as const }),
  );
  fc.assert(
    fc.property(fc.nat(8), fc.array(step, { maxLength: 60 }), (limit, steps) => {
      const limited = new LexicalIndex({ recentTermsLimit: limit });
      const unlimited = new LexicalIndex();
      // the model: the ids whose terms are kept, and whether the limit was passed since the last commit
      const kept = new Set<number>();
      let overflowed = false;
      for (const s of steps) {
        if (s.kind === 'add') {
          limited.add(s.id, fieldsOf(s));
          unlimited.add(s.id, fieldsOf(s));
          kept.delete(s.id);
          if (!overflowed && kept.size >= limit) {
            overflowed = true;
            kept.clear();
          }
          if (!overflowed) kept.add(s.id);
        } else if (s.kind === 'remove') {
          assert.equal(limited.remove(s.id), unlimited.remove(s.id));
          kept.delete(s.id);
        } else {
          limited.markCommitted();
          unlimited.markCommitted();
          kept.clear();
          overflowed = false;
        }
        for (let id = 0; id <= 40; id++) {
          const recent = limited.recentDocumentTerms(id);
          if (kept.has(id)) assert.deepEqual(sorted(recent), sorted(unlimited.recentDocumentTerms(id)), `the kept terms of ${id}`);
          else assert.equal(recent, undefined, `no terms kept for ${id}`);
          assert.deepEqual(sorted(limited.documentTerms(id)), sorted(unlimited.documentTerms(id)));
        }
      }
      assert.equal(limited.size, unlimited.size);
      for (const q of [['parse'], ['config', 'x'], ['constructor', '__proto__'], ['größe', '数据', 'x🚀']]) assert.deepEqual(limited.search(q, 50), unlimited.search(q, 50));
    }),
    fuzzParams(200),
  );
  assert.throws(() => new LexicalIndex({ recentTermsLimit: -1 }), RangeError);
  assert.throws(() => new LexicalIndex({ recentTermsLimit: 1.5 }), RangeError);
  assert.throws(() => new LexicalIndex({ recentTermsLimit: Number.NaN }), RangeError);
});
