/**
 * The sidebar's host side (src/extension/sidebar/sidebar-view.ts) in a plain Node test, with the
 * `vscode` values it uses from test/helpers/vscode-stub.ts and a webview that records what it is
 * sent: the ids a list gives its results stay openable while that list is shown.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { installVscodeStub } from './helpers/vscode-stub';
import type { FolderHit, FolderStatus, QueryResult } from '../src/protocol/protocol';

const stub = installVscodeStub();
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { SidebarView } = require('../src/extension/sidebar/sidebar-view') as typeof import('../src/extension/sidebar/sidebar-view');

const listeners = () => ({ event: () => ({ dispose() {} }) });

function hit(n: number): FolderHit {
  return { root: '/ws', path: `src/f${n}.ts`, name: `fn${n}`, kind: 'function', startLine: n + 1, endLine: n + 3, language: 'typescript', matchedBy: 'both', score: 1, preview: [] } as unknown as FolderHit;
}

/** A sidebar whose webview is loaded: what it posts, and a way to send it a message as the webview would. */
function loadedSidebar(answer: (text: string) => QueryResult, folders: FolderStatus[] = []) {
  const engine = { onDidChangeState: listeners().event, request: async (_type: unknown, params: { text: string }) => answer(params.text) };
  const controller = {
    onDidChange: listeners().event,
    folderLabel: () => undefined,
    workspaceState: () => ({ folderCount: 1, folders, engine: 'running', indexOnOpen: false }),
    editorSettings: { maxResults: 20 },
  };
  const output = { warn() {}, error() {}, info() {} };
  const sidebar = new SidebarView({ fsPath: '/media' } as never, engine as never, controller as never, output as never);
  const posted: { type: string; groups?: { items: { id: string }[] }[] }[] = [];
  let receive: (message: unknown) => void = () => {};
  const webview = {
    options: {},
    html: '',
    cspSource: 'csp',
    asWebviewUri: (uri: { fsPath: string }) => ({ toString: () => uri.fsPath }),
    postMessage: async (message: (typeof posted)[number]) => void posted.push(message),
    onDidReceiveMessage: (listener: (message: unknown) => void) => void (receive = listener),
  };
  sidebar.resolveWebviewView({ webview, visible: true, show() {}, onDidChangeVisibility: () => {}, onDidDispose: () => {} } as never);
  /** the ids of the last list of `type` posted */
  const idsOf = (type: 'results' | 'related') => posted.filter((m) => m.type === type).at(-1)!.groups!.flatMap((g) => g.items.map((i) => i.id));
  return { sidebar, posted, send: (message: unknown) => receive(message), idsOf };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

test("a search's results stay openable however often Related changes beside them; a replaced list's ids are not", async () => {
  const { sidebar, send, idsOf } = loadedSidebar(() => ({ hits: Array.from({ length: 20 }, (_, i) => hit(i)), partial: false, lexicalOnly: false, failures: [] }) as unknown as QueryResult);
  send({ type: 'search', query: 'parse config', language: '', path: '' });
  await settle();
  const [first] = idsOf('results');
  assert.ok(first, 'the search posted its results');
  // the cursor visits 60 functions with the sidebar open: Related shows 10 results each time
  let oldRelated: string | undefined;
  for (let k = 0; k < 60; k++) {
    sidebar.showRelated({ source: hit(1000 + k), results: Array.from({ length: 10 }, (_, i) => hit(2000 + k * 10 + i)), partial: false } as never);
    if (k === 0) oldRelated = idsOf('related')[0];
  }
  const copied = stub.clipboard.length;
  send({ type: 'copy', id: first });
  await settle();
  assert.deepEqual(stub.clipboard.slice(copied), ['src/f0.ts:1'], 'the first search result, still shown, is copied');
  send({ type: 'copy', id: idsOf('related')[0] });
  await settle();
  assert.equal(stub.clipboard.at(-1), 'src/f2590.ts:2591', 'the related result shown now');
  const before = stub.clipboard.length;
  send({ type: 'copy', id: oldRelated });
  await settle();
  assert.equal(stub.clipboard.length, before, 'a result of a related list no longer shown does nothing');
  // a new search replaces the results and their ids
  send({ type: 'search', query: 'read file', language: '', path: '' });
  await settle();
  send({ type: 'copy', id: first });
  await settle();
  assert.equal(stub.clipboard.length, before, 'the replaced search result does nothing');
  send({ type: 'copy', id: idsOf('results')[0] });
  await settle();
  assert.equal(stub.clipboard.at(-1), 'src/f0.ts:1');
});

test('Find Similar says what its list is, and an empty one says that no code is like the selection (it said "Type to search the workspace.")', async () => {
  const { sidebar, posted } = loadedSidebar(() => ({ hits: [], partial: false, lexicalOnly: false, failures: [] }) as unknown as QueryResult);
  const last = () => posted.filter((m) => m.type === 'results').at(-1) as unknown as { query: string; empty?: string; notice?: string; groups: unknown[] };
  sidebar.showResults('', { hits: [], partial: false, lexicalOnly: false, failures: [] } as unknown as QueryResult, true);
  assert.equal(last().empty, 'No other indexed code is like the selection.');
  sidebar.showResults('', { hits: [hit(1)], partial: false, lexicalOnly: true, failures: [] } as unknown as QueryResult, true);
  assert.equal(last().groups.length, 1);
  assert.equal(last().notice, 'Code like the selection. No embedding model is installed: results match words, not meaning.');
  // a palette search's list is as before
  sidebar.showResults('parse config', { hits: [], partial: false, lexicalOnly: false, failures: [] } as unknown as QueryResult);
  assert.equal(last().notice, undefined);
  assert.equal(last().query, 'parse config');
});

test('a search of a workspace never indexed says that nothing is indexed and what to do (it said "No results")', async () => {
  const none = () => ({ hits: [], partial: false, lexicalOnly: false, failures: [] }) as unknown as QueryResult;
  const never = { version: 1, root: '/ws', name: 'ws', state: 'stale', partial: false, mode: 'hybrid', refreshes: 0, generation: 0, contents: { files: 0, chunks: 0, definitions: 0, languages: {} }, neverSaved: true } as FolderStatus;
  const { posted, send } = loadedSidebar(none, [never]);
  const last = () => posted.filter((m) => m.type === 'results').at(-1) as unknown as { empty?: string };
  send({ type: 'search', query: 'parse config', language: '', path: '' });
  await settle();
  assert.equal(last().empty, 'Nothing is indexed yet: run Index Workspace (Code Scout: Reindex) to search this workspace.');
  // an index from an earlier session that has nothing for the query: the usual empty answer
  const { neverSaved: _, ...saved } = never;
  const indexed = loadedSidebar(none, [{ ...saved, contents: { files: 3, chunks: 9, definitions: 7, languages: {} } }]);
  indexed.send({ type: 'search', query: 'parse config', language: '', path: '' });
  await settle();
  assert.equal((indexed.posted.filter((m) => m.type === 'results').at(-1) as unknown as { empty?: string }).empty, undefined);
});
