/**
 * The agent tools (src/agent/tools.ts) over a real Workspace — the engine process's own — on a
 * copy of the fixture repository, with the tiny embedding model: what each tool answers, the
 * text and the structured content agreeing, and bad calls answered as errors that say why.
 * test/mcp.test.ts runs the same tools through a real MCP client and server.
 */
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { symlink, utimes } from 'node:fs/promises';
import { rmSync, symlinkSync } from 'node:fs';
import * as z from 'zod';
import { AGENT_TOOLS, MAX_OTHER_DEFINITIONS, runAgentTool, type AgentAnswer } from '../src/agent/tools';
import type { AgentBackend } from '../src/agent/backend';
import type { DefinitionEntry } from '../src/protocol/protocol';
import { SOME_HIT } from './helpers/hits';
import { namedParams } from '../src/server/requests';
import { MAX_RESULTS, parseLocation, resolvePath, selectFolders } from '../src/agent/arguments';
import { readExcerpt } from '../src/agent/excerpt';
import { agentHitOf, headerLine, resultBlocks, TEXT_BUDGET_CHARS, type AgentHit } from '../src/agent/answers';
import type { FolderOptions, FolderStatus } from '../src/protocol/protocol';
import { Workspace } from '../src/server/workspace';
import { buildFixtureModel, copyFixtureRepo, TempDirs, writeIn } from './helpers/workspace';

const temp = new TempDirs();
let workspace: Workspace;
let root: string;
let second: string;

function options(indexLocation: string, model: string): FolderOptions {
  return { include: [], exclude: [], maxFileBytes: 1024 * 1024, threads: 1, spelling: false, indexLocation, model };
}

before(async () => {
  const model = (await buildFixtureModel(await temp.make('agent-model'))).dir;
  root = await copyFixtureRepo(path.join(await temp.make('agent-ws'), 'repo'));
  second = await temp.make('agent-second');
  await writeIn(second, 'lib/strings.py', 'def reverse_words(text):\n    """Reverse the order of the words."""\n    return " ".join(reversed(text.split()))\n');
  const indexes = await temp.make('agent-index');
  const ready = new Set<string>();
  let allReady: () => void;
  const done = new Promise<void>((resolve) => (allReady = resolve));
  workspace = new Workspace({
    status: (s: FolderStatus) => {
      if (s.state === 'ready') ready.add(s.root);
      if (ready.size === 2) allReady();
    },
    log: () => {},
  });
  await workspace.configure({
    folders: [
      { root, name: 'repo', options: options(indexes, model) },
      { root: second, name: 'second', options: options(indexes, model) },
    ],
    indexOnOpen: true,
  });
  await done;
});

after(async () => {
  await workspace.close();
  await temp.cleanup();
});

function call(name: string, args: unknown): Promise<AgentAnswer> {
  return runAgentTool(workspace, name, args);
}

function resultsOf(a: AgentAnswer): { path: string; name: string; folder: string; startLine: number; snippet: string }[] {
  assert.equal(a.isError, false, a.text);
  return a.structured.results as never;
}

