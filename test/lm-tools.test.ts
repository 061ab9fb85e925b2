/**
 * The extension's agent access that needs no editor: the manifest's language-model tools and
 * MCP provider against the agent core and the code that registers them, the backend over the
 * engine client, and the agent socket's path.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { RequestType } from 'vscode-jsonrpc/node';
import { AGENT_TOOLS } from '../src/agent/tools';
import type { FolderStatus, QueryParams, QueryResult } from '../src/protocol/protocol';
import { Search, Status } from '../src/protocol/protocol';
import { CallCancelledError, EngineBackend, type Cancellation, type EngineRequests } from '../src/extension/agent-backend';
import { AgentSocket, MAX_SOCKET_PATH_BYTES, socketParent } from '../src/extension/agent-socket';
import { LM_TOOLS } from '../src/extension/lm-tool-specs';
import { MCP_PROVIDER_ID, mcpServerCommand } from '../src/extension/mcp-server-command';

const ROOT = path.join(__dirname, '..', '..');

interface ManifestTool {
  name: string;
  displayName?: string;
  toolReferenceName?: string;
  canBeReferencedInPrompt?: boolean;
  userDescription?: string;
  modelDescription?: string;
  icon?: string;
  inputSchema?: object;
}

interface Manifest {
  contributes: { languageModelTools?: ManifestTool[]; mcpServerDefinitionProviders?: { id: string; label: string }[] };
}

const manifest = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as Manifest;

test('the manifest contributes exactly the language-model tools the extension registers', () => {
  const contributed = (manifest.contributes.languageModelTools ?? []).map((t) => t.name);
  assert.deepEqual(contributed, LM_TOOLS.map((t) => t.name));
});

test('each contributed tool has the input schema of the agent tool that answers it', () => {
  for (const spec of LM_TOOLS) {
    const contributed = manifest.contributes.languageModelTools!.find((t) => t.name === spec.name)!;
    const core = AGENT_TOOLS.find((t) => t.name === spec.agentTool);
    assert.ok(core, `${spec.name} is answered by ${spec.agentTool}, which the agent core does not have`);
    assert.deepEqual(contributed.inputSchema, core.inputJsonSchema, `${spec.name}'s inputSchema differs from ${spec.agentTool}'s inputJsonSchema`);
  }
});

test('each contributed tool passes VS Code\'s checks and can be referenced in chat', () => {
  const references = new Set<string>();
  for (const tool of manifest.contributes.languageModelTools!) {
    // the checks VS Code applies to the contribution (a tool failing one is not registered)
    assert.match(tool.name, /^[\w-]+$/);
    assert.ok(!/^(copilot_|vscode_)/.test(tool.name), tool.name);
    for (const key of ['displayName', 'modelDescription', 'userDescription', 'icon', 'toolReferenceName'] as const) {
      assert.ok(typeof tool[key] === 'string' && tool[key]!.trim(), `${tool.name} has no ${key}`);
    }
    assert.equal(tool.canBeReferencedInPrompt, true, tool.name);
    assert.ok(!references.has(tool.toolReferenceName!), `two tools are referenced as #${tool.toolReferenceName}`);
    references.add(tool.toolReferenceName!);
    // a model description says when to use the tool, not only what it is
    assert.ok(tool.modelDescription!.length >= 200 && /\bUse it\b/.test(tool.modelDescription!), `${tool.name}'s modelDescription says little`);
  }
});

test('the manifest declares the MCP provider the extension registers', () => {
  assert.deepEqual(manifest.contributes.mcpServerDefinitionProviders, [{ id: MCP_PROVIDER_ID, label: 'Code Scout' }]);
});

test('the MCP server VS Code runs is the CLI\'s relay to the agent socket, as Node', () => {
  const server = mcpServerCommand('/opt/code/electron', '/ext/dist/cli.js', '/tmp/codescout-a1b2c3/mcp.sock');
  assert.deepEqual(server, {
    command: '/opt/code/electron',
    args: ['/ext/dist/cli.js', 'mcp', '--attach', '/tmp/codescout-a1b2c3/mcp.sock', '--wait'],
    env: { ELECTRON_RUN_AS_NODE: '1' },
  });
});

test('a progress message quotes the query or symbol on one short line', () => {
  const [search, related] = LM_TOOLS;
  assert.equal(search.invocationMessage({ query: 'parse a duration' }), 'Searching the code for “parse a duration”');
  assert.equal(search.invocationMessage({ query: '  a\nb\u202e ' }), 'Searching the code for “a b\\u{202e}”');
  const long = search.invocationMessage({ query: 'x'.repeat(500) });
  assert.ok(long.length < 100 && long.endsWith('…”'), long);
  assert.equal(search.invocationMessage({}), 'Searching the code');
  assert.equal(search.invocationMessage(null), 'Searching the code');
  assert.equal(related.invocationMessage({ symbol: 'retryWithBackoff' }), 'Finding code related to retryWithBackoff');
  assert.equal(related.invocationMessage({ location: 'net/retry.ts:9' }), 'Finding code related to net/retry.ts:9');
  assert.equal(related.invocationMessage({ symbol: 7 }), 'Finding related code');
  assert.equal(related.invocationMessage(Object.create({ symbol: 'inherited' })), 'Finding related code');
});

/** An engine client that records requests and answers them when told. */
class FakeEngine implements EngineRequests {
  readonly calls: string[] = [];
  readonly pending: { method: string; params: unknown; resolve: (value: unknown) => void }[] = [];

  start(): Promise<unknown> {
    this.calls.push('start');
    return Promise.resolve();
  }

  request<P, R>(type: RequestType<P, R, void>, params: unknown): Promise<R> {
    this.calls.push(type.method);
    return new Promise<R>((resolve) => this.pending.push({ method: type.method, params, resolve: resolve as (value: unknown) => void }));
  }
}

