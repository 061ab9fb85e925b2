/**
 * The extension's engine client (src/extension/engine-client.ts) with a real engine process (the
 * compiled server, the tiny model, a copy of the fixture repository), outside VS Code: the few
 * `vscode` values it uses come from test/helpers/vscode-stub.ts.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import type { MessageConnection } from 'vscode-jsonrpc/node';
import { relay } from '../src/cli/mcp-relay';
import { Configure, FolderStatusChanged, Log, Search, SetLogLevel, type FolderStatus, type LogParams, type QueryResult } from '../src/protocol/protocol';
import { RestartPolicy } from '../src/extension/restart-policy';
import { FakeLogChannel } from './helpers/fake-log-channel';
import { installVscodeStub } from './helpers/vscode-stub';
import { buildFixtureModel, copyFixtureRepo, TempDirs } from './helpers/workspace';

const vscodeStub = installVscodeStub();
// after the stub: the module requires 'vscode' as it loads
const { EngineClient } = require('../src/extension/engine-client') as typeof import('../src/extension/engine-client');

/** The engine process as compiled by tsc beside this test (out/src/server/main.js). */
const SERVER = path.join(__dirname, '..', 'src', 'server', 'main.js');

const temp = new TempDirs();
let model: string;

before(async () => {
  model = (await buildFixtureModel(await temp.make('client-model'))).dir;
});
after(() => temp.cleanup());

async function until<T>(what: string, ms: number, test: () => T | undefined): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = test();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

function gone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

