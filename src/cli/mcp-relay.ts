/**
 * `codescout mcp --attach SOCKET`: a relay to the MCP endpoint of the engine process the VS Code
 * extension runs (src/server/agent-endpoint.ts). stdin goes to the socket and the socket to
 * stdout, line by line, so that an MCP client in VS Code uses the index the editor already has
 * instead of building a second one. The extension registers this command as its MCP server
 * definition.
 *
 * The session outlives the engine process: the extension replaces it after a large index
 * (server/restart-after-indexing.ts) and restarts it after a crash, on the same socket. When the
 * connection is lost while the client is still there, the relay answers the requests the client
 * waits for with an error (relay-session.ts), connects again, sends the client's `initialize` and
 * `notifications/initialized` again (holding the new answer back), and sends what the client
 * wrote meanwhile. It leaves with 0 when the engine said it is ending for good (agent-relay.ts) or
 * the socket's private folder is gone (the extension removes it when it deactivates), and with 1
 * when nothing listens again within {@link RELAY_RECONNECT_MS}.
 */
import { existsSync, statSync, type Stats } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { dirname } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import type { Readable, Writable } from 'node:stream';
import { errnoInWords, EXIT_FAILURE, oneLine } from './errors';
import { lineText, RelaySession } from './relay-session';

/**
 * How long the relay waits, once the client has ended its input, for the engine to end the
 * session: the engine answers the requests it read before the end first (a search, a status),
 * which takes seconds at most. An engine that never ends it (stuck) must not keep the relay alive.
 */
export const RELAY_END_WAIT_MS = 30_000;
/**
 * How long the relay tries to connect again after losing the engine: a replaced process answers
 * what it has (up to 10 s), saves and exits before the new one starts; a crashed one is restarted
 * after 0.5–10 s for its first four crashes in a row (extension/restart-policy.ts).
 */
export const RELAY_RECONNECT_MS = 60_000;
/** The pause between two tries to connect again. */
export const RELAY_RETRY_MS = 200;
/**
 * How long a new connection's engine may take to answer the replayed `initialize`; one that does
 * not is dropped, and the relay tries again (within {@link RELAY_RECONNECT_MS}).
 */
export const RELAY_REPLAY_WAIT_MS = 10_000;
/**
 * The longest line from the client that the relay reads whole to know what it is. A longer one is
 * passed on as it comes, untracked: the engine ends a session sent a message over 10 MB anyway.
 * The engine's lines are always read whole (its answers are the relay's own process's, bounded by
 * the tools), so that the client is never left half a line when a connection is lost.
 */
export const RELAY_MAX_LINE_CHARS = 16 * 1024 * 1024;

export interface RelayOptions {
  /** see {@link RELAY_END_WAIT_MS}, the default */
  endWaitMs?: number;
  /** see {@link RELAY_RECONNECT_MS}, the default */
  reconnectMs?: number;
  /** see {@link RELAY_RETRY_MS}, the default */
  retryMs?: number;
  /** see {@link RELAY_REPLAY_WAIT_MS}, the default */
  replayWaitMs?: number;
  /**
   * when nothing listens at the socket at first (no such socket, or refused) and its folder is
   * there, wait for the engine within `reconnectMs`, as after a lost connection, rather than fail
   * at once (`codescout mcp --attach SOCKET --wait`; the extension passes it, since its engine may
   * be between two processes when VS Code starts the relay). Default false
   */
  waitAtFirst?: boolean;
  /** see {@link RELAY_MAX_LINE_CHARS}, the default */
  maxLineChars?: number;
  /** the client's side: process.stdin and process.stdout by default */
  input?: Readable;
  output?: Writable;
  /** where the relay's lines go: stderr by default */
  log?: (line: string) => void;
}

/**
 * Relays stdin to the engine's socket and the socket to stdout. Ends with 0 when the client ends
 * its input and the engine has ended the session, or when the engine ends for good; 1 with one
 * line on stderr when nothing listens at `path` at first (with `waitAtFirst`, within
 * {@link RELAY_RECONNECT_MS} of the start), when nothing listens again within
 * {@link RELAY_RECONNECT_MS} of losing it, when the new engine refuses the session, or when the
 * engine has not ended the session {@link RELAY_END_WAIT_MS} after stdin ended.
 */
