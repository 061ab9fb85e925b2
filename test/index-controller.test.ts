/**
 * The extension's index controller and its indexing notification (src/extension/index-controller.ts,
 * indexing-progress.ts) in a plain Node test, over a stand-in engine client and connection, with
 * the `vscode` values they use from test/helpers/vscode-stub.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FolderStatusChanged, type FolderStatus } from '../src/protocol/protocol';
import { FakeLogChannel } from './helpers/fake-log-channel';
import { installVscodeStub } from './helpers/vscode-stub';
import { fakeEngineClient } from './helpers/fake-engine-client';

const stub = installVscodeStub();
// after the stub: these modules require 'vscode' as they load
const { IndexController } = require('../src/extension/index-controller') as typeof import('../src/extension/index-controller');
const { IndexingProgress } = require('../src/extension/indexing-progress') as typeof import('../src/extension/indexing-progress');

const ROOT = '/ws';
stub.workspace.workspaceFolders = [{ uri: { fsPath: ROOT, scheme: 'file' }, name: 'ws', index: 0 }];

function indexing(percent: number): FolderStatus {
  return {
    version: 1, root: ROOT, name: 'ws', state: 'indexing', partial: true, mode: 'hybrid', refreshes: 0, generation: 0,
    contents: { files: 0, chunks: 0, definitions: 0, languages: {} },
    progress: { phase: 'parse', done: 40, total: 100, reason: 'open', percent },
  } as FolderStatus;
}

/** A stand-in connection: Configure answers with `answer(params)`, after `gate` when one is given; the configures sent, in order. */
function fakeConnection(answer: () => FolderStatus[], gate?: Promise<void>) {
  const configures: { folders: { options: { exclude: string[] } }[] }[] = [];
  const connection = {
    onNotification: () => ({ dispose() {} }),
    sendNotification: async () => undefined,
    sendRequest: async (_type: unknown, params: (typeof configures)[number]) => {
      configures.push(params);
      if (configures.length === 1) await gate;
      return answer();
    },
  };
  return { connection, configures };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

test('an engine that stops while a folder indexes closes the indexing notification and ends a Reindex waiting for its refresh', async () => {
  const controller = new IndexController(new FakeLogChannel() as never);
  const engine = fakeEngineClient();
  controller.attach(engine as never);
  const progress = new IndexingProgress(controller);
  try {
    const { connection } = fakeConnection(() => [indexing(40)]);
    await controller.setUp(connection as never);
    engine.setState('running');
    assert.equal(stub.progress.opened - stub.progress.closed, 1, 'the notification shows the indexing');
    const waiting = controller.nextUserRefresh();
    let ended: FolderStatus[] | undefined;
    void waiting.result.then((folders) => (ended = folders));
    // the process dies: its last statuses still say indexing
    engine.setState('restarting');
    await settle();
    assert.equal(stub.progress.opened - stub.progress.closed, 0, 'the notification is gone');
    assert.deepEqual(ended, [], 'the Reindex is told at once (it waited 10 minutes)');
    assert.equal(controller.folders()[0].state, 'indexing', 'the last status kept, for the views that show the engine state beside it');
  } finally {
    progress.dispose();
    controller.dispose();
  }
});

test('a Reindex waiting for its refresh ends when Restart Engine replaces the engine (its state goes to starting, not restarting)', async () => {
  const controller = new IndexController(new FakeLogChannel() as never);
  const engine = fakeEngineClient();
  controller.attach(engine as never);
  try {
    const { connection } = fakeConnection(() => [indexing(10)]);
    await controller.setUp(connection as never);
    engine.setState('running');
    const waiting = controller.nextUserRefresh();
    let ended: FolderStatus[] | undefined;
    void waiting.result.then((folders) => (ended = folders));
    engine.setState('starting');
    await settle();
    assert.deepEqual(ended, []);
  } finally {
    controller.dispose();
  }
});

test('a Reindex waiting for its refresh ends when that refresh fails (no report), or when the index it opened again has refreshed', async () => {
  for (const after of [
    { state: 'error', lastError: 'disk full', lastRefresh: undefined },
    { state: 'ready', lastRefresh: { reason: 'open', filesParsed: 3, filesRemoved: 0, chunksEmbedded: 0, chunksFromCache: 3, seconds: 0.1, cancelled: false } },
  ]) {
    const controller = new IndexController(new FakeLogChannel() as never);
    const engine = fakeEngineClient();
    controller.attach(engine as never);
    try {
      let statusChanged: (s: FolderStatus) => void = () => {};
      const connection = {
        onNotification: (_type: unknown, handler: (s: FolderStatus) => void) => {
          if ((_type as { method?: string }).method === FolderStatusChanged.method) statusChanged = handler;
          return { dispose() {} };
        },
        sendNotification: async () => undefined,
        sendRequest: async () => [{ ...indexing(100), state: 'ready', partial: false, refreshes: 0, progress: undefined }],
      };
      await controller.setUp(connection as never);
      engine.setState('running');
      const waiting = controller.nextUserRefresh(5000); // not 10 minutes: a regression fails, and does not hold the run
      let ended: FolderStatus[] | undefined;
      void waiting.result.then((folders) => (ended = folders));
      statusChanged({ ...indexing(50), refreshes: 0 });
      await settle();
      assert.equal(ended, undefined, 'still indexing');
      statusChanged({ ...indexing(100), partial: false, progress: undefined, refreshes: 1, ...after } as FolderStatus);
      await settle();
      assert.equal((ended as FolderStatus[] | undefined)?.length, 1, `ended at once, not after 10 minutes: ${after.state}`);
    } finally {
      controller.dispose();
    }
  }
});

test('settings changed while the engine starts are sent to it once it is configured', async () => {
  const controller = new IndexController(new FakeLogChannel() as never);
  const engine = fakeEngineClient();
  controller.attach(engine as never);
  stub.workspace.settings.set('codescout', new Map());
  try {
    let open!: () => void;
    const { connection, configures } = fakeConnection(() => [], new Promise<void>((resolve) => (open = resolve)));
    const setUp = controller.setUp(connection as never);
    await settle();
    assert.equal(configures.length, 1);
    // Settings Sync or the user changes an exclude while the first Configure is answered
    stub.workspace.settings.set('codescout', new Map([['exclude', ['**/generated/**']]]));
    await controller.reconfigure();
    open();
    await setUp;
    assert.equal(configures.length, 2, 'configured again');
    assert.deepEqual(configures.map((c) => c.folders[0].options.exclude), [[], ['**/generated/**']]);
    // a process that starts with the setting already there is configured once
    const again = fakeConnection(() => []);
    await controller.setUp(again.connection as never);
    assert.deepEqual(again.configures.map((c) => c.folders[0].options.exclude), [['**/generated/**']]);
  } finally {
    stub.workspace.settings.delete('codescout');
    controller.dispose();
  }
});

test('Show Index Status with folders open and the engine not started (indexing on open off) starts it and reports each folder (it said that none was open)', async () => {
  const { StatusDocument } = require('../src/extension/status-document') as typeof import('../src/extension/status-document');
  let started = false;
  const status = indexing(0);
  const controller = {
    folders: () => (started ? [{ ...status, state: 'stale', partial: false, progress: undefined }] : []),
    workspaceState: () => ({ folderCount: 1 }),
  };
  const report = {
    root: ROOT, indexDir: '/idx', indexBytes: 0, model: null, mode: 'lexical-only', files: 0, chunks: 0, languages: {}, updatedAt: null,
    stale: { added: 3, changed: 0, removed: 0 }, redo: { read: false, chunk: false, chunkWaitsForModel: false }, skippedByReason: {}, skipped: [],
    ignoreRules: { excluded: 0, excludeEverything: false },
  };
  const engine = {
    start: async () => void (started = true),
    request: async () => report,
  };
  const document = new StatusDocument(engine as never, controller as never);
  try {
    const text = await (document as unknown as { build(): Promise<string> }).build();
    assert.ok(started, 'the engine was started');
    assert.doesNotMatch(text, /none is open/);
    assert.match(text, /^staleness: +3 new, 0 changed, 0 removed since the last index$/m);
  } finally {
    document.dispose();
  }
});

test('during a Restart Engine the workspace state says restarting (the statuses held are the replaced process\'s); a quiet replacement keeps them', async () => {
  const controller = new IndexController(new FakeLogChannel() as never);
  const engine = fakeEngineClient();
  controller.attach(engine as never);
  const { connection } = fakeConnection(() => [indexing(40)]);
  await controller.setUp(connection as never);
  engine.setState('running');
  assert.equal(controller.workspaceState().engine, 'running');
  engine.restartingOnRequest = true;
  engine.setState('starting');
  assert.equal(controller.workspaceState().engine, 'restarting');
  engine.restartingOnRequest = false;
  assert.equal(controller.workspaceState().engine, 'starting', 'replaced because it asked: its statuses stand');
  assert.equal(controller.workspaceState().folders[0].state, 'indexing');
  controller.dispose();
});
