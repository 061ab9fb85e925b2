/**
 * `codescout mcp` as coding agents use it: the MCP SDK's own Client over stdio, spawning
 * `node bin/codescout.js mcp <folder>` on a copy of the fixture repository with the tiny model;
 * and the engine process's agent socket (`dist/server.js --agent-socket`), reached through
 * `codescout mcp --attach`. See docs/mcp.md.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readdirSync, readFileSync, statSync, symlinkSync } from 'node:fs';
import { mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { createConnection, createServer, type Socket } from 'node:net';
import { PassThrough } from 'node:stream';
import * as path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from 'vscode-jsonrpc/node';
import { Configure, FolderStatusChanged, Search, Shutdown, Status, type FolderStatus } from '../src/protocol/protocol';
import { parseCommandLine, type McpInvocation } from '../src/cli/args';
import { UsageError } from '../src/cli/errors';
import { FolderWatcher } from '../src/cli/folder-watcher';
import { relay } from '../src/cli/mcp-relay';
import { engineEndingLine } from '../src/protocol/agent-relay';
import type { AgentBackend } from '../src/agent/backend';
import { listenForAgents } from '../src/server/agent-endpoint';
import { CLI, ensureBundles, startNode, type Started } from './helpers/cli-process';
import { buildFixtureModel, copyFixtureRepo, lineOf, PACKAGE_ROOT, TempDirs } from './helpers/workspace';

const SERVER_BUNDLE = path.join(PACKAGE_ROOT, 'dist', 'server.js');
const STORE = 'src/storage/file_store.py';
const TOOL_NAMES = ['index_status', 'related_code', 'search_code', 'similar_code'];
/** A process that has not ended after this long is killed, so that a hang fails its test rather than the run. */
const PROCESS_TIMEOUT_MS = 60_000;

const temp = new TempDirs();
let model: string;

before(async () => {
  ensureBundles('cli.js', 'cli-start.js', 'server.js');
  model = (await buildFixtureModel(await temp.make('mcp-model'))).dir;
});
after(() => temp.cleanup());

interface ToolResult {
  content: { type: string; text: string }[];
  structuredContent?: Record<string, unknown>;
  isError?: boolean;
}

/** An MCP client session over a spawned `codescout …`, with what the process wrote to stderr. */
class Session {
  stderr = '';
  closed = false;
  readonly client = new Client({ name: 'codescout-test', version: '1.0.0' });
  readonly transport: StdioClientTransport;

  constructor(args: string[], env: Record<string, string> = {}) {
    this.transport = new StdioClientTransport({
      command: process.execPath,
      args: [CLI, ...args],
      stderr: 'pipe',
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    });
    this.transport.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString('utf8')));
  }

  async start(): Promise<this> {
    const onclose = () => (this.closed = true);
    await this.client.connect(this.transport);
    const previous = this.transport.onclose;
    this.transport.onclose = () => {
      previous?.();
      onclose();
    };
    return this;
  }

  async call(name: string, args: Record<string, unknown>): Promise<ToolResult> {
    return (await this.client.callTool({ name, arguments: args })) as ToolResult;
  }

  text(result: ToolResult): string {
    return result.content.map((c) => c.text).join('\n');
  }

  close(): Promise<void> {
    return this.client.close();
  }
}

/** Starts `node script args…`, stdin left open unless `input` is given; a hang is killed after {@link PROCESS_TIMEOUT_MS}. */
function runNode(script: string, args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv } = {}): Started {
  return startNode(script, args, { ...opts, keepStdinOpen: opts.input === undefined, killAfterMs: PROCESS_TIMEOUT_MS });
}

async function fixture(label: string): Promise<{ root: string; indexDir: string }> {
  const dir = await temp.make(label);
  return { root: await copyFixtureRepo(path.join(dir, 'repo')), indexDir: path.join(dir, 'index') };
}

