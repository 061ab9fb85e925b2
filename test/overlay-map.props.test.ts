/**
 * A Map over entries left in a file (index/overlay-map.ts), here the terms of a lexical index
 * (index/term-table.ts), behaves as a Map of the same keys, values and order through any changes;
 * stored terms are found by hash; a term text that lists a term twice, or an empty one, is refused.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { HashedTerms, StoredTerms } from '../src/engine/index/term-table';
import { runSteps } from '../src/engine/time-slice';
import type { StoredEntries } from '../src/engine/index/overlay-map';
import { OverlayMap } from '../src/engine/index/overlay-map';
import { IndexCorruptError } from '../src/engine/index/errors';
import { fuzzParams } from './helpers/fuzz';

/** Terms as a lexical index has them, and others: accents, astral characters, lone surrogates, prototype names. */
const term = fc.oneof(
  fc.constantFrom('parse', 'json', 'constructor', '__proto__', 'toString', 'größe', '数据', 'x😀', '\ud83d', 'a'),
  fc.string({ minLength: 1, maxLength: 6 }),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 3 }),
);

function stored(terms: readonly string[]): StoredTerms {
  return new StoredTerms(terms.join(''), Uint32Array.from(terms, (t) => t.length), 'lexical.bin');
}

/** The terms as format 3 writes and reads them: UTF-8 text, where each ends, a hash table from a seed. */
function hashed(terms: readonly string[], seed: number): HashedTerms {
  const { text, ends, slots } = runSteps(HashedTerms.encode(terms, seed));
  return new HashedTerms(text, ends, slots, seed, 'lexical.bin');
}

/** Each kind of stored terms, and the terms it keeps exactly (UTF-8 has no lone surrogates). */
const kinds: [string, (terms: readonly string[], seed: number) => StoredEntries<string, number>, (t: string) => boolean][] = [
  ['format 2 (StoredTerms)', stored, () => true],
  ['format 3 (HashedTerms)', hashed, (t) => !/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(t)],
];

/** What the test changes while iterating: an overlay map, or the Map it stands for. */
interface Changing extends Iterable<[string, { v: number } | number]> {
  set(term: string, value: { v: number }): unknown;
  delete(term: string): boolean;
}

type Op =
  | { kind: 'set'; term: string; value: number }
  | { kind: 'delete'; term: string }
  | { kind: 'iterate'; deleteEvery: number; setEvery: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), term, value: fc.integer({ min: 1000, max: 2000 }) }),
  fc.record({ kind: fc.constant('delete' as const), term }),
  fc.record({ kind: fc.constant('iterate' as const), deleteEvery: fc.integer({ min: 0, max: 3 }), setEvery: fc.integer({ min: 0, max: 3 }) }),
);

for (const [kind, make, keeps] of kinds) test(`an overlay map of stored terms, ${kind}, answers as a Map of the same terms through any changes, in the same order`, () => {
  fc.assert(
    fc.property(fc.uniqueArray(term.filter(keeps), { maxLength: 30 }), fc.array(op, { maxLength: 30 }), fc.array(term, { maxLength: 5 }), fc.nat({ max: 0xffffffff }), (terms, ops, probes, seed) => {
      // values are objects in the index (postings); numbers stand in for them here, above the positions
      const table = new OverlayMap<string, { v: number } | number>(make(terms, seed));
      const map = new Map<string, { v: number } | number>(terms.map((t, i) => [t, i]));
      const same = () => {
        assert.equal(table.size, map.size);
        assert.deepEqual([...table], [...map]);
        for (const t of [...terms, ...probes]) {
          assert.equal(table.has(t), map.has(t), t);
          assert.deepEqual(table.get(t), map.get(t), t);
        }
        // the values set since reading (objects here; stored ones are numbers), each once, none read from the stored terms
        const changed = [...table.changedValues()];
        assert.equal(new Set(changed).size, changed.length);
        assert.deepEqual(new Set(changed), new Set([...map.values()].filter((value) => typeof value !== 'number')));
      };
      same();
      for (const o of ops) {
        if (o.kind === 'set') {
          const value = { v: o.value };
          table.set(o.term, value);
          map.set(o.term, value);
        } else if (o.kind === 'delete') {
          assert.equal(table.delete(o.term), map.delete(o.term));
        } else {
          // changes made while iterating, as a lexical index makes them (values replaced, terms removed, some not reached yet)
          const keys = [...map.keys()];
          const walk = (m: Changing): [string, unknown][] => {
            const seen: [string, unknown][] = [];
            let i = 0;
            for (const [t, value] of m) {
              seen.push([t, value]);
              i++;
              if (o.setEvery > 0 && i % o.setEvery === 0) m.set(t, { v: -i });
              if (o.deleteEvery > 0 && i % o.deleteEvery === 1 % o.deleteEvery && keys[i] !== undefined) m.delete(keys[i]!);
            }
            return seen;
          };
          const [seen, expected] = [walk(table), walk(map)];
          assert.deepEqual(seen, expected);
        }
        same();
      }
    }),
    fuzzParams(300),
  );
});

