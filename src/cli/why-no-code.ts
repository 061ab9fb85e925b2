import { lstatSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type { Engine } from '../engine/engine';
import { scanWorkspace } from '../engine/files/scan';
import { errnoCode } from '../engine/files/regular-file';
import { typedRelPath } from '../engine/paths';

/** Reasons a file is skipped (engine's SkipReason), in words. */
const SKIP_WORDS = new Map<string, string>([
  ['excluded-dir', 'it is in a folder that is never indexed'],
  ['unsupported', 'it is not a kind of file that is indexed'],
  ['binary', 'it is a binary file'],
  ['too-large', 'it is larger than the size limit (--max-file-bytes)'],
  ['minified', 'it is minified code'],
  ['generated', 'it is generated code'],
  ['not-utf8', 'it is not UTF-8 text'],
  ['unreadable', 'it cannot be read'],
  ['symlink-loop', 'it is in a symbolic link loop'],
]);

/**
 * Why `related` found no indexed code at `path:line` of the engine's folder, as the end of the
 * sentence `no indexed code at path:line: …`: a file that does not exist, a folder, a file the
 * index skipped (with the reason), a file the ignore rules leave out, or a line past the end.
 * Undefined when the file is indexed and the line is simply outside every chunk.
 */
export async function whyNoCode(engine: Engine, path: string, line: number, maxFileBytes?: number): Promise<string | undefined> {
  const rel = typedRelPath(path).replace(/^(\.\/)+/, '');
  if (isAbsolute(path) || rel.split('/').includes('..')) return `the path must be relative to ${engine.root} and inside it`;
  const abs = join(engine.root, rel);
  /** why the file cannot be looked at (EACCES under a folder that cannot be read, a broken link's ENOENT, …) */
  let cannotStat: string | undefined;
  try {
    if (statSync(abs).isDirectory()) return 'it is a folder; give a file and a line';
  } catch (err) {
    const code = errnoCode(err) ?? String(err);
    // nothing at all by that name: no need to ask what the scan recorded
    if ((code === 'ENOENT' || code === 'ENOTDIR') && !entryExists(abs)) return `there is no such file in ${engine.root}`;
    cannotStat = code;
  }

  const { skipped } = await engine.status();
  const skip = skipped.find((s) => s.path === rel) ?? skipped.find((s) => rel.startsWith(`${s.path}/`));
  if (skip) {
    const words = SKIP_WORDS.get(skip.reason) ?? `it was skipped (${skip.reason})`;
    const where = skip.path === rel ? '' : ` (${skip.path})`;
    return `the file is not indexed: ${words}${where}${skip.detail ? `, ${skip.detail}` : ''}`;
  }
  if (cannotStat !== undefined) return `the file cannot be read (${cannotStat})`;
  const scan = await scanWorkspace(engine.root, { maxFileBytes });
  if (!scan.files.some((f) => f.path === rel)) {
    return 'the file is not indexed: ignore rules (.gitignore, .codescoutignore) leave it out';
  }
  const lines = lineCount(abs);
  if (lines !== undefined && line > lines) return `the file has ${lines} line${lines === 1 ? '' : 's'}`;
  return undefined;
}

/** Whether something is at `abs` (a broken link is), without following a link. */
function entryExists(abs: string): boolean {
  try {
    lstatSync(abs);
    return true;
  } catch {
    return false;
  }
}

function lineCount(abs: string): number | undefined {
  try {
    const text = readFileSync(abs, 'utf8');
    if (text === '') return 0;
    const breaks = text.match(/\r\n|\r|\n/g)?.length ?? 0;
    return /(\r\n|\r|\n)$/.test(text) ? breaks : breaks + 1;
  } catch {
    return undefined;
  }
}
