/**
 * What stands between an MCP session's input and the SDK's stdio transport: the SDK reads one
 * JSON-RPC message a line and drops a line it cannot read (reporting it through `onerror`) without
 * an answer, so a client that sent a request with, say, `"params": "x"` would wait for its answer
 * forever. This guard reads the same lines first and answers those itself, as JSON-RPC 2.0 says:
 * a line that is not JSON gets a Parse error (-32700, id null), a request with an id that is not a
 * valid message an Invalid Request (-32600) with that id. Every other line, notifications that
 * cannot be read among them (never answered), goes on to the SDK unchanged, so its own reports and
 * its size limit still apply; past that limit, so does everything after it.
 */
import { Transform, type Readable, type TransformCallback, type Writable } from 'node:stream';
import { JSONRPCMessageSchema } from '@modelcontextprotocol/sdk/types.js';
import { STDIO_DEFAULT_MAX_BUFFER_SIZE } from '@modelcontextprotocol/sdk/shared/stdio.js';
import { ownFields, type OwnFields } from '../engine/own-fields';

/** A JSON-RPC error answer, written as it is to the session's output (its `id` may be null, which the SDK's types do not allow). */
export interface GuardAnswer {
  jsonrpc: '2.0';
  id: string | number | null;
  error: { code: number; message: string };
}

const PARSE_ERROR = -32700;
const INVALID_REQUEST = -32600;
const NEWLINE = 0x0a;

/**
 * `input` as the SDK's transport should read it: the lines answered by `answer` are left out.
 * `answer` may return a promise (the session's output is full: it settles once that has drained):
 * nothing more of the input is read until it settles, so that a client that sends line after line
 * the guard answers, and reads none of the answers, is not answered into memory without end.
 * `maxLine`: the SDK's read limit, in bytes, its newline included (a longer line is not looked at, and the rest goes on unread).
 */
export function guardedInput(input: Readable, answer: (message: GuardAnswer | GuardAnswer[]) => void | Promise<void>, maxLine = STDIO_DEFAULT_MAX_BUFFER_SIZE): Readable {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let passThrough = false;
  /** Reads `chunk` from `from`, its lines in order; waits where an answer is still being written. */
  async function read(guard: Transform, chunk: Buffer, from: number): Promise<void> {
    let start = from;
    for (let end = chunk.indexOf(NEWLINE, start); end !== -1; end = chunk.indexOf(NEWLINE, start)) {
      const piece = chunk.subarray(start, end + 1);
      const line = pending.length > 0 ? Buffer.concat([...pending, piece]) : piece;
      pending = [];
      pendingBytes = 0;
      start = end + 1;
      if (line.length > maxLine) {
        // the SDK refuses this line (and closes): it and all after it are handed on as they came
        passThrough = true;
        guard.push(line);
        if (start < chunk.length) guard.push(chunk.subarray(start));
        return;
      }
      const refused = refusal(line.toString('utf8', 0, line.length - 1).replace(/\r$/, ''));
      if (!refused) {
        guard.push(line);
        continue;
      }
      const written = answer(refused);
      if (written) await written;
    }
    if (start < chunk.length) {
      const rest = chunk.subarray(start);
      pending.push(rest);
      pendingBytes += rest.length;
      if (pendingBytes > maxLine) {
        // the SDK refuses this line (and closes); it is handed on as it came
        passThrough = true;
        guard.push(Buffer.concat(pending));
        pending = [];
      }
    }
  }
  const guard = new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback) {
      if (passThrough) return done(null, chunk);
      // the next chunk is not given to the guard before `done`: the lines stay in order
      read(this, chunk, 0).then(
        () => done(),
        (error: Error) => done(error),
      );
    },
    flush(done: TransformCallback) {
      // a last line without its newline: the SDK never reads it either
      if (pending.length > 0) this.push(Buffer.concat(pending));
      done();
    },
  });
  // The input's failure reaches whoever reads the guard (the SDK's transport reports it). The
  // session may close on the same failure before the guard emits it (a socket's 'error' ends an
  // agent session), and an 'error' nobody listens to would end the whole engine process.
  input.on('error', (error) => guard.destroy(error));
  guard.on('error', () => {});
  return input.pipe(guard);
}

