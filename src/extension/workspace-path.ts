/**
 * The one check before the extension opens or previews a place (palette search, sidebar,
 * related code, hover links, the `codescout.internal.openLocation` command): a location from
 * the engine or from a command's argument is opened only when its root is a folder of the
 * workspace and its path names a file inside that folder: not absolute, no `..`, and, once
 * symbolic links are resolved, still inside the folder.
 */
import { realpath } from 'node:fs/promises';
import * as path from 'node:path';
import { oneLine } from './display-text';
import { ownFields } from '../engine/own-fields';

/** A place in the workspace: what hovers' command links, the palette and the sidebar open. */
export interface CodeLocation {
  root: string;
  /** root-relative POSIX path */
  path: string;
  /** 1-based */
  startLine: number;
  endLine: number;
}

/** The file to open, or why it is refused (a sentence for the user). */
export type Checked = { file: string } | { refused: string };

/** Longest path accepted (Linux's PATH_MAX). */
const MAX_PATH = 4096;

/** A location from untrusted input (a command link's argument), or undefined. */
export function parseLocation(value: unknown): CodeLocation | undefined {
  const field = ownFields(value);
  if (!field) return undefined;
  const v = { root: field('root'), path: field('path'), startLine: field('startLine'), endLine: field('endLine') };
  if (typeof v.root !== 'string' || typeof v.path !== 'string' || !isLine(v.startLine) || !isLine(v.endLine)) return undefined;
  return { root: v.root, path: v.path, startLine: v.startLine, endLine: v.endLine };
}

function isLine(n: unknown): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 1;
}

/**
 * The file `at` names when it lies inside one of `roots` (the workspace folders), judged from
 * the text alone; `resolveLocation` also follows symbolic links.
 */
export function checkLocation(at: CodeLocation, roots: readonly string[]): Checked {
  const shown = `“${oneLine(String(at.path)).slice(0, 200)}”`;
  if (typeof at.root !== 'string' || !roots.includes(at.root)) return { refused: `${shown} is not in a folder of this workspace.` };
  if (!isLine(at.startLine) || !isLine(at.endLine)) return { refused: `${shown} has no valid line numbers.` };
  const p = at.path;
  if (typeof p !== 'string' || p === '' || p.length > MAX_PATH || p.includes('\0')) return { refused: `${shown} is not a valid path.` };
  if (p.startsWith('/') || path.isAbsolute(p)) return { refused: `${shown} is an absolute path, not one inside the workspace folder.` };
  const segments = p.split(path.sep === '\\' ? /[\\/]/ : '/');
  if (segments.includes('..')) return { refused: `${shown} leads outside the workspace folder.` };
  const file = path.join(at.root, ...segments);
  if (!isInside(at.root, file)) return { refused: `${shown} leads outside the workspace folder.` };
  return { file };
}

/**
 * `checkLocation`, then the same check on the real paths (symbolic links resolved): a link
 * inside the folder that points out of it is refused, and so is a file that no longer exists.
 */
export async function resolveLocation(at: CodeLocation, roots: readonly string[]): Promise<Checked> {
  const checked = checkLocation(at, roots);
  if (!('file' in checked)) return checked;
  const shown = `“${oneLine(at.path).slice(0, 200)}”`;
  let real: [string, string];
  try {
    real = await Promise.all([realpath(at.root), realpath(checked.file)]);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { refused: code === 'ENOENT' || code === 'ENOTDIR' ? `${shown} no longer exists.` : `${shown} cannot be read (${code ?? (err as Error).message}).` };
  }
  const [realRoot, realFile] = real;
  if (!isInside(realRoot, realFile)) return { refused: `${shown} is a link to a place outside the workspace folder.` };
  return checked;
}

/** Whether `file` is strictly inside the folder `root`. */
function isInside(root: string, file: string): boolean {
  const rel = path.relative(root, file);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel);
}
