/**
 * Property tests of the workspace scan's ignore rules (fast-check; `npm run fuzz` scales the runs).
 *
 * 1. Any pattern file, however malformed, is accepted, and any path can be tested against it.
 * 2. On generated trees with .gitignore files at several levels (and .git/info/exclude), the files
 *    the scan keeps are exactly the files git does not ignore (`git ls-files --others
 *    --exclude-standard`), pattern syntax included: *, **, ?, ranges, anchors, trailing slashes,
 *    negation, escapes, comments, blank lines and trailing spaces.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, sep } from 'node:path';
import fc from 'fast-check';
import { fuzzParams } from './helpers/fuzz';
import { IGNORE_CASE, IgnoreRules } from '../src/engine/files/ignore-rules';
import { compareCodePoints, scanWorkspace } from '../src/engine/files/scan';

/** Any UTF-16 code unit, lone surrogates and control characters included. */
const anyUnit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));
const patternChars = fc.constantFrom('*', '?', '[', ']', '!', '#', '\\', '/', ' ', '\t', '\r', '-', '^', '.', 'a', 'b', '{', '}', '(', ')', '+', '|', '$');
const anyLine = fc.oneof(
  fc.string({ unit: anyUnit, maxLength: 40 }),
  fc.string({ unit: patternChars, maxLength: 20 }),
);
const anyPatternFile = fc.array(anyLine, { maxLength: 12 }).map((lines) => lines.join('\n'));
/** A file or folder name a directory listing can hold: no '/', not '' or '.' or '..'. */
const anyName = fc
  .string({ unit: fc.oneof(anyUnit, patternChars), minLength: 1, maxLength: 12 })
  .filter((n) => !n.includes('/') && !n.includes('\0') && n !== '.' && n !== '..');

test('any pattern file is accepted, and any path can be tested against it', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'codescout-props-ignore-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, '.git', 'info'), { recursive: true });
  await fc.assert(
    fc.asyncProperty(
      anyPatternFile,
      anyPatternFile,
      anyPatternFile,
      fc.array(anyName, { minLength: 1, maxLength: 4 }),
      fc.boolean(),
      async (gitignore, scoutignore, exclude, segments, isDir) => {
        writeFileSync(join(dir, '.gitignore'), gitignore);
        writeFileSync(join(dir, '.codescoutignore'), scoutignore);
        writeFileSync(join(dir, '.git', 'info', 'exclude'), exclude);
        const rules = await IgnoreRules.forRoot(dir);
        assert.deepEqual(rules.problems, []);
        const verdict = rules.test(segments.join('/'), isDir);
        assert.equal(typeof verdict.ignored, 'boolean');
        const child = await rules.child(join(dir, 'missing'), segments[0]);
        assert.equal(typeof child.test(segments.join('/'), isDir).ignored, 'boolean');
      },
    ),
    fuzzParams(100),
  );
});

// ---- agreement with git ----

const DIR_NAMES = ['a', 'b', 'A', 'ab', '.h', 'd e'];
const FILE_NAMES = ['a.ts', 'b.ts', 'A.ts', 'ab.ts', 'a.md', 'b.TS', '#c.ts', '!d.ts', 'e f.ts', 'g .ts', 'x*.ts', 'q?.ts', '[a].ts'];

/** A path segment of a pattern: literal names and every wildcard form. */
const segment = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...DIR_NAMES, ...FILE_NAMES) },
  {
    weight: 4,
    arbitrary: fc.constantFrom('*', '**', '?', '*.ts', 'a*', '*b*', '?.ts', 'a?.ts', '[ab].ts', '[a-b]*', '[!a].ts', '[^a]*', '[A-Z]*', '*.[tm][sd]', '*.TS'),
  },
  { weight: 1, arbitrary: fc.constantFrom('\\#c.ts', '\\!d.ts', 'x\\*.ts', 'q\\?.ts', '\\[a].ts', '\\a.ts', 'e\\ f.ts', 'a\\*') },
);
/** true about one time in `n` */
const oneIn = (n: number) => fc.integer({ min: 1, max: n }).map((k) => k === 1);
const pattern = fc
  .record({
    negate: oneIn(4),
    anchored: oneIn(3),
    segments: fc.oneof({ weight: 3, arbitrary: segment.map((x) => [x]) }, { weight: 1, arbitrary: fc.array(segment, { minLength: 2, maxLength: 3 }) }),
    dirOnly: oneIn(4),
    trailing: fc.constantFrom('', '', '', ' ', '  ', '\\ ', '\t'),
  })
  .map(({ negate, anchored, segments, dirOnly, trailing }) =>
    `${negate ? '!' : ''}${anchored ? '/' : ''}${segments.join('/')}${dirOnly ? '/' : ''}${trailing}`,
  );
