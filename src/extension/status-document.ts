/**
 * `Code Scout: Show Index Status`: a read-only document with each folder's index (location,
 * model, counts, staleness) and every skipped file with its reason.
 */
import * as vscode from 'vscode';
import { formatStatus } from '../engine/status-text';
import { Status } from '../protocol/protocol';
import type { EngineClient } from './engine-client';
import type { IndexController } from './index-controller';
import { folderLine } from './status-view';

const SCHEME = 'codescout-status';
const URI = vscode.Uri.from({ scheme: SCHEME, path: '/Code Scout Index Status' });

export class StatusDocument implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private text = '';
  private readonly changeEmitter = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changeEmitter.event;
  private readonly registration = vscode.workspace.registerTextDocumentContentProvider(SCHEME, this);

  constructor(
    private readonly engine: EngineClient,
    private readonly controller: IndexController,
  ) {}

  provideTextDocumentContent(): string {
    return this.text;
  }

  /** Builds the report (the engine scans each folder for staleness) and shows it. */
  async show(): Promise<void> {
    this.text = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title: 'Code Scout: reading the index status' },
      () => this.build(),
    );
    this.changeEmitter.fire(URI);
    const document = await vscode.workspace.openTextDocument(URI);
    await vscode.window.showTextDocument(document, { preview: true });
  }

  dispose(): void {
    this.registration.dispose();
    this.changeEmitter.dispose();
  }

  private async build(): Promise<string> {
    let folders = this.controller.folders();
    if (!folders.length && this.controller.workspaceState().folderCount > 0) {
      // folders are open but the engine has not been started (indexing on open is off): it opens
      // their indexes, without indexing, to say what they hold (it said that no folder was open)
      try {
        await this.engine.start();
      } catch (err) {
        return `Code Scout could not start its engine to read the index status: ${(err as Error).message}\n`;
      }
      folders = this.controller.folders();
    }
    if (!folders.length) return 'Code Scout indexes the folders of the workspace; none is open.\n';
    const sections = await Promise.all(
      folders.map(async (f) => {
        let body: string;
        try {
          body = formatStatus(await this.engine.request(Status, { root: f.root }), true);
        } catch (err) {
          body = `cannot read the status: ${(err as Error).message}\n`;
        }
        return `${folderLine(f)}\n${'-'.repeat(60)}\n${body}`;
      }),
    );
    return `Code Scout index status (${new Date().toLocaleString()})\n\n${sections.join('\n')}`;
  }
}
