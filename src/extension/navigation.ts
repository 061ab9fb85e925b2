/** Opening and previewing search hits in editors, and QuickPick items for them. */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { FolderHit } from '../protocol/protocol';
import { kindIcon } from './kind-icons';

/** A place in the workspace: what hovers' command links and the sidebar open. */
export interface CodeLocation {
  root: string;
  path: string;
  startLine: number;
  endLine: number;
}

export interface HitItem extends vscode.QuickPickItem {
  hit: FolderHit;
}

export function locationUri(at: CodeLocation): vscode.Uri {
  return vscode.Uri.file(path.join(at.root, ...at.path.split('/')));
}

function lineRange(at: CodeLocation): vscode.Range {
  return new vscode.Range(at.startLine - 1, 0, at.endLine - 1, Number.MAX_SAFE_INTEGER);
}

/** Opens the location's file with the cursor at its first line and the whole range in view. */
export async function openLocation(at: CodeLocation): Promise<void> {
  const start = new vscode.Position(at.startLine - 1, 0);
  const editor = await vscode.window.showTextDocument(locationUri(at), { selection: new vscode.Range(start, start), preview: false });
  editor.revealRange(lineRange(at), vscode.TextEditorRevealType.InCenterIfOutsideViewport);
}

/** Shows the location in a preview editor with its range selected, keeping focus where it is (in a QuickPick). */
export async function previewLocation(at: CodeLocation): Promise<void> {
  await vscode.window.showTextDocument(locationUri(at), { selection: lineRange(at), preview: true, preserveFocus: true });
}

/**
 * A QuickPick item: kind icon and name; container and `path:line`; the first line of code.
 * `alwaysShow` keeps an engine-ranked list from being filtered again by the QuickPick.
 */
export function hitItem(hit: FolderHit, folderLabel: string | undefined, alwaysShow: boolean): HitItem {
  const where = `${folderLabel ? `${folderLabel}/` : ''}${hit.path}:${hit.startLine}`;
  return {
    hit,
    label: `$(${kindIcon(hit.kind)}) ${hit.name}`,
    description: hit.container ? `${hit.container} · ${where}` : where,
    detail: (hit.snippet || hit.signature).trim(),
    alwaysShow,
  };
}

/** A location from untrusted input (a command link's argument), or undefined. */
export function parseLocation(value: unknown): CodeLocation | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  const line = (n: unknown) => typeof n === 'number' && Number.isInteger(n) && n >= 1;
  if (typeof v.root !== 'string' || typeof v.path !== 'string' || !line(v.startLine) || !line(v.endLine)) return undefined;
  return { root: v.root, path: v.path, startLine: v.startLine as number, endLine: v.endLine as number };
}