const line = fc.oneof(
  { weight: 8, arbitrary: pattern },
  { weight: 1, arbitrary: fc.constantFrom('', '#', '# a.ts', ' ', '\\', '!', '/', '**/', '!**') },
);
const patternFile = fc.array(line, { minLength: 1, maxLength: 6 }).map((lines) => lines.join('\n') + '\n');

const filePaths = fc.uniqueArray(
  fc.tuple(fc.array(fc.constantFrom(...DIR_NAMES), { maxLength: 2 }), fc.constantFrom(...FILE_NAMES)).map(([dirs, file]) => [...dirs, file].join('/')),
  { minLength: 1, maxLength: 14 },
);
/** A tree, its .gitignore files (at the root and in folders of the tree) and .git/info/exclude. */
const tree = filePaths.chain((files) => {
  const folders = [...new Set(files.flatMap((f) => f.split('/').slice(0, -1).map((_, i, parts) => parts.slice(0, i + 1).join('/'))))];
  return fc.record({
    files: fc.constant(files),
    ignoreFiles: fc.uniqueArray(fc.tuple(fc.constantFrom('', ...folders), patternFile), { maxLength: 3, selector: ([dir]) => dir }),
    exclude: fc.option(patternFile, { nil: undefined }),
  });
});

/** git with no user or system configuration (no global excludesFile), case as the scan sees it. */
function git(repo: string, home: string, args: string[]): string {
  return execFileSync('git', ['-c', `core.ignorecase=${IGNORE_CASE}`, ...args], {
    cwd: repo,
    encoding: 'utf8',
    env: { ...process.env, HOME: home, XDG_CONFIG_HOME: home, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' },
  });
}

test('on generated trees the scan ignores exactly what git ignores', async (t) => {
  const home = mkdtempSync(join(tmpdir(), 'codescout-props-home-'));
  const repo = mkdtempSync(join(tmpdir(), 'codescout-props-git-'));
  t.after(() => {
    rmSync(repo, { recursive: true, force: true });
    rmSync(home, { recursive: true, force: true });
  });
  git(repo, home, ['init', '-q']);
  /** cases where git ignored some of the generated files but not all: the ones that tell rules apart */
  let mixed = 0;
  let runs = 0;
  await fc.assert(
    fc.asyncProperty(tree, async ({ files, ignoreFiles, exclude }) => {
      for (const name of readdirSync(repo)) if (name !== '.git') rmSync(join(repo, name), { recursive: true, force: true });
      for (const file of files) {
        mkdirSync(dirname(join(repo, file)), { recursive: true });
        writeFileSync(join(repo, file), 'export {}\n');
      }
      for (const [dir, text] of ignoreFiles) writeFileSync(join(repo, dir, '.gitignore'), text);
      writeFileSync(join(repo, '.git', 'info', 'exclude'), exclude ?? '');

      const kept = new Set(git(repo, home, ['ls-files', '--others', '--exclude-standard', '-z']).split('\0'));
      const byGit = files.filter((f) => kept.has(f)).sort();
      const byScan = (await scanWorkspace(repo)).files.map((f) => f.path).sort();
      assert.deepEqual(byScan, byGit);
      runs++;
      if (byGit.length > 0 && byGit.length < files.length) mixed++;
    }),
    fuzzParams(40),
  );
  t.diagnostic(`${mixed} of ${runs} trees had some files ignored and some kept`);
  // The generator must exercise the rules, not just agree on trees nothing is ignored in.
  assert.ok(mixed >= runs / 8, `only ${mixed} of ${runs} trees had some files ignored and some kept`);
});

test('an entry of a folder the walk enters gets the same verdict from testEntry as from test, across layers', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'codescout-props-entry-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const layered = filePaths.chain((files) => {
    const folders = [...new Set(files.flatMap((f) => f.split('/').slice(0, -1).map((_, i, parts) => parts.slice(0, i + 1).join('/'))))];
    return fc.record({
      files: fc.constant(files),
      ignoreFiles: fc.uniqueArray(fc.tuple(fc.constantFrom('', ...folders), fc.constantFrom('.gitignore', '.codescoutignore'), patternFile), {
        maxLength: 4,
        selector: ([dir, kind]) => `${dir}/${kind}`,
      }),
    });
  });
  let ignoredSeen = 0;
  await fc.assert(
    fc.asyncProperty(layered, async ({ files, ignoreFiles }) => {
      for (const name of readdirSync(root)) rmSync(join(root, name), { recursive: true, force: true });
      for (const file of files) {
        mkdirSync(dirname(join(root, file)), { recursive: true });
        writeFileSync(join(root, file), 'export {}\n');
      }
      for (const [dir, kind, text] of ignoreFiles) writeFileSync(join(root, dir, kind), text);
      const folders: [string, IgnoreRules][] = [['', await IgnoreRules.forRoot(root)]];
      while (folders.length > 0) {
        const [rel, rules] = folders.pop()!;
        for (const entry of readdirSync(join(root, rel), { withFileTypes: true })) {
          const path = rel ? `${rel}/${entry.name}` : entry.name;
          const isDir = entry.isDirectory();
          const verdict = rules.testEntry(path, isDir);
          assert.deepEqual(verdict, rules.test(path, isDir), path);
          if (verdict.ignored) ignoredSeen++;
          else if (isDir) folders.push([path, await rules.child(join(root, path), path)]);
        }
      }
    }),
    fuzzParams(40),
  );
  assert.ok(ignoredSeen > 0, 'the generated rules ignored nothing');
});

