/**
 * The embedding cache's key table (index/key-table.ts) answers as a Map from each key's bytes
 * would, through any additions and changes, for keys given at any offset in a buffer,
 * past every growth of its arrays; keys that share all but one byte, or the bytes its hash
 * reads first, stay apart.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { KeyTable } from '../src/engine/index/key-table';
import { fuzzParams } from './helpers/fuzz';

const KEY = 8;
const hex = (bytes: Uint8Array, at = 0) => Buffer.from(bytes.subarray(at, at + KEY)).toString('hex');

test('a key table answers as a Map of the keys’ bytes, through additions and changes', () => {
  // few distinct bytes, so that keys repeat and share prefixes
  const key = fc.uint8Array({ minLength: KEY, maxLength: KEY, min: 0, max: 3 });
  const step = fc.oneof(
    { weight: 6, arbitrary: fc.record({ kind: fc.constant('set' as const), key, value: fc.integer(), pad: fc.nat(5) }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('get' as const), key, pad: fc.nat(5) }) },
  );
  fc.assert(
    fc.property(fc.nat(40), fc.array(step, { maxLength: 300 }), (capacity, steps) => {
      const table = new KeyTable(KEY, capacity);
      const model = new Map<string, number>();
      for (const s of steps) {
        // the key at an offset inside a larger buffer, as the cache passes a record
        const buffer = new Uint8Array(s.pad + KEY + 3).fill(0xee);
        buffer.set(s.key, s.pad);
        if (s.kind === 'set') {
          table.set(buffer, s.value, s.pad);
          model.set(hex(s.key), s.value);
        } else {
          assert.equal(table.get(buffer, s.pad), model.get(hex(s.key)));
          assert.equal(table.has(buffer, s.pad), model.has(hex(s.key)));
        }
        assert.equal(table.size, model.size);
      }
      for (const [name, value] of model) assert.equal(table.get(Buffer.from(name, 'hex')), value);
    }),
    fuzzParams(300),
  );
});

test('a key table holds 100k keys that differ in their last byte or share their first four, and refuses keys that do not fit', () => {
  const table = new KeyTable(32, 16);
  const keyOf = (i: number) => {
    const k = Buffer.alloc(32, 0xab);
    k.writeUInt32BE(i, 28); // the same first 28 bytes for all
    return k;
  };
  for (let i = 0; i < 100_000; i++) table.set(keyOf(i), i * 3);
  assert.equal(table.size, 100_000);
  for (let i = 0; i < 100_000; i += 7) assert.equal(table.get(keyOf(i)), i * 3);
  assert.equal(table.get(keyOf(100_000)), undefined);
  assert.throws(() => table.get(Buffer.alloc(31)), RangeError);
  assert.throws(() => table.set(Buffer.alloc(40), 1, 9), RangeError);
  assert.throws(() => new KeyTable(0), RangeError);
});