test('stored terms that list a term twice, or an empty one, or do not fill their text are refused', () => {
  assert.throws(() => stored(['parse', 'json', 'parse']), (e: unknown) => e instanceof IndexCorruptError && /lists a term twice/.test(e.message));
  assert.throws(() => stored(['parse', '', 'json']), (e: unknown) => e instanceof IndexCorruptError && /malformed term entry/.test(e.message));
  assert.throws(() => new StoredTerms('parsejson', Uint32Array.of(5, 5), 'lexical.bin'), (e: unknown) => e instanceof IndexCorruptError && /malformed term entry/.test(e.message));
  assert.throws(() => new StoredTerms('parsejsonx', Uint32Array.of(5, 4), 'lexical.bin'), (e: unknown) => e instanceof IndexCorruptError && /malformed posting table/.test(e.message));
  // lengths whose sum passes 2^32 (a 32-bit sum would wrap around to fit the text)
  assert.throws(() => new StoredTerms('abcdefghij', Uint32Array.of(5, 2 ** 32 - 3, 8), 'lexical.bin'), (e: unknown) => e instanceof IndexCorruptError && /malformed term entry/.test(e.message));
  // many terms sharing hash slots: all found, none confused
  const many = Array.from({ length: 5000 }, (_, i) => `t${i.toString(36)}`);
  const terms = stored(many);
  many.forEach((t, i) => assert.equal(terms.indexOf(t), i));
  assert.equal(terms.indexOf('absent'), -1);
  assert.equal(terms.indexOf('t'), -1);
});

test('format 3: many terms sharing hash slots are all found, none confused; a term with a lone surrogate reads back, and is found, as the U+FFFD it is written as', () => {
  const many = Array.from({ length: 5000 }, (_, i) => `t${i.toString(36)}`);
  for (const seed of [0, 1, 0xffffffff]) {
    const terms = hashed(many, seed);
    many.forEach((t, i) => assert.equal(terms.indexOf(t), i));
    assert.equal(terms.indexOf('absent'), -1);
    assert.equal(terms.indexOf('t'), -1);
    assert.equal(terms.indexOf(''), -1);
  }
  // halves of a surrogate pair in two terms side by side stay two terms (each written on its own)
  const halves = hashed(['a\ud83d', '\ude00b'], 3);
  assert.deepEqual([halves.keyAt(0), halves.keyAt(1)], ['a\ufffd', '\ufffdb']);
  assert.deepEqual([halves.indexOf('a\ufffd'), halves.indexOf('\ufffdb'), halves.indexOf('a\ud83d'), halves.indexOf('\ude00b'), halves.indexOf('a😀b')], [0, 1, -1, -1, -1]);
  const odd = hashed(['x\ud83d', '数据', 'x😀'], 7);
  assert.deepEqual([0, 1, 2].map((t) => odd.keyAt(t)), ['x\ufffd', '数据', 'x😀']);
  assert.equal(odd.indexOf('x\ufffd'), 0);
  assert.equal(odd.indexOf('x\ud83d'), -1, 'one key is found under one string: the one it reads back as');
  assert.equal(odd.indexOf('x😀'), 2);
});