export function relay(path: string, options: RelayOptions = {}): Promise<number> {
  const input = options.input ?? process.stdin;
  const output = options.output ?? process.stdout;
  const log = options.log ?? ((message: string) => void process.stderr.write(oneLine(message) + '\n'));
  const endWaitMs = options.endWaitMs ?? RELAY_END_WAIT_MS;
  const reconnectMs = options.reconnectMs ?? RELAY_RECONNECT_MS;
  const retryMs = options.retryMs ?? RELAY_RETRY_MS;
  const maxLineChars = options.maxLineChars ?? RELAY_MAX_LINE_CHARS;
  const replayWaitMs = options.replayWaitMs ?? RELAY_REPLAY_WAIT_MS;
  const waitAtFirst = options.waitAtFirst ?? false;

  return new Promise((resolve) => {
    const session = new RelaySession();
    const fromClient = new LineSplitter(maxLineChars);
    /** the connection whose session is open, or being opened again (replaying) */
    let socket: Socket | undefined;
    /** 'ending': the engine has said it is closing the session, so nothing more is written to it */
    let phase: 'connecting' | 'replaying' | 'open' | 'ending' | 'lost' = 'connecting';
    /** what the client wrote while no session was open, for the next one */
    let queue: string[] = [];
    let inputEnded = false;
    let finished = false;
    let ending: ReturnType<typeof setTimeout> | undefined;
    let retry: ReturnType<typeof setTimeout> | undefined;
    let replayWait: ReturnType<typeof setTimeout> | undefined;
    /** when the last open session was lost (a connection lost while its session was being opened again does not restart the clock) */
    let lostAt = 0;
    /** a write returned false: the other side is paused until it drains (one listener at a time) */
    let clientFull = false;
    let engineFull = false;
    /** whether a connection has been made (the first one may be waited for: waitAtFirst) */
    let connectedOnce = false;

    const finish = (code: number) => {
      if (finished) return;
      finished = true;
      clearTimeout(ending);
      clearTimeout(retry);
      clearTimeout(replayWait);
      input.destroy();
      socket?.destroy();
      resolve(code);
    };
    const toClient = (text: string) => {
      if (output.write(text) || clientFull || !socket) return;
      clientFull = true;
      const paused = socket.pause();
      output.once('drain', () => {
        clientFull = false;
        paused.resume();
      });
    };
    const toEngine = (text: string) => {
      if (phase !== 'open' || !socket) return void queue.push(text);
      if (socket.write(text) || engineFull) return;
      engineFull = true;
      input.pause();
      socket.once('drain', () => {
        engineFull = false;
        input.resume();
      });
    };
    /**
     * Answers what the client waits for, in words. `keep`: what the client wrote that was never
     * sent still waits, for the next connection; else it is forgotten too.
     */
    const answerWaiting = (why: string, keep = false) => {
      if (!keep) queue = [];
      for (const answer of session.lost(why, queue)) toClient(answer + '\n');
    };

    input.on('data', (chunk: Buffer | string) => {
      for (const piece of fromClient.push(chunk)) {
        if (piece.whole) session.fromClient(lineText(piece.text));
        toEngine(piece.text);
      }
    });
    input.once('end', () => {
      inputEnded = true;
      const rest = fromClient.end();
      if (rest.text) {
        if (rest.whole) session.fromClient(rest.text);
        toEngine(rest.text);
      }
      // an engine that said it is ending reads no more: the wait is for it to close, and what it
      // then does (a new process: the session opens again there, sends what waits and ends)
      if (phase === 'open' || phase === 'ending') endSession();
      // nothing waits for an answer: no session needs opening again to end it
      else if (session.waitingCount === 0) finish(0);
      // else once a session is open again, what the client wrote is sent and the session ended (open())
    });
    /**
     * The client has ended its input: its side of the socket ends, and the engine closes its own once
     * it has answered what it was asked, within {@link RELAY_END_WAIT_MS}; what waits is answered
     * then, and the relay leaves with 1.
     */
    const endSession = () => {
      socket?.end();
      clearTimeout(ending);
      ending = setTimeout(() => {
        answerWaiting('the Code Scout engine did not end the session');
        log(`the Code Scout engine at ${path} did not end the session within ${seconds(endWaitMs)} s of the end of input; leaving`);
        finish(EXIT_FAILURE);
      }, endWaitMs);
    };

    const attach = (s: Socket) => {
      socket = s;
      connectedOnce = true;
      const fromEngine = new LineSplitter(Infinity);
      /** the engine's notice that it is ending (agent-relay.ts): whether to connect again */
      let reconnect: boolean | undefined;
      s.on('data', (chunk: Buffer) => {
        for (const piece of fromEngine.push(chunk)) {
          const line = session.fromEngine(lineText(piece.text));
          if (line.ending) {
            reconnect = line.ending.reconnect;
            // it reads no more: what the client writes now waits for the next connection
            if (phase === 'open') phase = 'ending';
          }
          if (line.replayed?.ok === false) {
            log(`the restarted Code Scout engine at ${path} refused the session: ${line.replayed.error}`);
            answerWaiting('the restarted Code Scout engine refused the session');
            return finish(EXIT_FAILURE);
          }
          if (line.replayed?.ok) {
            clearTimeout(replayWait);
            const initialized = session.replayInitialized();
            if (initialized) s.write(initialized + '\n');
            open();
          }
          if (line.forward) toClient(piece.text);
        }
      });
      s.on('error', () => undefined); // 'close' follows, and says what to do
      s.once('close', () => {
        if (finished || s !== socket) return;
        socket = undefined;
        clearTimeout(replayWait);
        const wasOpen = phase === 'open' || phase === 'ending';
        if (engineFull) {
          // it waited for this socket to drain
          engineFull = false;
          input.resume();
        }
        if (inputEnded && wasOpen && reconnect !== true) {
          // the engine ended the session the client ended, having answered (else it went away first)
          answerWaiting('the Code Scout engine ended before answering');
          return finish(0);
        }
        // a new process follows: the wait for the session's end starts again once it is open there (open())
        clearTimeout(ending);
        const gone = reconnect === false || socketFolderGone(path);
        if (gone) {
          answerWaiting('the Code Scout engine ended the session');
          return finish(0);
        }
        answerWaiting('the Code Scout engine restarted before answering; ask again', true);
        // the client has left and waits for nothing: no session needs opening again
        if (inputEnded && session.waitingCount === 0) return finish(0);
        if (wasOpen) lostAt = Date.now();
        else if (Date.now() - lostAt >= reconnectMs) return giveUp(); // lost again while being opened again, for too long
        log(`the connection to the Code Scout engine at ${path} was lost; connecting again`);
        phase = 'lost';
        retry = setTimeout(tryAgain, retryMs);
      });
    };
    const giveUp = () => {
      log(
        connectedOnce
          ? `the Code Scout engine at ${path} did not come back within ${seconds(reconnectMs)} s; leaving`
          : `no Code Scout engine listened at ${path} within ${seconds(reconnectMs)} s; leaving`,
      );
      answerWaiting(connectedOnce ? 'the Code Scout engine did not come back' : 'no Code Scout engine listened at its socket');
      finish(EXIT_FAILURE);
    };
    const open = () => {
      phase = 'open';
      const waiting = queue;
      queue = [];
      for (const text of waiting) toEngine(text);
      if (inputEnded) endSession();
    };
    const tryAgain = () => {
      if (finished) return;
      const s = connect(path);
      s.once('connect', () => {
        if (finished) return void s.destroy();
        log(`connected ${connectedOnce ? 'again ' : ''}to the Code Scout engine at ${path}`);
        attach(s);
        const first = session.replay();
        if (first === undefined) return open();
        phase = 'replaying';
        s.write(first + '\n');
        replayWait = setTimeout(() => {
          log(`the Code Scout engine at ${path} did not answer the session's initialize within ${seconds(replayWaitMs)} s`);
          s.destroy(); // its 'close' treats it as lost
        }, replayWaitMs);
      });
      s.once('error', () => {
        s.destroy();
        if (finished || socket === s) return; // a connected socket's failure is its 'close'
        if (socketFolderGone(path)) {
          answerWaiting('the Code Scout engine has ended');
          return finish(0);
        }
        if (Date.now() - lostAt >= reconnectMs) return giveUp();
        retry = setTimeout(tryAgain, retryMs);
      });
    };

    const first = connect(path);
    first.once('connect', () => {
      attach(first);
      open();
    });
    first.once('error', (err: NodeJS.ErrnoException) => {
      if (socket === first) return; // connected: its 'close' says what to do
      const notSocket = notASocket(path);
      if (notSocket !== undefined) {
        // Linux answers a connect to a file or a folder with ECONNREFUSED: no engine will ever listen there
        log(`cannot reach the Code Scout engine at ${path}: ${notSocket}, not a socket; give the socket the extension made (see docs/mcp.md)`);
        return finish(EXIT_FAILURE);
      }
      if (waitAtFirst && (err.code === 'ENOENT' || err.code === 'ECONNREFUSED') && !socketFolderGone(path)) {
        // the engine may be between two processes: wait for it as after a lost connection
        log(`nothing listens at ${path} yet (${err.code}); waiting up to ${seconds(reconnectMs)} s for the Code Scout engine`);
        phase = 'lost';
        lostAt = Date.now();
        retry = setTimeout(tryAgain, retryMs);
        return;
      }
      log(`cannot reach the Code Scout engine at ${path}: ${unreachable(err)}`);
      finish(EXIT_FAILURE);
    });
  });
}