test('an engine that asks to be replaced after indexing is replaced quietly: a search and a notification sent meanwhile reach the new process, which does not ask again; an agent\'s session carries over, and ends when the client is disposed', async () => {
  const root = await copyFixtureRepo(path.join(await temp.make('client'), 'repo'));
  const indexLocation = await temp.make('client-index');
  const socket = path.join(await temp.make('client-socket'), 'mcp.sock');
  /** an agent's MCP session through `codescout mcp --attach`, attached to the first process */
  const agentIn = new PassThrough();
  const agentOut = new PassThrough();
  let agentText = '';
  agentOut.on('data', (d: Buffer) => (agentText += d.toString('utf8')));
  const relayLog: string[] = [];
  let relayExit: Promise<number> | undefined;
  const agentAnswer = (id: number) => until(`the agent's answer ${id}`, 30_000, () => agentText.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { id?: number; error?: unknown; result?: unknown }).find((m) => m.id === id));
  const output = new FakeLogChannel();
  /** per process (1, 2, …): its statuses and log lines */
  const statuses = new Map<number, FolderStatus[]>();
  const logs = new Map<number, LogParams[]>();
  let processes = 0;
  const setUp = async (connection: MessageConnection) => {
    const n = ++processes;
    statuses.set(n, []);
    logs.set(n, []);
    connection.onNotification(FolderStatusChanged, (s) => {
      statuses.get(n)!.push(s);
      // sent as the first index is ready, just before the process asks to be replaced: it is the old one's to answer
      if (n === 1 && s.state === 'ready' && !beforeSwap) beforeSwap = client.request(Search, { text: 'load settings', top: 5 });
    });
    connection.onNotification(Log, (p) => void logs.get(n)!.push(p));
    // the first process logs its searches (at debug); the second gets the level only as it is replaced
    if (n === 1) void connection.sendNotification(SetLogLevel, { level: 'debug' });
    await connection.sendRequest(Configure, {
      folders: [{ root, name: 'repo', options: { include: [], exclude: [], maxFileBytes: 1 << 20, threads: 1, spelling: true, indexLocation, model } }],
      indexOnOpen: true,
    });
    if (n === 1) {
      // the process listens for agents once configured
      relayExit = relay(socket, { input: agentIn, output: agentOut, log: (l) => relayLog.push(l) });
      agentIn.write(JSON.stringify({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } } }) + '\n');
      agentIn.write(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }) + '\n');
    }
  };
  // any engine process is over 1 MB: the first asks once its index is built
  const client = new EngineClient(SERVER, output, setUp, () => ['--restart-above-mb', '1', '--restart-after-files', '1', '--agent-socket', socket]);
  const states: string[] = [];
  const pids: number[] = [];
  let duringSwap: Promise<QueryResult> | undefined;
  let beforeSwap: Promise<QueryResult> | undefined;
  client.onDidChangeState((state) => {
    states.push(state);
    if (state === 'running') pids.push(client.pid!);
    // the replacement has begun: both go to the new process
    if (state === 'starting' && pids.length === 1) {
      client.notify(SetLogLevel, { level: 'debug' });
      duringSwap = client.request(Search, { text: 'parse config', top: 5 });
    }
  });
  try {
    await client.start();
    await until('the replacement', 60_000, () => client.replacements === 1 && client.state === 'running');
    assert.deepEqual(states, ['starting', 'running', 'starting', 'running']);
    assert.equal(pids.length, 2);
    assert.notEqual(pids[0], pids[1]);
    assert.ok(gone(pids[0]), 'the first process has exited');
    assert.equal(client.restarts, 0, 'a replacement is not a crash restart');

    const answer = await duringSwap!;
    assert.ok(answer.hits.length > 0, 'the search sent during the replacement is answered');
    // the new process logged the search at debug: it got both the search and the level sent meanwhile
    assert.ok(logs.get(2)!.some((l) => l.level === 'debug' && /^search: a query of 12 characters/.test(l.message)), JSON.stringify(logs.get(2)));
    // the search sent before: answered by the old process, which was let finish it
    assert.ok((await beforeSwap!).hits.length > 0);
    const searchedBy = (n: number) => logs.get(n)!.filter((l) => /^search:/.test(l.message)).map((l) => l.message.replace(/ in \d+ ms$/, ''));
    assert.deepEqual(searchedBy(1), ['search: a query of 13 characters, top 5, 0 filters, every folder: 5 hits']);
    assert.deepEqual(searchedBy(2), ['search: a query of 12 characters, top 5, 0 filters, every folder: 5 hits']);
    assert.ok(logs.get(1)!.some((l) => /^asking for a new engine process: it holds \d+ MB after indexing \d+ files/.test(l.message)));

    // the new process opens the committed index: its refresh parses nothing, so it never asks
    const refreshed = await until('the new process ready', 30_000, () => statuses.get(2)!.find((s) => s.state === 'ready' && s.refreshes === 1));
    assert.equal(refreshed.lastRefresh?.filesParsed, 0);
    assert.ok(refreshed.contents.chunks > 0);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(client.replacements, 1);
    assert.equal(processes, 2);

    // the agent's session: opened with the first process, answered by the second (the relay was told to connect again)
    assert.equal((await agentAnswer(0)).error, undefined);
    agentIn.write(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'index_status', arguments: {} } }) + '\n');
    const status = await agentAnswer(1);
    assert.equal(status.error, undefined, JSON.stringify(status));
    assert.ok(relayLog.some((l) => /connected again/.test(l)), relayLog.join('\n'));

    assert.ok(output.shown.some((line) => /^info replacing the engine process \(pid \d+\): it holds/.test(line)), output.shown.join('\n'));
    assert.deepEqual(output.shown.filter((line) => line.startsWith('error')), []);
    assert.deepEqual(vscodeStub.messages, [], 'nothing is shown to the user');
  } finally {
    await client.dispose();
  }
  assert.ok(gone(pids.at(-1)!), 'dispose ends the new process');
  // the editor's last engine says it ends for good: the relay leaves with 0, without trying again
  assert.equal(await relayExit, 0);
  assert.equal(relayLog.filter((l) => /lost; connecting again/.test(l)).length, 1, relayLog.join('\n'));
});

/**
 * A stand-in engine process for what a real one does too quickly or too rarely to test. Each
 * process appends its pid to the file beside the script as it starts. It answers Configure, and a
 * Search after 400 ms with its pid; a search for "ask" also asks to be replaced as it arrives, and
 * one for "ask and die" then exits with 3 before answering. A request that comes after Shutdown is
 * refused, and so fails the test that sent it; Shutdown takes 300 ms. With FAIL_SECOND, the second process exits with 5 as
 * it starts.
 */
