/**
 * One workspace's index on disk: the catalog (files and chunk metadata), the lexical index,
 * the vector index, and the embedding cache — loaded together, verified together, and saved
 * together as one generation (see store.ts).
 *
 * Layout of the index folder:
 *   manifest.json              the committed generation: file names, sizes, SHA-256, metadata
 *   catalog.gN.bin             files → chunks, chunk metadata (catalog-file.ts; catalog.gN.json before)
 *   lexical.gN.bin             BM25 postings
 *   vectors.gN.bin             the vector index: labels, the vectors when there is no graph, the graph's checksum
 *   graph.gN.hnsw              the HNSW graph, which holds the vectors (above 20,000 of them): hnswlib's file with each vector in int8 (graph-file.ts)
 *   changes.gN.log             the changes committed since generation N (see change-log.ts)
 *   embeddings-<model>.cache   append-only cache of computed embeddings (not generational)
 *   index.lock                 who may write: pid, host, start time, token (see lock.ts)
 *   index.lock.break           held for a moment by the one process taking a stale lock over (lock.ts)
 *
 * A save that changes few files appends them to changes.gN.log (their catalog records, lexical terms
 * and vectors, in one checksummed record) instead of writing a new generation: the cost of a saved
 * file then follows the file, not the index. Loading applies the log to its generation. Once the
 * log holds {@link LOG_MAX_CHUNKS} chunks or {@link LOG_MAX_BYTES} bytes, or a change cannot be
 * written as files (another model, a rebuilt vector graph), the next save writes a new generation
 * and starts an empty log.
 *
 * The folder is refused when it holds other files and no index (the CLI's `--index-dir` pointed
 * at a folder of the user's, say), or another folder's index; nothing in it is then touched.
 */
import { readdir, stat } from 'node:fs/promises';
import * as fs from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { Catalog } from '../catalog';
import { CATALOG_FORMAT_VERSION } from '../catalog-file';
import type { Embedder } from '../vectors/embedder';
import { cacheKeyOf, EmbeddingCache } from './embedding-cache';
import { errnoCode, holderInWords, IndexCorruptError, IndexFolderError, IndexVersionError, IndexNotWritableError, IndexWriteError, NotAFileError, writeFailure } from './errors';
import { LEXICAL_FORMAT_VERSION, LexicalIndex, type LexicalIndexOptions } from './lexical';
import { IndexLock, type LockHeld } from './lock';
import { clearFileSlot, commitGeneration, loadManifest, type Generation, MANIFEST_FILE, manifestSnapshot, namesForCleanup, openGeneration, openRegularFile, readRegularFile, removeBestEffort, tempOfDeadProcess } from './store';
import { CHANGE_LOG_NAME, changeLogFile, ChangeLogWriter, readChangeLog, type ChangeLogContents } from './change-log';
import type { ChunkRecord, FileRecord } from '../catalog';
import type { Skipped } from '../files/scan';
import { CONTENT_RULES_VERSION } from '../files/text-files';
import { CHUNKING_VERSION, chunkingChangesSince } from '../chunks/languages';
import { VECTOR_FORMAT_VERSION, VectorIndex, type VectorIndexOptions, type VectorIndexSettings } from './vector-index';
import type { GraphDigest } from './graph-file';
import { ownFields } from '../own-fields';
import { runStepsSliced, TimeSlices } from '../time-slice';
import { closeQuietly, type FileToReadAhead, type ReadAhead } from './read-ahead';
import { kindToCheck } from './checksum';

/** 2: the manifest carries a checksum of itself. */
const FORMAT_VERSION = 2;
/** The logical files of a generation (see the layout above). */
/** The logical files of a generation (see the layout above); `catalog.json` is the catalog of generations written before `catalog.bin`. */
const DATA_FILES = ['catalog.bin', 'lexical.bin', 'vectors.bin', 'graph.hnsw', 'catalog.json'] as const;

/**
 * The data files that loading reads, which a one-shot command reads ahead (index/read-ahead.ts):
 * whole, but for the lexical index's postings, which such a command reads from the file as its
 * queries need them ({@link LEXICAL_FILE}). The graph, which it scans in its file, is not among them.
 */
export const INDEX_FILES_READ_WHOLE: readonly string[] = ['catalog.bin', 'lexical.bin', 'vectors.bin'];
/**
 * The lexical index, of which a one-shot command keeps only the part before the postings in
 * memory and reads the postings of its terms from the file (lexical.ts `deserializeHead`).
 */
const LEXICAL_FILE = 'lexical.bin';
/** {@link INDEX_FILES_READ_WHOLE} for an engine without a model, which does not read the vector file. */
export const INDEX_FILES_READ_WITHOUT_MODEL: readonly string[] = ['catalog.bin', 'lexical.bin'];

/**
 * The paths of the data files that the committed generation in `dir` has under these logical
 * names, each with the kind of checksum its manifest entry will be checked by, for reading ahead
 * (index/read-ahead.ts); none when there is no index, or it cannot be read (loading it then says why).
 * The lexical index is opened here, on this thread, for its head alone to be read ahead
 * (`FileToReadAhead.fd`): the ReadAhead made of these owns that descriptor.
 */
export function indexFilesToReadAhead(dir: string, names: readonly string[]): FileToReadAhead[] {
  try {
    const generation = openGeneration<IndexMeta>(dir, FORMAT_VERSION, isIndexMeta, DATA_FILES);
    if (!generation) return [];
    return names
      .filter((name) => generation.has(name))
      .map((name) => {
        const path = generation.pathOf(name);
        const fd = name === LEXICAL_FILE ? openToReadAhead(path) : undefined;
        return { path, checksum: kindToCheck(generation.manifest.files[name]), ...(fd !== undefined && { fd }) };
      });
  } catch {
    return [];
  }
}

/** A data file opened on this thread for a worker to read its head through (read-ahead.ts `FileToReadAhead.fd`); undefined when it cannot be (the load then reads it whole, and says what is wrong). */
function openToReadAhead(path: string): number | undefined {
  try {
    return openRegularFile(path);
  } catch {
    return undefined;
  }
}

/**
 * What a commit or a logged change by a writer changes in the index folder `dir`: the manifest's
 * bytes and the change logs' sizes, as one string. While it stays the same no writer has changed the
 * index, so a scan of the folder started after it was taken is no older than the index read meanwhile
 * (a one-shot command's scan, one-shot.ts).
 */