/** Calls `call` until `ok` holds for its answer (a watched change is applied after a quiet period); fails after `ms`. */
async function eventually<T>(call: () => Promise<T>, ok: (value: T) => boolean, what: string, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await call();
    if (ok(value)) return value;
    if (Date.now() > deadline) assert.fail(`${what}: still not so after ${ms} ms; last answer: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

test('codescout mcp: a real MCP client lists the tools, searches, asks for related code, gets tool errors for bad calls, and the server follows file changes', async () => {
  const { root, indexDir } = await fixture('stdio');
  // an already-indexed folder, as an agent usually finds it
  execFileSync(process.execPath, [CLI, 'index', root, '--index-dir', indexDir, '--model', model], { stdio: 'pipe' });
  const session = await new Session(['mcp', root, '--index-dir', indexDir, '--model', model]).start();
  // anything on stdout that is not a protocol message is reported here
  const transportErrors: Error[] = [];
  session.client.onerror = (err) => transportErrors.push(err);
  try {
    const info = session.client.getServerVersion();
    assert.equal(info?.name, 'codescout');
    const tools = (await session.client.listTools()).tools;
    assert.deepEqual(tools.map((t) => t.name).sort(), TOOL_NAMES);
    for (const tool of tools) assert.ok(tool.description && tool.description.length > 20, `${tool.name} has a description`);

    const found = await session.call('search_code', { query: 'parse config', limit: 5 });
    assert.notEqual(found.isError, true, session.text(found));
    const results = found.structuredContent?.results as { path: string; name: string; startLine: number }[];
    assert.equal(results[0].name, 'parse_config');
    assert.equal(results[0].path, 'src/parser/config_parser.py');
    assert.match(session.text(found), new RegExp(`^src/parser/config_parser\\.py:${results[0].startLine}-\\d+ function parse_config$`, 'm'));

    // through the SDK's own check of the arguments: one the tool does not take is named, not dropped
    const misspelt = await session.call('search_code', { query: 'parse config', limt: 5 });
    assert.notEqual(misspelt.isError, true, session.text(misspelt));
    assert.match(session.text(misspelt), /\nIgnored an argument search_code does not take: "limt"; it takes query, language, path, limit, folder\.$/);

    const line = lineOf(root, STORE, 'def load_file');
    const byLocation = await session.call('related_code', { location: `${STORE}:${line}` });
    assert.notEqual(byLocation.isError, true, session.text(byLocation));
    assert.match(session.text(byLocation), /save_file/, 'a neighbour on the same topic');
    const bySymbol = await session.call('related_code', { symbol: 'load_file' });
    assert.notEqual(bySymbol.isError, true, session.text(bySymbol));
    assert.match(session.text(bySymbol), /save_file/);

    const noQuery = await session.call('search_code', {});
    assert.equal(noQuery.isError, true, 'a search without a query is a tool error');
    assert.match(session.text(noQuery), /query/);
    const outside = await session.call('related_code', { location: '../outside.py:3' });
    assert.equal(outside.isError, true, 'a path outside the folder is a tool error');
    assert.match(session.text(outside), /outside|inside/);
    const unknown = await session.call('related_code', { symbol: 'no_such_function_anywhere' });
    assert.equal(unknown.isError, true, 'an unknown symbol is a tool error');
    assert.match(session.text(unknown), /no_such_function_anywhere/);

    const again = await session.call('search_code', { query: 'save a file' });
    assert.notEqual(again.isError, true, 'the server still answers after the bad calls');
    assert.match(session.text(again), /file_store\.py/);

    // the folder is watched: a new function is found without asking for a refresh
    await writeFile(path.join(root, 'src', 'storage', 'archive.py'), 'def compress_archive_zstd(path):\n    """Compress the archive with zstd."""\n    return path\n');
    await eventually(
      () => session.call('search_code', { query: 'compress_archive_zstd' }),
      (r) => /compress_archive_zstd/.test(session.text(r)),
      'a function written after the start is found',
    );
    // the notices go to stderr (stdout carries only the protocol: the client would have failed on anything else)
    await eventually(async () => session.stderr, (e) => /^codescout: repo: ready \(\d+ files/m.test(e), 'stderr says the folder is ready');
    assert.deepEqual(transportErrors, [], 'stdout carried protocol messages only');
  } finally {
    await session.close();
  }
});

test('codescout mcp ends cleanly, with exit code 0, when stdin closes and on SIGTERM; stdout stays empty without a client', async () => {
  const { root, indexDir } = await fixture('ending');
  const byStdin = runNode(CLI, ['mcp', root, '--index-dir', indexDir, '--lexical-only'], { input: '' });
  const ended = await byStdin.done;
  assert.equal(ended.code, 0, ended.stderr);
  assert.equal(ended.stdout, '');

  const bySignal = runNode(CLI, ['mcp', root, '--index-dir', indexDir, '--lexical-only']);
  // once it has said it is ready, its index is open
  await new Promise<void>((resolve) => bySignal.child.stderr.on('data', (d: Buffer) => /ready/.test(d.toString()) && resolve()));
  bySignal.child.kill('SIGTERM');
  const stopped = await bySignal.done;
  assert.equal(stopped.signal, null, 'it ended by itself');
  assert.equal(stopped.code, 0, stopped.stderr);
  assert.equal(stopped.stdout, '');
  assert.ok(!existsSync(path.join(indexDir, 'index.lock')), 'the index lock was released');
});

test('codescout mcp whose client stops reading its stdout closes its indexes before it ends, as when stdin closes', async () => {
  const { root, indexDir } = await fixture('stdout-closed');
  const run = runNode(CLI, ['mcp', root, '--index-dir', indexDir, '--lexical-only']);
  await new Promise<void>((resolve) => run.child.stderr.on('data', (d: Buffer) => /ready/.test(d.toString()) && resolve()));
  assert.ok(existsSync(path.join(indexDir, 'index.lock')), 'the server holds the index lock');
  run.child.stdout.destroy();
  // its answer cannot be written: the client is gone
  run.child.stdin.write(
    JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } } }) + '\n',
  );
  const ended = await run.done;
  assert.equal(ended.signal, null, 'it ended by itself');
  assert.equal(ended.code, 0, ended.stderr);
  assert.ok(!existsSync(path.join(indexDir, 'index.lock')), 'the index was closed and its lock released');
});

/** JSON-RPC lines a client writes to start a session and ask `requests` (ids from 1), as MCP clients frame them. */
function sessionLines(requests: { method: string; params?: unknown }[]): string {
  const initialize = { jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } } };
  const lines = [initialize, { jsonrpc: '2.0', method: 'notifications/initialized' }, ...requests.map((r, i) => ({ jsonrpc: '2.0', id: i + 1, ...r }))];
  return lines.map((line) => JSON.stringify(line) + '\n').join('');
}

/** The JSON-RPC answers in `output` by their id (a server may answer in any order). */
function answersById(output: string): Map<number, { result?: ToolResult }> {
  const answers = output
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line) as { id?: number; result?: ToolResult })
    .filter((a): a is { id: number; result?: ToolResult } => a.id !== undefined); // a notification is no answer
  return new Map(answers.map((a) => [a.id, a]));
}

/** The ids answered in `output`, in ascending order. */
function answeredIds(output: string): number[] {
  return [...answersById(output).keys()].sort((a, b) => a - b);
}

test('codescout mcp answers the requests written before its stdin closed, then ends with exit code 0', async () => {
  const { root, indexDir } = await fixture('half-closed');
  const indexed = await runNode(CLI, ['index', root, '--index-dir', indexDir, '--lexical-only'], { input: '' }).done;
  assert.equal(indexed.code, 0, indexed.stderr);
  const input = sessionLines([
    { method: 'tools/list' },
    { method: 'tools/call', params: { name: 'index_status', arguments: {} } },
    { method: 'tools/call', params: { name: 'search_code', arguments: { query: 'save a file to the store' } } },
  ]);
  const ended = await runNode(CLI, ['mcp', root, '--index-dir', indexDir, '--lexical-only'], { input }).done;
  assert.equal(ended.code, 0, ended.stderr);
  assert.deepEqual(answeredIds(ended.stdout), [0, 1, 2, 3]);
  const search = answersById(ended.stdout).get(3)!.result!;
  assert.ok(!search.isError && search.content[0].text.includes(STORE), search.content[0].text);
  assert.ok(!existsSync(path.join(indexDir, 'index.lock')), 'the index was closed');
});

test('codescout mcp answers a request the SDK cannot read (params not an object, a line that is not JSON, a batch) with its JSON-RPC error, and goes on', async () => {
  const { root, indexDir } = await fixture('unreadable-requests');
  const input =
    sessionLines([]) +
    '{"jsonrpc":"2.0","id":5,"method":"tools/list","params":"x"}\n' +
    'this is not JSON\n' +
    '{"jsonrpc":"2.0","id":"six","method":7}\n' +
    '{"jsonrpc":"2.0","method":"notifications/cancelled","params":null}\n' + // a notification: never answered
    '[{"jsonrpc":"2.0","id":7,"method":"ping"}]\n' + // a batch: the SDK drops it; its request is answered
    '{"jsonrpc":"2.0","id":8,"method":"tools/list"}\n';
  const ended = await runNode(CLI, ['mcp', root, '--index-dir', indexDir, '--lexical-only'], { input }).done;
  assert.equal(ended.code, 0, ended.stderr);
  const answers = ended.stdout
    .split('\n')
    .filter((line) => line.trim())
    .flatMap((line) => [JSON.parse(line)].flat() as { id: unknown; result?: { tools?: unknown[] }; error?: { code: number; message: string } }[]);
  const byId = (id: unknown) => answers.filter((a) => a.id === id);
  assert.equal(answers.length, 6, ended.stdout);
  assert.ok(ended.stdout.includes('[{"jsonrpc":"2.0","id":7,'), 'a batch is answered with a batch');
  assert.match(byId(7)[0].error!.message, /batches are not read/);
  assert.deepEqual(byId(5).map((a) => a.error?.code), [-32600]);
  assert.match(byId(5)[0].error!.message, /"params" are an object/);
  assert.deepEqual(byId(null).map((a) => a.error?.code), [-32700]);
  assert.deepEqual(byId('six').map((a) => a.error?.code), [-32600]);
  assert.match(byId('six')[0].error!.message, /"method" is a string/);
  assert.ok((byId(8)[0].result?.tools?.length ?? 0) > 0, 'the session goes on: a good request after them is answered');
  assert.equal(byId(0).length, 1);
});

test('codescout mcp sent a message over the 10 MB limit says so on stderr and ends with exit code 1, rather than wait for a stdin it no longer reads', async () => {
  const { root, indexDir } = await fixture('oversize');
  const run = runNode(CLI, ['mcp', root, '--index-dir', indexDir, '--lexical-only']);
  run.child.stdin.on('error', () => {}); // the server stops reading: the rest of the message cannot be written (EPIPE)
  run.child.stdin.write(sessionLines([]));
  run.child.stdin.write(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'similar_code', arguments: { code: 'y'.repeat(11 * 1024 * 1024) } } }) + '\n');
  // stdin stays open: the server must end by itself
  const ended = await run.done;
  assert.equal(ended.signal, null, 'it ended by itself');
  assert.equal(ended.code, 1, ended.stderr);
  assert.match(ended.stderr, /ReadBuffer exceeded maximum size of 10485760 bytes/);
  assert.match(ended.stderr, /the MCP session ended: stdin is no longer read/);
  assert.deepEqual(answeredIds(ended.stdout), [0]);
  assert.ok(!existsSync(path.join(indexDir, 'index.lock')), 'the index was closed');
});

test('an agent socket session answers what it was asked before its client ended its side, and ends a session sent a message over the limit', async () => {
  const dir = await temp.make('endpoint-sessions');
  // a backend that answers late: the answer comes after the client has ended its side
  const backend = { statuses: () => new Promise((resolve) => setTimeout(() => resolve([]), 300)) } as unknown as AgentBackend;
  const logged: string[] = [];
  const endpoint = await listenForAgents(path.join(dir, 'agents.sock'), backend, { version: '0', log: (m) => logged.push(m) });
  /** Connects, writes `input`, ends its side when `end` is set; resolves with what came back once the endpoint closed the connection, and the error the connection met. */
  const session = (input: string[], end: boolean) =>
    new Promise<{ output: string; error?: NodeJS.ErrnoException }>((resolve) => {
      const socket = createConnection(endpoint.path);
      let output = '';
      let error: NodeJS.ErrnoException | undefined;
      socket.on('data', (d: Buffer) => (output += d.toString('utf8')));
      socket.on('error', (err) => (error = err));
      socket.on('close', () => resolve({ output, error }));
      socket.on('connect', () => {
        for (const chunk of input) socket.write(chunk);
        if (end) socket.end();
      });
    });
  try {
    const answered = await session([sessionLines([{ method: 'tools/call', params: { name: 'index_status', arguments: {} } }])], true);
    assert.equal(answered.error, undefined);
    assert.deepEqual(answeredIds(answered.output), [0, 1]);

    const oversize = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'similar_code', arguments: { code: 'y'.repeat(11 * 1024 * 1024) } } }) + '\n';
    // a client that ends its side and reads its answers only later gets every one of them (they
    // are more than the socket buffers hold: the session must not drop what is still buffered)
    // (how much is left in the socket's own buffer when the last answer is written depends on the
    // count: several counts are tried, each of which must get all its answers)
    for (let count = 16; count <= 20; count++) {
    const many = Array.from({ length: count }, () => ({ method: 'tools/list' }));
    const slow = await new Promise<string>((resolve, reject) => {
      const socket = createConnection(endpoint.path);
      let output = '';
      socket.on('error', reject);
      socket.on('connect', () => {
        socket.pause();
        socket.write(sessionLines(many));
        socket.end();
        setTimeout(() => {
          socket.on('data', (d: Buffer) => (output += d.toString('utf8')));
          socket.on('close', () => resolve(output));
          socket.resume();
        }, 1500); // long enough for the answers to pile up unread, and the session to end
      });
    });
    assert.deepEqual(answeredIds(slow), Array.from({ length: count + 1 }, (_, i) => i), `${count} requests`);
    }

    // the client never ends its side; the endpoint closes the connection while it is still writing (ECONNRESET or EPIPE)
    const cut = await session([sessionLines([]), oversize], false);
    assert.deepEqual(answeredIds(cut.output), [0]);
    // …telling a relay not to open it again: the same message would end it again
    assert.ok(cut.output.includes(engineEndingLine(false)), cut.output.slice(-300));
    assert.ok(logged.some((m) => /ReadBuffer exceeded maximum size/.test(m)), logged.join('\n'));
    assert.ok(logged.some((m) => /an agent session ended: its connection is no longer read/.test(m)), logged.join('\n'));
  } finally {
    await endpoint.close();
  }
});

test('what a parsing worker thread prints goes to stderr, never to stdout (which carries the MCP protocol)', async () => {
  const dir = await temp.make('worker-stdout');
  // a grammar without its language function: web-tree-sitter says so with console.log, in the worker
  const grammars = path.join(dir, 'grammars');
  await mkdir(grammars);
  const wasm = Buffer.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x00, 0x0f, 0x08, ...Buffer.from('dylink.0'), 0x01, 0x04, 0x00, 0x00, 0x00, 0x00]);
  await writeFile(path.join(grammars, 'tree-sitter-python.wasm'), wasm);
  const script = path.join(dir, 'chunk.js');
  await writeFile(
    script,
    `const { ChunkerPool } = require(${JSON.stringify(path.join(__dirname, '..', 'src', 'engine', 'chunks', 'pool.js'))});
(async () => {
  const pool = ChunkerPool.create(1, { grammarDir: ${JSON.stringify(grammars)} });
  await pool.chunkFile('a.py', 'def a():\\n    return 1\\n').catch(() => undefined);
  await pool.dispose();
})();
`,
  );
  const ended = await runNode(script, []).done;
  assert.equal(ended.code, 0, ended.stderr);
  assert.equal(ended.stdout, '');
  assert.match(ended.stderr, /Couldn't find language function/, 'the worker\'s message is on stderr');
});

test('codescout mcp: its command line (folders, defaults, --attach) and usage errors', async () => {
  const { root } = await fixture('usage');
  const other = path.join(root, 'src');
  const served = parseCommandLine(['mcp', root, other, root, '--lexical-only', '--threads', '2']);
  assert.ok(served !== 'help' && served.command === 'mcp');
  assert.deepEqual((served as McpInvocation).roots, [root, other], 'folders in order, each once');
  // through a link: the same folder, served once, under the name first given
  const link = path.join(path.dirname(root), `${path.basename(root)}-link`);
  symlinkSync(root, link);
  assert.deepEqual((parseCommandLine(['mcp', link, root, other]) as McpInvocation).roots, [link, other]);
  assert.equal((served as McpInvocation).engine.model, null);
  assert.equal((served as McpInvocation).engine.threads, 2);
  assert.deepEqual((parseCommandLine(['mcp']) as McpInvocation).roots, [process.cwd()], 'default: the current folder');
  const attach = parseCommandLine(['mcp', '--attach', '/run/x.sock']) as McpInvocation;
  assert.equal(attach.attach, '/run/x.sock');
  assert.deepEqual(attach.roots, []);
  assert.equal(attach.waitForEngine, false);
  assert.equal((parseCommandLine(['mcp', '--wait', '--attach', '/run/x.sock']) as McpInvocation).waitForEngine, true);
  const cases: [string[], RegExp][] = [
    [['mcp', path.join(root, 'no-such-folder')], /not a folder/],
    [['mcp', root, other, '--index-dir', path.join(root, 'idx')], /--index-dir names the index of one folder/],
    [['mcp', '--attach', '/tmp/x.sock', root], /takes no folder/],
    [['mcp', '--attach', '/tmp/x.sock', '--lexical-only'], /does not take --lexical-only/],
    [['mcp', '--attach', ''], /--attach needs the path of the engine socket/],
    [['mcp', root, '--wait'], /needs --attach/],
    [['mcp', root, '--top', '3'], /'mcp' does not take --top/],
    [['mcp', root, '--model', root, '--lexical-only'], /exclude each other/],
  ];
  for (const [args, message] of cases) assert.throws(() => parseCommandLine(args), (err: Error) => err instanceof UsageError && message.test(err.message), args.join(' '));
});

test('the folder watcher skips .git, the index folder, and folders the root ignore rules leave out (node_modules, .gitignore entries)', async () => {
  const dir = await temp.make('watch');
  const root = path.join(dir, 'repo');
  for (const folder of ['src/lib', 'node_modules/pkg/lib', '.git/objects', '.codescout-index', 'generated/deep', 'docs']) {
    await mkdir(path.join(root, folder), { recursive: true });
  }
  await writeFile(path.join(root, '.gitignore'), 'generated/\n*.log\n');
  // a dependency folder linked from elsewhere, as with a shared node_modules
  await mkdir(path.join(dir, 'elsewhere', 'pkg'), { recursive: true });
  await symlink(path.join(dir, 'elsewhere'), path.join(root, 'vendor'));
  const changes: string[] = [];
  const watcher = await FolderWatcher.start(root, path.join(root, '.codescout-index'), { changed: (p) => changes.push(...p), rescan: () => {}, log: () => {} });
  try {
    assert.deepEqual(watcher.watchedFolders(), ['', 'docs', 'src', 'src/lib']);
    // a file the root rules leave out, then one they keep, in the same folder: only the second is reported
    await writeFile(path.join(root, 'src', 'lib', 'server.log'), 'GET /\n');
    await writeFile(path.join(root, 'src', 'lib', 'a.py'), 'def a():\n    return 1\n');
    await eventually(async () => changes, (c) => c.includes('src/lib/a.py'), 'a new file is reported');
    assert.ok(!changes.includes('src/lib/server.log'), 'a file .gitignore leaves out does not cost a refresh');
    assert.ok(!changes.includes('vendor'), 'a link to a folder the rules leave out is not reported');
    // the root .gitignore changes: the watcher starts again with the new rules
    await writeFile(path.join(root, '.gitignore'), 'generated/\n*.log\ndocs/\n');
    await eventually(async () => watcher.watchedFolders(), (w) => !w.includes('docs') && w.includes('src/lib'), 'docs/ is no longer watched');
  } finally {
    await watcher.close();
  }
});

/** A new folder `repo` (with these folders) inside a temporary one, for a watcher to watch. */
async function watchedRepo(name: string, folders: string[]): Promise<{ dir: string; root: string }> {
  const dir = await temp.make(name);
  const root = path.join(dir, 'repo');
  for (const folder of folders) await mkdir(path.join(root, folder), { recursive: true });
  return { dir, root };
}

test('a watched folder removed and made again is watched afresh and reported for a scan, however soon it is back; a closed watcher does not look', async () => {
  const { root } = await watchedRepo('watch-removed', ['src']);
  const changes: string[] = [];
  let rescans = 0;
  const events = { changed: (p: string[]) => changes.push(...p), rescan: () => rescans++, log: () => {} };
  const watcher = await FolderWatcher.start(root, path.join(root, '.codescout-index'), events);
  try {
    await new Promise((r) => setTimeout(r, 1200));
    assert.equal(rescans, 0, 'nothing to scan while the folder stays');
    // made again at once (chokidar then mostly reports nothing of the removal)
    await rm(root, { recursive: true });
    await mkdir(path.join(root, 'lib'), { recursive: true });
    await writeFile(path.join(root, 'lib', 'cloned.py'), 'def cloned():\n    return 1\n');
    await eventually(async () => rescans, (n) => n === 1, 'the folder made again: one scan asked for', 10_000);
    await eventually(async () => watcher.watchedFolders(), (w) => w.includes('lib'), 'the new folder is watched', 10_000);
    await writeFile(path.join(root, 'lib', 'later.py'), 'def later():\n    return 2\n');
    await eventually(async () => changes, (c) => c.includes('lib/later.py'), 'a change after the folder came back is reported', 10_000);
    // a folder holding nothing watched (only .git, as a clone cut short leaves it), removed, then made again a moment later
    await rm(path.join(root, 'lib'), { recursive: true });
    await mkdir(path.join(root, '.git'));
    await new Promise((r) => setTimeout(r, 300));
    await rm(root, { recursive: true });
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(rescans, 1, 'no scan while there is no folder');
    await mkdir(root);
    await writeFile(path.join(root, 'again.py'), 'def again():\n    return 3\n');
    await eventually(async () => rescans, (n) => n === 2, 'made again a second time: a second scan', 10_000);
    // with a root .gitignore: its removal restarts the watcher on the rules, which must not take
    // the new folder for the one it watched
    await writeFile(path.join(root, '.gitignore'), 'build/\n');
    await new Promise((r) => setTimeout(r, 1500));
    await rm(root, { recursive: true });
    await mkdir(path.join(root, 'lib'), { recursive: true });
    await writeFile(path.join(root, '.gitignore'), 'dist/\n');
    for (let i = 0; i < 20; i++) await writeFile(path.join(root, 'lib', `f${i}.py`), `def f${i}():\n    return ${i}\n`);
    await eventually(async () => rescans, (n) => n === 3, 'made again with a .gitignore: a third scan', 10_000);
  } finally {
    await watcher.close();
  }
  // closed while its checks run: the folder made again is not looked at
  const closed = await FolderWatcher.start(root, path.join(root, '.codescout-index'), events);
  await new Promise((r) => setTimeout(r, 1200));
  await closed.close();
  await rm(root, { recursive: true });
  await mkdir(root);
  await new Promise((r) => setTimeout(r, 2500));
  assert.equal(rescans, 3, 'a closed watcher does not report');
});

test('codescout mcp: a served folder deleted and cloned again is indexed again, without a restart', async () => {
  const dir = await temp.make('mcp-recreated');
  const root = path.join(dir, 'repo');
  await mkdir(root);
  await writeFile(path.join(root, 'first.py'), 'def parse_config(path):\n    return open(path).read()\n');
  const session = await new Session(['mcp', root, '--index-dir', path.join(dir, 'index'), '--lexical-only']).start();
  const found = async (query: string) => session.text(await session.call('search_code', { query }));
  try {
    await eventually(() => found('parse config'), (t) => t.includes('first.py'), 'the first file is found');
    await rm(root, { recursive: true });
    await new Promise((r) => setTimeout(r, 1500));
    await mkdir(root);
    await writeFile(path.join(root, 'second.py'), 'def load_settings(path):\n    return open(path).read()\n');
    await eventually(() => found('load settings'), (t) => t.includes('second.py'), 'the folder made again is indexed');
    assert.ok(!(await found('parse config')).includes('first.py'), 'what went with the old folder is gone from the index');
    // and watched: a file added now is found too
    await writeFile(path.join(root, 'third.py'), 'def compress_archive(path):\n    return path\n');
    await eventually(() => found('compress archive'), (t) => t.includes('third.py'), 'a file added after is indexed');
  } finally {
    await session.close();
  }
});

test('a root ignore file rewritten in a burst leaves the watcher with the rules of its last content', async () => {
  // Each rewrite truncates the file, then fills it: a restart could read it half written while the
  // event of its filling was dropped (chokidar throttles a file's events) or came to the closed
  // watcher, and the rules then stayed those of an empty file (it happened in 4 of 10 such rounds).
  for (let round = 0; round < 6; round++) {
    const { root } = await watchedRepo(`watch-burst-${round}`, ['src/lib', 'docs', 'generated']);
    await writeFile(path.join(root, '.gitignore'), 'generated/\n');
    const watcher = await FolderWatcher.start(root, path.join(root, '.codescout-index'), { changed: () => {}, rescan: () => {}, log: () => {} });
    try {
      for (let i = 0; i < 30; i++) await writeFile(path.join(root, '.gitignore'), i % 2 ? 'generated/\n' : 'generated/\ndocs/\n');
      await writeFile(path.join(root, '.gitignore'), 'generated/\ndocs/\n');
      await eventually(
        async () => watcher.watchedFolders(),
        (w) => w.includes('src/lib') && !w.includes('docs') && !w.includes('generated'),
        `round ${round}: the rules of the file's last content`,
        10_000,
      );
    } finally {
      await watcher.close();
    }
  }
});