describe('agent tools', () => {
  it('lists four tools whose JSON Schemas describe their arguments', () => {
    assert.deepEqual(
      AGENT_TOOLS.map((t) => t.name),
      ['search_code', 'related_code', 'similar_code', 'index_status'],
    );
    const search = AGENT_TOOLS[0].inputJsonSchema as { properties: Record<string, { maxItems?: number; maximum?: number }>; required: string[] };
    assert.deepEqual(search.required, ['query']);
    assert.equal(search.properties.limit.maximum, MAX_RESULTS);
    assert.ok(!('$schema' in AGENT_TOOLS[0].inputJsonSchema));
    for (const tool of AGENT_TOOLS) assert.ok(!('additionalProperties' in tool.inputJsonSchema), `${tool.name}: the loose input's {} is left out`);
    for (const tool of AGENT_TOOLS) assert.ok(tool.description.length > 100, `${tool.name} tells a model when it helps`);
  });

  it('search_code finds a function by behaviour, with location, signature and code lines', async () => {
    const a = await call('search_code', { query: 'retry a failed request several times', folder: 'repo' });
    const results = resultsOf(a);
    assert.equal(results[0].name, 'retryRequest');
    assert.equal(results[0].path, 'src/http/client.ts');
    assert.equal(results[0].folder, root);
    assert.match(results[0].snippet, /^export async function retryRequest/);
    assert.ok(results[0].snippet.split('\n').length > 1, 'more than the signature');
    // two folders are served, so the text gives absolute paths
    assert.ok(a.text.includes(`${path.join(root, 'src', 'http', 'client.ts')}:20-`), a.text);
    assert.ok(a.text.includes('function retryRequest'), a.text);
    assert.ok(AGENT_TOOLS[0].outputSchema.safeParse(a.structured).success, 'structured content matches the output schema');
  });

  it('search_code honours limit, language and path filters', async () => {
    const one = resultsOf(await call('search_code', { query: 'file', limit: 1 }));
    assert.equal(one.length, 1);
    const py = resultsOf(await call('search_code', { query: 'save text to a file', language: ['py'], limit: 5 }));
    assert.ok(py.length > 0 && py.every((r) => r.path.endsWith('.py')));
    const inAuth = resultsOf(await call('search_code', { query: 'session', path: ['src/auth/**'] }));
    assert.ok(inAuth.length > 0 && inAuth.every((r) => r.path.startsWith('src/auth/')));
  });

  it('a path glob may begin with an escape, as the command line takes it: \\[id\\].ts is a file named [id].ts', async () => {
    const dir = await temp.make('agent-escape');
    await writeIn(dir, '[id].ts', 'export function loadThePage(id: string) {\n  return fetch(`/pages/${id}`);\n}\n');
    await writeIn(dir, 'other.ts', 'export function loadThePageAgain(id: string) {\n  return fetch(`/pages/${id}`);\n}\n');
    let ready: () => void;
    const indexed = new Promise<void>((resolve) => (ready = resolve));
    const folder = new Workspace({ status: (st: FolderStatus) => st.state === 'ready' && ready(), log: () => {} });
    try {
      await folder.configure({ folders: [{ root: dir, name: 'escape', options: { ...options(await temp.make('agent-escape-index'), ''), model: null } }], indexOnOpen: true });
      await indexed;
      const found = await runAgentTool(folder, 'search_code', { query: 'load the page', path: ['\\[id\\].ts'] });
      assert.equal(found.isError, false, found.text);
      assert.deepEqual((found.structured.results as { path: string }[]).map((r) => r.path), ['[id].ts']);
    } finally {
      await folder.close();
    }
    for (const outside of ['/etc/**', 'C:\\src\\**', '../x/**', 'a/../../b']) {
      assert.match((await call('search_code', { query: 'x', path: [outside] })).text, /outside the folder/, outside);
    }
  });

  it('searches every served folder unless one is named', async () => {
    const both = resultsOf(await call('search_code', { query: 'reverse_words' }));
    assert.equal(both[0].folder, second);
    assert.ok(both.some((r) => r.folder === root), 'and the other folder');
    const onlyRepo = resultsOf(await call('search_code', { query: 'reverse_words', folder: root }));
    assert.ok(onlyRepo.every((r) => r.folder === root));
  });

  it('related_code answers for a location and for a symbol name, the same way', async () => {
    const byLocation = await call('related_code', { location: 'src/storage/file_store.py:7', folder: 'repo' });
    assert.equal(byLocation.isError, false, byLocation.text);
    const source = byLocation.structured.source as { name: string };
    assert.equal(source.name, 'load_file');
    const bySymbol = await call('related_code', { symbol: 'load_file' });
    assert.deepEqual(bySymbol.structured, byLocation.structured);
    assert.ok(resultsOf(bySymbol).length > 0);
    assert.ok(!resultsOf(bySymbol).some((r) => r.name === 'load_file' && r.path === 'src/storage/file_store.py'), 'not itself');
    const absolute = await call('related_code', { location: `${path.join(root, 'src', 'storage', 'file_store.py')}:7` });
    assert.deepEqual(absolute.structured, byLocation.structured);
    assert.match(bySymbol.text, /related to .*file_store\.py:6-\d+ function load_file/);
  });

  it('related_code by name looks the definitions up without their related code, which it computes for one only', async () => {
    const asked: number[] = [];
    const backend: AgentBackend = {
      statuses: () => workspace.statuses(),
      search: (p) => workspace.search(p),
      similar: (p) => workspace.similar(p),
      related: (p) => workspace.related(p),
      report: (r) => workspace.report(r),
      definitionsNamed: async (p) => {
        asked.push(p.top);
        return workspace.definitionsNamed(p);
      },
    };
    const a = await runAgentTool(backend, 'related_code', { symbol: 'load_file' });
    assert.ok(resultsOf(a).length > 0, a.text);
    // a name such as `constructor` or `__init__` has thousands of definitions: related code for each took seconds
    assert.deepEqual(asked, [0]);
    const named = await workspace.definitionsNamed({ name: 'load_file', top: 0 });
    assert.ok(named.length > 0 && named.every((d) => d.related.length === 0));
    assert.ok((await workspace.definitionsNamed({ name: 'load_file', top: 3 }))[0].related.length > 0, 'top 1 or more still gives related code');
    assert.equal(namedParams({ name: 'load_file', top: 0 }).top, 0, 'the engine process takes top 0');
  });

  it('an absolute location is inside a folder unless it climbs out of it (a name that starts with two dots does not)', async () => {
    const [served] = (await workspace.statuses()).filter((f) => f.root === root);
    assert.deepEqual(resolvePath([served], path.join(root, 'src', '..hidden.py')), [{ root, path: 'src/..hidden.py' }]);
    assert.deepEqual(resolvePath([served], path.join(root, '..notes.py')), [{ root, path: '..notes.py' }]);
    assert.throws(() => resolvePath([served], path.join(root, '..', 'elsewhere.py')), /outside the served folders/);
    assert.throws(() => resolvePath([served], root), /is a folder, not a file/);
    // a backslash separates names only on Windows; elsewhere 'a\\b.py' is a file of its own, as search lists it
    assert.deepEqual(resolvePath([served], 'a\\b.py'), [{ root, path: path.sep === '\\' ? 'a/b.py' : 'a\\b.py' }]);
    // reached through a link to the folder (as macOS's /tmp is /private/tmp), the file there or not yet
    const link = `${root}-link-${process.pid}`;
    symlinkSync(root, link);
    try {
      assert.deepEqual(resolvePath([served], path.join(link, 'src', 'storage', 'file_store.py')), [{ root, path: 'src/storage/file_store.py' }]);
      assert.deepEqual(resolvePath([served], path.join(link, 'new', 'later.py')), [{ root, path: 'new/later.py' }]);
      assert.deepEqual(selectFolders([served], link), [served]);
      assert.throws(() => resolvePath([served], path.join(link, '..', 'elsewhere.py')), /outside the served folders/);
    } finally {
      rmSync(link);
    }
  });

  it('similar_code finds code like a snippet', async () => {
    const a = await call('similar_code', { code: 'def write_file(path, text):\n    with open(path, "w") as f:\n        f.write(text)\n', limit: 3 });
    assert.ok(resultsOf(a).some((r) => r.name === 'save_file'), a.text);
  });

  it('index_status reports coverage, mode, model and staleness per folder', async () => {
    const a = await call('index_status', { folder: 'repo' });
    assert.equal(a.isError, false, a.text);
    const [folder] = a.structured.folders as { state: string; mode: string; model: string; files: number; chunks: number; changedSinceIndexed: { added: number } }[];
    assert.equal(folder.state, 'ready');
    assert.equal(folder.mode, 'hybrid');
    assert.match(folder.model, /^tiny-test-model@/);
    assert.ok(folder.files > 5 && folder.chunks > 5);
    assert.deepEqual(folder.changedSinceIndexed, { added: 0, changed: 0, removed: 0 });
    assert.match(a.text, /ready.*hybrid/);
    assert.match(a.text, /up to date with the files on disk/);
    assert.ok(AGENT_TOOLS[3].outputSchema.safeParse(a.structured).success);
    const all = await call('index_status', {});
    assert.equal((all.structured.folders as unknown[]).length, 2);
  });

  it('a folder name two served folders share is an error that lists them, and arguments quoted in errors are escaped', async () => {
    const [status] = await workspace.statuses();
    const backend = {
      statuses: async () => [
        { ...status, root: '/x/one/repo', name: 'repo' },
        { ...status, root: '/x/two/repo', name: 'repo' },
      ],
    } as unknown as AgentBackend;
    const ambiguous = await runAgentTool(backend, 'search_code', { query: 'x', folder: 'repo' });
    assert.equal(ambiguous.isError, true);
    assert.equal(ambiguous.text, '"repo" names 2 served folders (/x/one/repo, /x/two/repo); give the folder\'s path.');
    const odd = await call('search_code', { query: 'x', folder: 'repo\u0000\u001b[31m' });
    assert.equal(odd.isError, true);
    assert.doesNotMatch(odd.text, /[\u0000-\u001f]/, 'no control character reaches the answer');
    assert.match(odd.text, /is not a served folder/);
  });

  it('search_code says when its filters are why nothing was found', async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ path: ['no/such/**'] }, /^No results for "save a file"\. No indexed file matches the path filter "no\/such\/\*\*"\./],
      [{ language: ['csharp'] }, /^No results for "save a file"\. No indexed code is in csharp\./],
      [{ path: ['src/storage/**'], language: ['typescript'] }, /^No results for "save a file"\. The filters exclude everything: no indexed code in typescript matches the path filter "src\/storage\/\*\*"\./],
    ];
    for (const [filters, expected] of cases) {
      const a = await call('search_code', { query: 'save a file', folder: 'repo', ...filters });
      assert.equal(a.isError, false, a.text);
      assert.match(a.text, expected, JSON.stringify(filters));
    }
  });

  it('search_code with nothing found, one folder failed and another answered: no results, the failure noted, not an error; every folder failed: an error', async () => {
    const good = (await workspace.statuses()).find((s) => s.root === root)!;
    const broken: FolderStatus = { ...good, root: path.join(path.dirname(root), 'broken'), name: 'broken', state: 'error', lastError: 'the index folder /x holds other files' };
    const failure = { root: broken.root, message: 'the index folder /x holds other files' };
    const backend = (folders: FolderStatus[]) =>
      ({ statuses: async () => folders, search: async (p: never) => ({ ...(await workspace.search(p)), hits: [], failures: [failure] }) }) as unknown as AgentBackend;
    const some = await runAgentTool(backend([broken, good]), 'search_code', { query: 'parse config', language: ['go'] });
    assert.equal(some.isError, false, some.text);
    assert.match(some.text, /^No results for "parse config"\./);
    assert.match(some.text, /broken.*could not answer: the index folder \/x holds other files/);
    assert.deepEqual(some.structured.failures, [{ folder: broken.root, message: failure.message }]);
    const all = await runAgentTool(backend([broken]), 'search_code', { query: 'parse config' });
    assert.equal(all.isError, true);
    assert.match(all.text, /^The search failed:\n.*broken: the index folder \/x holds other files$/);
  });

  it('an empty answer to a call made while the folder was opening describes the folder as it is once the query ran', async () => {
    const ready = (await workspace.statuses()).find((s) => s.root === root)!;
    const opening: FolderStatus = { ...ready, state: 'opening', contents: { ...ready.contents, chunks: 0, files: 0 } };
    let calls = 0;
    // the first status read (before the query) finds it opening; the query waits for it to open
    const backend = { statuses: async () => (calls++ === 0 ? [opening] : [ready]), similar: async (p: never) => ({ ...(await workspace.similar(p)), hits: [] }) } as unknown as AgentBackend;
    const a = await runAgentTool(backend, 'similar_code', { code: 'zzzz qqqq' });
    assert.equal(a.isError, false, a.text);
    assert.equal(a.text, 'No code like the code given.');
  });

  it('related_code goes on past a folder whose index failed, and says why when every folder it asked failed', async () => {
    const good = (await workspace.statuses()).find((s) => s.root === root)!;
    const broken: FolderStatus = { ...good, root: path.join(path.dirname(root), 'broken'), name: 'broken', state: 'error', lastError: 'the index folder /x holds other files' };
    const backend = (folders: FolderStatus[]) =>
      ({
        statuses: async () => folders,
        related: (p: { root: string }) => (p.root === broken.root ? Promise.reject(new Error('the index folder /x holds other files')) : workspace.related(p as never)),
        definitionsNamed: async (p: { name: string; root?: string }) => (await workspace.definitionsNamed(p as never)).filter((d) => folders.some((f) => f.root === d.root)),
      }) as unknown as AgentBackend;
    // the broken folder is asked first: the location is still found in the other
    const found = await runAgentTool(backend([broken, good]), 'related_code', { location: 'src/storage/file_store.py:7' });
    assert.match(found.text, /related to .*file_store\.py:6-\d+ function load_file/);
    const none = await runAgentTool(backend([broken, good]), 'related_code', { symbol: 'no_such_function' });
    assert.equal(none.isError, true);
    assert.match(none.text, /No indexed definition is named "no_such_function"[^]*Not searched, as their index failed:\n.*broken: the index folder \/x holds other files/);
    for (const args of [{ symbol: 'load_file' }, { location: 'src/storage/file_store.py:7' }]) {
      const failed = await runAgentTool(backend([broken]), 'related_code', args);
      assert.equal(failed.isError, true);
      assert.match(failed.text, /^related_code failed:\n.*broken: the index folder \/x holds other files$/, JSON.stringify(args));
    }
  });

  it('index_status asked while a folder opens describes the folder as it is once its report is ready, not as it was asked', async () => {
    const [ready] = (await workspace.statuses()).filter((s) => s.root === root);
    const opening: FolderStatus = { ...ready, state: 'opening', partial: true, mode: 'lexical-only', contents: { ...ready.contents, files: 0, chunks: 0, definitions: 0, languages: {} } };
    let opened = false;
    // the report waits for the index to open, as Workspace.report does
    const backend = {
      statuses: async () => [opened ? ready : opening],
      report: async (folder: string) => {
        const report = await workspace.report(folder);
        opened = true;
        return report;
      },
    } as unknown as AgentBackend;
    const a = await runAgentTool(backend, 'index_status', {});
    assert.equal(a.isError, false, a.text);
    const [folder] = a.structured.folders as { state: string; partial: boolean; mode: string; files: number }[];
    assert.deepEqual([folder.state, folder.partial, folder.mode, folder.files], ['ready', false, 'hybrid', ready.contents.files]);
    assert.doesNotMatch(a.text, /partial|words only/);
  });

  it('a folder whose index another process is building: an empty answer and index_status say so, not that nothing is indexed', async () => {
    const [ready] = (await workspace.statuses()).filter((s) => s.root === root);
    const waiting: FolderStatus = { ...ready, state: 'ready', partial: true, otherWriter: true, contents: { ...ready.contents, files: 0, chunks: 0, definitions: 0, languages: {} } };
    const backend = {
      statuses: async () => [waiting],
      search: async () => ({ hits: [], failures: [], partial: true, mode: waiting.mode }),
      report: async (folder: string) => ({ ...(await workspace.report(folder)), updatedAt: null }),
    } as unknown as AgentBackend;
    const empty = await runAgentTool(backend, 'search_code', { query: 'save a file' });
    assert.equal(empty.isError, false, empty.text);
    assert.match(empty.text, /Another process \(the codescout CLI or an editor\) is building the index/);
    assert.doesNotMatch(empty.text, /Nothing is indexed/);
    const status = await runAgentTool(backend, 'index_status', {});
    const [folder] = status.structured.folders as { otherWriter?: boolean; partial: boolean }[];
    assert.deepEqual([folder.otherWriter, folder.partial], [true, true]);
    assert.match(status.text, /another process \(the codescout CLI or an editor\) is updating this index/);
  });

  it('index_status names the files another model (or none) indexed that wait for their vectors', async () => {
    const [ready] = (await workspace.statuses()).filter((s) => s.root === root);
    const report = await workspace.report(root);
    const backend = (redo: typeof report.redo) => ({ statuses: async () => [ready], report: async () => ({ ...report, redo }) }) as unknown as AgentBackend;
    const waiting = await runAgentTool(backend({ ...report.redo, embed: 3 }), 'index_status', {});
    assert.equal((waiting.structured.folders as { awaitingVectors?: number }[])[0].awaitingVectors, 3);
    assert.match(waiting.text, /3 files indexed by another model or none: searched by words until the next refresh embeds them/);
    const none = await runAgentTool(backend({ ...report.redo }), 'index_status', {});
    assert.equal('awaitingVectors' in (none.structured.folders as object[])[0], false);
    assert.doesNotMatch(none.text, /indexed by another model/);
  });

  it('index_status of a folder whose status report fails says when it was last written is unknown, not that it never was', async () => {
    const [ready] = (await workspace.statuses()).filter((s) => s.root === root);
    const failing = {
      statuses: async () => [ready],
      report: async () => {
        throw new Error('the engine stopped');
      },
    } as unknown as AgentBackend;
    const a = await runAgentTool(failing, 'index_status', {});
    assert.equal(a.isError, false, a.text);
    const [folder] = a.structured.folders as { updatedAt?: string | null; model?: string | null; error?: string }[];
    assert.equal('updatedAt' in folder, false);
    assert.equal('model' in folder, false, 'the model is unknown too, not "none"');
    assert.ok(AGENT_TOOLS[3].outputSchema.safeParse(a.structured).success);
    assert.match(a.text, /ranking by hybrid: words and the embedding model\n/);
    assert.equal(folder.error, 'status unavailable: the engine stopped');
    assert.match(a.text, /; last written unknown\n/);
    assert.doesNotMatch(a.text, /last written never/);
    // an index never written still says so
    const never = await runAgentTool({ ...failing, report: async (f: string) => ({ ...(await workspace.report(f)), updatedAt: null }) } as unknown as AgentBackend, 'index_status', {});
    assert.equal((never.structured.folders as { updatedAt?: string | null }[])[0].updatedAt, null);
    assert.match(never.text, /; last written never\n/);
  });

  it('a location whose path holds a line break or an escape is read as the command line reads it', () => {
    assert.deepEqual(parseLocation('new\nline\u001b[31m.py:12'), { path: 'new\nline\u001b[31m.py', line: 12 });
    assert.deepEqual(parseLocation('C:\\src\\a.py:3'), { path: 'C:\\src\\a.py', line: 3 });
    assert.throws(() => parseLocation('a.py:\n3'), /is not "path:line"/);
  });

  it('a folder whose last refresh failed (its folder was deleted) still answers from its index, and the answer says so', async () => {
    const [good] = (await workspace.statuses()).filter((s) => s.root === root);
    const failed: FolderStatus = { ...good, state: 'error', lastError: `the workspace folder ${root} no longer exists` };
    const backend = { statuses: async () => [failed], search: (p: never) => workspace.search(p) } as unknown as AgentBackend;
    const a = await runAgentTool(backend, 'search_code', { query: 'save a file' });
    assert.equal(a.isError, false, a.text);
    assert.ok((a.structured.results as unknown[]).length > 0);
    assert.match(a.text, new RegExp(`\\n${root.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: its index could not be brought up to date \\(the workspace folder .* no longer exists\\); its results are from the index as it was\\.$`));
    const healthy = await runAgentTool({ ...backend, statuses: async () => [good] } as AgentBackend, 'search_code', { query: 'save a file' });
    assert.doesNotMatch(healthy.text, /could not be brought up to date/);
    // a folder that failed to answer is said once, as a failure
    const refused = { ...backend, search: async (p: never) => ({ ...(await workspace.search(p)), failures: [{ root, message: 'its index failed' }] }) } as unknown as AgentBackend;
    const second = { ...good, root: '/elsewhere', name: 'elsewhere' };
    const once = await runAgentTool({ ...refused, statuses: async () => [failed, second] } as AgentBackend, 'search_code', { query: 'save a file' });
    assert.match(once.text, /could not answer: its index failed/);
    assert.doesNotMatch(once.text, /could not be brought up to date/);
    // related_code says so too, for the folder that answered
    const related = await runAgentTool({ statuses: async () => [failed], related: (p: never) => workspace.related(p) } as unknown as AgentBackend, 'related_code', { location: 'src/storage/file_store.py:7' });
    assert.equal(related.isError, false, related.text);
    assert.match(related.text, /its index could not be brought up to date \(the workspace folder .* no longer exists\); its results are from the index as it was\.$/);
  });

  it('answers a bad call with an error that says what was wrong', async () => {
    const cases: [string, unknown, RegExp][] = [
      ['search_code', {}, /query \(text\) is required/],
      ['search_code', { query: '   ' }, /query is empty/],
      ['search_code', { query: 'x', limit: 0 }, /limit must be at least 1/],
      ['search_code', { query: 'x', limit: 1000 }, /limit must be at most 50/],
      ['search_code', { query: 'x', language: ['klingon'] }, /unknown language "klingon"/],
      ['search_code', { query: 'x', path: ['../elsewhere/**'] }, /outside the folder/],
      ['search_code', { query: 'x', folder: 'nope' }, /"nope" is not a served folder; served: /],
      ['search_code', { query: 'x'.repeat(2001) }, /longer than 2000 characters/],
      ['search_code', { query: 'x'.repeat(5000) }, /^[^\n]*query is longer than 2000 characters(?![^]*query is longer)/],
      ['search_code', { query: 'x', language: Array(21).fill('py') }, /language lists more than 20 languages/],
      ['search_code', { query: 'x', language: [''] }, /a language name is empty/],
      ['search_code', { query: 'x', path: Array(21).fill('src/**') }, /path lists more than 20 globs/],
      ['search_code', { query: 'x', path: ['a'.repeat(1001)] }, /a path glob is longer than 1000 characters/],
      ['search_code', { query: 'x', folder: '' }, /folder is empty/],
      ['related_code', { symbol: 's'.repeat(1001) }, /symbol is longer than 1000 characters/],
      ['related_code', { location: 'a'.repeat(4200) }, /location is longer than 4108 characters/],
      ['related_code', {}, /exactly one of location/],
      ['related_code', { location: 'a.py:1', symbol: 'x' }, /exactly one of location/],
      ['related_code', { location: 'src/storage/file_store.py' }, /is not "path:line"/],
      ['related_code', { location: 'src/storage/file_store.py:0' }, /must be 1 or more/],
      ['related_code', { location: 'src/storage/file_store.py:99999999999999999999' }, /is too large to be a line number/],
      ['related_code', { location: '../outside.py:3' }, /outside the folder/],
      ['related_code', { location: '/etc/passwd:1' }, /outside the served folders/],
      ['related_code', { location: 'src/storage/missing.py:1' }, /No indexed function, method or class is at src\/storage\/missing\.py:1/],
      ['related_code', { symbol: 'no_such_function' }, /No indexed definition is named "no_such_function"/],
      ['related_code', { symbol: 'Nowhere.load_file' }, /qualifier matching the container/],
      ['similar_code', { code: '  \n ' }, /only white space/],
      // characters, not UTF-16 units: 20,000 emoji are accepted (below), one more is not
      ['similar_code', { code: '😀'.repeat(20_001) }, /code is longer than 20000 characters/],
      ['index_status', { folder: 'constructor' }, /"constructor" is not a served folder/],
      ['no_such_tool', {}, /has no tool "no_such_tool"/],
      ['search_code', 'not an object', /Invalid arguments for search_code/],
    ];
    for (const [name, args, message] of cases) {
      const a = await call(name, args);
      assert.equal(a.isError, true, `${name} ${JSON.stringify(args)} is an error`);
      assert.match(a.text, message, `${name} ${JSON.stringify(args)}`);
      assert.deepEqual(a.structured, {});
    }
    // and it still answers
    assert.equal(resultsOf(await call('search_code', { query: 'parse configuration text' }))[0].name, 'parse_config');
    assert.equal((await call('similar_code', { code: '😀'.repeat(20_000) })).isError, false);
  });

  it('an argument a tool does not take (a misspelt one) is named in the answer, with what the tool takes; the call still runs', async () => {
    const answered = await call('search_code', { query: 'parse configuration text', limt: 1 });
    assert.equal(answered.isError, false);
    assert.equal(resultsOf(answered)[0].name, 'parse_config');
    assert.match(answered.text, /\nIgnored an argument search_code does not take: "limt"; it takes query, language, path, limit, folder\.$/);
    // and beside an error, where it is most likely why
    const failed = await call('related_code', { symbl: 'parse_config' });
    assert.equal(failed.isError, true);
    assert.match(failed.text, /give exactly one of location/);
    assert.match(failed.text, /\nIgnored an argument related_code does not take: "symbl"; it takes location, symbol, limit, folder\.$/);
    // names of Object.prototype are arguments like any other; control characters are shown, not sent
    const odd = await call('index_status', { constructor: 1, __proto__: 2, 'a\u0007': 3 });
    assert.match(odd.text, /Ignored arguments index_status does not take: "constructor", "a\\x07"; it takes folder\.$/);
    const plain = await call('search_code', { query: 'parse configuration text' });
    assert.doesNotMatch(plain.text, /Ignored/);
  });

  it('reads excerpts inside the folder only: a file that became a link out of it is not read', async () => {
    const dir = await temp.make('agent-excerpt');
    const inside = path.join(dir, 'repo');
    await writeIn(inside, 'src/a.py', 'def a():\n    return 1\n');
    await writeIn(dir, 'secret.txt', 'TOKEN=hunter2\n');
    await symlink(path.join(dir, 'secret.txt'), path.join(inside, 'src', 'b.py'));
    await symlink(path.join(inside, 'src', 'a.py'), path.join(inside, 'src', 'c.py'));
    assert.deepEqual(await readExcerpt(inside, 'src/a.py', 1, 2, 5), ['def a():', '    return 1']);
    assert.equal(await readExcerpt(inside, 'src/b.py', 1, 1, 5), undefined, 'the link out of the folder is not followed');
    assert.deepEqual(await readExcerpt(inside, 'src/c.py', 1, 1, 5), ['def a():'], 'a link inside the folder is');
  });

  it('related_code by a name with many definitions says how many there are, listing the first ones', async () => {
    const served = (await workspace.statuses()).filter((f) => f.root === root);
    const definitions: DefinitionEntry[] = Array.from({ length: MAX_OTHER_DEFINITIONS + 6 }, (_, i) => ({
      root,
      path: `src/step${i}.py`,
      name: 'run',
      kind: 'function',
      startLine: 1,
      endLine: 2,
      signature: 'def run():',
      related: [],
    }));
    const backend = {
      statuses: async () => served,
      definitionsNamed: async () => definitions,
      related: async () => ({ source: { ...SOME_HIT, root, path: 'src/step0.py', name: 'run' }, results: [], partial: false }),
    } as unknown as AgentBackend;
    const a = await runAgentTool(backend, 'related_code', { symbol: 'run' });
    assert.equal(a.isError, false, a.text);
    assert.equal((a.structured.otherDefinitions as unknown[]).length, MAX_OTHER_DEFINITIONS);
    assert.match(a.text, new RegExp(`"run" has ${MAX_OTHER_DEFINITIONS + 5} other definitions \\(ask by location for one of them; the first ${MAX_OTHER_DEFINITIONS}\\):`), a.text);
  });

  it('shows code only while the text budget lasts, and a header line for every result', () => {
    const line = 'x'.repeat(150);
    const hits: AgentHit[] = Array.from({ length: MAX_RESULTS }, (_, i) => ({
      path: `src/f${i}.py`,
      folder: root,
      startLine: 1,
      endLine: 9,
      name: `f${i}`,
      kind: 'function',
      language: 'python',
      signature: `def f${i}():`,
      snippet: Array.from({ length: 5 }, () => line).join('\n'),
      score: 1,
    }));
    const style = { absolute: false };
    const text = resultBlocks(hits, style);
    const lines = text.split('\n');
    for (const hit of hits) assert.ok(lines.includes(headerLine(hit, style)), `${hit.name} keeps its header line`);
    const code = lines.filter((l) => l.startsWith('    '));
    assert.ok(code.length >= 5, 'the first results show their code');
    assert.ok(code.length < hits.length * 5, 'the later ones do not');
    assert.ok(code.join('\n').length <= TEXT_BUDGET_CHARS, `${code.join('\n').length} characters of code`);
  });

  it('a result whose file changed since it was indexed shows its indexed line, not the lines there now, and says so', async () => {
    await writeIn(second, 'lib/moved.py', '# a note\n# another\ndef moved_function():\n    return 1\n');
    const hit = { ...SOME_HIT, root: second, path: 'lib/moved.py', startLine: 1, endLine: 2, name: 'moved_function', signature: 'def moved_function():', snippet: 'def moved_function():' };
    const asIndexed = await agentHitOf(hit, 5);
    assert.equal(asIndexed.snippet, '# a note\n# another', 'an unchanged file: its lines as on disk');
    assert.equal(asIndexed.changed, undefined);
    const changed = await agentHitOf({ ...hit, changed: true }, 5);
    assert.equal(changed.snippet, 'def moved_function():');
    assert.equal(changed.changed, true);
    const style = { absolute: false };
    assert.equal(headerLine(changed, style), 'lib/moved.py:1-2 function moved_function (file changed since indexed: lines may have moved)');
    assert.equal(headerLine(asIndexed, style), 'lib/moved.py:1-2 function moved_function');
  });

  it('related_code by name right after a save that moved the definition answers for that definition, not for the code now at its old line', async () => {
    const moving = 'def moving_target(items):\n    \"\"\"Sort the items.\"\"\"\n    return sorted(items)\n';
    await writeIn(second, 'lib/moving.py', moving);
    workspace.get(second).requestRefresh('user');
    let indexed: AgentAnswer | undefined;
    for (let i = 0; i < 100 && !indexed; i++) {
      const a = await call('related_code', { symbol: 'moving_target' });
      if (!a.isError) indexed = a;
      else await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal((indexed?.structured.source as { startLine: number } | undefined)?.startLine, 1, 'indexed at line 1');
    // saved with another function above it; nobody tells the index
    await writeIn(second, 'lib/moving.py', `def unrelated_helper(x):\n    return x + 1\n\n\n${moving}`);
    const later = new Date(Date.now() + 2000);
    await utimes(path.join(second, 'lib', 'moving.py'), later, later);
    const a = await call('related_code', { symbol: 'moving_target' });
    assert.equal(a.isError, false, a.text);
    const source = a.structured.source as { name: string; startLine: number; changed?: true };
    assert.deepEqual([source.name, source.startLine, source.changed], ['moving_target', 5, undefined], a.text);
  });

  it('keeps the answer text within its budget and writes control characters visibly', async () => {
    const weird = 'lib/we\u001b[31mird\nname.py';
    await writeIn(second, weird, 'def odd_escape_function():\n    return "\\u001b"\n');
    workspace.get(second).requestRefresh('user');
    await new Promise((r) => setTimeout(r, 50));
    let found: AgentAnswer | undefined;
    for (let i = 0; i < 100 && !found; i++) {
      const a = await call('search_code', { query: 'odd_escape_function', folder: 'second' });
      if (!a.isError && (a.structured.results as { name: string }[]).some((r) => r.name === 'odd_escape_function')) found = a;
      else await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(found, 'the new file was indexed');
    assert.ok(!/[\u001b]/.test(found.text) && found.text.includes('we\\x1b[31mird\\nname.py'), found.text);
    const many = await call('search_code', { query: 'function', limit: MAX_RESULTS });
    assert.ok(many.text.length < 16_000, `${many.text.length} characters`);
    assert.ok(z.object({}).passthrough().safeParse(many.structured).success);
  });
});
