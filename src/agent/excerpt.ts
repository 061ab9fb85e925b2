/**
 * A few lines of a result's code, read from its file when the answer is made, so that an agent
 * can judge a result without opening the file. The index keeps one line per chunk (its
 * signature); these lines are the start of the definition as it is on disk now.
 */
import { readFile, realpath, stat } from 'node:fs/promises';
import * as nodePath from 'node:path';

/** Files larger than this are not read for an excerpt (the index skips larger ones by default). */
const MAX_FILE_BYTES = 4 * 1024 * 1024;
/** Longest excerpt line; longer lines end in `…` (minified code, data tables). */
export const MAX_LINE_CHARS = 160;

/**
 * Lines `startLine`… of `root/path` (1-based, at most `maxLines`, not past `endLine`), with their
 * common indentation removed and trailing blank lines dropped; `undefined` when the file cannot
 * be read, is too large, is no longer inside `root` (a link out of it), or no longer has those lines.
 */
export async function readExcerpt(root: string, path: string, startLine: number, endLine: number, maxLines: number): Promise<string[] | undefined> {
  if (maxLines <= 0) return undefined;
  try {
    // the file as it is now: a link that leads out of the folder (a file replaced by one since it
    // was indexed) is not followed, as the index's scan does not follow it
    const rootReal = await realpath(root);
    const file = await realpath(nodePath.join(root, ...path.split('/')));
    if (!file.startsWith(rootReal.endsWith(nodePath.sep) ? rootReal : rootReal + nodePath.sep)) return undefined;
    const info = await stat(file);
    if (!info.isFile() || info.size > MAX_FILE_BYTES) return undefined;
    const text = await readFile(file, 'utf8');
    const lines = text.split(/\r\n|\r|\n/).slice(startLine - 1, Math.min(endLine, startLine - 1 + maxLines));
    while (lines.length && lines[lines.length - 1].trim() === '') lines.pop();
    if (lines.length === 0) return undefined;
    return dedent(lines).map(cutLine);
  } catch {
    return undefined;
  }
}

function dedent(lines: string[]): string[] {
  const indents = lines.filter((l) => l.trim() !== '').map((l) => /^[ \t]*/.exec(l)![0].length);
  const common = indents.length ? Math.min(...indents) : 0;
  return lines.map((l) => l.slice(Math.min(common, /^[ \t]*/.exec(l)![0].length)).replace(/\s+$/, ''));
}

function cutLine(line: string): string {
  if (line.length <= MAX_LINE_CHARS) return line;
  let end = MAX_LINE_CHARS - 1;
  if (/[\ud800-\udbff]/.test(line.charAt(end - 1))) end--;
  return `${line.slice(0, end)}…`;
}