export function indexStamp(dir: string): string {
  const manifest = manifestSnapshot(dir);
  const parts = [manifest === undefined ? '-' : createHash('sha256').update(manifest).digest('hex')];
  try {
    for (const name of fs.readdirSync(dir).sort()) {
      if (!CHANGE_LOG_NAME.test(name)) continue;
      try {
        parts.push(`${name}:${fs.statSync(join(dir, name)).size}`);
      } catch {
        parts.push(`${name}:?`);
      }
    }
  } catch {
    parts.push('?');
  }
  return parts.join('|');
}


/** How often a reader re-reads an index that a writer replaced while it was reading. */
const READ_ATTEMPTS = 4;
/** The longest stretch of a save's work between two turns of the event loop: a search waits at most about this long while the engine checkpoints. */
const SAVE_SLICE_MS = 20;
/**
 * The most chunks the change log holds (over all its records) before a save writes a new
 * generation instead: loading applies the log, and each vector in it is a graph insertion.
 */
const LOG_MAX_CHUNKS = 1000;
/** The most bytes the change log grows to before a save writes a new generation instead. */
const LOG_MAX_BYTES = 32 * 1024 * 1024;
/**
 * The lexical index keeps the terms of as many documents added since a commit as the log can
 * take, and none beyond: more than that is written as a new generation anyway.
 */
const LEXICAL_OPTIONS: LexicalIndexOptions = { recentTermsLimit: LOG_MAX_CHUNKS };
/** How many chunks' vectors {@link IndexStorage.adapt} asks the embedding cache for at a time. */
const ADAPT_BATCH = 4096;

interface IndexMeta {
  root: string;
  /** the embedder's id, or null for a lexical-only index */
  modelId: string | null;
  dimension: number;
  chunks: number;
  /** whether a change log extends this generation (absent: written before change logs, or none started) */
  changeLog?: boolean;
  /** the rules the files were read under (text-files.ts CONTENT_RULES_VERSION; absent: 1) */
  contentRules?: number;
  /** how the files were cut into chunks (chunks/languages.ts CHUNKING_VERSION; absent: 1) */
  chunking?: number;
  /** a re-chunk toward another chunking version, stopped before it was done (absent: none) */
  rechunk?: RechunkProgress;
}

/**
 * How far a re-chunk has come: every file is chunked again when the chunking version changes
 * (chunks/languages.ts CHUNKING_VERSION), and a run stopped part-way (cancelled, killed, the
 * editor closed) commits the files it did. Chunk ids are never reused, so the chunks cut under
 * version `to` are exactly those with an id from `from` on: the next run toward the same version
 * chunks the others only.
 */
export interface RechunkProgress {
  /** the chunking version the re-chunk cuts files under */
  to: number;
  /** the catalog's next chunk id when the re-chunk began */
  from: number;
}

function isRechunkProgress(value: unknown): value is RechunkProgress {
  const r = value as RechunkProgress;
  return typeof r === 'object' && r !== null && Number.isInteger(r.to) && r.to >= 1 && Number.isInteger(r.from) && r.from >= 0;
}

function isIndexMeta(meta: unknown): meta is IndexMeta {
  const m = meta as IndexMeta;
  return (
    typeof m === 'object' && m !== null && typeof m.root === 'string' &&
    (m.modelId === null || typeof m.modelId === 'string') &&
    Number.isInteger(m.dimension) && Number.isInteger(m.chunks) &&
    (m.changeLog === undefined || typeof m.changeLog === 'boolean') &&
    (m.contentRules === undefined || (Number.isInteger(m.contentRules) && m.contentRules >= 1)) &&
    (m.chunking === undefined || (Number.isInteger(m.chunking) && m.chunking >= 1)) &&
    (m.rechunk === undefined || isRechunkProgress(m.rechunk))
  );
}

/** Why this process only reads the index: another process holds the lock, or the folder cannot be written. */
export type ReadOnlyReason = LockHeld | { cause: string };

/** The live, in-memory index of a workspace. */
export interface LoadedIndex {
  catalog: Catalog;
  lexical: LexicalIndex;
  /** absent in lexical-only mode */
  vectors?: VectorIndex;
  embeddingCache?: EmbeddingCache;
  /** true when this process may not write the index (see `readOnlyReason`): it reads, never writes */
  readOnly: boolean;
  readOnlyReason?: ReadOnlyReason;
  /** when the stored index was last committed, or null if never */
  updatedAt: string | null;
  /** false until the current state has been committed once */
  saved: boolean;
  /**
   * The rules every file's record was decided under (text-files.ts CONTENT_RULES_VERSION). When
   * older than the current rules, the next refresh reads every file again, and then records the
   * current version.
   */
  contentRules: number;
  /**
   * How every file's chunks were cut (chunks/languages.ts CHUNKING_VERSION). When it differs from
   * the current version, the next refresh chunks every file again, and then records the current one.
   */
  chunking: number;
  /**
   * While `chunking` differs from the current version: how far a re-chunk toward it came in an
   * earlier run (files whose chunks are all from then on are not chunked again); undefined: none.
   */
  rechunk?: RechunkProgress;
  /**
   * The files of an index that another model (or none) made whose chunks have no vector of this
   * engine's model in its embedding cache (IndexStorage.adapt): until the next refresh they are
   * searched by their words, and that refresh takes them out first and parses and embeds them again
   * (indexer.ts), so that no save records chunks without their vectors. Undefined when there are none.
   */
  unembedded?: ReadonlySet<string>;
  /**
   * The committed generation and its change log, when the next save may append to the log;
   * undefined when it must write a new generation (a new or adapted index, a rebuilt vector graph).
   */
  committed?: CommittedBase;
  close(): Promise<void>;
}

/** The generation a state extends, and what its change log holds. */
export interface CommittedBase {
  /** the model that made the generation's vectors, null for none */
  modelId: string | null;
  /** the generation's number and its manifest's checksum, which name the change log that extends it */
  generation: number;
  manifestChecksum: string;
  /** the log's writer, once it is resumed or started (writers only) */
  log?: ChangeLogWriter;
  /** where the log's intact records end and the file did when loading read it (undefined: none usable), for the writer to resume */
  read?: Pick<ChangeLogContents, 'end' | 'bytes'>;
  /** the chunks the log's records hold */
  logChunks: number;
  /** the content rules the generation's manifest records: a state under other rules is committed as a new generation */
  contentRules: number;
  /** the chunking version the generation's manifest records: a state chunked otherwise is committed as a new generation */
  chunking: number;
  /** the re-chunk the generation's manifest records, whatever its version (undefined: none); a save that records another is committed as a new generation */
  rechunk?: RechunkProgress;
}

