/** The status bar item: indexing %, ready with N functions, stale, or error; a click opens the status menu. */
import * as vscode from 'vscode';
import type { EngineClient } from './engine-client';
import type { IndexController } from './index-controller';
import { statusView } from './status-view';

export const STATUS_MENU_COMMAND = 'codescout.statusMenu';
/** How many of the item's past texts are kept. */
const SHOWN_KEPT = 50;

export class StatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('codescout.status', vscode.StatusBarAlignment.Left, 10);
  private readonly subscriptions: vscode.Disposable[];

  constructor(
    private readonly controller: IndexController,
    private readonly engine: EngineClient,
  ) {
    this.item.name = 'Code Scout';
    this.item.command = STATUS_MENU_COMMAND;
    this.subscriptions = [controller.onDidChange(() => this.update()), engine.onDidChangeState(() => this.update())];
    this.update();
    this.item.show();
  }

  /** the context keys last set (package.json `enablement` of Reindex and Cancel Indexing reads them) */
  private indexing: boolean | undefined;
  /** the texts the item showed, oldest first, at most {@link SHOWN_KEPT} (codescout.internal.state: a flicker is a test failure) */
  readonly shownTexts: string[] = [];
  /** how many texts the item has shown in all (shownTexts keeps the last ones) */
  shownCount = 0;

  /** What the item shows now. */
  get shown(): { text: string; tooltip: string } {
    return { text: this.item.text, tooltip: typeof this.item.tooltip === 'string' ? this.item.tooltip : '' };
  }

  private update(): void {
    const view = statusView(this.controller.workspaceState());
    if (view.indexing !== this.indexing) {
      this.indexing = view.indexing;
      void vscode.commands.executeCommand('setContext', 'codescout.indexing', view.indexing);
    }
    if (view.text !== this.item.text) {
      this.shownTexts.push(view.text);
      this.shownCount++;
      if (this.shownTexts.length > SHOWN_KEPT) this.shownTexts.shift();
    }
    this.item.text = view.text;
    this.item.tooltip = `${view.tooltip}\n\nClick for index status and actions.`;
    this.item.backgroundColor =
      view.level === 'error'
        ? new vscode.ThemeColor('statusBarItem.errorBackground')
        : view.level === 'warning'
          ? new vscode.ThemeColor('statusBarItem.warningBackground')
          : undefined;
  }

  dispose(): void {
    this.subscriptions.forEach((s) => s.dispose());
    this.item.dispose();
  }
}
