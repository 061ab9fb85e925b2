import { opendir, realpath, stat } from 'node:fs/promises';
import type { Dirent, Stats } from 'node:fs';
import { join } from 'node:path';
import picomatch from 'picomatch';
import { DEFAULT_MAX_FILE_BYTES, type CancelSignal, type SkipReason } from '../types';
import { IgnoreRules } from './ignore-rules';
import { isIndexableName } from './text-files';

/** A file the scan found worth reading. Content checks (binary, minified, …) happen when it is read. */
export interface ScannedFile {
  /** POSIX path relative to the root */
  path: string;
  absPath: string;
  size: number;
  mtimeMs: number;
}

export interface Skipped {
  path: string;
  reason: SkipReason;
  detail?: string;
}

export interface ScanResult {
  files: ScannedFile[];
  skipped: Skipped[];
  /** files excluded by .gitignore / .codescoutignore / settings globs (not reported one by one) */
  ignoredCount: number;
  /**
   * false when the walk was cancelled before it reached every folder: `files` then lacks files
   * that exist, so nothing may be concluded from a file's absence
   */
  complete: boolean;
  /**
   * paths (root-relative, '.' for the root) that exist but could not be examined: a folder that
   * could not be listed, an entry whose stat failed other than with ENOENT. What is at or under
   * them is unknown, not gone. They are also reported in `skipped`.
   */
  unknownPaths: string[];
}

export interface ScanOptions {
  /** files larger than this are skipped as 'too-large' (default 1 MiB) */
  maxFileBytes?: number;
  /** when given, only files matching one of these globs (root-relative) are indexed */
  include?: string[];
  /** files or folders matching any of these globs (root-relative) are left out */
  exclude?: string[];
  signal?: CancelSignal;
}


/**
 * Walks `rootAbs`, honouring ignore rules (see ignore-rules.ts), and returns the candidate
 * files sorted by path, plus every skip with its reason. Never throws for unreadable
 * entries: they are reported as skipped. Symbolic links are followed; a link back into a
 * folder already on the current path is reported as a 'symlink-loop'.
 */
export async function scanWorkspace(rootAbs: string, options: ScanOptions = {}): Promise<ScanResult> {
  const maxBytes = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  const include = options.include?.length ? picomatch(options.include, { dot: true }) : undefined;
  const exclude = options.exclude?.length ? picomatch(options.exclude, { dot: true }) : undefined;
  const result: ScanResult = { files: [], skipped: [], ignoredCount: 0, complete: true, unknownPaths: [] };

  const unreadable = (rel: string, err: unknown, detailPrefix = '') => {
    result.skipped.push({ path: rel, reason: 'unreadable', detail: detailPrefix + errorCode(err) });
    if (errorCode(err) !== 'ENOENT') result.unknownPaths.push(rel);
  };

  const rootReal = await realpath(rootAbs);
  const walk = async (absDir: string, relDir: string, rules: IgnoreRules, ancestors: Set<string>) => {
    if (options.signal?.cancelled) {
      result.complete = false;
      return;
    }
    let entries: Dirent[];
    try {
      const dir = await opendir(absDir);
      entries = [];
      for await (const e of dir) entries.push(e);
    } catch (err) {
      unreadable(relDir || '.', err);
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      if (entry.name === '.git') continue; // never indexed, never reported
      const rel = relDir ? `${relDir}/${entry.name}` : entry.name;
      const abs = join(absDir, entry.name);
      let isDir = entry.isDirectory();
      let isFile = entry.isFile();
      let info: Stats | undefined;
      if (entry.isSymbolicLink() || (!isDir && !isFile)) {
        try {
          info = await stat(abs); // follows the link
        } catch (err) {
          unreadable(rel, err, 'broken link or ');
          continue;
        }
        isDir = info.isDirectory();
        isFile = info.isFile();
        if (!isDir && !isFile) continue; // sockets, fifos, devices
      }

      const verdict = rules.test(rel, isDir);
      if (verdict.ignored) {
        if (verdict.by === 'default') result.skipped.push({ path: rel, reason: 'excluded-dir' });
        else result.ignoredCount++;
        continue;
      }
      if (exclude && (exclude(rel) || (isDir && exclude(rel + '/')))) {
        result.ignoredCount++;
        continue;
      }

      if (isDir) {
        let real: string;
        try {
          real = await realpath(abs);
        } catch (err) {
          unreadable(rel, err);
          continue;
        }
        if (ancestors.has(real)) {
          result.skipped.push({ path: rel, reason: 'symlink-loop' });
          continue;
        }
        const childRules = await rules.child(abs, rel);
        await walk(abs, rel, childRules, new Set(ancestors).add(real));
        continue;
      }

      if (include && !include(rel)) {
        result.ignoredCount++;
        continue;
      }
      if (!isIndexableName(entry.name)) {
        // Dotfiles (.gitignore, .editorconfig, …) are configuration, not worth a line in the skip report.
        if (entry.name.startsWith('.')) result.ignoredCount++;
        else result.skipped.push({ path: rel, reason: 'unsupported' });
        continue;
      }
      try {
        info ??= await stat(abs);
      } catch (err) {
        unreadable(rel, err);
        continue;
      }
      if (info.size > maxBytes) {
        result.skipped.push({ path: rel, reason: 'too-large', detail: `${info.size} bytes` });
        continue;
      }
      result.files.push({ path: rel, absPath: abs, size: info.size, mtimeMs: info.mtimeMs });
    }
  };

  await walk(rootAbs, '', await IgnoreRules.forRoot(rootAbs), new Set([rootReal]));
  return result;
}

function errorCode(err: unknown): string {
  return (err as NodeJS.ErrnoException)?.code ?? String(err);
}