function fakeEngineScript(started: string, failSecond: boolean): string {
  return `
const fs = require('node:fs');
const rpc = require(${JSON.stringify(require.resolve('vscode-jsonrpc/node'))});
const before = fs.existsSync(${JSON.stringify(started)}) ? fs.readFileSync(${JSON.stringify(started)}, 'utf8').split('\\n').filter(Boolean).length : 0;
fs.appendFileSync(${JSON.stringify(started)}, process.pid + '\\n');
if (${failSecond} && before === 1) process.exit(5);
const connection = rpc.createMessageConnection(new rpc.StreamMessageReader(process.stdin), new rpc.StreamMessageWriter(process.stdout));
let shutDown = false;
const open = (handler) => (p) => {
  if (shutDown) throw new Error('a request after shutdown');
  return handler(p);
};
connection.onRequest('codescout/configure', open(() => []));
connection.onRequest('codescout/search', open((p) => {
  if (p.text.startsWith('ask')) connection.sendNotification('codescout/restartWanted', { reason: 'a test asked' });
  if (p.text === 'ask and die') setTimeout(() => process.exit(3), 100);
  return new Promise((resolve) => setTimeout(() => resolve({ hits: [], partial: false, lexicalOnly: false, failures: [], pid: process.pid }), 400));
}));
connection.onRequest('codescout/shutdown', () => {
  shutDown = true;
  return new Promise((resolve) => setTimeout(resolve, 300)); // saving
});
connection.onClose(() => process.exit(0));
connection.listen();
`;
}

/** The client over a fake engine: the pid of each process it saw running, in order, and of each that started. */
async function fakeClient({ failSecond = false, policy = new RestartPolicy() } = {}) {
  const dir = await temp.make('fake-engine');
  const startedFile = path.join(dir, 'started');
  const script = path.join(dir, 'engine.js');
  await writeFile(script, fakeEngineScript(startedFile, failSecond));
  const output = new FakeLogChannel();
  const client = new EngineClient(script, output, async (c) => void (await c.sendRequest(Configure, { folders: [], indexOnOpen: false })), () => [], policy);
  const pids: number[] = [];
  client.onDidChangeState((state) => void (state === 'running' && pids.push(client.pid!)));
  const started = () => (existsSync(startedFile) ? readFileSync(startedFile, 'utf8').split('\n').filter(Boolean).map(Number) : []);
  return { client, output, pids, started };
}

const answeredBy = (answer: QueryResult) => (answer as QueryResult & { pid: number }).pid;

test('a replaced engine answers the requests it has first; requests sent meanwhile wait for the new process', async () => {
  const { client, output, pids } = await fakeClient();
  try {
    await client.start();
    const inFlight = client.request(Search, { text: 'ask', top: 1 });
    await until('the replacement to begin', 10_000, () => client.state === 'starting');
    const meanwhile = client.request(Search, { text: 'later', top: 1 });
    assert.equal(answeredBy(await inFlight), pids[0], 'the old process answered what it had');
    assert.equal(answeredBy(await meanwhile), pids[1], 'the new process answered what came meanwhile');
    assert.equal(client.replacements, 1);
    assert.ok(gone(pids[0]));
    assert.ok(output.shown.includes(`info replacing the engine process (pid ${pids[0]}): a test asked`), output.shown.join('\n'));
    assert.ok(output.shown.includes(`info engine process started (pid ${pids[1]}), replacing pid ${pids[0]}`), output.shown.join('\n'));
  } finally {
    await client.dispose();
  }
});

test('Restart Engine replaces a running engine: it answers what it has, and a new process answers what comes after', async () => {
  const { client, output, pids } = await fakeClient();
  try {
    await client.start();
    const inFlight = client.request(Search, { text: 'before', top: 1 });
    const states: [string, boolean][] = [];
    const listening = client.onDidChangeState((state) => states.push([state, client.restartingOnRequest]));
    const restarted = client.restart();
    assert.equal(client.state, 'starting', 'being replaced');
    assert.equal(client.restartingOnRequest, true, 'the views say restarting, not the old process\'s folder states');
    await restarted;
    listening.dispose();
    assert.equal(client.restartingOnRequest, false);
    assert.deepEqual(states, [['starting', true], ['running', false]], 'already so when the state change is announced');
    assert.equal(answeredBy(await inFlight), pids[0], 'the old process answered what it had');
    assert.equal(answeredBy(await client.request(Search, { text: 'after', top: 1 })), pids[1]);
    assert.equal(pids.length, 2);
    assert.ok(gone(pids[0]));
    assert.ok(output.shown.includes(`info replacing the engine process (pid ${pids[0]}): asked for (Code Scout: Restart Engine)`), output.shown.join('\n'));
  } finally {
    await client.dispose();
  }
});