type Committed = Omit<LoadedIndex, 'embeddingCache' | 'close' | 'readOnly' | 'readOnlyReason'> & {
  /** the model that made the stored vectors, null for none; absent for a new index */
  modelId?: string | null;
};

/**
 * One file's change as the log records it: gone (no `file`); only touched (`touched`: its new size
 * and modification time, its chunks unchanged); or its record, chunks, terms and vectors.
 */
interface FileChange {
  path: string;
  touched?: { size: number; mtimeMs: number };
  file?: FileRecord;
  chunks?: ChunkRecord[];
  /** per chunk: its lexical terms and length (LexicalIndex.recentDocumentTerms) */
  terms?: { terms: [string, number][]; length: number }[];
  /** per chunk: its unit vector as base64 float32 bytes, or null when it has none */
  vectors?: (string | null)[];
}

/** A change log record: the files a save changed, the catalog's next chunk id and, if they changed, the scan's skips and whether it followed links. */
interface LoggedChange {
  at: string;
  nextId: number;
  files: FileChange[];
  scanSkipped?: Skipped[];
  followsLinks?: boolean;
}

/** The catalog's and the lexical index's bytes, encoded ahead of a save ({@link IndexStorage.prepareSave}). */
export interface PreparedSave {
  /** the catalog's revision when they were encoded */
  readonly revision: number;
  /** undefined once the save has taken them */
  catalog: Buffer[] | undefined;
  lexical: Buffer[] | undefined;
}

export class IndexStorage {
  private savesBegun = 0;

  constructor(
    readonly dir: string,
    private readonly root: string,
    private readonly embedder: Embedder | undefined,
    /** the vector index's settings beyond its dimension (their defaults: see VectorIndexOptions) */
    private readonly vectorSettings: VectorIndexSettings = {},
  ) {}

  /** The options of this index's vector index (with a model). */
  private vectorOptions(embedder: Embedder): VectorIndexOptions {
    return { ...this.vectorSettings, dimension: embedder.dimension };
  }

  /**
   * Loads the committed index. A missing index gives an empty one; a damaged one is reported
   * through `log` and replaced by an empty one, which the next refresh fills. An index made with
   * another model, or without one, is reused as far as it can be (see {@link adapt}).
   * Throws {@link IndexFolderError} for a folder that is not an index or is another folder's,
   * and I/O errors for a folder that cannot be read. When the folder cannot be written, or
   * another process holds the lock, the index is opened read-only and `log` says so.
   */
  async load(log: (message: string) => void, ahead?: ReadAhead, { announceReadOnly = true } = {}): Promise<LoadedIndex> {
    this.checkFolder();
    const lock = IndexLock.acquire(this.dir);
    const writer = lock instanceof IndexLock ? lock : undefined;
    let reason: ReadOnlyReason | undefined;
    if (lock instanceof IndexLock) reason = undefined;
    else if ('heldBy' in lock) reason = lock;
    else reason = { cause: lock.cannotWrite };
    let state: Committed | undefined;
    let embeddingCache: EmbeddingCache | undefined;
    try {
      try {
        state = await this.readCommitted(log, ahead);
      } catch (err) {
        if (!(err instanceof IndexCorruptError)) throw err;
        // Data files and no manifest, while another process holds the lock: it is writing the first generation.
        const firstBeingWritten = reason !== undefined && 'heldBy' in reason && manifestSnapshot(this.dir) === undefined;
        if (!firstBeingWritten) log(err.message);
      }
      if (this.embedder && writer) {
        try {
          embeddingCache = this.openCache(this.embedder);
        } catch (err) {
          const failure = writeFailure(err);
          if (failure === undefined) throw err;
          writer.release();
          reason = { cause: failure.code };
        }
      }
      if (reason !== undefined && announceReadOnly) log(readOnlyNotice(this.dir, reason, state !== undefined));
      const loaded = state ? this.adapt(state, embeddingCache, log) : this.empty();
      const lockHeld = reason === undefined ? writer : undefined;
      if (lockHeld && loaded.committed) this.resumeLog(loaded.committed, log);
      const result: LoadedIndex = {
        ...loaded,
        embeddingCache,
        readOnly: reason !== undefined,
        ...(reason !== undefined && { readOnlyReason: reason }),
        close: async () => {
          try {
            result.vectors?.close(); // a graph used from its file holds it open
            result.lexical.close(); // postings left in their file too
          } catch {
            // releasing a descriptor: nothing a caller could do about it
          }
          try {
            embeddingCache?.close();
          } catch (err) {
            log(`the embedding cache could not be written (${errnoCode(err) ?? (err as Error).message}); its newest vectors will be computed again`);
          } finally {
            lockHeld?.release();
          }
        },
      };
      return result;
    } catch (err) {
      state?.vectors?.close(); // a graph used from its file holds it open
      state?.lexical.close(); // postings left in their file too
      try {
        embeddingCache?.close(); // its descriptor (adapt may fail after opening it: a full disk while it rewrites the cache)
      } catch {
        // the error being thrown is the one to report
      }
      writer?.release();
      throw err;
    }
  }

  /**
   * Tries once to become the writer of an index opened read-only because another process held
   * its lock: when that process is done, the index it saved is loaded afresh, this time with the
   * lock. Returns undefined while the lock is still held or the folder still cannot be written.
   */
  async takeOver(log: (message: string) => void): Promise<LoadedIndex | undefined> {
    const lock = IndexLock.acquire(this.dir);
    if (!(lock instanceof IndexLock)) return undefined;
    lock.release();
    const state = await this.load(log);
    if (!state.readOnly) return state;
    await state.close();
    return undefined;
  }

  /**
   * How many saves have begun through this storage, the failed ones included. A refresh that
   * returns has saved whenever it changed the index (see Engine.revision).
   */
  get saves(): number {
    return this.savesBegun;
  }

