/**
 * End-to-end tests of Code Scout in a real VS Code (code-server's extension host and workbench),
 * on the run's copy of test/e2e/fixture-workspace (Python, TypeScript, Go, JavaScript).
 * They run in order and build on each other: activation, then the initial index, then queries.
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { test } from './harness';
import { percentile } from '../../../src/extension/latency';
import { EXTENSION_ID, fixtureUri, killEngine, lineOf, openAt, waitUntil } from './helpers';
import { ui } from './ui';

const COMMANDS = [
  'codescout.search',
  'codescout.showRelated',
  'codescout.findSimilar',
  'codescout.reindex',
  'codescout.cancelIndexing',
  'codescout.showStatus',
  'codescout.showLog',
  'codescout.result.openToSide',
  'codescout.result.copyLocation',
  'codescout.result.revealInExplorer',
];
/** fixture files indexed; two more (web/fp/addDays.js, server/phase_string.go) carry generated-file banners and are skipped */
const FIXTURE_FILES = 7;
const FIXTURE_GENERATED = 2;

const QUICK_INPUT = '.quick-input-widget input';
const QUICK_ROWS = '.quick-input-list .monaco-list-row';
const HOVER = '.monaco-hover';
const TOAST = '.notification-toast';
/** the notification centre (notifications.showList) */
const NOTIFICATIONS = '.notifications-center';
/** The sidebar webview's elements (media/sidebar.js). */
const SIDEBAR = {
  // the input inside the vscode-textfield web component (Playwright's CSS selectors pierce open shadow roots)
  query: '#query input',
  path: '#path input',
  result: '#results .result',
  file: '#results .file',
  notice: '#results-notice',
  correction: '#results-correction',
  related: '#related .result',
  status: '#status-text',
};

/** What the extension's test hook `codescout.internal.state` answers (src/extension/internal-state.ts). */
interface ExtensionState {
  activationMs: number;
  engine: { state: string; pid: number | null; restarts: number };
  folders: Array<{
    root: string;
    state: string;
    partial: boolean;
    files: number;
    chunks: number;
    refreshes: number;
    mode: string;
    lastRefresh: { reason: string; filesParsed: number; filesRemoved: number; chunksEmbedded: number; cancelled: boolean } | null;
  }>;
  metrics: { hover: { count: number; samples: number[] }; timeToFirstResult: { count: number; samples: number[] } };
  /** the "Code Scout" output channel's level and the last lines it showed, oldest first */
  log: { level: string; lines: Array<{ level: string; message: string }> };
  /** the status bar item: what it shows, and the texts it showed (oldest first, the last 50) */
  statusBar: { text: string; tooltip: string; history: string[]; shown: number };
}

/** A hover position: the first occurrence of `text` in `path`, inside `name`. */
interface HoverTarget {
  path: string;
  name: string;
  text: string;
  at: 'definition' | 'call site' | 'call site in another file';
}

const definition = (path: string, name: string, text: string): HoverTarget => ({ path, name, text, at: 'definition' });
const callSite = (path: string, name: string, text: string): HoverTarget => ({ path, name, text, at: 'call site' });
const importedCall = (path: string, name: string, text: string): HoverTarget => ({ path, name, text, at: 'call site in another file' });
const FORMAT = 'text/format.ts';
/** 27 different names at their definitions, and 20 call sites or references (3 in another file than the definition), in four languages. */
const HOVER_TARGETS: HoverTarget[] = [
  ...['capitalize', 'splitWords', 'slugify', 'toCamelCase', 'toTitleCase', 'truncate', 'padLeft', 'padRight', 'centerText', 'wrapText',
    'indentLines', 'formatBytes', 'formatThousands', 'columnWidths', 'renderTable', 'formatHeading', 'formatSection']
    .map((name) => definition(FORMAT, name, `function ${name}(`)),
  callSite(FORMAT, 'splitWords', 'splitWords(title)'),
  callSite(FORMAT, 'capitalize', 'capitalize(word.toLowerCase())'),
  callSite(FORMAT, 'capitalize', 'map(capitalize)'),
  callSite(FORMAT, 'padRight', 'padRight(padLeft('),
  callSite(FORMAT, 'padLeft', 'padLeft(text, text.length + left)'),
  callSite(FORMAT, 'padLeft', "padLeft('', spaces)"),
  callSite(FORMAT, 'columnWidths', 'columnWidths(rows);'),
  callSite(FORMAT, 'toTitleCase', 'toTitleCase(title)'),
  callSite(FORMAT, 'indentLines', 'indentLines(wrapText('),
  callSite(FORMAT, 'wrapText', 'wrapText(truncate('),
  callSite(FORMAT, 'truncate', 'truncate(description'),
  callSite(FORMAT, 'formatBytes', 'formatBytes(sizes'),
  callSite(FORMAT, 'formatHeading', 'formatHeading(title),'),
  callSite(FORMAT, 'formatThousands', 'formatThousands(sizes'),
  definition('text/report.ts', 'diskUsageReport', 'function diskUsageReport('),
  definition('text/report.ts', 'sectionAnchor', 'function sectionAnchor('),
  importedCall('text/report.ts', 'formatSection', 'formatSection(\'disk usage\''),
  importedCall('text/report.ts', 'renderTable', 'renderTable(rows)'),
  importedCall('text/report.ts', 'slugify', 'slugify(title)'),
  definition('net/retry.ts', 'backoffDelay', 'function backoffDelay('),
  definition('net/retry.ts', 'retryWithBackoff', 'function retryWithBackoff'),
  definition('net/retry.ts', 'getJson', 'async getJson('),
  callSite('net/retry.ts', 'backoffDelay', 'backoffDelay(attempt, baseDelayMs)'),
  callSite('net/retry.ts', 'retryWithBackoff', 'retryWithBackoff(() =>'),
  definition('tools/checksum.py', 'compute_file_checksum', 'def compute_file_checksum('),
  definition('tools/checksum.py', 'verify_file_checksum', 'def verify_file_checksum('),
  definition('tools/checksum.py', 'count_words', 'def count_words('),
  callSite('tools/checksum.py', 'compute_file_checksum', 'compute_file_checksum(path) =='),
  definition('server/duration.go', 'ParseDuration', 'func ParseDuration('),
  definition('server/duration.go', 'JoinHostPort', 'func JoinHostPort('),
];
/** How long a user takes from opening a file to hovering in it. */
const OPEN_TO_HOVER_MS = 500;

