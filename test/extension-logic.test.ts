/**
 * The extension's logic that needs no editor: the search filter syntax, the palette's title,
 * settings, the status bar's wording, the restart policy, latency summaries, definition-header
 * detection and how hovers tell definitions, uses, comments and strings apart.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import * as path from 'node:path';
import { marked, type Token } from 'marked';
import { inlineText, renderLabel } from './helpers/vscode-text';
import type { DefinitionEntry, FolderHit, FolderStatus, QueryResult } from '../src/protocol/protocol';
import { SOME_HIT } from './helpers/hits';
import { PACKAGE_ROOT } from './helpers/workspace';
import { isHeaderLine } from '../src/extension/definition-header';
import { codeLine, commandUri, escapeIcons, labelText, markdownText, noticeText, oneLine } from '../src/extension/display-text';
import { containing, definitionHere, inCommentOrString, isMemberAccess, onlyNamed, resolveByName } from '../src/extension/hover-lookup';
import { kindIcon } from '../src/extension/kind-icons';
import { LatencySamples, percentile } from '../src/extension/latency';
import { engineLogLevel, StderrLines, logAt, LogRing, logLevelOf, MAX_KEPT_LINE, MAX_PENDING_LINE, RecordingLogChannel } from '../src/extension/log-channel';
import { FakeLogChannel, LogLevel } from './helpers/fake-log-channel';
import type { LogLevel as LogLevelValue } from 'vscode';
import { parseQuery } from '../src/extension/query-syntax';
import { RestartPolicy } from '../src/extension/restart-policy';
import { hitItem, OPEN_LOCATION_COMMAND, relatedMarkdownValue } from '../src/extension/result-text';
import { resultTitle } from '../src/extension/result-title';
import { selectedLines } from '../src/extension/selection-lines';
import { NOT_INDEXED_TEXT } from '../src/extension/sidebar/empty-states';
import { DEFAULT_MAX_RESULTS, editorSettings, engineProcessArgs, folderOptions, type ConfigSource } from '../src/extension/settings';
import { canCancelIndexing, folderLine, nothingIndexed, statusView, type EngineState, type WorkspaceState } from '../src/extension/status-view';
import { checkLocation, parseLocation, resolveLocation, type CodeLocation } from '../src/extension/workspace-path';

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
  assert.equal(resultTitle({ ...result, weak: true }), 'Code Scout — 2 results · no strong match: nothing in the code uses these words');
  const filtered = { text: 'parse', languages: [], paths: ['lib/**'] };
  assert.equal(resultTitle({ ...result, hits: [], emptyBecause: 'path' }, filtered), 'Code Scout — No indexed file matches the path filter “lib/**”.');
  assert.equal(resultTitle({ ...result, hits: [] }, filtered), 'Code Scout — 0 results', 'an empty answer the filters do not explain');
  // a workspace never indexed: the empty answer says so, and what to do; the filters' reason comes first
  const plain = { text: 'parse', languages: [], paths: [] };
  assert.equal(resultTitle({ ...result, hits: [] }, plain, true), `Code Scout — ${NOT_INDEXED_TEXT}`);
  assert.equal(resultTitle({ ...result, hits: [], emptyBecause: 'path' }, filtered, true), 'Code Scout — No indexed file matches the path filter “lib/**”.');
  assert.equal(resultTitle(result, plain, true), 'Code Scout — 2 results', 'results are results');
  // with a filter, only the code it lets through was looked at: the words may be elsewhere
  assert.equal(resultTitle({ ...result, weak: true }, filtered), 'Code Scout — 2 results · no strong match: nothing the filters let through uses these words');
  assert.equal(resultTitle({ ...result, weak: true }, { text: 'parse', languages: [], paths: [] }), 'Code Scout — 2 results · no strong match: nothing in the code uses these words');
});

test('settings: the engine process runs at a lower priority unless the setting is off', () => {
  assert.deepEqual(engineProcessArgs(config({})), ['--nice', '10', '--restart-above-mb', '400']);
  assert.deepEqual(engineProcessArgs(config({ lowerEnginePriority: true })), ['--nice', '10', '--restart-above-mb', '400']);
  assert.deepEqual(engineProcessArgs(config({ lowerEnginePriority: false })), ['--restart-above-mb', '400']);
});

test('settings: the memory above which the engine asks to be replaced after indexing, 0 for never', () => {
  const limit = (value: unknown) => engineProcessArgs(config({ lowerEnginePriority: false, restartEngineAboveMb: value }));
  assert.deepEqual(limit(0), ['--restart-above-mb', '0']);
  assert.deepEqual(limit(650.4), ['--restart-above-mb', '650']);
  assert.deepEqual(limit(-5), ['--restart-above-mb', '0']);
  assert.deepEqual(limit('big'), ['--restart-above-mb', '400']);
  assert.deepEqual(limit(Number.NaN), ['--restart-above-mb', '400']);
  // the package's declared default is the one the engine uses when the setting is absent
  const declared = JSON.parse(readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')).contributes.configuration;
  const sections: { properties: Record<string, { default?: unknown }> }[] = Array.isArray(declared) ? declared : [declared];
  const setting = sections.map((c) => c.properties['codescout.restartEngineAboveMb']).find(Boolean);
  assert.equal(setting?.default, 400);
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

  assert.deepEqual(editorSettings(config({})), { maxResults: DEFAULT_MAX_RESULTS, hoverEnabled: true, hoverCallSites: false, indexOnOpen: true });
  assert.deepEqual(editorSettings(config({ maxResults: 1000, 'hover.enabled': false, 'hover.callSites': true, indexOnOpen: false })), {
    maxResults: 200,
    hoverEnabled: false,
    hoverCallSites: true,
    indexOnOpen: false,
  });
  assert.equal(editorSettings(config({ 'hover.callSites': 'yes' })).hoverCallSites, false, 'only true turns call-site hovers on');
});

/** The workspace as the status views see it: one open folder per status unless told otherwise. */
function ws(folders: FolderStatus[], engine: EngineState = 'running', over: Partial<WorkspaceState> = {}): WorkspaceState {
  return { folderCount: folders.length, folders, engine, indexOnOpen: true, ...over };
}

