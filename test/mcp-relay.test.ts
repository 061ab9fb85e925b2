/**
 * `codescout mcp --attach`'s relay (src/cli/mcp-relay.ts, src/cli/relay-session.ts): an MCP session
 * that outlives the engine process behind the socket. The whole path through real engine
 * processes is in mcp.test.ts; here the relay runs in-process against real agent endpoints
 * (src/server/agent-endpoint.ts) and hand-made servers, to lose connections at chosen moments.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import fc from 'fast-check';
import type { AgentBackend } from '../src/agent/backend';
import { LineSplitter, relay } from '../src/cli/mcp-relay';
import { lineText, RELAY_LOST_CODE, RelaySession } from '../src/cli/relay-session';
import { ENGINE_ENDING, engineEndingLine } from '../src/protocol/agent-relay';
import { listenForAgents, type AgentEndpoint } from '../src/server/agent-endpoint';

const INITIALIZE = { jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } } };
const INITIALIZED = { jsonrpc: '2.0', method: 'notifications/initialized' };
const line = (message: unknown) => JSON.stringify(message) + '\n';
const call = (id: number | string, name = 'index_status') => line({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: {} } });
const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('the line splitter gives back every character, each line whole up to its limit and longer ones in pieces, however the bytes are cut', () => {
  const text = fc.array(fc.oneof(fc.constant('\n'), fc.constant('é'), fc.constant('😀'), fc.string({ maxLength: 12 })), { maxLength: 30 }).map((parts) => parts.join(''));
  fc.assert(
    fc.property(text, fc.array(fc.nat(), { maxLength: 8 }), fc.integer({ min: 1, max: 20 }), (s, cutsRaw, max) => {
      const bytes = Buffer.from(s, 'utf8');
      const cuts = [...new Set(cutsRaw.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
      const splitter = new LineSplitter(max);
      const pieces = [];
      let at = 0;
      for (const cut of [...cuts, bytes.length]) {
        pieces.push(...splitter.push(bytes.subarray(at, cut)));
        at = cut;
      }
      const rest = splitter.end();
      assert.equal(pieces.map((p) => p.text).join('') + rest.text, s, 'nothing lost, nothing added, in order');
      for (const p of pieces.filter((p) => p.whole)) {
        assert.ok(p.text.endsWith('\n') && p.text.indexOf('\n') === p.text.length - 1, 'a whole piece is one line with its break');
      }
      // every line within the limit is given whole
      const whole = pieces.filter((p) => p.whole).map((p) => p.text);
      const lines = s.split('\n').slice(0, -1);
      for (const l of lines.filter((l) => l.length <= max)) assert.ok(whole.includes(l + '\n'), JSON.stringify(l));
      if (!s.endsWith('\n') && s.split('\n').at(-1)!.length <= max) assert.equal(rest.whole, true);

      // it never holds more than the limit of one line: the rest has been given by each push's end
      const held = new LineSplitter(max);
      let given = 0;
      let pushed = 0;
      for (const cut of [...cuts.map((c) => Math.min(c, s.length)), s.length]) {
        if (cut < pushed) continue;
        given += held.push(s.slice(pushed, cut)).reduce((n, p) => n + p.text.length, 0);
        pushed = cut;
        assert.ok(pushed - given <= max, `${pushed - given} characters held, limit ${max}`);
      }
    }),
    { numRuns: 500 },
  );
});

test('the relay session answers each request the client waits for exactly once: by the engine, or by the relay when the connection is lost', () => {
  type Op =
    | { kind: 'request'; id: number | string; queued: boolean; invalid: boolean }
    | { kind: 'garbled'; id: number | string }
    | { kind: 'answer'; pick: number; error: boolean }
    | { kind: 'cancel'; pick: number }
    | { kind: 'lost' }
    | { kind: 'flush' }
    | { kind: 'stray' };
  const op: fc.Arbitrary<Op> = fc.oneof(
    fc.record({ kind: fc.constant('request' as const), id: fc.oneof(fc.integer({ min: 0, max: 3 }), fc.constantFrom('0', '1', 'a', 1.5)), queued: fc.boolean(), invalid: fc.boolean() }),
    fc.constant({ kind: 'flush' as const }),
    fc.record({ kind: fc.constant('garbled' as const), id: fc.constantFrom(0, 1, 'a') }),
    fc.record({ kind: fc.constant('answer' as const), pick: fc.nat(), error: fc.boolean() }),
    fc.record({ kind: fc.constant('cancel' as const), pick: fc.nat() }),
    fc.constant({ kind: 'lost' as const }),
    fc.constant({ kind: 'stray' as const }),
  );
  fc.assert(
    fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
      const session = new RelaySession();
      /** the model: ids the client waits for that reached the engine, one entry per request; and those the relay holds for the next connection */
      let waiting: (number | string)[] = [];
      let queued: { id: number | string; line: string }[] = [];
      for (const o of ops) {
        if (o.kind === 'request') {
          // an invalid request (params not an object) is answered by the engine's guard with its id,
          // also when a valid request with that id is still in flight: it waits like a request
          const sent = o.invalid ? line({ jsonrpc: '2.0', id: o.id, method: 'tools/call', params: 'x' }) : call(o.id);
          session.fromClient(lineText(sent));
          if (o.queued) queued.push({ id: o.id, line: sent });
          else waiting.push(o.id);
        } else if (o.kind === 'garbled') {
          // white space JSON does not allow after the message (a no-break space): the engine's guard
          // answers a parse error with id null, so nothing waits for an answer with this id
          session.fromClient(lineText(call(o.id).replace(/\n$/, '\u00a0\n')));
        } else if (o.kind === 'flush') {
          waiting.push(...queued.map((q) => q.id)); // a connection is open again: what was kept is sent
          queued = [];
        } else if (o.kind === 'answer' && waiting.length) {
          const id = waiting.splice(o.pick % waiting.length, 1)[0];
          const answer = o.error ? { jsonrpc: '2.0', id, error: { code: -32603, message: 'x' } } : { jsonrpc: '2.0', id, result: {} };
          assert.deepEqual(session.fromEngine(JSON.stringify(answer)), { forward: true });
        } else if (o.kind === 'cancel' && waiting.length) {
          const id = waiting.splice(o.pick % waiting.length, 1)[0];
          session.fromClient(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: id } }));
        } else if (o.kind === 'lost') {
          const answers = session.lost('gone', queued.map((q) => q.line)).map((a) => JSON.parse(a) as { id: number | string; error: { code: number } });
          const key = (id: number | string) => `${typeof id}:${id}`;
          assert.deepEqual(answers.map((a) => key(a.id)).sort(), waiting.map(key).sort(), 'an error answer for each request sent and waiting, and only those');
          assert.ok(answers.every((a) => a.error.code === RELAY_LOST_CODE));
          waiting = [];
        } else if (o.kind === 'stray') {
          // an answer to nothing the client asked, and a line that is not JSON: passed on, nothing changes
          assert.deepEqual(session.fromEngine(JSON.stringify({ jsonrpc: '2.0', id: 'never-asked', result: {} })), { forward: true });
          assert.deepEqual(session.fromEngine('not json'), { forward: true });
        }
        assert.equal(session.waitingCount, waiting.length + queued.length);
      }
    }),
    { numRuns: 1000 },
  );
});