function hoverText(hovers: vscode.Hover[]): string {
  return hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : c.value))).join('\n');
}

function latencyLine(label: string, ms: number[]): string {
  const sorted = [...ms].sort((a, b) => a - b);
  return `${label}: n=${ms.length} p50=${percentile(sorted, 50).toFixed(1)} ms p95=${percentile(sorted, 95).toFixed(1)} ms max=${(sorted.at(-1) ?? 0).toFixed(1)} ms`;
}

function state(): Thenable<ExtensionState> {
  return vscode.commands.executeCommand<ExtensionState>('codescout.internal.state');
}

/** Waits until the (single) fixture folder's index is ready and complete. */
function folderReady(timeoutMs: number) {
  return waitUntil('the fixture folder to be indexed', timeoutMs, async () => {
    const folder = (await state()).folders[0];
    return folder && folder.state === 'ready' && !folder.partial ? folder : undefined;
  });
}

/** Opens `Code Scout: Search Code`, types the query and answers the result rows once one of them mentions `expected`. */
async function paletteSearch(query: string, expected: string): Promise<string[]> {
  void vscode.commands.executeCommand('codescout.search');
  assert.ok(await ui.waitFor('workbench', QUICK_INPUT), 'the search QuickPick did not open');
  await ui.fill('workbench', QUICK_INPUT, query);
  return waitUntil(`"${expected}" among the results for "${query}"`, 20_000, async () => {
    const rows = await ui.texts('workbench', QUICK_ROWS);
    return rows.some((r) => r.includes(expected)) ? rows : undefined;
  });
}

async function closeQuickInput(): Promise<void> {
  await ui.press('Escape');
  await waitUntil('the QuickPick to close', 5_000, async () => ((await ui.waitFor('workbench', QUICK_INPUT, 0)) ? undefined : true));
}

/** Asserts the active editor shows `relativePath` with the cursor on the line of `needle`. */
async function assertEditorAt(relativePath: string, needle: string): Promise<void> {
  const expectedLine = await lineOf(relativePath, needle);
  await waitUntil(`an editor on ${relativePath}:${expectedLine + 1}`, 10_000, () => {
    const editor = vscode.window.activeTextEditor;
    return editor?.document.uri.toString() === fixtureUri(relativePath).toString() && editor.selection.start.line === expectedLine
      ? true
      : undefined;
  });
}

/** Focuses the sidebar, types a query into its search box and answers the result texts once `expected` shows. */
async function sidebarSearch(query: string, expected: string): Promise<string[]> {
  await vscode.commands.executeCommand('codescout.sidebar.focus');
  assert.ok(await ui.waitFor('webview', SIDEBAR.query, 20_000), 'the sidebar search box did not appear');
  await ui.fill('webview', SIDEBAR.query, query);
  return waitUntil(`a result named "${expected}" in the sidebar for "${query}"`, 20_000, async () => {
    const results = await ui.texts('webview', SIDEBAR.result);
    return results.some((r) => r.startsWith(expected)) ? results : undefined;
  });
}

