import type { Catalog, ChunkChange, ChunkRecord, ChunkTable } from '../catalog';
import { compact, spelt } from './query-kind';

/**
 * Definitions by name: the chunks (not line windows) whose name, in compact form (see
 * query-kind.ts), is a given name. A query that names a symbol gets its definitions as
 * candidates even when BM25 ranks them low (a long class whose name is one word among
 * thousands). Built from the catalog in one pass, then kept up to date with {@link apply} from the
 * catalog's recent chunk changes (a save re-indexes one file, not 100k names), or with
 * {@link sync}, one pass over the ids, when the catalog no longer keeps them all.
 */
export class NameIndex {
  private readonly byName = new Map<string, number[]>();
  /** the same ids by spelling ({@link spelt}: case kept), so that exact spellings are found without a scan */
  private readonly bySpelling = new Map<string, number[]>();
  /** the record each indexed definition was taken from, to tell what changed since */
  private readonly records = new Map<number, ChunkRecord>();

  constructor(chunks: ReadonlyMap<number, ChunkRecord>) {
    this.sync(chunks);
  }

  /**
   * An index of only the definitions whose compact name is one of `names`: one pass that works out
   * the compact form of each distinct name, and decodes only the records it finds (see
   * ChunkTable.definitionsNamed), instead of filling three maps with 100k entries. Its lookups of
   * those names answer exactly as the full index's; for a process that only searches (a CLI query),
   * or until a second query shows that the full index will pay.
   */
  static of(chunks: ChunkTable, names: ReadonlySet<string>): NameIndex {
    const index = new NameIndex(new Map());
    const firsts = new Set<number>();
    for (const name of names) firsts.add(name.length === 0 ? -1 : name.charCodeAt(0));
    const test = firsts.has(-1) ? (name: string) => names.has(compact(name)) : (name: string) => mayStartWith(name, firsts) && names.has(compact(name));
    for (const c of chunks.definitionsNamed(test)) index.add(c.id, c);
    return index;
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
      if (c.kind !== 'window' && this.records.get(id) !== c) this.add(id, c);
    }
  }

  /**
   * The ids of the definitions named `name` (compact form), at most `limit`; those spelt exactly
   * `typed` ({@link spelt}) first, so that a name shared by many methods (`deserialize`) cannot crowd out the one
   * type the query spelt (`Deserialize`).
   */
  lookup(name: string, limit: number, typed?: string): readonly number[] {
    const ids = this.byName.get(name) ?? [];
    // the spelling `typed` belongs to the compact name `name` (compact(spelt(x)) is compact(x)); a caller
    // that passes another name's spelling gets no exact matches
    const exact = typed === undefined ? [] : (this.bySpelling.get(typed) ?? []).filter((id) => compact(this.records.get(id)!.name) === name);
    if (!exact.length) return ids.slice(0, limit);
    if (exact.length >= limit) return exact.slice(0, limit);
    const out = [...exact];
    const taken = new Set(exact);
    for (const id of ids) {
      if (out.length >= limit) break;
      if (!taken.has(id)) out.push(id);
    }
    return out;
  }

  /** Brings the index up to date with changes to the catalog ({@link Catalog.chunkChangesSince}), in their order. */
  apply(changes: readonly ChunkChange[]): void {
    for (const { added, record } of changes) {
      if (!added) {
        if (this.records.get(record.id) === record) this.remove(record.id, record);
      } else if (record.kind !== 'window' && this.records.get(record.id) !== record) {
        const old = this.records.get(record.id);
        if (old) this.remove(record.id, old);
        this.add(record.id, record);
      }
    }
  }

  private add(id: number, record: ChunkRecord): void {
    this.records.set(id, record);
    push(this.byName, compact(record.name), id);
    push(this.bySpelling, spelt(record.name), id);
  }

  private remove(id: number, record: ChunkRecord): void {
    this.records.delete(id);
    pull(this.byName, compact(record.name), id);
    pull(this.bySpelling, spelt(record.name), id);
  }
}

function push(map: Map<string, number[]>, key: string, id: number): void {
  const ids = map.get(key);
  if (ids) ids.push(id);
  else map.set(key, [id]);
}

function pull(map: Map<string, number[]>, key: string, id: number): void {
  const ids = map.get(key);
  if (!ids) return;
  const at = ids.indexOf(id);
  if (at >= 0) ids.splice(at, 1);
  if (!ids.length) map.delete(key);
}

/**
 * False only when the compact form of `name` (query-kind.ts `compact`) cannot start with any of
 * `firsts` (code units): its first ASCII letter or digit, lower-cased, is not one of them. A name
 * whose first such character comes after a non-ASCII one is left to `compact` (Unicode rules).
 * Most names fail here, so `compact` is worked out for few of 100k names.
 */
function mayStartWith(name: string, firsts: ReadonlySet<number>): boolean {
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c >= 0x80) return true;
    if (c >= 0x41 && c <= 0x5a) return firsts.has(c + 0x20); // A-Z
    if ((c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39)) return firsts.has(c);
  }
  return false; // no letter or digit: its compact form is empty, which `of` tests without this
}
