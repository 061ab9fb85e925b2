/**
 * The extension's logic that needs no editor: the search filter syntax, the palette's title,
 * settings, the status bar's wording, the restart policy, latency summaries, definition-header
 * detection and how hovers tell definitions, uses, comments and strings apart.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { homedir } from 'node:os';
import * as path from 'node:path';
import type { DefinitionEntry, FolderHit, FolderStatus, QueryResult } from '../src/protocol/protocol';
import { isHeaderLine } from '../src/extension/definition-header';
import { containing, definitionHere, inCommentOrString, isMemberAccess, onlyNamed, resolveByName } from '../src/extension/hover-lookup';
import { kindIcon } from '../src/extension/kind-icons';
import { LatencySamples, percentile } from '../src/extension/latency';
import { parseQuery } from '../src/extension/query-syntax';
import { RestartPolicy } from '../src/extension/restart-policy';
import { resultTitle } from '../src/extension/result-title';
import { DEFAULT_MAX_RESULTS, editorSettings, folderOptions, type ConfigSource } from '../src/extension/settings';
import { folderLine, statusView } from '../src/extension/status-view';

function config(values: Record<string, unknown>): ConfigSource {
  return { get: <T>(key: string) => values[key] as T | undefined };
}

function folder(over: Partial<FolderStatus> = {}): FolderStatus {
  return {
    version: 1,
    root: '/w/app',
    name: 'app',
    state: 'ready',
    contents: { files: 310, chunks: 1500, definitions: 1204, languages: { python: 900, markdown: 300 } },
    partial: false,
    mode: 'hybrid',
    refreshes: 1,
    generation: 1,
    ...over,
  };
}

function definition(name: string, startLine: number, endLine: number, over: Partial<DefinitionEntry> = {}): DefinitionEntry {
  return {
    root: '/w/app',
    path: 'src/text.py',
    name,
    kind: 'function',
    startLine,
    endLine,
    signature: `def ${name}(text):`,
    related: [{ root: '/w/app', path: 'src/other.py', name: `near_${name}`, kind: 'function', startLine: 1, endLine: 2 }],
    ...over,
  };
}

test('query syntax: lang: and path: tokens become filters, the rest is the query', () => {
  assert.deepEqual(parseQuery('retry with backoff lang:py path:src/**'), {
    text: 'retry with backoff',
    languages: ['py'],
    paths: ['src/**'],
  });
  assert.deepEqual(parseQuery('lang:py,ts  LANG:go parse'), { text: 'parse', languages: ['py', 'ts', 'go'], paths: [] });
  assert.deepEqual(parseQuery('open path:"my docs/**" file'), { text: 'open file', languages: [], paths: ['my docs/**'] });
  assert.deepEqual(parseQuery('parse lang: path:'), { text: 'parse', languages: [], paths: [] }, 'empty values while typing are ignored');
  assert.deepEqual(parseQuery('std::vector http://x'), { text: 'std::vector http://x', languages: [], paths: [] }, 'other colons are query text');
  assert.deepEqual(parseQuery('   '), { text: '', languages: [], paths: [] });
});

test('palette title: the corrected query first when a word was corrected, then the count and the index’s state', () => {
  const hit = { name: 'parse_config' } as FolderHit;
  const result: QueryResult = { hits: [hit, hit], partial: false, lexicalOnly: false, failures: [] };
  assert.equal(resultTitle(result), 'Code Scout — 2 results');
  assert.equal(resultTitle({ ...result, searchedFor: 'parse configuration' }), 'Code Scout — Showing results for “parse configuration” · 2 results');
  assert.equal(
    resultTitle({ ...result, hits: [hit], searchedFor: 'parse configuration', partial: true, failures: [{ root: '/w/b', message: 'x' }] }),
    'Code Scout — Showing results for “parse configuration” · 1 result · index still being built: partial results · 1 folder(s) could not answer',
  );
});

test('settings: globs, files.exclude patterns that are on, bounded numbers, spelling, index location', () => {
  const root = '/w/app';
  const options = folderOptions(
    root,
    config({ include: ['src/**', '', 3], exclude: [' **/fixtures/** '], maxFileBytes: 2048.4, inferenceThreads: 0, correctSpelling: false, indexLocation: '~/idx' }),
    config({ exclude: { '**/.git': true, '**/*.log': true, '**/tmp': false, '**/*.js': { when: '$(basename).ts' } } }),
  );
  assert.deepEqual(options, {
    include: ['src/**'],
    exclude: ['**/fixtures/**', '**/.git', '**/*.log'],
    maxFileBytes: 2048,
    threads: 1,
    spelling: false,
    indexLocation: path.join(homedir(), 'idx'),
  });
  assert.equal(folderOptions(root, config({ indexLocation: '.index' }), config({})).indexLocation, path.join(root, '.index'));
  assert.equal(folderOptions(root, config({ indexLocation: '/abs' }), config({})).indexLocation, '/abs');
  const defaults = folderOptions(root, config({}), config({}));
  assert.deepEqual(defaults, { include: [], exclude: [], maxFileBytes: 1024 * 1024, threads: 1, spelling: true, indexLocation: '' });

  assert.deepEqual(editorSettings(config({})), { maxResults: DEFAULT_MAX_RESULTS, hoverEnabled: true, indexOnOpen: true });
  assert.deepEqual(editorSettings(config({ maxResults: 1000, 'hover.enabled': false, indexOnOpen: false })), {
    maxResults: 200,
    hoverEnabled: false,
    indexOnOpen: false,
  });
});

test('status bar: indexing with %, ready with the number of functions, stale, error, engine states', () => {
  const indexing = folder({ state: 'indexing', progress: { phase: 'parse', done: 30, total: 100, reason: 'open', percent: 30 } });
  assert.equal(statusView([indexing], 'running').text, '$(sync~spin) Code Scout: indexing 30%');
  assert.equal(statusView([indexing, folder({ root: '/w/b', name: 'b', state: 'indexing', progress: { ...indexing.progress!, percent: 70 } })], 'running').plain, 'Code Scout: indexing 50%');
  const ready = statusView([folder(), folder({ root: '/w/b', name: 'b' })], 'running');
  assert.equal(ready.text, '$(search) Code Scout: 2,408 functions');
  assert.equal(ready.level, 'ready');
  assert.match(ready.tooltip, /app: ready, 1,204 functions in 310 files/);

  assert.equal(statusView([folder({ state: 'stale', refreshes: 0 })], 'running').level, 'warning');
  assert.match(folderLine(folder({ state: 'stale', refreshes: 0 })), /not indexed this session/);
  assert.match(folderLine(folder({ state: 'stale', refreshes: 2 })), /indexing was cancelled/);
  const error = statusView([folder(), folder({ state: 'error', lastError: 'disk full' })], 'running');
  assert.equal(error.level, 'error');
  assert.match(error.tooltip, /error: disk full/);

  assert.match(statusView([folder({ mode: 'lexical-only' })], 'running').tooltip, /No embedding model is installed/);
  assert.equal(statusView([folder()], 'restarting').plain, 'Code Scout: restarting');
  assert.equal(statusView([folder()], 'failed').level, 'error');
  assert.equal(statusView([], 'stopped').plain, 'Code Scout: idle');
});

test('restart policy: growing delays, a limit on crashes in a row, and a reset after a stable run', () => {
  const policy = new RestartPolicy([100, 200, 400], 4, 60_000);
  assert.deepEqual([1, 2, 3, 4].map(() => policy.onCrash(1000)), [100, 200, 400, 400]);
  assert.equal(policy.onCrash(1000), undefined, 'the fifth crash in a row stops restarts');
  assert.equal(policy.onCrash(60_000), 100, 'a process that stayed up long enough starts a new streak');
  assert.equal(policy.streak, 1);
  policy.onCrash(10);
  policy.reset();
  assert.equal(policy.onCrash(10), 100);
});

test('latency samples: nearest-rank percentiles over the kept samples', () => {
  const samples = new LatencySamples();
  for (let ms = 1; ms <= 100; ms++) samples.record(ms);
  const s = samples.summary();
  assert.deepEqual([s.count, s.p50, s.p95, s.max], [100, 50, 95, 100]);
  assert.equal(s.samples.length, 100);
  assert.equal(percentile([], 95), 0);
  assert.equal(percentile([7], 95), 7);
  for (let i = 0; i < 1000; i++) samples.record(1);
  assert.equal(samples.summary().count, 1000, 'only the latest samples are kept');
});

test('definition headers: the first header line matches, comments and bodies do not', () => {
  assert.ok(isHeaderLine('def parse_config(text):', 'def parse_config(text):'));
  assert.ok(isHeaderLine('  export function login(user: string,', 'export function login(user: string, password: string): Session | undefined {'));
  assert.ok(isHeaderLine('def f(): return 1', 'def f():'), 'a one-line definition');
  assert.ok(isHeaderLine('x'.repeat(300), `${'x'.repeat(199)}…`), 'a long signature cut by the engine');
  assert.ok(!isHeaderLine('    # parse_config reads the file', 'def parse_config(text):'));
  assert.ok(!isHeaderLine('    return parse_config(text)', 'def parse_config(text):'));
  assert.ok(!isHeaderLine('   ', 'def parse_config(text):'));
});

test('hover lookup: the header of a definition, the innermost definition at a line, names that are unique', () => {
  const outer = definition('parse', 1, 20, { kind: 'class', signature: 'class parse:' });
  const inner = definition('parse', 5, 9);
  const other = definition('split', 11, 14);
  const file = [outer, inner, other];
  assert.equal(definitionHere(file, 5, 'parse', '    def parse(text):'), inner, 'the innermost definition of that name');
  assert.equal(definitionHere(file, 6, 'parse', '        return parse(text[1:])'), undefined, 'a recursive call is not the header');
  assert.equal(definitionHere(file, 11, 'parse', 'def split(text):'), undefined, 'another definition’s header');
  assert.equal(definitionHere(file, 30, 'split', 'def split(text):'), undefined, 'outside every definition');
  assert.equal(containing(file, 12, 'split'), other);
  assert.equal(containing(file, 12, 'parse'), outer);
  assert.equal(onlyNamed(file, 'split'), other);
  assert.equal(onlyNamed(file, 'parse'), undefined, 'two definitions of the name: ambiguous');
  assert.equal(onlyNamed(file, 'join'), undefined);
});

test('hover lookup: resolving a name from the index prefers the folder and refuses to guess', () => {
  const here = definition('load', 1, 3);
  const elsewhere = definition('load', 1, 3, { root: '/w/lib' });
  assert.equal(resolveByName([elsewhere, here], '/w/app'), here, 'the one in the hovered file’s folder');
  assert.equal(resolveByName([elsewhere], '/w/app'), elsewhere, 'the only one anywhere');
  assert.equal(resolveByName([here, definition('load', 8, 9, { path: 'b.py' })], '/w/app'), undefined, 'two in the folder');
  assert.equal(resolveByName([], '/w/app'), undefined);
});

test('hover lookup: comments and strings on the line are not code', () => {
  const at = (line: string, word: string, languageId: string) => inCommentOrString(line, line.indexOf(word), languageId);
  assert.ok(at('  // calls parse_config first', 'parse_config', 'typescript'));
  assert.ok(at('  x = 1  # then parse_config', 'parse_config', 'python'));
  assert.ok(at(' * Uses parseConfig to read it.', 'parseConfig', 'javascript'), 'a block comment’s body line');
  assert.ok(at('/** parseConfig */ const x = parseConfig(text);', 'parseConfig', 'typescript'), 'inside the block comment');
  assert.ok(!inCommentOrString('/** parseConfig */ const x = parseConfig(text);', 29, 'typescript'), 'after the block comment closed');
  assert.ok(at('    """Calls parse_config on the text."""', 'parse_config', 'python'), 'a one-line docstring');
  assert.ok(at('log("parseConfig failed")', 'parseConfig', 'typescript'));
  assert.ok(at("log('it\\'s parseConfig')", 'parseConfig', 'typescript'), 'an escaped quote does not end the string');
  assert.ok(!at('const url = "http://x"; parseConfig(url);', 'parseConfig', 'typescript'), '// inside a string is no comment');
  assert.ok(!at('return `#${slugify(title)}`;', 'slugify', 'typescript'), 'code in a template literal');
  assert.ok(!at('`${a} and ${ {x: 1}.x + parse(y)}`', 'parse', 'typescript'), 'braces inside the interpolation');
  assert.ok(at('`${a} parse ${b}`', 'parse', 'typescript'), 'text of a template literal after an interpolation');
  assert.ok(at('`${a} parse`', 'parse', 'go'), 'a Go raw string has no interpolations');
  assert.ok(!at('    return parse_config(text)  # cached', 'parse_config', 'python'));
  assert.ok(!at('value = items[0] // 2 + parse(x)', 'parse', 'python'), 'Python has no // comments');
  assert.ok(!at("fn first<'a>(s: &'a str) -> &'a str { parse(s) }", 'parse', 'rust'), 'a Rust lifetime is no quote');
});

test('hover lookup: members of other values are left to the language, own members and plain names are not', () => {
  const at = (line: string, word: string) => isMemberAccess(line, line.lastIndexOf(word));
  assert.ok(at('cache.get(key)', 'get'));
  assert.ok(at('user?.name', 'name'));
  assert.ok(at('std::parse(text)', 'parse'));
  assert.ok(at('config.load().parse()', 'parse'), 'a call result as receiver');
  assert.ok(!at('self.parse(text)', 'parse'));
  assert.ok(!at('this.parse(text)', 'parse'));
  assert.ok(!at('return parse(text)', 'parse'));
});

test('kind icons: a codicon per kind, and a fallback', () => {
  assert.equal(kindIcon('method'), 'symbol-method');
  assert.equal(kindIcon('window'), 'symbol-file');
  assert.equal(kindIcon('toString'), 'symbol-misc', 'object prototype names are not kinds');
});
