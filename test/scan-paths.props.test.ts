/**
 * `scanPaths` (src/engine/files/scan-paths.ts) against the full scan it stands in for: on generated
 * trees — ignore files at several levels, .git and default-excluded folders, dotfiles, unsupported
 * and oversized files, symbolic links, include and exclude globs — whatever it answers for a
 * path is what `scanWorkspace` says of it, and it answers (does not defer to a full scan) for the
 * plain cases a saved file is.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import fc from 'fast-check';
import { fuzzParams } from './helpers/fuzz';
import { scanPaths } from '../src/engine/files/scan-paths';
import { scanWorkspace, type ScanOptions } from '../src/engine/files/scan';

const FOLDERS = ['src', 'lib', 'src/deep', 'node_modules', 'node_modules/pkg', '.hidden', 'build', 'vendor', '.git', 'docs'];
const NAMES = ['a.py', 'b.ts', 'c.go', 'readme.md', 'data.bin', '.env', 'notes.txt', 'x.min.js', 'big.py'];
const PATTERNS = ['*.ts', 'build/', '/lib', 'deep', '!b.ts', '*.md', 'src/*.py', '**/c.go', 'vendor', '!vendor/a.py', '.hidden'];

const tree = fc.record({
  files: fc.uniqueArray(fc.record({ folder: fc.constantFrom('', ...FOLDERS), name: fc.constantFrom(...NAMES) }), { selector: (f) => `${f.folder}/${f.name}`, maxLength: 25 }),
  ignores: fc.array(fc.record({ folder: fc.constantFrom('', 'src', 'lib', 'vendor'), kind: fc.constantFrom('.gitignore', '.codescoutignore'), patterns: fc.array(fc.constantFrom(...PATTERNS), { maxLength: 3 }) }), { maxLength: 3 }),
  links: fc.array(fc.record({ at: fc.constantFrom('src/link.py', 'lib/dirlink', 'alias.ts'), to: fc.constantFrom('src/a.py', 'src', 'missing.py') }), { maxLength: 2 }),
  include: fc.option(fc.constantFrom(['**/*.py'], ['src/**'], ['**/*.ts', '**/*.py']), { nil: undefined }),
  exclude: fc.option(fc.constantFrom(['**/deep/**'], ['lib/**'], ['**/*.go']), { nil: undefined }),
});

const asked = fc.array(
  fc.oneof(
    fc.record({ folder: fc.constantFrom('', ...FOLDERS, 'gone', 'src/gone'), name: fc.constantFrom(...NAMES, 'new.py') }).map(({ folder, name }) => (folder ? `${folder}/${name}` : name)),
    fc.constantFrom('src', 'src/link.py', 'lib/dirlink/a.py', 'alias.ts', '.gitignore', 'src/.codescoutignore', '.git/config', 'gone'),
  ),
  { minLength: 1, maxLength: 6 },
);

test('what scanPaths says of a path is what a full scan says of it', async () => {
  let answered = 0;
  await fc.assert(
    fc.asyncProperty(tree, asked, async (t, paths) => {
      const root = mkdtempSync(join(tmpdir(), 'codescout-scanpaths-'));
      try {
        for (const f of t.files) {
          const rel = f.folder ? `${f.folder}/${f.name}` : f.name;
          mkdirSync(join(root, dirname(rel)), { recursive: true });
          writeFileSync(join(root, rel), f.name === 'big.py' ? 'x = 1\n'.repeat(100) : `# ${rel}\n`);
        }
        for (const i of t.ignores) {
          mkdirSync(join(root, i.folder), { recursive: true });
          writeFileSync(join(root, i.folder, i.kind), i.patterns.join('\n'));
        }
        for (const l of t.links) {
          mkdirSync(join(root, dirname(l.at)), { recursive: true });
          try {
            symlinkSync(join(root, l.to), join(root, l.at));
          } catch {
            // two links at one place: the first stays
          }
        }
        const options: Omit<ScanOptions, 'signal'> = { maxFileBytes: 300, include: t.include && [...t.include], exclude: t.exclude && [...t.exclude] };
        const full = await scanWorkspace(root, options);
        const answer = await scanPaths(root, paths, options);
        if (answer === undefined) return;
        answered++;
        const taken = new Map(full.files.map((f) => [f.path, f]));
        assert.equal(answer.files.length + answer.gone.length, paths.length, 'every path is answered once');
        for (const f of answer.files) {
          const same = taken.get(f.path);
          assert.ok(same, `${f.path} is taken, but the scan does not take it`);
          assert.deepEqual([f.size, f.mtimeMs, f.absPath], [same.size, same.mtimeMs, same.absPath]);
        }
        for (const g of answer.gone) {
          const under = full.files.filter((f) => f.path === g || f.path.startsWith(`${g}/`)).map((f) => f.path);
          assert.deepEqual(under, [], `${g} is gone, but the scan takes ${under.join(', ')}`);
        }
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    }),
    fuzzParams(150),
  );
  assert.ok(answered > 20, `scanPaths answered only ${answered} cases itself`);
});

test('a saved, an added and a deleted source file are answered without a scan', async () => {
  const root = mkdtempSync(join(tmpdir(), 'codescout-scanpaths-'));
  try {
    mkdirSync(join(root, 'src', 'deep'), { recursive: true });
    writeFileSync(join(root, '.gitignore'), 'build/\n*.log\n');
    writeFileSync(join(root, 'src', 'deep', 'saved.py'), 'def f():\n    return 1\n');
    writeFileSync(join(root, 'src', 'added.ts'), 'export const a = 1;\n');
    writeFileSync(join(root, 'src', 'server.log'), 'log\n');
    const answer = await scanPaths(root, ['src/deep/saved.py', 'src/added.ts', 'src/deleted.go', 'src/server.log', 'build/out.py']);
    assert.ok(answer);
    assert.deepEqual(answer.files.map((f) => f.path), ['src/deep/saved.py', 'src/added.ts']);
    assert.deepEqual(answer.gone, ['src/deleted.go', 'src/server.log', 'build/out.py']);
    // what only a scan can say
    for (const paths of [['.gitignore'], ['src'], ['src/deep/.codescoutignore'], ['../outside.py'], ['/abs.py']]) {
      assert.equal(await scanPaths(root, paths), undefined, paths[0]);
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
