/**
 * What a full scan would say about a few paths, without walking the workspace: the refresh after
 * a file was saved looks at that file, not at every file of the folder (a scan of 8,000 files
 * takes a quarter of a second on a 2-core machine, more than the rest of re-indexing one file).
 *
 * It answers only the cases it can answer exactly as {@link scanWorkspace} would: a regular file
 * that the scan would take, and a path the scan would not take without reporting it (gone, left
 * out by ignore rules or globs, a dotfile, inside `.git`). Anything else — an ignore file, a
 * folder, a symbolic link on the way, a file the scan would report as skipped (too large, of an
 * unsupported type, special), an unreadable ignore file or folder — returns undefined, and the
 * caller scans the whole folder.
 */
import { lstatSync, readdirSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import picomatch from 'picomatch';
import { GLOB_OPTIONS } from './globs';
import { DEFAULT_MAX_FILE_BYTES } from '../types';
import { IgnoreRules } from './ignore-rules';
import type { ScannedFile, ScanOptions } from './scan';
import { isIndexableName } from './text-files';

/** The scan's verdict on the paths asked about. */
export interface PathsScan {
  /** the paths the scan would take, with their size and modification time */
  files: ScannedFile[];
  /** the paths it would not take (missing, or left out without a report): whatever the index holds at or under them goes */
  gone: string[];
}

/** Names whose change alters which files are taken: a full scan decides. */
const RULE_FILES = new Set(['.gitignore', '.codescoutignore']);
/** git's own exclude file, read as rules at the root. */
const GIT_EXCLUDE = '.git/info/exclude';

/**
 * The scan's verdict on root-relative POSIX paths, or undefined when only a full scan can give it
 * (see the module comment). `rootAbs` is the workspace folder, as given to `scanWorkspace`.
 */
export async function scanPaths(rootAbs: string, paths: readonly string[], options: Omit<ScanOptions, 'signal'> = {}): Promise<PathsScan | undefined> {
  const maxBytes = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  const include = options.include?.length ? picomatch(options.include, GLOB_OPTIONS) : undefined;
  const exclude = options.exclude?.length ? picomatch(options.exclude, GLOB_OPTIONS) : undefined;
  const excluded = (rel: string, isDir: boolean) => exclude !== undefined && (exclude(rel) || (isDir && exclude(rel + '/')));
  const result: PathsScan = { files: [], gone: [] };
  /** folder rel → its rules, or null when it is not walked (left out, or inside .git) */
  const folders = new Map<string, IgnoreRules | null | undefined>();
  /** folder rel → the names it holds, as listed */
  const listings = new Map<string, Set<string> | undefined>();
  const namesOf = (rel: string): Set<string> | undefined => {
    if (!listings.has(rel)) listings.set(rel, listNames(join(rootAbs, rel)));
    return listings.get(rel);
  };
  /**
   * Whether the folder `parent` lists `name` exactly: on a case-insensitive file system (or one
   * that normalises Unicode) lstat finds `Foo.ts` under the name `foo.ts`, which a scan would not take.
   */
  const listed = (rel: string) => namesOf(parentOf(rel))?.has(rel.slice(rel.lastIndexOf('/') + 1)) === true;

  /** The rules inside folder `rel`, null when the scan would not enter it, undefined when a full scan must decide. */
  const rulesOf = async (rel: string): Promise<IgnoreRules | null | undefined> => {
    if (folders.has(rel)) return folders.get(rel);
    let rules: IgnoreRules | null | undefined;
    if (rel === '') {
      const names = namesOf(rel);
      rules = names && (await IgnoreRules.forRoot(rootAbs, (n) => names.has(n)));
    } else {
      const parent = await rulesOf(parentOf(rel));
      const info = parent ? statOf(join(rootAbs, rel)) : undefined;
      if (parent === undefined) rules = undefined;
      else if (parent === null || rel === '.git' || rel.endsWith('/.git')) rules = null;
      else if (info === 'missing') rules = null; // the whole folder is gone
      else if (info === undefined || !info.isDirectory() || !listed(rel)) rules = undefined; // unreadable, a link, a file, another spelling
      else {
        const verdict = parent.test(rel, true);
        const names = namesOf(rel);
        if (names === undefined || (verdict.ignored && verdict.by === 'default')) rules = undefined; // unlistable; or reported by the scan
        else if (verdict.ignored || excluded(rel, true)) rules = null;
        else rules = await parent.child(join(rootAbs, rel), rel, (n) => names.has(n));
      }
    }
    if (rules && rules.problems.length > 0) rules = undefined; // an unreadable ignore file is reported by the scan
    folders.set(rel, rules);
    return rules;
  };

  for (const rel of paths) {
    if (!isRelative(rel)) return undefined;
    const name = rel.slice(rel.lastIndexOf('/') + 1);
    if (RULE_FILES.has(name) || rel === GIT_EXCLUDE) return undefined;
    if (rel === '.git' || rel.startsWith('.git/')) {
      result.gone.push(rel); // never indexed
      continue;
    }
    const rules = await rulesOf(parentOf(rel));
    if (rules === undefined) return undefined;
    if (rules === null) {
      result.gone.push(rel);
      continue;
    }
    const info = statOf(join(rootAbs, rel));
    if (info === 'missing') {
      result.gone.push(rel);
      continue;
    }
    if (info === undefined || !info.isFile()) return undefined; // unreadable, a folder, a link, a special file
    if (!listed(rel)) return undefined; // found under another spelling
    const verdict = rules.test(rel, false);
    if (verdict.ignored && verdict.by === 'default') return undefined;
    if (verdict.ignored || excluded(rel, false) || (include && !include(rel))) {
      result.gone.push(rel);
      continue;
    }
    if (!isIndexableName(name)) {
      if (!name.startsWith('.')) return undefined; // reported as unsupported
      result.gone.push(rel);
      continue;
    }
    if (info.size > maxBytes) return undefined; // reported as too large
    result.files.push({ path: rel, absPath: join(rootAbs, rel), size: info.size, mtimeMs: info.mtimeMs });
  }
  return result;
}

/** The folder of a root-relative path ('' for the root). */
function parentOf(rel: string): string {
  const slash = rel.lastIndexOf('/');
  return slash === -1 ? '' : rel.slice(0, slash);
}

/** A root-relative POSIX path of a file: no empty, '.' or '..' segment, no leading or trailing slash. */
function isRelative(rel: string): boolean {
  return rel !== '' && !rel.includes('\\') && !rel.includes('\0') && rel.split('/').every((s) => s !== '' && s !== '.' && s !== '..');
}

/** lstat, with 'missing' for a path that is not there and undefined for one that cannot be examined. */
function statOf(abs: string): Stats | 'missing' | undefined {
  try {
    return lstatSync(abs);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ENOTDIR' ? 'missing' : undefined;
  }
}

/** The names a folder holds, or undefined when it cannot be listed. */
function listNames(abs: string): Set<string> | undefined {
  try {
    return new Set(readdirSync(abs));
  } catch {
    return undefined;
  }
}
