/**
 * Strings encoded in parts (bytes.ts encodeStrings, which index serialisation runs in steps)
 * join to exactly the bytes of the strings joined and encoded at once, in every encoding the
 * index files use, even when a surrogate pair is split across two strings at a part's edge.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { encodeStrings } from '../src/engine/index/bytes';
import { runSteps } from '../src/engine/time-slice';
import { fuzzParams } from './helpers/fuzz';

/** Parts of 16,384 strings: arrays just past a part's edge. */
const PART = 16_384;

function inParts(strings: string[], encoding: 'utf8' | 'latin1' | 'utf16le'): Buffer {
  return Buffer.concat(runSteps(encodeStrings(strings, encoding)));
}

test('a surrogate pair split across two strings at the edge of a part is encoded as the pair it is', () => {
  const strings = Array.from({ length: PART + 3 }, (_, i) => `t${i % 10}`);
  strings[PART - 1] = 'emoji\uD83D';
  strings[PART] = '\uDE00after';
  const whole = Buffer.from(strings.join(''), 'utf8');
  assert.ok(whole.includes(Buffer.from('😀', 'utf8')), 'joined, the halves make one character');
  assert.ok(inParts(strings, 'utf8').equals(whole));
  // the same pair with empty strings between its halves
  strings.splice(PART, 0, '', '');
  assert.ok(inParts(strings, 'utf8').equals(Buffer.from(strings.join(''), 'utf8')));
});

test('parts join to the whole, in UTF-8, Latin-1 and UTF-16', () => {
  const unit = fc.constantFrom('a', 'é', 'ÿ', '\uD83D', '\uDE00', '中', '\u0000');
  const piece = fc.array(unit, { maxLength: 3 }).map((units) => units.join(''));
  fc.assert(
    fc.property(fc.array(piece, { minLength: PART - 2, maxLength: 2 * PART + 5 }), fc.constantFrom('utf8' as const, 'latin1' as const, 'utf16le' as const), (strings, encoding) => {
      assert.ok(inParts(strings, encoding).equals(Buffer.from(strings.join(''), encoding)));
    }),
    fuzzParams(20),
  );
});
