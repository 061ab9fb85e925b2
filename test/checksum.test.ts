/**
 * The index's checksums (src/engine/index/checksum.ts): the CRC-32 where the runtime computes one,
 * recorded beside the SHA-256 and checked instead of it, and the SHA-256 for a manifest without a
 * CRC-32 or a runtime without `zlib.crc32`. Both paths must find damage; neither may reject an
 * intact file.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import fc from 'fast-check';
import { Checksummer, compute, isCrc32, kindToCheck, matches, readChecksummed } from '../src/engine/index/checksum';
import { commitGeneration, IndexCorruptError, manifestChecksum, openGeneration, saveManifest, type Manifest } from '../src/engine/index/store';
import { VectorIndex } from '../src/engine/index/vector-index';
import { checkHnswLayout, graphHeaderBytes } from '../src/engine/index/graph-file';
import { seededRandom } from './helpers/random';
import { buildFixtureModel, TempDirs } from './helpers/workspace';
import { Engine } from '../src/engine/engine';

const crc32 = (zlib as unknown as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;
/** The tests of the CRC-32 path, on a runtime that has one (Node 20.15 and later 20.x, 22.2 and later); the SHA-256 path is tested on any. */
const NEEDS_CRC32 = crc32 === undefined ? { skip: 'this runtime has no zlib.crc32' } : {};
const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

const dirs: string[] = [];
const tempDir = (): string => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'codescout-checksum-'));
  dirs.push(dir);
  return dir;
};
after(() => dirs.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

describe('checksums', () => {
  test('the CRC-32 is used exactly where this runtime has zlib.crc32', () => {
    // the project's CI and development machines run Node 20.20, which has it; the SHA-256 path is
    // taken below by passing crc32Works = false, as a runtime without zlib.crc32 would
    assert.equal(kindToCheck(undefined), crc32 ? 'crc32' : 'sha256');
    assert.equal(kindToCheck({ crc32: 1 }), crc32 ? 'crc32' : 'sha256');
    assert.deepEqual(Object.keys(new Checksummer('write').update(Buffer.from('x')).written()), crc32 ? ['sha256', 'crc32'] : ['sha256']);
  });

  test('which kind a reader checks', () => {
    assert.equal(kindToCheck({ crc32: 5 }, true), 'crc32');
    assert.equal(kindToCheck({}, true), 'sha256', 'a manifest written without a CRC-32');
    assert.equal(kindToCheck({ crc32: 5 }, false), 'sha256', 'a runtime without zlib.crc32');
    assert.equal(kindToCheck(undefined, true), 'crc32', 'read ahead of the manifest');
    assert.equal(kindToCheck(undefined, false), 'sha256');
    assert.throws(() => new Checksummer('crc32', false), /no zlib.crc32/);
  });

  test('a writer records both (the CRC-32 where the runtime has one), the same however the bytes are split into blocks', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), fc.array(fc.nat({ max: 3000 }), { maxLength: 6 }), (bytes, cuts) => {
        const summer = new Checksummer('write');
        let at = 0;
        for (const cut of [...cuts].sort((a, b) => a - b)) {
          summer.update(bytes.subarray(at, Math.max(at, Math.min(cut, bytes.length))));
          at = Math.max(at, Math.min(cut, bytes.length));
        }
        summer.update(bytes.subarray(at));
        const written = summer.written();
        assert.equal(written.sha256, sha256(bytes));
        assert.deepEqual(new Checksummer('write', false).update(bytes).written(), { sha256: sha256(bytes) }, 'without zlib.crc32: the SHA-256 alone');
        // a reader's computation agrees with what was written, on either path
        assert.ok(matches(compute(bytes, 'sha256', false), written));
        if (crc32 === undefined) return;
        assert.equal(written.crc32, crc32(bytes));
        assert.ok(isCrc32(written.crc32));
        assert.ok(matches(compute(bytes, 'crc32'), written));
      }),
    );
  });

  test('a reader finds one flipped bit on either path (the CRC-32\'s where the runtime has one)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 2000 }), fc.nat(), fc.nat({ max: 7 }), (bytes, at, bit) => {
        const written = new Checksummer('write').update(bytes).written();
        const damaged = Uint8Array.from(bytes);
        damaged[at % damaged.length] ^= 1 << bit;
        assert.equal(matches(compute(damaged, 'sha256'), written), false);
        if (crc32 !== undefined) assert.equal(matches(compute(damaged, 'crc32'), written), false);
      }),
    );
  });

  test('a file read and checksummed block by block gives its bytes and the checksum of them, at any size and on either path', () => {
    const dir = tempDir();
    const file = path.join(dir, 'data.bin');
    const block = 256 * 1024;
    fc.assert(
      fc.property(
        fc.oneof(fc.nat({ max: 3000 }), fc.constantFrom(block - 1, block, block + 1, 3 * block + 17, 5 * block)),
        fc.integer(),
        fc.constantFrom('crc32' as const, 'sha256' as const),
        (size, seed, kind) => {
          const random = seededRandom(seed);
          const data = Buffer.from(Array.from({ length: size }, () => Math.floor(random() * 256)));
          fs.writeFileSync(file, data);
          const fd = fs.openSync(file, 'r');
          try {
            const works = kind === 'crc32' && crc32 !== undefined;
            const read = readChecksummed(fd, works ? 'crc32' : 'sha256');
            assert.deepEqual(read.bytes, data);
            assert.equal(read.size, size);
            assert.deepEqual(read.checksum, compute(data, works ? 'crc32' : 'sha256'));
            // only the first `keep` bytes kept, the whole file checksummed (keep past the end: all of it)
            const keep = Math.floor(random() * (size + 2 * block));
            const kept = readChecksummed(fd, works ? 'crc32' : 'sha256', keep);
            assert.deepEqual(kept.bytes, data.subarray(0, keep));
            assert.equal(kept.size, size);
            assert.deepEqual(kept.checksum, read.checksum);
          } finally {
            fs.closeSync(fd);
          }
        },
      ),
      { numRuns: 40 },
    );
  });

  test('a file with more bytes than its size said (here a /proc file, whose size is 0) is read to its end', { skip: process.platform !== 'linux' ? 'needs /proc (Linux)' : false }, () => {
    const fd = fs.openSync('/proc/self/cmdline', 'r');
    try {
      assert.equal(fs.fstatSync(fd).size, 0);
      const read = readChecksummed(fd, 'sha256');
      const expected = fs.readFileSync('/proc/self/cmdline');
      assert.ok(expected.length > 0);
      assert.deepEqual(read.bytes, expected);
      assert.deepEqual(read.checksum, compute(expected, 'sha256'));
    } finally {
      fs.closeSync(fd);
    }
  });

  test('manifest CRC-32s are integers from 0 to 2³² − 1', () => {
    for (const good of [0, 1, 0xffffffff]) assert.ok(isCrc32(good), String(good));
    for (const bad of [-1, 0x100000000, 1.5, '12', null, Number.NaN]) assert.equal(isCrc32(bad), false, String(bad));
  });
});

