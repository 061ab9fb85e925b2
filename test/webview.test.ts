/**
 * The sidebar's security and rendering logic outside the webview: message validation, the
 * document and its Content Security Policy, and snippets split into inert text parts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { contentSecurityPolicy, sidebarHtml } from '../src/extension/sidebar/html';
import { MAX_TEXT, parseWebviewMessage, resultsMessage } from '../src/extension/sidebar/messages';
import { MAX_QUERY_CHARS } from '../src/engine/search/query';
import { groupByFile, highlight, matchReason, queryTerms, resultView, type ResultView } from '../src/extension/sidebar/result-view';
import { emptyText, filterProblem, weakReason } from '../src/extension/sidebar/empty-states';
import type { FolderHit } from '../src/protocol/protocol';
import { SOME_HIT } from './helpers/hits';
import { runSidebar, type FakeElement } from './helpers/webview-dom';
import { PACKAGE_ROOT } from './helpers/workspace';

const ASSETS = { cspSource: 'x', nonce: 'n', scriptUri: 's', styleUri: 'c', elementsUri: 'e', codiconsUri: 'i' };

/** A result list as the extension sends it: the views grouped by the file of their location. */
function listOf(items: ResultView[], more: object = {}) {
  return { groups: groupByFile(items.map((view) => ({ view, path: view.location.replace(/:\d+$/, '') }))), partial: false, ...more };
}

/** The result rows a tree shows, under its file rows. */
function resultRows(tree: { children: { children: { className: string }[] }[] }) {
  return tree.children.flatMap((file) => file.children.filter((c) => c.className === 'result'));
}

const HOSTILE = [`<script>alert(1)</script>`, `<img src=x onerror=alert(1)>`, `</div><div onclick="steal()">`];

test('webview messages: the known shapes pass, with only their own fields', () => {
  assert.deepEqual(parseWebviewMessage({ type: 'ready' }), { type: 'ready' });
  assert.deepEqual(parseWebviewMessage({ type: 'reindex', extra: 'dropped' }), { type: 'reindex' });
  assert.deepEqual(parseWebviewMessage({ type: 'cancel' }), { type: 'cancel' });
  assert.deepEqual(parseWebviewMessage({ type: 'search', query: 'parse config', language: 'py', path: 'src/**', x: 1 }), {
    type: 'search',
    query: 'parse config',
    language: 'py',
    path: 'src/**',
  });
  assert.deepEqual(
    parseWebviewMessage({ type: 'search', query: 'x', language: '', path: '', searchedFor: '<b>y</b>' }),
    { type: 'search', query: 'x', language: '', path: '' },
    'what the extension sends (searchedFor) is not taken from the webview',
  );
  assert.deepEqual(parseWebviewMessage({ type: 'open', id: 'r42' }), { type: 'open', id: 'r42', side: false });
  assert.deepEqual(parseWebviewMessage({ type: 'open', id: 'r42', side: true }), { type: 'open', id: 'r42', side: true });
  assert.deepEqual(parseWebviewMessage({ type: 'copy', id: 'r7', side: true }), { type: 'copy', id: 'r7' });
  assert.deepEqual(parseWebviewMessage({ type: 'reveal', id: 'r7' }), { type: 'reveal', id: 'r7' });
  for (const command of ['openFolder', 'reindex', 'cancel', 'showStatus', 'restartEngine', 'openSettings', 'showLog']) {
    assert.deepEqual(parseWebviewMessage({ type: 'command', command }), { type: 'command', command });
  }
  // every query the engine searches (up to MAX_QUERY_CHARS code points) reaches it, and so does a
  // longer one, which the engine refuses with a message the sidebar shows rather than silence
  for (const query of ['x'.repeat(MAX_QUERY_CHARS), '😀'.repeat(MAX_QUERY_CHARS), 'x'.repeat(MAX_QUERY_CHARS + 1)]) {
    assert.deepEqual(parseWebviewMessage({ type: 'search', query, language: '', path: '' }), { type: 'search', query, language: '', path: '' });
  }
});

test('webview messages: anything else is rejected', () => {
  const rejected: unknown[] = [
    null,
    undefined,
    'ready',
    42,
    ['ready'],
    {},
    { type: 'openFile', path: '/etc/passwd' },
    { type: 'search', query: 'x', language: 'py' },
    { type: 'search', query: 1, language: '', path: '' },
    { type: 'search', query: 'x'.repeat(MAX_TEXT + 1), language: '', path: '' },
    { type: 'open' },
    { type: 'open', id: 7 },
    { type: 'open', id: '../../etc/passwd' },
    { type: 'open', id: 'r1; alert(1)' },
    { type: 'open', id: 'R1' },
    { type: 'open', id: 'r' },
    { type: 'open', id: 'r1', side: 'yes' },
    { type: 'copy' },
    { type: 'copy', id: '../x' },
    { type: 'reveal', id: 3 },
    { type: 'command' },
    { type: 'command', command: 'workbench.action.terminal.new' },
    { type: 'command', command: 'codescout.reindex' },
    ...Object.getOwnPropertyNames(Object.prototype).map((command) => ({ type: 'command', command })),
    Object.create({ type: 'reindex' }),
    Object.assign(Object.create({ query: 'x', language: '', path: '' }), { type: 'search' }),
    ...Object.getOwnPropertyNames(Object.prototype).map((type) => ({ type })),
  ];
  for (const raw of rejected) assert.equal(parseWebviewMessage(raw), undefined, JSON.stringify(raw));
});