test('the relay session replays an answered initialize and holds its new answer back; an unanswered or refused one is not replayed; the engine’s notice is never passed on', () => {
  const session = new RelaySession();
  assert.equal(session.replay(), undefined, 'nothing to replay before initialize');
  session.fromClient(line(INITIALIZE).trimEnd());
  assert.equal(session.lost('gone').length, 1, 'an initialize in flight is answered by the relay');
  assert.equal(session.replay(), undefined, 'it was never answered: no session to carry over');

  session.fromClient(line(INITIALIZE).trimEnd());
  assert.deepEqual(session.fromEngine(JSON.stringify({ jsonrpc: '2.0', id: 0, result: { protocolVersion: '2025-06-18' } })), { forward: true });
  session.fromClient(line(INITIALIZED).trimEnd());
  assert.deepEqual(session.lost('gone'), [], 'nothing waits');
  assert.deepEqual(JSON.parse(session.replay()!), INITIALIZE);
  assert.deepEqual(session.fromEngine(JSON.stringify({ jsonrpc: '2.0', id: 0, result: {} })), { forward: false, replayed: { ok: true } });
  assert.deepEqual(JSON.parse(session.replayInitialized()!), INITIALIZED);
  assert.deepEqual(session.fromEngine(JSON.stringify({ jsonrpc: '2.0', id: 0, result: {} })), { forward: true }, 'only the first answer after the replay is held');
  session.replay();
  assert.deepEqual(session.fromEngine(JSON.stringify({ jsonrpc: '2.0', id: 0, error: { code: -32600, message: 'no' } })), { forward: false, replayed: { ok: false, error: 'no' } });

  const batched = new RelaySession();
  batched.fromClient(`[${call(3).trimEnd()},${line(INITIALIZED).trimEnd()}]`);
  assert.equal(batched.waitingCount, 1, "a batch's request waits for the Invalid Request the engine's guard answers it with");
  assert.deepEqual(batched.fromEngine(JSON.stringify([{ jsonrpc: '2.0', id: 3, error: { code: -32600, message: 'Invalid Request: batches are not read' } }])), { forward: true });
  assert.equal(batched.waitingCount, 0, 'answered');

  const late = new RelaySession();
  late.fromClient(line(INITIALIZE).trimEnd());
  late.fromEngine(JSON.stringify({ jsonrpc: '2.0', id: 0, result: {} }));
  late.lost('gone');
  late.fromClient(line(INITIALIZED).trimEnd()); // written while no engine runs: it goes with what was kept
  late.replay();
  assert.equal(late.replayInitialized(), undefined, 'not sent twice');

  const refused = new RelaySession();
  refused.fromClient(line(INITIALIZE).trimEnd());
  refused.fromEngine(JSON.stringify({ jsonrpc: '2.0', id: 0, error: { code: -32602, message: 'bad version' } }));
  assert.equal(refused.replay(), undefined, 'a refused initialize opened no session');

  assert.deepEqual(session.fromEngine(engineEndingLine(true).trimEnd()), { forward: false, ending: { reconnect: true } });
  assert.deepEqual(session.fromEngine(engineEndingLine(false).trimEnd()), { forward: false, ending: { reconnect: false } });
  assert.deepEqual(session.fromEngine(JSON.stringify({ jsonrpc: '2.0', method: ENGINE_ENDING })), { forward: false, ending: { reconnect: false } });
});