describe('the store checks the CRC-32 it recorded, else the SHA-256', () => {
  /** A committed generation of one file `a.bin`, and its manifest. */
  const committed = async (data: Buffer): Promise<{ dir: string; manifest: Manifest<unknown> }> => {
    const dir = tempDir();
    const manifest = await commitGeneration(dir, { version: 1, meta: null, files: [{ name: 'a.bin', data }] });
    return { dir, manifest };
  };
  /** Rewrites the manifest with a.bin's entry changed, its own checksum made to match (as a hand edit, or an earlier writer, would leave it). */
  const withEntry = (dir: string, manifest: Manifest<unknown>, change: (entry: Record<string, unknown>) => void): void => {
    const entry: Record<string, unknown> = { ...manifest.files['a.bin'] };
    change(entry);
    const { checksum: _, ...body } = { ...manifest, files: { 'a.bin': entry as unknown as Manifest['files'][string] } };
    saveManifest(dir, { ...body, checksum: manifestChecksum(body) });
  };

  test('a commit records the CRC-32 beside the SHA-256', NEEDS_CRC32, async () => {
    const data = Buffer.from('some index bytes');
    const { dir, manifest } = await committed(data);
    assert.deepEqual(manifest.files['a.bin'], { file: 'a.g1.bin', sha256: sha256(data), crc32: crc32!(data), bytes: data.length });
    assert.deepEqual(openGeneration(dir, 1)!.read('a.bin'), data);
  });

  test('the CRC-32 is what is checked: a wrong one is a mismatch although the SHA-256 is right', NEEDS_CRC32, async () => {
    const data = Buffer.from('some index bytes');
    const { dir, manifest } = await committed(data);
    withEntry(dir, manifest, (entry) => (entry.crc32 = ((entry.crc32 as number) ^ 1) >>> 0));
    assert.throws(() => openGeneration(dir, 1)!.read('a.bin'), (error) => error instanceof IndexCorruptError && /a\.bin checksum mismatch/.test(error.message));
  });

  test('a manifest without a CRC-32 (an earlier writer, or a runtime without one) is checked by its SHA-256', async () => {
    const data = Buffer.from('some index bytes');
    const { dir, manifest } = await committed(data);
    withEntry(dir, manifest, (entry) => delete entry.crc32);
    assert.deepEqual(openGeneration(dir, 1)!.read('a.bin'), data, 'intact: loads');
    const file = path.join(dir, 'a.g1.bin');
    fs.writeFileSync(file, Buffer.from('some index bytez'));
    assert.throws(() => openGeneration(dir, 1)!.read('a.bin'), /checksum mismatch/);
  });

  test('damage is found through the CRC-32', NEEDS_CRC32, async () => {
    const data = Buffer.from('some index bytes');
    const { dir } = await committed(data);
    fs.writeFileSync(path.join(dir, 'a.g1.bin'), Buffer.from('some index bytez'));
    assert.throws(() => openGeneration(dir, 1)!.read('a.bin'), /checksum mismatch/);
  });

  test('a manifest whose CRC-32 is not one is not a manifest', async () => {
    const { dir, manifest } = await committed(Buffer.from('x'));
    withEntry(dir, manifest, (entry) => (entry.crc32 = -3)); // also where this runtime records none
    assert.throws(() => openGeneration(dir, 1), /invalid entry for a\.bin/);
  });
});