test('the sidebar document: strict CSP with the nonce, the two nonce-tagged scripts, no inline handlers or styles', () => {
  const html = sidebarHtml({
    cspSource: 'https://webview.test',
    nonce: 'n0nce+/=',
    scriptUri: 'https://webview.test/media/sidebar.js',
    styleUri: 'https://webview.test/media/sidebar.css',
    elementsUri: 'https://webview.test/dist/webview/elements.js',
    codiconsUri: 'https://webview.test/dist/webview/codicon.css',
  });
  const csp = contentSecurityPolicy('https://webview.test', 'n0nce+/=');
  assert.ok(html.includes(`content="${csp}"`), 'the CSP meta tag carries the policy');
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /script-src 'nonce-n0nce\+\/='(;|$)/);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*/);

  const scripts = [...html.matchAll(/<script\b[^>]*>/g)].map((m) => m[0]);
  // the web components first: module scripts run in document order, so the sidebar's finds them defined
  assert.deepEqual(scripts, [
    '<script nonce="n0nce+/=" type="module" src="https://webview.test/dist/webview/elements.js">',
    '<script nonce="n0nce+/=" type="module" src="https://webview.test/media/sidebar.js">',
  ]);
  assert.ok(html.includes('<link rel="stylesheet" href="https://webview.test/dist/webview/codicon.css" id="vscode-codicon-stylesheet">'), 'vscode-icon finds the codicon font by this id');
  assert.doesNotMatch(html, /\son[a-z]+\s*=/i, 'no inline event handlers');
  assert.doesNotMatch(html, /\sstyle\s*=/i, 'no inline styles');
  for (const id of ['query', 'language', 'path', 'status-text', 'status-actions', 'progress', 'results-summary', 'results-count', 'collapse-all', 'results', 'results-correction', 'results-announce', 'related', 'related-source']) {
    assert.ok(html.includes(`id="${id}"`), `the script's element #${id} is in the markup`);
  }
});

test('the sidebar document escapes what it interpolates', () => {
  const html = sidebarHtml({ ...ASSETS, nonce: 'a"><script>bad()</script>', elementsUri: '"><script>worse()</script>' });
  assert.doesNotMatch(html, /<script>bad|<script>worse/);
  assert.equal([...html.matchAll(/<script\b/g)].length, 2);
});

test('the webview script builds results with DOM APIs only, never by parsing HTML', () => {
  const script = readFileSync(path.join(PACKAGE_ROOT, 'media', 'sidebar.js'), 'utf8');
  for (const sink of ['innerHTML', 'outerHTML', 'insertAdjacentHTML', 'document.write', 'eval(', 'new Function', 'setAttribute(\'on', 'srcdoc']) {
    assert.ok(!script.includes(sink), `media/sidebar.js uses ${sink}`);
  }
  assert.match(script, /textContent/);
});

test('highlighted snippets are plain text parts: hostile code stays text, query words are marked', () => {
  for (const code of HOSTILE) {
    const parts = highlight(code, ['alert', 'div']);
    assert.equal(parts.map((p) => p.text).join(''), code, 'the parts are the code, unchanged and unescaped (the DOM escapes)');
    assert.ok(parts.some((p) => p.match));
  }
  assert.deepEqual(highlight('def parse_config(text):', ['parse', 'config']), [
    { text: 'def ', match: false },
    { text: 'parse', match: true },
    { text: '_', match: false },
    { text: 'config', match: true },
    { text: '(text):', match: false },
  ]);
  assert.deepEqual(highlight('ParseConfig', ['parse']), [
    { text: 'Parse', match: true },
    { text: 'Config', match: false },
  ]);
  assert.deepEqual(highlight('xabbbc', ['.b*']), [{ text: 'xabbbc', match: false }], 'terms are literal text, not patterns');
  assert.deepEqual(highlight('a.b*c', ['.b*']), [
    { text: 'a', match: false },
    { text: '.b*', match: true },
    { text: 'c', match: false },
  ]);
  assert.deepEqual(highlight('', ['x']), []);
  assert.deepEqual(highlight('no terms', []), [{ text: 'no terms', match: false }]);
});

test('query terms: words of two or more characters, identifiers split at underscores', () => {
  assert.deepEqual(queryTerms('parse_config a (x) HTTP-client'), ['parse', 'config', 'http', 'client']);
  assert.deepEqual(queryTerms('<script>alert(1)</script>'), ['script', 'alert']);
});

