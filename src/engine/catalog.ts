import type { Chunk, SkipReason } from './types';
import type { Skipped } from './files/scan';
import { encodeCatalogSteps, readCatalog } from './catalog-file';
import type { CodeUnits, StoredChunks } from './stored-chunks';
import { OverlayMap } from './index/overlay-map';
import { runSteps, type Steps } from './time-slice';
import { detached, headOf } from './text/slice';

/**
 * What the index knows about the workspace: every indexed file with the chunks it produced,
 * and every chunk's metadata. Chunk ids are the labels of the vector index and the document
 * ids of the lexical index (uint32). Chunk text is not kept: the lexical and vector indexes
 * hold what search needs, and the snippet is enough to show a result.
 */

/** A chunk as the index keeps it: its metadata without its text (see the module doc). */
export interface ChunkRecord extends Omit<Chunk, 'text' | 'part'> {
  id: number;
  /** the first meaningful line of the body, for result lists */
  snippet: string;
  /** hex key of the chunk's embedding in the embedding cache (content hash + model id); compaction keeps these */
  embeddingKey?: string;
}

export interface FileRecord {
  size: number;
  mtimeMs: number;
  /** sha256 of the content; lets a touched-but-unchanged file skip parsing */
  hash?: string;
  chunkIds: number[];
  /** set when the content was rejected (binary, minified, …) */
  skip?: SkipReason;
  detail?: string;
}

/** A chunk record that a change added to the catalog or removed from it. */
export interface ChunkChange {
  revision: number;
  added: boolean;
  record: ChunkRecord;
}

const DOC_LIMIT = 600;
/** The most chunk changes the catalog keeps for {@link Catalog.chunkChangesSince}. */
const JOURNAL_MAX = 20_000;
const SNIPPET_LIMIT = 160;

/**
 * The catalog's chunk records by id, read and changed like a Map (in the order added). The
 * records of a catalog read from a file stay in its bytes ({@link StoredChunks}), each decoded the
 * first time it is asked for, with the changes since beside them (index/overlay-map.ts): a process
 * that searches, or re-indexes a file or two, decodes the records it shows, ranks or replaces, not
 * 100k of them.
 */
export class ChunkTable extends OverlayMap<number, ChunkRecord> {
  constructor(private readonly file?: StoredChunks) {
    super(file);
  }

  /**
   * The definitions (chunks that are not line windows) whose name passes `may` (when given) and
   * `test`, in order. Of the records still in the file's bytes only kinds and names are read for
   * it: `may`, a quick test of a name's first characters, is asked of a name's code units without
   * decoding it, and `test` only of the names `may` let through, once a name; only the records
   * found are decoded.
   */
  definitionsNamed(test: (name: string) => boolean, may?: (name: CodeUnits) => boolean): ChunkRecord[] {
    const file = this.file;
    const found: ChunkRecord[] = [];
    const passes = (name: string) => (may === undefined || may(name)) && test(name);
    if (file === undefined || this.hasReplaced()) {
      for (const c of this.values()) if (c.kind !== 'window' && passes(c.name)) found.push(c);
      return found;
    }
    for (const i of file.definitionsNamed(test, this.storedLive(), may)) found.push(file.valueAt(i));
    for (const c of this.addedEntries().values()) if (c.kind !== 'window' && passes(c.name)) found.push(c);
    return found;
  }

  /**
   * Calls `visit` with the id and name of every definition (a chunk that is not a line window),
   * in order. Of the records still in the file's bytes only kinds and names are decoded for it
   * (search/name-index.ts builds its index so, without 100k records).
   */
  forEachDefinitionName(visit: (id: number, name: string) => void): void {
    const file = this.file;
    if (file === undefined || this.hasReplaced()) {
      for (const c of this.values()) if (c.kind !== 'window') visit(c.id, c.name);
      return;
    }
    file.forEachDefinitionName(this.storedLive(), visit);
    for (const c of this.addedEntries().values()) if (c.kind !== 'window') visit(c.id, c.name);
  }

