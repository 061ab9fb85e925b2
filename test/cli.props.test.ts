/**
 * Fuzzing the `codescout` command line (fast-check): random argv — known options with random
 * values, unknown options, paths, malformed globs, `<path>:<line>` pairs, the names on
 * Object.prototype, Unicode, control characters, empty strings — run as a real process on a small
 * workspace, lexical-only (no model) so that each case is quick.
 *
 * The contract (docs/cli.md), precisely:
 *   - the process ends by itself (no signal, within the timeout) with exit code 0, 1 or 2;
 *   - exit 2 (bad usage): stderr is exactly one line, `codescout: … (see 'codescout --help')`,
 *     and stdout is empty — usage is checked before anything else runs;
 *   - exit 1 (runtime failure): the last stderr line is the error, `codescout: …`;
 *   - without --verbose, every stderr line is a `codescout: ` line (notices, then the error):
 *     no stack trace, no continuation line; with --verbose a runtime failure may add its stack;
 *   - no failure is a JavaScript error (a TypeError's message, say) reaching the user;
 *   - --help prints the usage on stdout and exits 0.
 *
 * Spawning node costs a fraction of a second per case, so `npm test` runs few cases;
 * `npm run fuzz` scales them (fuzzParams).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { terminalSafe } from '../src/cli/terminal-text';
import { CLI, runCli, type Run } from './helpers/cli-process';
import { fuzzParams } from './helpers/fuzz';
import { TempDirs, writeIn } from './helpers/workspace';

/** The names on Object.prototype, as written and lower-cased (lookups often lower-case a word first). */
const PROTO_NAMES = [...new Set(Object.getOwnPropertyNames(Object.prototype).flatMap((n) => [n, n.toLowerCase()]))];
const CASE_TIMEOUT_MS = 60_000;

const temp = new TempDirs();
let ws: string;
let indexDir: string;
let cwd: string;
let env: NodeJS.ProcessEnv;

before(async () => {
  const base = await temp.make('cli-fuzz');
  ws = path.join(base, 'ws');
  await writeIn(ws, 'src/app.py', 'def parse_config(text):\n    """Parse the configuration text."""\n    return dict(line.split("=") for line in text.splitlines())\n');
  await writeIn(ws, 'src/util.ts', 'export function readFile(path: string): string {\n  return path;\n}\n\nexport class Cache {\n  constructor() {}\n  toString(): string { return "cache"; }\n}\n');
  await writeIn(ws, 'README.md', '# Fixture\n\nA small workspace for the CLI fuzz test.\n');
  await writeIn(ws, 'odd\nname\u001b[2J.py', 'def odd():\n    return "\u001b]0;title\u0007"\n');
  writeFileSync(path.join(ws, 'data.bin'), Buffer.from([0, 1, 2, 3, 0, 255, 0, 7]));
  indexDir = path.join(base, 'index');
  cwd = path.join(base, 'cwd');
  mkdirSync(cwd);
  // onnxruntime is never loaded (lexical-only), but a default index folder would be: keep it here.
  env = { ...process.env, CODESCOUT_CACHE_DIR: path.join(base, 'cache') };
  const built = spawnSync(process.execPath, [CLI, 'index', ws, '--lexical-only', '--index-dir', indexDir], { encoding: 'utf8' });
  assert.equal(built.status, 0, built.stderr);
});
after(() => temp.cleanup());

function run(argv: string[]): Promise<Run> {
  return runCli(argv, { cwd, env, killAfterMs: CASE_TIMEOUT_MS });
}

/** Strings of every kind; a command-line argument cannot hold NUL. */
const text = fc
  .oneof(
    fc.string(),
    fc.string({ unit: 'grapheme' }),
    fc.string({ unit: 'binary' }),
    fc.constantFrom(...PROTO_NAMES),
    fc.constantFrom('', ' ', '-', '--', '[', ']', '{', '**/{', 'a)', '\\', 'src/**', '*.py', '\u202e', '😀', '\u001b[2J', 'a\nb', '..', '.'),
  )
  .map((s) => s.replace(/\0/g, ''));

const numberLike = fc.oneof(
  fc.integer({ min: -5, max: 2000 }).map(String),
  fc.constantFrom('0', '64', '65', '1000', '1001', '1e3', '99999999999999999999', '0x10', '1.5', '', ' 7', '1073741825'),
  text,
);