test('result views carry what the sidebar shows, with why each result matched', () => {
  const hit: FolderHit = {
    root: '/w',
    path: 'src/xss.py',
    startLine: 3,
    endLine: 9,
    name: 'render',
    kind: 'function',
    score: 0.9,
    matchedBy: 'both',
    language: 'python',
    container: 'Page',
    signature: 'def render(html="<script>alert(1)</script>"):',
    snippet: 'return "</div>"',
  };
  const view = resultView('r1', hit, ['render'], 'web');
  assert.equal(view.location, 'web/src/xss.py:3');
  assert.equal(view.line, 3);
  assert.equal(view.reason, 'both');
  // without preview lines (a file that could not be read), the signature alone, once
  assert.deepEqual(view.preview.map((row) => [row.line, row.parts.map((p) => p.text).join('')]), [[3, hit.signature]]);
  const preview = [
    { line: 3, text: 'def render(html):' },
    { line: 7, text: '    return "</div>" + html' },
  ];
  const withPreview = resultView('r2', { ...hit, preview }, ['html'], undefined);
  assert.deepEqual(withPreview.preview.map((row) => [row.line, row.parts.map((p) => p.text).join('')]), preview.map((p) => [p.line, p.text]));
  assert.ok(withPreview.preview[1].parts.some((p) => p.match && p.text === 'html'), 'query words are marked in the preview');
  assert.equal(resultView('r3', hit, [], undefined).location, 'src/xss.py:3');
  assert.deepEqual(['lexical', 'vector', 'both'].map((m) => matchReason(m as FolderHit['matchedBy'])), ['words', 'meaning', 'both']);
  assert.equal(view.changed, undefined);
  assert.equal(resultView('r4', { ...hit, changed: true }, [], undefined).changed, true);
});

test('a result whose file changed since it was indexed says so in its row and its label; a list with a forged changed flag is refused', () => {
  const page = sidebarPage();
  const changed = resultView('r1', { ...SOME_HIT, changed: true }, [], undefined);
  const same = resultView('r2', { ...SOME_HIT, path: 'src/b.py' }, [], undefined);
  page.post(resultsMessage('abc', listOf([changed, same])));
  const [first, second] = resultRows(page.byId('results')) as unknown as { textContent: string; title: string }[];
  assert.match(first.textContent, /changed since indexed/);
  assert.match(first.title, /file changed since indexed: its lines may have moved$/);
  assert.doesNotMatch(second.textContent, /changed since indexed/);
  assert.doesNotMatch(second.title, /changed/);
  const fresh = sidebarPage();
  fresh.post(resultsMessage('abc', listOf([{ ...changed, changed: 'yes' as unknown as true }, same])));
  assert.equal(resultRows(fresh.byId('results')).length, 0, 'a malformed list is not shown, as any malformed message');
  fresh.post(resultsMessage('abc', listOf([changed, same])));
  assert.equal(resultRows(fresh.byId('results')).length, 2);
});

test('a corrected search shows "Showing results for <b>…</b>" above its results, as text; other lists hide it', () => {
  const html = sidebarHtml(ASSETS);
  const page = runSidebar(html, readFileSync(path.join(PACKAGE_ROOT, 'media', 'sidebar.js'), 'utf8'));
  assert.deepEqual(page.sent, [{ type: 'ready' }]);
  const correction = page.byId('results-correction');
  assert.equal(correction.hidden, true, 'nothing to show before a search');

  const hit: FolderHit = {
    root: '/w',
    path: 'src/config_parser.py',
    startLine: 22,
    endLine: 30,
    name: 'parse_config',
    kind: 'function',
    score: 1,
    matchedBy: 'both',
    language: 'python',
    signature: 'def parse_config(text):',
    snippet: 'return dict(line.split("=") for line in text.splitlines())',
  };
  const list = listOf([resultView('r1', hit, queryTerms('parse configuration'), undefined)]);
  page.post(resultsMessage('parse configuraton', list, 'parse configuration'));
  assert.equal(correction.hidden, false);
  assert.equal(correction.textContent, 'Showing results for parse configuration');
  const [bold] = correction.children;
  assert.equal(bold.tagName, 'B');
  assert.equal(bold.textContent, 'parse configuration');
  assert.equal(resultRows(page.byId('results')).length, 1, 'the results are shown below it');

  const hostile = HOSTILE[1];
  page.post(resultsMessage(hostile, list, hostile));
  assert.equal(correction.children[0].textContent, hostile, 'the query stays text');
  assert.deepEqual(correction.children[0].children, [], 'no element was parsed out of it');

  page.post(resultsMessage('parse config', list));
  assert.equal(correction.hidden, true, 'an uncorrected search hides the line');
  assert.equal(correction.textContent, '');
  page.post(resultsMessage('parse configuraton', list, 'parse configuration'));
  page.post({ type: 'results', query: '', ...list, searchedFor: 42 });
  assert.equal(correction.hidden, true, 'a searchedFor that is not text is not shown');
});