test('activation: the extension activates and registers its commands', async () => {
  const extension = vscode.extensions.getExtension(EXTENSION_ID);
  assert.ok(extension, `${EXTENSION_ID} is not installed`);
  await extension.activate();
  assert.ok(extension.isActive);
  const registered = new Set(await vscode.commands.getCommands(true));
  for (const id of COMMANDS) assert.ok(registered.has(id), `command ${id} is not registered`);
  const { activationMs } = await state();
  assert.equal(typeof activationMs, 'number');
  await ui.log(`# ${EXTENSION_ID} ${extension.packageJSON.version} from ${extension.extensionPath}`);
  await ui.log(`# activation took ${activationMs.toFixed(1)} ms of extension-host time`);
}, { prerequisite: true });

test('the initial index completes', async () => {
  const folder = await folderReady(120_000);
  assert.equal(folder.files, FIXTURE_FILES, 'indexed files');
  assert.ok(folder.chunks >= 10, `only ${folder.chunks} chunks indexed`);
  await ui.log(`# index: ${folder.files} files, ${folder.chunks} chunks, ${folder.mode}`);
}, { timeoutMs: 130_000, prerequisite: true });

test('after a full index the Code Scout log holds the engine\'s progress and skip summary', async () => {
  // the lines come as notifications beside the folder's status: the skip summary follows the refresh's end
  const log = await waitUntil('a skip summary in the Code Scout log', 10_000, async () => {
    const current = (await state()).log;
    return current.lines.some((l) => /: skipped (nothing|\d+ paths?: )/.test(l.message)) ? current : undefined;
  });
  const dump = log.lines.map((l) => `${l.level} ${l.message}`).join('\n');
  assert.ok(['info', 'debug', 'trace'].includes(log.level), `the channel shows info lines (its level is ${log.level})`);
  const at = (pattern: RegExp) => log.lines.findIndex((l) => l.level === 'info' && pattern.test(l.message));
  const opened = at(/: index opened: \d+ files?, \d+ chunks?; (hybrid search with the model \S+|lexical-only search)/);
  const started = at(/: refresh started \(open\): scanning the folder$/);
  const finished = at(new RegExp(`: refresh finished \\(open\\) in [\\d.]+ s: ${FIXTURE_FILES} files added or changed, 0 removed.*; the index holds ${FIXTURE_FILES} files, [1-9]\\d* chunks$`));
  const skips = at(new RegExp(`: skipped ${FIXTURE_GENERATED} paths: generated ${FIXTURE_GENERATED}$`));
  assert.ok(opened >= 0, `no "index opened" line:\n${dump}`);
  assert.ok(started > opened, `no "refresh started" line after it:\n${dump}`);
  assert.ok(finished > started, `no "refresh finished" line after it:\n${dump}`);
  assert.ok(skips > finished, `no skip summary after it:\n${dump}`);
  assert.ok(!log.lines.some((l) => l.level === 'error'), `no errors:\n${dump}`);
  // what is logged is counts and names, never the code
  for (const code of ['func ParseDuration(', 'def compute_file_checksum(', 'function capitalize(']) {
    assert.ok(log.lines.every((l) => !l.message.includes(code)), `the log holds code (${code}):\n${dump}`);
  }
  await ui.log(`# log (${log.level}): ${log.lines[finished].message} / ${log.lines[skips].message}`);
});

test('search: a natural-language query finds the expected function first, and Enter opens it', async () => {
  const rows = await paletteSearch('parse a human readable duration like 1h30m', 'ParseDuration');
  assert.match(rows[0], /ParseDuration/, `first result: ${rows[0]}`);
  await ui.screenshot('palette-search');
  await ui.press('Enter');
  await assertEditorAt('server/duration.go', 'func ParseDuration');
});

test('search typed key by key: the list shown is the whole query\'s, not a prefix\'s answered meanwhile', async () => {
  const query = 'checksum of a file';
  void vscode.commands.executeCommand('codescout.search');
  assert.ok(await ui.waitFor('workbench', QUICK_INPUT), 'the search QuickPick did not open');
  const before = (await state()).metrics.timeToFirstResult.count;
  // each key sends a search when none is in flight, so prefixes ("c", "che", …) are answered while typing
  for (const key of query) await ui.press(key === ' ' ? 'Space' : key);
  const typed = await ui.evaluate<string>('workbench', QUICK_INPUT, `document.querySelector(${JSON.stringify(QUICK_INPUT)}).value`);
  assert.equal(typed, query, 'the keys did not reach the search box');
  let rows: string[] = [];
  try {
    await waitUntil(`the answer for "${query}" to be shown`, 20_000, async () => {
      rows = await ui.texts('workbench', QUICK_ROWS);
      return rows.some((r) => r.includes('compute_file_checksum')) ? true : undefined;
    });
  } catch (err) {
    const title = (await ui.texts('workbench', '.quick-input-title')).join(' ');
    throw new Error(`${(err as Error).message}; shown: "${title}", ${JSON.stringify(rows.slice(0, 3))}`);
  }
  // no late answer for a prefix replaces it
  await new Promise((r) => setTimeout(r, 1_000));
  const typedRows = await ui.texts('workbench', QUICK_ROWS);
  const after = (await state()).metrics.timeToFirstResult;
  assert.ok(after.count > before, 'the answer to the whole query was not timed');
  await closeQuickInput();
  // the same query pasted at once gives the same list
  const pasted = await paletteSearch(query, 'compute_file_checksum');
  assert.deepEqual(typedRows, pasted, 'the list after typing key by key is not the whole query\'s');
  await closeQuickInput();
  await ui.log(`# typed key by key: ${after.count - before} answers shown while typing ${query.length} keys; the last ${after.samples.at(-1)} ms after its key`);
});

