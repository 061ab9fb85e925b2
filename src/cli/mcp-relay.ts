/**
 * `codescout mcp --attach SOCKET`: a relay to the MCP endpoint of the engine process the VS Code
 * extension runs (src/server/agent-endpoint.ts). stdin goes to the socket and the socket to
 * stdout, so that an MCP client in VS Code uses the index the editor already has instead of
 * building a second one. The extension registers this command as its MCP server definition.
 */
import { connect, type Socket } from 'node:net';
import { errnoInWords, EXIT_FAILURE, oneLine } from './errors';

const log = (message: string) => void process.stderr.write(oneLine(message) + '\n');

/**
 * Pipes stdin to the engine's socket and the socket to stdout. Ends with 0 when either side
 * ends; 1 with one line on stderr when nothing listens at `path`.
 */
export function relay(path: string): Promise<number> {
  return new Promise((resolve) => {
    const socket: Socket = connect(path);
    let connected = false;
    const done = (code: number) => {
      process.stdin.unpipe(socket);
      process.stdin.destroy();
      socket.destroy();
      resolve(code);
    };
    socket.once('connect', () => {
      connected = true;
      process.stdin.pipe(socket);
      socket.pipe(process.stdout);
      // the client closed our stdin: the socket is ended (pipe does it), and the engine closes its side
      process.stdin.once('end', () => socket.once('close', () => done(0)));
    });
    socket.once('end', () => {
      if (connected) socket.unpipe(process.stdout);
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
