/**
 * The WebAssembly kernel of exact vector scores (src/engine/index/wasm/): each score has the bits
 * that int8.ts `dot` gives the same codes and query, at any dimension it takes, any stride and any
 * values; and the module bundled is the assembly of its source.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { DotScanner } from '../src/engine/index/wasm/dot-scanner';
import { DOTS_WASM_BASE64 } from '../src/engine/index/wasm/dots-wasm';
import { dot } from '../src/engine/index/int8';
import { fuzzParams } from './helpers/fuzz';

const ROOT = path.join(__dirname, '..', '..');

test('the bundled module is the assembly of dots.wat (npm run build:wasm)', async () => {
  const { assembleDots } = require(path.join(ROOT, 'scripts', 'wasm-assemble.cjs')) as { assembleDots(text: string): Promise<Uint8Array> };
  const assembled = await assembleDots(readFileSync(path.join(ROOT, 'src', 'engine', 'index', 'wasm', 'dots.wat'), 'utf8'));
  assert.deepEqual(Buffer.from(assembled), Buffer.from(DOTS_WASM_BASE64, 'base64'));
});

test('each score has the bits of int8.ts dot for the same codes and query, at any dimension, stride and values', () => {
  const float32 = fc.oneof(
    fc.float({ noNaN: true, noDefaultInfinity: true }),
    fc.float({ min: -1, max: 1, noNaN: true }),
    fc.constantFrom(0, -0, 1, -1, 2 ** -149, -(2 ** -149), 3.4028234663852886e38),
  );
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 80 }).map((quarters) => quarters * 4),
      fc.integer({ min: 1, max: 12 }),
      fc.integer({ min: 0, max: 40 }),
      fc.integer({ min: 0, max: 16 }),
      fc.integer(),
      (dimension, nodes, spare, codesAt, seed) => {
        const stride = Math.ceil((codesAt + dimension + spare) / 4) * 4;
        const scanner = DotScanner.create(dimension, nodes, stride);
        assert.ok(scanner, 'this runtime runs the module (Node 20 has WebAssembly SIMD)');
        let state = seed >>> 0;
        const next = () => (state = (Math.imul(state, 1664525) + 1013904223) >>> 0);
        for (let i = 0; i < scanner.block.length; i++) scanner.block[i] = next() & 0xff;
        const query = new Float32Array(dimension);
        const values = fc.sample(float32, { numRuns: dimension, seed });
        values.forEach((v, j) => (query[j] = v));
        scanner.setQuery(query);
        const count = 1 + (next() % nodes);
        const scores = Array.from(scanner.score(count, codesAt));
        const codes = new Int8Array(scanner.block.buffer, scanner.block.byteOffset, scanner.block.length);
        const expected = Array.from({ length: count }, (_, node) => dot(codes, node * stride + codesAt, query));
        scores.forEach((score, node) => assert.ok(Object.is(score, expected[node]), `node ${node}: ${score} against ${expected[node]}`));
      },
    ),
    fuzzParams(200),
  );
});

test('a dimension that is not a multiple of 4, or an empty block, gets no scanner; a block it does not hold is refused', () => {
  assert.equal(DotScanner.create(6, 4, 16), undefined);
  assert.equal(DotScanner.create(0, 4, 16), undefined);
  assert.equal(DotScanner.create(8, 0, 16), undefined);
  const scanner = DotScanner.create(8, 4, 16)!;
  assert.throws(() => scanner.score(5, 0), RangeError);
  assert.throws(() => scanner.score(1, 9), RangeError);
  assert.throws(() => scanner.setQuery(new Float32Array(4)), RangeError);
});
