/**
 * Tells the engine which files were created, changed or deleted (a rename is both), in
 * batches; the engine coalesces them into incremental refreshes. Changes are not sent while
 * the engine is not running: its next refresh finds them by size and modification time.
 */
import * as vscode from 'vscode';
import { FilesChanged } from '../protocol/protocol';
import type { EngineClient } from './engine-client';
import type { IndexController } from './index-controller';

const BATCH_MS = 200;

export class FileWatcher implements vscode.Disposable {
  private readonly watchers = new Map<string, vscode.FileSystemWatcher>();
  private readonly changed = new Map<string, Set<string>>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly controller: IndexController,
    private readonly engine: EngineClient,
  ) {
    this.sync();
  }

  /** Watches exactly the current local workspace folders. */
  sync(): void {
    const folders = (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file');
    const roots = new Set(folders.map((f) => f.uri.fsPath));
    for (const [root, watcher] of this.watchers) {
      if (roots.has(root)) continue;
      watcher.dispose();
      this.watchers.delete(root);
    }
    for (const folder of folders) {
      if (this.watchers.has(folder.uri.fsPath)) continue;
      const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(folder, '**/*'));
      const record = (uri: vscode.Uri) => this.record(uri);
      watcher.onDidCreate(record);
      watcher.onDidChange(record);
      watcher.onDidDelete(record);
      this.watchers.set(folder.uri.fsPath, watcher);
    }
  }

  dispose(): void {
    clearTimeout(this.timer);
    for (const w of this.watchers.values()) w.dispose();
    this.watchers.clear();
  }

  private record(uri: vscode.Uri): void {
    const at = this.controller.locate(uri);
    if (!at) return;
    let paths = this.changed.get(at.root);
    if (!paths) this.changed.set(at.root, (paths = new Set()));
    paths.add(at.path);
    this.timer ??= setTimeout(() => this.flush(), BATCH_MS);
  }

  private flush(): void {
    this.timer = undefined;
    for (const [root, paths] of this.changed) this.engine.notify(FilesChanged, { root, paths: [...paths] });
    this.changed.clear();
  }
}
