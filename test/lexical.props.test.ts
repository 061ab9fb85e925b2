/**
 * A lexical index loaded from its bytes behaves exactly like the index it was saved from: the
 * same answers and term checks through any sequence of additions, removals (which may compact
 * it), searches and further save/load round trips. Words include Object.prototype names.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { LexicalIndex } from '../src/engine/index/lexical';
import { fuzzParams } from './helpers/fuzz';

const word = fc.constantFrom('parse', 'config', 'read', 'file', 'retry', 'request', 'socket', 'open', 'x', 'constructor', '__proto__');
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

test('a loaded lexical index answers like the one it was saved from, through any updates', () => {
  fc.assert(
    fc.property(fc.array(doc, { maxLength: 30 }), fc.array(op, { maxLength: 40 }), (docs, ops) => {
      const original = new LexicalIndex();
      for (const d of docs) original.add(d.id, fieldsOf(d));
      let loaded = LexicalIndex.deserialize(original.serialize());
      for (const o of ops) {
        if (o.kind === 'add') {
          original.add(o.id, fieldsOf(o));
          loaded.add(o.id, fieldsOf(o));
        } else if (o.kind === 'remove') {
          assert.equal(loaded.remove(o.id), original.remove(o.id));
        } else if (o.kind === 'search') {
          assert.deepEqual(loaded.search(o.query, 10), original.search(o.query, 10));
          for (const w of o.query) assert.equal(loaded.hasTerm(w), original.hasTerm(w));
        } else {
          loaded = LexicalIndex.deserialize(loaded.serialize());
        }
        assert.equal(loaded.size, original.size);
      }
    }),
    fuzzParams(200),
  );
});
