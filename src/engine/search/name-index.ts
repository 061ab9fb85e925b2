import type { ChunkRecord } from '../catalog';
import { compact } from './query-kind';

/**
 * Definitions by name: the chunks (not line windows) whose name, in compact form (see
 * query-kind.ts), is a given name. A query that names a symbol gets its definitions as
 * candidates even when BM25 ranks them low (a long class whose name is one word among
 * thousands). Built from the catalog in one pass; the engine rebuilds it when the index changes.
 */
export class NameIndex {
  private readonly byName = new Map<string, number[]>();

  constructor(chunks: Iterable<ChunkRecord>) {
    for (const c of chunks) {
      if (c.kind === 'window') continue;
      const name = compact(c.name);
      const ids = this.byName.get(name);
      if (ids) ids.push(c.id);
      else this.byName.set(name, [c.id]);
    }
  }

  /** The ids of the definitions named `name` (compact form), at most `limit`. */
  lookup(name: string, limit: number): readonly number[] {
    return (this.byName.get(name) ?? []).slice(0, limit);
  }
}