test('an engine that dies while it is being replaced is restarted once, by the crash path', async () => {
  const { client, output, pids } = await fakeClient();
  const before = vscodeStub.messages.length;
  try {
    await client.start();
    const inFlight = client.request(Search, { text: 'ask and die', top: 1 });
    await assert.rejects(inFlight, /the Code Scout engine is restarting/);
    await until('the restart', 10_000, () => client.state === 'running' && pids.length === 2);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(pids.length, 2, 'one new process, not two');
    assert.equal(client.restarts, 1);
    assert.equal(client.replacements, 0);
    assert.equal(answeredBy(await client.request(Search, { text: 'after', top: 1 })), pids[1]);
    assert.deepEqual(
      output.shown.filter((line) => line.startsWith('error')),
      ['error The Code Scout engine exited with code 3.'],
      'the crash is logged once, as a crash',
    );
    assert.equal(vscodeStub.messages.length, before + 1, 'the crash is told once');
  } finally {
    await client.dispose();
  }
});

test('disposing the client while an engine is being replaced ends it and starts no other', async () => {
  for (const when of ['while it answers what it has', 'while it shuts down']) {
    const { client, pids, started } = await fakeClient();
    await client.start();
    const inFlight = client.request(Search, { text: 'ask', top: 1 });
    await until('the replacement to begin', 10_000, () => client.state === 'starting');
    if (when === 'while it shuts down') {
      await inFlight;
      await new Promise((resolve) => setTimeout(resolve, 50)); // its Shutdown takes 300 ms
    } else inFlight.catch(() => undefined); // the process is told to shut down with it in flight
    await client.dispose();
    assert.ok(gone(pids[0]), `${when}: the old process has exited when dispose answers`);
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.deepEqual(started(), [pids[0]], `${when}: no new process was started`);
  }
});

test('an engine left stopped after its crashes: the message\'s Restart Engine button runs the Restart Engine command, which shows a failure, instead of restarting unguarded', async () => {
  // no restart after the first crash: the client stops for good at once
  const { client, pids } = await fakeClient({ policy: new RestartPolicy([10], 0) });
  vscodeStub.choices.push('Restart Engine');
  const commandsBefore = vscodeStub.commandsRun.length;
  try {
    await client.start();
    await assert.rejects(client.request(Search, { text: 'ask and die', top: 1 }), /the Code Scout engine (is restarting|has stopped)/);
    await until('the client to stop for good', 10_000, () => client.state === 'failed');
    await until('the button to be pressed', 10_000, () => vscodeStub.commandsRun.length > commandsBefore);
    assert.deepEqual(vscodeStub.commandsRun.slice(commandsBefore), ['codescout.restartEngine']);
    assert.ok(vscodeStub.messages.some((m) => /^error: The Code Scout engine keeps stopping \(exited with code 3\)/.test(m)), vscodeStub.messages.join('\n'));
    assert.equal(client.state, 'failed', 'nothing restarted behind the command');
    assert.equal(pids.length, 1);
  } finally {
    vscodeStub.choices.length = 0;
    await client.dispose();
  }
});

test('a process that cannot be forked (its arguments could not be made) leaves the client stopped, not starting for good, with a message that says so; the next start tries again', async () => {
  let fail = true;
  const client = new EngineClient(SERVER, new FakeLogChannel(), async () => undefined, () => {
    if (fail) throw new Error('EMFILE: too many open files');
    return [];
  });
  try {
    await assert.rejects(client.start(), /^Error: the Code Scout engine could not be started: EMFILE: too many open files$/);
    assert.equal(client.state, 'stopped');
    assert.equal(client.restartingOnRequest, false);
    fail = false;
    await client.start();
    assert.equal(client.state, 'running');
  } finally {
    await client.dispose();
  }
});

test('a replacement whose new process fails to start leaves the client able to start one for the next request', async () => {
  const { client, output, pids, started } = await fakeClient({ failSecond: true });
  try {
    await client.start();
    const inFlight = client.request(Search, { text: 'ask', top: 1 });
    await until('the replacement to begin', 10_000, () => client.state === 'starting');
    const meanwhile = client.request(Search, { text: 'later', top: 1 });
    assert.equal(answeredBy(await inFlight), pids[0]);
    await assert.rejects(meanwhile, /the Code Scout engine (is restarting|has stopped)/);
    await until('the failed start to be over', 10_000, () => started().length === 2 && client.state !== 'starting');
    // the next request: from a new process, now or once the crash path has restarted it
    await until('the engine to run again or wait for a request', 20_000, () => client.state === 'running' || client.state === 'stopped');
    const next = await client.request(Search, { text: 'next', top: 1 });
    const third = started()[2];
    assert.ok(third !== undefined, `a third process started: ${started().join(', ')}`);
    assert.equal(answeredBy(next), third);
    assert.ok(output.shown.includes('error The Code Scout engine exited with code 5.'), output.shown.join('\n'));
  } finally {
    await client.dispose();
  }
});