test('a root ignore file that is a symbolic link does not restart the watcher again and again', async () => {
  // chokidar reports such a link as added at each walk; restarting on that alone walked and restarted without end
  const { dir, root } = await watchedRepo('watch-link', ['src']);
  await writeFile(path.join(dir, 'shared-ignore'), 'build/\n');
  await symlink(path.join(dir, 'shared-ignore'), path.join(root, '.gitignore'));
  const reported: string[] = [];
  const watcher = await FolderWatcher.start(root, path.join(root, '.codescout-index'), { changed: (p) => reported.push(...p), rescan: () => {}, log: () => {} });
  try {
    await new Promise((r) => setTimeout(r, 1500));
    const times = reported.filter((p) => p === '.gitignore').length;
    assert.ok(times <= 2, `.gitignore reported ${times} times in 1.5 s of nothing changing`);
    assert.deepEqual(watcher.watchedFolders(), ['', 'src']);
  } finally {
    await watcher.close();
  }
});

test('a root ignore file that is a named pipe neither blocks the watcher nor is read', { skip: process.platform === 'win32' ? 'no named pipes there' : false }, async () => {
  const { root } = await watchedRepo('watch-fifo', ['src']);
  execFileSync('mkfifo', [path.join(root, '.gitignore')]);
  const started = FolderWatcher.start(root, path.join(root, '.codescout-index'), { changed: () => {}, rescan: () => {}, log: () => {} });
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('the watcher did not start in 10 s')), 10_000)));
  const watcher = await Promise.race([started, late]).finally(() => clearTimeout(timer));
  try {
    assert.deepEqual(watcher.watchedFolders(), ['', 'src']);
  } finally {
    await watcher.close();
  }
});