  /** Whether records are still read from a file's bytes (the table was read from one). */
  get fromFile(): boolean {
    return this.file !== undefined;
  }
}

export class Catalog {
  readonly files = new Map<string, FileRecord>();
  readonly chunks: ChunkTable;
  private skippedByScan: Skipped[] = [];
  private linksFollowed = true;
  private nextId = 0;
  private changes = 0;
  /** paths added, removed or re-recorded since {@link markCommitted}, and whether `scanSkipped` changed */
  private readonly uncommittedPaths = new Set<string>();
  /** the uncommitted paths whose only change is a new size and modification time (touchFile) */
  private readonly touchedOnly = new Set<string>();
  private uncommittedScanSkips = false;
  /**
   * The chunk records added and removed by the latest changes, each with the revision that made
   * it, oldest first; it holds every change after revision `journalFrom` (see {@link chunkChangesSince}).
   */
  private journal: ChunkChange[] = [];
  private journalFrom = 0;
  /** XOR of the hashes of the catalog's paths, kept by addFile, removeFile and deserialize */
  private pathHashes = 0;
  /** The format version of the bytes this catalog was read from; undefined for one made in memory. */
  formatRead: number | undefined;

  /** `journalMax`: the most chunk changes kept for {@link chunkChangesSince} (default {@link JOURNAL_MAX}). */
  constructor(
    private readonly journalMax = JOURNAL_MAX,
    stored?: StoredChunks,
  ) {
    this.chunks = new ChunkTable(stored);
  }

  /** Skips decided by the last scan (excluded folders, size cap, unreadable, …). */
  get scanSkipped(): Skipped[] {
    return this.skippedByScan;
  }

  set scanSkipped(skipped: Skipped[]) {
    this.skippedByScan = skipped;
    this.uncommittedScanSkips = true;
  }

  /**
   * Whether the last scan of the whole folder followed a symbolic link (ScanResult.followsLinks);
   * true until a scan says otherwise. Changes it as the scan's skips do.
   */
  get followsLinks(): boolean {
    return this.linksFollowed;
  }

  set followsLinks(follows: boolean) {
    if (follows === this.linksFollowed) return;
    this.linksFollowed = follows;
    this.uncommittedScanSkips = true;
  }

  /** The id the next chunk will get. */
  get nextChunkId(): number {
    return this.nextId;
  }

  /** What changed since the last commit: the paths whose records differ, and whether the scan's skips did. */
  uncommitted(): { paths: ReadonlySet<string>; touchedOnly: ReadonlySet<string>; scanSkipped: boolean } {
    return { paths: this.uncommittedPaths, touchedOnly: this.touchedOnly, scanSkipped: this.uncommittedScanSkips };
  }

  /** Forgets what changed: the catalog as it is now has been committed. */
  markCommitted(): void {
    this.uncommittedPaths.clear();
    this.touchedOnly.clear();
    this.uncommittedScanSkips = false;
  }

  /** Goes up with every change to the files or chunks: what is derived from the chunks is stale when it differs. */
  get revision(): number {
    return this.changes;
  }

