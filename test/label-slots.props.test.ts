/**
 * LabelSlots (src/engine/index/label-slots.ts), the vector index's label → slot table, against a
 * `Map` model: any sequence of loads, sets, deletes and reads, with dense labels (chunk ids) and
 * sparse ones up to 2³²−1, answers as the `Map` does; dense labels stay in the table.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fuzzParams } from './helpers/fuzz';
import { LabelSlots } from '../src/engine/index/label-slots';

const denseLabel = fc.integer({ min: 0, max: 3_000 });
const anyLabel = fc.oneof({ weight: 6, arbitrary: denseLabel }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 2 ** 32 - 1 }) });
const slot = fc.integer({ min: 0, max: 2 ** 31 - 2 });

type Op = { kind: 'set'; label: number; slot: number } | { kind: 'delete'; label: number } | { kind: 'read'; label: number };

const ops = (label: fc.Arbitrary<number>) =>
  fc.array(
    fc.oneof(
      { weight: 5, arbitrary: fc.record({ kind: fc.constant('set' as const), label, slot }) },
      { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const), label }) },
      { weight: 2, arbitrary: fc.record({ kind: fc.constant('read' as const), label }) },
    ),
    { maxLength: 300 },
  ) as fc.Arbitrary<Op[]>;

function check(slots: LabelSlots, model: Map<number, number>): void {
  assert.equal(slots.size, model.size);
  assert.deepEqual([...slots.keys()].sort((a, b) => a - b), [...model.keys()].sort((a, b) => a - b));
  for (const [label, at] of model) assert.equal(slots.get(label), at);
}

function run(slots: LabelSlots, model: Map<number, number>, sequence: Op[]): void {
  for (const op of sequence) {
    if (op.kind === 'set') {
      slots.set(op.label, op.slot);
      model.set(op.label, op.slot);
    } else if (op.kind === 'delete') {
      assert.equal(slots.delete(op.label), model.delete(op.label));
    } else {
      assert.equal(slots.has(op.label), model.has(op.label));
      assert.equal(slots.get(op.label), model.get(op.label));
    }
  }
  check(slots, model);
}

test('any sequence of sets, deletes and reads answers as a Map does', () => {
  fc.assert(
    fc.property(ops(anyLabel), (sequence) => run(new LabelSlots(), new Map(), sequence)),
    fuzzParams(200),
  );
});

test('a load fills the table as the labels list it, and reports the first label listed twice', () => {
  fc.assert(
    fc.property(fc.array(anyLabel, { maxLength: 400 }), ops(anyLabel), (labels, after) => {
      const slots = new LabelSlots();
      const twice = slots.load(labels);
      const model = new Map<number, number>();
      let expected = -1;
      for (let at = 0; at < labels.length; at++) {
        if (model.has(labels[at])) {
          expected = at;
          break;
        }
        model.set(labels[at], at);
      }
      assert.equal(twice, expected);
      if (twice === -1) check(slots, model);
      else assert.equal(slots.size, twice); // the labels before the repeated one
      if (twice === -1) run(slots, model, after);
    }),
    fuzzParams(200),
  );
});

test('dense labels stay in the table, loaded or set one by one; far sparser ones move to a Map', () => {
  const shuffled = Array.from({ length: 100_000 }, (_, i) => (i * 7919) % 100_000); // every label below 100k, out of order
  const loaded = new LabelSlots();
  assert.equal(loaded.load(shuffled), -1);
  assert.equal(loaded.denseLength, 100_000);
  assert.equal(loaded.get(shuffled[12_345]), 12_345);
  const growing = new LabelSlots();
  for (let label = 0; label < 100_000; label++) growing.set(label, label);
  assert.ok(growing.denseLength >= 100_000 && growing.denseLength < 300_000, `table of ${growing.denseLength}`);
  growing.set(2 ** 32 - 1, 5);
  assert.equal(growing.denseLength, 0);
  assert.equal(growing.get(2 ** 32 - 1), 5);
  assert.equal(growing.get(99_999), 99_999);
  assert.equal(growing.size, 100_001);
});

test('load refuses a table that holds labels already, and takes one emptied after it went sparse', () => {
  const slots = new LabelSlots();
  slots.set(3, 0);
  assert.throws(() => slots.load([1, 2]), /empty/);
  const emptied = new LabelSlots();
  emptied.set(2 ** 32 - 1, 0);
  assert.equal(emptied.denseLength, 0);
  assert.equal(emptied.delete(2 ** 32 - 1), true);
  assert.equal(emptied.load([1, 2]), -1);
  assert.ok(emptied.denseLength > 0);
  assert.equal(emptied.get(2), 1);
});

test('what is not a label is never held, as with a Map, and cannot be set', () => {
  for (const sparse of [false, true]) {
    const slots = new LabelSlots();
    slots.set(0, 0);
    slots.set(1, 1);
    if (sparse) slots.set(2 ** 32 - 1, 2);
    for (const notLabel of [-1, 1.5, NaN, -0.5, 2 ** 32, Infinity]) {
      assert.equal(slots.has(notLabel), false, String(notLabel));
      assert.equal(slots.get(notLabel), undefined, String(notLabel));
      assert.equal(slots.delete(notLabel), false, String(notLabel));
      assert.throws(() => slots.set(notLabel, 3), RangeError);
    }
    assert.throws(() => slots.set(5, -1), RangeError);
    assert.throws(() => slots.set(5, 2 ** 31 - 1), RangeError);
    assert.equal(slots.size, sparse ? 3 : 2);
    assert.equal(slots.get(1), 1);
  }
});

test('labels set out of order, from a high one, answer as a Map does', () => {
  fc.assert(
    fc.property(fc.uniqueArray(fc.integer({ min: 0, max: 300_000 }), { maxLength: 2_000 }), (labels) => {
      const slots = new LabelSlots();
      const model = new Map<number, number>();
      labels.forEach((label, slot) => {
        slots.set(label, slot);
        model.set(label, slot);
      });
      check(slots, model);
    }),
    fuzzParams(50),
  );
});