test('a root ignore file created while watching restarts the watcher, and closing it then leaves nothing running (the process ends)', async () => {
  const dir = await temp.make('watch-restart');
  const root = path.join(dir, 'repo');
  await mkdir(path.join(root, 'docs'), { recursive: true });
  await mkdir(path.join(root, 'src'), { recursive: true });
  // in a process of its own: a file watch left open after close() keeps it from ending
  const script = path.join(dir, 'watch.js');
  await writeFile(
    script,
    `const { FolderWatcher } = require(${JSON.stringify(path.join(__dirname, '..', 'src', 'cli', 'folder-watcher.js'))});
const { writeFileSync } = require('node:fs');
(async () => {
  const root = ${JSON.stringify(root)};
  const watcher = await FolderWatcher.start(root, root + '/.index', { changed: () => {}, log: (m) => process.stderr.write(m + '\\n') });
  if (!watcher.watchedFolders().includes('docs')) throw new Error('docs/ is not watched at first');
  writeFileSync(root + '/.codescoutignore', 'docs/\\n');
  while (watcher.watchedFolders().includes('docs')) await new Promise((r) => setTimeout(r, 50));
  await watcher.close();
  process.stdout.write('closed');
})();
`,
  );
  const run = runNode(script, []);
  const ended = await run.done;
  assert.equal(ended.stdout, 'closed', ended.stderr);
  assert.equal(ended.signal, null, 'the process ended by itself once the watcher was closed');
  assert.equal(ended.code, 0, ended.stderr);
});