test('sidebar: shows results, and a click opens the right range', async () => {
  const results = await sidebarSearch('checksum of a file', 'compute_file_checksum');
  await ui.click('webview', SIDEBAR.result, results.findIndex((r) => r.startsWith('compute_file_checksum')));
  await assertEditorAt('tools/checksum.py', 'def compute_file_checksum');
});

test('Show Related Code lists the expected neighbour', async () => {
  await openAt('tools/checksum.py', 'compute_file_checksum(path):');
  void vscode.commands.executeCommand('codescout.showRelated');
  const rows = await waitUntil('related code in the QuickPick', 20_000, async () => {
    const texts = await ui.texts('workbench', QUICK_ROWS);
    return texts.length > 0 ? texts : undefined;
  });
  assert.ok(rows.some((r) => r.includes('verify_file_checksum')), `related rows: ${JSON.stringify(rows)}`);
  await closeQuickInput();
  await waitUntil('verify_file_checksum in the sidebar\'s Related section', 10_000, async () => {
    const related = await ui.texts('webview', SIDEBAR.related);
    return related.some((t) => t.includes('verify_file_checksum')) ? true : undefined;
  });
});

test('the hover on a function name shows related-code links', async () => {
  const editor = await openAt('net/retry.ts', 'retryWithBackoff<T>(');
  const position = editor.selection.active.translate(0, 2); // inside the definition's name (call-site hovers are off by default)
  const markdown = await waitUntil('a Code Scout hover', 20_000, async () => {
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', editor.document.uri, position);
    const text = hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : c.value))).join('\n');
    return /Related code/i.test(text) ? text : undefined;
  });
  const links = [...markdown.matchAll(/\]\((command:[^)]+)\)/g)];
  assert.ok(links.length >= 1 && links.length <= 3, `expected 1–3 command links, got ${links.length}: ${markdown}`);
  assert.match(markdown, /backoffDelay/, 'the nearest neighbour of retryWithBackoff is not listed');

  const blank = await vscode.commands.executeCommand<vscode.Hover[]>(
    'vscode.executeHoverProvider', editor.document.uri, new vscode.Position(0, 0), // a comment line
  );
  assert.ok(!blank.some((h) => h.contents.some((c) => /Related code/i.test(typeof c === 'string' ? c : c.value))), 'hover on a comment');

  await vscode.window.showTextDocument(editor.document, { selection: new vscode.Range(position, position), preserveFocus: false });
  const widget = await waitUntil('related links in the hover widget', 20_000, async () => {
    await vscode.commands.executeCommand('editor.action.showHover');
    await ui.waitFor('workbench', HOVER, 2_000);
    const texts = await ui.texts('workbench', HOVER);
    return texts.some((t) => /Related code/i.test(t)) ? texts : undefined;
  });
  assert.ok(widget.some((t) => t.includes('backoffDelay')));
  await ui.screenshot('hover');
  await ui.press('Escape');
});