test('status bar: indexing with %, ready with the number of functions, stale, error, engine states', () => {
  const indexing = folder({ state: 'indexing', progress: { phase: 'parse', done: 30, total: 100, reason: 'open', percent: 30 } });
  assert.equal(statusView(ws([indexing])).text, '$(sync~spin) Code Scout: indexing 30%');
  assert.equal(statusView(ws([indexing])).kind, 'indexing');
  assert.deepEqual(statusView(ws([indexing])).actions.map((a) => a.command), ['cancel']);
  assert.equal(statusView(ws([indexing])).canReindex, false, 'Reindex is not offered while indexing');
  assert.equal(statusView(ws([indexing, folder({ root: '/w/b', name: 'b', state: 'indexing', progress: { ...indexing.progress!, percent: 70 } })])).plain, 'Code Scout: indexing 50%');
  const ready = statusView(ws([folder(), folder({ root: '/w/b', name: 'b' })]));
  assert.equal(ready.text, '$(search) Code Scout: 2,408 functions');
  assert.equal(ready.level, 'ready');
  assert.equal(ready.kind, 'ready');
  assert.equal(ready.canReindex, true);
  assert.match(ready.tooltip, /app: ready, 1,204 functions in 310 files/);

  assert.equal(statusView(ws([folder({ state: 'stale', refreshes: 0 })])).level, 'warning');
  // a stale folder whose asked-for Reindex has not begun yet is about to be indexed: not a warning for that instant
  const asked = statusView(ws([folder({ state: 'stale', refreshes: 0 })], 'running', { reindexPending: true }));
  assert.deepEqual([asked.kind, asked.text, asked.level, asked.indexing, asked.canReindex], ['indexing', '$(sync~spin) Code Scout: indexing 0%', 'busy', true, false]);
  assert.equal(statusView(ws([folder({ state: 'error', lastError: 'x' })], 'running', { reindexPending: true })).kind, 'error', 'an error still shows');
  assert.match(folderLine(folder({ state: 'stale', refreshes: 0 })), /not indexed this session/);
  // Cancel Indexing is offered (status menu) only where it stops something: not for a refresh after a save
  assert.ok(canCancelIndexing([folder(), indexing]));
  assert.ok(canCancelIndexing([folder({ ...indexing, partial: false, progress: { ...indexing.progress!, reason: 'user' } })]));
  const routine = folder({ state: 'indexing', progress: { phase: 'parse', done: 1, total: 2, reason: 'changes', percent: 50 } });
  assert.ok(!canCancelIndexing([folder(), routine]), 'a refresh after a save is not cancelled');
  assert.ok(canCancelIndexing([folder({ ...routine, partial: true })]), 'changes while the first index is built: that index is cancelled');
  assert.match(folderLine(folder({ state: 'stale', refreshes: 2 })), /indexing was cancelled/);
  assert.match(folderLine(folder({ state: 'ready', otherWriter: true })), /: another process is updating the index, .* saved so far; taken over once it is done$/);
  const error = statusView(ws([folder(), folder({ state: 'error', lastError: 'disk full' })]));
  assert.equal(error.level, 'error');
  assert.match(error.tooltip, /error: disk full/);
  assert.match(error.message, /could not be used: disk full/);

  assert.equal(statusView(ws([folder()], 'restarting')).plain, 'Code Scout: restarting');
  assert.equal(statusView(ws([folder()], 'failed')).level, 'error');
  assert.deepEqual(statusView(ws([folder()], 'failed')).actions.map((a) => a.command), ['restartEngine', 'showLog']);
});