test('the agent endpoint counts its open sessions and their unanswered requests, a session still writing its last answers included, and says when one ends or answers its last request', async () => {
  const dir = await temp.make('endpoint-count');
  let release: () => void = () => undefined;
  const released = new Promise<void>((resolve) => (release = resolve));
  const backend = { statuses: () => released.then(() => []) } as unknown as AgentBackend;
  let idle = 0;
  const endpoint = await listenForAgents(path.join(dir, 'agents.sock'), backend, { version: '0', log: () => {}, sessionIdle: () => void idle++ });
  const connect = () =>
    new Promise<Socket>((resolve, reject) => {
      const socket = createConnection(endpoint.path);
      socket.on('error', reject);
      socket.on('connect', () => resolve(socket));
    });
  const closed = (socket: Socket) => new Promise((resolve) => socket.once('close', resolve));
  const until = async (test: () => boolean) => {
    for (const deadline = Date.now() + 5000; !test(); await new Promise((resolve) => setTimeout(resolve, 10))) {
      if (Date.now() > deadline) throw new Error(`timed out: ${endpoint.sessions} session(s) open, ${endpoint.unanswered} unanswered, ${idle} idle`);
    }
  };
  try {
    assert.equal(endpoint.sessions, 0);
    const a = await connect();
    const b = await connect();
    await until(() => endpoint.sessions === 2);
    a.destroy();
    await until(() => endpoint.sessions === 1);
    assert.equal(idle, 1, 'a session ended');
    // b asks for something that takes until the test releases it and ends its side at once: it is a session until its answer is out and the socket closed
    let output = '';
    b.on('data', (d: Buffer) => (output += d.toString('utf8')));
    b.write(sessionLines([{ method: 'tools/call', params: { name: 'index_status', arguments: {} } }]));
    b.end();
    await until(() => answeredIds(output).includes(0));
    assert.equal(endpoint.unanswered, 1, 'the tool call waits for its answer');
    const idleBefore = idle;
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(endpoint.sessions, 1, 'still answering');
    assert.equal(endpoint.unanswered, 1);
    release();
    await closed(b);
    await until(() => endpoint.sessions === 0);
    assert.equal(endpoint.unanswered, 0);
    assert.ok(idle >= idleBefore + 2, `told when the last request was answered and when the session ended (${idle - idleBefore})`);
    assert.deepEqual(answeredIds(output), [0, 1]);
  } finally {
    await endpoint.close();
  }
});