function sidebarPage() {
  const html = sidebarHtml(ASSETS);
  return runSidebar(html, readFileSync(path.join(PACKAGE_ROOT, 'media', 'sidebar.js'), 'utf8'));
}


test('results of a search the sidebar sent leave the search box alone; lists it did not ask for fill it', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const page = sidebarPage();
  const query = page.byId('query');
  const typeText = (text: string) => {
    query.value = text;
    query.dispatch('input');
  };
  const searchFor = (text: string) => ({ type: 'search', query: text, language: '', path: '' });
  const list = listOf([resultView('r1', SOME_HIT, ['abc'], undefined)]);

  typeText('abc');
  t.mock.timers.tick(250);
  assert.deepEqual(page.sent.at(-1), searchFor('abc'));
  typeText('abcd'); // while "abc" is being searched
  page.post({ type: 'searching', query: 'abc' });
  assert.equal(query.value, 'abcd', 'searching for the older text does not reset the box');
  page.post(resultsMessage('abc', list));
  assert.equal(query.value, 'abcd', 'nor do its results');
  assert.equal(resultRows(page.byId('results')).length, 1, 'the results are shown');
  t.mock.timers.tick(250);
  assert.deepEqual(page.sent.at(-1), searchFor('abcd'), 'the pending search is for what the user typed');

  page.post(resultsMessage('parse config', list, undefined, true));
  assert.equal(query.value, 'parse config', 'a palette search or Find Similar shown here puts its query in the box');
});

test('a status with the same languages leaves the language dropdown as it is; new languages rebuild it', () => {
  const page = sidebarPage();
  const select = page.byId('language');
  const status = (languages: string[]) => ({ ...STATUS, text: 'Indexing…', level: 'busy', indexing: true, languages });
  const offered = () => select.children.map((o) => o.getAttribute('value'));

  page.post(status(['python', 'go']));
  assert.deepEqual(offered(), ['', 'go', 'python']);
  select.value = 'go';
  select.dispatch('change');
  assert.deepEqual(page.sent.at(-1), { type: 'search', query: '', language: 'go', path: '' });
  const options = [...select.children];

  page.post(status(['go', 'python']));
  assert.equal(select.children.length, options.length);
  select.children.forEach((o, i) => assert.equal(o, options[i], 'the same option elements: an open dropdown stays open'));
  assert.equal(select.value, 'go');

  page.post(status(['python', 'go', 'rust']));
  assert.deepEqual(offered(), ['', 'go', 'python', 'rust']);
  assert.equal(select.value, 'go', 'the chosen language stays chosen');
  page.post(status([]));
  assert.deepEqual(offered(), ['', 'go'], 'the chosen language is offered while chosen');
});

const STATUS = { type: 'status', kind: 'ready', text: 'x', level: 'ready', indexing: false, canReindex: true, actions: [], languages: [] };

/** What the sidebar shows, to compare before and after messages that must change nothing. */
function snapshot(page: ReturnType<typeof sidebarPage>) {
  const text = (id: string) => page.byId(id).textContent;
  const items = (id: string) => resultRows(page.byId(id)).map((li) => [(li as FakeElement).dataset.id, (li as FakeElement).textContent, li.className]);
  return {
    status: [text('status-text'), page.byId('status').className, page.byId('status-actions').children.map((b) => b.textContent), page.byId('progress').hidden],
    languages: page.byId('language').children.map((o) => o.value),
    results: items('results'),
    resultsNotice: [text('results-notice'), page.byId('results-notice').hidden],
    correction: [text('results-correction'), page.byId('results-correction').hidden],
    related: items('related'),
    relatedNotice: [text('related-notice'), page.byId('related-notice').hidden],
    relatedSource: text('related-source'),
    query: page.byId('query').value,
  };
}

const GOOD_ITEM = resultView('r1', SOME_HIT, ['abc'], undefined);
const FILE = { path: 'src/a.py', name: 'a.py', dir: 'src' };