const values = new Map<string, fc.Arbitrary<string>>([
  ['--top', numberLike],
  ['--threads', numberLike],
  ['--max-file-bytes', numberLike],
  ['--lang', fc.oneof(fc.constantFrom('py', 'python', 'TS', 'golang', 'c++', 'c#', 'md', 'text', 'pyhton', 'x.py'), text)],
  ['--path', fc.oneof(fc.constantFrom('src/**', '*.py', '**/*.ts', '[', '**/{', 'a)', '', '/abs/**', '\\[x', `${'a'.repeat(1500)}`), text)],
  // Relative names land in the empty working folder; no value may point at the workspace or above it.
  ['--index-dir', fc.oneof(fc.constantFrom('', '/proc/codescout-fuzz/index'), text.map((s) => `idx-${s.replace(/[/\\]/g, '_')}`))],
  ['--model', fc.oneof(fc.constantFrom('', 'no-such-model'), text)],
]);

const optionWithValue = fc
  .tuple(fc.constantFrom(...values.keys()), fc.boolean())
  .chain(([option, joined]) => values.get(option)!.map((value) => (joined ? [`${option}=${value}`] : [option, value])));

const location = fc
  .tuple(
    fc.oneof(fc.constantFrom('src/app.py', 'src/util.ts', 'data.bin', 'README.md', 'no/such.py', '../outside.py', '/etc/hostname', 'odd\nname\u001b[2J.py', 'src'), text),
    fc.oneof(fc.integer({ min: -1, max: 50 }).map(String), fc.constantFrom('999999999', '1000000000', ''), text),
  )
  .map(([file, line]) => `${file}:${line}`);

const token: fc.Arbitrary<string[]> = fc.oneof(
  { weight: 4, arbitrary: optionWithValue },
  { weight: 2, arbitrary: fc.constantFrom('--json', '--no-spelling', '--verbose', '-v', '--help', '-h', '--lexical-only', '-vh').map((t): string[] => [t]) },
  { weight: 1, arbitrary: fc.oneof(text, fc.constantFrom(...PROTO_NAMES)).map((s) => [`--${s}`]) },
  { weight: 1, arbitrary: text.map((s) => [`-${s}`]) },
  { weight: 4, arbitrary: fc.oneof(text, fc.constantFrom(...PROTO_NAMES), location).map((s) => [s]) },
  { weight: 1, arbitrary: fc.constant('--').map((t) => [t]) },
);

const command = fc.oneof({ weight: 6, arbitrary: fc.constantFrom('search', 'related', 'status', 'index') }, { weight: 1, arbitrary: text });

/** The <folder>: mostly the workspace; else something that is not a folder (never one that exists, such as `..`). */
const folder = fc.oneof(
  { weight: 4, arbitrary: fc.constant('<ws>') },
  { weight: 1, arbitrary: fc.constantFrom('', 'no-such-folder', '<ws>/src/app.py') },
  { weight: 1, arbitrary: text.filter((s) => s !== '' && !existsSync(path.resolve('/nonexistent-root', s)) && !['.', '..'].includes(s.trim()) && !s.startsWith('/') && !/(^|[/\\])\.\.?([/\\]|$)/.test(s)) },
);

const wildArgv = fc.tuple(command, folder, fc.array(token, { maxLength: 6 })).map(([c, f, tokens]) => [c, f, ...tokens.flat()]);

/** Words a query is made of: plain ones, the names on Object.prototype, and anything. */
const word = fc.oneof(
  { weight: 2, arbitrary: fc.constantFrom(...PROTO_NAMES) },
  { weight: 1, arbitrary: fc.constantFrom('parse', 'config', 'read', 'file', 'cache', 'python', 'c++', 'golang', 'constructor') },
  { weight: 1, arbitrary: text },
);

