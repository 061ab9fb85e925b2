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

/**
 * Of `paths` (POSIX, relative to `root`), the ones whose file is not as `indexed` recorded it: a
 * different size or modification time, gone, or no longer a file. A path the index has no record
 * of counts as changed. Each distinct path is looked at once; the order of `paths` is kept.
 */
export async function changedSinceIndexed(root: string, paths: Iterable<string>, indexed: (path: string) => FileStamp | undefined): Promise<string[]> {
  const distinct = [...new Set(paths)];
  const changed = await Promise.all(
    distinct.map(async (path) => {
      const known = indexed(path);
      if (known === undefined) return true;
      try {
        const info = await stat(join(root, ...path.split('/')));
        return !info.isFile() || info.size !== known.size || info.mtimeMs !== known.mtimeMs;
      } catch {
        return true; // gone, or no longer readable: the index's next refresh says which
      }
    }),
  );
  return distinct.filter((_, i) => changed[i]);
}
