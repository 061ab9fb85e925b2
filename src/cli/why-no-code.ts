import { lstatSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type { Engine } from '../engine/engine';
import { scanWorkspace } from '../engine/files/scan';
import { errnoCode } from '../engine/files/regular-file';
import { typedRelPath } from '../engine/paths';
import type { SkipReason } from '../engine/types';

/** Reasons a file is skipped (engine's SkipReason), in words: every reason has its words (the type says so). */
const SKIP_WORDS_BY_REASON: { readonly [R in SkipReason]: string } = {
  'excluded-dir': 'it is in a folder that is never indexed',
  unsupported: 'it is not a kind of file that is indexed',
  binary: 'it is a binary file',
  'too-large': 'it is larger than the size limit (--max-file-bytes)',
  minified: 'it is minified code',
  generated: 'it is generated code',
  'not-utf8': 'it is not UTF-8 text',
  unreadable: 'it cannot be read',
  special: 'it is a named pipe, socket or device, never opened',
  'not-utf8-name': 'its name, or a folder\'s on its path, is not valid UTF-8',
  'outside-workspace': 'it is a symbolic link to a place outside the folder, not followed',
  duplicate: 'it is a symbolic link to a file or folder indexed under its own path',
  'symlink-loop': 'it is in a symbolic link loop',
  'parse-error': 'it could not be parsed',
};
/** The same, by a reason read from the index (a string: a Map, never a plain object's keys). */
const SKIP_WORDS = new Map<string, string>(Object.entries(SKIP_WORDS_BY_REASON));

/** The most line ranges the error lists. */
const MAX_RANGES_SHOWN = 6;

/**
 * Why `related` found no indexed code at `path:line` of the engine's folder, as the end of the
 * sentence `no indexed code at path:line: …`: a file that does not exist, a folder, a file the
 * index skipped (with the reason), a file the ignore rules leave out, a line past the end, or a
 * line outside the file's indexed code (with the lines that hold it). Undefined when the index
 * does not hold the file for none of these reasons (it changed since, say).
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
    // nothing at all by that name: no need to ask what the scan recorded, unless the name holds
    // U+FFFD, as a name that is not valid UTF-8 reads on a command line (the scan lists it so)
    if ((code === 'ENOENT' || code === 'ENOTDIR') && !entryExists(abs) && !rel.includes('\uFFFD')) return `there is no such file in ${engine.root}`;
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
  const indexed = engine.indexedLinesOf(rel);
  // the index holds code at that line (asked of another path than the one looked up, say): nothing more to say
  if (indexed === undefined || indexed.some((r) => r.startLine <= line && line <= r.endLine)) return undefined;
  if (indexed.length === 0) return 'the file is indexed but holds no code to relate (no definition, and no text in chunks)';
  const shown = indexed.slice(0, MAX_RANGES_SHOWN).map((r) => (r.startLine === r.endLine ? `${r.startLine}` : `${r.startLine}-${r.endLine}`));
  const more = indexed.length > MAX_RANGES_SHOWN ? `, and ${indexed.length - MAX_RANGES_SHOWN} more` : '';
  return `the line is outside the file's indexed code, which is at line${indexed.length === 1 && indexed[0].startLine === indexed[0].endLine ? '' : 's'} ${shown.join(', ')}${more}`;
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