/** A cancellation token and its trigger. */
function cancellation(): { token: Cancellation; cancel(): void } {
  const listeners = new Set<() => void>();
  const token = {
    isCancellationRequested: false,
    onCancellationRequested(listener: () => void) {
      listeners.add(listener);
      return { dispose: () => listeners.delete(listener) };
    },
  };
  return {
    token,
    cancel() {
      token.isCancellationRequested = true;
      for (const l of [...listeners]) l();
    },
  };
}

const EMPTY: QueryResult = { hits: [], partial: false, lexicalOnly: false, failures: [] };

test('the backend sends each call to the running engine as its protocol request', async () => {
  const engine = new FakeEngine();
  const backend = new EngineBackend(engine, { folders: () => [] });
  const params: QueryParams = { text: 'parse a duration', top: 5, languages: ['go'], paths: ['server/**'], root: '/ws' };
  const answer = backend.search(params);
  assert.deepEqual(engine.pending.map((p) => [p.method, p.params]), [[Search.method, params]]);
  engine.pending[0].resolve(EMPTY);
  assert.equal(await answer, EMPTY);
  const report = backend.report('/ws');
  assert.deepEqual([engine.pending[1].method, engine.pending[1].params], [Status.method, { root: '/ws' }]);
  engine.pending[1].resolve({ root: '/ws' });
  assert.deepEqual(await report, { root: '/ws' });
  void backend.similar({ text: 'x', top: 1 });
  void backend.related({ root: '/ws', path: 'a.ts', line: 1, top: 3 });
  void backend.definitionsNamed({ name: 'f', top: 3 });
  assert.deepEqual(engine.calls, ['codescout/search', 'codescout/status', 'codescout/similar', 'codescout/related', 'codescout/definitionsNamed']);
});

test('the backend\'s statuses are the tracked folders, after the engine is started', async () => {
  const engine = new FakeEngine();
  const folder = { root: '/ws', name: 'ws', state: 'ready' } as FolderStatus;
  const read: string[] = [];
  const backend = new EngineBackend(engine, {
    folders: () => {
      read.push(engine.calls.join(','));
      return [folder];
    },
  });
  assert.deepEqual(await backend.statuses(), [folder]);
  assert.deepEqual(read, ['start'], 'the folders were read before the engine was started');
});

test('a cancelled invocation stops waiting for the engine, and sends nothing more', async () => {
  const engine = new FakeEngine();
  const { token, cancel } = cancellation();
  const backend = new EngineBackend(engine, { folders: () => [] }, token);
  const answer = backend.search({ text: 'slow', top: 1 });
  cancel();
  await assert.rejects(answer, CallCancelledError);
  await assert.rejects(backend.similar({ text: 'x', top: 1 }), CallCancelledError);
  await assert.rejects(backend.statuses(), CallCancelledError);
  assert.deepEqual(engine.calls, ['codescout/search']);
  engine.pending[0].resolve(EMPTY); // the late answer is dropped
});

test('an uncancelled invocation gets the engine\'s answer and error', async () => {
  const engine = new FakeEngine();
  const { token } = cancellation();
  const backend = new EngineBackend(engine, { folders: () => [] }, token);
  const answer = backend.search({ text: 'x', top: 1 });
  engine.pending[0].resolve(EMPTY);
  assert.equal(await answer, EMPTY);
  const failing: EngineRequests = { start: () => Promise.resolve(), request: () => Promise.reject(new Error('the Code Scout engine is restarting')) };
  await assert.rejects(new EngineBackend(failing, { folders: () => [] }, token).search({ text: 'x', top: 1 }), /restarting/);
});

test('the agent socket is in a private folder, reused across engine starts, removed on dispose', { skip: process.platform === 'win32' }, () => {
  const temporary = mkdtempSync(path.join(tmpdir(), 'codescout-test-'));
  try {
    const socket = AgentSocket.create(process.platform, temporary);
    const folder = path.dirname(socket.path);
    assert.equal(path.dirname(folder), temporary);
    assert.equal(statSync(folder).mode & 0o777, 0o700, 'the folder is readable by others');
    assert.ok(Buffer.byteLength(socket.path) <= MAX_SOCKET_PATH_BYTES);
    assert.deepEqual(socket.engineArgs(), ['--agent-socket', socket.path]);
    writeFileSync(socket.path, ''); // what a killed engine leaves behind
    assert.deepEqual(socket.engineArgs(), ['--agent-socket', socket.path], 'a restarted engine gets another path');
    assert.ok(!existsSync(socket.path), 'the stale socket was not removed');
    const other = AgentSocket.create(process.platform, temporary);
    assert.notEqual(other.path, socket.path);
    socket.dispose();
    other.dispose();
    assert.ok(!existsSync(folder));
  } finally {
    rmSync(temporary, { recursive: true, force: true });
  }
});

test('a temporary folder too long for a Unix socket gives way to /tmp', () => {
  assert.equal(socketParent('/tmp'), '/tmp');
  const macos = '/var/folders/zz/zyxvpxvq6csfxvn_n0000000000000/T'; // a typical macOS $TMPDIR
  assert.equal(socketParent(macos), macos);
  assert.equal(socketParent(`/home/${'u'.repeat(90)}/tmp`), '/tmp');
});

test('on Windows the engine listens on a named pipe with an unguessable name', () => {
  const a = AgentSocket.create('win32');
  const b = AgentSocket.create('win32');
  assert.match(a.path, /^\\\\\.\\pipe\\codescout-[0-9a-f]{24}$/);
  assert.notEqual(a.path, b.path);
  assert.deepEqual(a.engineArgs(), ['--agent-socket', a.path]);
  a.dispose(); // nothing to remove
});