/** Messages the extension never sends: wrong types, missing or mistyped fields, prototype names. */
function malformedMessages(): unknown[] {
  const list = { groups: [{ ...FILE, items: [GOOD_ITEM] }], partial: false };
  const prototypeNames = Object.getOwnPropertyNames(Object.prototype);
  const withInheritedType = Object.create({ type: 'results', query: 'x', ...list });
  return [
    null,
    undefined,
    0,
    42,
    NaN,
    '',
    'results',
    true,
    [],
    [{ type: 'results', query: 'x', ...list }],
    {},
    { type: null },
    { type: 42 },
    { type: ['results'] },
    ...prototypeNames.map((type) => ({ type })),
    ...prototypeNames.map((type) => ({ type: 'results', query: 'x', groups: [{ ...FILE, items: [{ ...GOOD_ITEM, reason: type }] }], partial: false })),
    withInheritedType,
    { type: 'status' },
    { ...STATUS, text: 1 },
    { ...STATUS, kind: 7 },
    { ...STATUS, canReindex: 'yes' },
    { ...STATUS, actions: null },
    { ...STATUS, actions: [{ label: 'Run', command: 'workbench.action.terminal.new' }] },
    { ...STATUS, actions: [{ label: 'Run', command: 'constructor' }] },
    { ...STATUS, actions: [{ label: 5, command: 'reindex' }] },
    { ...STATUS, actions: ['reindex'] },
    { ...STATUS, level: 'ready x" onclick="y' },
    { ...STATUS, level: 'constructor' },
    { ...STATUS, indexing: 'yes' },
    { ...STATUS, languages: null },
    { ...STATUS, languages: 'python' },
    { ...STATUS, languages: [1, null] },
    { type: 'searching' },
    { type: 'searching', query: { toString: null } },
    { type: 'results' },
    { type: 'results', query: 'x' },
    { type: 'results', query: 'x', groups: null, partial: false },
    { type: 'results', query: 'x', groups: [{ ...FILE, path: 3, items: [GOOD_ITEM] }], partial: false },
    { type: 'results', query: 'x', groups: [{ ...FILE, dir: null, items: [GOOD_ITEM] }], partial: false },
    { type: 'results', query: 'x', groups: [{ path: 'a.py', name: 'a.py', dir: '', items: 'x' }], partial: false },
    { type: 'results', query: 'x', groups: [Object.create({ ...FILE, items: [GOOD_ITEM] })], partial: false },
    { type: 'results', query: 'x', ...list, weak: true },
    { type: 'results', query: 'x', ...list, empty: 5 },
    { type: 'results', query: 'x', groups: 'abc', partial: false },
    { type: 'results', query: 'x', groups: { length: 1, 0: { ...FILE, items: [GOOD_ITEM] } }, partial: false },
    { type: 'results', query: 'x', groups: [{ ...FILE, items: [null] }], partial: false },
    { type: 'results', query: 'x', groups: [{ ...FILE, items: [42] }], partial: false },
    { type: 'results', query: 'x', groups: [{ ...FILE, items: [GOOD_ITEM] }], partial: 'no' },
    { type: 'results', query: 7, ...list },
    { type: 'results', query: 'x', ...list, setQuery: 'yes' },
    { type: 'results', query: 'x', ...list, notice: { text: 'n' } },
    { type: 'results', query: 'x', ...list, error: 404 },
    { type: 'results', query: 'x', groups: [{ ...FILE, items: [{ ...GOOD_ITEM, id: '../../etc/passwd' }] }], partial: false },
    { type: 'results', query: 'x', groups: [{ ...FILE, items: [{ ...GOOD_ITEM, id: 5 }] }], partial: false },
    { type: 'results', query: 'x', groups: [{ ...FILE, items: [{ ...GOOD_ITEM, name: null }] }], partial: false },
    { type: 'results', query: 'x', groups: [{ ...FILE, items: [{ ...GOOD_ITEM, container: 3 }] }], partial: false },
    { type: 'results', query: 'x', groups: [{ ...FILE, items: [{ ...GOOD_ITEM, reason: 'unknown' }] }], partial: false },
    { type: 'results', query: 'x', groups: [{ ...FILE, items: [{ ...GOOD_ITEM, preview: 'def abc():' }] }], partial: false },
    { type: 'results', query: 'x', groups: [{ ...FILE, items: [{ ...GOOD_ITEM, preview: [null] }] }], partial: false },
    { type: 'results', query: 'x', groups: [{ ...FILE, items: [{ ...GOOD_ITEM, preview: [{ line: 1, parts: [{ text: 1, match: false }] }] }] }], partial: false },
    { type: 'results', query: 'x', groups: [{ ...FILE, items: [{ ...GOOD_ITEM, preview: [{ line: 1, parts: [{ text: 'a', match: 'yes' }] }] }] }], partial: false },
    { type: 'results', query: 'x', groups: [{ ...FILE, items: [{ ...GOOD_ITEM, preview: [{ line: '1', parts: [] }] }] }], partial: false },
    { type: 'results', query: 'x', groups: [{ ...FILE, items: [Object.create(GOOD_ITEM)] }], partial: false },
    { type: 'related' },
    { type: 'related', source: 5, ...list },
    { type: 'related', source: 'f', groups: [{ ...FILE, items: [{}] }], partial: false },
  ];
}