/** What is at `path` when it is something other than a socket (a file, a folder, …); undefined for a socket, nothing, or a Windows pipe. */
function notASocket(path: string): string | undefined {
  if (path.startsWith('\\\\')) return undefined;
  let stats: Stats;
  try {
    stats = statSync(path);
  } catch {
    return undefined;
  }
  if (stats.isSocket()) return undefined;
  return stats.isDirectory() ? 'it is a folder' : stats.isFile() ? 'it is a file' : stats.isFIFO() ? 'it is a named pipe' : 'it is a device';
}

/**
 * Whether the private folder the extension made for the socket is gone: it removes it when it
 * deactivates, after its engine has ended, so no engine will listen there again. A Windows pipe
 * has no folder.
 */
function socketFolderGone(path: string): boolean {
  return !path.startsWith('\\\\') && !existsSync(dirname(path));
}

function seconds(ms: number): number {
  return Number((ms / 1000).toFixed(1));
}

/** A piece of a stream: a whole line with its line break (`whole`), or a piece of a line too long to read whole, to pass on as it is. */
export interface LinePiece {
  text: string;
  whole: boolean;
}

/**
 * Cuts a stream of UTF-8 into lines at LF, keeping each line's break. A line longer than
 * `maxChars` is given in pieces as it comes (`whole` false), up to and including its break. Each
 * chunk is searched once: a long line's parts are joined only when its break comes.
 */
