import ignore, { type Ignore } from 'ignore';
import { join } from 'node:path';
import { readRegularFile } from './regular-file';

/**
 * Layered ignore rules, evaluated the way git does, with one extra layer on top.
 *
 * Precedence, lowest first:
 *   1. built-in defaults (dependency folders, VCS folders, build output);
 *   2. `.git/info/exclude`;
 *   3. `.gitignore` files, from the root down to the entry's own folder;
 *   4. `.codescoutignore` files, from the root down — these win over everything else,
 *      so `!dist/` in `.codescoutignore` brings back a folder that `.gitignore` excludes.
 *
 * Within a layer the last matching pattern wins (the `ignore` package implements git's
 * pattern syntax). As in git, a file cannot be re-included while its folder is excluded:
 * re-include the folder first (`!build/`), then exclude what you do not want.
 *
 * Ignore files are read the way git reads them: only regular files, and an in-tree `.gitignore`
 * or `.codescoutignore` that is a symbolic link is not followed. One that exists but cannot be
 * read is listed in {@link IgnoreRules.problems}, so the scan can report it.
 */

/**
 * Whether patterns match regardless of case. Git decides this per repository (core.ignorecase,
 * set when the filesystem is case-insensitive); the platform default is the same guess git makes
 * on a fresh clone. (The `ignore` package on its own ignores case everywhere, unlike git on Linux.)
 */
export const IGNORE_CASE = process.platform === 'darwin' || process.platform === 'win32';

/** An ignore file that exists but was not read (its patterns are not applied). */
export interface IgnoreFileProblem {
  /** root-relative POSIX path of the ignore file */
  path: string;
  /** what is wrong, in words or as an error code */
  detail: string;
  /** true when it is a FIFO, socket or device rather than an unreadable regular file */
  special: boolean;
}

/** Folders nobody wants searched, unless a .gitignore or .codescoutignore re-includes them. */
export const DEFAULT_EXCLUDED_DIRS = [
  'node_modules/',
  'bower_components/',
  'vendor/',
  '.hg/',
  '.svn/',
  'dist/',
  'out/',
  'build/',
  'target/',
  'coverage/',
  '.next/',
  '.nuxt/',
  '.gradle/',
  '.idea/',
  '.vscode-test/',
  '__pycache__/',
  '.venv/',
  'venv/',
  '.tox/',
  '.mypy_cache/',
  '.pytest_cache/',
];

export type LayerKind = 'default' | 'exclude' | 'gitignore' | 'codescoutignore';

interface Layer {
  kind: LayerKind;
  /** POSIX path of the folder the patterns are relative to ('' for the root) */
  base: string;
  rules: Ignore;
}

export interface Verdict {
  ignored: boolean;
  /** the layer that decided, if any rule matched */
  by?: LayerKind;
}

/**
 * The rules in force inside one folder. `child()` derives the rules of a subfolder;
 * the per-layer "this layer excludes the folder" flags implement git's rule that an
 * excluded folder's contents are excluded by that same layer.
 */
export class IgnoreRules {
  private constructor(
    private readonly layers: Layer[],
    /** index-aligned with `layers`: true when that layer excludes this folder */
    private readonly excludedBy: boolean[],
    /** the ignore files of this folder (and, at the root, .git/info/exclude) that could not be read */
    readonly problems: IgnoreFileProblem[] = [],
  ) {}

  /**
   * Rules for the workspace root: defaults, .git/info/exclude, and the root's own ignore files.
   * `present` says which names the folder holds, when the caller has listed it: an ignore file
   * that is not there is not looked for.
   */
  static async forRoot(rootAbs: string, present: (name: string) => boolean = () => true): Promise<IgnoreRules> {
    const base: Layer[] = [{ kind: 'default', base: '', rules: newIgnore().add(DEFAULT_EXCLUDED_DIRS) }];
    const problems: IgnoreFileProblem[] = [];
    // .git/info/exclude lives in git's own folder, where links are git's business: follow them.
    const exclude = await readPatterns(join(rootAbs, '.git', 'info', 'exclude'), '.git/info/exclude', true, problems);
    if (exclude) base.push({ kind: 'exclude', base: '', rules: newIgnore().add(exclude) });
    return new IgnoreRules(base, base.map(() => false), problems).withFolderFiles(rootAbs, '', present);
  }

  /** Decide one entry of this folder. `relPath` is root-relative POSIX; folders are tested with a trailing slash. */
  test(relPath: string, isDir: boolean): Verdict {
    let verdict: Verdict = { ignored: false };
    this.layers.forEach((layer, i) => {
      const path = relativeTo(layer.base, relPath) + (isDir ? '/' : '');
      // A layer that excluded this folder (a later layer re-included it) still applies its patterns
      // to the folder's entries, as git does; only the "its folder is excluded" rule is undone.
      const r = this.excludedBy[i] ? ownMatch(layer.rules, path) : layer.rules.test(path);
      if (r.ignored) verdict = { ignored: true, by: layer.kind };
      else if (r.unignored) verdict = { ignored: false, by: layer.kind };
    });
    return verdict;
  }