test('the sidebar ignores, and logs, every message the extension does not send: nothing throws and nothing shown changes', () => {
  const page = sidebarPage();
  page.post({ ...STATUS, text: '12 functions indexed.', actions: [{ label: 'Reindex', command: 'reindex' }], languages: ['python'] });
  page.post(resultsMessage('abc', listOf([GOOD_ITEM]), 'abc def'));
  page.post({ type: 'related', source: 'abc', groups: [{ ...FILE, items: [{ ...GOOD_ITEM, id: 'r2' }] }], partial: false });
  const before = snapshot(page);
  assert.equal(before.results.length, 1);
  assert.equal(before.related.length, 1);

  const messages = malformedMessages();
  for (const message of messages) {
    const warnings = page.warnings.length;
    assert.doesNotThrow(() => page.post(message), `posting ${String(JSON.stringify(message))}`);
    assert.deepEqual(snapshot(page), before, `nothing changed after ${String(JSON.stringify(message))}`);
    assert.equal(page.warnings.length, warnings + 1, `logged: ${String(JSON.stringify(message))}`);
  }
  assert.deepEqual(page.sent, [{ type: 'ready' }], 'and the sidebar sent nothing in answer');

  // still working: a valid message after all of them is shown
  page.post(resultsMessage('x', listOf([GOOD_ITEM, { ...GOOD_ITEM, id: 'r9', name: 'second' }])));
  assert.equal(resultRows(page.byId('results')).length, 2);
  assert.equal(page.warnings.length, messages.length, 'valid messages are not logged');
});

test('hostile strings in valid messages stay text, and odd but valid values are shown as they are', () => {
  const page = sidebarPage();
  const hostile = [...HOSTILE, '__proto__', 'constructor', 'x'.repeat(100_000), '\u202e\u0000\n\r'];
  page.post({ ...STATUS, text: hostile[0], level: 'error', indexing: true, actions: [{ label: hostile[1], command: 'showLog' }], languages: hostile });
  assert.equal(page.byId('status-text').textContent, hostile[0]);
  assert.equal(page.byId('status').className, 'status error');
  assert.equal(page.byId('status-actions').children[0].textContent, hostile[1], 'an action label stays text');
  assert.deepEqual(page.byId('language').children.map((o) => o.getAttribute('value')), ['', ...[...new Set(hostile)].sort()]);
  const groups = hostile.map((text, i) => ({
    path: text,
    name: text,
    dir: text,
    items: [{ ...GOOD_ITEM, id: `r${i + 1}`, name: text, kind: text, container: text, location: text, preview: [{ line: 1, parts: [{ text, match: true }, { text, match: false }] }] }],
  }));
  page.post({ type: 'results', query: hostile[1], groups, partial: true, notice: hostile[2], searchedFor: hostile[2], setQuery: true });
  const files = page.byId('results').children;
  assert.equal(files.length, hostile.length);
  files.forEach((file, i) => {
    assert.equal(file.querySelector('.file-name')?.textContent, hostile[i]);
    const [row] = resultRows({ children: [file] }) as FakeElement[];
    assert.equal(row.dataset.id, `r${i + 1}`);
    assert.equal(row.querySelector('.name')?.textContent, hostile[i]);
    const code = row.querySelector('.code')!;
    assert.equal(code.textContent, hostile[i] + hostile[i]);
    assert.equal(code.children[0].tagName, 'MARK', 'only the marked part is an element');
    assert.deepEqual(JSON.parse(row.dataset.vscodeContext!), { webviewSection: 'result', preventDefaultContextMenuItems: true, resultId: `r${i + 1}` });
  });
  assert.equal(page.byId('query').value, hostile[1]);
  assert.match(page.byId('results-notice').textContent, /still being built/);
  page.post({ type: 'related', source: null, groups: [], partial: false, error: hostile[0] });
  assert.equal(page.byId('related-notice').textContent, hostile[0]);
  assert.equal(page.byId('related-source').textContent, '');
  assert.deepEqual(page.warnings, []);
});

test('results are grouped by file, files in the order of their best result, with a count and Collapse All', () => {
  const view = (id: string, path: string) => resultView(id, { ...SOME_HIT, path, name: id }, [], undefined);
  const groups = groupByFile(['a/x.ts', 'b.ts', 'a/x.ts', 'c/d/e.ts', 'b.ts'].map((path, i) => ({ view: view(`r${i + 1}`, path), path })));
  assert.deepEqual(groups.map((g) => [g.path, g.name, g.dir, g.items.map((v) => v.id)]), [
    ['a/x.ts', 'x.ts', 'a', ['r1', 'r3']],
    ['b.ts', 'b.ts', '', ['r2', 'r5']],
    ['c/d/e.ts', 'e.ts', 'c/d', ['r4']],
  ]);
  const page = sidebarPage();
  page.post(resultsMessage('q', { groups, partial: false }));
  assert.equal(page.byId('results-count').textContent, '5 results in 3 files');
  assert.equal(page.byId('results-summary').hidden, false);
  const files = page.byId('results').children;
  assert.deepEqual(files.map((f) => f.querySelector('.count')?.textContent), ['2', '2', '1']);
  assert.ok(files.every((f) => f.getAttribute('open') === ''), 'files start open');
  page.byId('collapse-all').dispatch('click');
  assert.ok(files.every((f) => f.getAttribute('open') === null), 'Collapse All folds every file');
  assert.equal(page.byId('results-announce').textContent, '5 results in 3 files.', 'a screen reader hears the results came');
  page.post(resultsMessage('q', { groups: [], partial: false }));
  assert.equal(page.byId('results-summary').hidden, true, 'no count without results');
  assert.equal(page.byId('results-notice').textContent, 'No results for “q”.');
  assert.equal(page.byId('results-announce').textContent, 'No results for “q”.');
  page.post(resultsMessage('q', { groups, partial: true }));
  assert.equal(page.byId('results-announce').textContent, '5 results in 3 files. The index is still being built: results cover only the part indexed so far.');
});

