/**
 * The catalog file (catalog-file.ts): any catalog survives a save and load, in the binary format
 * and from the JSON format of earlier versions; damaged bytes are refused with IndexCorruptError.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Catalog, type ChunkRecord, type FileRecord } from '../src/engine/catalog';
import { CATALOG_FORMAT_VERSION, decodeCatalog, encodeCatalog, type CatalogData } from '../src/engine/catalog-file';
import { IndexCorruptError, IndexVersionError } from '../src/engine/index/errors';
import { fuzzParams } from './helpers/fuzz';

/**
 * Text of every kind: ASCII, Latin-1, accents, CJK, astral characters, half of a surrogate pair
 * (what a cut in the middle of one left), prototype names, the empty string.
 */
const piece = fc.constantFrom('a', 'é', 'ÿ', '\u0000', '…', '数', '😀', '\ud83d', '\ude00');
const text = fc.oneof(
  fc.string(),
  fc.constantFrom('', 'constructor', '__proto__', 'größe', '数据', 'x🚀y', 'a\u0000b'),
  fc.string({ unit: 'grapheme' }),
  fc.array(piece, { maxLength: 8 }).map((pieces) => pieces.join('')),
);
const uint = fc.nat({ max: 0xffffffff });
const optional = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });

const chunkArb = fc.record({
  id: uint,
  path: text,
  language: fc.constantFrom('python', 'go', 'typescript'),
  kind: fc.constantFrom('function', 'class', 'window'),
  name: text,
  container: optional(text),
  signature: text,
  doc: optional(text),
  startByte: uint,
  endByte: uint,
  startLine: uint,
  endLine: uint,
  snippet: text,
  embeddingKey: optional(fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b).toString('hex'))),
}) as fc.Arbitrary<ChunkRecord>;

const fileArb = fc.record({
  size: fc.double({ noNaN: true }),
  mtimeMs: fc.double({ noNaN: true }),
  hash: optional(text),
  chunkIds: fc.array(uint, { maxLength: 5 }),
  skip: optional(fc.constantFrom('binary', 'too-large', 'generated')),
  detail: optional(text),
}) as fc.Arbitrary<FileRecord>;

const dataArb: fc.Arbitrary<CatalogData> = fc.record({
  nextId: fc.oneof(uint, fc.constant(2 ** 32)),
  files: fc.uniqueArray(fc.tuple(text, fileArb), { selector: ([path]) => path, maxLength: 8 }).map((entries) => new Map(entries)),
  chunks: fc.uniqueArray(chunkArb, { selector: (c) => c.id, maxLength: 12 }),
  scanSkipped: fc.array(fc.record({ path: text, reason: fc.constantFrom('excluded-dir', 'binary'), detail: optional(text) }), { maxLength: 3 }) as fc.Arbitrary<CatalogData['scanSkipped']>,
  followsLinks: fc.boolean(),
});

/** A value as JSON sees it: fields that are undefined are absent. */
const plain = (value: unknown): unknown => JSON.parse(JSON.stringify(value, (_, v: unknown) => (v instanceof Map ? [...v] : v)));

test('every catalog reads back as it was written, in the binary format and from JSON', () => {
  fc.assert(
    fc.property(dataArb, (data) => {
      const bytes = encodeCatalog(data);
      const { data: read, version } = decodeCatalog(bytes);
      assert.equal(version, CATALOG_FORMAT_VERSION);
      assert.deepEqual(plain(read), plain(data));
      // format 1, as earlier versions wrote it
      const json = Buffer.from(JSON.stringify({ nextId: data.nextId, files: Object.fromEntries(data.files), chunks: data.chunks, scanSkipped: data.scanSkipped, followsLinks: data.followsLinks }));
      const old = decodeCatalog(json);
      assert.equal(old.version, 1);
      // a JSON object lists integer-like keys ("0") first: the files compared whatever their order
      const sorted = (d: CatalogData) => plain({ ...d, files: [...d.files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)) });
      assert.deepEqual(sorted(old.data), sorted(data));
      assert.deepEqual(plain(old.data.files.get('__proto__') ?? null), plain(data.files.get('__proto__') ?? null));
    }),
    fuzzParams(150),
  );
});