  /**
   * The chunk records added and removed since `revision`, in order; undefined when the catalog
   * no longer keeps them all (more than `journalMax` changes of chunks since), so that what
   * is derived from the chunks is worked out again in full. What is derived reads a changed file's
   * records, not all 100k of them.
   */
  chunkChangesSince(revision: number): readonly ChunkChange[] | undefined {
    if (revision < this.journalFrom || revision > this.changes) return undefined;
    let low = 0;
    let high = this.journal.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.journal[mid].revision <= revision) low = mid + 1;
      else high = mid;
    }
    return this.journal.slice(low);
  }

  private record(added: boolean, records: Iterable<ChunkRecord>): void {
    for (const record of records) this.journal.push({ revision: this.changes, added, record });
    if (this.journal.length > this.journalMax) {
      this.journal = [];
      this.journalFrom = this.changes;
    }
  }

  /**
   * Changes when a path joins or leaves the catalog, not when a file is re-indexed in place (a save
   * removes and adds the same path): what is derived from the set of paths alone is stale when it
   * differs. Two different sets of paths get the same key only by a 32-bit hash collision at the same size.
   */
  get pathsKey(): string {
    return `${this.files.size}:${this.pathHashes}`;
  }

  /** Registers a file's new chunks (its old ones must have been removed) and returns their records. */
  addFile(path: string, file: Omit<FileRecord, 'chunkIds'>, chunks: Chunk[]): ChunkRecord[] {
    if (this.nextId + chunks.length > 0xffffffff) throw new Error('chunk ids exhausted; rebuild the index');
    this.changes++;
    const records = chunks.map((c) => toRecord(this.nextId++, c, path));
    for (const r of records) this.chunks.set(r.id, r);
    this.record(true, records);
    if (!this.files.has(path)) this.pathHashes ^= pathHash(path);
    this.files.set(path, { ...file, chunkIds: records.map((r) => r.id) });
    this.uncommittedPaths.add(path);
    this.touchedOnly.delete(path);
    return records;
  }

  /**
   * Puts back a file's records as a change log recorded them, ids included (its old records must
   * have been removed). Throws on records that do not fit: a damaged log, not a reason to guess.
   */
  restoreFile(path: string, file: FileRecord, chunks: readonly ChunkRecord[], nextId: number): void {
    const ids = chunks.map((c) => c.id);
    if (ids.length !== file.chunkIds.length || ids.some((id, i) => id !== file.chunkIds[i] || this.chunks.has(id) || !(id < nextId))) {
      throw new Error(`the recorded chunks of ${path} do not fit the catalog`);
    }
    this.changes++;
    for (const c of chunks) this.chunks.set(c.id, c);
    this.record(true, chunks);
    if (!this.files.has(path)) this.pathHashes ^= pathHash(path);
    this.files.set(path, file);
    this.nextId = Math.max(this.nextId, nextId);
  }

  /** The catalog's paths that are one of `paths` (`exact`) or lie under one of them, as under a folder. */
  pathsUnder(paths: readonly string[], exact = true): string[] {
    const found = new Set<string>();
    const folders: string[] = [];
    for (const p of paths) {
      if (this.files.has(p)) {
        if (exact) found.add(p);
      } else folders.push(`${p}/`);
    }
    if (folders.length > 0) for (const path of this.files.keys()) if (folders.some((f) => path.startsWith(f))) found.add(path);
    return [...found];
  }

  /** Makes the next chunk id at least `nextId`, as a change log recorded it (ids are never reused). */
  advanceNextId(nextId: number): void {
    this.nextId = Math.max(this.nextId, nextId);
  }

  /** Records a file's new size and modification time when its content did not change. */
  touchFile(path: string, size: number, mtimeMs: number): void {
    const known = this.files.get(path);
    if (!known) return;
    this.files.set(path, { ...known, size, mtimeMs });
    if (!this.uncommittedPaths.has(path)) this.touchedOnly.add(path);
    this.uncommittedPaths.add(path);
  }

  /** Forgets a file and returns the ids of the chunks it had. */
  removeFile(path: string): number[] {
    const file = this.files.get(path);
    if (!file) return [];
    this.changes++;
    this.record(false, this.chunksOf(path));
    for (const id of file.chunkIds) this.chunks.delete(id);
    this.files.delete(path);
    this.pathHashes ^= pathHash(path);
    this.uncommittedPaths.add(path);
    this.touchedOnly.delete(path);
    return file.chunkIds;
  }

  /** The chunk records of `path`, in the file's order; none for a file the catalog does not hold. */
  chunksOf(path: string): ChunkRecord[] {
    return (this.files.get(path)?.chunkIds ?? []).map((id) => this.chunks.get(id)!);
  }

  /** The innermost chunk of `path` whose line range contains `line` (1-based). */
  chunkAt(path: string, line: number): ChunkRecord | undefined {
    let best: ChunkRecord | undefined;
    for (const id of this.files.get(path)?.chunkIds ?? []) {
      const c = this.chunks.get(id)!;
      if (c.startLine <= line && line <= c.endLine && (!best || c.endLine - c.startLine < best.endLine - best.startLine)) {
        best = c;
      }
    }
    return best;
  }

  /** Files that produced chunks, or were read and rejected. */
  get indexedFileCount(): number {
    let n = 0;
    for (const f of this.files.values()) if (!f.skip) n++;
    return n;
  }

  /** The catalog as bytes, in the current format (catalog-file.ts). */
  serialize(): Buffer {
    return Buffer.concat(runSteps(this.serializeSteps()));
  }

  /** {@link serialize} as steps (time-slice.ts), the bytes as parts in order: the catalog must not change until they are done. */
  serializeSteps(): Steps<Buffer[]> {
    return encodeCatalogSteps({ nextId: this.nextId, files: this.files, chunks: [...this.chunks.values()], scanSkipped: this.skippedByScan, followsLinks: this.linksFollowed });
  }

  /** Reads a catalog in any format catalog-file.ts reads; throws on malformed input. */
  static deserialize(buf: Buffer): Catalog {
    const { data, version } = readCatalog(buf);
    const catalog = new Catalog(JOURNAL_MAX, Array.isArray(data.chunks) ? undefined : data.chunks);
    catalog.formatRead = version;
    catalog.nextId = data.nextId;
    for (const [path, f] of data.files) {
      catalog.files.set(path, f);
      catalog.pathHashes ^= pathHash(path);
    }
    if (Array.isArray(data.chunks)) for (const c of data.chunks) catalog.chunks.set(c.id, c);
    catalog.skippedByScan = data.scanSkipped;
    catalog.linksFollowed = data.followsLinks;
    return catalog;
  }
}