test('empty and weak lists say why: the filter named, filters that exclude everything, no strong match', () => {
  const page = sidebarPage();
  page.post(resultsMessage('zzqqxv', listOf([GOOD_ITEM], { weak: weakReason(undefined) })));
  assert.equal(page.byId('results-notice').textContent, 'No strong match for “zzqqxv”: nothing in the code uses these words, and the code below is only the nearest in meaning.');
  assert.equal(page.byId('results-notice').className, 'notice weak');
  assert.equal(resultRows(page.byId('results')).length, 1, 'the nearest code is still shown');
  page.post(resultsMessage('parse', { groups: [], partial: false, empty: 'No indexed file matches the path filter “lib/**”.' }));
  assert.equal(page.byId('results-notice').textContent, 'No indexed file matches the path filter “lib/**”.');
  page.post(resultsMessage('parse', { groups: [], partial: false, error: 'Invalid path filter “[unclosed”: it is not a valid glob.' }));
  assert.equal(page.byId('results-notice').className, 'notice error');

  const query = (paths: string[], languages: string[] = []) => ({ text: 'parse', paths, languages });
  assert.equal(filterProblem(query(['[unclosed'])), "Invalid path filter “[unclosed”: it is not a valid glob: a '[' has no closing ']' (write \\[ for a literal '[').");
  assert.equal(filterProblem(query(['/etc/**'])), 'Invalid path filter “/etc/**”: it is not relative to the folder.');
  assert.equal(filterProblem(query(['src/**'], ['klingon'])), 'Unknown language “klingon” in the language filter.');
  assert.equal(filterProblem(query(['src/**'], ['py', 'typescript'])), undefined);
  assert.equal(emptyText('path', query(['lib/**'])), 'No indexed file matches the path filter “lib/**”.');
  assert.equal(emptyText('language', query([], ['go'])), 'No indexed code is in go.');
  assert.equal(emptyText('filters', query(['docs/**'], ['go'])), 'The filters exclude everything: no indexed code in go matches the path filter “docs/**”.');
  assert.equal(emptyText(undefined, query(['src/**'])), undefined, 'an empty answer the filters do not explain says the usual');
});

test('status actions are buttons that send their fixed command; a selected result opens, its action buttons open to the side and copy', () => {
  const page = sidebarPage();
  page.post({ ...STATUS, kind: 'no-folder', text: 'No folder is open.', actions: [{ label: 'Open Folder…', command: 'openFolder' }] });
  const [button] = page.byId('status-actions').children;
  assert.equal(button.textContent, 'Open Folder…');
  button.dispatch('click');
  assert.deepEqual(page.sent.at(-1), { type: 'command', command: 'openFolder' });
  assert.equal(page.byId('progress').hidden, true);
  page.post({ ...STATUS, kind: 'indexing', text: 'Indexing 40%.', level: 'busy', indexing: true, actions: [{ label: 'Cancel', command: 'cancel' }] });
  assert.equal(page.byId('progress').hidden, false, 'a progress bar while indexing');
  assert.equal(page.byId('status').dataset.kind, 'indexing');

  page.post(resultsMessage('abc', listOf([GOOD_ITEM])));
  const [row] = resultRows(page.byId('results')) as FakeElement[];
  page.byId('results').dispatch('vsc-tree-select', { detail: [row] });
  assert.deepEqual(page.sent.at(-1), { type: 'open', id: 'r1', side: false }, 'a click or Enter selects the row: it opens');
  const sentBefore = page.sent.length;
  page.byId('results').dispatch('vsc-tree-select', { detail: [page.byId('results').children[0]] });
  assert.equal(page.sent.length, sentBefore, 'selecting a file row folds it and opens nothing');
  const [side, copy] = row.children.filter((c) => c.className === 'action');
  side.dispatch('click');
  assert.deepEqual(page.sent.at(-1), { type: 'open', id: 'r1', side: true });
  copy.dispatch('click');
  assert.deepEqual(page.sent.at(-1), { type: 'copy', id: 'r1' });
});

