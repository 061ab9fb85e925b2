/**
 * The guard in front of the SDK's stdio transport (src/agent/request-guard.ts): whatever way the
 * input is cut into chunks, the lines the SDK can read reach it whole and in order, each other
 * line with an id is answered once, and a line over the limit (and all after it) goes on unread.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import fc from 'fast-check';
import { answerInto, guardedInput, refusal, type GuardAnswer } from '../src/agent/request-guard';

/** Feeds `input` to a guard in the given chunk sizes; returns what the SDK would read and the answers given. */
async function through(input: Buffer, cuts: number[], maxLine?: number): Promise<{ passed: Buffer; answers: GuardAnswer[] }> {
  const source = new PassThrough();
  const answers: GuardAnswer[] = [];
  const guarded = guardedInput(source, (a) => void answers.push(...[a].flat()), maxLine);
  const parts: Buffer[] = [];
  guarded.on('data', (d: Buffer) => parts.push(d));
  const ended = new Promise((resolve) => guarded.on('end', resolve));
  let at = 0;
  for (const cut of cuts) {
    if (at >= input.length) break;
    source.write(input.subarray(at, at + cut));
    at += cut;
  }
  if (at < input.length) source.write(input.subarray(at));
  source.end();
  await ended;
  return { passed: Buffer.concat(parts), answers };
}

const good = (id: number) => JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/list', params: { é: 'ü' } });
const bad = (id: number) => JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/list', params: 'x' });

/** The answer to a line that is one message (not a batch). */
function single(line: string): GuardAnswer | undefined {
  const answer = refusal(line);
  assert.ok(!Array.isArray(answer), line);
  return answer;
}

test('refusal: a batch, which the SDK drops, gets an Invalid Request for each request in it that has an id', () => {
  const refused = (id: number | string) => ({ jsonrpc: '2.0', id, error: { code: -32600, message: 'Invalid Request: batches are not read; send each request on a line of its own' } });
  assert.deepEqual(refusal(`[${good(2)}]`), [refused(2)]);
  const notObject = { jsonrpc: '2.0', id: null, error: { code: -32600, message: 'Invalid Request: a batch holds messages, which are objects' } };
  assert.deepEqual(refusal(`[${good(1)},{"jsonrpc":"2.0","method":"notifications/initialized"},${bad(3)},{"jsonrpc":"2.0","id":"x","method":"ping"},{"jsonrpc":"2.0","id":4,"result":{}},7,null]`), [refused(1), refused(3), refused('x'), notObject, notObject]);
  assert.deepEqual(refusal('[1,2]'), [notObject, notObject], 'as JSON-RPC 2.0 answers [1,2]');
  assert.equal(refusal('[{"jsonrpc":"2.0","method":"notifications/initialized"}]'), undefined, 'nothing in it to answer');
  assert.deepEqual(refusal('[]'), { jsonrpc: '2.0', id: null, error: { code: -32600, message: 'Invalid Request: an empty batch' } });
  assert.deepEqual(refusal('[{"jsonrpc":"2.0","__proto__":{"id":9},"method":"x"}]'), undefined, 'only an own id counts');
});

test('refusal: which lines are answered here, and how', () => {
  assert.equal(refusal(good(1)), undefined);
  assert.equal(refusal('{"jsonrpc":"2.0","method":"notifications/initialized"}'), undefined);
  assert.equal(refusal('{"jsonrpc":"2.0","id":1,"result":{}}'), undefined, "an answer from the client is the SDK's");
  assert.equal(refusal(''), undefined);
  assert.equal(refusal('{"jsonrpc":"2.0","method":"x","params":3}'), undefined, 'a notification is never answered');
  assert.deepEqual(refusal(bad(4)), { jsonrpc: '2.0', id: 4, error: { code: -32600, message: `Invalid Request: a request's "params" are an object` } });
  assert.equal(single('{"jsonrpc":"2.0","id":4,"method":"tools/list","params":[]}')?.error.code, -32600, 'MCP params are an object');
  assert.equal(refusal('{"jsonrpc":"2.0","id":1,"result":42}'), undefined, "a malformed answer from the client: its id is the server's, never answered");
  assert.equal(refusal('{"jsonrpc":"2.0","id":1,"error":{"code":"x"}}'), undefined);
  assert.equal(single('[1,')?.id, null);
  assert.equal(single('[1,')?.error.code, -32700);
  assert.equal(single('nope')?.error.code, -32700);
  assert.equal(single('{"jsonrpc":"1.0","id":"a","method":"x"}')?.error.message, 'Invalid Request: a message must say "jsonrpc": "2.0"');
  assert.equal(single('{"jsonrpc":"2.0","id":2}')?.error.message, 'Invalid Request: a request names its "method"');
  assert.equal(refusal('{"jsonrpc":"2.0","id":{"a":1},"method":"x","params":1}'), undefined, 'an id that cannot be answered');
  assert.equal(refusal('{"jsonrpc":"2.0","__proto__":{"id":9},"method":"x","params":1}'), undefined, 'only an own id counts');
});