/** A relay in this process on `socketPath`, its client's side as strings. */
function startRelay(socketPath: string, options: { reconnectMs?: number; replayWaitMs?: number; waitAtFirst?: boolean; endWaitMs?: number } = {}) {
  const input = new PassThrough();
  const output = new PassThrough();
  const logged: string[] = [];
  let out = '';
  output.on('data', (d: Buffer) => (out += d.toString('utf8')));
  const exit = relay(socketPath, { input, output, log: (l) => logged.push(l), retryMs: 20, reconnectMs: options.reconnectMs ?? 5000, replayWaitMs: options.replayWaitMs, waitAtFirst: options.waitAtFirst, endWaitMs: options.endWaitMs });
  const messages = () =>
    out
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { id?: number | string; method?: string; result?: { serverInfo?: unknown; content?: { text: string }[] }; error?: { code: number; message: string } });
  const answerTo = async (id: number | string) => {
    for (const deadline = Date.now() + 5000; Date.now() < deadline; await delay(10)) {
      const found = messages().find((m) => m.id === id);
      if (found) return found;
    }
    throw new Error(`no answer to ${id}; output: ${out}; log: ${logged.join(' / ')}`);
  };
  return { input, exit, logged, messages, answerTo };
}

/** An agent endpoint whose index_status answers after `statusesMs(n)` ms, n counting its calls from 0. */
function endpointAt(socketPath: string, statusesMs: (n: number) => number): Promise<AgentEndpoint> {
  let calls = 0;
  const backend = { statuses: () => new Promise((resolve) => setTimeout(() => resolve([]), statusesMs(calls++))) } as unknown as AgentBackend;
  return listenForAgents(socketPath, backend, { version: '0', log: () => {} });
}

