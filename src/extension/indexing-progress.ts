/**
 * A cancellable progress notification while the workspace is indexed on open or on request
 * (refreshes after file changes show only in the status bar). Cancelling stops every folder's
 * indexing after its current batch.
 */
import * as vscode from 'vscode';
import type { FolderStatus } from '../protocol/protocol';
import type { IndexController } from './index-controller';

type Report = vscode.Progress<{ message?: string; increment?: number }>;

/** One notification, from the first folder with work until every folder is done. */
interface Notification {
  /** set once VS Code has created the notification */
  report?: Report;
  /** percent already reported (VS Code's progress counts increments) */
  reported: number;
  latest: { message: string; percent: number };
  close(): void;
}

export class IndexingProgress implements vscode.Disposable {
  private shown: Notification | undefined;
  private readonly subscription: vscode.Disposable;

  constructor(private readonly controller: IndexController) {
    this.subscription = controller.onDidChange(() => this.update());
  }

  dispose(): void {
    this.subscription.dispose();
    this.shown?.close();
  }

  private update(): void {
    // the statuses of an engine that is not running are those its process last sent: no indexing goes on
    const running = this.controller.workspaceState().engine === 'running';
    const folders = running ? this.controller.folders().filter(worthShowing) : [];
    if (!folders.length) {
      this.shown?.close();
      this.shown = undefined;
      return;
    }
    const percent = Math.floor(folders.reduce((sum, f) => sum + (f.progress?.percent ?? 0), 0) / folders.length);
    this.shown ??= this.open();
    this.shown.latest = { message: `${folders.map((f) => f.name).join(', ')}: ${percent}%`, percent };
    flush(this.shown);
  }

  private open(): Notification {
    let close!: () => void;
    const closed = new Promise<void>((resolve) => (close = resolve));
    const shown: Notification = { reported: 0, latest: { message: '', percent: 0 }, close };
    void vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'Code Scout: indexing', cancellable: true },
      (report, token) => {
        shown.report = report;
        flush(shown);
        token.onCancellationRequested(() => void this.controller.cancel());
        return closed;
      },
    );
    return shown;
  }
}

function flush(n: Notification): void {
  if (!n.report) return;
  const { message, percent } = n.latest;
  n.report.report({ message, increment: Math.max(0, percent - n.reported) });
  n.reported = Math.max(n.reported, percent);
}

/** An initial or requested index that has files to read (not a quick check, not a refresh after edits). */
function worthShowing(f: FolderStatus): boolean {
  return f.state === 'indexing' && !!f.progress && f.progress.reason !== 'changes' && f.progress.phase !== 'scan';
}
