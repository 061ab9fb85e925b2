/**
 * `codescout mcp [folder…]`: an MCP server on stdio (the SDK's StdioServerTransport) for coding
 * agents, serving the folders through the engine process's Workspace: each folder's index is
 * opened and refreshed in the background (answers say they are partial until its first refresh
 * of the session ends), and kept fresh by watching the folder (folder-watcher.ts).
 *
 * `codescout mcp --attach SOCKET`: a relay to the engine process the VS Code extension runs
 * (mcp-relay.ts).
 *
 * stdout carries the MCP protocol and nothing else: console output and the engine's notices go
 * to stderr, one `codescout:` line each. The server ends, closing the indexes (which saves
 * their checkpoints), when stdin closes (once what it read is answered) or on SIGINT or SIGTERM,
 * with exit code 0; on a message over the SDK's 10 MB limit, with exit code 1.
 */
import { basename } from 'node:path';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { answerInto, guardedInput } from '../agent/request-guard';
import { createMcpServer } from '../agent/mcp-server';
import { SessionTransport } from '../agent/session-transport';
import { defaultIndexDir, packageVersion } from '../engine/paths';
import type { FolderOptions, FolderStatus } from '../protocol/protocol';
import { Workspace } from '../server/workspace';
import type { McpInvocation } from './args';
import { EXIT_FAILURE, oneLine } from './errors';
import { FolderWatcher } from './folder-watcher';
import { relay } from './mcp-relay';
import { prepareIndexFolder } from './index-folder';
import { DEFAULT_MAX_FILE_BYTES } from '../engine/types';

/** The process's exit code once the server or the relay has ended. */
export function mcp(args: McpInvocation): Promise<number> {
  // stdout carries the protocol: anything else printed there would corrupt it.
  console.log = console.info = console.debug = console.warn = console.error;
  return args.attach !== undefined ? relay(args.attach, { waitAtFirst: args.waitForEngine }) : serve(args);
}

const log = (message: string) => void process.stderr.write(oneLine(message) + '\n');

async function serve(args: McpInvocation): Promise<number> {
  const options: FolderOptions = {
    include: [],
    exclude: [],
    maxFileBytes: args.engine.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES,
    threads: args.engine.threads ?? 1,
    spelling: args.engine.spelling ?? true,
    indexLocation: '',
    ...(args.engine.model !== undefined && { model: args.engine.model }),
  };
  const folders = args.roots.map((root) => {
    const indexDir = args.indexDir ?? defaultIndexDir(root);
    // as the other commands do: a clear error for a folder that cannot be created, before anything runs
    prepareIndexFolder(indexDir);
    return { root, name: basename(root) || root, indexDir, options: { ...options, ...(args.indexDir !== undefined && { indexDir }) } };
  });

  // A failure in background work (a refresh, closing an index) is reported, and the server goes
  // on serving its other folders rather than dying with it, as the engine process does.
  process.on('unhandledRejection', (reason) => log(`background work failed: ${reason instanceof Error ? reason.message : String(reason)}`));

  const states = new Map<string, FolderStatus['state']>();
  const watchers: FolderWatcher[] = [];
  let closing: Promise<void> | undefined;
  let serving = false;
  /** Folders whose watching starts once their index is open, so that it does not delay the first answers. */
  const toWatch = new Map(folders.map((f) => [f.root, f]));
  const onStatus = (s: FolderStatus) => {
    reportState(states, s);
    const folder = s.state === 'opening' ? undefined : toWatch.get(s.root);
    if (!folder || !serving) return;
    toWatch.delete(s.root);
    const events = { changed: (paths: string[]) => changed(workspace, folder.root, paths), rescan: () => rescan(workspace, folder.root), log };
    FolderWatcher.start(folder.root, folder.indexDir, events).then(
      (watcher) => (closing ? void watcher.close() : void watchers.push(watcher)),
      (err: Error) => log(`cannot watch ${folder.root} for changes: ${err.message}`),
    );
  };
  // the folders' notices, progress and failures; not their debug and trace lines
  const workspace = new Workspace({ status: onStatus, log: (message, level) => level !== 'debug' && level !== 'trace' && log(message) });
  await workspace.configure({ folders: folders.map(({ root, name, options }) => ({ root, name, options })), indexOnOpen: true });

  const server = createMcpServer(workspace, { version: packageVersion() });
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      await Promise.allSettled(watchers.map((w) => w.close()));
      await server.close().catch(() => undefined);
      await workspace.close();
    })());

  // a request the SDK cannot read is answered with its JSON-RPC error here, not left unanswered
  const input = guardedInput(process.stdin, answerInto(process.stdout));
  const transport = new SessionTransport(new StdioServerTransport(input, process.stdout));
  // a line that is not JSON-RPC, a message over the SDK's 10 MB limit: said on stderr
  transport.onerror = (err) => log(`the MCP client sent what cannot be read: ${err.message}`);
  const ended = new Promise<number>((resolve) => {
    const end = (code = 0) =>
      close().then(
        () => resolve(code),
        (err: Error) => {
          log(`closing the indexes failed: ${err.message}`);
          resolve(EXIT_FAILURE);
        },
      );
    // the client closed our stdin: what it asked before is answered first (it may write its
    // requests and close at once), then the server ends
    const inputEnded = () => void transport.answered().then(() => end());
    // (the guarded input's end: it comes after every line of stdin has reached the transport)
    input.once('end', inputEnded);
    input.once('close', inputEnded);
    // the transport stopped reading (a message over its limit): the session cannot go on, and no
    // end of stdin will come
    transport.onbroken = () => {
      log('the MCP session ended: stdin is no longer read');
      void end(EXIT_FAILURE);
    };
    // The client went away without closing our stdin first (its end of stdout is closed): end as
    // when stdin closes, closing the indexes, rather than exiting at once as the other commands do.
    process.stdout.removeAllListeners('error');
    process.stdout.on('error', () => end());
    let signalled = false;
    const onSignal = () => {
      if (signalled) process.exit(EXIT_FAILURE); // a second Ctrl-C: quit now
      signalled = true;
      void end();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });

  await server.connect(transport);
  serving = true;
  for (const s of await workspace.statuses()) onStatus(s); // folders that opened before the server was connected
  const code = await ended;
  process.stdin.destroy(); // nothing more is read: let the process end
  return code;
}

function changed(workspace: Workspace, root: string, paths: string[]): void {
  try {
    workspace.get(root).filesChanged(paths);
  } catch {
    // the folder is closing: nothing left to refresh
  }
}

/** The folder came back after it was removed: its index scans it (see FolderWatcherEvents.rescan). */
function rescan(workspace: Workspace, root: string): void {
  try {
    workspace.get(root).everythingChanged();
  } catch {
    // the folder is closing: nothing left to refresh
  }
}

/** One stderr line when a folder is ready or failed, so that a person running the server sees where it stands. */
function reportState(states: Map<string, FolderStatus['state']>, s: FolderStatus): void {
  const before = states.get(s.root);
  states.set(s.root, s.state);
  if (s.state === before) return;
  if (s.state === 'ready') {
    const { files, chunks } = s.contents;
    log(`${s.name}: ready (${files} files, ${chunks} chunks, ${s.mode}); watching for changes`);
  } else if (s.state === 'error' && s.lastError) {
    log(`${s.name}: ${s.lastError}`);
  }
}