test('hovers on 20+ function names, at definitions and call sites, show related code; their latency is measured', async () => {
  await folderReady(30_000);
  // call-site hovers are off by default (codescout.hover.callSites): none at a call site until switched on
  const call = HOVER_TARGETS.find((t) => t.at === 'call site')!;
  const callDocument = await vscode.workspace.openTextDocument(fixtureUri(call.path));
  const callAt = callDocument.positionAt(callDocument.getText().indexOf(call.text) + call.text.indexOf(call.name) + 1);
  const off = hoverText(await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', callDocument.uri, callAt));
  assert.doesNotMatch(off, /Related code/i, `a call-site hover with codescout.hover.callSites off: ${off}`);
  await vscode.workspace.getConfiguration('codescout').update('hover.callSites', true, vscode.ConfigurationTarget.Global);
  const measured: { target: HoverTarget; ms: number }[] = [];
  const missing: string[] = [];
  for (const path of [...new Set(HOVER_TARGETS.map((t) => t.path))]) {
    const document = await vscode.workspace.openTextDocument(fixtureUri(path));
    await vscode.window.showTextDocument(document, { preview: false });
    await new Promise((r) => setTimeout(r, OPEN_TO_HOVER_MS));
    for (const target of HOVER_TARGETS.filter((t) => t.path === path)) {
      const offset = document.getText().indexOf(target.text);
      assert.ok(offset >= 0, `"${target.text}" is not in ${path}`);
      const position = document.positionAt(offset + target.text.indexOf(target.name) + 1);
      const before = (await state()).metrics.hover.count;
      const text = hoverText(await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', document.uri, position));
      const after = (await state()).metrics.hover;
      const label = `${target.name} (${target.at}, ${path})`;
      if (!/Related code/i.test(text) || after.count !== before + 1) missing.push(label);
      else measured.push({ target, ms: after.samples[after.samples.length - 1] });
    }
  }
  const names = new Set(measured.map((m) => m.target.name));
  await ui.log(`# hover latency (provideHover, extension host), ${names.size} names:`);
  await ui.log(`#   ${latencyLine('all', measured.map((m) => m.ms))}`);
  for (const at of ['definition', 'call site', 'call site in another file'] as const) {
    await ui.log(`#   ${latencyLine(at, measured.filter((m) => m.target.at === at).map((m) => m.ms))}`);
  }
  await vscode.workspace.getConfiguration('codescout').update('hover.callSites', undefined, vscode.ConfigurationTarget.Global);
  assert.deepEqual(missing, [], 'hovers without related code');
  assert.ok(names.size >= 20, `only ${names.size} different names measured`);
}, { timeoutMs: 120_000 });

/** How the sidebar's results are laid out: sideways overflow of the page and of the list, the file rows and result rows shown. */
const LAYOUT = `(() => {
  const page = document.scrollingElement;
  const list = document.getElementById('results');
  const cut = [...document.querySelectorAll('#results .name, #results .code, #results .file-name')].filter((e) => e.scrollWidth > e.clientWidth + 1);
  return {
    width: page.clientWidth,
    pageOverflow: page.scrollWidth - page.clientWidth,
    listOverflow: list.scrollWidth - list.clientWidth,
    files: document.querySelectorAll('#results .file').length,
    results: document.querySelectorAll('#results .result').length,
    cutWithoutEllipsis: cut.filter((e) => getComputedStyle(e).textOverflow !== 'ellipsis').length,
    rowsWithoutTitle: [...document.querySelectorAll('#results .result')].filter((r) => !r.title).length,
    // previews: line-numbered lines under each result, none the same line shown twice
    previewLines: [...document.querySelectorAll('#results .result')].map((r) => r.querySelectorAll('.preview .line').length),
    repeatedLines: [...document.querySelectorAll('#results .result')].filter((r) => {
      const texts = [...r.querySelectorAll('.preview .code')].map((c) => c.textContent.trim()).filter((t) => t.length > 2);
      return new Set(texts).size < texts.length;
    }).length,
    marks: document.querySelectorAll('#results .preview mark').length,
    // the language picker's label: cut with an ellipsis when narrow, never clipped ("All language")
    picker: (() => {
      const text = document.getElementById('language')?.shadowRoot?.querySelector('.select-face .text');
      if (!text) return 'missing';
      const cut = text.scrollWidth > text.clientWidth + 1;
      return cut && getComputedStyle(text).textOverflow !== 'ellipsis' ? 'clipped' : cut ? 'ellipsis' : 'whole';
    })(),
    // the old "words + meaning" badge on each result is gone
    matchBadges: [...document.querySelectorAll('#results .result')].filter((r) => /words \+ meaning|words only|meaning only/.test(r.textContent)).length,
  };
})()`;

test('sidebar: results grouped by file, no sideways overflow at 300 and 180 px, visible marks in a high-contrast theme', async () => {
  await sidebarSearch('checksum of a file', 'compute_file_checksum');
  type Layout = {
    width: number; pageOverflow: number; listOverflow: number; files: number; results: number; cutWithoutEllipsis: number; rowsWithoutTitle: number;
    previewLines: number[]; repeatedLines: number; marks: number; matchBadges: number; picker: string;
  };
  for (const width of [300, 180]) {
    const reached = await ui.resizeSidebar(width);
    const layout = await waitUntil(`the sidebar laid out at ${width} px`, 10_000, async () => {
      const l = await ui.evaluate<Layout>('webview', SIDEBAR.result, LAYOUT);
      return Math.abs(l.width - width) < 40 ? l : undefined;
    });
    await ui.log(`# sidebar at ${width} px (side bar ${Math.round(reached)} px): ${JSON.stringify(layout)}`);
    await ui.screenshot(`sidebar-${width}`);
    assert.ok(layout.files >= 1 && layout.results >= layout.files, `grouped results: ${JSON.stringify(layout)}`);
    assert.equal(layout.pageOverflow, 0, `the page scrolls sideways at ${width} px`);
    assert.equal(layout.listOverflow, 0, `the result list scrolls sideways at ${width} px`);
    assert.equal(layout.cutWithoutEllipsis, 0, 'text cut without an ellipsis');
    assert.equal(layout.rowsWithoutTitle, 0, 'a result row without its full text in a tooltip');
    assert.ok(layout.previewLines.every((n) => n >= 1 && n <= 3), `each result previews one to three lines: ${JSON.stringify(layout.previewLines)}`);
    assert.ok(layout.previewLines.some((n) => n > 1), `multi-line previews: ${JSON.stringify(layout.previewLines)}`);
    assert.equal(layout.repeatedLines, 0, 'a preview shows the same line twice');
    assert.ok(layout.marks > 0, 'the query\'s words are marked in the previews');
    assert.equal(layout.matchBadges, 0, 'a result still carries a match-kind badge');
    assert.ok(['whole', 'ellipsis'].includes(layout.picker), `the language picker's label is ${layout.picker}`);
  }
  await ui.resizeSidebar(300);

  const workbench = vscode.workspace.getConfiguration('workbench');
  const theme = workbench.inspect<string>('colorTheme')?.globalValue; // the profile's (run.ts), put back after
  await workbench.update('colorTheme', 'Default High Contrast', vscode.ConfigurationTarget.Global);
  try {
    const mark = await waitUntil('the sidebar in the high-contrast theme', 15_000, async () => {
      const m = await ui.evaluate<{ body: string; style: string; width: string; color: string; badge: { style: string; width: string; color: string; radius: string } | null } | null>('webview', SIDEBAR.result, `(() => {
        const mark = document.querySelector('#results mark');
        if (!mark) return null;
        const cs = getComputedStyle(mark);
        const badge = document.querySelector('#results vscode-badge');
        const bs = badge && getComputedStyle(badge);
        return {
          body: document.body.className, style: cs.borderTopStyle, width: cs.borderTopWidth, color: cs.borderTopColor,
          badge: bs && { style: bs.borderTopStyle, width: bs.borderTopWidth, color: bs.borderTopColor, radius: bs.borderTopLeftRadius },
        };
      })()`);
      return m && /vscode-high-contrast/.test(m.body) ? m : undefined;
    });
    await ui.screenshot('sidebar-high-contrast');
    assert.equal(mark.style, 'dashed', `a highlighted query word has no border in high contrast: ${JSON.stringify(mark)}`);
    assert.equal(mark.width, '1px');
    assert.doesNotMatch(mark.color, /^rgba\(0, 0, 0, 0\)$|transparent/, `the border is invisible: ${mark.color}`);
    // the file's count badge keeps its shape: an outline, where the theme drops its background
    assert.ok(mark.badge, 'no count badge in the results');
    assert.deepEqual([mark.badge.style, mark.badge.width], ['solid', '1px'], `the count badge has no border in high contrast: ${JSON.stringify(mark.badge)}`);
    assert.doesNotMatch(mark.badge.color, /^rgba\(0, 0, 0, 0\)$|transparent/, `the badge's border is invisible: ${mark.badge.color}`);
  } finally {
    await workbench.update('colorTheme', theme, vscode.ConfigurationTarget.Global);
  }
}, { timeoutMs: 90_000 });

test('sidebar states: an invalid filter is named, a path that matches nothing says so, nonsense is no strong match', async () => {
  await sidebarSearch('checksum of a file', 'compute_file_checksum');
  const notice = (expected: RegExp) =>
    waitUntil(`the sidebar notice ${expected}`, 20_000, async () => {
      const [text] = await ui.texts('webview', SIDEBAR.notice);
      return text && expected.test(text) ? text : undefined;
    });
  await ui.fill('webview', SIDEBAR.path, '[unclosed');
  await notice(/^Invalid path filter “\[unclosed”: it is not a valid glob/);
  await ui.fill('webview', SIDEBAR.path, 'nowhere/**');
  await notice(/^No indexed file matches the path filter “nowhere\/\*\*”/);
  await ui.fill('webview', SIDEBAR.path, '');
  await ui.fill('webview', SIDEBAR.query, 'zzqqxv flibbertigibbetqq');
  const weak = await notice(/^No strong match for “zzqqxv flibbertigibbetqq”/);
  await ui.screenshot('sidebar-no-strong-match');
  await ui.log(`# nonsense query: ${weak}`);
});

test('sidebar keyboard: Down from the search box into the results, Ctrl+Enter opens to the side, Enter opens, Escape goes back', async () => {
  await sidebarSearch('checksum of a file', 'verify_file_checksum');
  // the list the previous test left may hold that name too: wait for this query's list, checksum.py's results first
  await waitUntil('the list for "checksum of a file"', 20_000, async () => {
    const [first] = await ui.texts('webview', SIDEBAR.result);
    const notice = (await ui.texts('webview', SIDEBAR.notice))[0] ?? '';
    return first?.startsWith('verify_file_checksum') && !notice.startsWith('No strong match') ? true : undefined;
  });
  /** what has the focus in the sidebar: 'query', 'file', 'result:<name>' or a tag name */
  const focused = () => ui.evaluate<string>('webview', SIDEBAR.query, `(() => {
    const a = document.activeElement;
    if (!a || a === document.body) return 'body';
    if (a.classList.contains('result')) return 'result:' + (a.querySelector('.name')?.textContent ?? '');
    if (a.classList.contains('file')) return 'file';
    return a.id || a.tagName.toLowerCase();
  })()`);
  const focusFirstResult = async () => {
    await vscode.commands.executeCommand('codescout.sidebar.focus');
    await ui.evaluate('webview', SIDEBAR.query, `document.querySelector('#results .result').focus()`);
  };
  // after many lists, the tree still has a Tab stop, and it is this list's first file row
  const tabStops = await ui.evaluate<number[]>('webview', SIDEBAR.query, `[...document.querySelectorAll('#results vscode-tree-item')].map((i) => i.tabIndex)`);
  assert.equal(tabStops[0], 0, `the first file row is not a Tab stop: ${JSON.stringify(tabStops.slice(0, 8))}`);
  assert.equal(tabStops.filter((t) => t === 0).length, 1, `one Tab stop in the tree: ${JSON.stringify(tabStops.slice(0, 8))}`);
  await ui.press('ArrowDown'); // the search box's own key: to the first file row
  assert.equal(await focused(), 'file');
  await ui.press('ArrowDown'); // the tree's: to the file's first result
  const row = await focused();
  assert.match(row, /^result:\w+/);
  const editors = () => vscode.window.visibleTextEditors.map((e) => ({ path: vscode.workspace.asRelativePath(e.document.uri), column: e.viewColumn ?? 0 }));
  await ui.press('Control+Enter');
  await waitUntil(`${row} open to the side`, 10_000, async () => (editors().some((e) => e.path.endsWith('tools/checksum.py') && e.column >= 2) ? true : undefined));
  await vscode.commands.executeCommand('workbench.action.joinAllGroups');
  await vscode.window.showTextDocument(fixtureUri('server/duration.go'));
  await focusFirstResult();
  await ui.press('Enter');
  await assertEditorAt('tools/checksum.py', `def ${row.slice('result:'.length)}(`);
  await focusFirstResult();
  await ui.press('Escape');
  assert.equal(await focused(), 'query', 'Escape from a result puts the focus back in the search box');
  await ui.log(`# sidebar keyboard: ${row} opened to the side with Ctrl+Enter and with Enter`);
});

test('generated files: banners at the top are skipped, a hand-written file that mentions "autogenerated" is searched', async () => {
  await folderReady(30_000);
  // tools/helpdoc.py says "autogenerated" in a docstring and a string; it is indexed and found
  const rows = await paletteSearch('write the footer of the help pages', 'write_help_footer');
  await closeQuickInput();
  assert.ok(rows.some((r) => r.includes('write_help_footer')), `rows: ${JSON.stringify(rows)}`);
  // the two banner files are counted as skipped (generated) in the log's skip summary, checked above, and are not in
  // the index: a new QuickPick lists only this query's results, so its first rows are the answer to it
  const names = await paletteSearch('PhaseNameFromStringer addDaysInCalendar', '');
  await closeQuickInput();
  for (const generated of ['PhaseNameFromStringer', 'addDaysInCalendar', 'phase_string.go', 'addDays.js']) {
    assert.ok(names.every((r) => !r.includes(generated)), `a generated file's code was found (${generated}): ${JSON.stringify(names)}`);
  }
  await ui.log(`# generated files: skipped; rows for their names: ${JSON.stringify(names.slice(0, 3))}`);
});

test('spelling: a real English word the model does not know is kept, a typo beside it is corrected', async () => {
  await folderReady(30_000);
  await vscode.commands.executeCommand('codescout.sidebar.focus');
  assert.ok(await ui.waitFor('webview', SIDEBAR.query, 20_000), 'the sidebar search box did not appear');
  await ui.fill('webview', SIDEBAR.query, 'lunar phase tide estimat');
  const shown = await waitUntil('the sidebar to say which query it searched for', 20_000, async () => {
    const [text] = await ui.texts('webview', SIDEBAR.correction);
    return text ? text : undefined;
  });
  assert.equal(shown.replace(/\s+/g, ' ').trim(), 'Showing results for lunar phase tide estimate');
  await ui.log(`# spelling: ${shown}`);
});

test('Reindex on an up-to-date index says so, in a message and in the sidebar', async () => {
  await folderReady(30_000);
  await vscode.commands.executeCommand('codescout.reindex');
  // the notification centre lists the message whether or not its toast is still on screen
  await vscode.commands.executeCommand('notifications.showList');
  let seen: string[] = [];
  try {
    await waitUntil('"the index is up to date" message', 30_000, async () => {
      seen = await ui.texts('workbench', NOTIFICATIONS);
      return seen.some((t) => /the index is up to date/i.test(t)) ? true : undefined;
    });
    await vscode.commands.executeCommand('notifications.hideList');
  } catch (err) {
    await ui.log(`# toasts seen: ${JSON.stringify(seen)}; folder: ${JSON.stringify((await state()).folders[0])}`);
    throw err;
  }
  await waitUntil('"Index is up to date" in the sidebar', 10_000, async () => {
    const [text] = await ui.texts('webview', SIDEBAR.status);
    return text && /^Index is up to date/.test(text) ? true : undefined;
  });
}, { timeoutMs: 60_000 });

test('a function added and saved through the API is found by a refresh that re-reads only that file; the status bar never says indexing', async () => {
  const before = (await folderReady(30_000)).refreshes;
  const shownBefore = (await state()).statusBar.shown;
  const uri = fixtureUri('tools/checksum.py');
  const document = await vscode.workspace.openTextDocument(uri);
  const edit = new vscode.WorkspaceEdit();
  edit.insert(uri, document.positionAt(document.getText().length), [
    '',
    '',
    'def normalize_line_endings(text):',
    '    """Convert Windows carriage-return line endings to Unix newlines."""',
    '    return text.replace("\\r\\n", "\\n")',
    '',
  ].join('\n'));
  assert.ok(await vscode.workspace.applyEdit(edit));
  assert.ok(await document.save(), 'the document was not saved');
  const refreshed = await waitUntil('a refresh after the save', 60_000, async () => {
    const folder = (await state()).folders[0];
    return folder.refreshes > before && folder.state === 'ready' ? folder : undefined;
  });
  const last = refreshed.lastRefresh;
  assert.ok(last, 'the state reports no last refresh');
  assert.equal(last.reason, 'changes', 'the refresh was caused by the file change');
  assert.equal(last.filesParsed, 1, 'the refresh re-read only the saved file');
  assert.equal(last.filesRemoved, 0);
  await ui.log(`# refresh after the save: ${JSON.stringify(last)}`);
  // a refresh for a saved file keeps the index complete: no "indexing 0%" flicker
  const { statusBar } = await state();
  const changes = statusBar.shown - shownBefore;
  assert.ok(changes <= statusBar.history.length, `more status texts than kept: ${changes}`);
  const shown = changes > 0 ? statusBar.history.slice(-changes) : [];
  assert.ok(shown.every((t) => !/indexing/i.test(t)), `the status bar said indexing for a save: ${JSON.stringify(shown)}`);
  assert.doesNotMatch(statusBar.text, /indexing/i);

  const rows = await paletteSearch('convert windows carriage return line endings', 'normalize_line_endings');
  assert.match(rows[0], /normalize_line_endings/);
  await closeQuickInput();
  assert.equal((await folderReady(30_000)).files, FIXTURE_FILES, 'the refresh changed the set of indexed files');
}, { timeoutMs: 90_000 });

test('the XSS fixture renders inert in the sidebar', async () => {
  const results = await sidebarSearch('renderUnsafeBanner maintenance banner markup', 'renderUnsafeBanner');
  const shown = results.find((r) => r.startsWith('renderUnsafeBanner')) ?? '';
  assert.ok(shown.includes('<img src=x onerror='), `the markup is not shown as text: ${shown}`);
  assert.equal(await ui.count('webview', '[data-pwned]'), 0, 'a script or event handler from the snippet ran');
  assert.equal(await ui.count('webview', '.results img'), 0, 'the snippet created an <img> element');
  assert.equal(await ui.count('webview', '.results script'), 0, 'the snippet created a <script> element');
  assert.equal(await ui.count('webview', '.results .banner'), 0, 'the snippet created a <div class="banner">');
});

test('killing the engine process recovers, with at most one message', async () => {
  await killEngine();
  await folderReady(60_000);
  const rows = await paletteSearch('parse a human readable duration like 1h30m', 'ParseDuration');
  assert.match(rows[0], /ParseDuration/);
  await closeQuickInput();
  const toasts = (await ui.texts('workbench', TOAST)).filter((t) => /code scout|engine/i.test(t));
  assert.ok(toasts.length <= 1, `more than one message about the engine: ${JSON.stringify(toasts)}`);
}, { timeoutMs: 120_000 });
