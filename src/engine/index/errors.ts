/**
 * Errors raised when stored index data cannot be used. Both mean the same thing to the engine:
 * discard the stored index and rebuild it from the source files, which is what the messages
 * promise the user.
 */
import { join } from 'node:path';
import { errnoCode } from '../files/regular-file';

export { errnoCode };

/** Stored index data is missing, truncated, fails its checksum or is otherwise inconsistent. */
export class IndexCorruptError extends Error {
  override readonly name: string = 'IndexCorruptError';

  /**
   * @param reason what is wrong, e.g. `vectors.bin checksum mismatch`
   * @param dir the index directory, when known
   */
  constructor(
    readonly reason: string,
    readonly dir?: string,
    message = `${describeIndex(dir)} is damaged (${reason}); it will be rebuilt`,
  ) {
    super(message);
  }
}

/**
 * Stored index data was written in a format version this code does not read.
 * A subclass of {@link IndexCorruptError} so that one `catch` handles both.
 */
export class IndexVersionError extends IndexCorruptError {
  override readonly name: string = 'IndexVersionError';

  constructor(
    readonly found: unknown,
    readonly expected: number,
    dir?: string,
  ) {
    super(
      `format version ${String(found)}, expected ${expected}`,
      dir,
      `${describeIndex(dir)} was written in format version ${String(found)}, this version reads ${expected}; it will be rebuilt`,
    );
  }
}

function describeIndex(dir: string | undefined): string {
  return dir === undefined ? 'the index' : `index at ${dir}`;
}

/**
 * The index folder cannot be used as asked, and rebuilding would not help: it holds other
 * files, another folder's index, or something that is not a file where an index file belongs.
 * The message says what to do; nothing in the folder has been changed.
 */
export class IndexFolderError extends Error {
  override readonly name: string = 'IndexFolderError';

  constructor(
    readonly dir: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * This process cannot update the index: another process holds its lock (`heldBy`), or the
 * folder cannot be written (`cause`: an errno code such as EROFS). What is saved can still be read.
 */
export class IndexNotWritableError extends Error {
  override readonly name: string = 'IndexNotWritableError';

  constructor(
    readonly dir: string,
    readonly reason: LockHeld | { cause: string },
    message = notWritableMessage(dir, reason),
  ) {
    super(message);
  }
}

/** A save failed (a full disk, say); the previous index is unchanged and any partial files are gone. */
export class IndexWriteError extends Error {
  override readonly name: string = 'IndexWriteError';

  /**
   * @param failure the errno code of the failed write (ENOSPC, EROFS, …)
   * @param detail the cause in words
   */
  constructor(
    readonly dir: string,
    readonly failure: string | undefined,
    detail: string,
  ) {
    super(`cannot save the index at ${dir}: ${detail}; the previous index is unchanged`);
  }
}

/** Something other than a regular file (a folder, a named pipe, …) is where a file was expected. */
export class NotAFileError extends Error {
  override readonly name: string = 'NotAFileError';

  constructor(
    readonly filePath: string,
    readonly kind: string,
  ) {
    super(`${filePath} is a ${kind}, not a file`);
  }
}

/** Errno codes that mean "this folder cannot be written", and what they mean in words. */
const WRITE_FAILURES = new Map<string, string>([
  ['ENOSPC', 'the disk is full'],
  ['EDQUOT', 'the disk quota is used up'],
  ['EFBIG', 'a file would exceed the size limit'],
  ['EROFS', 'the file system is read-only'],
  ['EACCES', 'permission denied'],
  ['EPERM', 'permission denied'],
  ['EIO', 'an input/output error'],
]);

/** The words for an errno code that stops writes (ENOSPC, EROFS, …), or undefined for other errors. */
export function writeFailure(error: unknown): { code: string; words: string } | undefined {
  const code = errnoCode(error);
  const words = code === undefined ? undefined : WRITE_FAILURES.get(code);
  return code !== undefined && words !== undefined ? { code, words } : undefined;
}


function notWritableMessage(dir: string, reason: LockHeld | { cause: string }): string {
  if ('heldBy' in reason) {
    return (
      `${holderInWords(reason)} is updating the index at ${dir}; ` +
      `try again when it has finished (if none is running, delete ${join(dir, 'index.lock')})`
    );
  }
  const words = WRITE_FAILURES.get(reason.cause) ?? 'it cannot be written';
  return `cannot update the index at ${dir}: ${words} (${reason.cause})`;
}

/** Who holds an index's lock, as lock.ts `IndexLock.acquire` reports it. */
export interface LockHeld {
  /** the holder's pid (0 when the lock file cannot be read: see `unreadable`) */
  heldBy: number;
  /** the host the holder runs on, when it is not this one */
  host?: string;
  /**
   * The lock file names no holder and is only seconds old: damaged from outside, or left by an
   * older version (a lock is linked into place complete). It is held until it is a few seconds
   * old, then taken over.
   */
  unreadable?: true;
}

/** Who holds an index's lock, in words: "another Code Scout process (pid N[ on HOST])". */
export function holderInWords(held: LockHeld): string {
  if (held.unreadable) return 'another Code Scout process (its lock file, seconds old, names none)';
  return `another Code Scout process (pid ${held.heldBy}${held.host === undefined ? '' : ` on ${held.host}`})`;
}
