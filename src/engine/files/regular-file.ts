import { closeSync, constants, fstatSync, lstatSync, openSync, readFileSync, statSync, type Stats } from 'node:fs';

/**
 * Reading files that the workspace, not the user, put there. Only regular files are ever opened:
 * opening a FIFO blocks until a writer comes (forever, and Ctrl-C cannot end a blocked open), and
 * opening a device can have side effects. So the path is stat-ed first, opened non-blocking, and
 * the open file is checked again (the path may have been swapped in between).
 */

/**
 * What a file-system entry is, in words ('named pipe', 'socket', 'character device', 'folder', …),
 * for messages about an entry that is not the regular file expected; takes a Stats or a Dirent.
 */
export function specialKind(info: Pick<Stats, 'isFile' | 'isFIFO' | 'isSocket' | 'isCharacterDevice' | 'isBlockDevice' | 'isDirectory' | 'isSymbolicLink'>): string {
  if (info.isFIFO()) return 'named pipe';
  if (info.isSocket()) return 'socket';
  if (info.isCharacterDevice()) return 'character device';
  if (info.isBlockDevice()) return 'block device';
  if (info.isDirectory()) return 'folder';
  if (info.isSymbolicLink()) return 'symbolic link';
  return info.isFile() ? 'file' : 'not a regular file';
}

export type RegularRead =
  | { bytes: Buffer }
  /** the path is not a regular file: what it is instead */
  | { notRegular: string }
  /** the file is larger than the limit asked for (its size in bytes, as found): not read, or not kept */
  | { tooLarge: number }
  /** the path does not exist */
  | { missing: true }
  /** reading failed: the error code (EACCES, EIO, …) */
  | { error: string };

/** Opened without blocking on a FIFO (harmless for regular files); O_NONBLOCK does not exist on Windows. */
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);
const NO_FOLLOW = constants.O_NOFOLLOW ?? 0;

/**
 * The bytes of `path` when it is a regular file. `followLinks: false` reads a symbolic link as
 * what it is (not regular), the way git reads in-tree .gitignore files. `maxBytes`: a file larger
 * than this when it is opened (it may have grown since the scan that let it through) is not read.
 *
 * Synchronous, as the scan's listing is (scan.ts): a file is at most a few MB (the size limit),
 * read in about a millisecond, while each of the five steps through libuv's threads cost a
 * round trip; reading 8,000 files so took 3–4 s of a thread's time on a 2-core machine.
 */
export function readRegularFile(path: string, followLinks: boolean, maxBytes = Infinity): RegularRead {
  let before: Stats;
  try {
    before = followLinks ? statSync(path) : lstatSync(path);
  } catch (err) {
    const code = errorCode(err);
    return code === 'ENOENT' || code === 'ENOTDIR' ? { missing: true } : { error: code };
  }
  if (!before.isFile()) return { notRegular: specialKind(before) };
  let fd: number;
  try {
    fd = openSync(path, OPEN_FLAGS | (followLinks ? 0 : NO_FOLLOW));
  } catch (err) {
    const code = errorCode(err);
    if (code === 'ELOOP') return { notRegular: 'symbolic link' }; // swapped for a link after the lstat
    return code === 'ENOENT' ? { missing: true } : { error: code };
  }
  try {
    const now = fstatSync(fd);
    if (!now.isFile()) return { notRegular: specialKind(now) }; // swapped for a FIFO or device after the stat
    if (now.size > maxBytes) return { tooLarge: now.size };
    const bytes = readFileSync(fd);
    // still growing as it was read
    return bytes.length > maxBytes ? { tooLarge: bytes.length } : { bytes };
  } catch (err) {
    return { error: errorCode(err) };
  } finally {
    closeSync(fd);
  }
}

/** The errno code of a Node.js system error (`ENOENT`, `EACCES`, …); undefined for anything else. */
export function errnoCode(error: unknown): string | undefined {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : undefined;
}

/** The errno code of `err`, or the error itself as text when it has none: a skip's detail. */
export function errorCode(err: unknown): string {
  return errnoCode(err) ?? String(err);
}
