/**
 * The engine process, seen from the extension host: started on first use, spoken to over
 * JSON-RPC on its stdio, restarted with backoff when it dies. A crash shows the user one
 * message per streak of crashes, never one per failed request; after too many crashes in a
 * row it stays stopped until the user restarts it.
 *
 * An engine that asks for it (RestartWanted, after indexing left it holding memory only an exit
 * gives back: server/restart-after-indexing.ts) is replaced quietly: the requests it is answering
 * are answered, it saves and exits, and a new process starts; requests and notifications sent
 * meanwhile go to the new one.
 */
import { fork, type ChildProcess } from 'node:child_process';
import * as vscode from 'vscode';
import { ENGINE_EXEC_ARGV } from '../server/launch';
import {
  createMessageConnection,
  StreamMessageReader,
  StreamMessageWriter,
  type MessageConnection,
  type NotificationType,
  type RequestParam,
  type RequestType,
} from 'vscode-jsonrpc/node';
import { RestartWanted, Shutdown } from '../protocol/protocol';
import { StderrLines } from './log-channel';
import { RestartPolicy } from './restart-policy';
import type { EngineState } from './status-view';

/** The engine process did not answer because it is not running (restarting, or stopped after crashes). */
export class EngineUnavailableError extends Error {
  constructor(state: EngineState) {
    super(state === 'failed' ? 'the Code Scout engine has stopped; run "Code Scout: Restart Engine"' : 'the Code Scout engine is restarting');
  }
}

/** The command that restarts the engine (package.json), which shows what goes wrong. */
const RESTART_COMMAND = 'codescout.restartEngine';
/** How long a shutting-down engine may take to save its indexes before it is killed. */
const SHUTDOWN_GRACE_MS = 3000;
/** How many of the engine's last stderr lines an unexpected exit repeats at error, and how much of each. */
const STDERR_TAIL_LINES = 10;
const MAX_TAIL_LINE_CHARS = 500;
/** How long a replaced engine may take to answer the requests it has before it is asked to shut down. */
const REPLACE_DRAIN_MS = 10_000;

export class EngineClient implements vscode.Disposable {
  private child: ChildProcess | undefined;
  private connection: MessageConnection | undefined;
  private ready: Promise<MessageConnection> | undefined;
  private startedAt = 0;
  /** the running process's last stderr lines (STDERR_TAIL_LINES) */
  private stderrTail: string[] = [];
  private restartTimer: NodeJS.Timeout | undefined;
  /** see {@link restartingOnRequest} */
  private restartAsked = false;
  private disposed = false;
  /** a replaced process that is saving and exiting (dispose waits for it) */
  private stopping: Promise<void> | undefined;
  /** the requests each connection is answering (for a replacement, which lets them end first) */
  private readonly inFlight = new WeakMap<MessageConnection, Set<Promise<unknown>>>();
  /** notifications sent while the process is being replaced, for the new one */
  private queued: ((connection: MessageConnection) => void)[] | undefined;
  private readonly stateEmitter = new vscode.EventEmitter<EngineState>();
  /** fires when the engine process starts, restarts, dies or gives up */
  readonly onDidChangeState = this.stateEmitter.event;
  state: EngineState = 'stopped';
  /** how the engine process last ended unexpectedly */
  lastError: string | undefined;
  restarts = 0;
  /** processes replaced at the engine's request (RestartWanted) */
  replacements = 0;

  /**
   * @param serverModule the engine process's script (dist/server.js)
   * @param setUp registers notification handlers and configures the engine; runs for every
   *   new process before any other request is sent
   * @param args the process's command-line arguments, asked for before every start
   */
  constructor(
    private readonly serverModule: string,
    private readonly output: vscode.LogOutputChannel,
    private readonly setUp: (connection: MessageConnection) => Promise<void>,
    private readonly args: () => readonly string[] = () => [],
    /** when a crashed engine is started again, and when it is left stopped */
    private readonly policy: RestartPolicy = new RestartPolicy(),
  ) {}