/** Mostly good command lines, so that many cases get past the usage checks into the engine. */
const plausibleArgv = fc.oneof(
  { weight: 3, arbitrary: fc
    .tuple(
      fc.array(
        fc.oneof(
          { weight: 4, arbitrary: fc.constantFrom(['--json'], ['--no-spelling'], ['--top', '3'], ['--lang', 'py'], ['--lang', 'typescript'], ['--path', 'src/**'], ['--path', '*.md']) },
          { weight: 1, arbitrary: fc.tuple(fc.constantFrom('--lang', '--path'), word).map(([o, v]) => [o, v]) },
        ),
        { maxLength: 2 },
      ),
      fc.array(word, { minLength: 1, maxLength: 5 }),
    )
    .map(([options, words]) => ['search', '<ws>', ...options.flat(), '--', ...words]) },
  { weight: 1, arbitrary: fc.tuple(location, fc.boolean()).map(([loc, json]) => ['related', '<ws>', loc, ...(json ? ['--json'] : [])]) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom('status', 'index'), fc.subarray(['--json', '--verbose', '--max-file-bytes=64']))
      .map(([c, options]) => [c, '<ws>', ...options.filter((o) => c === 'status' || o !== '--json')]),
  },
);

const argv = fc.oneof({ weight: 1, arbitrary: wildArgv }, { weight: 2, arbitrary: plausibleArgv });

/** The folder argument with its placeholder for the workspace filled in. */
function folderPath(f: string): string {
  return f === '<ws>' ? ws : f === '<ws>/src/app.py' ? path.join(ws, 'src', 'app.py') : f;
}

/** What a JavaScript error says (V8's TypeError, RangeError, SyntaxError messages), or our own label for one. */
const JS_ERROR =
  /internal error|is not a function|is not iterable|is not a constructor|Cannot read propert|Cannot set propert|Cannot convert|is not defined|Maximum call stack|Invalid regular expression|Invalid array length|Invalid string length|ERR_[A-Z_]+/;

/** Whether the CLI reads --verbose in `args` (options before a `--`). */
function verboseIn(args: string[]): boolean {
  const end = args.indexOf('--');
  return (end < 0 ? args : args.slice(0, end)).some((a) => a === '--verbose' || /^-[A-Za-z]*v[A-Za-z]*$/.test(a));
}

test('the CLI on random argv: exit 0, 1 or 2, one `codescout:` line per error, no stack trace, no internal error, no signal', async () => {
  await fc.assert(
    fc.asyncProperty(argv, async (generated) => {
      const [cmd, folderArg, ...rest] = generated;
      const args = ['--lexical-only', '--index-dir', indexDir, cmd, folderPath(folderArg), ...rest];
      const result = await run(args);
      const where = `codescout ${JSON.stringify(args)}\nexit ${result.code} signal ${result.signal}\nstderr:\n${result.stderr}`;
      assert.equal(result.signal, null, `ended by a signal (a crash, or a hang past ${CASE_TIMEOUT_MS} ms): ${where}`);
      assert.ok(result.code === 0 || result.code === 1 || result.code === 2, `exit code: ${where}`);
      const errLines = result.stderr.split('\n').filter((l) => l !== '');
      const verbose = verboseIn(args);
      assert.doesNotMatch(result.stderr, JS_ERROR, `a JavaScript error reached the user: ${where}`);
      if (!verbose) {
        for (const line of errLines) assert.match(line, /^codescout: /, `a stderr line that is not a codescout: line: ${where}`);
      }
      if (result.code === 2) {
        assert.equal(errLines.length, 1, `a usage error is the only stderr line: ${where}`);
        assert.match(errLines[0], /^codescout: .*\(see 'codescout --help'\)$/, where);
        assert.equal(result.stdout, '', where);
      }
      if (result.code === 1) {
        const errorLine = verbose ? errLines.find((l) => !/^codescout: (lexical-only|indexing \d+)/.test(l)) : errLines.at(-1);
        assert.match(errorLine ?? '', /^codescout: /, `the error line: ${where}`);
        if (!verbose) assert.doesNotMatch(result.stderr, /^\s+at /m, where);
      }
      if (result.code === 0 && args.some((a, i) => (a === '--help' || /^-[A-Za-z]*h/.test(a)) && !args.slice(0, i).includes('--'))) {
        assert.match(result.stdout, /^usage:/, where);
      }
    }),
    fuzzParams(15),
  );
});

test('terminalSafe: no control character, line separator or bidi control survives; other text is unchanged', () => {
  const unsafe = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
  fc.assert(
    fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 200 }), fc.string({ unit: 'grapheme', maxLength: 200 }), fc.string({ maxLength: 200 })), (s) => {
      const safe = terminalSafe(s);
      assert.doesNotMatch(safe, unsafe);
      if (!unsafe.test(s)) assert.equal(safe, s);
      assert.equal(safe.split('\n').length, 1);
    }),
    fuzzParams(300),
  );
});