  /**
   * Encodes the catalog and the lexical index for the {@link save} that follows, at a moment when
   * this thread would otherwise wait: a refresh's end, while the graph built on a worker thread is
   * read back on libuv's. Nothing of any kind may change either before that save (the revision
   * check there catches files added or removed, not a touched file or a new scan skip); undefined
   * when the save may append to the change log instead.
   */
  async prepareSave(state: LoadedIndex, slices = new TimeSlices(SAVE_SLICE_MS)): Promise<PreparedSave | undefined> {
    if (this.mayAppendChange(state)) return undefined; // a small change: logged, not encoded in full
    const revision = state.catalog.revision;
    const catalog = await runStepsSliced(state.catalog.serializeSteps(), slices);
    const lexical = await runStepsSliced(state.lexical.serializeSteps(), slices);
    return { revision, catalog, lexical };
  }

  /** Whether the next save may append the uncommitted changes to the change log (see {@link appendChange}, which decides). */
  private mayAppendChange(state: LoadedIndex): boolean {
    const base = state.committed;
    if (base?.log === undefined) return false;
    const { catalog } = state;
    const uncommitted = catalog.uncommitted();
    let chunks = base.logChunks;
    for (const path of uncommitted.paths) {
      if (uncommitted.touchedOnly.has(path)) continue;
      chunks += catalog.files.get(path)?.chunkIds.length ?? 0;
      if (chunks > LOG_MAX_CHUNKS) return false;
    }
    return true;
  }

  /**
   * Commits the in-memory index as a new generation. Throws {@link IndexWriteError} when it cannot
   * be written. `prepared`: the bytes {@link prepareSave} made of this state.
   */
  async save(state: LoadedIndex, slices = new TimeSlices(SAVE_SLICE_MS), prepared?: PreparedSave): Promise<void> {
    if (state.readOnly) throw new IndexNotWritableError(this.dir, state.readOnlyReason ?? { cause: 'EACCES' });
    this.savesBegun++;
    const { catalog, lexical, vectors } = state;
    const meta: IndexMeta = {
      root: this.root,
      modelId: this.embedder?.id ?? null,
      dimension: this.embedder?.dimension ?? 0,
      chunks: catalog.chunks.size,
      changeLog: true,
      contentRules: state.contentRules,
      chunking: state.chunking,
      ...(state.rechunk !== undefined && state.chunking !== CHUNKING_VERSION ? { rechunk: state.rechunk } : {}),
    };
    state.saved = false;
    try {
      state.embeddingCache?.flush();
      if (this.appendChange(state, meta)) {
        markCommitted(state);
        state.saved = true;
        return;
      }
    } catch (err) {
      const failure = writeFailure(err);
      if (failure === undefined) throw err;
      throw new IndexWriteError(this.dir, failure.code, `${failure.words} (${failure.code})`);
    }
    let log: ChangeLogWriter | undefined;
    let graph: GraphDigest | undefined;
    // Serialised and written in slices: the engine answers searches while it checkpoints. Nothing
    // may change the state until this returns (searches only read it); a change made meanwhile
    // would be written half, so it abandons the commit instead (below).
    const revision = catalog.revision;
    const encoded = prepared?.revision === revision ? prepared : undefined;
    if (prepared !== undefined && encoded === undefined) prepared.catalog = prepared.lexical = undefined; // stale: let go at once
    /** the prepared bytes of one file, let go as they are handed over (each file's are written, then dropped) */
    const take = (name: 'catalog' | 'lexical'): Buffer[] | undefined => {
      const parts = encoded?.[name];
      if (encoded) encoded[name] = undefined;
      return parts;
    };
    const manifest = await commitGeneration<IndexMeta>(this.dir, {
      version: FORMAT_VERSION,
      meta,
      knownNames: DATA_FILES,
      files: [
        // each made as it is written (or prepared ahead, and then taken): the catalog's bytes are let go before the lexical index's are made, or taken
        { name: 'catalog.bin', parts: async () => take('catalog') ?? (await runStepsSliced(catalog.serializeSteps(), slices)) },
        { name: 'lexical.bin', parts: async () => take('lexical') ?? (await runStepsSliced(lexical.serializeSteps(), slices)) },
        // the graph first: the vector file records its checksum
        ...(vectors?.hasGraph
          ? [{ name: 'graph.hnsw', write: async (path: string) => {
              graph = await vectors.writeGraphAsync(path, slices);
              return { bytes: graph.bytes, sha256: graph.sha256.toString('hex'), ...(graph.crc32 === undefined ? {} : { crc32: graph.crc32 }) };
            } }]
          : []),
        ...(vectors ? [{ name: 'vectors.bin', write: (path: string) => vectors.writeVectors(path, graph) }] : []),
      ],
      // the new generation's (empty) log exists before its manifest does
      beforeSwitch: (next) => {
        if (catalog.revision !== revision) throw new Error('the index changed while it was being saved; the save was abandoned');
        log = ChangeLogWriter.start(this.dir, next.generation, next.checksum);
      },
    });
    removeOldLogs(this.dir, manifest);
    markCommitted(state);
    state.updatedAt = manifest.updatedAt;
    state.saved = true;
    state.committed = { modelId: meta.modelId, generation: manifest.generation, manifestChecksum: manifest.checksum, log, logChunks: 0, contentRules: state.contentRules, chunking: state.chunking, rechunk: meta.rechunk };
  }

