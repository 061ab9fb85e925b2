/**
 * The `codescout` command end to end, as users and scripts run it: `node bin/codescout.js …`
 * on copies of the fixture repository, with the tiny real model. Checks the contract of
 * docs/cli.md: output shapes, exit codes, one-line errors, and resuming a killed run.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { appendFile, cp, readFile, rm, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { CLI, ensureBundles, runCli, type Run, type RunOptions } from './helpers/cli-process';
import {
  buildFixtureModel,
  copyFixtureRepo,
  fileLines,
  lineOf,
  PACKAGE_ROOT,
  TempDirs,
  TOO_LARGE_FILE,
  writeIn,
} from './helpers/workspace';

const PARSER = 'src/parser/config_parser.py';
const KINDS = new Set(['function', 'method', 'constructor', 'destructor', 'class', 'interface', 'struct', 'enum', 'trait', 'impl', 'module', 'type', 'window']);
/** The summary line that ends `index` (docs/cli.md). */
const SUMMARY =
  /^codescout: (stopped early: )?indexed (\d+) files \((\d+) parsed, (\d+) removed\), (\d+) chunks \((\d+) embedded, (\d+) from cache\), (\d+) skipped, (hybrid|lexical-only), [\d.]+ s — index at (.+)$/;

interface Summary {
  stoppedEarly: boolean;
  files: number;
  parsed: number;
  removed: number;
  chunks: number;
  embedded: number;
  fromCache: number;
  mode: string;
  indexDir: string;
}

const temp = new TempDirs();
let model: string;

before(async () => {
  ensureBundles('cli.js', 'cli-start.js');
  model = (await buildFixtureModel(await temp.make('model'))).dir;
});
after(() => temp.cleanup());

/** A run that has not ended after this long is killed (SIGKILL), so that a hang fails its test. */
const RUN_TIMEOUT_MS = 120_000;

/** Runs `codescout args…`, feeding `input` to its stdin. */
function run(args: string[], opts: RunOptions = {}): Promise<Run> {
  return runCli(args, { killAfterMs: RUN_TIMEOUT_MS, ...opts });
}

/**
 * The environment with what onnxruntime reads as "running in CI" removed (it then keeps its
 * telemetry quiet by itself), so that tests see what a user's run does.
 */
function userEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = { ...process.env, ...extra };
  for (const name of ['CI', 'GITHUB_ACTIONS', 'GITLAB_CI', 'TF_BUILD', 'BUILDKITE', 'CIRCLECI', 'TEAMCITY_VERSION', 'CODEBUILD_BUILD_ID', 'BITBUCKET_BUILD_NUMBER', 'ORT_DISABLE_TELEMETRY']) {
    delete env[name];
  }
  return env;
}

/** Runs and expects exit code 0, reporting stderr otherwise. */
async function ok(args: string[], opts?: RunOptions): Promise<Run> {
  const result = await run(args, opts);
  assert.equal(result.code, 0, `codescout ${args.join(' ')} failed:\n${result.stderr}`);
  return result;
}

function lines(text: string): string[] {
  return text.split('\n').filter((l) => l !== '');
}

/** The last line of a run's stderr: its error, after any notices (lexical-only, the first indexing). */
function lastLine(r: Run): string {
  return lines(r.stderr).at(-1) ?? '';
}

function summaryOf(stderr: string): Summary {
  const all = lines(stderr);
  assert.equal(all.filter((l) => /indexed \d+ files/.test(l)).length, 1, `one summary line:\n${stderr}`);
  const m = SUMMARY.exec(all[all.length - 1]);
  assert.ok(m, `the last stderr line is the summary:\n${stderr}`);
  return {
    stoppedEarly: m[1] !== undefined,
    files: Number(m[2]),
    parsed: Number(m[3]),
    removed: Number(m[4]),
    chunks: Number(m[5]),
    embedded: Number(m[6]),
    fromCache: Number(m[7]),
    mode: m[9],
    indexDir: m[10],
  };
}

/** Exactly one error line on stderr, `codescout: …`, no stack trace, nothing on stdout. */
function assertOneLineError(result: Run, code: number, message: RegExp): void {
  assert.equal(result.signal, null, `ended by itself, not by a signal; stderr:\n${result.stderr}`);
  assert.equal(result.code, code, `exit code; stderr:\n${result.stderr}`);
  assert.equal(result.stdout, '');
  const errLines = lines(result.stderr);
  assert.equal(errLines.length, 1, `one stderr line, got:\n${result.stderr}`);
  assert.match(errLines[0], /^codescout: /);
  assert.match(errLines[0], message);
  assert.doesNotMatch(result.stderr, /^\s+at /m);
}

interface Hit {
  path: string;
  startLine: number;
  endLine: number;
  name: string;
  kind: string;
  score: number;
  matchedBy: string;
  language: string;
  signature: string;
  snippet: string;
  container?: string;
}