/**
 * The guard's `answer` for a session whose output is `output`: writes each answer as a line, and
 * when `output` is full returns a promise that settles once it has drained, or has closed or failed
 * (an output that is gone is not waited for).
 */
export function answerInto(output: Writable): (message: GuardAnswer | GuardAnswer[]) => void | Promise<void> {
  return (message) => {
    if (output.write(`${JSON.stringify(message)}\n`) || output.destroyed || output.writableEnded) return;
    return new Promise<void>((resolve) => {
      const settle = () => {
        output.off('drain', settle);
        output.off('close', settle);
        output.off('error', settle);
        resolve();
      };
      output.on('drain', settle);
      output.on('close', settle);
      output.on('error', settle);
    });
  };
}

/**
 * The answer the SDK would never give to `line`, or undefined when the line is the SDK's to read (or
 * to drop unanswered). A batch (a JSON array, which the SDK drops without a word) is answered as
 * JSON-RPC 2.0 answers one: an array with an Invalid Request for each request in it that has an id
 * to answer and, with id null, for each element that is no object (nothing when it holds only
 * notifications and answers), or one Invalid Request with id null when it is empty.
 */
export function refusal(line: string): GuardAnswer | GuardAnswer[] | undefined {
  if (line.trim() === '') return undefined;
  let message: unknown;
  try {
    message = JSON.parse(line);
  } catch (error) {
    return { jsonrpc: '2.0', id: null, error: { code: PARSE_ERROR, message: `Parse error: ${(error as Error).message}` } };
  }
  if (Array.isArray(message)) {
    if (message.length === 0) return { jsonrpc: '2.0', id: null, error: { code: INVALID_REQUEST, message: 'Invalid Request: an empty batch' } };
    const answers: GuardAnswer[] = [];
    for (const element of message as unknown[]) {
      const id = requestId(element);
      if (id !== undefined) answers.push({ jsonrpc: '2.0', id, error: { code: INVALID_REQUEST, message: BATCH_REFUSED } });
      // not a message at all (a number, a string, null, an array): as JSON-RPC 2.0 answers one in a batch
      else if (ownFields(element) === undefined) answers.push({ jsonrpc: '2.0', id: null, error: { code: INVALID_REQUEST, message: 'Invalid Request: a batch holds messages, which are objects' } });
    }
    return answers.length ? answers : undefined;
  }
  if (JSONRPCMessageSchema.safeParse(message).success) return undefined;
  // no id to answer (a notification, or no request at all), or an answer from the client (no method, a
  // result or an error), whose id is one of the server's own: never answered
  const id = requestId(message);
  if (id === undefined) return undefined;
  return { jsonrpc: '2.0', id, error: { code: INVALID_REQUEST, message: `Invalid Request: ${whatIsWrong(ownFields(message)!)}` } };
}

const BATCH_REFUSED = 'Invalid Request: batches are not read; send each request on a line of its own';

/** The id of a request to answer: a string or finite number, on a message that is not an answer from the client; undefined otherwise. */
function requestId(message: unknown): string | number | undefined {
  const field = ownFields(message);
  const id = field?.('id');
  if (field === undefined || (typeof id !== 'string' && !(typeof id === 'number' && Number.isFinite(id)))) return undefined;
  if (field('method') === undefined && (field('result') !== undefined || field('error') !== undefined)) return undefined;
  return id;
}

/** In words, what keeps a message with an id from being a JSON-RPC request or answer. */
function whatIsWrong(field: OwnFields): string {
  if (field('jsonrpc') !== '2.0') return 'a message must say "jsonrpc": "2.0"';
  const method = field('method');
  const params = field('params');
  if (method === undefined) return 'a request names its "method"';
  if (typeof method !== 'string') return 'a request\'s "method" is a string';
  if (params !== undefined && (typeof params !== 'object' || params === null || Array.isArray(params))) return 'a request\'s "params" are an object';
  return 'it is not a request, an answer or a notification';
}
