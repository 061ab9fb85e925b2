/**
 * Whether files changed on disk since the index read them: answers then point at lines the file
 * may no longer hold. Judged as a refresh judges (indexer.ts): by size and modification time, of
 * the file a link leads to, as the scan records them (scan.ts).
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';

/** What the index recorded of a file when it read it. */
export interface FileStamp {
  size: number;
  mtimeMs: number;
}

/** How a changed file is now, in one string: `<size>:<mtimeMs>`, or `gone` (missing, unreadable, no longer a file). */
export type DiskStamp = string;

/**
 * Of `paths` (POSIX, relative to `root`), the ones the index holds (`indexed` has a record of them)
 * whose file is not as recorded: a different size or modification time, gone, or no longer a file;
 * each with how it is now. A path the index has no record of is left out: there is nothing of it to
 * be behind. Each distinct path is looked at once, in the order of `paths`.
 */
export async function changedSinceIndexed(root: string, paths: Iterable<string>, indexed: (path: string) => FileStamp | undefined): Promise<Map<string, DiskStamp>> {
  const known = [...new Set(paths)].flatMap((path) => {
    const stamp = indexed(path);
    return stamp ? [{ path, stamp }] : [];
  });
  const now = await Promise.all(
    known.map(async ({ path, stamp }): Promise<DiskStamp | undefined> => {
      try {
        const info = await stat(join(root, ...path.split('/')));
        if (!info.isFile()) return 'gone';
        return info.size === stamp.size && info.mtimeMs === stamp.mtimeMs ? undefined : `${info.size}:${info.mtimeMs}`;
      } catch {
        return 'gone'; // or no longer readable: the index's next refresh says which
      }
    }),
  );
  const changed = new Map<string, DiskStamp>();
  known.forEach(({ path }, i) => {
    const stamp = now[i];
    if (stamp !== undefined) changed.set(path, stamp);
  });
  return changed;
}
