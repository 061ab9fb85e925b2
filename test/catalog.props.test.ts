/**
 * The catalog's paths key (Catalog.pathsKey), which keys what is derived from the set of paths alone
 * (the ranking's superseded version folders): it follows the set of paths through any adds, removes
 * and in-place re-indexing, and survives a save and load.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Catalog } from '../src/engine/catalog';
import type { Chunk } from '../src/engine/types';
import { fuzzParams } from './helpers/fuzz';

const PATHS = ['a.py', 'v3/a.ts', 'v4/a.ts', 'src/x.go', 'src/y.go', 'ü/ß.rs', 'constructor', '__proto__'];

function chunk(path: string): Chunk {
  return { path, language: 'python', kind: 'function', name: 'f', signature: 'def f():', startByte: 0, endByte: 1, startLine: 1, endLine: 1, text: 'f' };
}

/** Re-index (remove, then add: what a save does), add if absent, or remove one path. */
const op = fc.record({ path: fc.constantFrom(...PATHS), kind: fc.constantFrom('reindex', 'add', 'remove') });

function built(paths: Iterable<string>): Catalog {
  const c = new Catalog();
  for (const p of paths) c.addFile(p, { size: 1, mtimeMs: 1 }, [chunk(p)]);
  return c;
}

test('the paths key is that of a catalog built afresh from the same paths, and a re-index leaves it alone', () => {
  fc.assert(
    fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
      const catalog = new Catalog();
      for (const o of ops) {
        const before = catalog.pathsKey;
        const had = catalog.files.has(o.path);
        if (o.kind === 'remove') catalog.removeFile(o.path);
        else if (o.kind === 'add' && !had) catalog.addFile(o.path, { size: 1, mtimeMs: 1 }, [chunk(o.path)]);
        else if (o.kind === 'reindex' && had) {
          catalog.removeFile(o.path);
          catalog.addFile(o.path, { size: 2, mtimeMs: 2 }, [chunk(o.path)]);
          assert.equal(catalog.pathsKey, before, 're-indexing a file in place changes no path');
        }
        const changed = had !== catalog.files.has(o.path);
        assert.equal(catalog.pathsKey !== before, changed, `${o.kind} ${o.path}`);
        assert.equal(catalog.pathsKey, built(catalog.files.keys()).pathsKey);
      }
      assert.equal(Catalog.deserialize(catalog.serialize()).pathsKey, catalog.pathsKey);
    }),
    fuzzParams(200),
  );
});
