/**
 * The filters of a search (`--path` globs, `--lang` names): checking them before searching, and
 * saying why a filtered search found nothing. A malformed glob is an error that names it, not a
 * pattern that quietly matches nothing; an empty answer says whether the path filter, the language
 * filter or only both together left nothing.
 */
import picomatch from 'picomatch';
import { GLOB_OPTIONS } from '../files/globs';

const PAIRS = new Map([
  ['[', ']'],
  ['{', '}'],
  ['(', ')'],
]);

/** Longest path glob (a regular expression made from a much longer one may not compile). */
export const MAX_GLOB_CHARS = 1000;

/**
 * The most wildcards one folder or file name of a glob may hold: a run of `*` counts once, and so
 * does an extglob group (`+(…)`, `*(…)`, `?(…)`, `@(…)`, `!(…)`).
 * picomatch's regular expression backtracks: each `*` in a name multiplies the work of matching a
 * long name that almost matches, so that `*a*a*a*a*a*b` took 24 s on one name of 200 characters and
 * a search with it never ended. With 3, such a name takes about a millisecond at worst.
 */
export const MAX_WILDCARDS_PER_NAME = 3;

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
export function pathGlobProblem(given: string): string | undefined {
  if (given === '') return "is empty; give a glob such as 'src/**'";
  const glob = negatedGlob(given) ?? given;
  if (glob === '') return "leaves out nothing: give a glob after the '!', such as '!src/gen/**'";
  if (isAbsoluteGlob(glob)) return 'is not relative to the folder';
  if (glob.length > MAX_GLOB_CHARS) return `is ${glob.length} characters long; the limit is ${MAX_GLOB_CHARS}`;
  // picomatch takes a '}' that nothing opened as a literal one, where it refuses a lone ']' or ')'
  if (hasUnopenedBrace(glob)) return "is not a valid glob: a '}' has no opening '{' (write \\} for a literal '}')";
  for (const name of glob.split('/')) {
    // a run of '*' (an escaped '\*' is a literal one), and an extglob group that repeats or may be
    // left out ('+(…)', '*(…)', '?(…)', '@(…)', '!(…)'), each multiply the work as one '*' does
    const unescaped = name.replace(/\\./g, '');
    const wildcards = (unescaped.match(/[+?@!]\(|\*+/g) ?? []).length;
    if (wildcards > MAX_WILDCARDS_PER_NAME) {
      return `has ${wildcards} wildcards in one name ("${name}"); at most ${MAX_WILDCARDS_PER_NAME} are allowed (a run of '*' and an extglob group count one each), as each more multiplies the work of matching`;
    }
  }
  try {
    // strictBrackets and debug make picomatch throw where it would otherwise match nothing;
    // JavaScript compiles a regular expression when it first runs it.
    picomatch.makeRe(glob, { ...GLOB_OPTIONS, strictBrackets: true, debug: true }).test('src/a.ts');
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

/** Whether `glob` has a '}' that no '{' opened, outside classes (`[}]`), extglobs (`@(a|})`) and escapes. */
function hasUnopenedBrace(glob: string): boolean {
  let braces = 0;
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '\\') i++;
    else if (c === '[') i = closingOf(glob, i, ']');
    else if (c === '(') i = closingOf(glob, i, ')');
    else if (c === '{') braces++;
    else if (c === '}' && --braces < 0) return true;
  }
  return false;
}

/**
 * The index of what closes the class or group that opens at `open` (skipping escapes, nested
 * groups, and a ']' that comes first in a class, after any '!' or '^'); `open` when nothing does.
 */
function closingOf(glob: string, open: number, close: ']' | ')'): number {
  let j = open + 1;
  if (close === ']') {
    if (glob[j] === '!' || glob[j] === '^') j++;
    if (glob[j] === ']') j++;
  }
  for (let depth = 1; j < glob.length; j++) {
    if (glob[j] === '\\') j++;
    else if (close === ')' && glob[j] === '(') depth++;
    else if (glob[j] === close && --depth === 0) return j;
  }
  return open;
}

/**
 * The glob a path filter leaves out when it starts with `!` (`!src/gen/**`), as a .gitignore
 * negation reads; undefined for any other. `!(…)` is an extglob group (every name but those), not
 * a negation, and `\!` a literal `!`.
 */
export function negatedGlob(glob: string): string | undefined {
  return glob.startsWith('!') && !glob.startsWith('!(') ? glob.slice(1) : undefined;
}

/**
 * The test of a path filter's globs: a path passes when it matches one of the globs that are not
 * negations (any path, when all are) and none of the negations ({@link negatedGlob}): `src/**` with
 * `!src/gen/**` is everything in src/ but src/gen/.
 */
export function pathFilter(globs: readonly string[]): (path: string) => boolean {
  const kept = globs.filter((g) => negatedGlob(g) === undefined);
  const left = globs.map(negatedGlob).filter((g): g is string => g !== undefined);
  const keeps = kept.length ? picomatch(kept, GLOB_OPTIONS) : () => true;
  const leaves = left.length ? picomatch(left, GLOB_OPTIONS) : () => false;
  return (path) => keeps(path) && !leaves(path);
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

/**
 * Why a search found nothing when its filters are why ({@link EmptyBecause}), as a sentence for
 * the sidebar and for agents alike; undefined for any other reason. `globs` and `languages` are
 * the filters as the user gave them, quoted and made safe to show by the caller.
 */
export function emptyBecauseSentence(because: EmptyBecause | undefined, globs: string, languages: string): string | undefined {
  switch (because) {
    case 'path':
      return `No indexed file matches the path filter ${globs}.`;
    case 'language':
      return `No indexed code is in ${languages}.`;
    case 'filters':
      return `The filters exclude everything: no indexed code in ${languages} matches the path filter ${globs}.`;
    default:
      return undefined;
  }
}
