/**
 * One served folder (src/server/folder-index.ts) in-process, with a real engine over a copy of
 * the fixture repository: what Cancel stops.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { FolderIndex } from '../src/server/folder-index';
import type { FolderStatus } from '../src/protocol/protocol';
import type { Engine } from '../src/engine/engine';
import { copyFixtureRepo, TempDirs, writeIn } from './helpers/workspace';

const temp = new TempDirs();
after(() => temp.cleanup());

async function until<T>(what: string, test: () => T | undefined): Promise<T> {
  for (let waited = 0; ; waited += 20) {
    const value = test();
    if (value !== undefined) return value;
    if (waited > 30_000) throw new Error(`waited 30 s for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

test('Cancel during a routine refresh after a save leaves the folder following its changes; Cancel during indexing stops it', async () => {
  const root = await copyFixtureRepo(path.join(await temp.make('folder-cancel'), 'repo'));
  const statuses: FolderStatus[] = [];
  const folder = new FolderIndex(
    { root, name: 'repo', options: { include: [], exclude: [], maxFileBytes: 1 << 20, threads: 1, spelling: true, indexLocation: await temp.make('folder-cancel-index'), model: null } },
    { status: (s) => void statuses.push(s), log: () => {} },
    true,
  );
  try {
    const refreshes = () => folder.status().refreshes;
    await until('the first index', () => (folder.status().state === 'ready' ? true : undefined));
    // the engine's refresh waits for the test, so that Cancel comes while it runs
    const engine = await (folder as unknown as { opened: Promise<Engine> }).opened;
    const refresh = engine.refresh.bind(engine);
    let release!: () => void;
    let held = 0;
    engine.refresh = async (opts) => {
      held++;
      await new Promise<void>((resolve) => (release = resolve));
      return refresh(opts);
    };
    await writeIn(root, 'src/parser/saved_once.py', 'def saved_once():\n    return 1\n');
    folder.filesChanged(['src/parser/saved_once.py']);
    await until('the refresh after the save', () => (held === 1 ? true : undefined));
    folder.cancel(); // the editor cancels every folder at once: this one is only refreshing after a save
    release();
    const before = refreshes();
    await until('that refresh to end', () => (refreshes() > before && folder.status().state === 'ready' ? true : undefined));
    engine.refresh = refresh;
    await writeIn(root, 'src/parser/saved_twice.py', 'def saved_twice():\n    return 2\n');
    folder.filesChanged(['src/parser/saved_twice.py']);
    const afterSave = refreshes();
    await until('the next save indexed', () => (refreshes() > afterSave && folder.status().state === 'ready' ? true : undefined));
    assert.equal((await folder.definitionsNamed('saved_twice', 3)).length, 1, 'the folder still follows its changes');

    // a Reindex (not routine): Cancel stops it, and changes are no longer followed
    engine.refresh = async (opts) => {
      held++;
      await new Promise<void>((resolve) => (release = resolve));
      return refresh(opts);
    };
    const heldBefore = held;
    folder.requestRefresh('user');
    await until('the Reindex', () => (held > heldBefore ? true : undefined));
    folder.cancel();
    release();
    await until('the Reindex to end', () => (folder.status().state !== 'indexing' ? true : undefined));
    engine.refresh = refresh;
    const ended = refreshes();
    await writeIn(root, 'src/parser/after_cancel.py', 'def after_cancel():\n    return 3\n');
    folder.filesChanged(['src/parser/after_cancel.py']);
    await new Promise((resolve) => setTimeout(resolve, 800)); // past the quiet period of a burst
    assert.equal(refreshes(), ended, 'no refresh follows a change once indexing was cancelled');
  } finally {
    await folder.close();
  }
});