test('names compare by code point, the order of their UTF-8 bytes', () => {
  // well-formed strings only: a name Node lists as a string is one
  const name = fc.string({ unit: 'grapheme', maxLength: 6 });
  fc.assert(
    fc.property(name, name, (a, b) => {
      assert.equal(Math.sign(compareCodePoints(a, b)), Math.sign(Buffer.compare(Buffer.from(a), Buffer.from(b))), `${JSON.stringify(a)} ${JSON.stringify(b)}`);
    }),
    fuzzParams(500),
  );
  assert.ok(compareCodePoints('\uff5a', '\u{1f600}') < 0, 'U+FF5A before U+1F600, unlike their UTF-16 units');
});

// ---- symbolic links ----

const LINK_DIRS = ['p', 'q', 'p/r', 'q/s'];
const LINK_TARGETS = ['.', '..', 'p', 'q', 'p/r', 'q/s', 'p/f.ts', 'q/s/g.py', 'missing', 'OUTSIDE', 'OUTSIDE/o.ts', 'l0', 'l1', 'p/l2'];

test('links of any shape: the scan ends, takes each real file once, never leaves the workspace', async (t) => {
  const base = mkdtempSync(join(tmpdir(), 'codescout-props-links-'));
  t.after(() => rmSync(base, { recursive: true, force: true }));
  const outside = join(base, 'OUTSIDE');
  mkdirSync(outside);
  writeFileSync(join(outside, 'o.ts'), 'export {}\n');
  const root = join(base, 'w');
  const linkNames = ['l0', 'l1', 'p/l2', 'q/s/l3', 'p/r/l4.ts'];
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.tuple(fc.constantFrom(...linkNames), fc.constantFrom(...LINK_TARGETS)), { maxLength: 5 }),
      async (links) => {
        rmSync(root, { recursive: true, force: true });
        for (const d of LINK_DIRS) mkdirSync(join(root, d), { recursive: true });
        writeFileSync(join(root, 'p', 'f.ts'), 'export {}\n');
        writeFileSync(join(root, 'q', 's', 'g.py'), 'pass\n');
        const made = new Set<string>();
        for (const [name, target] of links) {
          if (made.has(name)) continue;
          made.add(name);
          symlinkSync(target.startsWith('OUTSIDE') ? join(base, target) : join(root, target), join(root, name));
        }
        const result = await scanWorkspace(root);
        const reals = result.files.map((f) => realpathSync(join(root, f.path)));
        assert.equal(new Set(reals).size, reals.length, 'a real file was taken twice');
        const rootReal = realpathSync(root);
        for (const r of reals) assert.ok(r.startsWith(rootReal + sep), `${r} is outside the workspace`);
        // real paths win over links
        assert.deepEqual(result.files.filter((f) => f.path === 'p/f.ts' || f.path === 'q/s/g.py').length, 2);
        // every link is taken or explained (each folder it can lead to inside the workspace is a real one, taken first)
        const accounted = new Set([...result.files.map((f) => f.path), ...result.skipped.map((s) => s.path)]);
        for (const name of made) assert.ok(accounted.has(name), `${name} is neither taken nor reported`);
        for (const s of result.skipped) {
          assert.ok(['duplicate', 'symlink-loop', 'outside-workspace', 'unreadable', 'unsupported'].includes(s.reason), `${s.path}: ${s.reason}`);
        }
      },
    ),
    fuzzParams(30),
  );
});
