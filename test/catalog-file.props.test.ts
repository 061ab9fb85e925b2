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
