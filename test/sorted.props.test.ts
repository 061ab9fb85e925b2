/**
 * Binary searches over ascending labels (index/sorted.ts) agree with a linear look at the same values.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { countBelow, findAscending } from '../src/engine/index/sorted';
import { fuzzParams } from './helpers/fuzz';

const ascending = fc.uniqueArray(fc.integer({ min: 0, max: 0xffffffff }), { maxLength: 40 }).map((xs) => Uint32Array.from(xs).sort());
const probe = fc.oneof(fc.integer({ min: 0, max: 0xffffffff }), fc.constantFrom(0, 1, 0xffffffff));

test('countBelow counts the values below a value, findAscending finds where one is', () => {
  fc.assert(
    fc.property(ascending, probe, fc.nat(), (values, value, pick) => {
      assert.equal(countBelow(values, value), values.filter((v) => v < value).length);
      assert.equal(findAscending(values, values.length, value), values.indexOf(value));
      if (values.length > 0) {
        const at = pick % values.length;
        assert.equal(countBelow(values, values[at]), at, 'a value present: its position');
        assert.equal(findAscending(values, values.length, values[at]), at);
      }
    }),
    fuzzParams(500),
  );
});
