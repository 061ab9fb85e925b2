/**
 * When the engine process asks to be replaced after indexing (server/restart-after-indexing.ts):
 * examples, a property against a plain restatement of the rule, and the command line's options.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DEFAULT_RESTART_AFTER_INDEXING, RestartAfterIndexing, restartOptionsFrom, type RestartAfterIndexingOptions } from '../src/server/restart-after-indexing';

const MB = 1024 * 1024;

/** A policy over a probe whose readings the test sets, with the reasons it gave. */
function policy(options: RestartAfterIndexingOptions = { aboveBytes: 400 * MB, afterFiles: 1000 }) {
  const probe = { rss: 700 * MB, busy: false, ready: true, requests: 0 };
  const asked: string[] = [];
  const restart = new RestartAfterIndexing(
    options,
    { rss: () => probe.rss, foldersBusy: () => probe.busy, foldersReady: () => probe.ready, agentRequests: () => probe.requests },
    (reason) => asked.push(reason),
  );
  /** A refresh ended having parsed `files`, and its folder's status followed (as FolderIndex reports them). */
  const ended = (files: number) => {
    restart.refreshEnded(files);
    restart.check();
  };
  return { restart, probe, asked, ended };
}

test('asks once, after a large refresh, when idle and above the limit', () => {
  const { restart, probe, asked, ended } = policy();
  probe.busy = true;
  restart.check(); // progress while it indexes
  probe.busy = false;
  ended(5000);
  assert.equal(asked.length, 1);
  assert.match(asked[0], /holds 700 MB after indexing 5000 files \(the limit is 400 MB\)/);
  probe.rss = 900 * MB;
  ended(5000);
  restart.check();
  assert.equal(asked.length, 1, 'never twice in one process');
});

test('refreshes add up while any folder is busy (several folders indexed at once), not across idle moments (saves)', () => {
  const together = policy();
  together.probe.busy = true; // the second folder still indexes when the first ends
  together.ended(600);
  together.probe.busy = false;
  together.ended(500);
  assert.equal(together.asked.length, 1);
  assert.match(together.asked[0], /after indexing 1100 files/);

  const saves = policy();
  for (let i = 1; i <= 50; i++) saves.ended(100); // each ends with nothing running
  assert.equal(saves.asked.length, 0, 'fifty saves of 100 files are no large refresh');
});

test('waits while an agent request is unanswered; gives up on a large refresh when a folder is not ready (a cancelled index) or memory is within the limit', () => {
  const { restart, probe, asked, ended } = policy();
  probe.requests = 1;
  ended(5000);
  ended(1); // a save meanwhile
  assert.equal(asked.length, 0);
  probe.requests = 0;
  restart.check(); // as the agent endpoint calls it when a session answers its last request
  assert.equal(asked.length, 1, 'the large refresh is remembered while the request is unanswered');

  const cancelled = policy();
  cancelled.probe.ready = false; // the user cancelled: a new process would index the folder again
  cancelled.ended(5000);
  cancelled.probe.ready = true;
  cancelled.ended(1);
  assert.equal(cancelled.asked.length, 0, 'a later small refresh does not revive it');

  const small = policy();
  small.probe.rss = 400 * MB;
  small.ended(5000);
  small.probe.rss = 800 * MB;
  small.ended(1);
  assert.equal(small.asked.length, 0, 'memory grown by saves alone is not what a new process gives back');
  small.ended(1000);
  assert.equal(small.asked.length, 1, 'the next large refresh asks');
});

test('never with a limit of 0', () => {
  const off = policy({ aboveBytes: 0, afterFiles: 1 });
  off.probe.rss = 10_000 * MB;
  off.ended(5000);
  assert.equal(off.asked.length, 0);
});

test('property: it asks exactly when a restatement of the rule says, and at most once', () => {
  const event = fc.oneof(
    fc.record({ kind: fc.constant('ended' as const), files: fc.nat(800) }),
    fc.record({ kind: fc.constant('check' as const) }),
    fc.record({ kind: fc.constant('probe' as const), rss: fc.nat(1000), busy: fc.boolean(), ready: fc.boolean(), requests: fc.nat(2) }),
  );
  fc.assert(
    fc.property(fc.array(event, { maxLength: 50 }), fc.nat(1000), fc.integer({ min: 1, max: 1200 }), (events, limitMb, afterFiles) => {
      const { restart, probe, asked, ended } = policy({ aboveBytes: limitMb * MB, afterFiles });
      // the rule, restated
      let group = 0;
      let large = false;
      let expected = 0;
      events.forEach((e, i) => {
        if (e.kind === 'probe') {
          Object.assign(probe, { rss: e.rss * MB, busy: e.busy, ready: e.ready, requests: e.requests });
          return;
        }
        if (e.kind === 'ended') {
          group += e.files;
          ended(e.files);
        } else restart.check();
        if (expected === 0 && limitMb > 0 && !probe.busy) {
          if (group >= afterFiles) large = true;
          group = 0;
          if (large && probe.requests === 0) {
            large = false;
            if (probe.ready && probe.rss > limitMb * MB) expected = 1;
          }
        }
        assert.equal(asked.length, expected, `after event ${i}`);
      });
    }),
    { numRuns: 500 },
  );
});

test('options from the command line: the defaults, the two flags, and bad values left at their defaults with a warning', () => {
  assert.deepEqual(restartOptionsFrom([]), { options: DEFAULT_RESTART_AFTER_INDEXING, warnings: [] });
  assert.deepEqual(restartOptionsFrom(['--nice', '10', '--restart-above-mb', '650', '--restart-after-files', '1']), {
    options: { aboveBytes: 650 * MB, afterFiles: 1 },
    warnings: [],
  });
  assert.deepEqual(restartOptionsFrom(['--restart-above-mb', '0']).options.aboveBytes, 0);
  for (const bad of [[], ['-1'], ['1.5'], ['lots'], ['1e3'], ['99999999999999999999']]) {
    const { options, warnings } = restartOptionsFrom(['--restart-above-mb', ...bad]);
    assert.deepEqual(options, DEFAULT_RESTART_AFTER_INDEXING, `--restart-above-mb ${bad.join(' ')}`);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /--restart-above-mb/);
  }
  for (const bad of ['x', '0']) {
    const { options, warnings } = restartOptionsFrom(['--restart-after-files', bad]);
    assert.equal(options.afterFiles, DEFAULT_RESTART_AFTER_INDEXING.afterFiles);
    assert.deepEqual(warnings, [`--restart-after-files needs a whole number ≥ 1, not "${bad}"; the default is used`]);
  }
  const probe = { rss: () => 0, foldersBusy: () => false, foldersReady: () => true, agentRequests: () => 0 };
  assert.throws(() => new RestartAfterIndexing({ aboveBytes: -1, afterFiles: 1 }, probe, () => {}), RangeError);
  assert.throws(() => new RestartAfterIndexing({ aboveBytes: 1, afterFiles: 0 }, probe, () => {}), /afterFiles must be a whole number ≥ 1/);
});
