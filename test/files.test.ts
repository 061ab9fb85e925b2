import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { scanWorkspace } from '../src/engine/files/scan';
import { classifyContent } from '../src/engine/files/text-files';

/** Creates a folder tree from a { relativePath: content } map. */
function makeTree(files: Record<string, string | Buffer>): string {
  const root = mkdtempSync(join(tmpdir(), 'codescout-scan-'));
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, rel)), { recursive: true });
    writeFileSync(join(root, rel), content);
  }
  return root;
}

test('nested .gitignore, .git/info/exclude and default excluded folders', async (t) => {
  const root = makeTree({
    '.gitignore': '*.log\nsecret/\n',
    '.git/info/exclude': 'local-notes.md\n',
    '.git/HEAD': 'ref: refs/heads/main\n',
    'src/app.ts': 'export const a = 1;\n',
    'src/debug.log': 'log line\n',
    'src/.gitignore': 'generated_*.ts\n!keep.log\n',
    'src/keep.log': 'kept\n',
    'src/generated_api.ts': 'export {}\n',
    'src/deep/generated_more.ts': 'export {}\n',
    'secret/key.ts': 'export {}\n',
    'local-notes.md': '# notes\n',
    'node_modules/lib/index.js': 'module.exports = 1;\n',
    'README.md': '# readme\n',
  });
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const result = await scanWorkspace(root);
  assert.deepEqual(result.files.map((f) => f.path), ['README.md', 'src/app.ts']);
  // keep.log is un-ignored by src/.gitignore but .log is not an indexable type
  assert.deepEqual(
    result.skipped.map((s) => `${s.path}:${s.reason}`),
    ['node_modules:excluded-dir', 'src/keep.log:unsupported'],
  );
  // secret/, local-notes.md, src/debug.log, 2 generated_*.ts, and the two .gitignore files themselves
  assert.equal(result.ignoredCount, 7);
});

test('.codescoutignore wins over .gitignore, negations included', async (t) => {
  const root = makeTree({
    '.gitignore': 'build/\ndocs/\n',
    '.codescoutignore': '!build/\nbuild/tmp/\n!docs/\ndocs/*.md\n!docs/guide.md\nsrc/vendor_*.ts\n',
    'build/gen.ts': 'export {}\n',
    'build/tmp/x.ts': 'export {}\n',
    'docs/a.md': '# a\n',
    'docs/guide.md': '# guide\n',
    'src/main.ts': 'export {}\n',
    'src/vendor_lib.ts': 'export {}\n',
  });
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const result = await scanWorkspace(root);
  assert.deepEqual(result.files.map((f) => f.path), ['build/gen.ts', 'docs/guide.md', 'src/main.ts']);
});

test('a nested .codescoutignore applies relative to its folder', async (t) => {
  const root = makeTree({
    'pkg/.codescoutignore': 'fixtures/\n',
    'pkg/fixtures/big.ts': 'export {}\n',
    'pkg/index.ts': 'export {}\n',
    'fixtures/top.ts': 'export {}\n',
  });
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const result = await scanWorkspace(root);
  assert.deepEqual(result.files.map((f) => f.path), ['fixtures/top.ts', 'pkg/index.ts']);
});

test('size cap, include and exclude globs', async (t) => {
  const root = makeTree({
    'a.ts': 'x'.repeat(100),
    'big.ts': 'x'.repeat(5000),
    'lib/b.py': 'pass\n',
    'lib/test_b.py': 'pass\n',
  });
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const result = await scanWorkspace(root, { maxFileBytes: 1000, exclude: ['**/test_*'] });
  assert.deepEqual(result.files.map((f) => f.path), ['a.ts', 'lib/b.py']);
  assert.deepEqual(result.skipped, [{ path: 'big.ts', reason: 'too-large', detail: '5000 bytes' }]);
  const only = await scanWorkspace(root, { include: ['lib/**'] });
  assert.deepEqual(only.files.map((f) => f.path), ['lib/b.py', 'lib/test_b.py']);
});

test('symlink loops and unreadable folders are reported, not fatal', async (t) => {
  const root = makeTree({ 'src/a.ts': 'export {}\n', 'locked/b.ts': 'export {}\n' });
  t.after(() => {
    chmodSync(join(root, 'locked'), 0o755);
    rmSync(root, { recursive: true, force: true });
  });
  symlinkSync(join(root, 'src'), join(root, 'src', 'loop'));
  symlinkSync(join(root, 'missing'), join(root, 'dangling.ts'));
  chmodSync(join(root, 'locked'), 0o000);
  const result = await scanWorkspace(root);
  const asRoot = process.getuid?.() === 0; // root reads a 000 folder anyway
  assert.deepEqual(result.files.map((f) => f.path), asRoot ? ['locked/b.ts', 'src/a.ts'] : ['src/a.ts']);
  const reasons = Object.fromEntries(result.skipped.map((s) => [s.path, s.reason]));
  assert.equal(reasons['src/loop'], 'symlink-loop');
  assert.equal(reasons['dangling.ts'], 'unreadable');
  if (!asRoot) assert.equal(reasons['locked'], 'unreadable');
});

test('content checks: binary, non-UTF-8, minified, generated, ordinary text', () => {
  const ok = classifyContent(Buffer.from('def f():\n    return 1\n'), 'a.py');
  assert.deepEqual(ok, { text: 'def f():\n    return 1\n' });
  assert.equal(skipOf(classifyContent(Buffer.from([0x41, 0x00, 0x42]), 'a.ts')), 'binary');
  assert.equal(skipOf(classifyContent(Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a]), 'latin1.py')), 'not-utf8');
  const minified = 'var a=1;'.repeat(2000);
  assert.equal(skipOf(classifyContent(Buffer.from(minified), 'bundle.js')), 'minified');
  assert.equal(skipOf(classifyContent(Buffer.from('export {}'), 'app.min.js')), 'generated');
  assert.equal(skipOf(classifyContent(Buffer.from('// Code generated by protoc. DO NOT EDIT.\npackage x\n'), 'x.go')), 'generated');
  // long prose lines are not minified code
  const prose = Array.from({ length: 40 }, () => 'word '.repeat(40)).join('\n');
  assert.ok('text' in classifyContent(Buffer.from(prose), 'README.md'));
});

function skipOf(r: ReturnType<typeof classifyContent>): string | undefined {
  return 'skip' in r ? r.skip : undefined;
}