export class LineSplitter {
  private readonly decoder = new StringDecoder('utf8');
  /** the parts of the line not ended yet, and their length */
  private parts: string[] = [];
  private held = 0;
  /** inside a line too long to read whole */
  private passing = false;

  constructor(private readonly maxChars: number) {}

  push(chunk: Buffer | string): LinePiece[] {
    const text = typeof chunk === 'string' ? chunk : this.decoder.write(chunk);
    const pieces: LinePiece[] = [];
    let start = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
      this.parts.push(text.slice(start, nl + 1));
      pieces.push({ text: this.take(), whole: !this.passing });
      this.passing = false;
      start = nl + 1;
    }
    if (start < text.length) {
      this.parts.push(text.slice(start));
      this.held += text.length - start;
      if (this.passing || this.held > this.maxChars) {
        this.passing = true;
        pieces.push({ text: this.take(), whole: false });
      }
    }
    return pieces;
  }

  /** What is left at the end of the stream: a last line without its break (its text '' when none). */
  end(): LinePiece {
    this.parts.push(this.decoder.end());
    return { text: this.take(), whole: !this.passing };
  }

  private take(): string {
    const text = this.parts.length === 1 ? this.parts[0] : this.parts.join('');
    this.parts = [];
    this.held = 0;
    return text;
  }
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
