import type { ChunkRecord } from '../catalog';
import { compact, spelt } from './query-kind';

/**
 * Definitions by name: the chunks (not line windows) whose name, in compact form (see
 * query-kind.ts), is a given name. A query that names a symbol gets its definitions as
 * candidates even when BM25 ranks them low (a long class whose name is one word among
 * thousands). Built from the catalog in one pass, then kept up to date with {@link sync}, which
 * reads only the chunks that changed (a save re-indexes one file, not 100k names).
 */
export class NameIndex {
  private readonly byName = new Map<string, number[]>();
  /** the record each indexed definition was taken from, to tell what changed since */
  private readonly records = new Map<number, ChunkRecord>();

  constructor(chunks: ReadonlyMap<number, ChunkRecord>) {
    this.sync(chunks);
  }

  /**
   * Brings the index up to date with `chunks` (the catalog's, by id): one pass over the ids, and
   * names are worked out only for definitions that are new or whose record changed. Ids of one
   * name stay in the catalog's order, as a fresh build would list them.
   */
  sync(chunks: ReadonlyMap<number, ChunkRecord>): void {
    for (const [id, record] of this.records) {
      if (chunks.get(id) !== record) this.remove(id, record);
    }
    for (const [id, c] of chunks) {
      if (c.kind === 'window' || this.records.get(id) === c) continue;
      this.records.set(id, c);
      const name = compact(c.name);
      const ids = this.byName.get(name);
      if (ids) ids.push(id);
      else this.byName.set(name, [id]);
    }
  }

  /**
   * The ids of the definitions named `name` (compact form), at most `limit`; those spelt exactly
   * `typed` ({@link spelt}) first, so that a name shared by many methods (`deserialize`) cannot crowd out the one
   * type the query spelt (`Deserialize`).
   */
  lookup(name: string, limit: number, typed?: string): readonly number[] {
    const ids = this.byName.get(name) ?? [];
    if (typed === undefined) return ids.slice(0, limit);
    const exact = ids.filter((id) => spelt(this.records.get(id)!.name) === typed);
    if (exact.length >= limit) return exact.slice(0, limit);
    const exactSet = new Set(exact);
    return [...exact, ...ids.filter((id) => !exactSet.has(id)).slice(0, limit - exact.length)];
  }

  private remove(id: number, record: ChunkRecord): void {
    this.records.delete(id);
    const name = compact(record.name);
    const ids = this.byName.get(name);
    if (!ids) return;
    const at = ids.indexOf(id);
    if (at >= 0) ids.splice(at, 1);
    if (!ids.length) this.byName.delete(name);
  }
}
