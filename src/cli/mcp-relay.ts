/**
 * `codescout mcp --attach SOCKET`: a relay to the MCP endpoint of the engine process the VS Code
 * extension runs (src/server/agent-endpoint.ts). stdin goes to the socket and the socket to
 * stdout, so that an MCP client in VS Code uses the index the editor already has instead of
 * building a second one. The extension registers this command as its MCP server definition.
 */
import { connect, type Socket } from 'node:net';
import type { Readable, Writable } from 'node:stream';
import { errnoInWords, EXIT_FAILURE, oneLine } from './errors';

/**
 * How long the relay waits, once the client has ended its input, for the engine to end the
 * session: the engine answers the requests it read before the end first (a search, a status),
 * which takes seconds at most. An engine that never ends it (stuck) must not keep the relay alive.
 */
export const RELAY_END_WAIT_MS = 30_000;

export interface RelayOptions {
  /** see {@link RELAY_END_WAIT_MS}, the default */
  endWaitMs?: number;
  /** the client's side: process.stdin and process.stdout by default */
  input?: Readable;
  output?: Writable;
  /** where the relay's one line goes: stderr by default */
  log?: (line: string) => void;
}

/**
 * Pipes stdin to the engine's socket and the socket to stdout. Ends with 0 when either side
 * ends; 1 with one line on stderr when nothing listens at `path`, when the connection fails,
 * or when the engine has not ended the session {@link RELAY_END_WAIT_MS} after stdin ended.
 */
export function relay(path: string, options: RelayOptions = {}): Promise<number> {
  const input = options.input ?? process.stdin;
  const output = options.output ?? process.stdout;
  const log = options.log ?? ((message: string) => void process.stderr.write(oneLine(message) + '\n'));
  const endWaitMs = options.endWaitMs ?? RELAY_END_WAIT_MS;
  return new Promise((resolve) => {
    const socket: Socket = connect(path);
    let connected = false;
    let ending: ReturnType<typeof setTimeout> | undefined;
    let finished = false;
    const done = (code: number) => {
      if (finished) return;
      finished = true;
      clearTimeout(ending);
      input.unpipe(socket);
      input.destroy();
      socket.destroy();
      resolve(code);
    };
    socket.once('connect', () => {
      connected = true;
      input.pipe(socket);
      socket.pipe(output);
      // the client closed our stdin: the socket is ended (pipe does it), and the engine closes its side
      input.once('end', () => {
        socket.once('close', () => done(0));
        ending = setTimeout(() => {
          log(`the Code Scout engine at ${path} did not end the session within ${Number((endWaitMs / 1000).toFixed(1))} s of the end of input; leaving`);
          done(EXIT_FAILURE);
        }, endWaitMs);
      });
    });
    socket.once('end', () => {
      if (connected) socket.unpipe(output);
      done(0);
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (connected) {
        log(`the connection to the Code Scout engine at ${path} failed: ${err.message}`);
        done(EXIT_FAILURE);
        return;
      }
      log(`cannot reach the Code Scout engine at ${path}: ${unreachable(err)}`);
      done(EXIT_FAILURE);
    });
  });
}

/** Why connecting failed, in words: what each connect failure means here, else the errno in words. */
function unreachable(err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case 'ENOENT':
      return 'no such socket (is VS Code with the Code Scout extension running on this folder?) (ENOENT)';
    case 'ECONNREFUSED':
      return 'nothing listens there (the engine process has ended) (ECONNREFUSED)';
    case 'ENOTSOCK':
      return 'it is not a socket (ENOTSOCK)';
    case undefined:
      return err.message;
    default:
      return `${errnoInWords(err.code) ?? err.message.replace(/^connect /, '')} (${err.code})`;
  }
}
