/**
 * The MCP session transport's count of unanswered requests (src/agent/session-transport.ts), over
 * a stand-in for the SDK's transport: a session waits for every request it read, a reused id
 * included, and stops waiting once the transport has closed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { SessionTransport } from '../src/agent/session-transport';

class Inner implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  async start(): Promise<void> {}
  async send(_message: JSONRPCMessage): Promise<void> {}
  async close(): Promise<void> {
    this.onclose?.();
  }
  receive(message: JSONRPCMessage): void {
    this.onmessage?.(message);
  }
}

const request = (id: number): JSONRPCMessage => ({ jsonrpc: '2.0', id, method: 'tools/list' });
const result = (id: number): JSONRPCMessage => ({ jsonrpc: '2.0', id, result: {} });

/** Whether `promise` has settled once pending callbacks have run. */
async function settled(promise: Promise<void>): Promise<boolean> {
  let done = false;
  void promise.then(() => (done = true));
  await new Promise((resolve) => setImmediate(resolve));
  return done;
}

test('a session waits for every request it read, a reused id counted twice, and a cancelled one not at all', async () => {
  const inner = new Inner();
  const session = new SessionTransport(inner);
  inner.receive(request(1));
  inner.receive(request(1)); // the same id again while the first runs
  inner.receive(request(2));
  inner.receive({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 2 } });
  assert.equal(session.unansweredCount, 2);
  const answered = session.answered();
  await session.send(result(1));
  assert.equal(await settled(answered), false, 'one request with id 1 is still unanswered');
  await session.send(result(1));
  assert.equal(await settled(answered), true);
  assert.equal(session.unansweredCount, 0);
});

test('a transport that closes by itself is told apart from one closed here, and nobody waits on it any longer', async () => {
  const inner = new Inner();
  const session = new SessionTransport(inner);
  let broken = 0;
  session.onbroken = () => broken++;
  inner.receive(request(7));
  const answered = session.answered();
  await inner.close(); // as the SDK's stdio transport closes itself on a message over its limit
  assert.equal(await settled(answered), true);
  assert.equal(broken, 1);

  const other = new SessionTransport(new Inner());
  other.onbroken = () => broken++;
  await other.close();
  assert.equal(broken, 1, 'closed here: not broken');
});

test('a tools/call whose arguments are not an object is answered Invalid params here, never passed on; a good one and other methods pass', async () => {
  const sent: JSONRPCMessage[] = [];
  const inner = new (class extends Inner {
    override async send(message: JSONRPCMessage): Promise<void> {
      sent.push(message);
    }
  })();
  const session = new SessionTransport(inner);
  const passed: JSONRPCMessage[] = [];
  session.onmessage = (message) => void passed.push(message);
  const call = (id: number, params: unknown) => ({ jsonrpc: '2.0', id, method: 'tools/call', params }) as JSONRPCMessage;
  inner.receive(call(1, { name: 'search_code', arguments: null }));
  inner.receive(call(2, { name: 'search_code', arguments: [] }));
  inner.receive(call(3, { name: 'search_code', arguments: 'parse' }));
  inner.receive({ jsonrpc: '2.0', id: 4, method: 'tools/call' });
  inner.receive(call(8, {}));
  inner.receive(call(9, { name: 5, arguments: {} }));
  // names found on Object.prototype: no tool's, said as the SDK says of an unknown name (it would call them "disabled")
  inner.receive(call(10, { name: 'constructor', arguments: {} }));
  inner.receive(call(11, { name: '__proto__', arguments: {} }));
  inner.receive(call(5, { name: 'search_code', arguments: { query: 'parse' } }));
  inner.receive(call(6, { name: 'index_status' })); // no arguments at all: the tool's own defaults
  inner.receive({ jsonrpc: '2.0', id: 7, method: 'tools/list', params: { arguments: [] } });
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(
    sent.map((m) => [(m as { id: number }).id, (m as { error: { code: number; message: string } }).error.code, (m as { error: { message: string } }).error.message]),
    [
      [1, -32602, "Invalid params: a tool's arguments are an object of named values, got null"],
      [2, -32602, "Invalid params: a tool's arguments are an object of named values, got an array"],
      [3, -32602, "Invalid params: a tool's arguments are an object of named values, got a string"],
      [4, -32602, "Invalid params: tools/call takes an object with the tool's name and arguments, got nothing"],
      [8, -32602, "Invalid params: tools/call needs the tool's name as a string, got nothing"],
      [9, -32602, "Invalid params: tools/call needs the tool's name as a string, got a number"],
      [10, -32602, 'Tool constructor not found'],
      [11, -32602, 'Tool __proto__ not found'],
    ],
  );
  assert.deepEqual(passed.map((m) => (m as { id: number }).id), [5, 6, 7]);
  assert.equal(session.unansweredCount, 3, 'the refused requests are answered: only those passed on wait');
});
