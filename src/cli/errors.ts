/**
 * How the CLI reports a failure: one line, `codescout: <cause in words>`, and an exit code
 * (docs/cli.md). A file-system error names the path and says what went wrong in words, with
 * the errno code kept at the end for searching; a bad argument is a usage error (exit 2).
 */
import { QueryTooLongError } from '../engine/search/query';
import { shortened, terminalSafe } from './terminal-text';

/** Bad usage: an unknown option, a malformed value, a missing argument. Exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;


/** errno codes in words. */
const ERRNO_WORDS = new Map<string, string>([
  ['ENOSPC', 'the disk is full'],
  ['EDQUOT', 'the disk quota is used up'],
  ['EFBIG', 'the file would be too large'],
  ['EACCES', 'permission denied'],
  ['EPERM', 'the operation is not permitted'],
  ['EROFS', 'the file system is read-only'],
  ['EISDIR', 'a folder is where a file should be'],
  ['ENOTDIR', 'a file is where a folder should be'],
  ['ENOENT', 'no such file or folder'],
  ['ELOOP', 'too many levels of symbolic links (a link loop)'],
  ['ENAMETOOLONG', 'the name is too long'],
  ['EEXIST', 'something already exists there'],
  ['ENOTEMPTY', 'the folder is not empty'],
  ['EBUSY', 'it is busy'],
  ['ETXTBSY', 'it is busy'],
  ['EMFILE', 'too many files are open'],
  ['ENFILE', 'too many files are open on this system'],
  ['EIO', 'an input/output error (a failing disk or a lost connection)'],
  ['ENXIO', 'no such device'],
  ['ENODEV', 'no such device'],
  ['EXDEV', 'it is on another file system'],
  ['EINVAL', 'the file system does not support this'],
  ['EOPNOTSUPP', 'the file system does not support this'],
  ['ENOTSUP', 'the file system does not support this'],
  ['ENOMEM', 'out of memory'],
  ['ESTALE', 'the network file handle is stale'],
  ['EAGAIN', 'the resource is temporarily unavailable'],
]);

/** An errno code in words (`permission denied` for EACCES), if it is one this module words. */
export function errnoInWords(code: string): string | undefined {
  return ERRNO_WORDS.get(code);
}

/** What a system call was doing, as the start of a sentence about `path`. */
const SYSCALL_VERBS = new Map<string, string>([
  ['open', 'cannot open'],
  ['read', 'cannot read'],
  ['write', 'cannot write'],
  ['stat', 'cannot read'],
  ['lstat', 'cannot read'],
  ['fstat', 'cannot read'],
  ['access', 'cannot use'],
  ['scandir', 'cannot list the folder'],
  ['opendir', 'cannot list the folder'],
  ['mkdir', 'cannot create the folder'],
  ['mkdtemp', 'cannot create a folder in'],
  ['rmdir', 'cannot remove the folder'],
  ['unlink', 'cannot remove'],
  ['rm', 'cannot remove'],
  ['rename', 'cannot rename'],
  ['link', 'cannot link'],
  ['symlink', 'cannot link'],
  ['copyfile', 'cannot copy'],
  ['realpath', 'cannot resolve'],
  ['readlink', 'cannot resolve'],
  ['fsync', 'cannot save'],
  ['fdatasync', 'cannot save'],
  ['ftruncate', 'cannot write'],
  ['utime', 'cannot write'],
  ['chmod', 'cannot write'],
]);

interface SystemError {
  code: string;
  syscall?: string;
  path?: string;
  dest?: string;
}

function isSystemError(err: unknown): err is SystemError {
  const e = err as Partial<SystemError> | null;
  return typeof e === 'object' && e !== null && typeof e.code === 'string' && /^E[A-Z0-9]+$/.test(e.code) && typeof e.syscall === 'string';
}

/**
 * A system error as a sentence: `cannot write /idx/vectors.bin: the disk is full (ENOSPC)`.
 * Without a path, `doing` says what was under way (`updating the index at /idx`).
 */
export function describeSystemError(err: SystemError, doing: string | undefined): string {
  const words = errnoInWords(err.code) ?? 'a system error';
  const what = `${words} (${err.code})`;
  if (err.path) {
    const verb = (err.syscall && SYSCALL_VERBS.get(err.syscall)) ?? 'cannot use';
    return `${verb} ${err.path}${err.dest ? ` → ${err.dest}` : ''}: ${what}`;
  }
  return doing ? `${doing} failed: ${what}` : `a system call (${err.syscall ?? '?'}) failed: ${what}`;
}

export interface Report {
  /** the one line to print, `codescout: …` */
  line: string;
  exitCode: number;
}

/**
 * The one-line report of `err`. `doing` says what the command was doing when it failed, for
 * errors that name no path. Errors that are neither usage errors, system errors nor the
 * engine's worded errors are bugs: they say so, and `--verbose` shows the stack.
 */
export function report(err: unknown, doing?: string): Report {
  if (err instanceof UsageError) {
    return { line: oneLine(`${err.message} (see 'codescout --help')`), exitCode: EXIT_USAGE };
  }
  // the engine's word that the input was unacceptable rather than that something failed
  if (err instanceof QueryTooLongError) {
    return { line: oneLine(err.message), exitCode: EXIT_USAGE };
  }
  if (isSystemError(err)) return { line: oneLine(describeSystemError(err, doing)), exitCode: EXIT_FAILURE };
  if (isProgrammingError(err)) {
    return { line: oneLine(`internal error: ${err.message} (a bug; --verbose shows where)`), exitCode: EXIT_FAILURE };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { line: oneLine(message || 'failed, with no message'), exitCode: EXIT_FAILURE };
}

/** JavaScript's own errors (a property of undefined, a bad argument to a built-in): a bug, not a cause. */
function isProgrammingError(err: unknown): err is Error {
  if (!(err instanceof Error)) return false;
  if (err instanceof TypeError || err instanceof ReferenceError || err instanceof SyntaxError || err instanceof RangeError) return true;
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && code.startsWith('ERR_');
}

/** `codescout: message` on one line, terminal-safe and not absurdly long. */
export function oneLine(message: string): string {
  return `codescout: ${shortened(terminalSafe(message), 2000)}`;
}

/** A value from the command line, quoted in a message: safe, and shortened when long. */
export function quoted(value: string): string {
  return `'${shortened(terminalSafe(value))}'`;
}