  /**
   * A Restart Engine replaces the running process: until the new one runs, the folders' last
   * statuses are the old process's, so the views say "restarting" rather than show them. A quiet
   * replacement (the engine asked for it after indexing) is not this: its statuses stay true.
   */
  get restartingOnRequest(): boolean {
    return this.restartAsked && this.state === 'starting';
  }

  get pid(): number | undefined {
    return this.state === 'running' ? this.child?.pid : undefined;
  }

  get isRunning(): boolean {
    return this.state === 'running';
  }

  /** Starts the engine process unless it runs, is starting, or is waiting to restart. */
  start(): Promise<MessageConnection> {
    if (this.state === 'restarting' || this.state === 'failed') return Promise.reject(new EngineUnavailableError(this.state));
    if (!this.ready) {
      const ready = this.launch();
      this.ready = ready;
      ready.catch(() => {
        if (this.ready === ready) this.ready = undefined; // the next request tries again
      });
    }
    return this.ready;
  }

  async request<P, R>(type: RequestType<P, R, void>, params: RequestParam<P>): Promise<R> {
    const connection = await this.start();
    const requests = this.inFlight.get(connection);
    let sent: Promise<R> | undefined;
    try {
      sent = connection.sendRequest(type, params);
      requests?.add(sent);
      return await sent;
    } catch (err) {
      // the process died with the request in flight: say so, not "connection got disposed"
      if (connection !== this.connection) throw new EngineUnavailableError(this.state === 'failed' ? 'failed' : 'restarting');
      throw err;
    } finally {
      if (sent) requests?.delete(sent);
    }
  }

  /** Sends a notification if the engine runs, or keeps it for the process that replaces it; notifications never start it. */
  notify<P>(type: NotificationType<P>, params: RequestParam<P>): void {
    if (this.queued) this.queued.push((connection) => void connection.sendNotification(type, params));
    else if (this.state === 'running') void this.connection?.sendNotification(type, params);
  }

  /**
   * "Code Scout: Restart Engine": starts a stopped engine again, forgetting its crash streak; a
   * running one is replaced by a new process, as when it asks for it (it answers the requests it
   * has and saves first; requests sent meanwhile go to the new process). Before, a running engine
   * was left as it was, without a word.
   */
  restart(): Promise<MessageConnection> {
    clearTimeout(this.restartTimer);
    this.policy.reset();
    if (this.state === 'running' && this.child && this.connection) {
      this.restartAsked = true; // before the state changes: what the change shows reads it
      this.replace(this.child, this.connection, 'asked for (Code Scout: Restart Engine)');
      if (this.ready) return this.ready;
    }
    if (this.state === 'failed' || this.state === 'restarting') this.setState('stopped');
    return this.start();
  }

  /** Asks the engine to save and close its indexes, then ends it. */
  async dispose(): Promise<void> {
    this.disposed = true;
    clearTimeout(this.restartTimer);
    this.queued = undefined;
    const child = this.child;
    const connection = this.connection;
    await Promise.all([child && connection ? this.stop(child, connection) : undefined, this.stopping]);
  }