describe('the graph file', () => {
  const dimension = 16;
  const written = (): { vectors: Buffer; graph: string; crc32: number | undefined } => {
    const dir = tempDir();
    const index = new VectorIndex({ dimension, exactSearchMaxVectors: 0 });
    const random = seededRandom(7);
    for (let label = 0; label < 60; label++) index.add(label, Float32Array.from({ length: dimension }, () => random() - 0.5));
    const graph = path.join(dir, 'graph.hnsw');
    const digest = index.writeGraph(graph);
    assert.equal(digest.crc32, crc32?.(fs.readFileSync(graph)));
    assert.equal(digest.sha256.toString('hex'), sha256(fs.readFileSync(graph)));
    const vectorsFile = path.join(dir, 'vectors.bin');
    index.writeVectors(vectorsFile, digest);
    return { vectors: fs.readFileSync(vectorsFile), graph, crc32: digest.crc32 };
  };
  const options = { dimension, exactSearchMaxVectors: 0 };
  /** Flips one bit of a vector's code (the node's data, where the layout says): the layout stays valid, only a checksum can tell. */
  const damage = (graph: string): void => {
    const bytes = fs.readFileSync(graph);
    const check = () => checkHnswLayout(bytes.subarray(0, graphHeaderBytes('int8')), bytes.length, dimension, (start) => bytes.subarray(start), 'int8');
    const layout = check();
    bytes[layout.nodesStart + 30 * layout.bytesPerNode + layout.dataOffset + 4 + 5] ^= 0x10;
    check();
    fs.writeFileSync(graph, bytes);
  };

  test('loads when intact, by its CRC-32 or by the SHA-256 the vector file records', () => {
    const { vectors, graph, crc32: graphCrc32 } = written();
    assert.equal(VectorIndex.fromBytes(vectors, options, graph, graphCrc32).size, 60);
    assert.equal(VectorIndex.fromBytes(vectors, options, graph).size, 60);
  });

  test('the CRC-32 given is checked: a wrong one is a mismatch', NEEDS_CRC32, () => {
    const { vectors, graph, crc32: graphCrc32 } = written();
    assert.throws(() => VectorIndex.fromBytes(vectors, options, graph, (graphCrc32! ^ 4) >>> 0), /graph checksum mismatch/);
  });

  test('damage is found on either path', () => {
    const { vectors, graph, crc32: graphCrc32 } = written();
    damage(graph);
    assert.throws(() => VectorIndex.fromBytes(vectors, options, graph, graphCrc32), /graph checksum mismatch/);
    assert.throws(() => VectorIndex.fromBytes(vectors, options, graph), /graph checksum mismatch/);
  });
});

describe('an index the engine wrote', () => {
  const temp = new TempDirs();
  after(() => temp.cleanup());

  test('lists every file with its CRC-32, and checks the graph against the manifest\'s', NEEDS_CRC32, async () => {
    const model = (await buildFixtureModel(await temp.make('checksum-model'))).dir;
    const root = await temp.make('checksum-ws');
    fs.writeFileSync(path.join(root, 'config.py'), 'def parse_config(text):\n    """Parse the configuration."""\n    return dict(line.split("=") for line in text.splitlines())\n');
    fs.writeFileSync(path.join(root, 'files.py'), 'def read_file(path):\n    with open(path) as f:\n        return f.read()\n');
    const indexDir = await temp.make('checksum-index');
    const options = { indexDir, model, vectorIndex: { exactSearchMaxVectors: 0 } };
    const engine = await Engine.open(root, options);
    await engine.refresh();
    await engine.close();
    const manifest = JSON.parse(fs.readFileSync(path.join(indexDir, 'manifest.json'), 'utf8')) as Manifest<unknown>;
    assert.deepEqual(Object.keys(manifest.files).sort(), ['catalog.bin', 'graph.hnsw', 'lexical.bin', 'vectors.bin']);
    for (const [name, entry] of Object.entries(manifest.files)) assert.equal(entry.crc32, crc32!(fs.readFileSync(path.join(indexDir, entry.file))), name);
    // the graph's CRC-32 made wrong, its SHA-256 (in the vector file) right: the load checks the CRC-32, finds the mismatch and rebuilds
    const { checksum: _, ...body } = { ...manifest, files: { ...manifest.files, 'graph.hnsw': { ...manifest.files['graph.hnsw'], crc32: (manifest.files['graph.hnsw'].crc32! ^ 1) >>> 0 } } };
    saveManifest(indexDir, { ...body, checksum: manifestChecksum(body) });
    const said: string[] = [];
    const again = await Engine.open(root, { ...options, log: (line: string) => said.push(line) });
    try {
      await again.refresh();
      assert.match(said.join('\n'), /graph checksum mismatch/);
      assert.equal((await again.search('parse the configuration'))[0]?.path, 'config.py', 'rebuilt, it answers');
    } finally {
      await again.close();
    }
  });
});