  /**
   * {@link test} for an entry directly inside this folder, which is how a walk asks: a layer that
   * does not exclude this folder excludes none of its ancestors either (see {@link child}), so each
   * layer's patterns are matched against the path itself, without the `ignore` package's walk up
   * the path and the cache of every path it keeps. The same verdict as `test`, for a fraction of
   * the work and no allocation.
   */
  testEntry(relPath: string, isDir: boolean): Verdict {
    let verdict = NOT_IGNORED;
    for (let i = 0; i < this.layers.length; i++) {
      const layer = this.layers[i];
      const r = ownMatch(layer.rules, relativeTo(layer.base, relPath) + (isDir ? '/' : ''));
      if (r.ignored) verdict = IGNORED_BY[layer.kind];
      else if (r.unignored) verdict = KEPT_BY[layer.kind];
    }
    return verdict;
  }

  /** The rules inside subfolder `relDir` (which must not be ignored), including its own ignore files; `present` as in {@link forRoot}. */
  async child(absDir: string, relDir: string, present: (name: string) => boolean = () => true): Promise<IgnoreRules> {
    // A layer that excluded none of this folder's ancestors excludes `relDir` only by its own
    // patterns; one that excluded an ancestor stays excluding.
    const excludedBy = this.layers.map(
      (layer, i) => this.excludedBy[i] || ownMatch(layer.rules, relativeTo(layer.base, relDir) + '/').ignored,
    );
    return new IgnoreRules(this.layers, excludedBy).withFolderFiles(absDir, relDir, present);
  }

  private async withFolderFiles(absDir: string, relDir: string, present: (name: string) => boolean): Promise<IgnoreRules> {
    const problems = [...this.problems];
    const prefix = relDir ? `${relDir}/` : '';
    const read = (name: string) =>
      present(name) ? readPatterns(join(absDir, name), `${prefix}${name}`, false, problems) : Promise.resolve(undefined);
    const [gitignore, scoutignore] = await Promise.all([read('.gitignore'), read('.codescoutignore')]);
    if (!gitignore && !scoutignore) return problems.length ? new IgnoreRules(this.layers, this.excludedBy, problems) : this;
    const layers = [...this.layers];
    const excludedBy = [...this.excludedBy];
    // Keep all .gitignore layers below all .codescoutignore layers.
    const firstScout = layers.findIndex((l) => l.kind === 'codescoutignore');
    const gitAt = firstScout === -1 ? layers.length : firstScout;
    if (gitignore) {
      layers.splice(gitAt, 0, { kind: 'gitignore', base: relDir, rules: newIgnore().add(gitignore) });
      excludedBy.splice(gitAt, 0, false);
    }
    if (scoutignore) {
      layers.push({ kind: 'codescoutignore', base: relDir, rules: newIgnore().add(scoutignore) });
      excludedBy.push(false);
    }
    return new IgnoreRules(layers, excludedBy, problems);
  }
}

const NOT_IGNORED: Verdict = Object.freeze({ ignored: false });
const LAYER_KINDS: readonly LayerKind[] = ['default', 'exclude', 'gitignore', 'codescoutignore'];
const IGNORED_BY = Object.freeze(Object.fromEntries(LAYER_KINDS.map((by) => [by, Object.freeze({ ignored: true, by })]))) as Readonly<Record<LayerKind, Verdict>>;
const KEPT_BY = Object.freeze(Object.fromEntries(LAYER_KINDS.map((by) => [by, Object.freeze({ ignored: false, by })]))) as Readonly<Record<LayerKind, Verdict>>;

function relativeTo(base: string, relPath: string): string {
  return base === '' ? relPath : relPath.slice(base.length + 1);
}

/** The `ignore` package's matcher of one path, without its parent-folder check (internal; the version is pinned). */
interface IgnoreInternals {
  _rules: { test(path: string, mode: 'regex'): { ignored: boolean; unignored: boolean } };
}

/**
 * What the patterns of `rules` say about `path` itself. `Ignore.test()` also answers "ignored"
 * for anything inside a folder the patterns exclude; git matches each path on its own and gets
 * that effect by not entering an excluded folder, which matters once another layer re-includes it.
 */
function ownMatch(rules: Ignore, path: string): { ignored: boolean; unignored: boolean } {
  return (rules as unknown as IgnoreInternals)._rules.test(path, 'regex');
}

function newIgnore(): Ignore {
  return ignore({ ignorecase: IGNORE_CASE });
}

/**
 * An ignore file's text, or undefined when there is none to apply. A missing file or a folder is
 * no ignore file. A FIFO, socket or device is never opened. A read error and (with `followLinks`
 * false, for in-tree files) a symbolic link, which git does not follow either, are added to
 * `problems`; so is a FIFO, socket or device when `followLinks` is true (.git/info/exclude: the
 * scan's walk, which reports special entries of the tree itself, never enters .git).
 */
async function readPatterns(
  absPath: string,
  relPath: string,
  followLinks: boolean,
  problems: IgnoreFileProblem[],
): Promise<string | undefined> {
  const read = readRegularFile(absPath, followLinks);
  if ('bytes' in read) return read.bytes.toString('utf8');
  if ('error' in read) problems.push({ path: relPath, detail: read.error, special: false });
  else if ('notRegular' in read && read.notRegular === 'symbolic link') {
    problems.push({ path: relPath, detail: 'a symbolic link, not followed (as in git)', special: false });
  } else if ('notRegular' in read && read.notRegular !== 'directory' && followLinks) {
    problems.push({ path: relPath, detail: read.notRegular, special: true });
  }
  return undefined;
}
