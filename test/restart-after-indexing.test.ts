/**
 * When the engine process asks to be replaced after indexing (server/restart-after-indexing.ts):
 * examples, a property against a plain restatement of the rule, and the command line's options.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { FolderStatus } from '../src/protocol/protocol';
import { DEFAULT_RESTART_AFTER_INDEXING, RestartAfterIndexing, restartOptionsFrom, type RestartAfterIndexingOptions } from '../src/server/restart-after-indexing';

const MB = 1024 * 1024;

/** A folder's status after `refreshes` refreshes, the last of which parsed `filesParsed` files. */
function status(root: string, refreshes: number, filesParsed: number | undefined, state: FolderStatus['state'] = 'ready'): FolderStatus {
  return {
    version: 1,
    root,
    name: root,
    state,
    contents: { files: 0, chunks: 0, definitions: 0, languages: {} },
    partial: false,
    mode: 'hybrid',
    refreshes,
    ...(filesParsed === undefined
      ? {}
      : { lastRefresh: { reason: 'open', filesParsed, filesRemoved: 0, chunksEmbedded: 0, chunksFromCache: 0, seconds: 1, cancelled: false } }),
    generation: 1,
  };
}

/** A policy over a probe whose readings the test sets, with the reasons it gave. */
function policy(options: RestartAfterIndexingOptions = { aboveBytes: 400 * MB, afterFiles: 1000 }) {
  const probe = { rss: 700 * MB, busy: false, sessions: 0 };
  const asked: string[] = [];
  const restart = new RestartAfterIndexing(
    options,
    { rss: () => probe.rss, foldersBusy: () => probe.busy, agentSessions: () => probe.sessions },
    (reason) => asked.push(reason),
  );
  return { restart, probe, asked };
}

test('asks once, after refreshes that parsed enough files, when idle and above the limit', () => {
  const { restart, probe, asked } = policy();
  restart.observe(status('/a', 0, undefined, 'indexing'));
  restart.observe(status('/a', 1, 600));
  assert.equal(asked.length, 0, '600 files are not enough');
  restart.observe(status('/b', 1, 500)); // another folder's refresh adds to the count
  assert.equal(asked.length, 1);
  assert.match(asked[0], /holds 700 MB after indexing 1100 files \(the limit is 400 MB\)/);
  probe.rss = 900 * MB;
  restart.observe(status('/a', 2, 5000));
  restart.check();
  assert.equal(asked.length, 1, 'never twice in one process');
});

test('a status seen again does not count its refresh twice; a failed refresh counts nothing', () => {
  const { restart, asked } = policy();
  for (let i = 0; i < 5; i++) restart.observe(status('/a', 1, 600)); // the same refresh, reported with each progress or contents change
  assert.equal(asked.length, 0);
  restart.observe(status('/a', 2, undefined, 'error'));
  assert.equal(asked.length, 0);
  restart.observe(status('/a', 3, 400));
  assert.equal(asked.length, 1, '600 + 400 files');
});

test('waits while a folder opens or indexes, or an agent session is open; asks when that ends', () => {
  const { restart, probe, asked } = policy();
  probe.busy = true;
  restart.observe(status('/a', 1, 5000));
  assert.equal(asked.length, 0);
  probe.busy = false;
  probe.sessions = 1;
  restart.observe(status('/b', 0, undefined));
  assert.equal(asked.length, 0);
  probe.sessions = 0;
  restart.check(); // as the agent endpoint calls it when a session ends
  assert.equal(asked.length, 1);
});

test('never at or below the limit, and never with a limit of 0', () => {
  const below = policy();
  below.probe.rss = 400 * MB;
  below.restart.observe(status('/a', 1, 5000));
  assert.equal(below.asked.length, 0);
  below.probe.rss = 400 * MB + 1;
  below.restart.check();
  assert.equal(below.asked.length, 1);
  const off = policy({ aboveBytes: 0, afterFiles: 0 });
  off.probe.rss = 10_000 * MB;
  off.restart.observe(status('/a', 1, 5000));
  assert.equal(off.asked.length, 0);
});

test('property: it asks exactly at the first moment the rule holds', () => {
  const event = fc.oneof(
    fc.record({ kind: fc.constant('status' as const), root: fc.constantFrom('/a', '/b', '/c'), ended: fc.boolean(), files: fc.option(fc.nat(800), { nil: undefined }) }),
    fc.record({ kind: fc.constant('check' as const) }),
    fc.record({ kind: fc.constant('probe' as const), rss: fc.nat(1000), busy: fc.boolean(), sessions: fc.nat(2) }),
  );
  fc.assert(
    fc.property(fc.array(event, { maxLength: 40 }), fc.nat(1000), fc.nat(2000), (events, limitMb, afterFiles) => {
      const { restart, probe, asked } = policy({ aboveBytes: limitMb * MB, afterFiles });
      const refreshes = new Map<string, number>();
      let files = 0;
      let expected: number | undefined;
      events.forEach((e, i) => {
        if (e.kind === 'probe') {
          probe.rss = e.rss * MB;
          probe.busy = e.busy;
          probe.sessions = e.sessions;
          return;
        }
        if (e.kind === 'status') {
          const count = (refreshes.get(e.root) ?? 0) + (e.ended ? 1 : 0);
          refreshes.set(e.root, count);
          if (e.ended) files += e.files ?? 0;
          restart.observe(status(e.root, count, e.files));
        } else restart.check();
        const due = limitMb > 0 && files >= afterFiles && !probe.busy && probe.sessions === 0 && probe.rss > limitMb * MB;
        if (due && expected === undefined) expected = i;
        assert.equal(asked.length, expected === undefined ? 0 : 1, `after event ${i}`);
      });
    }),
  );
});

test('options from the command line: the defaults, the two flags, and bad values left at their defaults with a warning', () => {
  assert.deepEqual(restartOptionsFrom([]), { options: DEFAULT_RESTART_AFTER_INDEXING, warnings: [] });
  assert.deepEqual(restartOptionsFrom(['--nice', '10', '--restart-above-mb', '650', '--restart-after-files', '0']), {
    options: { aboveBytes: 650 * MB, afterFiles: 0 },
    warnings: [],
  });
  assert.deepEqual(restartOptionsFrom(['--restart-above-mb', '0']).options.aboveBytes, 0);
  for (const bad of [[], ['-1'], ['1.5'], ['lots'], ['1e3'], ['99999999999999999999']]) {
    const { options, warnings } = restartOptionsFrom(['--restart-above-mb', ...bad]);
    assert.deepEqual(options, DEFAULT_RESTART_AFTER_INDEXING, `--restart-above-mb ${bad.join(' ')}`);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /--restart-above-mb/);
  }
  const { options, warnings } = restartOptionsFrom(['--restart-after-files', 'x']);
  assert.equal(options.afterFiles, DEFAULT_RESTART_AFTER_INDEXING.afterFiles);
  assert.match(warnings[0], /--restart-after-files needs a whole number ≥ 0, not "x"/);
  assert.throws(() => new RestartAfterIndexing({ aboveBytes: -1, afterFiles: 0 }, { rss: () => 0, foldersBusy: () => false, agentSessions: () => 0 }, () => {}), RangeError);
});
