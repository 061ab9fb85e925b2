/**
 * What `codescout mcp --attach` (mcp-relay.ts) must know of the MCP session it relays so that
 * the session outlives the engine process behind the socket: the extension replaces that process
 * after a large index (RestartWanted) and restarts it after a crash, each time on the same socket.
 *
 * - The client's `initialize` request and `notifications/initialized`: a new connection is a new
 *   session for the engine, so the relay sends them again, and holds the new answer to
 *   `initialize` back (the client had its answer).
 * - The requests sent and not answered yet: when the connection is lost, each gets an error
 *   answer ({@link RELAY_LOST_CODE}), so that no client waits for an answer that cannot come.
 *   Tools are read-only, so asking again is safe; the relay does not ask again by itself, since a
 *   request that made the engine crash would make the next one crash too.
 *
 * Lines that are not JSON are relayed as they are and not tracked (the engine answers them with a
 * parse error, id null); a line that is JSON but not a valid request, with an id, is tracked as a
 * request, since the engine answers it with that id. Ids are told apart by type: `1` and `"1"`
 * are different requests.
 */
import {
  ErrorCode,
  isJSONRPCNotification,
  isJSONRPCRequest,
  isJSONRPCResultResponse,
  type JSONRPCMessage,
} from '@modelcontextprotocol/sdk/types.js';
import { refusal } from '../agent/request-guard';
import { ownFields } from '../engine/own-fields';
import { ENGINE_ENDING } from '../protocol/agent-relay';

type Id = string | number;

/** The error code of an answer the relay gives for a request the lost connection left unanswered (the SDK's "connection closed"). */
export const RELAY_LOST_CODE = ErrorCode.ConnectionClosed;

/** What a line from the engine is, for the relay. */
export interface EngineLine {
  /** whether the client gets the line */
  forward: boolean;
  /** the engine's notice that it is closing the session (agent-relay.ts) */
  ending?: { reconnect: boolean };
  /** the answer to the replayed `initialize`: whether the engine accepted it, else its error in words */
  replayed?: { ok: true } | { ok: false; error: string };
}

export class RelaySession {
  /** the client's `initialize`, once answered with a result (what a new connection is sent first) */
  private initialize: { line: string; id: Id } | undefined;
  /** the client's `initialize`, sent and not answered yet */
  private initializing: { line: string; id: Id } | undefined;
  private initialized: string | undefined;
  /** the client's `notifications/initialized` as sent before the connection was last lost (one sent since is still on its way) */
  private initializedBefore: string | undefined;
  /** requests the client waits for, by id key, with how many of that id wait (a client may reuse one) */
  private readonly waiting = new Map<string, { id: Id; count: number }>();
  /** the id of the replayed `initialize` whose answer is held back */
  private replaying: Id | undefined;

  /** A line from the client, about to go to the engine (now, or on the next connection). */
  fromClient(line: string): void {
    const { messages, batch } = messagesIn(line);
    // a batch: the engine's SDK does not read it; its guard answers each request in it that has an id (request-guard.ts)
    if (batch) {
      const refused = refusal(line);
      if (Array.isArray(refused)) for (const answer of refused) if (answer.id !== null) this.waits(answer.id);
      return;
    }
    for (const message of messages) {
      if (isJSONRPCRequest(message)) {
        this.waits(message.id);
        if (message.method === 'initialize' && !this.initialize) this.initializing = { line: JSON.stringify(message), id: message.id };
      } else if (isJSONRPCNotification(message)) {
        if (message.method === 'notifications/initialized') this.initialized = JSON.stringify(message);
        else if (message.method === 'notifications/cancelled') {
          // a cancelled request is never answered
          const id = (message.params as { requestId?: unknown } | undefined)?.requestId;
          if (typeof id === 'string' || typeof id === 'number') this.answered(id);
        }
      } else {
        // Not a message the SDK reads. The engine's guard answers it by its id when it has one
        // (request-guard.ts): that answer is counted against this line, not against a valid
        // request the client may have sent with the same id, which still waits.
        const refused = refusal(line);
        if (refused && !Array.isArray(refused) && refused.id !== null) this.waits(refused.id);
      }
    }
  }

