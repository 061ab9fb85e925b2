/**
 * The workspace's folders as the engine process indexes them: sends it the folders and
 * their settings (again after a restart or a settings change), keeps the latest status of
 * each folder, and maps editor URIs to indexed folders.
 */
import * as vscode from 'vscode';
import type { MessageConnection } from 'vscode-jsonrpc/node';
import { pathInside } from '../engine/paths';
import { Cancel, Configure, FolderStatusChanged, Log, Reindex, SetLogLevel, type FolderSpec, type FolderStatus } from '../protocol/protocol';
import { engineLogLevel, logAt, logLevelOf } from './log-channel';
import type { EngineClient } from './engine-client';
import { editorSettings, folderOptions, type EditorSettings } from './settings';
import type { WorkspaceState } from './status-view';

/** A location inside an indexed folder. */
export interface FolderLocation {
  folder: vscode.WorkspaceFolder;
  root: string;
  /** root-relative POSIX path */
  path: string;
}

export class IndexController implements vscode.Disposable {
  private readonly statuses = new Map<string, FolderStatus>();
  private readonly changeEmitter = new vscode.EventEmitter<void>();
  private reindexPending = false;
  /** fires when any folder's status changes */
  readonly onDidChange = this.changeEmitter.event;
  private settings: EditorSettings = editorSettings(vscode.workspace.getConfiguration('codescout'));
  /** a folder was indexed this session: a restarted engine indexes again (incrementally) */
  private indexedThisSession = false;
  private engine: EngineClient | undefined;
  private engineListener: vscode.Disposable | undefined;
  /** settings or folders changed while the engine was starting: {@link setUp} sends them once it has configured the process */
  private configureAgain = false;

  private readonly levelListener: vscode.Disposable;

  constructor(private readonly output: vscode.LogOutputChannel) {
    // the user picked another level for the channel: the engine process sends what it now shows
    this.levelListener = output.onDidChangeLogLevel((level) => {
      output.info(`log level: ${engineLogLevel(level)}`);
      this.engine?.notify(SetLogLevel, { level: engineLogLevel(level) });
    });
  }

  /** The engine this controller configures (set once, before it starts). */
  attach(engine: EngineClient): void {
    this.engine = engine;
    // the statuses are the last a process sent: when it dies or restarts, what reads them (a Reindex
    // waiting for its refresh, the indexing notification) looks at the engine's state again
    this.engineListener = engine.onDidChangeState(() => this.changeEmitter.fire());
  }

  get editorSettings(): EditorSettings {
    return this.settings;
  }

  /** Registers the engine's notifications on a new connection and sends it the folders. */
  async setUp(connection: MessageConnection): Promise<void> {
    this.statuses.clear(); // a new process counts status versions from zero
    this.configureAgain = false; // what changed until now is sent below
    connection.onNotification(FolderStatusChanged, (status) => this.update(status));
    connection.onNotification(Log, (p) => logAt(this.output, logLevelOf(p.level), String(p.message)));
    // before the folders: what opening them logs is already at the channel's level
    const level = engineLogLevel(this.output.logLevel);
    void connection.sendNotification(SetLogLevel, { level });
    const statuses = await connection.sendRequest(Configure, {
      folders: this.folderSpecs(),
      indexOnOpen: this.settings.indexOnOpen || this.indexedThisSession,
    });
    // a level picked while the engine started was not sent (notify waits for a running engine)
    if (engineLogLevel(this.output.logLevel) !== level) void connection.sendNotification(SetLogLevel, { level: engineLogLevel(this.output.logLevel) });
    this.replaceAll(statuses);
    // settings or folders changed while this process started (reconfigure waits for a running engine): sent now
    while (this.configureAgain) {
      this.configureAgain = false;
      this.replaceAll(await connection.sendRequest(Configure, { folders: this.folderSpecs(), indexOnOpen: this.settings.indexOnOpen || this.indexedThisSession }));
    }
  }

  /**
   * Settings or folders changed: sends them to a running engine (which reopens what changed),
   * or starts the engine when the first folder of a workspace to index on open arrives.
   */
  async reconfigure(): Promise<void> {
    this.settings = editorSettings(vscode.workspace.getConfiguration('codescout'));
    // the folders and indexOnOpen are part of every status view: a folder added with nothing started still changes them
    this.changeEmitter.fire();
    if (!this.engine) return;
    if (this.engine.state === 'stopped') {
      if (this.settings.indexOnOpen && localFolders().length) await this.engine.start();
      return;
    }
    if (!this.engine.isRunning) {
      this.configureAgain = true; // starting or restarting: the process is configured with these as it comes up
      return;
    }
    const statuses = await this.engine.request(Configure, { folders: this.folderSpecs(), indexOnOpen: this.settings.indexOnOpen });
    this.replaceAll(statuses);
  }

  /**
   * Reindexes, and answers the folders' statuses once each has ended that refresh (as
   * {@link nextUserRefresh}). The wait starts once the engine runs: a process started for this
   * Reindex counts its refreshes from zero, not from where a stopped one left off.
   */
  async reindexAndWait(root?: string): Promise<FolderStatus[]> {
    const engine = this.engine!;
    this.setReindexPending(true);
    let done: ReturnType<IndexController['nextUserRefresh']> | undefined;
    try {
      await engine.start();
      this.indexedThisSession = true;
      done = this.nextUserRefresh();
      await engine.request(Reindex, { root });
    } catch (err) {
      done?.cancel();
      this.setReindexPending(false);
      throw err;
    }
    try {
      return await done.result;
    } finally {
      this.setReindexPending(false); // begun and ended, or the engine failed first, or it timed out
    }
  }