test('the agent endpoint never removes what is not a stale socket: a regular file, or a socket another process listens on', async () => {
  const dir = await temp.make('endpoint');
  const file = path.join(dir, 'not-a-socket');
  await writeFile(file, 'keep me');
  const backend = {} as AgentBackend; // no session is opened: the backend is never called
  const options = { version: '0', log: () => {} };
  await assert.rejects(listenForAgents(file, backend, options), /something other than a socket is there/);
  assert.equal(readFileSync(file, 'utf8'), 'keep me');

  const socket = path.join(dir, 'agents.sock');
  const first = await listenForAgents(socket, backend, options);
  try {
    assert.equal(statSync(socket).mode & 0o777, 0o600, 'only the user may connect');
    await assert.rejects(listenForAgents(socket, backend, options), /another process is listening there/);
    assert.ok(existsSync(socket), 'the live socket is left alone');
  } finally {
    await first.close();
  }
  assert.ok(!existsSync(socket), 'closing removes the socket file');
});

/** The engine process the extension starts, driven over its JSON-RPC like server.test.ts does. */
class Engine {
  readonly connection: MessageConnection;
  readonly statuses: FolderStatus[] = [];
  stderr = '';

  constructor(
    readonly child: ChildProcess,
    readonly socket: string,
  ) {
    this.connection = createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
    this.connection.onNotification(FolderStatusChanged, (s) => {
      this.statuses.push(s);
    });
    this.connection.listen();
    child.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString('utf8')));
  }

  static start(socket: string): Engine {
    return new Engine(spawn(process.execPath, [SERVER_BUNDLE, '--agent-socket', socket], { stdio: ['pipe', 'pipe', 'pipe'] }), socket);
  }

  async ready(root: string, indexLocation: string): Promise<FolderStatus> {
    await this.connection.sendRequest(Configure, {
      folders: [{ root, name: 'repo', options: { include: [], exclude: [], maxFileBytes: 1024 * 1024, threads: 1, spelling: true, indexLocation, model } }],
      indexOnOpen: true,
    });
    // the extension lets VS Code start the relay once this answer is in (mcp-provider.ts); a socket
    // file left by a killed process is replaced by then too
    const probe = createConnection(this.socket);
    const [outcome] = await Promise.race([once(probe, 'connect').then(() => ['connected']), once(probe, 'error').then(([e]) => [(e as NodeJS.ErrnoException).code])]);
    probe.destroy();
    assert.equal(outcome, 'connected', 'the agent socket listens by the time the first Configure is answered');
    await eventually(async () => this.statuses.at(-1), (s) => s?.state === 'ready', 'the folder is indexed');
    return this.statuses.at(-1)!;
  }

  /** `restarting`: as when the extension replaces the process (a new one serves the same socket). */
  async stop(restarting?: boolean): Promise<number | null> {
    const exited = once(this.child, 'exit');
    await this.connection.sendRequest(Shutdown, restarting === undefined ? undefined : { restarting });
    this.child.stdin!.end();
    const [code] = await exited;
    this.connection.dispose();
    return code as number | null;
  }
}