test('damaged bytes are refused with IndexCorruptError, or read as some catalog: never another error', () => {
  fc.assert(
    fc.property(dataArb, fc.nat(), fc.integer({ min: 1, max: 255 }), fc.boolean(), (data, at, xor, cut) => {
      const bytes = encodeCatalog(data);
      const damaged = Buffer.from(bytes);
      if (cut) {
        const end = at % bytes.length;
        try {
          decodeCatalog(damaged.subarray(0, end));
          assert.fail(`a catalog cut at ${end} of ${bytes.length} bytes was read`);
        } catch (error) {
          assert.ok(error instanceof IndexCorruptError || error instanceof SyntaxError, String(error));
        }
        return;
      }
      damaged[8 + (at % (bytes.length - 8))] ^= xor; // past the signature, which decides the format
      try {
        const { data: read } = decodeCatalog(damaged);
        // a flip can land where any value is valid (a number, a character): the result is still a catalog
        for (const c of read.chunks) assert.equal(typeof c.path, 'string');
      } catch (error) {
        assert.ok(error instanceof IndexCorruptError, String(error));
      }
    }),
    fuzzParams(300),
  );
});

test('a catalog of another binary version is a version error', () => {
  const bytes = encodeCatalog({ nextId: 1, files: new Map(), chunks: [], scanSkipped: [], followsLinks: false });
  for (const version of [2, CATALOG_FORMAT_VERSION + 1]) {
    const other = Buffer.from(bytes);
    other.writeUInt32LE(version, 4);
    assert.throws(() => decodeCatalog(other), (error: unknown) => error instanceof IndexVersionError && error.found === version);
  }
});

test('a Catalog saved and loaded keeps its records, and says which format it read', () => {
  const catalog = new Catalog();
  // a signature cut inside an emoji: the cut never leaves half of it
  const long = `${'x'.repeat(158)}😀 tail`;
  catalog.addFile('src/b.py', { size: 5, mtimeMs: 2 }, [
    { path: 'src/b.py', language: 'python', kind: 'function', name: 'long', signature: long, doc: `${'d'.repeat(599)}😀`, startByte: 0, endByte: 5, startLine: 1, endLine: 1, text: long },
  ]);
  const cut = [...catalog.chunks.values()][0];
  assert.equal(cut.snippet, `${'x'.repeat(158)}…`);
  assert.equal(cut.doc, `${'d'.repeat(599)}…`);
  catalog.addFile('src/a.py', { size: 10, mtimeMs: 1.5, hash: 'abc' }, [
    { path: 'src/a.py', language: 'python', kind: 'function', name: 'parse', signature: 'def parse(text):', startByte: 0, endByte: 20, startLine: 1, endLine: 2, text: 'def parse(text):\n  pass' },
  ]);
  const loaded = Catalog.deserialize(catalog.serialize());
  assert.equal(loaded.formatRead, CATALOG_FORMAT_VERSION);
  assert.deepEqual(plain([...loaded.chunks.values()]), plain([...catalog.chunks.values()]));
  assert.deepEqual(plain([...loaded.files]), plain([...catalog.files]));
  assert.equal(loaded.nextChunkId, catalog.nextChunkId);
  assert.equal(loaded.pathsKey, catalog.pathsKey);
});