/**
 * An engine at a socket in a new folder whose calls answer after `statusesMs(n)` ms, and a relay
 * to it that has asked call 1 (answered) and call 2; `run` goes on from there, replacing the engine
 * with `next()` once it has closed the first (`closeFirst`). Everything is closed and removed after.
 */
async function handOver(
  statusesMs: (n: number) => number,
  run: (t: { r: ReturnType<typeof startRelay>; closeFirst: (reconnect: boolean) => Promise<void>; next: () => Promise<AgentEndpoint> }) => Promise<void>,
): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'codescout-relay-'));
  const socketPath = path.join(dir, 'mcp.sock');
  let first: AgentEndpoint | undefined = await endpointAt(socketPath, statusesMs);
  let second: AgentEndpoint | undefined;
  try {
    const r = startRelay(socketPath);
    r.input.write(line(INITIALIZE) + line(INITIALIZED) + call(1));
    assert.equal((await r.answerTo(1)).error, undefined);
    r.input.write(call(2));
    await delay(50);
    await run({
      r,
      closeFirst: async (reconnect) => {
        await first?.close({ reconnect }); // says so at once, then waits up to 1 s for what its sessions are answering
        first = undefined;
      },
      next: async () => (second = await endpointAt(socketPath, () => 0)),
    });
  } finally {
    await first?.close();
    await second?.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

test('the relay carries its session over to a new engine process: the request in flight gets an error, one written meanwhile is answered by the new process, initialize is answered once', async () => {
  // its calls: 1 answered at once; 2 in 3 s, after the process has closed; 7 in 300 ms, within the wait for answers
  await handOver((n) => [0, 3000, 300][n] ?? 0, async ({ r, closeFirst, next }) => {
    r.input.write(call(7));
    await delay(100);
    const closing = Date.now();
    await closeFirst(true);
    assert.ok(Date.now() - closing < 2500, `${Date.now() - closing} ms`);
    assert.equal((await r.answerTo(7)).error, undefined, 'a request answered within the wait is answered by the old process');
    const lost = await r.answerTo(2);
    assert.equal(lost.error?.code, RELAY_LOST_CODE);
    assert.match(lost.error!.message, /restarted before answering; ask again/);
    r.input.write(call(3)); // no engine now: it waits in the relay
    await delay(200);
    const second = await next();
    assert.equal((await r.answerTo(3)).error, undefined, 'answered by the new process');
    const all = r.messages();
    assert.equal(all.filter((m) => m.result?.serverInfo !== undefined).length, 1, 'the client sees one answer to initialize');
    assert.deepEqual(all.map((m) => String(m.id)).sort(), ['0', '1', '2', '3', '7'], 'one answer for each request');
    assert.equal(second.sessions, 1);
    // the editor closes: the engine says so, and the relay leaves with 0 at once
    const closedAt = Date.now();
    await second.close({ reconnect: false });
    assert.equal(await r.exit, 0);
    assert.ok(Date.now() - closedAt < 2000, `${Date.now() - closedAt} ms`);
    assert.deepEqual(r.logged.filter((l) => /lost|again/.test(l)).length, 2, r.logged.join('\n'));
  });
});

test('a client that ends its input while the engine hands over to a new process: what it wrote meanwhile is answered by the new one, then the relay leaves with 0', async () => {
  // call 2 takes 3 s: the old process closes (after its 1 s wait) without answering it
  await handOver((n) => [0, 3000][n] ?? 0, async ({ r, closeFirst, next }) => {
    const closing = closeFirst(true);
    await delay(100);
    r.input.write(call(3)); // written while the old process says it is ending: kept for the new one
    r.input.end();
    await closing;
    await next();
    const lost = await r.answerTo(2);
    assert.match(lost.error!.message, /restarted before answering; ask again/);
    assert.equal((await r.answerTo(3)).error, undefined, `answered by the new process: ${JSON.stringify(await r.answerTo(3))}`);
    assert.equal(await r.exit, 0);
  });
});

test('an engine that says it is ending and never closes: a client that has ended its input gets its answers and the relay leaves with 1 within its wait', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'codescout-relay-'));
  const socketPath = path.join(dir, 'mcp.sock');
  const sockets: Socket[] = [];
  const server: Server = createServer((socket) => {
    sockets.push(socket);
    socket.on('error', () => {});
    socket.write(engineEndingLine(true)); // and nothing more, ever
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  try {
    const r = startRelay(socketPath, { endWaitMs: 300 });
    await delay(100);
    r.input.write(call(1));
    r.input.end();
    const started = Date.now();
    assert.equal(await Promise.race([r.exit, delay(5000).then(() => 'hung')]), 1);
    assert.ok(Date.now() - started < 3000, `${Date.now() - started} ms`);
    assert.ok((await r.answerTo(1)).error, 'the request is answered, with an error');
    assert.ok(r.logged.some((l) => /did not end the session/.test(l)), r.logged.join('\n'));
  } finally {
    for (const s of sockets) s.destroy();
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a relay whose engine does not come back leaves with 1 and one line; one whose socket folder is removed leaves with 0 at once', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'codescout-relay-'));
  try {
    const socketPath = path.join(dir, 'mcp.sock');
    const endpoint = await endpointAt(socketPath, () => 0);
    const r = startRelay(socketPath, { reconnectMs: 300 });
    r.input.write(line(INITIALIZE));
    await r.answerTo(0);
    const started = Date.now();
    await endpoint.close({ reconnect: true });
    assert.equal(await r.exit, 1);
    assert.ok(Date.now() - started >= 250, `${Date.now() - started} ms`);
    assert.equal(r.logged.at(-1), `the Code Scout engine at ${socketPath} did not come back within 0.3 s; leaving`);

    // a client that leaves while no engine runs, with nothing asked: the relay leaves too, with 0
    const idle = await endpointAt(socketPath, () => 0);
    const quits = startRelay(socketPath, { reconnectMs: 10_000 });
    quits.input.write(line(INITIALIZE));
    await quits.answerTo(0);
    await idle.close({ reconnect: true });
    await delay(100);
    const quitAt = Date.now();
    quits.input.end();
    assert.equal(await quits.exit, 0);
    assert.ok(Date.now() - quitAt < 2000, `${Date.now() - quitAt} ms`);

    const other = path.join(dir, 'private');
    rmSync(other, { recursive: true, force: true });
    (await import('node:fs')).mkdirSync(other);
    const inFolder = path.join(other, 'mcp.sock');
    const again = await endpointAt(inFolder, () => 0);
    const gone = startRelay(inFolder, { reconnectMs: 10_000 });
    gone.input.write(line(INITIALIZE));
    await gone.answerTo(0);
    await again.close({ reconnect: true });
    const removedAt = Date.now();
    rmSync(other, { recursive: true, force: true }); // as the extension does when it deactivates
    assert.equal(await gone.exit, 0);
    assert.ok(Date.now() - removedAt < 2000, `${Date.now() - removedAt} ms`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a relay told to wait (--wait) waits for an engine that is not listening yet, answers once it is, and leaves with 1 when none comes; without it, or with no socket folder, it leaves at once', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'codescout-relay-'));
  let endpoint: AgentEndpoint | undefined;
  try {
    const socketPath = path.join(dir, 'mcp.sock');
    // VS Code starts the relay while the engine is between two processes: what the client writes waits for the next
    const r = startRelay(socketPath, { waitAtFirst: true, reconnectMs: 5000 });
    r.input.write(line(INITIALIZE) + line(INITIALIZED) + call(1));
    await delay(300);
    assert.deepEqual(r.messages(), [], 'nothing is answered while no engine listens');
    endpoint = await endpointAt(socketPath, () => 0);
    assert.ok((await r.answerTo(0)).result?.serverInfo, 'initialize is answered by the engine that came');
    assert.equal((await r.answerTo(1)).error, undefined);
    assert.equal(r.messages().filter((m) => m.id === 0).length, 1, 'initialize answered once');
    assert.match(r.logged[0], /^nothing listens at .* yet \(ENOENT\); waiting up to 5 s for the Code Scout engine$/);
    assert.match(r.logged[1], /^connected to the Code Scout engine at /);
    r.input.end();
    assert.equal(await r.exit, 0);
    await endpoint.close({ reconnect: false });
    endpoint = undefined;

    // no engine within the limit: the requests waiting are answered, and it leaves with 1
    const none = startRelay(socketPath, { waitAtFirst: true, reconnectMs: 300 });
    none.input.write(line(INITIALIZE));
    assert.equal(await none.exit, 1);
    assert.equal((await none.answerTo(0)).error?.code, RELAY_LOST_CODE);
    assert.equal(none.logged.at(-1), `no Code Scout engine listened at ${socketPath} within 0.3 s; leaving`);

    // without --wait, nothing listening is an error at once (a mistyped path is not waited for)
    const at = Date.now();
    const plain = startRelay(socketPath, { reconnectMs: 5000 });
    assert.equal(await plain.exit, 1);
    assert.ok(Date.now() - at < 1000, `${Date.now() - at} ms`);
    assert.match(plain.logged[0], /^cannot reach the Code Scout engine at .*: no such socket/);
    // with --wait, a socket whose folder does not exist is not waited for either
    const noFolder = startRelay(path.join(dir, 'no-such-folder', 'mcp.sock'), { waitAtFirst: true, reconnectMs: 5000 });
    assert.equal(await noFolder.exit, 1);
    assert.match(noFolder.logged[0], /^cannot reach the Code Scout engine at /);
    // a file or a folder where the socket should be is no socket: said so at once, even with --wait
    // (Linux answers a connect there with ECONNREFUSED, which read as "the engine process has ended")
    const file = path.join(dir, 'not-a-socket.txt');
    writeFileSync(file, 'x');
    for (const [target, what] of [[file, 'a file'], [dir, 'a folder']] as const) {
      const started = Date.now();
      const wrong = startRelay(target, { waitAtFirst: true, reconnectMs: 5000 });
      assert.equal(await wrong.exit, 1);
      assert.ok(Date.now() - started < 2000, `not waited for: ${Date.now() - started} ms`);
      assert.equal(wrong.logged[0], `cannot reach the Code Scout engine at ${target}: it is ${what}, not a socket; give the socket the extension made (see docs/mcp.md)`);
    }
  } finally {
    await endpoint?.close({ reconnect: false });
    rmSync(dir, { recursive: true, force: true });
  }
});

/**
 * A hand-made engine at `socketPath`: answers initialize as told ('ok', 'refuse' with an error,
 * 'silent': never, 'drop': by closing the connection), and every other request with a result.
 */
function handMadeEngine(socketPath: string, initialize: 'ok' | 'refuse' | 'silent' | 'drop') {
  return (
    new Promise<{ server: Server; sockets: Socket[]; seen: string[] }>((resolve) => {
      const sockets: Socket[] = [];
      const seen: string[] = [];
      const server = createServer((socket) => {
        sockets.push(socket);
        const lines = new LineSplitter(1 << 20);
        socket.on('data', (d: Buffer) => {
          for (const { text } of lines.push(d)) {
            const m = JSON.parse(text) as { id?: number; method: string };
            seen.push(m.method);
            if (m.id === undefined) continue;
            if (m.method === 'initialize' && initialize === 'silent') continue;
            if (m.method === 'initialize' && initialize === 'drop') return void socket.destroy();
            const refused = m.method === 'initialize' && initialize === 'refuse';
            socket.write(line(refused ? { jsonrpc: '2.0', id: m.id, error: { code: -32602, message: 'unsupported protocol version' } } : { jsonrpc: '2.0', id: m.id, result: m.method === 'initialize' ? { serverInfo: {} } : {} }));
          }
        });
      });
      server.listen(socketPath, () => resolve({ server, sockets, seen }));
    })
  );
}

test('a relay reconnects after an engine that died without a word, and leaves with 1 when the new one refuses the session', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'codescout-relay-'));
  const socketPath = path.join(dir, 'mcp.sock');
  const serve = (initialize: 'ok' | 'refuse') => handMadeEngine(socketPath, initialize);
  const servers: Server[] = [];
  try {
    const a = await serve('ok');
    servers.push(a.server);
    const r = startRelay(socketPath);
    r.input.write(line(INITIALIZE) + line(INITIALIZED));
    await r.answerTo(0);
    a.sockets.forEach((s) => s.destroy()); // killed: no notice
    a.server.close();
    await delay(100);
    const b = await serve('ok');
    servers.push(b.server);
    r.input.write(call(5));
    assert.equal((await r.answerTo(5)).error, undefined);
    assert.deepEqual(b.seen, ['initialize', 'notifications/initialized', 'tools/call'], 'the session is opened again first');
    b.sockets.forEach((s) => s.destroy());
    b.server.close();
    await delay(50);
    const c = await serve('refuse');
    servers.push(c.server);
    r.input.write(call(6));
    assert.equal(await r.exit, 1);
    assert.match(r.logged.at(-1)!, /refused the session: unsupported protocol version/);
    assert.equal((await r.answerTo(6)).error?.code, RELAY_LOST_CODE, 'what waited is answered');
  } finally {
    for (const server of servers) {
      server.close();
      server.unref();
    }
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a relay whose new engine never answers, or drops, the replayed initialize leaves with 1 within its limit, having answered what waits', async () => {
  for (const mode of ['silent', 'drop'] as const) {
    const dir = mkdtempSync(path.join(tmpdir(), 'codescout-relay-'));
    const socketPath = path.join(dir, 'mcp.sock');
    const servers: Server[] = [];
    try {
      const a = await handMadeEngine(socketPath, 'ok');
      servers.push(a.server);
      const r = startRelay(socketPath, { reconnectMs: 800, replayWaitMs: 200 });
      r.input.write(line(INITIALIZE) + line(INITIALIZED));
      await r.answerTo(0);
      a.sockets.forEach((s) => s.destroy());
      a.server.close();
      await delay(50);
      const b = await handMadeEngine(socketPath, mode);
      servers.push(b.server);
      r.input.write(call(9));
      const started = Date.now();
      assert.equal(await Promise.race([r.exit, delay(8000).then(() => 'still running after 8 s')]), 1, mode);
      assert.ok(Date.now() - started < 5000, `${mode}: ${Date.now() - started} ms`);
      assert.match(r.logged.at(-1)!, /did not come back within 0\.8 s; leaving/, mode);
      if (mode === 'silent') assert.ok(r.logged.some((l) => /did not answer the session's initialize within 0\.2 s/.test(l)), r.logged.join('\n'));
      assert.equal((await r.answerTo(9)).error?.code, RELAY_LOST_CODE, `${mode}: the call waiting in the relay is answered`);
      assert.ok(b.seen.filter((m) => m === 'initialize').length >= 1, mode);
      assert.ok(!b.seen.includes('tools/call'), `${mode}: nothing is sent before the session is open again`);
    } finally {
      for (const server of servers) {
        server.close();
        server.unref();
      }
      rmSync(dir, { recursive: true, force: true });
    }
  }
});
