/**
 * A few lines of a result's code, read from its file when the answer is made, so that an agent
 * can judge a result without opening the file. The index keeps one line per chunk (its
 * signature); these lines are the start of the definition as it is on disk now.
 */
import { readFile, realpath, stat } from 'node:fs/promises';
import * as nodePath from 'node:path';
import { cutLine, dedent } from '../engine/text/preview';

export { MAX_LINE_CHARS } from '../engine/text/preview';

/** Files larger than this are not read for an excerpt (the index skips larger ones by default). */
const MAX_FILE_BYTES = 4 * 1024 * 1024;

/**
 * Lines `startLine`… of `root/path` (1-based, at most `maxLines`, not past `endLine`), with their
 * common indentation removed and trailing blank lines dropped; `undefined` when the file cannot
 * be read, is too large, is no longer inside `root` (a link out of it), or no longer has those lines.
 */
export async function readExcerpt(root: string, path: string, startLine: number, endLine: number, maxLines: number): Promise<string[] | undefined> {
  if (maxLines <= 0) return undefined;
  const lines = await readLines(root, path, startLine, Math.min(endLine, startLine - 1 + maxLines));
  if (!lines) return undefined;
  while (lines.length && lines[lines.length - 1].trim() === '') lines.pop();
  if (lines.length === 0) return undefined;
  return dedent(lines).map(cutLine);
}

/**
 * Lines `startLine`…`endLine` (1-based, inclusive) of `root/path` as they are on disk now, as they
 * are (no line cut, no indentation removed); `undefined` when the file cannot be read, is too large,
 * is no longer inside `root` (a link out of it), or no longer has line `startLine`.
 */
export async function readLines(root: string, path: string, startLine: number, endLine: number): Promise<string[] | undefined> {
  try {
    // the file as it is now: a link that leads out of the folder (a file replaced by one since it
    // was indexed) is not followed, as the index's scan does not follow it
    const rootReal = await realpath(root);
    const file = await realpath(nodePath.join(root, ...path.split('/')));
    if (!file.startsWith(rootReal.endsWith(nodePath.sep) ? rootReal : rootReal + nodePath.sep)) return undefined;
    const info = await stat(file);
    if (!info.isFile() || info.size > MAX_FILE_BYTES) return undefined;
    const text = await readFile(file, 'utf8');
    const lines = text.split(/\r\n|\r|\n/).slice(startLine - 1, endLine);
    return lines.length ? lines : undefined;
  } catch {
    return undefined;
  }
}

