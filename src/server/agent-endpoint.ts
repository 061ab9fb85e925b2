/**
 * The engine process as an MCP endpoint, so that coding agents inside VS Code use the index the
 * editor already has, never a second one. Started by `--agent-socket <path>` (server/main.ts);
 * each connection to the socket is one MCP session (createMcpServer over the SDK's
 * StdioServerTransport on the socket's two directions). `codescout mcp --attach <path>`
 * (src/cli/mcp.ts) relays a stdio MCP client to it.
 *
 * Contract with the extension, which chooses the path:
 * - On POSIX `path` is a Unix socket in a folder the extension created for it with mode 0700
 *   (owned by the user), so that no other user can connect: the socket itself carries no
 *   authentication. On Windows it is a named pipe (`\\.\pipe\…`) whose name the extension makes
 *   unguessable. This module accepts any path and does not check the folder.
 * - A socket file left at `path` by a process that has died is replaced; one that a live process
 *   still listens on is not (listening fails with a clear error). Anything else at `path` (a
 *   regular file, a folder) is never removed.
 * - The endpoint closes, removing its socket file, when the engine process shuts down.
 * - A connection that breaks or sends garbage ends that session only, never the process.
 */
import { chmod, lstat, unlink } from 'node:fs/promises';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { answerInto, guardedInput } from '../agent/request-guard';
import type { AgentBackend } from '../agent/backend';
import { createMcpServer } from '../agent/mcp-server';
import { SessionTransport } from '../agent/session-transport';
import { engineEndingLine } from '../protocol/agent-relay';

export interface AgentEndpoint {
  /** where it listens */
  readonly path: string;
  /** MCP sessions whose connection is open now (one that has ended may still be writing its last answers) */
  readonly sessions: number;
  /** requests of the open sessions not answered yet */
  readonly unanswered: number;
  /**
   * Stops listening, ends every session and removes the socket file. Each session is told first
   * whether a new engine process will serve the same socket (`reconnect`; agent-relay.ts), so
   * that `codescout mcp --attach` connects again or leaves. With `reconnect`, the requests the
   * sessions are answering get up to {@link AgentEndpointOptions.restartAnswerWaitMs} to be
   * answered first (what is not answered by then the relay answers with an error).
   */
  close(options?: { reconnect?: boolean }): Promise<void>;
}

export interface AgentEndpointOptions {
  /** the server version MCP clients are told */
  version: string;
  log(message: string): void;
  /** a session ended (after it left the count of open sessions), or answered the last request it had */
  sessionIdle?(): void;
  /** see {@link RESTART_ANSWER_WAIT_MS}, the default */
  restartAnswerWaitMs?: number;
  /** see {@link NOTICE_WAIT_MS}, the default */
  noticeWaitMs?: number;
}

/** How long a session whose client ended its side waits for its last answers to be read before it lets go. */
const ANSWERS_FLUSH_MS = 30_000;
/**
 * How long a session ended with the engine's last line (agent-relay.ts) waits for its peer to
 * close its side, and how long closing the endpoint waits for every connection, before they are cut.
 */
export const NOTICE_WAIT_MS = 1_000;
/**
 * How long closing for a new process waits for the sessions' unanswered requests: a search or
 * related code takes milliseconds; the extension kills an engine whose Shutdown takes over 3 s
 * (engine-client.ts), and the indexes are closed after this.
 */
export const RESTART_ANSWER_WAIT_MS = 1_000;