test('a catalog read from a file answers as its records do, decoding them as asked, in any id order', () => {
  fc.assert(
    fc.property(dataArb, fc.array(uint, { maxLength: 4 }), fc.array(text, { maxLength: 3 }), (data, probes, names) => {
      const catalog = Catalog.deserialize(encodeCatalog(data));
      const table = catalog.chunks;
      assert.ok(table.fromFile, 'records left in the bytes');
      assert.equal(table.size, data.chunks.length);
      // asked out of order first: each record decoded alone, then the same object every time
      for (const c of [...data.chunks].reverse()) {
        const got = table.get(c.id);
        assert.deepEqual(plain(got), plain(c));
        assert.equal(table.get(c.id), got, 'one object per record');
        assert.ok(table.has(c.id));
      }
      for (const id of probes) assert.equal(table.get(id) === undefined, !data.chunks.some((c) => c.id === id));
      assert.deepEqual(plain([...table.entries()]), plain(data.chunks.map((c) => [c.id, c])));
      assert.deepEqual([...table.keys()], data.chunks.map((c) => c.id));
      const seen: number[] = [];
      table.forEach((record, id, map) => {
        assert.equal(map, table);
        assert.equal(record, table.get(id));
        seen.push(id);
      });
      assert.deepEqual(seen, data.chunks.map((c) => c.id));
      // definitions by name: only kinds and names decoded, the test asked once a distinct name
      const wanted = new Set(names);
      const asked: string[] = [];
      const fresh = Catalog.deserialize(encodeCatalog(data)).chunks;
      const found = fresh.definitionsNamed((name) => (asked.push(name), wanted.has(name)));
      assert.deepEqual(plain(found), plain(data.chunks.filter((c) => c.kind !== 'window' && wanted.has(c.name))));
      assert.equal(asked.length, new Set(asked).size, 'each name asked once');
      // every record of `table` was decoded above, and the file's bytes let go: all still answers
      assert.deepEqual(plain(table.definitionsNamed((name) => wanted.has(name))), plain(found));
      assert.deepEqual(plain([...table.values()]), plain(data.chunks));
    }),
    fuzzParams(200),
  );
});

test('a catalog read from a file and then changed is the catalog changed in memory: same records, same bytes', () => {
  const chunkOf = (path: string, name: string, window: boolean, line: number) => ({
    path, language: 'python' as const, kind: window ? ('window' as const) : ('function' as const), name, signature: `def ${name}():`,
    startByte: 0, endByte: 1, startLine: line, endLine: line, text: name,
  });
  const step = fc.record({
    file: fc.constantFrom('a.py', 'b/ü.py', 'constructor', '__proto__'),
    remove: fc.boolean(),
    chunks: fc.array(fc.record({ name: text, window: fc.boolean() }), { maxLength: 3 }),
    save: fc.boolean(),
  });
  fc.assert(
    fc.property(fc.array(step, { maxLength: 12 }), (steps) => {
      const kept = new Catalog();
      let loaded = Catalog.deserialize(kept.serialize());
      for (const s of steps) {
        for (const catalog of [kept, loaded]) {
          catalog.removeFile(s.file);
          if (!s.remove) catalog.addFile(s.file, { size: 1, mtimeMs: 1 }, s.chunks.map((c, i) => chunkOf(s.file, c.name, c.window, i + 1)));
        }
        assert.deepEqual(plain([...loaded.chunks]), plain([...kept.chunks]));
        if (s.save) {
          loaded = Catalog.deserialize(loaded.serialize());
          assert.deepEqual(loaded.serialize(), kept.serialize());
        }
      }
      assert.deepEqual(plain([...loaded.chunks]), plain([...kept.chunks]));
      assert.deepEqual(loaded.serialize(), kept.serialize());
    }),
    fuzzParams(200),
  );
});

test('a catalog file that lists a chunk id twice is refused', () => {
  const record = (id: number, name: string): ChunkRecord => ({
    id, path: 'a.py', language: 'python', kind: 'function', name, signature: 'def f():', startByte: 0, endByte: 1, startLine: 1, endLine: 1, snippet: 'def f():',
  });
  const bytes = encodeCatalog({ nextId: 9, files: new Map(), chunks: [record(5, 'a'), record(3, 'b'), record(5, 'c')], scanSkipped: [], followsLinks: false });
  assert.throws(() => Catalog.deserialize(bytes), (error: unknown) => error instanceof IndexCorruptError && /lists a chunk twice/.test(error.message));
  assert.throws(() => decodeCatalog(bytes), IndexCorruptError);
});