  /**
   * Replaces the running process, as it asked (RestartWanted): new requests wait for the new
   * process from now on; the old one answers those it has (for up to REPLACE_DRAIN_MS), saves,
   * and exits, and only then does the new one start, since one process at a time updates an index.
   */
  private replace(child: ChildProcess, connection: MessageConnection, reason: string): void {
    if (child !== this.child || connection !== this.connection || this.state !== 'running' || this.disposed || this.queued) return;
    this.output.info(`replacing the engine process (pid ${child.pid}): ${reason}`);
    const queued: ((connection: MessageConnection) => void)[] = (this.queued = []);
    const replaced = (async () => {
      // one turn first: a request that was given this connection before now is sent on it then
      await new Promise<void>((resolve) => setImmediate(resolve));
      const answering = this.inFlight.get(connection) ?? new Set();
      let waited: NodeJS.Timeout | undefined;
      const timeUp = new Promise<'late'>((resolve) => (waited = setTimeout(() => resolve('late'), REPLACE_DRAIN_MS)));
      while (answering.size > 0) {
        if ((await Promise.race([Promise.allSettled([...answering]), timeUp])) === 'late') break;
      }
      clearTimeout(waited);
      // it died meanwhile, or the extension is ending: the crash path or dispose() has it now
      if (child !== this.child || this.disposed) throw new EngineUnavailableError(this.state === 'failed' ? 'failed' : 'restarting');
      // from here its exit is no crash: onExit ignores a process that is no longer this.child
      this.child = undefined;
      this.connection = undefined;
      const stopping = (this.stopping = this.stop(child, connection, true));
      await stopping;
      if (this.stopping === stopping) this.stopping = undefined;
      if (this.disposed) throw new EngineUnavailableError('restarting');
      let next: MessageConnection;
      try {
        next = await this.launch(child.pid);
      } catch (err) {
        // said once here; those waiting for the new process are told the engine is restarting
        if (!this.disposed) this.output.error(`replacing the engine process failed: ${(err as Error).message}`);
        throw new EngineUnavailableError(this.state === 'failed' ? 'failed' : 'restarting');
      }
      this.replacements++;
      if (this.queued === queued) {
        this.queued = undefined;
        if (this.connection === next) for (const send of queued) send(next);
      }
      return next;
    })();
    this.ready = replaced;
    replaced.catch((err: Error) => {
      if (this.ready === replaced) this.ready = undefined;
      if (this.queued === queued) this.queued = undefined;
      // an engine that died meanwhile was reported as a crash, and is restarted as one; a new one that could not start, above
      if (!this.disposed && !(err instanceof EngineUnavailableError)) this.output.error(`replacing the engine process failed: ${err.message}`);
    });
    // after `ready`: what a listener sends as the state changes waits for the new process
    this.setState('starting');
  }