  /**
   * Commits the catalog's uncommitted changes by appending them to the change log, when they
   * can be: the state extends the committed generation with the same model, and the log stays
   * within {@link LOG_MAX_CHUNKS} and {@link LOG_MAX_BYTES}. Returns false when a new generation
   * must be written instead.
   */
  private appendChange(state: LoadedIndex, meta: IndexMeta): boolean {
    const base = state.committed;
    if (base?.log === undefined || base.modelId !== meta.modelId || base.contentRules !== meta.contentRules || base.chunking !== meta.chunking) return false;
    // the manifest's re-chunk must be this save's, to the version: chunks appended under another's
    // marker (a later build's, say, from the same id) would be taken for that version's
    if (base.rechunk?.to !== meta.rechunk?.to || base.rechunk?.from !== meta.rechunk?.from) return false;
    const { catalog, lexical, vectors } = state;
    const uncommitted = catalog.uncommitted();
    const files: FileChange[] = [];
    let chunks = base.logChunks;
    for (const path of uncommitted.paths) {
      const file = catalog.files.get(path);
      if (file === undefined) {
        files.push({ path });
        continue;
      }
      if (uncommitted.touchedOnly.has(path)) {
        files.push({ path, touched: { size: file.size, mtimeMs: file.mtimeMs } });
        continue;
      }
      chunks += file.chunkIds.length;
      if (chunks > LOG_MAX_CHUNKS) return false;
      const terms = file.chunkIds.map((id) => lexical.recentDocumentTerms(id));
      // a chunk missing from the lexical index (a batch that failed half-way), or whose terms are
      // not kept (more documents than the log takes were added since the last commit: see
      // LEXICAL_OPTIONS), is not logged: a new generation is written, and checked when loaded
      if (terms.some((t) => t === undefined)) return false;
      files.push({
        path,
        file,
        chunks: file.chunkIds.map((id) => catalog.chunks.get(id)!),
        terms: terms as { terms: [string, number][]; length: number }[],
        vectors: file.chunkIds.map((id) => {
          const vector = vectors?.getVector(id);
          return vector === undefined ? null : Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength).toString('base64');
        }),
      });
    }
    if (files.length === 0 && !uncommitted.scanSkipped) return true; // nothing changed since the last commit
    const at = new Date().toISOString();
    const change: LoggedChange = {
      at,
      nextId: catalog.nextChunkId,
      files,
      ...(uncommitted.scanSkipped && { scanSkipped: catalog.scanSkipped, followsLinks: catalog.followsLinks }),
    };
    try {
      if (!base.log.append(change, LOG_MAX_BYTES)) return false;
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') throw err;
      state.committed = undefined; // the log was deleted under this process: a new generation holds the change
      return false;
    }
    base.logChunks = chunks;
    state.updatedAt = at;
    return true;
  }

  /**
   * Takes over the change log of the loaded generation (a writer's), as loading read it under
   * the lock: a torn last record is cut off, and a missing or unusable log (reported when it was
   * read) is started afresh.
   */
  private resumeLog(base: CommittedBase, log: (message: string) => void): void {
    const contents = base.read;
    base.read = undefined;
    try {
      base.log = contents
        ? ChangeLogWriter.resume(this.dir, base.generation, base.manifestChecksum, contents)
        : ChangeLogWriter.start(this.dir, base.generation, base.manifestChecksum);
      if (contents && contents.bytes > contents.end) {
        log('the last change saved to the index is incomplete or damaged (a process stopped while saving it, or the file was damaged); its files are indexed again');
      }
    } catch (err) {
      if (writeFailure(err) === undefined) throw err;
      base.log = undefined; // the next save writes a new generation
    }
  }

  /** Bytes used by the index folder. */
  async sizeOnDisk(): Promise<number> {
    let total = 0;
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch {
      return 0; // no index yet
    }
    for (const name of names) {
      try {
        total += (await stat(join(this.dir, name))).size;
      } catch {
        // removed in between by a writer's cleanup
      }
    }
    return total;
  }

  /**
   * Refuses a folder that cannot hold this index: one that is not a folder, or one that holds
   * other files and no index (a manifest.json of its own is not one). Another workspace
   * folder's index is refused when it is read.
   */
  private checkFolder(): void {
    let names: string[];
    try {
      names = fs.readdirSync(this.dir);
    } catch (err) {
      const code = errnoCode(err);
      if (code === 'ENOENT') return; // created on first save
      if (code === 'ENOTDIR') {
        throw new IndexFolderError(this.dir, `cannot use the index folder ${this.dir}: a file is in the way of it (ENOTDIR); choose another index folder`);
      }
      throw err;
    }
    if (names.every((name) => name === MANIFEST_FILE || isIndexFileName(name))) return;
    // The user's files beside an index are kept; beside a manifest.json that is not an index's, they are not an index.
    if (names.includes(MANIFEST_FILE) && isIndexManifest(join(this.dir, MANIFEST_FILE))) return;
    const foreign = names.filter((name) => !isIndexFileName(name));
    throw new IndexFolderError(
      this.dir,
      `the index folder ${this.dir} holds other files (${foreign.slice(0, 3).join(', ')}${foreign.length > 3 ? ', …' : ''}) ` +
        'and no Code Scout index; choose an empty or new folder',
    );
  }

  /**
   * Reads the committed generation. A writer in another process may replace it while it is
   * read: when reading fails and the manifest changed meanwhile, it is read again, so a reader
   * sees the old generation or the new one, never a mix.
   */
  private async readCommitted(log: (message: string) => void, ahead: ReadAhead | undefined): Promise<Committed | undefined> {
    for (let attempt = 1; ; attempt++) {
      const before = manifestSnapshot(this.dir);
      try {
        return await this.readGeneration(log, ahead);
      } catch (err) {
        const changed = !sameBytes(before, manifestSnapshot(this.dir));
        const retryable = err instanceof IndexCorruptError || errnoCode(err) === 'ENOENT';
        if (!(changed && retryable) || attempt === READ_ATTEMPTS) {
          if (errnoCode(err) === 'ENOENT') throw new IndexCorruptError(`a file is missing (${(err as Error).message})`, this.dir);
          throw err;
        }
      }
    }
  }

  /** `ahead`: files read beforehand, used where they are what the manifest lists (see Generation.readVia). */
  private async readGeneration(log: (message: string) => void, ahead: ReadAhead | undefined): Promise<Committed | undefined> {
    const generation = openGeneration<IndexMeta>(this.dir, FORMAT_VERSION, isIndexMeta, DATA_FILES);
    if (!generation) return undefined;
    const meta = generation.manifest.meta;
    if (meta.root !== this.root) {
      throw new IndexFolderError(
        this.dir,
        `the index folder ${this.dir} holds the index of ${meta.root}; ` +
          `choose another index folder for ${this.root} (or delete ${this.dir} to index ${this.root} there)`,
      );
    }
    let catalog: Catalog;
    const catalogFile = catalogFileOf(generation);
    // An error reading it (too many open files, EIO, EACCES) is not damage: it is passed on, as for
    // the other files, and the index is kept. Only what was read can be damaged (a wrong size or
    // checksum, which reading reports as such, or bytes that do not decode).
    const catalogBytes = await generation.readVia(catalogFile, ahead);
    try {
      catalog = Catalog.deserialize(catalogBytes);
    } catch (err) {
      if (err instanceof IndexCorruptError && err.dir !== undefined) throw err;
      if (err instanceof IndexVersionError) throw new IndexVersionError(err.found, err.expected, this.dir);
      throw new IndexCorruptError(`${catalogFile} is unreadable: ${err instanceof IndexCorruptError ? err.reason : (err as Error).message}`, this.dir);
    }
    const lexical = readLexical(await generation.readHeadVia(LEXICAL_FILE, ahead));
    let vectors: VectorIndex | undefined;
    try {
      // The vectors of another model (or of this one) are loaded only when this model made them.
      const sameModel = meta.modelId === (this.embedder?.id ?? null);
      if (this.embedder && sameModel) {
        // the vector file is verified against the manifest; the graph file against the manifest's
        // CRC-32 where it records one and the runtime computes them, else the vector file's SHA-256
        const graphFile = generation.has('graph.hnsw') ? generation.pathOf('graph.hnsw') : undefined;
        const graphCrc32 = graphFile === undefined ? undefined : generation.crc32Of('graph.hnsw');
        vectors = VectorIndex.fromBytes(await generation.readVia('vectors.bin', ahead), this.vectorOptions(this.embedder), graphFile, graphCrc32);
      } else if (meta.modelId !== null && !generation.has('vectors.bin')) {
        throw new IndexCorruptError('vectors.bin is not in manifest.json', this.dir);
      }
      return this.extend(generation, catalog, lexical, vectors, log);
    } catch (err) {
      // a read that fails (and may be retried) lets go of what it holds open: the postings left in
      // their file, a graph used from its file
      lexical.close();
      vectors?.close();
      throw err;
    }
  }

  /** The rest of {@link readGeneration}: checks the counts and applies the generation's change log. */
  private extend(generation: Generation<IndexMeta>, catalog: Catalog, lexical: LexicalIndex, vectors: VectorIndex | undefined, log: (message: string) => void): Committed {
    const meta = generation.manifest.meta;
    const catalogFile = catalogFileOf(generation);
    // Every chunk is in the lexical index; a chunk whose text has no embedding (no known token) has no vector.
    const checkCounts = () => {
      if (lexical.size !== catalog.chunks.size || (vectors?.size ?? 0) > catalog.chunks.size) {
        throw new IndexCorruptError(
          `inconsistent chunk counts (catalog ${catalog.chunks.size}, lexical ${lexical.size}, vectors ${vectors?.size ?? '-'})`,
          this.dir,
        );
      }
    };
    if (meta.chunks !== catalog.chunks.size) throw new IndexCorruptError(`${catalogFile} holds ${catalog.chunks.size} chunks, manifest.json says ${meta.chunks}`, this.dir);
    checkCounts();
    const { checksum } = generation.manifest;
    let updatedAt = generation.manifest.updatedAt;
    let logChunks = 0;
    const logFile = changeLogFile(generation.manifest.generation);
    const read = readChangeLog(this.dir, generation.manifest.generation, checksum);
    if ((read === undefined || 'foreign' in read) && currentManifestChecksum(this.dir) !== checksum) {
      // a writer committed a new generation (and started its log) while this one was read: read again
      throw new IndexCorruptError('the index was replaced while it was read', this.dir);
    }
    const changes = read === undefined || 'damaged' in read ? undefined : read;
    if (meta.changeLog === true && changes === undefined) {
      // the generation is sound; what the log held (if anything) is found changed and indexed again
      const why = read === undefined ? 'it is missing' : 'damaged' in read ? read.damaged : '';
      log(`the change log of the index in ${this.dir} is damaged (${why}); the files it recorded will be indexed again`);
    }
    const replay = new Replay();
    try {
      for (const payload of changes?.payloads ?? []) {
        const change = parseChange(payload);
        if (change === undefined) throw new IndexCorruptError(`${logFile} holds a change of an unknown shape`, this.dir);
        logChunks += replay.apply(catalog, change);
        updatedAt = change.at;
      }
      replay.finish(lexical, vectors);
    } catch (err) {
      if (err instanceof IndexCorruptError) throw err;
      throw new IndexCorruptError(`${logFile} does not fit the index: ${(err as Error).message}`, this.dir);
    }
    markCommitted({ catalog, lexical }); // the replayed changes are in the log already
    checkCounts();
    const contentRules = meta.contentRules ?? 1;
    const chunking = meta.chunking ?? 1;
    // a re-chunk toward this build's version resumes; one toward another version tells nothing about this one's
    const rechunk = chunking !== CHUNKING_VERSION && meta.rechunk?.to === CHUNKING_VERSION ? meta.rechunk : undefined;
    const committed: CommittedBase = { modelId: meta.modelId, generation: generation.manifest.generation, manifestChecksum: checksum, read: changes && { end: changes.end, bytes: changes.bytes }, logChunks, contentRules, chunking, rechunk: meta.rechunk };
    if (contentRules !== CONTENT_RULES_VERSION) {
      log(`the index in ${this.dir} was built with other rules for which files to skip (generated, minified, binary); its next update reads every file again`);
    }
    if (chunking !== CHUNKING_VERSION) {
      const rules = chunking < CHUNKING_VERSION ? `older rules (since then: ${chunkingChangesSince(chunking)})` : 'the rules of a later version';
      // a words-only run leaves it to the model's (indexer.ts), so that the new chunks get their vectors' keys
      const when = !this.embedder && meta.modelId !== null ? `the next update with the model ${meta.modelId}` : 'its next update';
      const which = rechunk === undefined ? 'every file' : 'the files an earlier update did not';
      log(`the files in the index in ${this.dir} were cut into chunks by ${rules}; ${when} chunks ${which} again`);
    }
    const olderFormat = catalog.formatRead !== CATALOG_FORMAT_VERSION || lexical.formatRead !== LEXICAL_FORMAT_VERSION || (vectors !== undefined && vectors.formatRead !== VECTOR_FORMAT_VERSION);
    if (olderFormat || (vectors !== undefined && vectors.hasGraph !== generation.has('graph.hnsw'))) {
      // files in an older format (read as they are), or a graph built or dropped on loading: the next refresh writes them as they are now
      // a graph of an older format may hold copies of one vector in nodes of their own (vector-index.ts): built again, once
      const graph = vectors?.needsGraphRebuild ? ', and builds its vector graph again' : '';
      if (olderFormat) log(`the index in ${this.dir} is in an older format; its next update writes it in the current one${graph}`);
      return { catalog, lexical, vectors, modelId: meta.modelId, updatedAt, saved: false, committed: undefined, contentRules, chunking, rechunk };
    }
    return { catalog, lexical, vectors, modelId: meta.modelId, updatedAt, saved: true, committed, contentRules, chunking, rechunk };
  }

  /**
   * Makes a committed index fit this engine's model. Built with it: as is. Lexical-only now:
   * the catalog and the lexical index are used as they are (the vectors are dropped at the next
   * save). A model now that did not make the index: the vectors of chunks whose embeddings are
   * in this model's cache are added back from it; the files of the other chunks stay as they are
   * (searched by their words, and counted by a status) and are named in `unembedded`, for the
   * next refresh to parse and embed again. Without a cache (read-only) such an index is searched
   * by words only until a writer has added the vectors.
   */
  private adapt(state: Committed, cache: EmbeddingCache | undefined, log: (message: string) => void): Committed {
    if (state.vectors || !this.embedder) return state;
    const vectors = new VectorIndex(this.vectorOptions(this.embedder));
    const built = `the index was built ${state.modelId ? `with the model ${state.modelId}` : 'without a model'}`;
    if (!cache) {
      log(`${built}; searching its words only until it is updated with ${this.embedder.id}`);
      return { ...state, vectors, committed: undefined };
    }
    const stale = new Set<string>();
    const keyed: { chunk: ChunkRecord; key: Buffer }[] = [];
    for (const chunk of state.catalog.chunks.values()) {
      const key = cacheKeyOf(chunk.embeddingKey);
      if (key === undefined) stale.add(chunk.path);
      else keyed.push({ chunk, key });
    }
    // looked up a few thousand at a time: the cache reads their records from its file in order, in blocks
    for (let start = 0; start < keyed.length; start += ADAPT_BATCH) {
      const batch = keyed.slice(start, start + ADAPT_BATCH);
      cache.getMany(batch.map((k) => k.key), { search: false }).forEach((vector, i) => {
        const { chunk } = batch[i];
        if (vector === undefined) stale.add(chunk.path);
        else if (vector.some((x) => x !== 0)) vectors.add(chunk.id, vector);
      });
    }
    const again = stale.size === 0 ? 'all from the embedding cache' : `${stale.size} file${stale.size === 1 ? '' : 's'} to parse and embed again, the rest from the embedding cache`;
    log(`${built}; its next update adds the vectors of ${this.embedder.id} (${again})`);
    return { ...state, vectors, saved: false, committed: undefined, ...(stale.size > 0 && { unembedded: stale }) };
  }

  /**
   * Opens this model's embedding cache. Something other than a file in its place (a named pipe,
   * an empty folder) is removed and the cache started afresh: it is only a cache.
   */
  private openCache(embedder: Embedder): EmbeddingCache {
    const file = cacheFileName(embedder.id);
    const open = () => EmbeddingCache.open(join(this.dir, file), embedder.dimension);
    try {
      return open();
    } catch (err) {
      if (!(err instanceof NotAFileError)) throw err;
      clearFileSlot(this.dir, file);
      return open();
    }
  }

  private empty(): Committed {
    return {
      catalog: new Catalog(),
      lexical: new LexicalIndex(LEXICAL_OPTIONS),
      vectors: this.embedder ? new VectorIndex(this.vectorOptions(this.embedder)) : undefined,
      updatedAt: null,
      saved: false,
      contentRules: CONTENT_RULES_VERSION,
      chunking: CHUNKING_VERSION,
    };
  }
}

