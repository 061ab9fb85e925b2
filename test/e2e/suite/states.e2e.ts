/**
 * The states suite (run.ts's second window): a workspace that opens with no folder and with
 * `codescout.indexOnOpen` off. What the sidebar, the status bar and the Reindex button say and
 * offer with no folder; then, with the fixture folder added, before it is indexed (before and
 * after a search starts the engine), while it is indexed, and once it is.
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { test } from './harness';
import { EXTENSION_ID, waitUntil } from './helpers';
import { ui } from './ui';

const SIDEBAR = {
  query: '#query input',
  status: '#status-text',
  actions: '#status-actions vscode-button',
  notice: '#results-notice',
};
/** The status bar item's element in the workbench (its id is the extension's id and the item's). */
const STATUS_BAR_ITEM = `.statusbar-item[id="${EXTENSION_ID}.codescout.status"]`;
/** The sidebar's Reindex button in the view's title bar (package.json view/title). */
const REINDEX_BUTTON = '.action-label[aria-label^="Reindex"]';

interface States {
  engine: { state: string };
  folders: Array<{ state: string; files: number; partial: boolean }>;
  statusBar: { text: string; tooltip: string; history: string[]; shown: number };
}

function state(): Thenable<States> {
  return vscode.commands.executeCommand<States>('codescout.internal.state');
}

async function sidebarStatus(expected: RegExp, what: string): Promise<{ text: string; actions: string[] }> {
  return waitUntil(`the sidebar to say ${what}`, 20_000, async () => {
    const [text] = await ui.texts('webview', SIDEBAR.status);
    return text && expected.test(text) ? { text, actions: await ui.texts('webview', SIDEBAR.actions) } : undefined;
  });
}

/** Whether the view title's Reindex button is disabled (its command's `enablement` is false). */
async function reindexDisabled(): Promise<boolean> {
  const disabled = await ui.evaluate<boolean | null>('workbench', REINDEX_BUTTON, `(() => {
    const button = document.querySelector(${JSON.stringify(REINDEX_BUTTON)});
    return button ? button.classList.contains('disabled') || button.getAttribute('aria-disabled') === 'true' : null;
  })()`);
  if (disabled === null) throw new Error(`no Reindex button (${REINDEX_BUTTON}) in the view's title bar`);
  return disabled;
}

test('no folder open: the sidebar and the status bar say so and offer Open Folder, Reindex is disabled, a search says why it finds nothing', async () => {
  const extension = vscode.extensions.getExtension(EXTENSION_ID);
  assert.ok(extension, `${EXTENSION_ID} is not installed`);
  await extension.activate();
  assert.equal(vscode.workspace.workspaceFolders?.length ?? 0, 0, 'the states window starts with no folder');
  await vscode.commands.executeCommand('codescout.sidebar.focus');
  const shown = await sidebarStatus(/^No folder is open/, '"No folder is open"');
  assert.equal(shown.text, 'No folder is open. Open a folder to search its code.');
  assert.deepEqual(shown.actions, ['Open Folder…']);

  const { statusBar, engine } = await state();
  assert.equal(statusBar.text, '$(search) Code Scout: no folder');
  assert.match(statusBar.tooltip, /^Code Scout: no folder is open\./);
  assert.ok(statusBar.history.every((t) => !/starting/.test(t)), `the status bar said starting with no folder: ${JSON.stringify(statusBar.history)}`);
  assert.equal(engine.state, 'stopped', 'no engine runs for no folder');
  const [label] = await ui.texts('workbench', STATUS_BAR_ITEM);
  assert.match(label ?? '', /Code Scout: no folder/, `the status bar item shows: ${label}`);
  assert.equal(await reindexDisabled(), true, 'Reindex is offered with no folder');

  await ui.fill('webview', SIDEBAR.query, 'parse a duration');
  const notice = await waitUntil('the sidebar to answer the search', 20_000, async () => {
    const [text] = await ui.texts('webview', SIDEBAR.notice);
    return text && !/^(Searching|Type to search)/.test(text) ? text : undefined;
  });
  assert.equal(notice, 'No folder is open: open a folder to search its code.');
  await ui.screenshot('sidebar-no-folder');
});