  /**
   * Asks a process to save and close its indexes, then ends it (killed after SHUTDOWN_GRACE_MS).
   * `restarting`: a new process takes its place (agents' relays connect to it).
   */
  private async stop(child: ChildProcess, connection: MessageConnection, restarting = false): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const killed = setTimeout(() => child.kill(), SHUTDOWN_GRACE_MS);
    try {
      await Promise.race([connection.sendRequest(Shutdown, { restarting }), exited]);
    } catch {
      // the process is going away either way
    }
    child.stdin?.end();
    await exited;
    clearTimeout(killed);
    connection.dispose();
  }

  /** Starts a process; `replacing`: the pid of the one it replaces (RestartWanted), for the log. */
  private async launch(replacing?: number): Promise<MessageConnection> {
    this.setState('starting');
    let child: ChildProcess;
    try {
      const args = [...this.args()];
      child = fork(this.serverModule, args, {
        silent: true, // stdio are pipes: stdin/stdout carry the protocol, stderr goes to the output channel
        execArgv: [...ENGINE_EXEC_ARGV],
        // In desktop VS Code the extension host runs in Electron: run the child as plain Node.
        env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
        // When it is to lower its priority, on Linux: a session of its own, whose scheduling group the
        // engine lowers beside its niceness (server/priority.ts). It still ends with the extension
        // host: it exits when its stdin closes (server/main.ts).
        detached: process.platform === 'linux' && args.includes('--nice'),
      });
    } catch (err) {
      // no process to wait for (its settings could not be read, or the system refused a process):
      // stopped, so that the views do not say "starting" for good and the next request tries again
      this.setState('stopped');
      throw new Error(`the Code Scout engine could not be started: ${(err as Error).message}`);
    }
    if (!child.stdin || !child.stdout || !child.stderr) {
      // a fork that failed for want of file descriptors comes back without its pipes (and says why in an 'error' event)
      child.on('error', () => undefined);
      child.kill();
      this.setState('stopped');
      throw new Error('the Code Scout engine could not be started: its process has no pipes (too many open files?)');
    }
    this.child = child;
    this.startedAt = Date.now();
    // what the process prints (a worker's message, a failure's stack) is unexpected there: warnings, a line each
    const stderr = new StderrLines();
    // the last lines are said again at error when the process dies: the cause of a crash is there
    const tail: string[] = (this.stderrTail = []);
    const printed = (line: string) => {
      this.output.warn(`engine: ${line}`);
      tail.push(line.length > MAX_TAIL_LINE_CHARS ? `${line.slice(0, MAX_TAIL_LINE_CHARS)}…` : line);
      if (tail.length > STDERR_TAIL_LINES) tail.shift();
    };
    child.stderr
      .setEncoding('utf8')
      .on('data', (text: string) => stderr.push(text).forEach(printed))
      .on('end', () => {
        const rest = stderr.end();
        if (rest !== undefined) printed(rest);
      });
    child.on('error', (err) => this.output.error(`engine process error: ${err.message}`));
    // 'close', not 'exit': its stderr has then been read to the end, for the report of an unexpected stop
    child.on('close', (code, signal) => this.onExit(child, code, signal));

    const connection = createMessageConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin));
    connection.onError(([err]) => this.output.error(`engine connection error: ${err.message}`));
    this.inFlight.set(connection, new Set());
    connection.onNotification(RestartWanted, (p) => this.replace(child, connection, typeof p?.reason === 'string' ? p.reason : 'it asked for it'));
    this.connection = connection;
    connection.listen();
    try {
      await this.setUp(connection);
    } catch (err) {
      // a process that was never configured must not outlive this start: the next one forks its own
      if (this.child === child) {
        this.child = undefined;
        this.connection = undefined;
        this.setState('stopped');
      }
      connection.dispose();
      child.kill();
      throw err;
    }
    if (this.child === child && child.exitCode === null) {
      const which = replacing !== undefined ? `, replacing pid ${replacing}` : this.restarts ? `, restart ${this.restarts}` : '';
      this.output.info(`engine process started (pid ${child.pid})${which}`);
      this.setState('running');
    }
    return connection;
  }

  private onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (child !== this.child) return;
    this.connection?.dispose();
    this.connection = undefined;
    this.ready = undefined;
    this.child = undefined;
    if (this.disposed) return;
    this.lastError = signal ? `killed by ${signal}` : `exited with code ${code}`;
    const tail = this.stderrTail.length ? ` Its last output:\n${this.stderrTail.join('\n')}` : '';
    this.output.error(`The Code Scout engine ${this.lastError}.${tail}`);
    const delay = this.policy.onCrash(Date.now() - this.startedAt);
    if (delay === undefined) {
      this.output.error(`The Code Scout engine stopped ${this.policy.streak} times in a row; it stays stopped until "Code Scout: Restart Engine".`);
      this.setState('failed');
      void this.tellUser(
        'error',
        `The Code Scout engine keeps stopping (${this.lastError}), so it will not be restarted. Search, related code and hovers are off.`,
        'Restart Engine',
      );
      return;
    }
    this.output.info(`restarting the engine in ${(delay / 1000).toFixed(1)} s`);
    this.setState('restarting');
    if (this.policy.streak === 1) {
      void this.tellUser('warning', `The Code Scout engine stopped (${this.lastError}) and is restarting; search and hovers resume in a moment.`);
    }
    this.restartTimer = setTimeout(() => {
      this.restarts++;
      this.setState('stopped');
      this.start().catch((err: Error) => this.output.error(`restarting the engine failed: ${err.message}`));
    }, delay);
  }

  private async tellUser(level: 'warning' | 'error', message: string, ...extra: string[]): Promise<void> {
    const show = level === 'error' ? vscode.window.showErrorMessage : vscode.window.showWarningMessage;
    const choice = await show(message, ...extra, 'Show Log');
    if (choice === 'Show Log') this.output.show(true);
    // the command, as the palette runs it: a restart that fails again is shown, not an unhandled rejection
    else if (choice === 'Restart Engine') {
      vscode.commands.executeCommand(RESTART_COMMAND).then(undefined, (err: Error) => this.output.error(`restarting the engine failed: ${err.message}`));
    }
  }

  private setState(state: EngineState): void {
    if (this.state === state) return;
    if (state !== 'starting') this.restartAsked = false;
    this.state = state;
    this.stateEmitter.fire(state);
  }
}