/** One cache file per model, so switching models back and forth keeps both caches. */
function cacheFileName(modelId: string): string {
  return `embeddings-${createHash('sha256').update(modelId).digest('hex').slice(0, 12)}.cache`;
}

/** The logical name of a generation's catalog: `catalog.json` in generations written before `catalog.bin`. */
function catalogFileOf(generation: Generation<IndexMeta>): 'catalog.json' | 'catalog.bin' {
  return generation.has('catalog.json') ? 'catalog.json' : 'catalog.bin';
}

/**
 * Names that an index folder may hold before its first manifest is written: its data files,
 * lock and cache files, and the temporary files of their writers.
 */
function isIndexFileName(name: string): boolean {
  return (
    /^index\.lock(\..+)?$/.test(name) ||
    /^embeddings-[0-9a-f]{12}\.cache$/.test(name) ||
    CHANGE_LOG_NAME.test(name) ||
    /^\.(manifest\.json|changes\.g\d+\.log|embeddings-[0-9a-f]{12}\.cache|graph\.g\d+\.hnsw)\..+\.tmp$/.test(name) ||
    DATA_FILES.some((file) => new RegExp(`^${file.replace('.', '\\.g\\d+\\.')}$`).test(name))
  );
}

/**
 * Whether a manifest.json was written by Code Scout (of any format version, damaged data files
 * or not): a JSON object with a numeric format version, a generation number and a file list.
 */
