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
import { specialized } from '../src/engine/search/definitions';
import { fuzzParams } from './helpers/fuzz';

// C++ specialisations are found under their template's name too (`formatter`), operators are not
const NAMES = ['parse', 'Parse', 'parse_config', 'ParseConfig', 'render', 'new', 'constructor', '__init__', 'toString', 'a.b', 'formatter', 'formatter<int, Char>', 'formatter<T>', 'formatter<>', 'Formatter', 'operator', 'operator<=>'];

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

/** What the index answers for each name, and for each spelling typed (the exact spellings first). */
function answers(index: NameIndex): Map<string, readonly number[]> {
  return new Map(NAMES.flatMap((n) => [[compact(n), index.lookup(compact(n), 1000)], [`typed ${n}`, index.lookup(compact(n), 1000, spelt(n))]]));
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

/** What the index must answer, worked out from the catalog's records themselves, in the catalog's order. */
function recordAnswers(chunks: Iterable<{ id: number; kind: string; name: string }>): Map<string, readonly number[]> {
  const all = [...chunks].filter((c) => c.kind !== 'window');
  return new Map(
    NAMES.flatMap((n) => {
      // a specialisation (`formatter<T>`, and `formatter<>` whose compact name is the template's) is
      // found under its template's name, after the definitions of the name itself, never as one of those
      const isOwn = (c: { name: string }) => compact(c.name) === compact(n) && specialized(c.name) !== compact(n);
      const own = all.filter(isOwn);
      const named = [...own, ...all.filter((c) => specialized(c.name) === compact(n))];
      const exact = own.filter((c) => spelt(c.name) === spelt(n));
      const typed = [...exact, ...named.filter((c) => !exact.includes(c))];
      return [[compact(n), named.map((c) => c.id)], [`typed ${n}`, typed.map((c) => c.id)]];
    }),
  );
}

test('built from a catalog read from its file, without decoding its records, and kept up to date through changes, it answers as the records say', () => {
  fc.assert(
    fc.property(fc.array(step, { maxLength: 12 }), fc.array(step, { maxLength: 20 }), (initial, steps) => {
      const written = new Catalog();
      for (const s of initial) {
        const path = `f${s.file}.py`;
        written.removeFile(path);
        if (!s.remove) written.addFile(path, { size: 1, mtimeMs: 1 }, s.chunks.map((c, i) => chunk(path, c.name, c.window, i + 1)));
      }
      const catalog = Catalog.deserialize(written.serialize());
      const kept = new NameIndex(catalog.chunks);
      const decoded = (catalog.chunks as unknown as { file: { decodedCount: number } }).file.decodedCount;
      assert.equal(decoded, 0, 'no record was decoded to build it');
      assert.deepEqual(answers(kept), recordAnswers(catalog.chunks.values()));
      let revision = catalog.revision;
      for (const s of steps) {
        const path = `f${s.file}.py`;
        catalog.removeFile(path);
        if (!s.remove) catalog.addFile(path, { size: 1, mtimeMs: 1 }, s.chunks.map((c, i) => chunk(path, c.name, c.window, i + 1)));
        if (s.sync) {
          const changes = catalog.chunkChangesSince(revision);
          if (changes) kept.apply(changes);
          else kept.sync(catalog.chunks);
          revision = catalog.revision;
          assert.deepEqual(answers(kept), recordAnswers(catalog.chunks.values()));
        }
      }
      kept.sync(catalog.chunks);
      assert.deepEqual(answers(kept), recordAnswers(catalog.chunks.values()));
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
      // spelt as typed: a definition of the name itself, not a specialisation spelt with its letters (`formatter<>`)
      const isExact = (id: number) => {
        const n = catalog.chunks.get(id)!.name;
        return spelt(n) === typed && specialized(n) !== compact(n);
      };
      const exact = all.filter(isExact);
      const rest = all.filter((id) => !isExact(id));
      assert.deepEqual(got, [...exact, ...rest].slice(0, limit));
    }),
    fuzzParams(200),
  );
});

test("a lookup with a filter counts its limit among the definitions that pass: a filter's one match is not lost behind others", () => {
  fc.assert(
    fc.property(fileChunks, fileChunks, fc.constantFrom(...NAMES), fc.boolean(), fc.integer({ min: 1, max: 6 }), (a, b, typedName, withTyped, limit) => {
      const catalog = new Catalog();
      catalog.addFile('a.py', { size: 1, mtimeMs: 1 }, a.map((c, i) => chunk('a.py', c.name, c.window, i + 1)));
      catalog.addFile('b.py', { size: 1, mtimeMs: 1 }, b.map((c, i) => chunk('b.py', c.name, c.window, i + 1)));
      const index = new NameIndex(catalog.chunks);
      const name = compact(typedName);
      const typed = withTyped ? spelt(typedName) : undefined;
      const inB = (id: number) => catalog.chunks.get(id)!.path === 'b.py';
      // the same order as without the filter, the others left out, then the limit
      assert.deepEqual(index.lookup(name, limit, typed, inB), index.lookup(name, 1000, typed).filter(inB).slice(0, limit));
    }),
    fuzzParams(200),
  );
});

test('an index of only the names asked answers those names as the full index does', () => {
  fc.assert(
    fc.property(fc.array(step, { maxLength: 20 }), fc.subarray(NAMES), fc.integer({ min: 1, max: 6 }), (steps, asked, limit) => {
      const catalog = new Catalog();
      for (const s of steps) {
        const path = `f${s.file}.py`;
        catalog.removeFile(path);
        if (!s.remove) catalog.addFile(path, { size: 1, mtimeMs: 1 }, s.chunks.map((c, i) => chunk(path, c.name, c.window, i + 1)));
      }
      const full = new NameIndex(catalog.chunks);
      const only = NameIndex.of(catalog.chunks, new Set(asked.map(compact)));
      for (const typedName of asked) {
        const name = compact(typedName);
        assert.deepEqual(only.lookup(name, 1000), full.lookup(name, 1000));
        assert.deepEqual(only.lookup(name, limit, spelt(typedName)), full.lookup(name, limit, spelt(typedName)));
      }
      // a name not asked finds only definitions that a name asked selected: a specialisation taken
      // for its template's name (asked `formatter`, it holds `formatter<T>`) is found under its own too
      const wanted = new Set(asked.map(compact));
      for (const other of NAMES.filter((n) => !wanted.has(compact(n)))) {
        const found = only.lookup(compact(other), 1000).map((id) => catalog.chunks.get(id)!.name);
        assert.deepEqual(found.filter((n) => !wanted.has(compact(n)) && !wanted.has(specialized(n) ?? '')), [], 'a name not asked is not indexed');
      }
    }),
    fuzzParams(200),
  );
});

test('an index of only the names asked, from a catalog read from its file, answers as the full index for any names', () => {
  // names of every shape: separators first, digits, upper case, non-ASCII letters before or after ASCII, empty
  const anyName = fc.oneof(
    fc.constantFrom(...NAMES, '', '_', '__x', '$y', '9lives', 'Élan', '_élan', 'élan', 'ÉLAN', 'straße', 'STRASSE', 'Ωmega', 'x.Ω', '::new'),
    fc.string({ unit: fc.constantFrom(...'aZz09_$.-:éΩß'.split('')), maxLength: 6 }),
  );
  fc.assert(
    fc.property(fc.array(fc.record({ name: anyName, window: fc.boolean(), other: fc.boolean() }), { maxLength: 12 }), fc.array(anyName, { maxLength: 4 }), fc.boolean(), (defs, asked, removeOther) => {
      const written = new Catalog();
      for (const path of ['f.py', 'g.py']) {
        written.addFile(path, { size: 1, mtimeMs: 1 }, defs.filter((d) => d.other === (path === 'g.py')).map((d, i) => chunk(path, d.name, d.window, i + 1)));
      }
      const catalog = Catalog.deserialize(written.serialize());
      assert.equal(catalog.chunks.fromFile, true);
      // records removed from a catalog read from its file (the other file's) are not found
      if (removeOther) catalog.removeFile('g.py');
      const full = new NameIndex(catalog.chunks);
      const wanted = new Set([...asked, ...defs.slice(0, 1).map((d) => d.name)].map(compact));
      const read = Catalog.deserialize(written.serialize());
      if (removeOther) read.removeFile('g.py');
      const only = NameIndex.of(read.chunks, wanted);
      for (const name of wanted) assert.deepEqual(only.lookup(name, 1000), full.lookup(name, 1000), JSON.stringify(name));
    }),
    fuzzParams(300),
  );
});

test('compact() and spelt() follow their Unicode rules (letters, combining marks and digits) for any string, ASCII or not', () => {
  // the rules as documented in query-kind.ts; the functions take a faster path for ASCII names
  const spelling = (s: string) => s.replace(/[^\p{L}\p{M}\p{N}]+/gu, '');
  const compactForm = (s: string) => s.toLowerCase().replace(/[^\p{L}\p{M}\p{N}]+/gu, '');
  const name = fc.oneof(
    fc.string({ unit: fc.constantFrom(...'aZ09_$.-:#\\ /@`[{~\x7f\x00'.split('')) }),
    fc.string(),
    fc.string({ unit: 'grapheme' }),
    fc.constantFrom('İstanbul', 'ǅemal', 'ß_Straße', 'Ⅻ_roman', 'naïve_func', 'ＡＢＣ', 'x\u0307y'),
  );
  fc.assert(
    fc.property(name, (s) => {
      assert.equal(spelt(s), spelling(s));
      assert.equal(compact(s), compactForm(s));
      assert.equal(compact(s), compactForm(s), 'remembered');
    }),
    fuzzParams(2000),
  );
});

test('a C++ specialisation is a definition of its template\'s name, after the template spelt as typed', () => {
  const catalog = new Catalog();
  catalog.addFile('fmt/base.h', { size: 1, mtimeMs: 1 }, [
    chunk('fmt/base.h', 'formatter<int, Char>', false, 1),
    chunk('fmt/base.h', 'formatter', false, 2),
    chunk('fmt/base.h', 'operator<=>', false, 3),
    chunk('fmt/base.h', 'formatter<Char[N], Char>', true, 4),
  ]);
  const names = (ids: readonly number[]): string[] => ids.map((id) => catalog.chunks.get(id)!.name);
  for (const index of [new NameIndex(catalog.chunks), NameIndex.of(catalog.chunks, new Set(['formatter', 'operator']))]) {
    assert.deepEqual(names(index.lookup('formatter', 10, 'formatter')), ['formatter', 'formatter<int, Char>']);
    assert.deepEqual(names(index.lookup('formatter', 10)), ['formatter', 'formatter<int, Char>'], 'the template itself first, spelt as typed or not');
    // `operator<=>` is found under its own compact name, once: it is no specialisation of `operator`
    assert.deepEqual(names(index.lookup('operator', 10)), ['operator<=>']);
  }
  // a hundred specialisations of a template, then the template and a namesake: the lookup's limit
  // holds the name's own definitions first; `tuple<>` (compact `tuple`) is listed once, as a specialisation
  const many = new Catalog();
  const specs = Array.from({ length: 100 }, (_, i) => chunk('fmt/std.h', `formatter<T${i}, Char>`, false, i + 1));
  many.addFile('fmt/std.h', { size: 1, mtimeMs: 1 }, [...specs, chunk('fmt/std.h', 'tuple<>', false, 101)]);
  many.addFile('fmt/base.h', { size: 1, mtimeMs: 1 }, [chunk('fmt/base.h', 'formatter', false, 1), chunk('fmt/base.h', 'Formatter', false, 2), chunk('fmt/base.h', 'tuple', false, 3)]);
  for (const index of [new NameIndex(many.chunks), NameIndex.of(many.chunks, new Set(['formatter', 'tuple']))]) {
    const found = (name: string, typed?: string): string[] => index.lookup(name, 50, typed).map((id) => many.chunks.get(id)!.name);
    for (const typed of [undefined, 'Formater', 'formatter', 'Formatter']) {
      const first = found('formatter', typed).slice(0, 2);
      assert.deepEqual([...first].sort(), ['Formatter', 'formatter'], `typed ${typed}: ${first}`);
      assert.equal(found('formatter', typed).length, 50);
    }
    assert.deepEqual(found('tuple'), ['tuple', 'tuple<>']);
    assert.deepEqual(found('tuple', 'tuple'), ['tuple', 'tuple<>'], 'tuple<> is not spelt as the template, though its letters are');
  }
});
