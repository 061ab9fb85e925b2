/**
 * Strings encoded in parts (bytes.ts encodeStrings, which index serialisation runs in steps)
 * join to exactly the bytes of the strings joined and encoded at once, in every encoding the
 * index files use, even when a surrogate pair is split across two strings at a part's edge.
 * ByteWriter, which keeps what it writes in blocks and takes other writers' parts without copying
 * them, gives the bytes a plain appending model gives, read back by ByteReader.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ByteReader, ByteWriter, encodeStrings } from '../src/engine/index/bytes';
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

/** One write, applied to a ByteWriter and, as bytes, to a model. */
type Op =
  | { kind: 'u32'; value: number }
  | { kind: 'f64'; value: number }
  | { kind: 'varint'; value: number }
  | { kind: 'bytes'; value: Uint8Array }
  | { kind: 'values'; value: Float64Array }
  | { kind: 'parts'; value: Uint8Array[] }
  | { kind: 'adopt'; value: Op[] };

function modelBytes(op: Op): Buffer {
  switch (op.kind) {
    case 'u32': {
      const b = Buffer.alloc(4);
      b.writeUInt32LE(op.value);
      return b;
    }
    case 'f64': {
      const b = Buffer.alloc(8);
      b.writeDoubleLE(op.value);
      return b;
    }
    case 'varint': {
      const out: number[] = [];
      let rest = op.value;
      while (rest >= 0x80) {
        out.push((rest & 0x7f) | 0x80);
        rest = Math.floor(rest / 128);
      }
      out.push(rest);
      return Buffer.from(out);
    }
    case 'bytes':
      return Buffer.from(op.value);
    case 'values':
      return Buffer.from(op.value.buffer, op.value.byteOffset, op.value.byteLength);
    case 'parts': {
      const length = Buffer.alloc(4);
      length.writeUInt32LE(op.value.reduce((sum, part) => sum + part.length, 0));
      return Buffer.concat([length, ...op.value]);
    }
    case 'adopt':
      return Buffer.concat(op.value.map(modelBytes));
  }
}

function apply(writer: ByteWriter, op: Op, capacity: number): void {
  switch (op.kind) {
    case 'u32':
      return writer.u32(op.value);
    case 'f64':
      return writer.f64(op.value);
    case 'varint':
      return writer.varint(op.value);
    case 'bytes':
      return writer.bytes(op.value);
    case 'values':
      return writer.values(op.value);
    case 'parts':
      return writer.lengthAndParts(op.value);
    case 'adopt': {
      const other = new ByteWriter(capacity);
      for (const inner of op.value) apply(other, inner, capacity);
      return writer.adopt(other.parts());
    }
  }
}

const leafOp: fc.Arbitrary<Op> = fc.oneof(
  fc.nat({ max: 0xffffffff }).map((value) => ({ kind: 'u32' as const, value })),
  fc.double().map((value) => ({ kind: 'f64' as const, value })),
  fc.oneof(fc.nat({ max: 200 }), fc.nat({ max: 0xffffffff }), fc.constantFrom(0x7f, 0x80, 0x3fff, 0x4000, 0x1fffff, 0x200000, 0xfffffff, 0x10000000, 0xffffffff)).map((value) => ({ kind: 'varint' as const, value })),
  fc.uint8Array({ maxLength: 300 }).map((value) => ({ kind: 'bytes' as const, value })),
  fc.array(fc.double(), { maxLength: 40 }).map((values) => ({ kind: 'values' as const, value: Float64Array.from(values) })),
  fc.array(fc.uint8Array({ maxLength: 100 }), { maxLength: 4 }).map((value) => ({ kind: 'parts' as const, value })),
);
const anyOp: fc.Arbitrary<Op> = fc.oneof({ weight: 6, arbitrary: leafOp }, { weight: 1, arbitrary: fc.array(leafOp, { maxLength: 30 }).map((value) => ({ kind: 'adopt' as const, value })) });

test('ByteWriter: its parts join to the bytes written, in order, across blocks, adopted parts and values larger than a block', () => {
  fc.assert(
    fc.property(fc.array(anyOp, { maxLength: 120 }), fc.integer({ min: 1, max: 64 }), (ops, capacity) => {
      const writer = new ByteWriter(capacity);
      for (const op of ops) apply(writer, op, capacity);
      const expected = Buffer.concat(ops.map(modelBytes));
      const parts = writer.parts();
      assert.equal(writer.size, expected.length);
      assert.ok(Buffer.concat(parts).equals(expected));
      assert.ok(writer.toBuffer().equals(expected));
      // the parts are views, not copies that a later write could miss: none is empty
      assert.ok(parts.every((part) => part.length > 0));
    }),
    fuzzParams(300),
  );
});

test('ByteWriter: values written across many blocks read back with ByteReader', () => {
  const writer = new ByteWriter(16);
  const values = Array.from({ length: 50_000 }, (_, i) => (i * 2654435761) >>> (i % 32));
  for (const value of values) writer.varint(value);
  writer.u32(0xdeadbeef);
  const bytes = Buffer.concat(writer.parts());
  assert.ok(writer.parts().length > 10, 'the writes span many blocks');
  const reader = new ByteReader(bytes, 'test');
  for (const value of values) assert.equal(reader.varint(), value);
  assert.equal(reader.u32(), 0xdeadbeef);
  reader.end();
});