function isIndexManifest(filePath: string): boolean {
  try {
    const field = ownFields(JSON.parse(readRegularFile(filePath).toString('utf8')));
    if (!field) return false;
    const files = field('files');
    return typeof field('version') === 'number' && Number.isSafeInteger(field('generation')) && typeof files === 'object' && files !== null;
  } catch {
    return false;
  }
}

function sameBytes(a: Buffer | undefined, b: Buffer | undefined): boolean {
  return a === undefined || b === undefined ? a === b : a.equals(b);
}

/** The one line that says why this process answers from the saved index without updating it. */
export function readOnlyNotice(dir: string, reason: ReadOnlyReason, saved = true): string {
  if ('heldBy' in reason) {
    return `${holderInWords(reason)} is updating this index; ${saved ? 'answering from its last saved state' : 'it has saved nothing yet'}`;
  }
  return `${new IndexNotWritableError(dir, reason).message}; ${saved ? 'answering from the saved index' : 'no saved index can be read'}`;
}

/**
 * Says that what the catalog and the lexical index hold is on disk (a generation, or the change
 * log): the catalog's changes since are what the next append logs, and the lexical index keeps the
 * terms of the documents added after this only.
 */
function markCommitted({ catalog, lexical }: Pick<LoadedIndex, 'catalog' | 'lexical'>): void {
  catalog.markCommitted();
  lexical.markCommitted();
}

/** The checksum of the manifest now in the folder, or undefined when there is none that loads. */
function currentManifestChecksum(dir: string): string | undefined {
  try {
    return loadManifest(dir, FORMAT_VERSION, isIndexMeta)?.checksum;
  } catch {
    return undefined;
  }
}

