import ignore, { type Ignore } from 'ignore';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

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
 */

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
  ) {}

  /** Rules for the workspace root: defaults, .git/info/exclude, and the root's own ignore files. */
  static async forRoot(rootAbs: string): Promise<IgnoreRules> {
    const base: Layer[] = [{ kind: 'default', base: '', rules: ignore().add(DEFAULT_EXCLUDED_DIRS) }];
    const exclude = await readPatterns(join(rootAbs, '.git', 'info', 'exclude'));
    if (exclude) base.push({ kind: 'exclude', base: '', rules: ignore().add(exclude) });
    return new IgnoreRules(base, base.map(() => false)).withFolderFiles(rootAbs, '');
  }

  /** Decide one entry of this folder. `relPath` is root-relative POSIX; folders are tested with a trailing slash. */
  test(relPath: string, isDir: boolean): Verdict {
    let verdict: Verdict = { ignored: false };
    this.layers.forEach((layer, i) => {
      if (this.excludedBy[i]) return; // this layer already excluded the folder; a later layer re-included it
      const r = layer.rules.test(relativeTo(layer.base, relPath) + (isDir ? '/' : ''));
      if (r.ignored) verdict = { ignored: true, by: layer.kind };
      else if (r.unignored) verdict = { ignored: false, by: layer.kind };
    });
    return verdict;
  }

  /** The rules inside subfolder `relDir` (which must not be ignored), including its own ignore files. */
  async child(absDir: string, relDir: string): Promise<IgnoreRules> {
    const excludedBy = this.layers.map(
      (layer, i) => this.excludedBy[i] || layer.rules.test(relativeTo(layer.base, relDir) + '/').ignored,
    );
    return new IgnoreRules(this.layers, excludedBy).withFolderFiles(absDir, relDir);
  }

  private async withFolderFiles(absDir: string, relDir: string): Promise<IgnoreRules> {
    const [gitignore, scoutignore] = await Promise.all([
      readPatterns(join(absDir, '.gitignore')),
      readPatterns(join(absDir, '.codescoutignore')),
    ]);
    if (!gitignore && !scoutignore) return this;
    const layers = [...this.layers];
    const excludedBy = [...this.excludedBy];
    // Keep all .gitignore layers below all .codescoutignore layers.
    const firstScout = layers.findIndex((l) => l.kind === 'codescoutignore');
    const gitAt = firstScout === -1 ? layers.length : firstScout;
    if (gitignore) {
      layers.splice(gitAt, 0, { kind: 'gitignore', base: relDir, rules: ignore().add(gitignore) });
      excludedBy.splice(gitAt, 0, false);
    }
    if (scoutignore) {
      layers.push({ kind: 'codescoutignore', base: relDir, rules: ignore().add(scoutignore) });
      excludedBy.push(false);
    }
    return new IgnoreRules(layers, excludedBy);
  }
}

function relativeTo(base: string, relPath: string): string {
  return base === '' ? relPath : relPath.slice(base.length + 1);
}

/** An ignore file's text, or undefined when it does not exist or cannot be read. */
async function readPatterns(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}