test('status messages while indexing keep the same buttons (a click in progress, the focus) and announce only a change of state', () => {
  const page = sidebarPage();
  const indexing = (percent: number) => ({ ...STATUS, kind: 'indexing', text: `Indexing ${percent}%.`, level: 'busy', indexing: true, actions: [{ label: 'Cancel', command: 'cancel' }] });
  page.post({ ...STATUS, kind: 'ready', text: '31 functions indexed.', actions: [{ label: 'Reindex', command: 'reindex' }] });
  assert.equal(page.byId('status-announce').textContent, '31 functions indexed.');
  page.post(indexing(10));
  const [cancel] = page.byId('status-actions').children;
  cancel.focus();
  assert.equal(page.byId('status-announce').textContent, 'Indexing 10%.', 'a new state is announced');
  for (const percent of [20, 30, 40]) page.post(indexing(percent));
  assert.equal(page.byId('status-text').textContent, 'Indexing 40%.');
  assert.equal(page.byId('status-announce').textContent, 'Indexing 10%.', 'each percent is not announced');
  assert.equal(page.byId('status-actions').children[0], cancel, 'the same Cancel button, not a new one each time');
  assert.equal(page.focused(), cancel, 'the focus stays on Cancel');
  cancel.dispatch('click');
  assert.deepEqual(page.sent.at(-1), { type: 'command', command: 'cancel' });
  // other actions beside it: the buttons are new, and the focus moves to the new Cancel
  page.post({ ...indexing(50), actions: [{ label: 'Cancel', command: 'cancel' }, { label: 'Show Log', command: 'showLog' }] });
  const [newCancel] = page.byId('status-actions').children;
  assert.notEqual(newCancel, cancel);
  assert.equal(page.focused(), newCancel, 'the focus follows its command to the new button');
  page.post({ ...STATUS, kind: 'ready', text: '31 functions indexed.', actions: [{ label: 'Reindex', command: 'reindex' }] });
  assert.deepEqual(page.byId('status-actions').children.map((b) => b.textContent), ['Reindex'], 'other actions rebuild the buttons');
  assert.equal(page.byId('status-announce').textContent, '31 functions indexed.');
});

test('each new list makes its first file row the tree\'s Tab stop', () => {
  const page = sidebarPage();
  const other = resultView('r2', { ...SOME_HIT, path: 'src/b.py', name: 'other' }, ['abc'], undefined);
  for (const items of [[GOOD_ITEM], [other, GOOD_ITEM], [GOOD_ITEM]]) {
    page.post(resultsMessage('abc', listOf(items)));
    const files = page.byId('results').children as (FakeElement & { active?: boolean })[];
    assert.equal(files[0].active, true, `the first file row of the list of ${items.length} is active`);
    assert.ok(files.slice(1).every((f) => !f.active), 'only the first');
  }
});

test('keys on a result row: Ctrl+Enter opens to the side, Ctrl+C copies its location, Escape goes back to the search box; other keys are the tree\'s', () => {
  const page = sidebarPage();
  page.post(resultsMessage('abc', listOf([GOOD_ITEM])));
  const [row] = resultRows(page.byId('results')) as FakeElement[];
  const sentBefore = page.sent.length;
  assert.equal(page.key(row, 'Enter').defaultPrevented, false, 'Enter is the tree\'s (it selects, and the select event opens)');
  assert.equal(page.key(row, 'c').defaultPrevented, false);
  assert.equal(page.sent.length, sentBefore, 'keys without Ctrl send nothing');
  assert.equal(page.key(row, 'Enter', { ctrlKey: true }).defaultPrevented, true);
  assert.deepEqual(page.sent.at(-1), { type: 'open', id: 'r1', side: true });
  page.key(row, 'c', { metaKey: true });
  assert.deepEqual(page.sent.at(-1), { type: 'copy', id: 'r1' });
  // a key inside the row (its action button) belongs to the row
  const [side] = row.children.filter((c) => c.className === 'action');
  page.key(side, 'Enter', { ctrlKey: true });
  assert.deepEqual(page.sent.at(-1), { type: 'open', id: 'r1', side: true });
  page.key(row, 'Escape');
  assert.equal(page.focused(), page.byId('query'), 'Escape puts the focus in the search box');
  const count = page.sent.length;
  assert.equal(page.key(page.byId('path'), 'c', { ctrlKey: true }).defaultPrevented, false, 'Ctrl+C in a text field copies its text');
  assert.equal(page.sent.length, count, 'outside a row the keys are not the sidebar\'s');
  page.key(page.byId('path'), 'Enter');
  assert.equal((page.sent.at(-1) as { type: string }).type, 'search', 'Enter in a search field searches');
});

test('a saved state that is not the sidebar’s own is ignored', () => {
  const html = sidebarHtml(ASSETS);
  const script = readFileSync(path.join(PACKAGE_ROOT, 'media', 'sidebar.js'), 'utf8');
  for (const state of [null, 42, 'q', [], { query: 5, path: null, language: {} }, { query: 'ok', path: 'src/**', language: 'py' }]) {
    const page = runSidebar(html, script, state);
    const valid = typeof state === 'object' && state !== null && !Array.isArray(state) && typeof state.query === 'string';
    assert.equal(page.byId('query').value, valid ? 'ok' : '');
    assert.equal(page.byId('path').value, valid ? 'src/**' : '');
    assert.equal(page.byId('language').value, valid ? 'py' : '');
  }
});