/** A change log record checked for shape (its checksum held, but its fields are still data read from disk). */
function parseChange(payload: unknown): LoggedChange | undefined {
  const field = ownFields(payload);
  if (!field) return undefined;
  const at = field('at');
  const nextId = field('nextId');
  const files = field('files');
  const scanSkipped = field('scanSkipped');
  const followsLinks = field('followsLinks');
  if (typeof at !== 'string' || !Number.isSafeInteger(nextId) || !Array.isArray(files)) return undefined;
  if (scanSkipped !== undefined && !Array.isArray(scanSkipped)) return undefined;
  if (followsLinks !== undefined && typeof followsLinks !== 'boolean') return undefined;
  const changes: FileChange[] = [];
  for (const entry of files) {
    const f = ownFields(entry);
    const path = f?.('path');
    if (!f || typeof path !== 'string') return undefined;
    const touched = f('touched');
    if (touched !== undefined) {
      const t = ownFields(touched);
      const size = t?.('size');
      const mtimeMs = t?.('mtimeMs');
      if (!Number.isSafeInteger(size) || typeof mtimeMs !== 'number' || !Number.isFinite(mtimeMs)) return undefined;
      changes.push({ path, touched: { size: size as number, mtimeMs } });
      continue;
    }
    const file = f('file');
    if (file === undefined) {
      changes.push({ path });
      continue;
    }
    const chunks = f('chunks');
    const terms = f('terms');
    const vectors = f('vectors');
    const ids = ownFields(file)?.('chunkIds');
    if (!Array.isArray(ids) || !Array.isArray(chunks) || !Array.isArray(terms) || !Array.isArray(vectors)) return undefined;
    if (chunks.length !== ids.length || terms.length !== ids.length || vectors.length !== ids.length) return undefined;
    if (!vectors.every((v) => v === null || typeof v === 'string')) return undefined;
    const termsOk = terms.every((t) => {
      const tf = ownFields(t);
      const list = tf?.('terms');
      return tf && Array.isArray(list) && typeof tf('length') === 'number' && list.every((e) => Array.isArray(e) && e.length === 2 && typeof e[0] === 'string' && typeof e[1] === 'number');
    });
    if (!termsOk || !chunks.every((c) => ownFields(c) !== undefined && Number.isSafeInteger(ownFields(c)!('id')))) return undefined;
    changes.push({ path, file: file as FileRecord, chunks: chunks as ChunkRecord[], terms: terms as FileChange['terms'], vectors: vectors as (string | null)[] });
  }
  return {
    at,
    nextId: nextId as number,
    files: changes,
    ...(scanSkipped !== undefined && { scanSkipped: scanSkipped as Skipped[] }),
    ...(followsLinks !== undefined && { followsLinks }),
  };
}

/**
 * Applies logged changes to a loaded generation, as the indexer made them: each file's old
 * chunks out, its recorded ones in (ids, terms and vectors as they were). The catalog follows
 * each change at once; the lexical and vector indexes get the net result at the end, in one
 * removal (a loaded lexical index does its first removal in one pass over its postings, so a log
 * of many small changes costs one pass) and then the additions in their order. A chunk a later
 * change removes again is never added. Throws when a change does not fit the index.
 */
class Replay {
  private readonly removed: number[] = [];
  /** by chunk id, in the order added: what is to be added */
  private readonly added = new Map<number, { terms: [string, number][]; length: number; vector: string | null }>();

  /** Applies one change to the catalog and records its index updates; returns the chunks it added. */
  apply(catalog: Catalog, change: LoggedChange): number {
    let count = 0;
    for (const entry of change.files) {
      if (entry.touched !== undefined) {
        if (!catalog.files.has(entry.path)) throw new Error(`${entry.path} was touched but is not in the index`);
        catalog.touchFile(entry.path, entry.touched.size, entry.touched.mtimeMs);
        continue;
      }
      for (const id of catalog.removeFile(entry.path)) {
        if (!this.added.delete(id)) this.removed.push(id);
      }
      if (entry.file === undefined) continue;
      catalog.restoreFile(entry.path, entry.file, entry.chunks!, change.nextId);
      entry.chunks!.forEach((chunk, i) => this.added.set(chunk.id, { ...entry.terms![i], vector: entry.vectors![i] }));
      count += entry.chunks!.length;
    }
    if (change.scanSkipped !== undefined) catalog.scanSkipped = change.scanSkipped;
    if (change.followsLinks !== undefined) catalog.followsLinks = change.followsLinks;
    catalog.advanceNextId(change.nextId);
    return count;
  }

  /** Applies the recorded updates to the lexical and vector indexes. */
  finish(lexical: LexicalIndex, vectors: VectorIndex | undefined): void {
    lexical.removeMany(this.removed);
    for (const id of this.removed) vectors?.remove(id);
    for (const [id, { terms, length, vector }] of this.added) {
      lexical.restore(id, terms, length);
      if (vectors !== undefined && vector !== null) {
        const bytes = Buffer.from(vector, 'base64');
        if (bytes.length !== vectors.dimension * 4) throw new Error(`the vector of chunk ${id} has ${bytes.length} bytes`);
        const unit = new Float32Array(vectors.dimension);
        new Uint8Array(unit.buffer).set(bytes);
        vectors.restore(id, unit);
      }
    }
  }
}

/**
 * Deletes the change logs of generations other than the committed one, as the commit deleted
 * their files (store.ts), and the temporary files of writers that are gone: of change logs, and of
 * embedding caches (a cache's compaction or upgrade rewrites it whole through one, as large as the
 * cache). A reader still replaying a deleted log finds the manifest changed and reads the new
 * generation. Cleanup: a file that cannot be deleted is left for the next commit.
 */
function removeOldLogs(dir: string, manifest: { generation: number }): void {
  for (const name of namesForCleanup(dir)) {
    const match = CHANGE_LOG_NAME.exec(name);
    const stale = match
      ? Number(match[1]) !== manifest.generation
      : /^\.(changes\.g\d+\.log|embeddings-[0-9a-f]{12}\.cache)\.(\d+)\.[0-9a-f]+\.tmp$/.test(name) && tempOfDeadProcess(name);
    if (stale) removeBestEffort(join(dir, name));
  }
}

/**
 * The lexical index of a generation: from its head, its postings left in the file (closed here
 * if the head is refused), or from the whole file.
 */
function readLexical(read: { bytes: Buffer; file?: { fd: number; size: number } }): LexicalIndex {
  if (read.file === undefined) return LexicalIndex.deserialize(read.bytes, LEXICAL_OPTIONS);
  try {
    return LexicalIndex.deserializeHead(read.bytes, read.file, LEXICAL_OPTIONS);
  } catch (err) {
    closeQuietly(read.file.fd);
    throw err;
  }
}
