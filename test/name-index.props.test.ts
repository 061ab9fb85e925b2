/**
 * The index of definitions by name, kept up to date with sync() across catalog changes, answers
 * exactly as one built afresh from the catalog: same names, same ids, same order.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Catalog } from '../src/engine/catalog';
import type { Chunk } from '../src/engine/types';
import { NameIndex } from '../src/engine/search/name-index';
import { compact, spelt } from '../src/engine/search/query-kind';
import { fuzzParams } from './helpers/fuzz';

const NAMES = ['parse', 'Parse', 'parse_config', 'ParseConfig', 'render', 'new', 'constructor', '__init__', 'toString', 'a.b'];

function chunk(path: string, name: string, window: boolean, line: number): Chunk {
  return {
    path, language: 'python', kind: window ? 'window' : 'function', name, signature: `def ${name}():`,
    startByte: 0, endByte: 1, startLine: line, endLine: line, text: name,
  };
}

/** A file's contents: its definitions' names, some as line windows. */
const fileChunks = fc.array(fc.record({ name: fc.constantFrom(...NAMES), window: fc.boolean() }), { maxLength: 4 });
/** Writing (re-indexing) or removing one of a few files, and whether to sync after it. */
const step = fc.record({ file: fc.integer({ min: 0, max: 5 }), remove: fc.boolean(), chunks: fileChunks, sync: fc.boolean() });

function answers(index: NameIndex): Map<string, readonly number[]> {
  return new Map(NAMES.map((n) => [compact(n), index.lookup(compact(n), 1000)]));
}

test('sync after any changes answers like a fresh build', () => {
  fc.assert(
    fc.property(fc.array(step, { maxLength: 30 }), (steps) => {
      const catalog = new Catalog();
      const kept = new NameIndex(catalog.chunks);
      for (const s of steps) {
        const path = `f${s.file}.py`;
        catalog.removeFile(path);
        if (!s.remove) catalog.addFile(path, { size: 1, mtimeMs: 1 }, s.chunks.map((c, i) => chunk(path, c.name, c.window, i + 1)));
        if (s.sync) {
          kept.sync(catalog.chunks);
          assert.deepEqual(answers(kept), answers(new NameIndex(catalog.chunks)));
        }
      }
      kept.sync(catalog.chunks);
      assert.deepEqual(answers(kept), answers(new NameIndex(catalog.chunks)));
    }),
    fuzzParams(200),
  );
});

test('applying the catalog\'s chunk changes since the last update answers like a fresh build, or says to sync in full', () => {
  fc.assert(
    fc.property(fc.array(step, { maxLength: 30 }), fc.integer({ min: 0, max: 12 }), (steps, journalMax) => {
      const catalog = new Catalog(journalMax);
      const kept = new NameIndex(catalog.chunks);
      let revision = catalog.revision;
      let inFull = 0;
      const update = (): void => {
        const changes = catalog.chunkChangesSince(revision);
        if (changes) kept.apply(changes);
        else {
          inFull++;
          kept.sync(catalog.chunks);
        }
        revision = catalog.revision;
        assert.deepEqual(answers(kept), answers(new NameIndex(catalog.chunks)));
      };
      let since = 0;
      for (const s of steps) {
        const path = `f${s.file}.py`;
        since += catalog.files.get(path)?.chunkIds.length ?? 0;
        catalog.removeFile(path);
        if (!s.remove) {
          catalog.addFile(path, { size: 1, mtimeMs: 1 }, s.chunks.map((c, i) => chunk(path, c.name, c.window, i + 1)));
          since += s.chunks.length;
        }
        if (s.sync) {
          const before = inFull;
          update();
          // the changes are kept while they fit the journal (which is never trimmed, only started afresh)
          if (since <= journalMax) assert.equal(inFull, before, `${since} changes, journal of ${journalMax}`);
        }
      }
      update();
    }),
    fuzzParams(200),
  );
});

test('a lookup with the spelling the query typed lists the exact spellings first, then the rest, up to the limit', () => {
  fc.assert(
    fc.property(fileChunks, fileChunks, fc.constantFrom(...NAMES), fc.integer({ min: 1, max: 6 }), (a, b, typedName, limit) => {
      const catalog = new Catalog();
      catalog.addFile('a.py', { size: 1, mtimeMs: 1 }, a.map((c, i) => chunk('a.py', c.name, c.window, i + 1)));
      catalog.addFile('b.py', { size: 1, mtimeMs: 1 }, b.map((c, i) => chunk('b.py', c.name, c.window, i + 1)));
      const index = new NameIndex(catalog.chunks);
      const name = compact(typedName);
      const typed = spelt(typedName);
      const all = index.lookup(name, 1000);
      const got = index.lookup(name, limit, typed);
      const exact = all.filter((id) => spelt(catalog.chunks.get(id)!.name) === typed);
      const rest = all.filter((id) => spelt(catalog.chunks.get(id)!.name) !== typed);
      assert.deepEqual(got, [...exact, ...rest].slice(0, limit));
    }),
    fuzzParams(200),
  );
});
