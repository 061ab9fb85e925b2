/**
 * The engine process: a child of the extension host that owns the indexes and answers the
 * extension over JSON-RPC on stdin/stdout (src/protocol/protocol.ts), the way a language
 * server does. Keeping the engine here means a native crash (hnswlib, onnxruntime) or a long
 * inference never freezes or kills the extension host; the extension restarts this process.
 *
 * `--agent-socket <path>`: the process also serves MCP sessions at that socket (or Windows named
 * pipe) over the same indexes, for coding agents in the editor (agent-endpoint.ts), once the
 * first Configure has told it its folders.
 *
 * `--nice <1–19>`: the process lowers its scheduling priority to that niceness as it starts, so
 * that indexing gives way to the editor (priority.ts).
 *
 * `--restart-above-mb <n>`, `--restart-after-files <n>`: after refreshes that parsed n files (1,000)
 * and once idle, the process asks the extension to replace it (RestartWanted) if it holds more than
 * n MB (400; 0: never), the memory that indexing left it holding and only an exit gives back
 * (restart-after-indexing.ts).
 */
// first: the priority is lowered before any module starts a thread (priority.ts)
import { priorityWarning } from './priority';
import { createMessageConnection, ResponseError, ErrorCodes, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import {
  Cancel,
  Configure,
  Definitions,
  DefinitionsNamed,
  FilesChanged,
  FolderStatusChanged,
  Log,
  Reindex,
  Related,
  RestartWanted,
  Search,
  SetLogLevel,
  Shutdown,
  Similar,
  Status,
  type QueryParams,
  type QueryResult,
} from '../protocol/protocol';
import {
  configureParams,
  definitionsParams,
  filesChangedParams,
  folderParams,
  InvalidRequestError,
  namedParams,
  queryParams,
  relatedParams,
  rootParams,
  setLogLevelParams,
} from './requests';
import { Logger, queryTimingLine } from './log';
import { UnknownFolderError, Workspace } from './workspace';
import { listenForAgents, type AgentEndpoint } from './agent-endpoint';
import { packageVersion } from '../engine/paths';
import { RestartAfterIndexing, restartOptionsFrom } from './restart-after-indexing';

// stdout carries the protocol: anything else printed there would corrupt it.
console.log = console.info = console.error;

const connection = createMessageConnection(new StreamMessageReader(process.stdin), new StreamMessageWriter(process.stdout));

/** Lines for the extension's output channel, at the level it asked for (SetLogLevel). */
const logger = new Logger((params) => void connection.sendNotification(Log, params));

const restartArgs = restartOptionsFrom(process.argv);
/** Asks the extension for a new process once indexing has left this one holding more than it should (restart-after-indexing.ts). */
const restart = new RestartAfterIndexing(
  restartArgs.options,
  {
    rss: () => process.memoryUsage.rss(),
    foldersBusy: () => workspace.busy,
    foldersReady: () => workspace.ready,
    agentRequests: () => agentEndpoint?.unanswered ?? 0,
  },
  (reason) => {
    logger.log('info', `asking for a new engine process: ${reason}`);
    void connection.sendNotification(RestartWanted, { reason });
  },
);

const workspace = new Workspace({
  status: (status) => {
    void connection.sendNotification(FolderStatusChanged, status);
    restart.check();
  },
  refreshEnded: (filesParsed) => restart.refreshEnded(filesParsed),
  log: (message, level) => logger.log(level, message),
  logs: (level) => logger.enabled(level),
});

/**
 * Wraps a handler: the request's parameters are checked first (requests.ts), and a bad
 * request or an unknown folder is answered with an InvalidParams error that says why, rather
 * than an internal one. No request, however malformed, ends the process.
 */
function answering<P, R>(method: string, check: (raw: unknown) => P, handler: (params: P) => R | Promise<R>): (raw: unknown) => Promise<R> {
  return async (raw) => {
    try {
      return await handler(check(raw));
    } catch (err) {
      if (err instanceof InvalidRequestError) throw new ResponseError(ErrorCodes.InvalidParams, `invalid ${method} request: ${err.message}`);
      if (err instanceof UnknownFolderError) throw new ResponseError(ErrorCodes.InvalidParams, err.message);
      throw err;
    }
  };
}

connection.onRequest(
  Configure,
  answering(Configure.method, configureParams, async (p) => {
    const statuses = await workspace.configure(p);
    // the folders are known: agents may be served now. Listening before the answer: the extension
    // lets VS Code start the relay (mcp-provider.ts) once the engine has answered its first Configure
    agents ??= serveAgents();
    await agents;
    return statuses;
  }),
);
connection.onRequest(Search, answering(Search.method, (raw) => queryParams(raw, false), (p) => timed('search', p)));
connection.onRequest(Similar, answering(Similar.method, (raw) => queryParams(raw, true), (p) => timed('similar', p)));
connection.onRequest(Related, answering(Related.method, relatedParams, (p) => workspace.related(p)));
connection.onRequest(Definitions, answering(Definitions.method, definitionsParams, (p) => workspace.definitions(p)));
connection.onRequest(DefinitionsNamed, answering(DefinitionsNamed.method, namedParams, (p) => workspace.definitionsNamed(p)));
connection.onRequest(Status, answering(Status.method, folderParams, (p) => workspace.report(p.root)));
connection.onRequest(Reindex, answering(Reindex.method, rootParams, (p) => workspace.reindex(p.root)));
connection.onRequest(Cancel, answering(Cancel.method, rootParams, (p) => workspace.cancel(p.root)));
connection.onNotification(FilesChanged, (raw: unknown) => {
  try {
    const { params, dropped } = filesChangedParams(raw);
    if (dropped) log(`ignored ${dropped} changed path(s) that are not inside ${params.root}`);
    workspace.get(params.root).filesChanged(params.paths);
  } catch (err) {
    if (err instanceof InvalidRequestError) log(`ignored an invalid ${FilesChanged.method} notification: ${err.message}`);
    else if (!(err instanceof UnknownFolderError)) throw err; // a folder removed while its changes were in flight
  }
});

connection.onNotification(SetLogLevel, (raw: unknown) => {
  try {
    logger.setLevel(setLogLevelParams(raw).level);
  } catch (err) {
    if (err instanceof InvalidRequestError) log(`ignored an invalid ${SetLogLevel.method} notification: ${err.message}`);
    else throw err;
  }
});

/** A search or similar query, with its timing at debug (the query's length, never its text). */
async function timed(kind: 'search' | 'similar', p: QueryParams): Promise<QueryResult> {
  const started = performance.now();
  let answer: QueryResult | undefined;
  try {
    return (answer = await workspace.query(kind, p));
  } finally {
    logger.log('debug', queryTimingLine(kind, p, answer, performance.now() - started));
  }
}

/** Something the engine process could not do as asked: a warning in the log. */
function log(message: string): void {
  logger.log('warn', message);
}

// A failure in background work (a refresh, closing an index) is reported, and the process
// goes on serving its other folders rather than dying with it.
process.on('unhandledRejection', (reason) => {
  console.error(`codescout engine: ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}`);
});

if (priorityWarning !== undefined) log(priorityWarning);
restartArgs.warnings.forEach(log);

/**
 * The agent endpoint, when `--agent-socket <path>` was given and it could listen. It listens once
 * the first Configure has set the folders, before that Configure is answered: before, every folder
 * is unknown, so an agent's search would find nothing (and a relay that connects again after a
 * restart waits until then).
 */
let agents: Promise<AgentEndpoint | undefined> | undefined;
/** …once it listens (a restart waits until its sessions have no request waiting) */
let agentEndpoint: AgentEndpoint | undefined;

function serveAgents(): Promise<AgentEndpoint | undefined> {
  const at = process.argv.indexOf('--agent-socket');
  if (at < 0) return Promise.resolve(undefined);
  const socketPath = process.argv[at + 1];
  if (!socketPath) {
    log('--agent-socket needs a path; coding agents cannot reach this process');
    return Promise.resolve(undefined);
  }
  const sessionIdle = () => restart.check();
  return listenForAgents(socketPath, workspace, { version: packageVersion(), log, sessionIdle }).then(
    (endpoint) => (agentEndpoint = endpoint),
    (err: Error) => {
      log(`${err.message}; coding agents cannot reach this process`);
      return undefined;
    },
  );
}

/** How long the process waits for its indexes to close once the extension host has gone. */
const CLOSE_GRACE_MS = 15_000;

/**
 * Stops serving agents, then closes every index (saving checkpoints). `restarting`: a new process
 * will serve the same agent socket, so agents' relays connect again (agent-relay.ts).
 */
let closing: Promise<void> | undefined;
function closeAll(restarting = false): Promise<void> {
  // once: a Shutdown, then the end of the connection, wait for the same close
  return (closing ??= (async () => {
    const pending = agents;
    agents = Promise.resolve(undefined); // a Configure while closing starts no endpoint
    const endpoint = await pending;
    await endpoint?.close({ reconnect: restarting }).catch((err: Error) => log(`closing the agent endpoint failed: ${err.message}`));
    await workspace.close();
  })());
}

/** Like a language server's: closes every index (saving checkpoints) and answers; the process exits when its stdin closes. */
connection.onRequest(Shutdown, (params) => closeAll(params?.restarting === true));
// The extension host ended the connection, or went away: nothing is left to serve.
connection.onClose(() => {
  // saving is atomic, so a close that hangs (a refresh that does not stop) may be cut short: the
  // engine must not outlive its extension host for long (on Linux it is not in its process group)
  setTimeout(() => {
    console.error(`codescout engine: closing the indexes took over ${CLOSE_GRACE_MS / 1000} s after the connection ended; exiting`);
    process.exit(1);
  }, CLOSE_GRACE_MS).unref();
  closeAll().then(
    () => process.exit(0),
    (err: Error) => {
      console.error(`codescout engine: closing the indexes failed: ${err.message}`);
      process.exit(1);
    },
  );
});
connection.listen();
