/**
 * An MCP session's transport (the SDK's stdio transport, on stdio or on a socket) that keeps count
 * of the requests it was sent and has not answered yet, so that a session whose input ends
 * answers what it was already asked before it closes ({@link SessionTransport.answered}): a client
 * may write its requests and close its end at once. And it tells when the transport closed by
 * itself rather than by {@link SessionTransport.close}: the SDK's stdio transport does so on a
 * message over its 10 MB limit, after which it reads no more of its input (so no end of input is
 * ever seen) and the session must be ended by whoever holds it.
 */
import type { Transport, TransportSendOptions } from '@modelcontextprotocol/sdk/shared/transport.js';
import { ErrorCode, isJSONRPCErrorResponse, isJSONRPCNotification, isJSONRPCRequest, isJSONRPCResultResponse, type JSONRPCMessage, type JSONRPCRequest, type MessageExtraInfo } from '@modelcontextprotocol/sdk/types.js';

import { ownFields } from '../engine/own-fields';

type RequestId = string | number;

export class SessionTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: <T extends JSONRPCMessage>(message: T, extra?: MessageExtraInfo) => void;
  /** Called once when the transport closed by itself (not through {@link close}), after `onerror` said why. */
  onbroken?: () => void;
  /** Called each time the last request waiting for its answer is answered (or cancelled). */
  onanswered?: () => void;

  /** requests waiting for their answer, by id (a client may reuse an id while its first request runs) */
  private readonly unanswered = new Map<RequestId, number>();
  private unansweredTotal = 0;
  private waiting: (() => void)[] = [];
  private closed = false;
  private closingHere = false;

  constructor(private readonly inner: Transport) {
    inner.onmessage = (message, extra) => {
      if (isJSONRPCRequest(message)) {
        const refused = badToolCall(message);
        if (refused !== undefined) {
          // answered here, as Invalid params: the SDK would answer an internal error (-32603) with its schema's complaint
          this.inner.send({ jsonrpc: '2.0', id: message.id, error: { code: ErrorCode.InvalidParams, message: refused } }).catch((error: Error) => this.onerror?.(error));
          return;
        }
        this.unanswered.set(message.id, (this.unanswered.get(message.id) ?? 0) + 1);
        this.unansweredTotal++;
      }
      else if (isJSONRPCNotification(message) && message.method === 'notifications/cancelled') {
        // a cancelled request is never answered (the SDK drops its result)
        const id = (message.params as { requestId?: unknown } | undefined)?.requestId;
        if (typeof id === 'string' || typeof id === 'number') this.answer(id);
      }
      this.onmessage?.(message, extra);
    };
    inner.onerror = (error) => this.onerror?.(error);
    inner.onclose = () => {
      if (this.closed) return;
      this.closed = true;
      // nothing more can be answered: whoever waits for the answers stops waiting
      this.unanswered.clear();
      this.unansweredTotal = 0;
      this.wake();
      this.onclose?.();
      if (!this.closingHere) this.onbroken?.();
    };
  }

  start(): Promise<void> {
    return this.inner.start();
  }

  async send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    try {
      await this.inner.send(message, options);
    } finally {
      if (isJSONRPCResultResponse(message) || isJSONRPCErrorResponse(message)) {
        if (message.id !== undefined) this.answer(message.id);
      }
    }
  }

  close(): Promise<void> {
    this.closingHere = true;
    return this.inner.close();
  }

  /** How many requests are waiting for their answer. */
  get unansweredCount(): number {
    return this.unansweredTotal;
  }

  /** Resolves once every request received so far is answered (or cancelled), or the transport has closed. */
  answered(): Promise<void> {
    if (this.unansweredTotal === 0 || this.closed) return Promise.resolve();
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private answer(id: RequestId): void {
    const waiting = this.unanswered.get(id);
    if (waiting === undefined) return;
    if (waiting > 1) this.unanswered.set(id, waiting - 1);
    else this.unanswered.delete(id);
    if (--this.unansweredTotal === 0) {
      this.wake();
      this.onanswered?.();
    }
  }

  private wake(): void {
    const waiting = this.waiting;
    this.waiting = [];
    for (const resolve of waiting) resolve();
  }
}

/**
 * Why a `tools/call` request cannot name a call (its params or their `arguments` are not an
 * object: `null`, an array, a string; or it has no tool name as a string), or undefined. Such a
 * call is no tool's to answer.
 */
export function badToolCall(request: JSONRPCRequest): string | undefined {
  if (request.method !== 'tools/call') return undefined;
  const params: unknown = request.params;
  const field = ownFields(params);
  if (field === undefined) return `Invalid params: tools/call takes an object with the tool's name and arguments, got ${kindOf(params)}`;
  const name = field('name');
  if (typeof name !== 'string') return `Invalid params: tools/call needs the tool's name as a string, got ${kindOf(name)}`;
  // the SDK finds a tool by name in a plain object, where `constructor` or `toString` would be found
  // on its prototype (and named "disabled"): no tool is named so, as the SDK says of any unknown name
  if (Object.hasOwn(Object.prototype, name)) return `Tool ${name} not found`;
  const args = field('arguments');
  if (args !== undefined && ownFields(args) === undefined) return `Invalid params: a tool's arguments are an object of named values, got ${kindOf(args)}`;
  return undefined;
}

function kindOf(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'an array' : value === undefined ? 'nothing' : `a ${typeof value}`;
}
