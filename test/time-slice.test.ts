import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Foreground, runSteps, runStepsSliced, TimeSlices, type Steps } from '../src/engine/time-slice';
import { LoopTurns } from './helpers/loop-turns';

/** Busy work in `count` steps of about `stepMs` each; returns how many ran. */
function* busySteps(count: number, stepMs: number): Steps<number> {
  for (let i = 0; i < count; i++) {
    const until = performance.now() + stepMs;
    while (performance.now() < until) {
      // busy: no turn of the event loop
    }
    yield;
  }
  return count;
}

test('sliced steps give the event loop a turn about once a slice; straight through, none', async () => {
  const sliced = new LoopTurns();
  try {
    // 40 steps of 2 ms, in slices of 10 ms: about 8 turns
    assert.equal(await runStepsSliced(busySteps(40, 2), new TimeSlices(10)), 40);
    assert.ok(sliced.turns >= 4 && sliced.turns <= 40, `${sliced.turns} turns in 80 ms of work sliced at 10 ms`);
  } finally {
    sliced.stop();
  }
  const straight = new LoopTurns();
  try {
    assert.equal(runSteps(busySteps(40, 2)), 40);
    assert.equal(straight.turns, 0, 'run straight through, the loop never turned');
  } finally {
    straight.stop();
  }
});

test('a pause returns at once within a slice, and yields once the slice has run', async () => {
  const slices = new TimeSlices(1_000);
  let ran = false;
  setImmediate(() => (ran = true));
  await slices.pause();
  assert.equal(ran, false, 'within the slice, the pause did not yield');
  const short = new TimeSlices(0);
  await short.pause();
  assert.equal(ran, true, 'past the slice, the pause let the waiting callback run');
});

test('background work waits while a foreground request is in progress, then resumes', async () => {
  const foreground = new Foreground();
  const slices = new TimeSlices(60_000, foreground);
  const order: string[] = [];
  let release!: () => void;
  const request = foreground.run(async () => {
    order.push('request starts');
    await new Promise<void>((resolve) => (release = resolve));
    order.push('request ends');
    return 42;
  });
  const background = (async () => {
    await slices.pause();
    order.push('background resumes');
  })();
  await new Promise((resolve) => setTimeout(resolve, 30));
  assert.deepEqual(order, ['request starts'], 'within its slice, the background still waits for the request');
  assert.equal(foreground.busy, true);
  release();
  assert.equal(await request, 42);
  await background;
  assert.deepEqual(order, ['request starts', 'request ends', 'background resumes']);
  assert.equal(foreground.busy, false);
  await foreground.run(() => Promise.reject(new Error('failed'))).catch(() => undefined);
  assert.equal(foreground.busy, false, 'a request that fails is done too');
});

test('a request that never settles holds background work up for about a second at a pause, not for ever', async () => {
  const foreground = new Foreground();
  void foreground.run(() => new Promise<never>(() => {}));
  const started = performance.now();
  await new TimeSlices(60_000, foreground).pause();
  const waited = performance.now() - started;
  assert.ok(waited >= 900 && waited < 5_000, `waited ${waited.toFixed(0)} ms`);
  assert.equal(foreground.busy, true);
});