test('the engine process serves MCP sessions at --agent-socket, reached through codescout mcp --attach; a stale socket is replaced, a broken connection is survived', async () => {
  const dir = await temp.make('attach');
  const { root } = await fixture('attach-repo');
  const indexLocation = await temp.make('attach-index');
  const socket = path.join(dir, 'agents.sock');

  // a socket file left by a killed engine process (it listens once it knows its folders)
  const killed = Engine.start(socket);
  await assert.rejects(killed.connection.sendRequest(Status, { root: '/not/a/configured/folder' }), /not|unknown/i, 'the engine answers');
  assert.ok(!existsSync(socket), 'no agent is served before the folders are configured');
  await killed.ready(root, await temp.make('attach-killed-index'));
  await eventually(async () => existsSync(socket), Boolean, 'the first engine listens');
  killed.child.kill('SIGKILL');
  await once(killed.child, 'exit');
  assert.ok(existsSync(socket), 'the killed process left its socket file');

  let engine = Engine.start(socket);
  try {
    const status = await engine.ready(root, indexLocation);
    const relayCache = await temp.make('relay-cache');
    const session = await new Session(['mcp', '--attach', socket], { CODESCOUT_CACHE_DIR: relayCache }).start();
    try {
      assert.deepEqual((await session.client.listTools()).tools.map((t) => t.name).sort(), TOOL_NAMES);
      const found = await session.call('search_code', { query: 'parse config' });
      assert.notEqual(found.isError, true, session.text(found));
      assert.match(session.text(found), /parse_config/);
      const indexStatus = await session.call('index_status', {});
      assert.notEqual(indexStatus.isError, true, session.text(indexStatus));
      assert.ok(session.text(indexStatus).includes(root), 'the engine process answers for the folder it was configured with');
      assert.ok(session.text(indexStatus).includes(String(status.contents.chunks)), `its chunk count (${status.contents.chunks}) is the engine's`);
      assert.deepEqual(readdirSync(relayCache), [], 'the relay created no index');

      // garbage and a dropped connection end only their own session
      const raw = createConnection(socket);
      await once(raw, 'connect');
      raw.write('this is not JSON-RPC\n{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{}}\n');
      raw.destroy();
      const still = await session.call('search_code', { query: 'save a file' });
      assert.match(session.text(still), /file_store\.py/, 'the other session still answers');
      const search = await engine.connection.sendRequest(Search, { text: 'parse config', top: 3 });
      assert.equal(search.hits[0].name, 'parse_config', 'the engine still answers the editor');

      // the extension replaces the engine process (RestartWanted): the relay carries the session over
      assert.equal(await engine.stop(true), 0, engine.stderr);
      const asked = session.call('search_code', { query: 'parse config' }); // while no engine runs
      await new Promise((resolve) => setTimeout(resolve, 300));
      engine = Engine.start(socket);
      await engine.ready(root, indexLocation);
      const answered = await asked;
      assert.notEqual(answered.isError, true, session.text(answered));
      assert.match(session.text(answered), /parse_config/, 'a call made between the two processes is answered by the new one');
      const after = await session.call('index_status', {});
      assert.ok(session.text(after).includes(root), session.text(after));
      assert.equal(session.closed, false);
      assert.match(session.stderr, /was lost; connecting again/);
      assert.match(session.stderr, /connected again/);
    } finally {
      await session.close();
    }
    // a relay still attached when the engine process shuts down ends with exit code 0
    const relay = runNode(CLI, ['mcp', '--attach', socket]);
    relay.child.stdin.write(
      JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } } }) + '\n',
    );
    await new Promise<void>((resolve) => relay.child.stdout.on('data', (d: Buffer) => /"serverInfo"/.test(d.toString()) && resolve()));
    assert.equal(await engine.stop(), 0, engine.stderr);
    const relayed = await relay.done;
    assert.equal(relayed.code, 0, relayed.stderr);
    assert.match(relayed.stdout, /"name":"codescout"/);
  } finally {
    if (engine.child.exitCode === null) engine.child.kill('SIGKILL');
  }
  assert.ok(!existsSync(socket), 'the socket file is removed on shutdown');

  const nobody = await runNode(CLI, ['mcp', '--attach', socket], { input: '' }).done;
  assert.equal(nobody.code, 1);
  assert.equal(nobody.stdout, '');
  const lines = nobody.stderr.split('\n').filter(Boolean);
  assert.equal(lines.length, 1, nobody.stderr);
  assert.match(lines[0], new RegExp(`^codescout: cannot reach the Code Scout engine at ${socket.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: .+`));
});

