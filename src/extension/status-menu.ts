/** What clicking the status bar item shows: each folder's state, then the actions that apply now. */
import * as vscode from 'vscode';
import { labelText } from './display-text';
import type { EngineClient } from './engine-client';
import type { IndexController } from './index-controller';
import { canCancelIndexing, folderLine } from './status-view';

interface MenuItem extends vscode.QuickPickItem {
  command?: string;
}

export async function showStatusMenu(controller: IndexController, engine: EngineClient): Promise<void> {
  const folders = controller.folders();
  const items: MenuItem[] = folders.map((f) => ({ label: labelText(folderLine(f)) })); // names and errors may quote paths
  if (engine.state === 'failed') items.unshift({ label: `$(error) The engine stopped: ${labelText(engine.lastError ?? 'unknown reason')}` });
  items.push({ label: 'Actions', kind: vscode.QuickPickItemKind.Separator });
  if (engine.state === 'failed') items.push({ label: '$(debug-restart) Restart Engine', command: 'codescout.restartEngine' });
  if (canCancelIndexing(folders)) items.push({ label: '$(debug-stop) Cancel Indexing', command: 'codescout.cancelIndexing' });
  items.push(
    { label: '$(refresh) Reindex', command: 'codescout.reindex' },
    { label: '$(search) Search Code', command: 'codescout.search' },
    { label: '$(list-flat) Show Index Status (skipped files)', command: 'codescout.showStatus' },
    { label: '$(gear) Settings', command: 'workbench.action.openSettings', description: 'codescout' },
  );
  const choice = await vscode.window.showQuickPick(items, { title: 'Code Scout', placeHolder: 'Index status and actions' });
  if (!choice?.command) return;
  if (choice.command === 'workbench.action.openSettings') await vscode.commands.executeCommand(choice.command, '@ext:codescout.code-scout');
  else await vscode.commands.executeCommand(choice.command);
}