/**
 * A chunk's record. Its path, language and kind are strings shared with the other records: chunks
 * from a worker thread each carry copies of them (about 100 bytes a chunk at 100k chunks). The
 * snippet and a shortened doc are copied into strings of their own ({@link detached}): V8 makes
 * the result of `replace` or `+` a tree of the pieces it was made from, and a slice a view of the
 * string it was cut from (the chunk's text, a whole docstring), which a record would keep for as
 * long as the catalog holds it (about 110 bytes a snippet at 100k chunks).
 */
function toRecord(id: number, c: Chunk, path: string): ChunkRecord {
  return {
    id,
    path: c.path === path ? path : c.path,
    language: shared(c.language),
    kind: shared(c.kind),
    name: c.name,
    container: c.container,
    signature: c.signature,
    doc: c.doc && c.doc.length > DOC_LIMIT ? detached(headOf(c.doc, DOC_LIMIT) + '…') : c.doc,
    startByte: c.startByte,
    endByte: c.endByte,
    startLine: c.startLine,
    endLine: c.endLine,
    snippet: detached(snippetOf(c)),
  };
}

/** The one copy of each language and kind name {@link shared} gives out; the chunker makes a few dozen. */
const sharedNames = new Map<string, string>();
const SHARED_NAMES_MAX = 256;

/** The copy of `name` that records share (kept for the first {@link SHARED_NAMES_MAX} names). */
function shared<T extends string>(name: T): T {
  const known = sharedNames.get(name);
  if (known !== undefined) return known as T;
  if (sharedNames.size < SHARED_NAMES_MAX) sharedNames.set(name, name);
  return name;
}

/** The signature, or the first non-blank line of a window. */
function snippetOf(c: Chunk): string {
  const line = c.signature || c.text.split('\n').find((l) => l.trim()) || '';
  const flat = line.trim().replace(/\s+/g, ' ');
  return flat.length > SNIPPET_LIMIT ? headOf(flat, SNIPPET_LIMIT - 1) + '…' : flat;
}

/** FNV-1a over a path's UTF-16 code units, as an unsigned 32-bit number. */
function pathHash(path: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < path.length; i++) {
    h ^= path.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
