/**
 * The catalog file (catalog-file.ts): any catalog survives a save and load, in the binary format
 * and from the formats of earlier versions (binary format 3, JSON); damaged bytes are refused with
 * IndexCorruptError.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Catalog, type ChunkRecord, type FileRecord } from '../src/engine/catalog';
import { CATALOG_FORMAT_VERSION, decodeCatalog, encodeCatalog, type CatalogData } from '../src/engine/catalog-file';
import type { CodeUnits } from '../src/engine/stored-chunks';
import { IndexCorruptError, IndexVersionError } from '../src/engine/index/errors';
import { fuzzParams } from './helpers/fuzz';
import { catalogFormatThree } from './helpers/legacy-formats';

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
/** numbers of every column width (1, 2 and 4 bytes), their limits included */
const uint = fc.oneof(fc.nat({ max: 0xffffffff }), fc.nat({ max: 0x1ff }), fc.nat({ max: 0x1ffff }), fc.constantFrom(0, 0xff, 0x100, 0xffff, 0x10000, 0xffffffff));
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
  // a digest in lowercase hex (as the indexer makes them: stored as bytes), or any other text (stored as a string)
  embeddingKey: optional(fc.oneof(
    fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b).toString('hex')),
    fc.constantFrom('A'.repeat(64), 'ab', `${'0'.repeat(63)}g`, '0'.repeat(64), '0'.repeat(66)),
    text,
  )),
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

