/**
 * The engine process's leveled log (src/server/log.ts): only the lines at the level the client
 * asked for are sent, a setLogLevel notification is checked before use (a hostile level is
 * refused, never looked up on a plain object), and the lines say counts and timings, never a
 * query's or a file's text.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IndexSummary } from '../src/engine/engine';
import type { LogParams, QueryParams } from '../src/protocol/protocol';
import {
  DEFAULT_LOG_LEVEL,
  Logger,
  MAX_TRACE_LINES,
  openedLine,
  queryTimingLine,
  refreshFinishedLine,
  refreshStartedLine,
  skippedPathLines,
  skipSummaryLine,
} from '../src/server/log';
import { InvalidRequestError, setLogLevelParams } from '../src/server/requests';

function logger(): { log: Logger; sent: LogParams[] } {
  const sent: LogParams[] = [];
  return { log: new Logger((p) => sent.push(p)), sent };
}

function everyLevel(log: Logger): void {
  log.log('error', 'e');
  log.log('warn', 'w');
  log.log('info', 'i', '/w/app');
  log.log('debug', 'd');
  log.log('trace', 't');
}

test('log levels: a level sends itself and the more severe ones; off sends nothing; info until the client says', () => {
  assert.equal(DEFAULT_LOG_LEVEL, 'info');
  const expected = new Map([
    ['off', []],
    ['error', ['e']],
    ['warn', ['e', 'w']],
    ['info', ['e', 'w', 'i']],
    ['debug', ['e', 'w', 'i', 'd']],
    ['trace', ['e', 'w', 'i', 'd', 't']],
  ] as const);
  const fresh = logger();
  everyLevel(fresh.log);
  assert.deepEqual(fresh.sent.map((p) => p.message), ['e', 'w', 'i'], 'before setLogLevel: info');
  for (const [level, messages] of expected) {
    const { log, sent } = logger();
    log.setLevel(level);
    assert.equal(log.level, level);
    everyLevel(log);
    assert.deepEqual(sent.map((p) => p.message), messages, level);
    assert.ok(sent.every((p) => p.level === ({ e: 'error', w: 'warn', i: 'info', d: 'debug', t: 'trace' } as const)[p.message as 'e']), 'each line says its level');
  }
  const { log, sent } = logger();
  log.log('info', 'in a folder', '/w/app');
  assert.deepEqual(sent, [{ root: '/w/app', level: 'info', message: 'in a folder' }]);
  assert.equal(log.enabled('debug'), false);
  log.setLevel('trace');
  assert.equal(log.enabled('debug'), true);
});

test('setLogLevel: only the six level names pass; anything else is an InvalidRequestError, and the logger keeps its level', () => {
  for (const level of ['off', 'error', 'warn', 'info', 'debug', 'trace']) assert.deepEqual(setLogLevelParams({ level }), { level });
  const hostile: unknown[] = [
    undefined,
    null,
    42,
    'info',
    ['info'],
    {},
    { level: 'INFO' },
    { level: 'warning' },
    { level: 3 },
    { level: null },
    { level: '__proto__' },
    { level: 'constructor' },
    { level: 'toString' },
    { level: 'hasOwnProperty' },
    { level: 'x'.repeat(100_000) },
    JSON.parse('{"__proto__": {"level": "debug"}}'),
    Object.create({ level: 'debug' }),
  ];
  for (const params of hostile) {
    assert.throws(() => setLogLevelParams(params), InvalidRequestError, JSON.stringify(params)?.slice(0, 80));
  }
  const tooLong = (() => {
    try {
      setLogLevelParams({ level: 'x'.repeat(100_000) });
    } catch (err) {
      return (err as Error).message;
    }
  })();
  assert.ok(tooLong && tooLong.length < 200, 'the refusal does not repeat what was sent');

  const { log, sent } = logger();
  log.setLevel('warn');
  for (const level of ['__proto__', 'constructor', 'verbose', '']) {
    assert.throws(() => log.setLevel(level as 'info'), RangeError);
    assert.equal(log.level, 'warn', `${level} left the level as it was`);
  }
  assert.equal(log.enabled('__proto__' as 'info'), false, 'an unknown level is never sent');
  log.log('constructor' as 'info', 'x');
  assert.deepEqual(sent, []);
});

const summary = (over: Partial<IndexSummary> = {}): IndexSummary => ({
  mode: 'hybrid',
  model: 'm',
  files: 310,
  filesParsed: 12,
  filesRemoved: 1,
  chunks: 1500,
  chunksEmbedded: 30,
  chunksFromCache: 2,
  skipped: {},
  skippedFiles: [],
  seconds: 2.34,
  time: { scan: 0, waitingForParse: 0, embed: 0, index: 0, write: 0 },
  cancelled: false,
  ...over,
});

test('log lines: the index opened, a refresh started and finished, the skips by reason and per path', () => {
  const contents = { files: 310, chunks: 1500, definitions: 1200, languages: {} };
  assert.equal(openedLine('app', contents, 'codescout-code-v1', 1.234), 'app: index opened: 310 files, 1500 chunks; hybrid search with the model codescout-code-v1 (1.2 s)');
  assert.match(openedLine('app', { ...contents, files: 1, chunks: 1 }, undefined, 0.01), /^app: index opened: 1 file, 1 chunk; lexical-only search/);
  assert.equal(refreshStartedLine('app', 'open', undefined), 'app: refresh started (open): scanning the folder');
  assert.equal(refreshStartedLine('app', 'changes', 3), 'app: refresh started (changes): looking at 3 changed paths');
  assert.equal(
    refreshFinishedLine('app', 'user', summary()),
    'app: refresh finished (user) in 2.3 s: 12 files added or changed, 1 removed (30 embedded, 2 from the embedding cache); the index holds 310 files, 1500 chunks',
  );
  assert.match(refreshFinishedLine('app', 'open', summary({ cancelled: true, mode: 'lexical-only' })), /^app: refresh cancelled \(open\) in 2\.3 s: 12 files added or changed, 1 removed; /);
  assert.equal(skipSummaryLine('app', {}), 'app: skipped nothing');
  assert.equal(
    skipSummaryLine('app', { binary: 2, unsupported: 30, 'too-large': 2, generated: 1, minified: 0 }),
    'app: skipped 35 paths: unsupported 30, binary 2, too-large 2, generated 1',
  );
  const skipped = [
    { path: 'a.bin', reason: 'binary' as const },
    { path: 'big.json', reason: 'too-large' as const, detail: '2000000 bytes' },
  ];
  assert.deepEqual(skippedPathLines('app', skipped), ['app: skipped a.bin: binary', 'app: skipped big.json: too-large (2000000 bytes)']);
  const many = Array.from({ length: MAX_TRACE_LINES + 5 }, (_, i) => ({ path: `f${i}`, reason: 'binary' as const }));
  const lines = skippedPathLines('app', many);
  assert.equal(lines.length, MAX_TRACE_LINES + 1);
  assert.equal(lines.at(-1), 'app: … and 5 more skipped paths');
});

test('request timings give the query’s length, never its text', () => {
  const secret = 'def password_hash(secret_value): return sha(secret_value)';
  const p: QueryParams = { text: secret, top: 20, languages: ['py'], paths: ['src/**'] };
  const answer = { hits: [{} as never, {} as never], partial: false, lexicalOnly: false, failures: [] };
  const similar = queryTimingLine('similar', p, answer, 12.6);
  assert.equal(similar, `similar: ${secret.length} characters of code, top 20, 2 filters, every folder: 2 hits in 13 ms`);
  const search = queryTimingLine('search', { text: 'parse config', top: 5, root: '/w/app' }, undefined, 3);
  assert.equal(search, 'search: a query of 12 characters, top 5, 0 filters, one folder: failed in 3 ms');
  for (const line of [similar, search]) {
    assert.doesNotMatch(line, /password|secret|parse|config|src\/\*\*|py\b/, 'no query text, filter or folder in the line');
  }
});