test('status: each state of the workspace has its own words, tooltip and actions', () => {
  // no folder open: never "starting", never "open a folder" while one is open
  const none = statusView(ws([], 'stopped'));
  assert.equal(none.kind, 'no-folder');
  assert.equal(none.plain, 'Code Scout: no folder');
  assert.match(none.tooltip, /no folder is open/);
  assert.equal(none.canReindex, false);
  assert.deepEqual(none.actions.map((a) => a.command), ['openFolder']);
  assert.equal(statusView(ws([], 'running')).kind, 'no-folder', 'a running engine with no folder is still "no folder"');

  // a folder is open, indexing on open is off and nothing ran yet: not "idle", not "open a folder"
  const off = statusView(ws([], 'stopped', { folderCount: 1, indexOnOpen: false }));
  assert.equal(off.kind, 'not-indexed');
  assert.doesNotMatch(off.tooltip, /open a folder/i);
  assert.match(off.message, /indexing on open is off/);
  assert.match(off.tooltip, /Run Reindex to index it \(a search answers from what is indexed, here nothing\)\.$/, 'a search does not index it');
  assert.deepEqual(off.actions.map((a) => a.command), ['reindex']);
  // the engine started (a search, an agent) with indexing on open off: the folder opened with nothing in it is
  // "not indexed", as before the engine started, not "may be out of date"
  const empty = { files: 0, chunks: 0, definitions: 0, languages: {} };
  const never = folder({ state: 'stale', refreshes: 0, contents: empty, neverSaved: true });
  const opened = statusView(ws([never], 'running', { indexOnOpen: false }));
  assert.deepEqual([opened.kind, opened.plain, opened.level], ['not-indexed', 'Code Scout: not indexed', 'ready']);
  assert.equal(opened.message, off.message);
  assert.deepEqual(opened.actions.map((a) => a.command), ['reindex']);
  assert.match(opened.tooltip, /^app: not indexed; run Reindex\nRun Reindex to index it/);
  assert.ok(nothingIndexed(ws([never])));
  // one folder of two never indexed: named; one indexed before and not refreshed yet stays "may be out of date"
  const mixed = statusView(ws([folder(), folder({ ...never, root: '/w/b', name: 'b' })]));
  assert.deepEqual([mixed.kind, mixed.message], ['stale', 'Not indexed yet: b. Run Reindex to index it.']);
  assert.ok(!nothingIndexed(ws([folder(), never])));
  assert.match(statusView(ws([folder({ state: 'stale', refreshes: 0 })])).message, /^The index may be out of date: it was not brought up to date this session\.$/);
  assert.ok(!nothingIndexed(ws([folder({ state: 'stale', refreshes: 0 })])), 'an index from an earlier session');
  assert.ok(!nothingIndexed(ws([folder({ state: 'stale', refreshes: 1, contents: empty, neverSaved: true })])), 'indexing was cancelled before a file was read');
  // an index saved for a folder with nothing to index is an index: not "not indexed" at every start
  const emptyFolder = statusView(ws([folder({ state: 'stale', refreshes: 0, contents: empty })], 'running', { indexOnOpen: false }));
  assert.deepEqual([emptyFolder.kind, emptyFolder.message], ['stale', 'The index may be out of date: it was not brought up to date this session.']);
  assert.ok(!nothingIndexed(ws([])), 'no folder: another answer');
  const starting = statusView(ws([], 'starting', { folderCount: 1 }));
  assert.equal(starting.kind, 'starting');
  assert.doesNotMatch(starting.tooltip, /open a folder/i);

  // no embedding model: ready, but words only, and said so
  const noModel = statusView(ws([folder({ mode: 'lexical-only' })]));
  assert.equal(noModel.kind, 'no-model');
  assert.equal(noModel.level, 'warning');
  assert.match(noModel.tooltip, /No embedding model/);
  assert.match(noModel.plain, /words only/);

  // a Reindex that found nothing to do: "up to date"; one that changed files: plain ready
  const report = { reason: 'user' as const, filesParsed: 0, filesRemoved: 0, chunksEmbedded: 0, chunksFromCache: 0, seconds: 0.2, cancelled: false };
  const upToDate = statusView(ws([folder({ lastRefresh: report })]));
  assert.equal(upToDate.kind, 'up-to-date');
  assert.equal(upToDate.message, 'Index is up to date: 1,204 functions.');
  assert.match(folderLine(folder({ lastRefresh: report })), /app: up to date/);
  assert.equal(statusView(ws([folder({ lastRefresh: { ...report, filesParsed: 3 } })])).kind, 'ready');
  assert.equal(statusView(ws([folder({ lastRefresh: { ...report, reason: 'changes' } })])).kind, 'ready', 'only a Reindex the user asked for says up to date');
  assert.equal(statusView(ws([folder({ lastRefresh: { ...report, cancelled: true } })])).kind, 'ready');
});

