/**
 * The filters of a search (`--path` globs, `--lang` names): checking them before searching, and
 * saying why a filtered search found nothing. A malformed glob is an error that names it, not a
 * pattern that quietly matches nothing; an empty answer says whether the path filter, the language
 * filter or only both together left nothing.
 */
import picomatch from 'picomatch';

const PAIRS = new Map([
  ['[', ']'],
  ['{', '}'],
  ['(', ')'],
]);

/** Longest path glob (a regular expression made from a much longer one may not compile). */
export const MAX_GLOB_CHARS = 1000;

/** A path glob that cannot be used, with the reason in words. */
export class InvalidFilterError extends Error {
  override readonly name = 'InvalidFilterError';
  constructor(
    readonly glob: string,
    readonly problem: string,
  ) {
    super(`the path filter ${JSON.stringify(glob)} ${problem}`);
  }
}

/**
 * What is wrong with a root-relative path glob, as the end of a sentence ("is not a valid glob:
 * a '[' has no closing ']' …"); undefined when it is usable.
 */
export function pathGlobProblem(glob: string): string | undefined {
  if (glob === '') return "is empty; give a glob such as 'src/**'";
  if (isAbsoluteGlob(glob)) return 'is not relative to the folder';
  if (glob.length > MAX_GLOB_CHARS) return `is ${glob.length} characters long; the limit is ${MAX_GLOB_CHARS}`;
  try {
    // strictBrackets and debug make picomatch throw where it would otherwise match nothing;
    // JavaScript compiles a regular expression when it first runs it.
    picomatch.makeRe(glob, { dot: true, strictBrackets: true, debug: true }).test('src/a.ts');
    return undefined;
  } catch (err) {
    const m = /Missing (opening|closing): "(.)"/.exec(String((err as Error).message));
    if (m) {
      const [open, close] = m[1] === 'closing' ? [[...PAIRS].find(([, c]) => c === m[2])?.[0] ?? '?', m[2]] : [m[2], PAIRS.get(m[2]) ?? '?'];
      // the unmatched character is the one to escape for a literal one
      const [missing, unmatched] = m[1] === 'closing' ? [`a '${open}' has no closing '${close}'`, open] : [`a '${close}' has no opening '${open}'`, close];
      return `is not a valid glob: ${missing} (write \\${unmatched} for a literal '${unmatched}')`;
    }
    return `is not a valid glob${glob.endsWith('\\') ? ": it ends in a '\\' that escapes nothing" : ''}`;
  }
}

/** A glob that starts at the file system's root (`/…`, `C:\…`): path filters are relative to the folder. */
export function isAbsoluteGlob(glob: string): boolean {
  return glob.startsWith('/') || /^[A-Za-z]:[\\/]/.test(glob);
}

/** Throws {@link InvalidFilterError} for the first glob that cannot be used. */
export function checkPathGlobs(globs: readonly string[] | undefined): void {
  for (const glob of globs ?? []) {
    const problem = pathGlobProblem(glob);
    if (problem) throw new InvalidFilterError(glob, problem);
  }
}

/** Why a filtered search found nothing: the path filter matches no indexed file, no indexed code is in the languages asked for, or only the two together exclude everything. */
export type EmptyBecause = 'path' | 'language' | 'filters';

/**
 * Why a search over several folders found nothing, from each folder's reason: the one reason when
 * they agree; 'filters' when each folder was emptied by a filter but not the same one (together
 * the filters exclude everything); undefined when any folder had nothing for another reason.
 */
export function mergeEmptyBecause(reasons: Iterable<EmptyBecause | undefined>): EmptyBecause | undefined {
  let merged: EmptyBecause | undefined;
  let any = false;
  for (const reason of reasons) {
    if (reason === undefined) return undefined;
    merged = !any || merged === reason ? reason : 'filters';
    any = true;
  }
  return merged;
}