test('a folder with indexing on open off: "not indexed", with its own words, tooltip and an Index Workspace action; nothing starts', async () => {
  const folder = process.env.CODESCOUT_E2E_FOLDER;
  assert.ok(folder, 'CODESCOUT_E2E_FOLDER is not set (run.ts sets it)');
  assert.ok(vscode.workspace.updateWorkspaceFolders(0, 0, { uri: vscode.Uri.file(folder) }), 'the folder could not be added');
  await waitUntil('the folder in the workspace', 10_000, () => (vscode.workspace.workspaceFolders?.length === 1 ? true : undefined));
  const shown = await sidebarStatus(/not indexed/, '"not indexed"');
  assert.equal(shown.text, 'This workspace is not indexed: indexing on open is off (setting Code Scout: Index On Open).');
  assert.deepEqual(shown.actions, ['Index Workspace']);

  const { statusBar, engine } = await state();
  assert.equal(statusBar.text, '$(search) Code Scout: not indexed');
  // the answer "no folder is open" to the search before no longer stands
  const [notice] = await ui.texts('webview', SIDEBAR.notice);
  assert.equal(notice, 'A folder is open now: press Enter to search it.');
  assert.doesNotMatch(statusBar.tooltip, /open a folder/i, 'the tooltip tells an open folder to open a folder');
  assert.match(statusBar.tooltip, /Run Reindex to index it \(a search answers from what is indexed, here nothing\)/);
  assert.ok(statusBar.history.every((t) => !/idle|starting/.test(t)), `the status bar said idle or starting: ${JSON.stringify(statusBar.history)}`);
  assert.equal(engine.state, 'stopped', 'indexing on open is off: nothing starts');
  await waitUntil('Reindex enabled with a folder open', 10_000, async () => ((await reindexDisabled()) ? undefined : true));
  await ui.screenshot('sidebar-not-indexed');
});

test('a search before the folder is indexed starts the engine, says that nothing is indexed and what to do; the status stays "not indexed", not "may be out of date"', async () => {
  await ui.fill('webview', SIDEBAR.query, 'parse a duration');
  const notice = await waitUntil('the sidebar to answer the search', 30_000, async () => {
    const [text] = await ui.texts('webview', SIDEBAR.notice);
    return text && !/^(Searching|Type to search|A folder is open now)/.test(text) ? text : undefined;
  });
  assert.equal(notice, 'Nothing is indexed yet: run Index Workspace (Code Scout: Reindex) to search this workspace.');
  const { engine, folders, statusBar } = await waitUntil('the engine to report the folder', 20_000, async () => {
    const s = await state();
    return s.folders.length === 1 && s.folders[0].state === 'stale' ? s : undefined;
  });
  assert.equal(engine.state, 'running', 'the search started the engine');
  assert.equal(folders[0].files, 0);
  assert.equal(statusBar.text, '$(search) Code Scout: not indexed');
  const shown = await sidebarStatus(/not indexed/, '"not indexed"');
  assert.equal(shown.text, 'This workspace is not indexed: indexing on open is off (setting Code Scout: Index On Open).');
  assert.deepEqual(shown.actions, ['Index Workspace']);
});

test('Index Workspace: while indexing, the status says indexing % and offers Cancel, not Reindex (disabled); then the index is ready', async () => {
  const before = (await state()).statusBar.shown;
  await ui.click('webview', SIDEBAR.actions, 0); // "Index Workspace"
  // the folder holds a few hundred functions (run.ts), so indexing them takes a while on any machine
  const during = await sidebarStatus(/^Indexing \d+%/, '"Indexing N%"');
  assert.deepEqual(during.actions, ['Cancel'], `while indexing: ${JSON.stringify(during)}`);
  await waitUntil('Reindex disabled while indexing', 10_000, async () => ((await reindexDisabled()) ? true : undefined));
  await ui.screenshot('sidebar-indexing');

  const ready = await sidebarStatus(/functions indexed\.$/, '"N functions indexed."');
  assert.deepEqual(ready.actions, ['Reindex']);
  const { statusBar, folders } = await state();
  assert.equal(folders.length, 1);
  assert.equal(folders[0].state, 'ready');
  assert.equal(folders[0].partial, false);
  assert.match(statusBar.text, /^\$\(search\) Code Scout: [\d,]+ functions$/);
  const changes = statusBar.shown - before;
  assert.ok(changes > 0 && changes <= statusBar.history.length, `status texts since the click: ${changes} (kept: ${statusBar.history.length})`);
  const shown = statusBar.history.slice(-changes);
  assert.ok(shown.some((t) => /indexing \d+%/.test(t)), `the status bar never said indexing: ${JSON.stringify(shown)}`);
  // the index opened before the asked-for refresh began: that instant is not a "stale" warning
  assert.ok(shown.every((t) => !/stale|error/.test(t)), `the status bar warned on the way: ${JSON.stringify(shown)}`);
  // the enablement follows a context key, which the workbench applies a moment later
  await waitUntil('Reindex enabled again after indexing', 10_000, async () => ((await reindexDisabled()) ? undefined : true));
  await ui.log(`# states: ${during.text} → ${ready.text}; status bar: ${JSON.stringify(shown)}`);
}, { timeoutMs: 120_000 });
