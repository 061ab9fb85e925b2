import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';

/** The extension under test, as its manifest names it. */
export const EXTENSION_ID = 'codescout.code-scout';

const POLL_MS = 200;

/** Polls `probe` until it returns a value other than undefined; fails with `what` after timeoutMs. */
export async function waitUntil<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined> | T | undefined): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const cause = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${cause}`);
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/** Kills the engine process with SIGKILL and waits until the extension runs a new one. */
export async function killEngine(): Promise<void> {
  type Engine = { state: string; pid?: number };
  const engine = async () => (await vscode.commands.executeCommand<{ engine: Engine }>('codescout.internal.state')).engine;
  const before = await engine();
  assert.ok(before.pid, `the engine process is not running (${before.state})`);
  process.kill(before.pid, 'SIGKILL');
  await waitUntil('a new engine process', 60_000, async () => {
    const now = await engine();
    return now.state === 'running' && now.pid && now.pid !== before.pid ? now : undefined;
  });
}

/** The first workspace folder: the run's copy of test/e2e/fixture-workspace. */
export function workspaceRoot(): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'the test workspace has no folder');
  return folder.uri;
}

export function fixtureUri(relativePath: string): vscode.Uri {
  return vscode.Uri.joinPath(workspaceRoot(), relativePath);
}

/** Opens a fixture file with the cursor on the first occurrence of `needle`; answers the editor. */
export async function openAt(relativePath: string, needle: string): Promise<vscode.TextEditor> {
  const document = await vscode.workspace.openTextDocument(fixtureUri(relativePath));
  const offset = document.getText().indexOf(needle);
  assert.ok(offset >= 0, `"${needle}" is not in ${relativePath}`);
  const position = document.positionAt(offset);
  const editor = await vscode.window.showTextDocument(document, { preview: false });
  editor.selection = new vscode.Selection(position, position);
  editor.revealRange(new vscode.Range(position, position));
  return editor;
}

/** The 0-based line of the first occurrence of `needle` in a fixture file. */
export async function lineOf(relativePath: string, needle: string): Promise<number> {
  const document = await vscode.workspace.openTextDocument(fixtureUri(relativePath));
  const offset = document.getText().indexOf(needle);
  assert.ok(offset >= 0, `"${needle}" is not in ${relativePath}`);
  return document.positionAt(offset).line;
}
