/**
 * The CLI's handling of bad input, in process: every option value is checked before anything
 * loads (args.ts), every failure becomes one line in words (errors.ts), and text output cannot
 * drive the terminal (terminal-text.ts, format.ts). test/cli.test.ts runs the same contract end
 * to end through `node bin/codescout.js`.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, openSync, readFileSync, symlinkSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { checkedLanguages, LIMITS, parseCommandLine, type Invocation } from '../src/cli/args';
import { report, UsageError } from '../src/cli/errors';
import { formatHitsText, formatStatus } from '../src/cli/format';
import { prepareIndexFolder } from '../src/cli/index-folder';
import { terminalSafe } from '../src/cli/terminal-text';
import { Engine, LANGUAGE_IDS, isLanguageName, type SearchHit, type StatusReport } from '../src/engine/engine';
import { QueryTooLongError } from '../src/engine/search/query';
import { whyNoCode } from '../src/cli/why-no-code';
import { TempDirs, writeIn } from './helpers/workspace';

const temp = new TempDirs();
let folder: string;

before(async () => {
  folder = await temp.make('cli-input');
});
after(() => temp.cleanup());

function parse(...argv: string[]): Invocation {
  const parsed = parseCommandLine(argv);
  assert.notEqual(parsed, 'help');
  return parsed as Invocation;
}

/** parseCommandLine throws a UsageError whose message is one line and matches `message`. */
function refused(argv: string[], message: RegExp): void {
  assert.throws(
    () => parseCommandLine(argv),
    (err: unknown) => {
      assert.ok(err instanceof UsageError, `a UsageError, got ${String(err)}`);
      assert.doesNotMatch(err.message, /\n/, 'one line');
      assert.match(err.message, message);
      return true;
    },
    `codescout ${JSON.stringify(argv)} is refused`,
  );
}

