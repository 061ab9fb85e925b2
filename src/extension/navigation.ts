/**
 * Opening and previewing places in editors. Every place the extension opens (palette,
 * sidebar, related code, hover links) comes through here and passes the one workspace check
 * (workspace-path.ts) first; a refused or failed open tells the user why, and never rejects.
 */
import * as vscode from 'vscode';
import { noticeText } from './display-text';
import { resolveLocation, type CodeLocation } from './workspace-path';

export type { CodeLocation } from './workspace-path';

function lineRange(at: CodeLocation): vscode.Range {
  return new vscode.Range(at.startLine - 1, 0, at.endLine - 1, Number.MAX_SAFE_INTEGER);
}

/** Opens the location's file with the cursor at its first line and the whole range in view; `side`: in the editor group beside the active one. */
export async function openLocation(at: CodeLocation, how: { side?: boolean } = {}): Promise<void> {
  const uri = await checkedUri(at, true);
  if (!uri) return;
  try {
    const start = new vscode.Position(at.startLine - 1, 0);
    const editor = await vscode.window.showTextDocument(uri, {
      selection: new vscode.Range(start, start),
      preview: false,
      ...(how.side ? { viewColumn: vscode.ViewColumn.Beside } : {}),
    });
    editor.revealRange(lineRange(at), vscode.TextEditorRevealType.InCenterIfOutsideViewport);
  } catch (err) {
    void vscode.window.showErrorMessage(noticeText(`Code Scout could not open ${at.path}: ${(err as Error).message}`));
  }
}

/** Shows the location's file in the Explorer view (after the same workspace check as opening it). */
export async function revealInExplorer(at: CodeLocation): Promise<void> {
  const uri = await checkedUri(at, true);
  if (uri) await vscode.commands.executeCommand('revealInExplorer', uri);
}

/** Shows the location in a preview editor with its range selected, keeping focus where it is (in a QuickPick); a refused one is skipped quietly. */
export async function previewLocation(at: CodeLocation): Promise<void> {
  const uri = await checkedUri(at, false);
  if (!uri) return;
  try {
    await vscode.window.showTextDocument(uri, { selection: lineRange(at), preview: true, preserveFocus: true });
  } catch {
    // the file went away: opening it says so
  }
}

/** The location's file when the workspace check lets it be opened; with `report`, a refusal is shown to the user. */
async function checkedUri(at: CodeLocation, report: boolean): Promise<vscode.Uri | undefined> {
  const roots = (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => f.uri.fsPath);
  const checked = await resolveLocation(at, roots);
  if ('file' in checked) return vscode.Uri.file(checked.file);
  if (report) void vscode.window.showWarningMessage(noticeText(`Code Scout did not open it: ${checked.refused}`));
  return undefined;
}
