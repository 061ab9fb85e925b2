/**
 * A scan made on a worker thread while an engine opens (files/scan-ahead.ts) gives what a scan on
 * the engine's own thread gives, serves the first refresh only, and falls back to that scan when
 * it cannot be made.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ScanAhead } from '../src/engine/files/scan-ahead';
import { scanWorkspace } from '../src/engine/files/scan';
import { Engine } from '../src/engine/engine';

function makeTree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'codescout-scan-ahead-'));
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, rel)), { recursive: true });
    writeFileSync(join(root, rel), content);
  }
  return root;
}

const TREE = {
  '.gitignore': 'build/\n',
  'src/app.py': 'def main():\n    return 1\n',
  'src/util/text.ts': 'export function pad(s: string) { return s; }\n',
  'build/out.js': 'function built() {}\n',
  'notes.bin': '\u0000\u0001',
  'big.py': 'x = 1\n'.repeat(400),
};

test('a scan made on the worker gives what the engine thread\'s scan gives, with the same options', async (t) => {
  const root = makeTree(TREE);
  t.after(() => rmSync(root, { recursive: true, force: true }));
  for (const options of [{}, { maxFileBytes: 1000, exclude: ['src/util/**'] }, { include: ['src/**'] }]) {
    const ahead = new ScanAhead(root, options);
    const made = await ahead.result();
    assert.ok(made, 'the worker scanned');
    assert.deepEqual(made, await scanWorkspace(root, options), JSON.stringify(options));
  }
});

test('a folder the worker cannot scan gives no result, and the refresh reports it as its own scan does', async (t) => {
  const base = mkdtempSync(join(tmpdir(), 'codescout-scan-ahead-gone-'));
  t.after(() => rmSync(base, { recursive: true, force: true }));
  const missing = join(base, 'no-such-folder');
  assert.equal(await new ScanAhead(missing, {}).result(), undefined);
  const engine = await Engine.open(missing, { indexDir: join(base, 'index'), model: null, scanAhead: true });
  try {
    await assert.rejects(engine.refresh(), /cannot scan the folder .*no-such-folder: it no longer exists/);
  } finally {
    await engine.close();
  }
});

test('the scan made ahead serves the first refresh only; a later one scans afresh', async (t) => {
  const root = makeTree(TREE);
  const indexDir = mkdtempSync(join(tmpdir(), 'codescout-scan-ahead-index-'));
  t.after(() => {
    rmSync(root, { recursive: true, force: true });
    rmSync(indexDir, { recursive: true, force: true });
  });
  const engine = await Engine.open(root, { indexDir, model: null, scanAhead: true });
  try {
    const first = await engine.refresh();
    assert.equal(first.files, 3);
    writeFileSync(join(root, 'src/later.py'), 'def later_added():\n    return 2\n');
    const second = await engine.refresh();
    assert.equal(second.files, 4);
    assert.equal((await engine.search('later_added', { top: 1 }))[0]?.path, 'src/later.py');
  } finally {
    await engine.close();
  }
});

test('an engine closed before its first refresh stops the worker', async (t) => {
  const root = makeTree(TREE);
  const indexDir = mkdtempSync(join(tmpdir(), 'codescout-scan-ahead-close-'));
  t.after(() => {
    rmSync(root, { recursive: true, force: true });
    rmSync(indexDir, { recursive: true, force: true });
  });
  const ahead = new ScanAhead(root, {});
  await ahead.dispose();
  assert.equal(await ahead.result(), undefined, 'stopped before it answered');
  const engine = await Engine.open(root, { indexDir, model: null, scanAhead: true });
  await engine.close(); // resolves: nothing left waiting on the worker
});