test('every catalog reads back as it was written, in the binary format, and from formats 3 and 1 (JSON)', () => {
  fc.assert(
    fc.property(dataArb, (data) => {
      const bytes = encodeCatalog(data);
      const { data: read, version } = decodeCatalog(bytes);
      assert.equal(version, CATALOG_FORMAT_VERSION);
      assert.deepEqual(plain(read), plain(data));
      // read from memory not aligned for its columns (then copied out, not viewed in place)
      const shifted = Buffer.alloc(bytes.length + 1).subarray(1);
      bytes.copy(shifted);
      assert.deepEqual(plain(decodeCatalog(shifted).data), plain(data));
      // format 3, as the versions before this one wrote it
      const three = decodeCatalog(catalogFormatThree(data));
      assert.equal(three.version, 3);
      assert.deepEqual(plain(three.data), plain(data));
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

test('damaged bytes, in this format or in format 3, are refused with IndexCorruptError, or read as some catalog: never another error', () => {
  fc.assert(
    fc.property(dataArb, fc.nat(), fc.integer({ min: 1, max: 255 }), fc.boolean(), fc.boolean(), (data, at, xor, cut, older) => {
      const bytes = older ? catalogFormatThree(data) : encodeCatalog(data);
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
  for (const version of [0, 2, CATALOG_FORMAT_VERSION + 1]) {
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
      // a quick test first, of each name's code units read where they lie: the same units as the name's; the full test only of those it lets through
      const quick: string[] = [];
      const fullyAsked: string[] = [];
      const units = (u: CodeUnits) => String.fromCharCode(...Array.from({ length: u.length }, (_, i) => u.charCodeAt(i)));
      const odd = (name: string) => name.length % 2 === 1;
      const third = Catalog.deserialize(encodeCatalog(data)).chunks;
      const quickFound = third.definitionsNamed((name) => (fullyAsked.push(name), wanted.has(name)), (u) => (quick.push(units(u)), odd(units(u))));
      assert.deepEqual(plain(quickFound), plain(data.chunks.filter((c) => c.kind !== 'window' && wanted.has(c.name) && odd(c.name))));
      assert.deepEqual([...quick].sort(), [...new Set(data.chunks.filter((c) => c.kind !== 'window').map((c) => c.name))].sort(), 'each name once, as its code units');
      assert.deepEqual(fullyAsked, quick.filter(odd));
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
  for (const file of [bytes, catalogFormatThree({ nextId: 9, files: new Map(), chunks: [record(5, 'a'), record(3, 'b'), record(5, 'c')], scanSkipped: [], followsLinks: false })]) {
    assert.throws(() => Catalog.deserialize(file), (error: unknown) => error instanceof IndexCorruptError && /lists a chunk twice/.test(error.message));
    assert.throws(() => decodeCatalog(file), IndexCorruptError);
  }
});

test('each column of the records takes the fewest bytes that hold its values, and a bad width or reference is refused', () => {
  const record = (id: number, startByte: number): ChunkRecord => ({
    id, path: 'a.py', language: 'python', kind: 'function', name: 'f', signature: 'def f():', startByte, endByte: 1, startLine: 1, endLine: 1, snippet: 'def f():',
  });
  const sizeWith = (startByte: number) => encodeCatalog({ nextId: 9, files: new Map(), chunks: [record(1, 0), record(2, startByte)], scanSkipped: [], followsLinks: false }).length;
  // two records: a column of width 1 or 2 takes 4 bytes with its padding, one of width 4 takes 8
  assert.equal(sizeWith(0xffff), sizeWith(0xff));
  assert.equal(sizeWith(0x10000), sizeWith(0xff) + 4);
  assert.equal(sizeWith(0xffffffff), sizeWith(0x10000));
  for (const startByte of [0xff, 0x100, 0xffff, 0x10000, 0xffffffff]) {
    const data = { nextId: 9, files: new Map(), chunks: [record(1, 0), record(2, startByte)], scanSkipped: [], followsLinks: false };
    assert.deepEqual(plain(decodeCatalog(encodeCatalog(data)).data), plain(data));
  }
  // the columns come before the key table (here empty: its count alone), the end line's (width 1: two values, two bytes of padding) last
  const bytes = encodeCatalog({ nextId: 9, files: new Map(), chunks: [record(1, 0), record(2, 0)], scanSkipped: [], followsLinks: false });
  assert.equal(bytes.readUInt32LE(bytes.length - 4), 0);
  const endLineWidth = bytes.length - 4 - 8;
  assert.equal(bytes.readUInt32LE(endLineWidth), 1);
  for (const width of [0, 3, 8]) {
    const bad = Buffer.from(bytes);
    bad.writeUInt32LE(width, endLineWidth);
    assert.throws(() => decodeCatalog(bad), (error: unknown) => error instanceof IndexCorruptError && /malformed column/.test(error.message), `width ${width}`);
  }
  // the snippet column (the seventh column from the end: end line, start line, end byte, start byte, key digest, key string; each 8 bytes here) refers to a string past the table
  const snippet = bytes.length - 4 - 7 * 8;
  assert.equal(bytes.readUInt32LE(snippet), 1);
  const missing = Buffer.from(bytes);
  missing[snippet + 4] = 0xf1;
  assert.throws(() => decodeCatalog(missing), (error: unknown) => error instanceof IndexCorruptError && /missing string/.test(error.message));
  const absent = Buffer.from(bytes);
  absent[snippet + 5] = 0;
  assert.throws(() => decodeCatalog(absent), (error: unknown) => error instanceof IndexCorruptError && /lacks a required field/.test(error.message));
});

test('embedding keys that are digests are stored once each, as bytes; a record that names a missing one, or two keys, is refused', () => {
  const digest = 'ab'.repeat(32);
  const record = (id: number, embeddingKey: string | undefined): ChunkRecord => ({
    id, path: 'a.py', language: 'python', kind: 'function', name: 'f', signature: 'def f():', startByte: 0, endByte: 1, startLine: 1, endLine: 1, snippet: 'def f():', embeddingKey,
  });
  const catalog = (keys: (string | undefined)[]): CatalogData => ({ nextId: 9, files: new Map(), chunks: keys.map((key, i) => record(i + 1, key)), scanSkipped: [], followsLinks: false });
  const size = (keys: (string | undefined)[]) => encodeCatalog(catalog(keys)).length;
  // one digest shared by two records: 32 bytes in the key table; no 64-character string
  assert.equal(size([digest, digest]), size([undefined, undefined]) + 32);
  assert.equal(size([digest, 'cd'.repeat(32)]), size([undefined, undefined]) + 64);
  const bytes = encodeCatalog(catalog([digest, digest]));
  assert.equal(bytes.indexOf(Buffer.from(digest)), -1, 'not as text');
  assert.deepEqual(plain(decodeCatalog(bytes).data), plain(catalog([digest, digest])));
  // the key table's count says 1; the digest column (width 1) comes before the four number columns, each 8 bytes here
  const keyCount = bytes.length - 32 - 4;
  assert.equal(bytes.readUInt32LE(keyCount), 1);
  const digestColumn = keyCount - 5 * 8;
  assert.deepEqual([bytes.readUInt32LE(digestColumn), bytes[digestColumn + 4], bytes[digestColumn + 5]], [1, 1, 1]);
  const missing = Buffer.from(bytes);
  missing[digestColumn + 5] = 2;
  assert.throws(() => decodeCatalog(missing), (error: unknown) => error instanceof IndexCorruptError && /missing embedding key/.test(error.message));
  // a record with a key string and a digest
  const both = encodeCatalog(catalog(['other key', digest]));
  const bothDigests = both.length - 32 - 4 - 5 * 8;
  assert.deepEqual([both[bothDigests + 4], both[bothDigests + 5]], [0, 1]);
  const twice = Buffer.from(both);
  twice[bothDigests + 4] = 1;
  assert.throws(() => decodeCatalog(twice), (error: unknown) => error instanceof IndexCorruptError && /two embedding keys/.test(error.message));
});