test('the lines the SDK can read pass whole and in order, each unreadable request is answered once, however the input is cut', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.oneof(fc.constant('good'), fc.constant('bad'), fc.constant('junk'), fc.constant('blank'), fc.constant('crlf')), { maxLength: 12 }),
      fc.array(fc.integer({ min: 1, max: 40 }), { maxLength: 60 }),
      async (kinds, cuts) => {
        const lines = kinds.map((k, i) => (k === 'good' ? good(i) : k === 'bad' ? bad(i) : k === 'junk' ? 'not json' : k === 'crlf' ? `${good(i)}\r` : ''));
        const input = Buffer.from(lines.map((l) => `${l}\n`).join(''));
        const { passed, answers } = await through(input, cuts);
        const expectedPassed = lines.filter((l, i) => kinds[i] !== 'bad' && kinds[i] !== 'junk').map((l) => `${l}\n`).join('');
        assert.equal(passed.toString(), expectedPassed);
        const expectedAnswers = kinds.flatMap((k, i) => (k === 'bad' ? [i] : k === 'junk' ? [null] : []));
        assert.deepEqual(answers.map((a) => a.id), expectedAnswers);
      },
    ),
  );
});

test('a line over the limit, and everything after it, goes on unread; a last line without its newline too', async () => {
  const long = `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"code":"${'y'.repeat(200)}"}}`;
  const input = Buffer.from(`${bad(0)}\n${long}\n${bad(2)}\n${bad(3)}`);
  for (const cuts of [[], [1, 1, 1, 500], [60, 7, 300]]) {
    const { passed, answers } = await through(input, cuts, 100);
    assert.deepEqual(answers.map((a) => a.id), [0], 'only the line before the long one is looked at');
    assert.equal(passed.toString(), `${long}\n${bad(2)}\n${bad(3)}`);
  }
  const tail = await through(Buffer.from(`${good(1)}\n${bad(2)}`), [5]);
  assert.equal(tail.passed.toString(), `${good(1)}\n${bad(2)}`, 'an unfinished last line is never read by the SDK either');
  assert.deepEqual(tail.answers, []);
});

test("the guard's limit is the SDK's: a line the SDK's buffer refuses switches the guard to passing everything on", async () => {
  const { ReadBuffer } = await import('@modelcontextprotocol/sdk/shared/stdio.js');
  const max = 100;
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 60, max: 140 }), async (length) => {
      const head = '{"jsonrpc":"2.0","method":"x","params":{"p":"';
      const tail = '"}}';
      const line = `${head}${'y'.repeat(length - 1 - head.length - tail.length)}${tail}\n`; // `length` bytes, newline included
      const { passed, answers } = await through(Buffer.from(`${line}${bad(1)}\n`), [], max);
      const sdk = new ReadBuffer({ maxBufferSize: max });
      let refusedBySdk = false;
      try {
        sdk.append(Buffer.from(line)); // the first line reaches the SDK alone, as its own chunk
      } catch {
        refusedBySdk = true;
      }
      assert.equal(refusedBySdk, length > max);
      assert.deepEqual(answers.map((a) => a.id), refusedBySdk ? [] : [1], 'after a refused line nothing is answered here');
      assert.equal(passed.toString(), refusedBySdk ? `${line}${bad(1)}\n` : line);
    }),
  );
});

test('while an answer is still being written (the output is full), the guard reads nothing more of the input', async () => {
  const source = new PassThrough();
  const answered: string[] = [];
  let release: (() => void) | undefined;
  const guarded = guardedInput(source, (a) => {
    answered.push(...[a].flat().map((one) => String(one.id)));
    // the first answer finds the output full: it is written once the test lets it drain
    if (answered.length === 1) return new Promise<void>((resolve) => (release = resolve));
  });
  const passed: string[] = [];
  guarded.on('data', (d: Buffer) => passed.push(...d.toString('utf8').split('\n').filter(Boolean)));
  const ended = new Promise((resolve) => guarded.on('end', resolve));
  const bad = (id: number) => JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: 'x' });
  const good = (id: number) => JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/list' });
  source.write(`${bad(1)}\n${good(2)}\n`);
  source.write(`${bad(3)}\n${good(4)}\n`);
  source.end();
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.deepEqual(answered, ['1'], 'nothing after the answer still being written is answered');
  assert.deepEqual(passed, [], 'nothing after it is passed on');
  release?.();
  await ended;
  assert.deepEqual(answered, ['1', '3']);
  assert.deepEqual(passed.map((l) => (JSON.parse(l) as { id: number }).id), [2, 4], 'in order, once drained');
});

test('answerInto writes each answer as a line, and waits for a full output to drain, or to close', async () => {
  const { Writable } = await import('node:stream');
  const written: string[] = [];
  let finishWrite: (() => void) | undefined;
  // an output that holds one write until the test lets it go (highWaterMark 1: full after any write)
  const output = new Writable({
    highWaterMark: 1,
    write(chunk: Buffer, _encoding, callback) {
      written.push(chunk.toString('utf8'));
      finishWrite = () => callback();
    },
  });
  const answer = answerInto(output);
  const waiting = answer({ jsonrpc: '2.0', id: 7, error: { code: -32600, message: 'Invalid Request' } });
  assert.ok(waiting instanceof Promise, 'a full output is waited for');
  let settled = false;
  void waiting.then(() => (settled = true));
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(settled, false, 'not before it drains');
  finishWrite?.();
  await waiting;
  assert.deepEqual(written, ['{"jsonrpc":"2.0","id":7,"error":{"code":-32600,"message":"Invalid Request"}}\n']);
  // an output that closes while an answer waits for it ends the wait, and leaves no listener behind
  const listeners = () => ['drain', 'close', 'error'].map((e) => output.listenerCount(e));
  const before = listeners();
  const pending = answer({ jsonrpc: '2.0', id: 8, error: { code: -32600, message: 'x' } });
  assert.ok(pending instanceof Promise);
  output.destroy();
  await pending;
  assert.deepEqual(listeners(), before);
  // a closed output is not waited for
  assert.equal(answer({ jsonrpc: '2.0', id: 9, error: { code: -32600, message: 'x' } }), undefined);
});