/** Checks one result against the contract of docs/cli.md, and against the file it points into. */
function assertHit(repo: string, hit: Hit): void {
  assert.equal(typeof hit.path, 'string');
  assert.ok(!path.isAbsolute(hit.path) && !hit.path.includes('\\') && !hit.path.startsWith('./') && !hit.path.split('/').includes('..'), hit.path);
  assert.ok(existsSync(path.join(repo, hit.path)), `${hit.path} exists in the folder`);
  const fileLineCount = fileLines(repo, hit.path).length;
  assert.ok(Number.isInteger(hit.startLine) && hit.startLine >= 1, `startLine ${hit.startLine}`);
  assert.ok(Number.isInteger(hit.endLine) && hit.endLine >= hit.startLine && hit.endLine <= fileLineCount, `endLine ${hit.endLine}`);
  assert.ok(typeof hit.name === 'string' && hit.name.length > 0);
  assert.ok(KINDS.has(hit.kind), hit.kind);
  assert.ok(typeof hit.score === 'number' && Number.isFinite(hit.score));
  assert.ok(['lexical', 'vector', 'both'].includes(hit.matchedBy), hit.matchedBy);
  assert.equal(typeof hit.language, 'string');
  assert.equal(typeof hit.signature, 'string');
  assert.equal(typeof hit.snippet, 'string');
  if (hit.kind !== 'window') {
    const text = fileLines(repo, hit.path).slice(hit.startLine - 1, hit.endLine).join('\n');
    assert.ok(text.includes(hit.name), `${hit.path}:${hit.startLine}-${hit.endLine} holds ${hit.name}`);
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** stdout as JSON lines: every line, blank ones included, must be one JSON value. */
function jsonLines<T>(stdout: string): T[] {
  assert.ok(stdout.endsWith('\n'), `output ends with a newline: ${JSON.stringify(stdout.slice(-80))}`);
  return stdout.slice(0, -1).split('\n').map((l) => JSON.parse(l) as T);
}

function parseJsonLines(stdout: string): { query: string; searchedFor?: string; results: Hit[] }[] {
  return jsonLines(stdout);
}

/** These tests share one copy of the fixture and one index, which the first test builds. */
describe('codescout on the fixture repository', () => {
  let repo: string;
  let indexDir: string;
  let common: string[];

  before(async () => {
    repo = await copyFixtureRepo(path.join(await temp.make('cli'), 'repo'));
    indexDir = await temp.make('cli-index');
    common = ['--index-dir', indexDir, '--model', model];
  });

  test('index: progress and one summary line on stderr, nothing on stdout; a second run has nothing to do', async () => {
    const first = await ok(['index', repo, ...common]);
    assert.equal(first.stdout, '');
    const s = summaryOf(first.stderr);
    assert.deepEqual(
      { files: s.files, parsed: s.parsed, removed: s.removed, fromCache: s.fromCache, mode: s.mode, indexDir: s.indexDir },
      { files: 10, parsed: 10, removed: 0, fromCache: 0, mode: 'hybrid', indexDir },
    );
    assert.equal(s.embedded, s.chunks);
    assert.ok(lines(first.stderr).every((l) => l.startsWith('codescout: ')), first.stderr);

    const again = summaryOf((await ok(['index', repo, ...common])).stderr);
    assert.deepEqual({ parsed: again.parsed, embedded: again.embedded, chunks: again.chunks }, { parsed: 0, embedded: 0, chunks: s.chunks });
  });

  test('search --json: one JSON line per query, with the contract fields', async () => {
    const result = await ok(['search', repo, ...common, '--json', 'parse', 'config']);
    const answers = parseJsonLines(result.stdout);
    assert.equal(answers.length, 1);
    assert.equal(answers[0].query, 'parse config');
    const hits = answers[0].results;
    assert.ok(hits.length > 0 && hits.length <= 10);
    for (const hit of hits) assertHit(repo, hit);
    assert.equal(hits[0].name, 'parse_config');
    assert.equal(hits[0].path, PARSER);
    assert.equal(hits[0].kind, 'function');
    assert.equal(hits[0].startLine, lineOf(repo, PARSER, 'def parse_config('));
    assert.equal(hits[0].endLine, lineOf(repo, PARSER, '    return settings'));
    assert.ok(!('container' in hits[0]), 'container is absent at top level');
    const scores = hits.map((h) => h.score);
    assert.deepEqual(scores, [...scores].sort((a, b) => b - a), 'best first');
  });

  test('search reads one query per line from stdin when given no query words, skipping blank lines', async () => {
    const input = 'parse config\n\nread file from disk\r\npassword session\n';
    const result = await ok(['search', repo, ...common, '--json', '--top', '3'], { input });
    const answers = parseJsonLines(result.stdout);
    assert.deepEqual(answers.map((a) => a.query), ['parse config', 'read file from disk', 'password session']);
    assert.deepEqual(answers.map((a) => a.results[0].name), ['parse_config', 'load_file', 'login']);
    assert.ok(answers.every((a) => a.results.length === 3));
  });

  test('search without --json prints path:line, the name, the kind and the snippet', async () => {
    const result = await ok(['search', repo, ...common, 'parse', 'config']);
    const line = lineOf(repo, PARSER, 'def parse_config(');
    assert.match(result.stdout, new RegExp(`^${escapeRegExp(PARSER)}:${line}  parse_config \\(function\\)  \\[both\\] [\\d.]+$`, 'm'));
    assert.match(result.stdout, /^ {4}def parse_config\(text\):$/m);
  });

  test('search --lang and --path filter the results', async () => {
    const result = await ok(['search', repo, ...common, '--json', '--lang', 'py', '--path', 'src/**', '--top', '50', 'read', 'file']);
    const [answer] = parseJsonLines(result.stdout);
    assert.ok(answer.results.length > 0);
    assert.ok(answer.results.every((h) => h.language === 'python' && h.path.startsWith('src/')), JSON.stringify(answer.results.map((h) => h.path)));
    const both = await ok(['search', repo, ...common, '--json', '--lang', 'ts', '--lang', 'rust', 'retry', 'error']);
    const langs = new Set(parseJsonLines(both.stdout)[0].results.map((h) => h.language));
    assert.deepEqual([...langs].sort(), ['rust', 'typescript']);
  });

  test('related --json: the nearest definitions to path:line, without the source', async () => {
    const at = lineOf(repo, PARSER, 'settings = {}');
    const result = await ok(['related', repo, `${PARSER}:${at}`, ...common, '--json', '--top', '5']);
    const answers = jsonLines<{ source: Hit; results: Hit[] }>(result.stdout);
    assert.equal(answers.length, 1);
    const { source, results } = answers[0];
    assertHit(repo, source);
    assert.equal(source.name, 'parse_config');
    assert.ok(source.startLine <= at && at <= source.endLine);
    assert.equal(results.length, 5);
    for (const hit of results) assertHit(repo, hit);
    assert.equal(results[0].name, 'tokenize_line');
    assert.ok(results.every((h) => h.path !== source.path || h.endLine < source.startLine || h.startLine > source.endLine));

    const text = await ok(['related', repo, `./${PARSER}:${at}`, ...common]);
    assert.match(text.stdout, /^# related to parse_config/m);
    assert.match(text.stdout, new RegExp(`^${escapeRegExp(PARSER)}:${lineOf(repo, PARSER, 'def tokenize_line(')}  tokenize_line`, 'm'));
  });

  test('status: files, chunks, languages, model, index size, staleness and skipped files by reason', async () => {
    const json = JSON.parse((await ok(['status', repo, ...common, '--json'])).stdout);
    assert.equal(json.files, 10);
    assert.ok(json.chunks > 0);
    assert.equal(json.model.id.startsWith('tiny-test-model'), true);
    assert.ok(json.indexBytes > 0);
    assert.deepEqual(json.stale, { added: 0, changed: 0, removed: 0 });
    assert.deepEqual(json.redo, { read: false, chunk: false, chunkWaitsForModel: false });
    for (const reason of ['binary', 'minified', 'too-large', 'excluded-dir']) assert.equal(json.skippedByReason[reason], 1, reason);

    const text = (await ok(['status', repo, ...common])).stdout;
    assert.match(text, /^files: +10$/m);
    assert.match(text, new RegExp(`^chunks: +${json.chunks}$`, 'm'));
    const languages = /^languages: +(.*)$/m.exec(text)?.[1] ?? '';
    for (const language of ['python', 'typescript', 'go', 'rust', 'markdown']) assert.match(languages, new RegExp(`\\b${language} \\d+`));
    assert.match(text, /^model: +tiny-test-model\S* \(8-d\)$/m);
    assert.match(text, new RegExp(`^index: +${escapeRegExp(indexDir)} \\(\\d+(\\.\\d)? (B|KiB|MiB)\\)$`, 'm'));
    assert.match(text, /^staleness: +up to date$/m);
    assert.doesNotMatch(text, /^rules:/m);
    const skipped = /^skipped: +(.*)$/m.exec(text)?.[1] ?? '';
    for (const reason of ['binary 1', 'minified 1', 'too-large 1', 'excluded-dir 1']) assert.ok(skipped.includes(reason), `${reason} in "${skipped}"`);
    assert.match(text, /^ {2}notes\/meeting-notes\.txt {2}binary$/m);
    assert.match(text, /^ {2}web\/widgets\.js {2}minified \(.+\)$/m);
    assert.match(text, new RegExp(`^  ${escapeRegExp(TOO_LARGE_FILE)}  too-large \\(\\d+ bytes\\)$`, 'm'));
  });

  test('a damaged vector file is reported, survived and rebuilt by a separate process', async () => {
    const query = ['--json', 'parse', 'config'];
    const clean = jsonLines((await ok(['search', repo, ...common, ...query])).stdout);
    const damaged = await temp.make('cli-damaged');
    await cp(indexDir, damaged, { recursive: true });
    const manifest = JSON.parse(await readFile(path.join(damaged, 'manifest.json'), 'utf8'));
    const vectors = path.join(damaged, manifest.files['vectors.bin'].file);
    const bytes = await readFile(vectors);
    for (let i = bytes.length >> 1; i < bytes.length; i += 97) bytes[i] ^= 0xff;
    await writeFile(vectors, bytes);

    const result = await run(['search', repo, '--index-dir', damaged, '--model', model, ...query]);
    assert.equal(result.signal, null, 'the process was not killed');
    assert.equal(result.code, 0, result.stderr);
    assert.ok(lines(result.stderr).some((l) => /^codescout: .*damaged.*rebuilt/.test(l)), result.stderr);
    assert.deepEqual(jsonLines(result.stdout), clean, 'the same answer as the clean index');
  });

  test('related at a file the index skipped says why (it said only "no indexed code")', async () => {
    const result = await run(['related', repo, 'notes/meeting-notes.txt:1', ...common]);
    assertOneLineError(result, 1, /^codescout: no indexed code at notes\/meeting-notes\.txt:1: the file is not indexed: it is a binary file$/);
  });

  test('a query over the limit on stdin: the lines before it are answered, then one usage error', async () => {
    const input = `parse config\n${'x'.repeat(2001)}\nread file\n`;
    const result = await run(['search', repo, ...common, '--json'], { input });
    assert.equal(result.code, 2, result.stderr);
    assert.deepEqual(parseJsonLines(result.stdout).map((a) => a.query), ['parse config']);
    assert.deepEqual(lines(result.stderr), [
      "codescout: the query on line 2 of stdin is 2001 characters long; the limit is 2000 (see 'codescout --help')",
    ]);
  });

  test('a line of stdin far too long to be a query (a binary file piped in) is one usage error, read no further than the limit', async () => {
    // 20 MB without a line break: readline kept it whole (600 MB ran out of string length, a crash with a stack trace)
    const input = `parse config\n${'\0'.repeat(20 * 1024 * 1024)}`;
    const result = await run(['search', repo, ...common, '--json'], { input });
    assert.equal(result.code, 2, result.stderr);
    assert.deepEqual(parseJsonLines(result.stdout).map((a) => a.query), ['parse config']);
    assert.deepEqual(lines(result.stderr), [
      "codescout: line 2 of stdin is longer than 128000 characters; a query is at most 2000 (see 'codescout --help')",
    ]);
  });

  test('a folder as stdin, with no query words, is a usage error: it searched nothing and exited 0 without a word', async () => {
    const folder = openSync(repo, 'r');
    try {
      const result = spawnSync(process.execPath, [CLI, 'search', repo, ...common], { stdio: [folder, 'pipe', 'pipe'], encoding: 'utf8', timeout: RUN_TIMEOUT_MS });
      assert.equal(result.status, 2, result.stderr);
      assert.equal(result.stdout, '');
      assert.deepEqual(lines(result.stderr), ["codescout: standard input is a folder: give the query as words after the folder, or pipe queries one per line (see 'codescout --help')"]);
    } finally {
      closeSync(folder);
    }
  });

  test('onnxruntime leaves no files behind: nothing in the temporary, cache or home folder', async () => {
    const scratch = { TMPDIR: await temp.make('cli-tmp'), XDG_CACHE_HOME: await temp.make('cli-xdg'), HOME: await temp.make('cli-home') };
    const result = await run(['search', repo, ...common, '--json', 'parse', 'config'], { env: userEnv(scratch) });
    assert.equal(result.signal, null);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(parseJsonLines(result.stdout)[0].results[0].name, 'parse_config');
    for (const [name, dir] of Object.entries(scratch)) {
      assert.deepEqual(readdirSync(dir, { recursive: true }), [], `nothing written under ${name}`);
    }
  });

  test('a command line of 40 KB reaches onnxruntime without crashing it', async () => {
    const longGlobs = Array.from({ length: 40 }, (_, i) => ['--path', `src/${String(i).repeat(990 / String(i).length)}/**`]).flat();
    const result = await run(['search', repo, ...common, '--json', ...longGlobs, 'parse', 'config'], { env: userEnv() });
    assert.equal(result.signal, null, 'not ended by a signal (it was SIGSEGV)');
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(parseJsonLines(result.stdout)[0].results, []);
  });

  test('text output escapes control characters from file names and code; JSON keeps them exact', async () => {
    const hostile = path.join(await temp.make('cli-hostile'), 'repo');
    const name = 'src/evil\n\u001b]0;pwned\u0007.py';
    await writeIn(hostile, name, 'def pwned_title():\n    return "\u001b[2J cleared"  # \u001b]0;title\u0007\n');
    const args = ['search', hostile, '--lexical-only', '--index-dir', await temp.make('cli-hostile-index'), 'pwned', 'title'];
    const text = (await ok(args)).stdout;
    assert.doesNotMatch(text, /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/, `no control character but newline: ${JSON.stringify(text)}`);
    assert.match(text, /^src\/evil\\n\\e\]0;pwned\\x07\.py:1 {2}pwned_title \(function\)/m);
    const [answer] = parseJsonLines((await ok([...args, '--json'])).stdout);
    assert.equal(answer.results[0].path, name);
  });
});

test('status reports files changed since the last index, without refreshing', async () => {
  const repo = await copyFixtureRepo(path.join(await temp.make('cli-stale'), 'repo'));
  const common = ['--index-dir', await temp.make('cli-stale-index'), '--lexical-only'];
  await ok(['index', repo, ...common]);
  await appendFile(path.join(repo, 'src/maths/vector.go'), '\n// Max returns the larger number.\nfunc Max(a, b float64) float64 {\n\tif a > b {\n\t\treturn a\n\t}\n\treturn b\n}\n');
  await writeIn(repo, 'src/maths/stats.py', 'def mean(numbers):\n    """The mean of the numbers."""\n    return sum(numbers) / len(numbers)\n');

  const status = await ok(['status', repo, ...common]);
  assert.match(status.stdout, /^staleness: +1 new, 1 changed, 0 removed since the last index$/m);
  assert.match(status.stdout, /^model: +none/m);
  const json = JSON.parse((await ok(['status', repo, ...common, '--json'])).stdout);
  assert.deepEqual(json.stale, { added: 1, changed: 1, removed: 0 });
  assert.equal(json.model, null);
  assert.equal(json.mode, 'lexical-only');
});

test('search answers from the folder as it is now: a file added, changed or removed since the last run (a search is made while the refresh scans, and dropped when the refresh changes the index)', async () => {
  const repo = await copyFixtureRepo(path.join(await temp.make('cli-fresh'), 'repo'));
  const common = ['--index-dir', await temp.make('cli-fresh-index'), '--model', model];
  await ok(['index', repo, ...common]);
  const search = async (...words: string[]) => parseJsonLines((await ok(['search', repo, ...common, '--json', '--top', '3', ...words])).stdout)[0].results;
  const before = await search('zanzibar', 'quokka', 'tally');
  assert.ok(before.every((hit) => hit.name !== 'zanzibar_quokka_tally'));
  assert.deepEqual(await search('zanzibar', 'quokka', 'tally'), before, 'an unchanged folder: the same answer');

  await writeIn(repo, 'src/zoo.py', 'def zanzibar_quokka_tally(animals):\n    """Counts the quokkas of Zanzibar."""\n    return len(animals)\n');
  const added = await search('zanzibar', 'quokka', 'tally');
  assert.deepEqual([added[0].path, added[0].name], ['src/zoo.py', 'zanzibar_quokka_tally']);
  await writeIn(repo, 'src/zoo2.py', 'def wombat_tally(animals):\n    return len(animals)\n');
  const related = JSON.parse((await ok(['related', repo, 'src/zoo2.py:1', ...common, '--json'])).stdout);
  assert.equal(related.source.name, 'wombat_tally', 'related code at a file added since the last run');
  await rm(path.join(repo, 'src/zoo2.py'));

  await writeIn(repo, 'src/zoo.py', '# nothing here now\n\ndef wombat_census(animals):\n    return sum(1 for a in animals if a == "wombat")\n');
  assert.ok((await search('zanzibar', 'quokka', 'tally')).every((hit) => hit.name !== 'zanzibar_quokka_tally'), 'changed: the old function is gone');
  assert.equal((await search('wombat', 'census'))[0].name, 'wombat_census');
  const atLine3 = JSON.parse((await ok(['related', repo, 'src/zoo.py:3', ...common, '--json'])).stdout);
  assert.equal(atLine3.source.name, 'wombat_census', 'related code at a line of a changed file: the definition there now');
  await writeIn(repo, 'src/zoo3.py', 'def wombat_census_again(animals):\n    return sum(1 for a in animals if a == "wombat")\n');
  const withCopy = JSON.parse((await ok(['related', repo, 'src/zoo.py:3', ...common, '--json'])).stdout);
  assert.equal(withCopy.results[0].name, 'wombat_census_again', 'related code found in a file added since the last run');
  await rm(path.join(repo, 'src/zoo3.py'));

  await rm(path.join(repo, 'src/zoo.py'));
  assert.ok((await search('wombat', 'census')).every((hit) => hit.path !== 'src/zoo.py'), 'removed: none of its functions');
});

const SHAPE = 'export class Shape {\n  constructor(readonly sides: number) {}\n\n  toString(): string {\n    return `${this.sides} sides`;\n  }\n}\n';

test('query words named like Object.prototype keys are searched like any word, as arguments and on stdin', async () => {
  const repo = await copyFixtureRepo(path.join(await temp.make('cli-keys'), 'repo'));
  await writeIn(repo, 'src/render/shape.ts', SHAPE);
  const lexical = ['--index-dir', await temp.make('cli-keys-index'), '--lexical-only'];
  const [answer] = parseJsonLines((await ok(['search', repo, ...lexical, '--json', 'constructor'])).stdout);
  assert.equal(answer.query, 'constructor');
  assert.ok(answer.results.some((h) => h.name === 'constructor' && h.path === 'src/render/shape.ts'), JSON.stringify(answer.results));
  const names = ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__', 'isPrototypeOf'];
  const batch = await ok(['search', repo, ...lexical, '--json'], { input: `${names.join('\n')}\n` });
  assert.deepEqual(parseJsonLines(batch.stdout).map((a) => a.query), names, 'one answer per line: no word ends the batch');
  // with the default model, the words also pass through spelling correction and the embedder
  const small = await temp.make('cli-keys-small');
  await writeIn(small, 'shape.ts', SHAPE);
  const hybrid = await ok(['search', small, '--index-dir', await temp.make('cli-keys-hybrid'), '--json', 'constructor', 'toString']);
  const [both] = parseJsonLines(hybrid.stdout);
  assert.ok(!('searchedFor' in both), 'nothing to correct');
  assert.ok(both.results.some((h) => h.name === 'constructor'), JSON.stringify(both.results));
});

test('with the default model, a misspelt query is searched corrected, and says so', async () => {
  const repo = await copyFixtureRepo(path.join(await temp.make('cli-spelling'), 'repo'));
  const common = ['--index-dir', await temp.make('cli-spelling-index')];
  const [answer] = parseJsonLines((await ok(['search', repo, ...common, '--json', 'parse', 'configuraton'])).stdout);
  assert.equal(answer.query, 'parse configuraton');
  assert.equal(answer.searchedFor, 'parse configuration');
  assert.equal(answer.results[0].name, 'parse_config');
  const [plain] = parseJsonLines((await ok(['search', repo, ...common, '--json', 'parse', 'config'])).stdout);
  assert.ok(!('searchedFor' in plain), 'absent when nothing was corrected');
  const text = (await ok(['search', repo, ...common, 'parse', 'configuraton'])).stdout;
  assert.match(text, /^# parse configuraton {2}\(searched for: parse configuration\)$/m);

  const [asTyped] = parseJsonLines((await ok(['search', repo, ...common, '--json', '--no-spelling', 'parse', 'configuraton'])).stdout);
  assert.equal(asTyped.query, 'parse configuraton');
  assert.ok(!('searchedFor' in asTyped), '--no-spelling searches the query as typed');
  const plainText = (await ok(['search', repo, ...common, '--no-spelling', 'parse', 'configuraton'])).stdout;
  assert.match(plainText, /^# parse configuraton$/m);
});

test('without --index-dir the index lives in the user cache folder, created on first use', async () => {
  const repo = await copyFixtureRepo(path.join(await temp.make('cli-default'), 'repo'));
  const cacheBase = path.join(await temp.make('cli-cache'), 'not-yet-created');
  const env = { ...process.env, CODESCOUT_CACHE_DIR: cacheBase };
  const summary = summaryOf((await ok(['index', repo, '--model', model], { env })).stderr);
  assert.equal(summary.files, 10);
  assert.equal(path.dirname(summary.indexDir), path.join(cacheBase, 'indexes'));
  const status = JSON.parse((await ok(['status', repo, '--model', model, '--json'], { env })).stdout);
  assert.equal(status.indexDir, summary.indexDir);
  assert.equal(status.chunks, summary.chunks);
});

test('npm reads the project configuration without a warning (`npx codescout` warned about .npmrc on every run)', () => {
  const result = spawnSync('npm', ['pkg', 'get', 'name'], { cwd: PACKAGE_ROOT, encoding: 'utf8', env: userEnv() });
  assert.equal(result.status, 0, result.stderr);
  assert.equal(result.stdout.trim(), '"code-scout"');
  assert.doesNotMatch(result.stderr, /Unknown (project|env) config/);
});

describe('errors: one line on stderr, the right exit code', () => {
  let repo: string;

  before(async () => {
    repo = await copyFixtureRepo(path.join(await temp.make('cli-errors'), 'repo'));
  });

  test('--help prints the usage on stdout', async () => {
    const result = await ok(['--help']);
    assert.match(result.stdout, /^usage:/);
    assert.equal(result.stderr, '');
  });

  const usageErrors: [string, () => string[], RegExp][] = [
    ['no command', () => [], /missing command/],
    ['an unknown command', () => ['frobnicate', repo], /unknown command 'frobnicate'/],
    ['an unknown option', () => ['search', repo, '--frobnicate', 'x'], /frobnicate/],
    ['a non-numeric --top', () => ['search', repo, '--lexical-only', '--top', 'x', 'parse'], /--top/],
    ['--top 0', () => ['search', repo, '--lexical-only', '--top', '0', 'parse'], /--top/],
    ['a missing folder', () => ['search', path.join(repo, 'no-such-folder'), '--lexical-only', 'parse'], /not a folder/],
    ['a file given as the folder', () => ['index', path.join(repo, 'README.md'), '--lexical-only'], /not a folder/],
    ['related without :line', () => ['related', repo, PARSER, '--lexical-only'], /<path>:<line>/],
    ['related with line 0', () => ['related', repo, `${PARSER}:0`, '--lexical-only'], /<path>:<line>/],
    ['related with a word for a line', () => ['related', repo, `${PARSER}:ten`, '--lexical-only'], /<path>:<line>/],
    ['--model with --lexical-only', () => ['search', repo, '--model', model, '--lexical-only', 'parse'], /exclude each other/],
    ["a value that starts with '-' (node's message was three lines)", () => ['search', repo, '--lexical-only', '--top', '-5', 'parse'], /^codescout: --top needs a value \(write --top=VALUE/],
    ['an unknown --lang', () => ['search', repo, '--lexical-only', '--lang', 'pyhton', 'parse'], /unknown language 'pyhton' for --lang; known: .*python/],
    ["a glob with no closing ']'", () => ['search', repo, '--lexical-only', '--path', '[', 'parse'], /--path '\[' is not a valid glob: a '\[' has no closing '\]'/],
    ['--threads 10000 (it never ended)', () => ['search', repo, '--model', model, '--threads', '10000', 'parse'], /--threads takes a whole number from 1 to 64, got '10000'/],
    ['a 40 KB query, refused before the model loads', () => ['search', repo, '--model', model, 'x'.repeat(40_000)], /^codescout: the query is 40000 characters long; the limit is 2000/],
    ['an empty query (it searched for nothing and printed no results, exit 0)', () => ['search', repo, '--model', model, ' ', ''], /^codescout: the query is empty: say what the code does, or give a name/],
  ];
  for (const [what, args, message] of usageErrors) {
    test(`exit 2 for ${what}`, async () => assertOneLineError(await run(args()), 2, message));
  }

  test('exit 1 for a model folder that does not exist', async () => {
    const indexDir = await temp.make('cli-errors-index');
    assertOneLineError(await run(['search', repo, '--index-dir', indexDir, '--model', '/nonexistent/model', 'parse']), 1, /nonexistent/);
  });

  test('exit 1 for an index folder that is a file', async () => {
    const file = path.join(await temp.make('cli-errors-file'), 'index');
    await writeFile(file, 'not a folder');
    assertOneLineError(await run(['index', repo, '--index-dir', file, '--model', model]), 1, new RegExp(escapeRegExp(file)));
  });

  test('exit 1 for related code at a location with no indexed code', async () => {
    const result = await run(['related', repo, 'README.md:999', '--index-dir', await temp.make('cli-errors-index'), '--lexical-only']);
    assert.equal(result.code, 1, result.stderr);
    assert.equal(result.stdout, '');
    assert.equal(lines(result.stderr).pop(), `codescout: no indexed code at README.md:999: the file has ${fileLines(repo, 'README.md').length - 1} lines`);
    assert.doesNotMatch(result.stderr, /^\s+at /m);
  });

  test('an index folder where no folder can be made fails at once, in words (it spun at full CPU)', async () => {
    const result = await run(['search', repo, '--lexical-only', '--index-dir', '/proc/codescout-index', 'parse']);
    assertOneLineError(result, 1, /^codescout: cannot create the index folder \/proc\/codescout-index: \/proc does not allow new folders \(ENOENT\)/);
  });

  test('output to a full disk is one line in words, not a stack trace', async () => {
    const full = openSync('/dev/full', 'w');
    try {
      const result = await run(['--help'], { stdoutFd: full });
      assert.equal(result.code, 1, result.stderr);
      assert.deepEqual(lines(result.stderr), ['codescout: writing the results failed: the disk is full (ENOSPC)']);
    } finally {
      closeSync(full);
    }
  });

  test('a stderr that cannot be written (a full disk) costs neither the results nor the exit code', async () => {
    const full = openSync('/dev/full', 'w');
    try {
      const searched = await run(['search', repo, '--lexical-only', '--index-dir', await temp.make('cli-errors-index'), '--json', 'parse', 'config'], { stderrFd: full });
      assert.equal(searched.code, 0);
      assert.equal(parseJsonLines(searched.stdout)[0].results[0].name, 'parse_config');
      assert.equal((await run(['search', repo, '--top', '0', 'parse'], { stderrFd: full })).code, 2);
    } finally {
      closeSync(full);
    }
  });

  test('--verbose adds the stack trace to a runtime failure', async () => {
    const indexDir = await temp.make('cli-errors-index');
    const result = await run(['search', repo, '--index-dir', indexDir, '--model', '/nonexistent/model', '--verbose', 'parse']);
    assert.equal(result.code, 1);
    assert.equal(result.stdout, '');
    const errLines = lines(result.stderr);
    assert.match(errLines[0], /^codescout: .*nonexistent/);
    assert.ok(errLines.slice(1).some((l) => /^\s+at /.test(l)), `a stack trace:\n${result.stderr}`);
    // `-v` after `--` is a query word, not the option: one line, no stack trace
    const worded = await run(['search', repo, '--index-dir', indexDir, '--model', '/nonexistent/model', '--', '-v']);
    assert.equal(worded.code, 1);
    assert.deepEqual(lines(worded.stderr).length, 1, worded.stderr);
  });
});

describe('interrupted index runs resume', () => {
  const FILES = 2000;
  /** Words of the tiny model's topics, so each generated function has a meaning. */
  const TOPICS = ['parse the tokens', 'read the file from disk', 'send the http request', 'add the numbers', 'check the user password', 'retry on error', 'render the button'];
  /** The embedding cache starts with a 16-byte header; anything more is computed vectors. */
  const CACHE_HEADER_BYTES = 16;

  let workspace: string;

  before(async () => {
    workspace = path.join(await temp.make('cli-kill'), 'ws');
    for (let n = 0; n < FILES; n++) {
      const dir = path.join(workspace, `pkg${Math.floor(n / 100)}`);
      if (n % 100 === 0) mkdirSync(dir, { recursive: true });
      const text =
        `def task_${n}(value):\n    """${TOPICS[n % TOPICS.length]} for item ${n}."""\n    return value + ${n}\n\n\n` +
        `def helper_${n}(value):\n    """${TOPICS[(n + 3) % TOPICS.length]} again."""\n    return task_${n}(value) * 2\n`;
      writeFileSync(path.join(dir, `mod${n % 100}.py`), text);
    }
  });

  /** Starts `index` and sends it `signal` once it has stored computed vectors; resolves when it has exited. */
  function indexAndSignal(indexDir: string, signal: NodeJS.Signals): Promise<Run> {
    return runCli(['index', workspace, '--index-dir', indexDir, '--model', model], {
      keepStdinOpen: true,
      killSignal: signal,
      pollMs: 5,
      killWhen: () => {
        const cache = readdirSync(indexDir).find((f) => /^embeddings-.*\.cache$/.test(f));
        const checkpoint = existsSync(path.join(indexDir, 'manifest.json'));
        return checkpoint || (cache !== undefined && statSync(path.join(indexDir, cache)).size > CACHE_HEADER_BYTES);
      },
    });
  }

  const index = (indexDir: string) => ok(['index', workspace, '--index-dir', indexDir, '--model', model]);

  test('the next run completes from where the killed one stopped, and matches a clean run', async () => {
    const indexDir = await temp.make('cli-kill-index');
    // The clean run, for comparison, runs alongside.
    const [clean, killed] = await Promise.all([
      temp.make('cli-kill-clean').then(index).then((r) => summaryOf(r.stderr)),
      indexAndSignal(indexDir, 'SIGKILL'),
    ]);
    assert.equal(killed.signal, 'SIGKILL', `the run was killed before it finished (stderr: ${killed.stderr})`);

    const resumed = summaryOf((await index(indexDir)).stderr);
    assert.equal(resumed.files, FILES);
    assert.ok(resumed.fromCache > 0 || resumed.parsed < FILES, `it did not start over: ${JSON.stringify(resumed)}`);
    assert.ok(resumed.embedded < resumed.chunks, `fewer chunks embedded than in a fresh run: ${JSON.stringify(resumed)}`);

    const status = JSON.parse((await ok(['status', workspace, '--index-dir', indexDir, '--model', model, '--json'])).stdout);
    assert.equal(status.files, clean.files);
    assert.equal(status.chunks, clean.chunks);
    assert.deepEqual(status.stale, { added: 0, changed: 0, removed: 0 });

    const search = await ok(['search', workspace, '--index-dir', indexDir, '--model', model, '--json', '--top', '1', 'task_1234']);
    const [hit] = parseJsonLines(search.stdout)[0].results;
    assert.deepEqual({ path: hit.path, name: hit.name }, { path: 'pkg12/mod34.py', name: 'task_1234' });
  });

  test('Ctrl-C stops after the current batch and saves it; the next run parses only the rest', async () => {
    const indexDir = await temp.make('cli-interrupt-index');
    const interrupted = await indexAndSignal(indexDir, 'SIGINT');
    assert.equal(interrupted.signal, null, 'it exits by itself');
    assert.match(interrupted.stderr, /^codescout: stopping after the current batch/m);
    const stopped = summaryOf(interrupted.stderr);
    assert.ok(stopped.stoppedEarly, interrupted.stderr);
    assert.ok(stopped.files > 0 && stopped.files < FILES, `some files were saved: ${JSON.stringify(stopped)}`);
    assert.equal(stopped.parsed, stopped.files, `the summary counts the files it saved: ${interrupted.stderr}`);

    const resumed = summaryOf((await index(indexDir)).stderr);
    assert.equal(resumed.stoppedEarly, false);
    assert.equal(resumed.files, FILES);
    assert.equal(resumed.parsed, FILES - stopped.files, 'the saved files are not parsed again');
  });
});

test('related at a broken link says what the scan found (a broken link), not "no such file"; a name with nothing there still gets "no such file"', async () => {
  const root = await temp.make('why-no-code');
  await writeFile(path.join(root, 'a.py'), 'def a():\n    return 1\n');
  symlinkSync(path.join(root, 'nowhere.py'), path.join(root, 'broken.py'));
  const indexDir = path.join(await temp.make('why-no-code-index'), 'index');
  const broken = await run(['related', root, 'broken.py:1', '--index-dir', indexDir, '--lexical-only']);
  assert.equal(broken.code, 1, broken.stderr);
  assert.equal(lastLine(broken), 'codescout: no indexed code at broken.py:1: the file is not indexed: it cannot be read, broken link');
  const missing = await run(['related', root, 'missing.py:1', '--index-dir', indexDir, '--lexical-only']);
  assert.equal(missing.code, 1, missing.stderr);
  assert.equal(lastLine(missing), `codescout: no indexed code at missing.py:1: there is no such file in ${root}`);
});

test('related at a line between definitions names the lines that hold indexed code; at a file whose name is not UTF-8, says so (it said "no such file")', async () => {
  const root = await temp.make('why-no-code-lines');
  await writeFile(path.join(root, 'two.py'), 'def first():\n    return 1\n\n\ndef second():\n    return 2\n');
  await writeFile(Buffer.concat([Buffer.from(`${root}/lat`), Buffer.from([0xe9]), Buffer.from('.py')]), 'def odd():\n    return 3\n');
  const indexDir = path.join(await temp.make('why-no-code-lines-index'), 'index');
  const between = await run(['related', root, 'two.py:3', '--index-dir', indexDir, '--lexical-only']);
  assert.equal(between.code, 1, between.stderr);
  assert.equal(lastLine(between), "codescout: no indexed code at two.py:3: the line is outside the file's indexed code, which is at lines 1-2, 5-6");
  // the shell passes the name's bytes; node reads them as UTF-8, with U+FFFD for the byte that is not
  const odd = await run(['related', root, 'lat\uFFFD.py:1', '--index-dir', indexDir, '--lexical-only']);
  assert.equal(odd.code, 1, odd.stderr);
  assert.match(lastLine(odd), /^codescout: no indexed code at lat\uFFFD\.py:1: the file is not indexed: its name, or a folder's on its path, is not valid UTF-8/);
});