/** Listens at `path` and serves each connection as one MCP session over `backend`. */
export async function listenForAgents(path: string, backend: AgentBackend, options: AgentEndpointOptions): Promise<AgentEndpoint> {
  const noticeWaitMs = options.noticeWaitMs ?? NOTICE_WAIT_MS;
  /** each live session's way to end it with the engine's last line */
  const sessions = new Map<Socket, (notice: string) => void>();
  const transports = new Map<Socket, SessionTransport>();
  /** sockets not yet closed: a session that has ended may still be writing its last answers */
  const open = new Set<Socket>();
  // half-open: a client that ends its side after its last request still gets the answers
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    const mcp = createMcpServer(backend, { version: options.version });
    open.add(socket);
    socket.once('close', () => {
      open.delete(socket);
      transports.delete(socket);
      options.sessionIdle?.();
    });
    // a request the SDK cannot read is answered with its JSON-RPC error here, not left unanswered
    const input = guardedInput(socket, answerInto(socket));
    const transport = new SessionTransport(new StdioServerTransport(input, socket));
    transports.set(socket, transport);
    transport.onanswered = () => options.sessionIdle?.();
    // a message that is not JSON-RPC: the SDK reports it here; the session goes on
    transport.onerror = (err) => options.log(`agent session: ${err.message}`);
    let ended = false;
    /**
     * Ends the session. `flush`: its answers are written, and the socket ends once they are out
     * (destroy() would drop what it still buffers for a client that reads slowly), after
     * `notice`, the engine's last line, if given; a peer that has not closed its side
     * `waitMs` later is cut off.
     */
    const end = (flush = false, notice = '', waitMs = ANSWERS_FLUSH_MS) => {
      if (ended) return;
      ended = true;
      sessions.delete(socket);
      input.destroy(); // lines it still holds are answered by nobody now
      mcp.close().catch(() => undefined);
      if (!flush) return void socket.destroy();
      socket.end(notice);
      setTimeout(() => socket.destroy(), waitMs).unref();
    };
    sessions.set(socket, (notice) => end(true, notice, noticeWaitMs));
    // a message over the SDK's limit: the transport reads no more, so the session ends here, for
    // good (a relay that opened it again would be sent the same message again)
    transport.onbroken = () => {
      options.log('an agent session ended: its connection is no longer read');
      end(true, engineEndingLine(false), noticeWaitMs);
    };
    socket.on('error', (err) => {
      options.log(`an agent connection failed: ${err.message}`);
      end();
    });
    // the client ended its side: what it asked before is answered, then the session ends
    // (the guarded input's end: it comes after every line of the socket has reached the transport)
    input.on('end', () => void transport.answered().then(() => end(true)));
    socket.on('close', () => end());
    mcp.connect(transport).catch((err: Error) => {
      options.log(`cannot start an agent session: ${err.message}`);
      end();
    });
  });
  await listen(server, path);
  // only the user may connect (the folder's mode 0700 already ensures it; this is in case it is not)
  if (process.platform !== 'win32') await chmod(path, 0o600).catch(() => undefined);
  server.on('error', (err) => options.log(`the agent endpoint at ${path} failed: ${err.message}`));
  let closing: Promise<void> | undefined;
  return {
    path,
    get sessions() {
      return open.size;
    },
    get unanswered() {
      let n = 0;
      for (const transport of transports.values()) n += transport.unansweredCount;
      return n;
    },
    close: ({ reconnect = false } = {}) =>
      (closing ??= (async () => {
        if (reconnect) await answeredWithin([...transports.values()], options.restartAnswerWaitMs ?? RESTART_ANSWER_WAIT_MS);
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        // the notice, then the end; a peer that does not close its side within a moment is cut off
        for (const endWith of [...sessions.values()]) endWith(engineEndingLine(reconnect));
        // a session still writing its last answers to a slow reader is cut too: the indexes close after this
        if ((await Promise.race([stopped.then(() => 'stopped'), delay(noticeWaitMs)])) !== 'stopped') for (const socket of open) socket.destroy();
        await stopped;
        // Node removes a Unix socket's file when its server closes; this is in case it did not
        if (process.platform !== 'win32') await removeSocketFile(path);
      })()),
  };
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves once every transport has answered what it was asked, or after `ms`. */
async function answeredWithin(transports: SessionTransport[], ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
  await Promise.race([Promise.all(transports.map((t) => t.answered())), late]);
  clearTimeout(timer);
}

/** Listens at `path`, replacing a stale socket file that no live process listens on. */
async function listen(server: Server, path: string): Promise<void> {
  try {
    await tryListen(server, path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || process.platform === 'win32') throw listenError(path, err);
    if (await someoneListens(path)) throw new Error(`cannot serve agents at ${path}: another process is listening there`);
    if (!(await removeSocketFile(path))) throw new Error(`cannot serve agents at ${path}: something other than a socket is there`);
    try {
      await tryListen(server, path);
    } catch (again) {
      throw listenError(path, again);
    }
  }
}

function tryListen(server: Server, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.once('error', onError);
    server.listen(path, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

function listenError(path: string, err: unknown): Error {
  const e = err as NodeJS.ErrnoException;
  return new Error(`cannot serve agents at ${path}: ${e.message}`, { cause: err });
}

/** Whether a process accepts connections at `path`. */
function someoneListens(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = connect(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
}

/** Removes `path` when it is a socket; false when something else is there. */
async function removeSocketFile(path: string): Promise<boolean> {
  try {
    if (!(await lstat(path)).isSocket()) return false;
    await unlink(path);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT';
  }
}
