/**
 * The palette's one-search-at-a-time rule (src/extension/latest-only.ts): whatever the order of
 * typing, answers and failures, at most one request is in flight, each request is for the value
 * latest when it was sent, an answer is shown only while its value is still the latest, and once
 * everything has settled the last value typed has been answered exactly once.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { LatestOnly, type Settled } from '../src/extension/latest-only';

type Op = { kind: 'set'; value: string } | { kind: 'answer' } | { kind: 'fail' } | { kind: 'drop' };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), value: fc.constantFrom('', 'p', 'pa', 'par', 'parse') }),
  fc.constant<Op>({ kind: 'answer' }),
  fc.constant<Op>({ kind: 'fail' }),
  fc.constant<Op>({ kind: 'drop' }),
);

interface Pending {
  value: string;
  serial: number;
  resolve: (result: string) => void;
  reject: (error: Error) => void;
}

/** Lets the promise callbacks of a settled request run. */
const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

test('at most one request in flight; an answer is shown only for the latest value, and the last value is answered once', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(op, { maxLength: 40 }), async (ops) => {
      const pending: Pending[] = [];
      const delivered: { value: string; outcome: Settled<string> }[] = [];
      let latest: string | undefined; // the value set last, undefined once dropped
      let serial = 0;
      const requests = new LatestOnly<string, string>(
        (value) => {
          // a new request only when none is in flight, and only for the latest value
          assert.equal(pending.length, 0, 'a second request while one is in flight');
          assert.equal(value, latest, 'a request for a value no longer wanted');
          const mine = ++serial;
          return new Promise<string>((resolve, reject) => pending.push({ value, serial: mine, resolve, reject }));
        },
        (value, outcome) => {
          assert.equal(value, latest, 'an answer shown for a value that is no longer the latest');
          delivered.push({ value, outcome });
          latest = undefined; // answered: a later identical answer would be a second delivery
        },
      );
      const settle = async (how: 'answer' | 'fail') => {
        const p = pending.shift();
        if (!p) return;
        if (how === 'answer') p.resolve(`${p.value}#${p.serial}`);
        else p.reject(new Error(`failed ${p.value}#${p.serial}`));
        await flush();
      };
      let lastSet: string | undefined;
      for (const o of ops) {
        if (o.kind === 'set') {
          latest = o.value;
          lastSet = o.value;
          requests.set(o.value);
        } else if (o.kind === 'drop') {
          latest = undefined;
          lastSet = undefined;
          requests.drop();
        } else {
          await settle(o.kind);
        }
        assert.equal(requests.busy, pending.length === 1);
      }
      const before = delivered.length;
      const wasAnswered = lastSet !== undefined && latest === undefined;
      for (let i = 0; i < 50 && pending.length; i++) await settle('answer');
      assert.equal(pending.length, 0, 'requests kept coming after the typing stopped');
      const after = delivered.slice(before);
      if (lastSet === undefined || wasAnswered) {
        assert.equal(after.length, 0, 'an answer after the last value was dropped or already answered');
      } else {
        assert.equal(after.length, 1, 'the last value typed was not answered exactly once');
        assert.equal(after[0].value, lastSet);
        // the answer shown is that of the request sent last, for that value
        assert.deepEqual(after[0].outcome, { ok: true, result: `${lastSet}#${serial}` });
      }
    }),
    { numRuns: 500 },
  );
});

test('typing while a search is in flight sends only the last value when it is answered', async () => {
  const sent: string[] = [];
  const answers: ((r: string) => void)[] = [];
  const shown: string[] = [];
  const requests = new LatestOnly<string, string>(
    (value) => {
      sent.push(value);
      return new Promise((resolve) => answers.push(resolve));
    },
    (value, outcome) => shown.push(`${value}:${outcome.ok ? outcome.result : 'error'}`),
  );
  requests.set('p');
  requests.set('pa');
  requests.set('par');
  requests.set('pars');
  assert.deepEqual(sent, ['p'], 'sent at once, then nothing until it is answered');
  answers[0]('P');
  await flush();
  assert.deepEqual(sent, ['p', 'pars'], 'the values typed meanwhile replace each other');
  assert.deepEqual(shown, [], "the answer for 'p' is not shown once 'pars' is typed");
  answers[1]('PARS');
  await flush();
  assert.deepEqual(shown, ['pars:PARS']);
  // back to a value in flight: its answer is the answer
  requests.set('x');
  requests.set('xy');
  requests.set('x');
  answers[2]('X');
  await flush();
  assert.deepEqual(sent, ['p', 'pars', 'x']);
  assert.deepEqual(shown, ['pars:PARS', 'x:X']);
});

test('a request that throws or rejects is reported, and the next value is still sent', async () => {
  const shown: string[] = [];
  let calls = 0;
  const requests = new LatestOnly<string, string>(
    (value) => {
      calls++;
      if (value === 'sync') throw new Error('thrown');
      if (value === 'async') return Promise.reject(new Error('rejected'));
      return Promise.resolve(value.toUpperCase());
    },
    (value, outcome) => shown.push(`${value}:${outcome.ok ? outcome.result : (outcome.error as Error).message}`),
  );
  requests.set('sync');
  await flush();
  requests.set('async');
  await flush();
  requests.set('ok');
  await flush();
  assert.equal(calls, 3);
  assert.deepEqual(shown, ['sync:thrown', 'async:rejected', 'ok:OK']);
  assert.equal(requests.busy, false);
});

test('a dropped value is not answered, and the next one is sent when the request in flight ends', async () => {
  const answers: ((r: string) => void)[] = [];
  const sent: string[] = [];
  const shown: string[] = [];
  const requests = new LatestOnly<string, string>(
    (value) => {
      sent.push(value);
      return new Promise((resolve) => answers.push(resolve));
    },
    (value) => shown.push(value),
  );
  requests.set('a');
  requests.drop(); // the picker closed, or the box was emptied
  requests.set('b'); // typed again while 'a' is still in flight: one request at a time holds
  assert.deepEqual(sent, ['a']);
  answers[0]('A');
  await flush();
  assert.deepEqual(sent, ['a', 'b']);
  assert.deepEqual(shown, []);
  answers[1]('B');
  await flush();
  assert.deepEqual(shown, ['b']);
});

test('a deliver that throws is reported, not left as an unhandled rejection, and later values are asked and shown as usual', async () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => void unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);
  try {
    const reported: unknown[] = [];
    const shown: string[] = [];
    const requests = new LatestOnly<string, string>(
      async (value) => value.toUpperCase(),
      (value) => {
        if (value === 'boom') throw new Error('the picker is gone');
        shown.push(value);
      },
      Object.is,
      (error) => reported.push(error),
    );
    requests.set('boom');
    await flush();
    assert.equal(reported.length, 1);
    assert.match(String(reported[0]), /the picker is gone/);
    assert.equal(requests.busy, false);
    requests.set('next');
    await flush();
    assert.deepEqual(shown, ['next']);
    await flush();
    assert.deepEqual(unhandled, []);
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
});