test('the --attach relay leaves, with a line and exit code 1, when the engine does not end the session after the client ended its input; an engine that ends it is left with 0', async () => {
  const dir = await temp.make('relay-stuck');
  const serve = async (name: string, onClientEnd: (socket: Socket) => void) => {
    const socketPath = path.join(dir, name);
    // half-open, as the engine's agent socket is: the client's end does not end the engine's side
    const server = createServer({ allowHalfOpen: true }, (socket) => {
      socket.on('data', () => undefined);
      socket.on('end', () => onClientEnd(socket));
    });
    server.listen(socketPath);
    await once(server, 'listening');
    return { socketPath, server };
  };
  const run = async (socketPath: string) => {
    const input = new PassThrough();
    const output = new PassThrough();
    const lines: string[] = [];
    const started = Date.now();
    const code = relay(socketPath, { input, output, log: (l) => lines.push(l), endWaitMs: 300 });
    input.end('{"jsonrpc":"2.0","id":1,"method":"ping"}\n');
    return { code: await code, lines, ms: Date.now() - started };
  };

  const stuck = await serve('stuck.sock', () => undefined); // never ends its side
  const polite = await serve('polite.sock', (socket) => socket.end());
  try {
    const left = await run(stuck.socketPath);
    assert.equal(left.code, 1);
    assert.deepEqual(left.lines, [`the Code Scout engine at ${stuck.socketPath} did not end the session within 0.3 s of the end of input; leaving`]);
    assert.ok(left.ms >= 250, `${left.ms} ms`);
    const ended = await run(polite.socketPath);
    assert.deepEqual([ended.code, ended.lines], [0, []]);
  } finally {
    for (const { server } of [stuck, polite]) {
      server.close();
      server.unref();
    }
  }
});