describe('option values are checked before anything loads', () => {
  const search = (...rest: string[]) => ['search', folder, ...rest, 'parse'];

  test('--lang: an unknown language is refused, naming the known ones; ids, extensions and common names pass', () => {
    const check = (...names: string[]) => () => checkedLanguages(names, isLanguageName, LANGUAGE_IDS);
    const unknown = (name: string, message = /unknown language/) =>
      assert.throws(check(name), (err: unknown) => err instanceof UsageError && !err.message.includes('\n') && message.test(err.message));
    unknown('pyhton', /^unknown language 'pyhton' for --lang; known: .*\bpython\b.*\btypescript\b/);
    unknown('', /^unknown language '' for --lang/);
    for (const name of ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf', 'x.py', 'src/a.py', 'python ']) unknown(name);
    const known = ['python', 'PY', 'pyi', 'golang', 'c++', 'C#', 'ts', 'tsx', 'md', 'markdown', 'text', 'h', 'kotlin', 'KT', 'shell', 'sh', 'sql', 'txt', 'f#'];
    assert.doesNotThrow(check(...known));
    assert.deepEqual(parse(...search('--lang', 'py', '--lang', 'pyhton')).languages, ['py', 'pyhton'], 'passed on as given, checked by checkedLanguages');
  });

  test('--path: empty, absolute and unbalanced globs are refused in words; picomatch does not speak', () => {
    refused(search('--path='), /--path needs a glob such as 'src\/\*\*', got an empty value/);
    refused(search('--path', '['), /--path '\[' is not a valid glob: a '\[' has no closing '\]' \(write \\\[ for a literal '\['\)/);
    refused(search('--path', 'src/a]'), /a '\]' has no opening '\[' \(write \\\] for a literal '\]'\)/);
    refused(search('--path', '(a'), /a '\(' has no closing '\)' \(write \\\( for a literal '\('\)/);
    refused(search('--path', '**/{'), /--path '\*\*\/\{' is not a valid glob: a '\{' has no closing '\}'/);
    refused(search('--path', 'src/a)'), /a '\)' has no opening '\('/);
    refused(search('--path', 'src\\'), /not a valid glob: it ends in a '\\' that escapes nothing/);
    refused(search('--path', '/home/me/src/**'), /--path globs are relative to <folder>/);
    refused(search('--path', '../lib/**'), /--path globs stay inside <folder> \(no "\.\." segment\), got '\.\.\/lib\/\*\*'/);
    refused(search('--path', '!src/../../x/**'), /no "\.\." segment/);
    assert.deepEqual(parse(...search('--path', 'src/..x/**')).paths, ['src/..x/**'], 'a name that starts with two dots is no ".." segment');
    refused(search('--path', `src/${'a'.repeat(40_000)}/**`), /^--path 'src\/a+…' is 40007 characters long; the limit is 1000$/);
    for (const argv of [search('--path', '['), search('--path', '**/{'), search('--path', 'x\\')]) {
      assert.throws(() => parseCommandLine(argv), (err: Error) => !/Missing|picomatch|Invalid regular expression/.test(err.message));
    }
    for (const glob of ['src/**', '*.{ts,js}', 'src/[ab]*.py', '\\[literal', '**/(group)/*.ts', '{}']) {
      assert.deepEqual(parse(...search('--path', glob)).paths, [glob]);
    }
  });

  test('numbers are whole and bounded: --top, --threads, --max-file-bytes', () => {
    const bounds: [string, number][] = [['--top', LIMITS.top], ['--threads', LIMITS.threads], ['--max-file-bytes', LIMITS.maxFileBytes]];
    for (const [option, max] of bounds) {
      for (const bad of ['0', String(max + 1), '99999999999999999999', '1e3', '1.5', '0x10', ' 5', '', 'ten', '-1']) {
        refused(search(`${option}=${bad}`), new RegExp(`^${option} takes a whole number from 1 to ${max}, got '`));
      }
      assert.doesNotThrow(() => parse(...search(option, String(max))));
    }
    assert.equal(parse(...search('--top', '007')).top, 7);
    assert.equal(parse(...search('--threads', '10000'.slice(0, 2))).engine.threads, 10);
    refused(search('--threads', '10000'), /--threads takes a whole number from 1 to 64/);
  });

  test('empty values for folders are refused instead of meaning the current or the cache folder', () => {
    refused(search('--index-dir='), /--index-dir needs a folder, got an empty value/);
    refused(search('--model='), /--model needs a model folder, got an empty value/);
    refused(['search', '', 'parse'], /<folder> is empty/);
  });

  test('an option the command does not take is refused, not ignored', () => {
    refused(['index', folder, '--top', '5'], /'index' does not take --top/);
    refused(['status', folder, '--lang', 'py'], /'status' does not take --lang/);
    refused(['related', folder, 'a.py:1', '--path', 'src/**'], /'related' does not take --path/);
    refused(['index', folder, '--json'], /'index' does not take --json/);
  });

  test("node's parseArgs errors become one line of our own", () => {
    refused(['search', folder, '--top'], /^--top needs a value$/);
    refused(['search', folder, '--top', '-5', 'x'], /^--top needs a value \(write --top=VALUE for a value that starts with '-'\)$/);
    refused(search('--json=yes'), /^--json takes no value$/);
    refused(search('--constructor'), /^unknown option '--constructor' \(put '--' before query words that start with '-'\)$/);
    assert.equal(parse('search', folder, '--', '--not-an-option').query, '--not-an-option');
  });

  test('a query is at most LIMITS.queryChars characters', () => {
    assert.equal(parse('search', folder, 'a'.repeat(LIMITS.queryChars)).query?.length, LIMITS.queryChars);
    refused(['search', folder, 'a'.repeat(LIMITS.queryChars + 1)], new RegExp(`^the query is ${LIMITS.queryChars + 1} characters long; the limit is ${LIMITS.queryChars}$`));
    refused(['search', folder, ...Array.from({ length: 3000 }, () => 'ab')], /^the query is 8999 characters long/);
  });

  test("related's <path>:<line>: a line from 1 to 999999999", () => {
    assert.deepEqual(parse('related', folder, 'src/a.py:12').location, { path: 'src/a.py', line: 12 });
    assert.deepEqual(parse('related', folder, 'a:b.py:3').location, { path: 'a:b.py', line: 3 });
    for (const written of ['./src/a.py', '././src//a.py', 'src/./a.py', 'src/b/../a.py']) {
      assert.deepEqual(parse('related', folder, `${written}:5`).location, { path: 'src/a.py', line: 5 }, written);
    }
    assert.deepEqual(parse('related', folder, '..x/a.py:5').location, { path: '..x/a.py', line: 5 });
    // outside the folder: refused before the index is opened (exit 2)
    refused(['related', folder, 'src/../../a.py:5'], /'src\/\.\.\/\.\.\/a\.py' is outside <folder> .*: give a path inside it/);
    refused(['related', folder, '../a.py:5'], /is outside <folder>/);
    refused(['related', folder, '/etc/passwd:1'], /'\/etc\/passwd' is outside <folder> .*: give a path inside it/);
    // the folder itself names no file
    for (const written of [`${folder}:1`, `${folder}/:1`, '.:5', 'src/..:5', './:5']) refused(['related', folder, written], /names <folder> itself, not a file in it/);
    // absolute and inside: taken relative to the folder, also through a link to it
    assert.deepEqual(parse('related', folder, `${path.join(folder, 'src', 'a.py')}:7`).location, { path: 'src/a.py', line: 7 });
    const link = path.join(path.dirname(folder), `${path.basename(folder)}-link`);
    symlinkSync(folder, link);
    assert.deepEqual(parse('related', folder, `${path.join(link, 'src', 'a.py')}:7`).location, { path: 'src/a.py', line: 7 });
    assert.deepEqual(parse('related', link, `${path.join(folder, 'src', 'a.py')}:7`).location, { path: 'src/a.py', line: 7 });
    for (const bad of ['a.py', 'a.py:0', 'a.py:-1', 'a.py:1000000000', 'a.py:1e3', ':5']) {
      refused(['related', folder, bad], /expected <path>:<line> with a line from 1 to 999999999/);
    }
  });

  test('values quoted in messages are terminal-safe and shortened', () => {
    refused(search('--path', '\u001b]0;pwned\u0007['), /^--path '\\e\]0;pwned\\x07\[' is not a valid glob/);
    assert.throws(() => checkedLanguages(['x'.repeat(10_000)], isLanguageName, LANGUAGE_IDS), (err: Error) => err.message.length < 400);
  });
});

describe('failures are one line, in words', () => {
  const errno = (code: string, syscall: string, extra: object = {}) =>
    Object.assign(new Error(`${code}: raw, ${syscall}`), { code, syscall, errno: -1, ...extra });

  test('system errors name the path and say the cause in words, keeping the code', () => {
    const cases: [Error, string][] = [
      [errno('ENOSPC', 'write'), 'codescout: updating the index at /idx failed: the disk is full (ENOSPC)'],
      [errno('ENOSPC', 'open', { path: '/idx/a.bin' }), 'codescout: cannot open /idx/a.bin: the disk is full (ENOSPC)'],
      [errno('EACCES', 'open', { path: '/idx/manifest.json' }), 'codescout: cannot open /idx/manifest.json: permission denied (EACCES)'],
      [errno('EROFS', 'mkdir', { path: '/ro/idx' }), 'codescout: cannot create the folder /ro/idx: the file system is read-only (EROFS)'],
      [errno('EISDIR', 'open', { path: '/idx/manifest.json' }), 'codescout: cannot open /idx/manifest.json: a folder is where a file should be (EISDIR)'],
      [errno('ENOTDIR', 'scandir', { path: '/idx/x' }), 'codescout: cannot list the folder /idx/x: a file is where a folder should be (ENOTDIR)'],
      [errno('ELOOP', 'stat', { path: '/w/loop' }), 'codescout: cannot read /w/loop: too many levels of symbolic links (a link loop) (ELOOP)'],
      [errno('EXDEV', 'rename', { path: '/a', dest: '/b' }), 'codescout: cannot rename /a → /b: it is on another file system (EXDEV)'],
    ];
    for (const [err, line] of cases) assert.deepEqual(report(err, 'updating the index at /idx'), { line, exitCode: 1 });
  });

  test('real system errors from node:fs read the same way', async () => {
    const dir = await temp.make('cli-input-fs');
    const file = path.join(dir, 'file');
    writeFileSync(file, 'x');
    const loop = path.join(dir, 'loop');
    symlinkSync(loop, loop);
    const attempts: [() => unknown, RegExp][] = [
      [() => openSync(path.join(dir, 'missing', 'x'), 'r'), /^codescout: cannot open \S+missing\/x: no such file or folder \(ENOENT\)$/],
      [() => mkdirSync(path.join(file, 'sub')), /^codescout: cannot create the folder \S+file\/sub: a file is where a folder should be \(ENOTDIR\)$/],
      [() => statSync(loop), /^codescout: cannot read \S+loop: too many levels of symbolic links \(a link loop\) \(ELOOP\)$/],
      [() => readFileSync(dir), /^codescout: reading failed: a folder is where a file should be \(EISDIR\)$/],
    ];
    for (const [attempt, line] of attempts) {
      assert.throws(attempt, (err: unknown) => {
        assert.match(report(err, 'reading').line, line);
        return true;
      });
    }
  });

  test('usage errors exit 2 and point to --help; so does the engine refusing a query as too long', () => {
    assert.deepEqual(report(new UsageError('--top takes a whole number')), {
      line: "codescout: --top takes a whole number (see 'codescout --help')",
      exitCode: 2,
    });
    assert.deepEqual(report(new QueryTooLongError(2500, 2000)), {
      line: 'codescout: the query is too long: 2500 characters, at most 2000 are searched',
      exitCode: 2,
    });
  });

  test("JavaScript's own errors are called bugs, not causes; every report is one terminal-safe line", () => {
    const bug = report(new TypeError('name2.toLowerCase is not a function'));
    assert.equal(bug.line, 'codescout: internal error: name2.toLowerCase is not a function (a bug; --verbose shows where)');
    assert.equal(bug.exitCode, 1);
    const split = report(new Error('cannot read /w/a\nb.py\u001b[2J'));
    assert.equal(split.line, 'codescout: cannot read /w/a\\nb.py\\e[2J');
    assert.equal(report('a string').line, 'codescout: a string');
  });
});

test('the index folder is created level by level; a file system that refuses folders is an error, not a spin', async () => {
  const base = await temp.make('cli-input-index');
  const deep = path.join(base, 'a', 'b', 'c');
  prepareIndexFolder(deep);
  assert.ok(statSync(deep).isDirectory());
  prepareIndexFolder(deep); // already there
  assert.throws(() => prepareIndexFolder('/proc/codescout-test/index'), /^Error: cannot create the index folder \/proc\/codescout-test\/index: \/proc does not allow new folders \(ENOENT\)/);
  // A file in the way is left to the engine, which says so with the index folder's name.
  writeFileSync(path.join(base, 'file'), '');
  prepareIndexFolder(path.join(base, 'file', 'index'));
});

test("related's explanation of a location with no indexed code: skipped with the reason, ignored, missing, past the end", async () => {
  const root = await temp.make('cli-input-related');
  await writeIn(root, 'src/a.py', 'def a():\n    return 1\n');
  await writeIn(root, 'big.py', `def big():\n    return "${'x'.repeat(200)}"\n`);
  await writeIn(root, 'secret.py', 'def secret():\n    return 2\n');
  await writeIn(root, '.gitignore', 'secret.py\n');
  await writeIn(root, 'node_modules/lib/index.js', 'function lib() {}\n');
  writeFileSync(path.join(root, 'data.txt'), Buffer.from([0, 1, 2, 0, 255, 0]));
  writeFileSync(path.join(root, 'logo.png'), Buffer.from([137, 80, 78, 71]));
  const maxFileBytes = 100;
  const engine = await Engine.open(root, { model: null, indexDir: await temp.make('cli-input-related-index'), maxFileBytes });
  try {
    await engine.refresh();
    const why = (location: string, line: number) => whyNoCode(engine, location, line, maxFileBytes);
    assert.equal(await why('data.txt', 1), 'the file is not indexed: it is a binary file');
    assert.equal(await why('logo.png', 1), 'the file is not indexed: it is not a kind of file that is indexed');
    assert.equal(await why('big.py', 1), 'the file is not indexed: it is larger than the size limit (--max-file-bytes), 225 bytes');
    assert.equal(await why('node_modules/lib/index.js', 1), 'the file is not indexed: it is in a folder that is never indexed (node_modules)');
    assert.equal(await why('secret.py', 1), 'the file is not indexed: ignore rules (.gitignore, .codescoutignore) leave it out');
    assert.equal(await why('src/nope.py', 1), `there is no such file in ${root}`);
    assert.equal(await why('src', 1), 'it is a folder; give a file and a line');
    assert.equal(await why('./src/a.py', 9), 'the file has 2 lines');
    assert.equal(await why('../outside.py', 1), `the path must be relative to ${root} and inside it`);
    assert.equal(await why('src/a.py', 1), undefined, 'an indexed file: nothing more to say');
  } finally {
    await engine.close();
  }
});

describe('text output cannot drive the terminal', () => {
  const ESC = '\u001b';
  const hostile = `${ESC}]0;pwned${ESC}\\${ESC}[2J\u0007\u009b31m\r`;

  test('terminalSafe writes controls visibly and leaves printable text, tabs and emoji alone', () => {
    assert.equal(terminalSafe(`a\nb`), 'a\\nb');
    assert.equal(terminalSafe(`${ESC}[2J`), '\\e[2J');
    assert.equal(terminalSafe('\u0000\u0007\u007f\u009b'), '\\x00\\x07\\x7f\\x9b');
    assert.equal(terminalSafe('evil\u202egnp.py'), 'evil\\u{202e}gnp.py');
    assert.equal(terminalSafe('line\u2028sep'), 'line\\u{2028}sep');
    const plain = 'def parse(x):\treturn x  # ünïcödé 😀 中文 עברית';
    assert.equal(terminalSafe(plain), plain);
  });

  test('a hit from a hostile file name and code prints as one safe `path:line` line and one snippet line', () => {
    const hit: SearchHit = {
      path: `src/evil\n${hostile}.py`,
      startLine: 3,
      endLine: 4,
      name: `run${hostile}`,
      kind: 'function',
      score: 0.5,
      matchedBy: 'lexical',
      language: 'python',
      container: `Box${ESC}[1m`,
      signature: 'def run()',
      snippet: `def run():  # ${hostile}`,
    };
    const text = formatHitsText(`query ${ESC}[2J`, [hit]);
    assert.doesNotMatch(text, /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/, 'no control character but newline and tab');
    const lines = text.split('\n').filter((l) => l !== '');
    assert.equal(lines.length, 3, text);
    assert.equal(lines[0], '# query \\e[2J');
    assert.match(lines[1], /^src\/evil\\n\\e\]0;pwned\\e\\\\e\[2J\\x07\\x9b31m\\r\.py:3 {2}Box\\e\[1m\.run/);
    assert.match(lines[2], /^ {4}def run\(\): {2}# \\e\]0;pwned/);
  });

  test('status: a skipped file with a newline in its name stays on its line', () => {
    const status: StatusReport = {
      root: '/w',
      indexDir: `/idx${ESC}[2J`,
      indexBytes: 10,
      model: null,
      mode: 'lexical-only',
      files: 1,
      chunks: 1,
      languages: { python: 1 },
      updatedAt: null,
      stale: { added: 0, changed: 0, removed: 0 },
      redo: { read: false, chunk: false, chunkWaitsForModel: false },
      skippedByReason: { binary: 1 },
      skipped: [{ path: `bin\nary${ESC}[2J.dat`, reason: 'binary' }],
      ignoreRules: { excluded: 0, excludeEverything: false },
    };
    const text = formatStatus(status, true);
    assert.doesNotMatch(text, /\u001b/);
    assert.match(text, /^ {2}bin\\nary\\e\[2J\.dat {2}binary$/m);
    assert.match(text, /^index: +\/idx\\e\[2J \(10 B\)$/m);
  });
});