test('status: a save that re-indexes one file does not flip the status to "indexing 0%"', () => {
  const saving = folder({ state: 'indexing', progress: { phase: 'parse', done: 0, total: 1, reason: 'changes', percent: 0 } });
  const view = statusView(ws([saving]));
  assert.equal(view.kind, 'ready');
  assert.equal(view.plain, 'Code Scout: 1,204 functions');
  assert.equal(view.indexing, false);
  assert.match(view.tooltip, /app: ready, 1,204 functions in 310 files; updating 1 changed file/);
  // but a first index (partial answers) is indexing, whatever started it
  const first = folder({ state: 'indexing', partial: true, progress: { phase: 'parse', done: 5, total: 100, reason: 'changes', percent: 5 } });
  assert.equal(statusView(ws([first])).kind, 'indexing');
  assert.match(statusView(ws([first])).message, /results cover the part indexed so far/);
  // and a Reindex is
  assert.equal(statusView(ws([folder({ state: 'indexing', progress: { phase: 'parse', done: 0, total: 1, reason: 'user', percent: 0 } })])).kind, 'indexing');
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

/** Repository content that means something to labels, Markdown, links or terminals. */
const HOSTILE_TEXT = [
  '$(alert) click me',
  'a$(sync~spin)b$(eye)',
  '\\$(eye) already escaped',
  '$(not an icon) $( $()',
  'two\nlines\r\n',
  'tab\there',
  '\u001b]0;title\u0007\u001b[2J',
  'rtl \u202egnp.exe',
  'sep\u2028para\u2029',
  '[click](command:workbench.action.terminal.sendSequence?%7B%22text%22%3A%22rm%22%7D)',
  '*bold* _em_ `code` ~~strike~~ # h',
  '<img src=x onerror=alert(1)> &lt;b&gt; &amp;',
  'a)b(c]d[e',
  'x "quoted" \'single\'',
  'https://evil.example/ www.evil.example',
  '1. list\n- item\n> quote',
  '\\',
  'constructor',
  '__proto__',
];

test('labels: repository text shows as text, never as icons; controls become visible escapes', () => {
  for (const text of HOSTILE_TEXT) {
    const rendered = renderLabel(labelText(text));
    assert.deepEqual(rendered.icons, [], `no icon from ${JSON.stringify(text)}`);
    assert.equal(rendered.shown, oneLine(text), `shown as written: ${JSON.stringify(text)}`);
    assert.doesNotMatch(labelText(text), /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/, 'one line, no controls');
  }
  assert.equal(escapeIcons('$(alert)'), '\\$(alert)', 'a backslash before the icon syntax, as VS Code escapes icons');
  assert.equal(escapeIcons('\\$(eye)'), '\\\\$(eye)', 'an escaped icon keeps its own backslash in view');
  assert.equal(escapeIcons('$(not an icon) costs $(5'), '$(not an icon) costs $(5', 'text that is no icon is left alone');
  assert.equal(oneLine('a\nb\r\tc'), 'a\\nb\\r\\tc');
  assert.equal(oneLine('\u001b[2J\u007f\u0085'), '\\x1b[2J\\x7f\\x85');
  assert.equal(oneLine('\u202eabc\u2066'), '\\u{202e}abc\\u{2066}');
  assert.equal(oneLine('naïve — 漢字 🙂'), 'naïve — 漢字 🙂', 'other text is unchanged');
  assert.equal(codeLine('\tif x:\r'), '  if x:\\r', 'tabs in code are spaces');
});

test('palette items: the kind icon is the only icon; names, paths and code are text on one line', () => {
  for (const text of HOSTILE_TEXT) {
    const hit: FolderHit = {
      root: '/w',
      path: `src/${text}.py`,
      startLine: 7,
      endLine: 9,
      name: text,
      kind: 'function',
      score: 1,
      matchedBy: 'both',
      language: 'python',
      container: text,
      signature: `def f(): # ${text}`,
      snippet: `return "${text}"`,
    };
    const item = hitItem(hit, text, true);
    const label = renderLabel(item.label);
    assert.deepEqual(label.icons, ['symbol-function'], `label of ${JSON.stringify(text)}`);
    assert.equal(label.shown, ` ${oneLine(text)}`);
    assert.deepEqual(renderLabel(item.description!).icons, [], `description of ${JSON.stringify(text)}`);
    assert.equal(renderLabel(item.description!).shown, oneLine(`${text} · ${text}/src/${text}.py:7`));
    assert.deepEqual(renderLabel(item.detail!).icons, [], `detail of ${JSON.stringify(text)}`);
    assert.equal(renderLabel(item.detail!).shown, codeLine(`return "${text}"`.trim()));
    assert.equal(item.hit, hit, 'the item opens the hit it shows');
  }
  assert.deepEqual(renderLabel(hitItem({ ...SOME_HIT, kind: 'constructor' }, undefined, false).label).icons, ['symbol-constructor']);
});


test('hover Markdown: one list item and one command link per related definition, whatever the names and paths', () => {
  const links = HOSTILE_TEXT.map((text, i) => ({ root: '/w/app', path: `src/${text}/x${i}.py`, name: text, kind: 'method', startLine: i + 1, endLine: i + 3 }));
  for (let i = 0; i < links.length; i += 3) {
    const shown = links.slice(i, i + 3);
    const value = relatedMarkdownValue(shown, (root) => (root === '/w/app' ? 'app $(alert)\n' : undefined));
    const tokens = marked.lexer(value);
    const blocks = tokens.filter((t) => t.type !== 'space');
    assert.deepEqual(blocks.map((t) => t.type), ['paragraph', 'list'], value);
    const list = blocks[1] as Token & { items: (Token & { tokens: Token[] })[] };
    assert.equal(list.items.length, shown.length, `one item per link:\n${value}`);
    list.items.forEach((item, k) => {
      const link = shown[k];
      const inline = item.tokens.flatMap((t) => ('tokens' in t && t.type === 'text' ? (t.tokens ?? []) : [t]));
      const anchors = inline.filter((t) => t.type === 'link') as (Token & { href: string; title: string | null; tokens: Token[] })[];
      assert.equal(anchors.length, 1, `one link in ${JSON.stringify(item.raw)}`);
      const [anchor] = anchors;
      const at: CodeLocation = { root: link.root, path: link.path, startLine: link.startLine, endLine: link.endLine };
      assert.equal(anchor.href, commandUri(OPEN_LOCATION_COMMAND, [at]));
      assert.match(anchor.href, /^command:codescout\.internal\.openLocation\?[A-Za-z0-9%._-]+$/, 'nothing in the URI that Markdown or a URI parser reads');
      assert.deepEqual(JSON.parse(decodeURIComponent(anchor.href.slice(anchor.href.indexOf('?') + 1))), [at], 'the argument is the location, exactly');
      const name = renderLabel(inlineText(anchor.tokens, 'link text'));
      assert.deepEqual(name, { shown: oneLine(link.name), icons: [] }, `the name as text: ${JSON.stringify(link.name)}`);
      assert.equal(renderLabel(anchor.title ?? '').shown, `Open ${oneLine(link.path)}`);
      const rest = inline.slice(inline.indexOf(anchor) + 1);
      const after = renderLabel(inlineText(rest, 'location'));
      assert.deepEqual(after, { shown: ` — ${oneLine(`app $(alert)\n/${link.path}:${link.startLine}`)}`, icons: [] });
      const before = renderLabel(inlineText(inline.slice(0, inline.indexOf(anchor)), 'icon'));
      assert.deepEqual(before, { shown: ' ', icons: ['symbol-method'] }, 'the kind icon, and only it');
    });
  }
  assert.equal(markdownText('$(alert)'), '\\\\\\$\\(alert\\)', 'VS Code’s appendText escapes an icon the same way');
});

test('notifications: link syntax from a message stays text', () => {
  const message = noticeText('cannot open [click](command:evil?x) or [a] (b)\nnext');
  assert.doesNotMatch(message, /\]\(/);
  assert.doesNotMatch(message, /\n/);
  assert.equal(message.replace(/\u2060/g, ''), 'cannot open [click](command:evil?x) or [a] (b)\\nnext');
});

test('locations: only a file inside a workspace folder may be opened', async () => {
  const roots = ['/w/app', '/w/lib'];
  const at = (p: string, over: Partial<CodeLocation> = {}): CodeLocation => ({ root: '/w/app', path: p, startLine: 3, endLine: 5, ...over });
  assert.deepEqual(checkLocation(at('src/a.py'), roots), { file: '/w/app/src/a.py' });
  assert.deepEqual(checkLocation(at('src/a.py', { root: '/w/lib' }), roots), { file: '/w/lib/src/a.py' });
  assert.deepEqual(checkLocation(at('two\nlines.py'), roots), { file: '/w/app/two\nlines.py' }, 'any file name the folder holds');
  assert.deepEqual(checkLocation(at('./src//a.py'), roots), { file: '/w/app/src/a.py' });
  const refused: [CodeLocation, RegExp][] = [
    [at('../../etc/passwd'), /leads outside the workspace folder/],
    [at('src/../../lib/x.py'), /leads outside/],
    [at('..'), /leads outside/],
    [at('.'), /leads outside/],
    [at('/etc/passwd'), /absolute path/],
    [at(''), /not a valid path/],
    [at('a\0b'), /not a valid path/],
    [at('x'.repeat(5000)), /not a valid path/],
    [at('src/a.py', { root: '/etc' }), /not in a folder of this workspace/],
    [at('src/a.py', { root: '/w/app/' }), /not in a folder of this workspace/],
    [at('src/a.py', { root: '/w/app/../lib' }), /not in a folder of this workspace/],
    [at('src/a.py', { startLine: 0 }), /no valid line numbers/],
    [at('src/a.py', { endLine: 2.5 }), /no valid line numbers/],
    [at('src/a.py', { startLine: Number.NaN }), /no valid line numbers/],
    [at('src/a.py', { path: 42 as unknown as string }), /not a valid path/],
  ];
  for (const [location, reason] of refused) {
    const checked = checkLocation(location, roots);
    assert.ok('refused' in checked, `refused: ${JSON.stringify(location)}`);
    assert.match(checked.refused, reason);
    assert.doesNotMatch(checked.refused, /\n/, 'the message is one line');
  }
  assert.ok('refused' in checkLocation(at('src/a.py'), []), 'no workspace folder, nothing to open');

  assert.deepEqual(parseLocation({ root: '/w/app', path: 'a.py', startLine: 1, endLine: 2, extra: 1 }), { root: '/w/app', path: 'a.py', startLine: 1, endLine: 2 });
  for (const bad of [null, undefined, 'a.py', 42, [], [{ root: '/w', path: 'a', startLine: 1, endLine: 1 }], {}, { root: '/w', path: 'a', startLine: '1', endLine: 1 }, { root: '/w', path: 'a', startLine: 1, endLine: 1e300 }, Object.create({ root: '/w', path: 'a', startLine: 1, endLine: 1 })]) {
    assert.equal(parseLocation(bad), undefined, JSON.stringify(bad) ?? String(bad));
  }
});

test('locations: links are followed before opening, and one that leaves the folder is refused', async () => {
  const base = await mkdtemp(path.join(tmpdir(), 'codescout-open-'));
  try {
    const root = path.join(base, 'repo');
    const outside = path.join(base, 'secret');
    await mkdir(path.join(root, 'src'), { recursive: true });
    await mkdir(outside);
    await writeFile(path.join(root, 'src', 'a.py'), 'def a():\n    pass\n');
    await writeFile(path.join(outside, 'passwd'), 'root:x:0:0\n');
    await symlink(outside, path.join(root, 'escape'));
    await symlink(path.join(outside, 'passwd'), path.join(root, 'passwd.py'));
    await symlink(path.join(root, 'src'), path.join(root, 'inner'));
    const at = (p: string): CodeLocation => ({ root, path: p, startLine: 1, endLine: 2 });

    assert.deepEqual(await resolveLocation(at('src/a.py'), [root]), { file: path.join(root, 'src', 'a.py') });
    assert.deepEqual(await resolveLocation(at('inner/a.py'), [root]), { file: path.join(root, 'inner', 'a.py') }, 'a link within the folder is fine');
    for (const p of ['escape/passwd', 'passwd.py']) {
      const checked = await resolveLocation(at(p), [root]);
      assert.ok('refused' in checked && /link to a place outside the workspace folder/.test(checked.refused), `${p}: ${JSON.stringify(checked)}`);
    }
    const gone = await resolveLocation(at('src/gone.py'), [root]);
    assert.ok('refused' in gone && /no longer exists/.test(gone.refused));
    const lexical = await resolveLocation(at('../secret/passwd'), [root]);
    assert.ok('refused' in lexical && /leads outside/.test(lexical.refused));
  } finally {
    await rm(base, { recursive: true, force: true });
  }
});

test('settings: files.exclude counts only its own true entries, whatever their names', () => {
  const exclude = (value: unknown) => folderOptions('/w', config({}), config({ exclude: value })).exclude;
  assert.deepEqual(exclude(JSON.parse('{"__proto__": true, "constructor": true, "toString": false, "**/a": true}')), ['__proto__', 'constructor', '**/a']);
  assert.deepEqual(exclude(Object.create({ '**/inherited': true })), [], 'inherited entries are not the user’s');
  assert.deepEqual(exclude([true, true]), [], 'an array is not a pattern object');
  assert.deepEqual(exclude('**/x'), []);
  assert.deepEqual(exclude(null), []);
  assert.deepEqual(exclude(42), []);
});

test('package.json: menus and walkthrough steps name contributed commands, their files exist, and every setting is described', () => {
  const pkg = JSON.parse(readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as {
    contributes: {
      commands: { command: string }[];
      menus: Record<string, { command: string }[]>;
      walkthroughs: { steps: { description: string; media: { markdown: string } }[] }[];
      configuration: { properties: Record<string, { description?: string; markdownDescription?: string }> };
    };
  };
  const c = pkg.contributes;
  const declared = new Set(c.commands.map((x) => x.command));
  for (const [menu, items] of Object.entries(c.menus)) {
    for (const item of items) assert.ok(declared.has(item.command), `menu ${menu} names ${item.command}, which is not contributed`);
  }
  assert.ok(c.menus['webview/context'].length >= 4, 'the results have a context menu');
  const steps = c.walkthroughs.flatMap((w) => w.steps);
  assert.ok(steps.length >= 5);
  for (const step of steps) {
    assert.ok(existsSync(path.join(PACKAGE_ROOT, step.media.markdown)), `walkthrough media ${step.media.markdown}`);
    for (const [, id] of step.description.matchAll(/\(command:([\w.]+)/g)) {
      assert.ok(declared.has(id) || id.startsWith('workbench.'), `walkthrough link to ${id}, which is not contributed`);
    }
  }
  for (const [key, setting] of Object.entries(c.configuration.properties)) {
    assert.ok((setting.description ?? setting.markdownDescription ?? '').length > 20, `setting ${key} has no description`);
  }
});

test('log channel: VS Code\'s log levels become the engine\'s, and a Log notification\'s level picks the channel\'s method', () => {
  const expected: [number, string][] = [
    [LogLevel.Off, 'off'],
    [LogLevel.Trace, 'trace'],
    [LogLevel.Debug, 'debug'],
    [LogLevel.Info, 'info'],
    [LogLevel.Warning, 'warn'],
    [LogLevel.Error, 'error'],
  ];
  for (const [value, name] of expected) assert.equal(engineLogLevel(value), name, `vscode.LogLevel ${value}`);
  assert.equal(engineLogLevel(42 as LogLevelValue), 'info', 'an unknown value reads as VS Code\'s default');

  for (const level of ['error', 'warn', 'info', 'debug', 'trace'] as const) assert.equal(logLevelOf(level), level);
  for (const hostile of ['__proto__', 'constructor', 'toString', 'warning', 'INFO', '', 3, null, undefined, {}]) {
    assert.equal(logLevelOf(hostile), 'info', `${String(hostile)} is written at info`);
  }

  const channel = new FakeLogChannel();
  channel.setLevel(LogLevel.Trace);
  for (const level of ['error', 'warn', 'info', 'debug', 'trace'] as const) logAt(channel, level, `at ${level}`);
  assert.deepEqual(channel.shown, ['error at error', 'warn at warn', 'info at info', 'debug at debug', 'trace at trace']);
});

test('log channel: the recording channel keeps the lines the channel shows, at its level, the last ones only, cut when long', () => {
  const fake = new FakeLogChannel();
  const channel = new RecordingLogChannel(fake, new LogRing(3));
  assert.equal(channel.levelName, 'info');
  channel.debug('hidden at info');
  channel.trace('hidden too');
  channel.info('repo: index opened');
  channel.warn('engine: a worker said something');
  channel.error(new Error('indexing failed'));
  assert.deepEqual(fake.shown, ['info repo: index opened', 'warn engine: a worker said something', 'error indexing failed']);
  assert.deepEqual(channel.ring.lines(), [
    { level: 'info', message: 'repo: index opened' },
    { level: 'warn', message: 'engine: a worker said something' },
    { level: 'error', message: 'indexing failed' },
  ]);

  let heard: number | undefined;
  channel.onDidChangeLogLevel((level) => (heard = level));
  fake.setLevel(LogLevel.Debug);
  assert.equal(heard, LogLevel.Debug, 'the channel\'s level changes reach its listeners');
  assert.equal(channel.logLevel, LogLevel.Debug);
  assert.equal(channel.levelName, 'debug');
  channel.debug('search: a query of 12 characters');
  channel.trace('still hidden');
  assert.deepEqual(
    channel.ring.lines().map((l) => l.message),
    ['engine: a worker said something', 'indexing failed', 'search: a query of 12 characters'],
    'the oldest line went; the hidden one was never kept',
  );
  fake.setLevel(LogLevel.Off);
  assert.equal(channel.levelName, 'off');
  channel.error('not shown when off');
  assert.equal(channel.ring.lines().length, 3);
  assert.ok(!fake.shown.includes('error not shown when off'));

  fake.setLevel(LogLevel.Info);
  channel.info('x'.repeat(MAX_KEPT_LINE + 100));
  const long = channel.ring.lines().at(-1)!.message;
  assert.equal(long.length, MAX_KEPT_LINE);
  assert.ok(long.endsWith('…'));
  channel.show(true);
  assert.equal(fake.shows, 1, 'Show Log shows the channel');
  channel.dispose();
  assert.ok(fake.disposed);

  const ring = new LogRing(4);
  for (let i = 0; i < 10; i++) ring.push('info', String(i));
  assert.deepEqual(ring.lines().map((l) => l.message), ['6', '7', '8', '9']);
});

test('log channel: the engine\'s stderr becomes whole lines, however its chunks split them', () => {
  const lines = new StderrLines();
  assert.deepEqual(lines.push('Couldn\'t find lang'), []);
  assert.deepEqual(lines.push('uage function\nsecond line\r'), ['Couldn\'t find language function']);
  assert.deepEqual(lines.push('\n\n  \nthird'), ['second line'], 'a CRLF split across chunks is one line end; blank lines are dropped');
  assert.deepEqual(lines.push(' line\nfourth'), ['third line']);
  assert.equal(lines.end(), 'fourth', 'the unfinished last line, when the stream ends');
  assert.equal(lines.end(), undefined);
  const flood = new StderrLines();
  const parts = flood.push('y'.repeat(3 * MAX_PENDING_LINE + 5));
  assert.deepEqual(parts.map((p) => p.length), [MAX_PENDING_LINE, MAX_PENDING_LINE, MAX_PENDING_LINE], 'a line that never ends is passed on in parts rather than held without bound');
  assert.deepEqual(flood.push('yy\nnext'), ['yyyyyyy'], 'the rest waits for its end');
  assert.equal(flood.end(), 'next');
});

test('the lines a selection holds: one that ends at the start of a line does not hold it', () => {
  const at = (line: number, character: number) => ({ line, character });
  assert.deepEqual(selectedLines(at(9, 4), at(19, 7)), { startLine: 10, endLine: 20 });
  // Shift+Down over lines 10-20, or a triple click on line 10: the end is column 0 of the next line
  assert.deepEqual(selectedLines(at(9, 0), at(20, 0)), { startLine: 10, endLine: 20 });
  assert.deepEqual(selectedLines(at(9, 0), at(10, 0)), { startLine: 10, endLine: 10 });
  // empty, or on one line: that line
  assert.deepEqual(selectedLines(at(9, 0), at(9, 0)), { startLine: 10, endLine: 10 });
  assert.deepEqual(selectedLines(at(9, 2), at(9, 8)), { startLine: 10, endLine: 10 });
});
