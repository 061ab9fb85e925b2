import type { Catalog, ChunkChange, ChunkRecord, ChunkTable } from '../catalog';
import type { CodeUnits } from '../stored-chunks';
import { specialized } from './definitions';
import { compact, spelt } from './query-kind';

/**
 * Definitions by name: the chunks (not line windows) whose name, in compact form (see
 * query-kind.ts), is a given name, or whose name specialises a template of that name (a C++
 * `formatter<int>` for `formatter`: definitions.ts `specialized`). A query that names a symbol
 * gets its definitions as candidates even when BM25 ranks them low (a long class whose name is
 * one word among thousands). Built from the catalog's names in one pass (a catalog read from its file decodes
 * names, not records: see ChunkTable.forEachDefinitionName), then kept up to date with
 * {@link apply} from the catalog's recent chunk changes (a save re-indexes one file, not 100k
 * names), or rebuilt by {@link sync} when the catalog no longer keeps them all. It keeps each
 * definition's name, not its record: at 100k definitions the records were about 60 MB of an
 * editor's engine.
 */
export class NameIndex {
  private readonly byName = new Map<string, number[]>();
  /** the same ids by spelling ({@link spelt}: case kept), so that exact spellings are found without a scan */
  private readonly bySpelling = new Map<string, number[]>();
  /**
   * the specialisations of each template name (definitions.ts `specialized`), listed after the
   * definitions of the name itself, so that a template with a hundred specialisations (fmt's
   * `formatter`) cannot crowd its own definition out of a lookup's limit
   */
  private readonly byTemplate = new Map<string, number[]>();
  /** the name of each indexed definition, by id */
  private readonly names = new Map<number, string>();

  constructor(chunks: ChunkTable | ReadonlyMap<number, ChunkRecord>) {
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
    const index = new NameIndex(new Map<number, ChunkRecord>());
    const firsts = new Set<number>();
    for (const name of names) firsts.add(name.length === 0 ? -1 : name.charCodeAt(0));
    // the first letter of a name decides most of them, read without decoding the name (ChunkTable.definitionsNamed)
    const may = firsts.has(-1) ? undefined : (name: CodeUnits) => mayStartWith(name, firsts);
    const wanted = (name: string): boolean => {
      if (names.has(compact(name))) return true;
      const template = specialized(name);
      return template !== undefined && names.has(template);
    };
    for (const c of chunks.definitionsNamed(wanted, may)) index.add(c.id, c.name);
    return index;
  }

  /**
   * Rebuilds the index from `chunks` (the catalog's, by id), as a fresh build would list them:
   * for when the catalog's changes since the last update are no longer kept. One pass over the
   * definitions' names; a catalog's table read from its file decodes no record for it.
   */
  sync(chunks: ChunkTable | ReadonlyMap<number, ChunkRecord>): void {
    this.byName.clear();
    this.byTemplate.clear();
    this.bySpelling.clear();
    this.names.clear();
    if ('forEachDefinitionName' in chunks) {
      chunks.forEachDefinitionName((id, name) => this.add(id, name));
      return;
    }
    for (const [id, c] of chunks) if (c.kind !== 'window') this.add(id, c.name);
  }

  /**
   * The ids of the definitions named `name` (compact form), at most `limit`; those spelt exactly
   * `typed` ({@link spelt}) first, so that a name shared by many methods (`deserialize`) cannot crowd out the one
   * type the query spelt (`Deserialize`). With `pass`, only definitions it passes (the search's
   * filter), and the limit counts those.
   */
  lookup(name: string, limit: number, typed?: string, pass?: (id: number) => boolean): readonly number[] {
    const own = this.byName.get(name) ?? [];
    const specialisations = this.byTemplate.get(name);
    const ids = specialisations ? [...own, ...specialisations] : own;
    // the spelling `typed` belongs to the compact name `name` (compact(spelt(x)) is compact(x)); a caller
    // that passes another name's spelling gets no exact matches
    const exact = typed === undefined ? [] : (this.bySpelling.get(typed) ?? []).filter((id) => compact(this.names.get(id)!) === name);
    if (!exact.length && pass === undefined) return ids.slice(0, limit);
    // the limit counts definitions that pass: a search's filter (a path, a language) must not lose
    // the one it keeps behind `limit` others; `pass` is asked of as few as that takes
    const out: number[] = [];
    const taken = new Set<number>();
    for (const id of exact) {
      if (out.length >= limit) return out;
      if (pass === undefined || pass(id)) {
        out.push(id);
        taken.add(id);
      }
    }
    for (const id of ids) {
      if (out.length >= limit) break;
      if (!taken.has(id) && (pass === undefined || pass(id))) out.push(id);
    }
    return out;
  }

  /** Brings the index up to date with changes to the catalog ({@link Catalog.chunkChangesSince}), in their order. */
  apply(changes: readonly ChunkChange[]): void {
    for (const { added, record } of changes) {
      // a chunk id is never given to another chunk: a change names its chunk by id
      const old = this.names.get(record.id);
      if (old !== undefined) this.remove(record.id, old);
      if (added && record.kind !== 'window') this.add(record.id, record.name);
    }
  }

  private add(id: number, name: string): void {
    this.names.set(id, name);
    this.eachList(name, (map, key) => push(map, key, id));
  }

  private remove(id: number, name: string): void {
    this.names.delete(id);
    this.eachList(name, (map, key) => pull(map, key, id));
  }

  /**
   * The lists a definition named `name` is in, each as its map and key. A specialisation whose
   * compact name is its template's (`tuple<>`, compact `tuple`) is listed with the specialisations
   * only: it is not the template, however it is spelt.
   */
  private eachList(name: string, visit: (map: Map<string, number[]>, key: string) => void): void {
    const own = compact(name);
    const template = specialized(name);
    if (template !== own) {
      visit(this.byName, own);
      visit(this.bySpelling, spelt(name));
    }
    if (template !== undefined) visit(this.byTemplate, template);
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
function mayStartWith(name: CodeUnits, firsts: ReadonlySet<number>): boolean {
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c >= 0x80) return true;
    if (c >= 0x41 && c <= 0x5a) return firsts.has(c + 0x20); // A-Z
    if ((c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39)) return firsts.has(c);
  }
  return false; // no letter or digit: its compact form is empty, which `of` tests without this
}