  /** A Reindex asked for and not begun (WorkspaceState.reindexPending); it ends when a folder starts indexing. */
  private setReindexPending(pending: boolean): void {
    if (this.reindexPending === pending) return;
    this.reindexPending = pending;
    this.changeEmitter.fire();
  }

  /**
   * The folders' statuses once each has ended a refresh the user asked for (a Reindex), counted
   * from now; empty when the engine fails or restarts first, on `cancel()` (the Reindex request
   * failed), or after `timeoutMs`. Each way, its listener goes.
   */
  nextUserRefresh(timeoutMs = 10 * 60_000): { result: Promise<FolderStatus[]>; cancel(): void } {
    const before = new Map([...this.statuses].map(([root, s]) => [root, s.refreshes]));
    let finish: (result: FolderStatus[]) => void = () => {};
    const result = new Promise<FolderStatus[]>((resolve) => {
      finish = (folders) => {
        clearTimeout(timer);
        listener.dispose();
        resolve(folders);
      };
      const timer = setTimeout(() => finish([]), timeoutMs);
      const listener = this.onDidChange(() => {
        const folders = this.folders();
        // the process died, is restarting, or is being replaced (Restart Engine: 'starting'): this Reindex's answer will not come
        const state = this.engine?.state;
        if (state !== undefined && state !== 'running') return finish([]);
        if (!folders.length) return;
        // a restarted engine counts refreshes from 0 again: this Reindex's answer will not come
        if (folders.some((f) => f.refreshes < (before.get(f.root) ?? 0))) return finish([]);
        // each folder refreshed since it was asked: by this Reindex ('user'), or by the index Reindex
        // opened again for a folder whose index could not be opened ('open'), or failed (no report)
        const ended = folders.every(
          (f) => f.state !== 'indexing' && f.refreshes > (before.get(f.root) ?? 0) && (f.lastRefresh === undefined || f.lastRefresh.reason === 'user' || f.lastRefresh.reason === 'open'),
        );
        if (ended) finish(folders);
      });
    });
    return { result, cancel: () => finish([]) };
  }

  async cancel(root?: string): Promise<void> {
    if (this.engine?.isRunning) await this.engine.request(Cancel, { root });
  }

  /** The folders' statuses in workspace order (called on every status change: reads no settings). */
  folders(): FolderStatus[] {
    return localFolders()
      .map((f) => this.statuses.get(f.uri.fsPath))
      .filter((s): s is FolderStatus => !!s);
  }

  /** What the status views are made from: the open folders, their statuses, the engine's state and the setting that decides whether they index on open. */
  workspaceState(): WorkspaceState {
    return {
      folderCount: localFolders().length,
      folders: this.folders(),
      // a Restart Engine in progress: the statuses held are the replaced process's
      engine: this.engine?.restartingOnRequest ? 'restarting' : (this.engine?.state ?? 'stopped'),
      indexOnOpen: this.settings.indexOnOpen,
      reindexPending: this.reindexPending,
    };
  }

  /** The latest status of the folder at `root`. */
  status(root: string): FolderStatus | undefined {
    return this.statuses.get(root);
  }

  /** The indexed folder that contains `uri`, with the root-relative path. */
  locate(uri: vscode.Uri): FolderLocation | undefined {
    if (uri.scheme !== 'file') return undefined;
    const folder = vscode.workspace.getWorkspaceFolder(uri);
    if (!folder || folder.uri.scheme !== 'file') return undefined;
    const root = folder.uri.fsPath;
    const rel = pathInside(root, uri.fsPath);
    return rel === undefined ? undefined : { folder, root, path: rel };
  }

  /** The display name of the folder at `root`, in multi-root workspaces only. */
  folderLabel(root: string): string | undefined {
    const folders = vscode.workspace.workspaceFolders ?? [];
    return folders.length > 1 ? folders.find((f) => f.uri.fsPath === root)?.name : undefined;
  }

  dispose(): void {
    this.levelListener.dispose();
    this.engineListener?.dispose();
    this.changeEmitter.dispose();
  }

  private folderSpecs(): FolderSpec[] {
    return localFolders().map((f) => ({
      root: f.uri.fsPath,
      name: f.name,
      options: folderOptions(
        f.uri.fsPath,
        vscode.workspace.getConfiguration('codescout', f.uri),
        vscode.workspace.getConfiguration('files', f.uri),
      ),
    }));
  }

  private update(status: FolderStatus): void {
    if (status.state === 'indexing') this.indexedThisSession = true;
    // the asked-for refresh has begun, or the folder cannot be indexed: the change this status fires shows it
    if (status.state === 'indexing' || status.state === 'error') this.reindexPending = false;
    if (this.keep(status)) this.changeEmitter.fire();
  }

  /** The engine's folders after a configure: notifications may have overtaken the answer, so the newer status wins. */
  private replaceAll(statuses: FolderStatus[]): void {
    const roots = new Set(statuses.map((s) => s.root));
    for (const root of this.statuses.keys()) if (!roots.has(root)) this.statuses.delete(root);
    statuses.forEach((s) => this.keep(s));
    this.changeEmitter.fire();
  }

  private keep(status: FolderStatus): boolean {
    const known = this.statuses.get(status.root);
    if (known && known.version > status.version) return false;
    this.statuses.set(status.root, status);
    return true;
  }
}

/** Local folders only: the extension runs where the files are (a workspace extension). */
function localFolders(): readonly vscode.WorkspaceFolder[] {
  return (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file');
}