  /** A line from the engine. */
  fromEngine(line: string): EngineLine {
    const { messages } = messagesIn(line);
    if (messages.length !== 1) {
      // a batch (or not JSON): its answers are answers, nothing in it is the relay's
      for (const m of messages) {
        const id = answeredId(m);
        if (id !== undefined) this.answered(id);
      }
      return { forward: true };
    }
    const [message] = messages;
    if (isJSONRPCNotification(message) && message.method === ENGINE_ENDING) {
      const reconnect = (message.params as { reconnect?: unknown } | undefined)?.reconnect;
      return { forward: false, ending: { reconnect: reconnect === true } };
    }
    const result = isJSONRPCResultResponse(message);
    // the guard's answers (request-guard.ts) carry any finite number as the id, which the SDK's
    // answer schemas (safe integers) do not take: answers are told by their own fields
    const id = answeredId(message);
    if (id === undefined) return { forward: true };
    if (this.replaying !== undefined && idKey(id) === idKey(this.replaying)) {
      this.replaying = undefined;
      return { forward: false, replayed: result ? { ok: true } : { ok: false, error: errorText(message) } };
    }
    if (this.initializing && idKey(id) === idKey(this.initializing.id)) {
      if (result) this.initialize = this.initializing;
      this.initializing = undefined;
    }
    this.answered(id);
    return { forward: true };
  }

  /** How many requests the client waits for. */
  get waitingCount(): number {
    let n = 0;
    for (const { count } of this.waiting.values()) n += count;
    return n;
  }

  /**
   * The connection is lost: the answers (one line each, without its line break) the client gets
   * for every request it waits for, which are forgotten; `message` says why in words. The
   * requests in `kept`, lines the client wrote that were never sent, still wait: they go to the
   * next connection.
   */
  lost(message: string, kept: readonly string[] = []): string[] {
    const stillWaiting = new RelaySession();
    for (const line of kept) stillWaiting.fromClient(lineText(line));
    const answers: string[] = [];
    for (const [k, { id, count }] of this.waiting) {
      const answer = JSON.stringify({ jsonrpc: '2.0', id, error: { code: RELAY_LOST_CODE, message } });
      for (let i = stillWaiting.waiting.get(k)?.count ?? 0; i < count; i++) answers.push(answer);
    }
    this.waiting.clear();
    for (const [k, entry] of stillWaiting.waiting) {
      const sent = this.waiting.get(k);
      if (sent) sent.count += entry.count;
      else this.waiting.set(k, { ...entry });
    }
    // an initialize or initialized the client wrote meanwhile goes with what was kept, not in a replay
    this.initializing = stillWaiting.initializing;
    if (!stillWaiting.initialized) this.initializedBefore = this.initialized;
    this.replaying = undefined;
    return answers;
  }

  /**
   * The first line a new connection is sent (the client's answered `initialize`), whose answer
   * {@link fromEngine} then holds back; undefined when the client has not initialised a session.
   */
  replay(): string | undefined {
    if (!this.initialize) return undefined;
    this.replaying = this.initialize.id;
    return this.initialize.line;
  }

  /**
   * The line to send once the replayed `initialize` is answered: the client's
   * `notifications/initialized`, if it was sent before the connection was lost (one the client
   * wrote since is sent with what it wrote).
   */
  replayInitialized(): string | undefined {
    return this.initializedBefore;
  }

  private waits(id: Id): void {
    const k = idKey(id);
    const entry = this.waiting.get(k);
    if (entry) entry.count++;
    else this.waiting.set(k, { id, count: 1 });
  }

  private answered(id: Id): void {
    const k = idKey(id);
    const entry = this.waiting.get(k);
    if (!entry) return;
    if (entry.count > 1) entry.count--;
    else this.waiting.delete(k);
  }
}

/** The id a message answers: a string or finite number, with a result or an error and no method; undefined for anything else. */
function answeredId(message: unknown): Id | undefined {
  const field = ownFields(message);
  if (!field || field('method') !== undefined || (field('result') === undefined && field('error') === undefined)) return undefined;
  const id = field('id');
  return typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id)) ? id : undefined;
}

/** A line as the engine's guard reads it: without its line break (a `\n`, and a `\r` before it). */
export function lineText(text: string): string {
  return text.replace(/\n$/, '').replace(/\r$/, '');
}

function idKey(id: Id): string {
  return `${typeof id}:${id}`;
}

/** The JSON-RPC messages in a line: one, a batch's, or none (not JSON). */
function messagesIn(line: string): { messages: JSONRPCMessage[]; batch: boolean } {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { messages: [], batch: false };
  }
  return Array.isArray(value) ? { messages: value as JSONRPCMessage[], batch: true } : { messages: [value as JSONRPCMessage], batch: false };
}

function errorText(message: JSONRPCMessage): string {
  const error = (message as { error?: { message?: unknown } }).error;
  return typeof error?.message === 'string' ? error.message : 'an error';
}
