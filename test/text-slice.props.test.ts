/**
 * `detached` (text/slice.ts) gives back the same string, whatever its characters (lone surrogates
 * included) and length, so that a table may keep it in place of a slice of a larger text.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { detached, headOf } from '../src/engine/text/slice';
import { fuzzParams } from './helpers/fuzz';

test('detached gives back an equal string, lone surrogates and all', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 60 }), fc.string({ unit: 'binary', maxLength: 60 }), fc.nat(), fc.nat(), (a, b, i, j) => {
      const text = a + b;
      const from = i % (text.length + 1);
      const word = text.slice(from, from + (j % (text.length - from + 1)));
      assert.equal(detached(word), word);
    }),
    fuzzParams(1000),
  );
  assert.equal(detached('x'.repeat(20) + '\uD83D'), 'x'.repeat(20) + '\uD83D');
  assert.equal(detached(''), '');
});

test('headOf never ends in the first half of a surrogate pair', () => {
  assert.equal(headOf('ab😀', 3), 'ab');
  assert.equal(headOf('ab😀', 4), 'ab😀');
  assert.equal(headOf('abc', 2), 'ab');
});
