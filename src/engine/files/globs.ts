/**
 * How every path glob of Code Scout is matched (picomatch): the `--path` filters of a search and
 * the include and exclude settings of a scan, so that one glob means the same everywhere.
 *
 * - `dot`: `*` and `**` match names that start with a dot, as a path filter is expected to.
 * - `posix`: `[!abc]` is a negated class, as in git's and the shell's globs (without it picomatch
 *   reads the `!` as one of the class's characters, and `[!s]*` matched what it should exclude);
 *   POSIX classes such as `[[:alpha:]]` work too.
 */
export const GLOB_OPTIONS = Object.freeze({ dot: true, posix: true });
