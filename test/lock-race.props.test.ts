/**
 * The index lock under racing takers (src/engine/index/lock.ts), by fault injection: between any
 * two of one taker's file-system steps, other takers run whole (nested here, in one process, each
 * standing for another process's attempt at that moment). Whatever the schedule, a stale lock is
 * taken over by exactly one of them, the lock file is that one's, and nothing of the takeover is
 * left behind once it lets go.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { IndexLock } from '../src/engine/index/lock';
import { fuzzParams } from './helpers/fuzz';

/** The module object lock.ts reads its functions from (its import binds to these properties). */
const fsModule = require('node:fs') as Record<string, unknown>;
const STEPS = ['linkSync', 'renameSync', 'rmSync', 'writeFileSync', 'openSync', 'readFileSync'] as const;

/** Takes the stale (or, `damaged`, old and ownerless) lock of a new folder, other takers run whole at the global file-system steps `starts`; checks the outcome. */
function race(starts: readonly number[], damaged: boolean): void {
  const dir = mkdtempSync(path.join(tmpdir(), 'codescout-lock-race-'));
  const lockFile = path.join(dir, 'index.lock');
  // a lock left by a process that no longer exists (or, old enough, one that holds no owner)
  writeFileSync(lockFile, damaged ? 'not a lock' : JSON.stringify({ pid: 2147483646, host: hostname(), token: 'dead' }));
  if (damaged) utimesSync(lockFile, 0, 0);
  const results: (IndexLock | object)[] = [];
  const originals = new Map(STEPS.map((name) => [name, fsModule[name] as (...args: unknown[]) => unknown]));
  const pending = [...starts].sort((a, b) => a - b);
  let step = 0;
  const take = () => results.push(IndexLock.acquire(dir));
  for (const name of STEPS) {
    fsModule[name] = (...args: unknown[]) => {
      // at its scheduled step, another taker runs whole before this step is made
      while (pending.length && pending[0] <= step) {
        pending.shift();
        take();
      }
      step++;
      return originals.get(name)!(...args);
    };
  }
  try {
    take();
    while (pending.length) {
      pending.shift();
      take(); // scheduled past the end: after the others
    }
  } finally {
    for (const [name, original] of originals) fsModule[name] = original;
  }
  try {
    const holders = results.filter((r): r is IndexLock => r instanceof IndexLock);
    assert.equal(holders.length, 1, `exactly one taker holds the lock (others at steps ${starts.join(', ')}): ${JSON.stringify(results)}`);
    const token = (holders[0] as unknown as { token: string }).token;
    assert.equal(JSON.parse(readFileSync(lockFile, 'utf8')).token, token, 'the lock file is the holder’s');
    for (const r of results) if (!(r instanceof IndexLock)) assert.deepEqual(r, { heldBy: process.pid }, 'the others see it held');
    holders[0].release();
    assert.deepEqual(readdirSync(dir), [], 'nothing left behind');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('a stale lock raced for by three takers, the other two at every pair of steps of the first: exactly one takes it, and the lock file is its own', () => {
  // among these schedules is the one a review found (the first taker moves a fresh lock aside to
  // check it, and a third takes the empty place before it is put back): two holders, before the breaker
  for (const damaged of [false, true]) for (let a = 0; a < 30; a++) for (let c = a; c < 45; c++) race([a, c], damaged);
});

test('a stale lock raced for by up to five takers at random steps: exactly one takes it', () => {
  fc.assert(
    fc.property(fc.array(fc.nat({ max: 60 }), { minLength: 1, maxLength: 4 }), fc.boolean(), (starts, damaged) => race(starts, damaged)),
    fuzzParams(300),
  );
});
