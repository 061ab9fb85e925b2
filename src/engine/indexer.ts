/**
 * The refresh pipeline: scan → read → chunk → embed → index, incrementally.
 *
 * - Files whose size and mtime are unchanged are not read; files whose content hash is
 *   unchanged are not re-parsed.
 * - Chunks whose (model id, text) is in the embedding cache are not re-embedded. The cache
 *   is appended to as vectors are computed, so a killed run loses no inference work.
 * - The index is checkpointed every few seconds and at the end; a later run after a kill
 *   resumes from the last checkpoint instead of starting over.
 * - Work stops between batches when the signal is cancelled, and what was indexed up to then is
 *   saved: every file's entry is then either the one it had or its new one. A cancelled scan
 *   stops the run before anything changes (a file it did not reach is not deleted), and files
 *   in a folder the scan could not read keep their entries.
 */
import { ChunkerPool, ChunkerStartError, defaultWorkerCount, inProcessChunker, type FileChunker } from './chunks/pool';
import { scanWorkspace, type ScannedFile, type ScanOptions, type ScanResult, type Skipped } from './files/scan';
import { scanPaths } from './files/scan-paths';
import { CONTENT_RULES_VERSION } from './files/text-files';
import { CHUNKING_VERSION } from './chunks/languages';
import { cacheKeyOf, embeddingKey } from './index/embedding-cache';
import { lexicalFields } from './index/lexical-fields';
import type { Catalog, FileRecord } from './catalog';
import type { IndexStorage, LoadedIndex, PreparedSave } from './index/workspace-store';
import { CancelledError, type Embedder } from './vectors/embedder';
import { type Foreground, TimeSlices } from './time-slice';
import { DEFAULT_MAX_FILE_BYTES, type CancelSignal, type Chunk, type Progress, type SkipReason } from './types';

export interface IndexSummary {
  mode: 'hybrid' | 'lexical-only';
  model?: string;
  /** files in the index after the run */
  files: number;
  filesParsed: number;
  filesRemoved: number;
  chunks: number;
  chunksEmbedded: number;
  chunksFromCache: number;
  /** skips counted by reason */
  skipped: Partial<Record<SkipReason, number>>;
  /** every skipped path with its reason */
  skippedFiles: Skipped[];
  seconds: number;
  /**
   * Where the run's time went on the indexing thread, in seconds. Parsing runs on worker threads
   * ahead of the rest, so `waitingForParse` is how long this thread had nothing to do: when it is
   * the largest share, indexing is parse-bound; when `embed` is, it is model-bound.
   */
  time: IndexTime;
  cancelled: boolean;
}

export interface IndexTime {
  /** scanning the folder and working out what changed */
  scan: number;
  /** waiting for the worker threads' parsed batches */
  waitingForParse: number;
  /** the embedding model (tokenising and inference), cache lookups included */
  embed: number;
  /** catalog, lexical and vector index updates (HNSW inserts and any graph rebuild) */
  index: number;
  /** checkpoints and the final save */
  write: number;
}

export interface RefreshContext {
  root: string;
  state: LoadedIndex;
  storage: IndexStorage;
  embedder?: Embedder;
  /** searches in progress on this thread: the refresh pauses its work while there are any */
  foreground?: Foreground;
  scan: Omit<ScanOptions, 'signal'>;
  /** a scan of the whole folder made with `scan` beforehand (one-shot.ts), used in place of a new one; undefined when it could not be made */
  scanned?: () => Promise<ScanResult | undefined>;
  /**
   * Only these root-relative paths changed (a saved file, say): they are looked at instead of
   * the whole folder when that gives the same answer (files/scan-paths.ts); otherwise, and
   * without it, the folder is scanned.
   */
  paths?: readonly string[];
  onProgress?: (p: Progress) => void;
  signal?: CancelSignal;
}

/** Files per batch: large enough to fill embedding batches, small enough to checkpoint often. */
const FILES_PER_BATCH = 64;
/** Batches parsed ahead of the one being embedded and indexed (2 to 4 measured: 3 fastest, BENCHMARKS.md). */
const PARSE_AHEAD = 3;
/** The shortest time between two checkpoints of a refresh (see {@link checkpointInterval}). */
const CHECKPOINT_MS = 15_000;
/**
 * Checkpoints take at most about one part in this many of a refresh: the next comes no sooner than
 * this many times the last one's duration after it. A checkpoint rewrites the whole index (1.2 s at
 * 49k chunks, 2.5 s at 110k on 2 cores, BENCHMARKS.md), so a large index is committed every 18 and
 * 37 s, a small one every 15 s.
 */
const CHECKPOINT_INTERVAL_PER_COST = 15;

/**
 * The longest interval between checkpoints: a checkpoint's time is wall-clock time, which searches
 * answered meanwhile and other processes lengthen, and one slow checkpoint must not put off the next for minutes.
 */
const CHECKPOINT_MAX_MS = 60_000;

/** How long after a checkpoint that took `costMs` the next one is due. */
export function checkpointInterval(costMs: number): number {
  return Math.min(CHECKPOINT_MAX_MS, Math.max(CHECKPOINT_MS, CHECKPOINT_INTERVAL_PER_COST * costMs));
}

/**
 * A checkpoint is left out when the refresh should end within this long (projected from the bytes
 * indexed so far): its final save follows anyway, and a checkpoint of a large index costs seconds
 * (2.5 s at 110k chunks, BENCHMARKS.md). Never for long: see {@link checkpointDue}.
 */
const CHECKPOINT_SKIP_NEAR_END_MS = CHECKPOINT_MS / 3;

/**
 * Whether a refresh checkpoints now, `sinceMs` after its last commit: once `everyMs` have passed,
 * unless it should end within {@link CHECKPOINT_SKIP_NEAR_END_MS} (`endsWithin`); and always once
 * {@link CHECKPOINT_MS} more have passed, so that a projection the last files prove wrong (a slow
 * model, many searches) delays a checkpoint by at most that much.
 */
export function checkpointDue(sinceMs: number, everyMs: number, endsWithin: (ms: number) => boolean): boolean {
  if (sinceMs <= everyMs) return false;
  return sinceMs > everyMs + CHECKPOINT_MS || !endsWithin(CHECKPOINT_SKIP_NEAR_END_MS);
}
/**
 * The longest stretch of index updates between two turns of the event loop: the engine process
 * answers searches on this thread while it indexes, so one waits at most about this long for them.
 */
const INDEX_SLICE_MS = 20;
/** Roughly how much source text one model token covers: long definitions are split to fit the model's window. */
const CHARS_PER_TOKEN = 4;

/**
 * Whether a refresh given changed paths looks at those alone, not at the whole folder: only for an
 * index that was saved, holds files, was read under the current content rules (a refresh under new
 * rules reads every file once) and chunked under the current chunking version (likewise), and did
 * not follow a link at its last scan (a changed file may be indexed under the link's path). {@link scanPaths} may still find that a scan is needed.
 */
export function looksAtPathsAlone(state: Pick<LoadedIndex, 'saved' | 'contentRules' | 'chunking' | 'catalog'>): boolean {
  return state.saved && state.contentRules === CONTENT_RULES_VERSION && state.chunking === CHUNKING_VERSION && state.catalog.files.size > 0 && !state.catalog.followsLinks;
}

/** A batch of files parsed, and the changes to the index its files call for besides (skips, touched files). */
interface ParsedBatch {
  parsed: Parsed[];
  later: (() => void)[];
}

interface Parsed {
  path: string;
  size: number;
  mtimeMs: number;
  hash: string;
  chunks: Chunk[];
}

export async function refreshIndex(ctx: RefreshContext): Promise<IndexSummary> {
  const changes = { unsaved: false };
  try {
    return await refreshUnguarded(ctx, changes);
  } catch (err) {
    // Changed in memory (files dropped or added, skips recorded) and then stopped by an error (the
    // parse workers could not start, a save failed): the index in memory is no longer the saved
    // one, so the next refresh saves it even when it finds nothing new (it took the two as equal).
    if (changes.unsaved) ctx.state.saved = false;
    throw err;
  }
}

/** {@link refreshIndex}; `changes.unsaved` says whether the index in memory holds changes no save has written yet. */
async function refreshUnguarded(ctx: RefreshContext, changes: { unsaved: boolean }): Promise<IndexSummary> {
  const started = performance.now();
  const { state, embedder, signal } = ctx;
  const { catalog } = state;
  const progress = ctx.onProgress ?? (() => {});
  const summary: IndexSummary = {
    mode: embedder ? 'hybrid' : 'lexical-only',
    model: embedder?.id,
    files: 0,
    filesParsed: 0,
    filesRemoved: 0,
    chunks: 0,
    chunksEmbedded: 0,
    chunksFromCache: 0,
    skipped: {},
    skippedFiles: [],
    seconds: 0,
    time: { scan: 0, waitingForParse: 0, embed: 0, index: 0, write: 0 },
    cancelled: false,
  };

  if (state.readOnly) return finish(summary, catalog, started); // another process keeps this index up to date

  progress({ phase: 'scan', done: 0, total: 0 });
  // a few changed paths of an index that holds the rest: look at those paths only, when that says what a scan would
  // (not when the last scan followed a link: a changed file may be indexed under the link's path)
  // files recorded under other content rules (text-files.ts CONTENT_RULES_VERSION) are all read again, once
  const reread = state.contentRules !== CONTENT_RULES_VERSION;
  // files chunked under another version (chunks/languages.ts CHUNKING_VERSION) are all chunked again, once: an
  // unchanged file's chunks are not kept. A file that cannot be read or parsed now keeps the chunks it has, and
  // the version is recorded all the same, so that one lasting failure does not make every update chunk everything.
  // Not in a lexical-only run over an index the model embedded: chunks made now would have no vector key, and the
  // model's next run would then parse every file again instead of taking the vectors of their chunks from the cache.
  // (not rulesRedo, which says nothing for an index without files: this one records the version all the same)
  const rechunk = state.chunking !== CHUNKING_VERSION && (embedder !== undefined || !holdsEmbeddedChunks(catalog));
  // A re-chunk stopped part-way (cancelled, killed) committed the files it did: each chunk id from
  // where it began on was cut under the current version (ids are never reused), so a file unchanged
  // since whose chunks all have such ids is not chunked again. A re-chunk that begins records where.
  if (rechunk && state.rechunk?.to !== CHUNKING_VERSION) state.rechunk = { to: CHUNKING_VERSION, from: catalog.nextChunkId };
  const rechunkedFrom = rechunk && !reread ? state.rechunk!.from : undefined;
  /** a file read again for the rules could not be read now, or a folder could not be scanned: the rules are not yet applied to all */
  let rereadIncomplete = false;
  const few = ctx.paths !== undefined && looksAtPathsAlone(state) ? await scanPaths(ctx.root, ctx.paths, ctx.scan) : undefined;
  const scan = few ?? (await ctx.scanned?.()) ?? (await scanWorkspace(ctx.root, { ...ctx.scan, signal }));
  if (('complete' in scan && !scan.complete) || signal?.cancelled) {
    // Stopped: a file the scan did not reach is not gone, so nothing is concluded from this scan.
    summary.cancelled = true;
    return finish(summary, catalog, started);
  }
  if ('skipped' in scan) {
    changes.unsaved = JSON.stringify(catalog.scanSkipped) !== JSON.stringify(scan.skipped);
    if (changes.unsaved) catalog.scanSkipped = scan.skipped;
    if (catalog.followsLinks !== scan.followsLinks) {
      catalog.followsLinks = scan.followsLinks;
      changes.unsaved = true;
    }
  } else {
    // the paths looked at are taken or gone: the skips the last scan reported at or under them no longer hold
    const looked = atOrUnder([...scan.gone, ...scan.files.map((f) => f.path)]);
    const skipped = catalog.scanSkipped.filter((s) => !looked(s.path));
    if (skipped.length !== catalog.scanSkipped.length) {
      catalog.scanSkipped = skipped;
      changes.unsaved = true;
    }
  }

  // a partial scan drops its gone paths and what the index holds under a path that is now a file (a folder replaced by a file)
  const dropped = 'gone' in scan
    ? [...catalog.pathsUnder(scan.gone), ...catalog.pathsUnder(scan.files.map((f) => f.path), false)]
    : [...catalog.files.keys()].filter(goneIn(scan));
  for (const path of dropped) {
    dropFile(state, path);
    summary.filesRemoved++;
    changes.unsaved = true;
  }
  // the files whose chunks have no vector of this model (an index another model or none made:
  // IndexStorage.adapt) are taken out before anything can be saved, and read again below as new
  // (those gone from the folder were taken out above, and counted as removed)
  if (state.unembedded !== undefined) {
    for (const path of state.unembedded) if (catalog.files.has(path)) dropFile(state, path);
    state.unembedded = undefined;
    changes.unsaved = true;
  }

  /** how many of the files to read are there only to be tried again, unchanged since they could not be read */
  let retries = 0;
  const todo = scan.files.filter((f) => {
    const known = catalog.files.get(f.path);
    if (!known || known.size !== f.size || known.mtimeMs !== f.mtimeMs) return true;
    if (rechunkedFrom !== undefined && !cutSince(known, rechunkedFrom)) return true;
    if (rechunkedFrom === undefined && (reread || rechunk)) return true;
    // a file that could not be read (locked, no permission, gone for a moment) is tried again: what
    // ends that (a chmod, a lock let go, a file moved back) need not change its size or time
    if (known.skip !== 'unreadable') return false;
    retries++;
    return true;
  });
  // only such files: no work to show as "indexing" (a file that stays unreadable would show it on every update)
  const quiet = retries === todo.length;

  /** the scan's size limit, which a file that grew since is held to as it is read */
  const maxBytes = ctx.scan.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  /** shared by the batches parsed at the same time */
  let chunkerStarted: FileChunker | undefined;
  /**
   * Reads a batch of files and chunks them, both on the worker threads for a large job (see
   * chunks/read-and-chunk.ts). It changes nothing in the index: a batch is parsed while this
   * thread indexes another or checkpoints (which must see the index unchanged until it is done),
   * so the skips and touched files it finds are applied when the batch is indexed, in the batch's
   * order ({@link ParsedBatch} `later`).
   */
  const parseBatch = async (files: ScannedFile[]): Promise<ParsedBatch> => {
    chunkerStarted ??= startChunker(todo.length, embedder);
    const chunker = chunkerStarted;
    // what the index has of each file (batches are disjoint: no other batch changes these records)
    const knowns = files.map((file) => catalog.files.get(file.path));
    const reads = await Promise.all(
      files.map((file, i) => {
        const known = knowns[i];
        const knownHash = known !== undefined && !known.skip && !rechunk ? known.hash : undefined;
        return chunker.readAndChunk({ absPath: file.absPath, relPath: file.path, knownHash, maxBytes }).catch((err: Error) => {
          if (err instanceof ChunkerStartError) throw err; // no file can be parsed: the run fails, recording nothing
          return { parseError: err.message };
        });
      }),
    );
    const parsed: Parsed[] = [];
    const later: (() => void)[] = [];
    files.forEach((file, i) => {
      const read = reads[i];
      const known = knowns[i];
      const unchanged = known !== undefined && known.size === file.size && known.mtimeMs === file.mtimeMs;
      if ('parseError' in read) {
        // parsed only to chunk it again: a parser that fails now does not take the chunks it made before
        if (rechunk && unchanged && !known.skip) return;
        later.push(() => recordSkip(state, file, 'parse-error', read.parseError));
      } else if ('skip' in read) {
        // skipped as before, for the same reason (an unreadable file tried again): nothing to record or save
        if (unchanged && known.skip === read.skip && known.detail === read.detail) return;
        if ((reread || rechunk) && unchanged && !known.skip && !CONTENT_SKIPS.has(read.skip)) {
          // read only because the rules or the chunking changed, and it could not be read now (locked, busy): keep
          // what it had; for new rules, read every file again next time
          if (reread) rereadIncomplete = true;
          return;
        }
        later.push(() => recordSkip(state, file, read.skip, read.detail));
      } else if ('unchanged' in read) {
        // touched, not changed: keep its chunks (and its record, when read only because the rules changed)
        if (!unchanged) later.push(() => catalog.touchFile(file.path, file.size, file.mtimeMs));
      } else {
        parsed.push({ ...file, hash: read.hash, chunks: read.chunks });
      }
    });
    return { parsed, later };
  };

  const time = summary.time;
  /** Adds the seconds since `from` to `time[part]` and returns now. */
  const spent = (part: keyof IndexTime, from: number): number => {
    const now = performance.now();
    time[part] += (now - from) / 1000;
    return now;
  };
  time.scan = (performance.now() - started) / 1000;

  // A pipeline: while one batch is embedded and indexed here, the next ones are parsed on the
  // workers. Several batches ahead, so that the workers still have work while this thread is busy
  // with a batch that holds a long file or many chunks.
  let lastCheckpoint = performance.now();
  let checkpointEvery = CHECKPOINT_MS;
  const progressOf = new CheckpointProjection(todo);
  const slices = new TimeSlices(INDEX_SLICE_MS, ctx.foreground);
  const ahead: Promise<ParsedBatch>[] = [];
  let queuedUpTo = 0;
  const parseAhead = () => {
    while (ahead.length < PARSE_AHEAD && queuedUpTo < todo.length) {
      ahead.push(parseBatch(todo.slice(queuedUpTo, queuedUpTo + FILES_PER_BATCH)));
      queuedUpTo += FILES_PER_BATCH;
    }
  };
  parseAhead();
  try {
    for (let i = 0; ahead.length && !signal?.cancelled; i += FILES_PER_BATCH) {
      if (!quiet) progress({ phase: 'parse', done: i, total: todo.length });
      let t = performance.now();
      const { parsed, later } = await ahead.shift()!;
      t = spent('waitingForParse', t);
      for (const apply of later) apply();
      if (later.length > 0) changes.unsaved = true;
      parseAhead();

      // a refresh of one batch of files searches the embedding cache's file; a larger one reads it into memory
      const vectors = embedder ? await embedBatch(state, embedder, parsed, summary, progress, signal, todo.length <= FILES_PER_BATCH) : undefined;
      t = spent('embed', t);
      let v = 0;
      for (const p of parsed) {
        await slices.pause();
        dropFile(state, p.path);
        const records = catalog.addFile(p.path, { size: p.size, mtimeMs: p.mtimeMs, hash: p.hash }, p.chunks);
        for (let j = 0; j < records.length; j++) {
          // A search waits at most a slice, even behind a file of a thousand definitions; one
          // that runs between two of its chunks finds the file's chunks indexed so far.
          await slices.pause();
          const record = records[j];
          state.lexical.add(record.id, lexicalFields(p.chunks[j]));
          if (vectors) {
            const { key, vector } = vectors[v++];
            record.embeddingKey = key.toString('hex');
            if (hasDirection(vector)) {
              // the graph that the index gets once it outgrows exact search is built in slices too
              await state.vectors!.buildGraphBefore(record.id, slices);
              state.vectors!.add(record.id, vector);
            }
          }
        }
        changes.unsaved = true;
      }
      summary.filesParsed += parsed.length; // counted once in the index: a cancelled batch is parsed again next time
      t = spent('index', t);

      progressOf.indexed(i + FILES_PER_BATCH);
      if (checkpointDue(performance.now() - lastCheckpoint, checkpointEvery, (ms) => progressOf.endsWithin(ms))) {
        progress({ phase: 'write', done: i + FILES_PER_BATCH, total: todo.length });
        await ctx.storage.save(state, slices);
        lastCheckpoint = spent('write', t);
        checkpointEvery = checkpointInterval(lastCheckpoint - t);
        changes.unsaved = false;
      }
    }
  } catch (err) {
    if (!(err instanceof CancelledError)) throw err;
  } finally {
    // Batches parsed ahead but not indexed are dropped (their files are parsed again next time);
    // they must finish before the workers go, or their shutdown would read as parse errors.
    await Promise.all(ahead.map((batch) => batch.catch(() => undefined)));
    await chunkerStarted?.dispose();
  }

  let t = performance.now();
  // The graph built on a worker thread while this refresh added vectors (buildGraphBefore) comes
  // here: the worker writes it and libuv's threads read it back (about a second at 100k vectors),
  // while this thread encodes the catalog and the lexical index for the save below.
  const graphOnThread = state.vectors?.graphOnThread === true; // asked first: finishing ends the thread
  const finishing = state.vectors?.finishGraphThread(slices);
  finishing?.catch(() => {}); // awaited below, after the prepare: not an unhandled rejection meanwhile
  let prepared: PreparedSave | undefined;
  try {
    prepared = graphOnThread ? await ctx.storage.prepareSave(state, slices) : undefined;
  } catch {
    prepared = undefined; // only a head start: the save encodes them itself, and reports what fails
  } finally {
    await finishing; // before anything else touches the vectors, whatever happened above
  }
  compactEmbeddingCache(state);
  if (state.vectors?.needsGraphRebuild) {
    await state.vectors.rebuildGraphSliced(slices);
    state.committed = undefined; // a rebuilt graph is saved as a new generation, not as changed files
    changes.unsaved = true;
  }
  t = spent('index', t);
  summary.cancelled = !!signal?.cancelled;
  if ('unknownPaths' in scan && scan.unknownPaths.length > 0) rereadIncomplete = true;
  if (reread && !summary.cancelled && !rereadIncomplete) {
    // every file was read under the current rules: the next commit records them (as a new generation)
    state.contentRules = CONTENT_RULES_VERSION;
    changes.unsaved = true;
  }
  if (rechunk && !summary.cancelled) {
    state.chunking = CHUNKING_VERSION;
    state.rechunk = undefined;
    changes.unsaved = true;
  }
  if (changes.unsaved || !state.saved) {
    progress({ phase: 'write', done: todo.length, total: todo.length });
    await ctx.storage.save(state, slices, prepared);
  }
  spent('write', t);

  return finish(summary, catalog, started);
}

/**
 * How soon a refresh should end, projected from the share of its files' bytes indexed so far and
 * the time that took (from the first batch on: the scan before it is not counted).
 */
export class CheckpointProjection {
  private readonly started: number;
  /** bytes of the first n files, for each n */
  private readonly bytesBefore: Float64Array;
  private doneFiles = 0;

  constructor(files: readonly Pick<ScannedFile, 'size'>[], private readonly now: () => number = () => performance.now()) {
    this.started = now();
    this.bytesBefore = new Float64Array(files.length + 1);
    files.forEach((f, i) => {
      this.bytesBefore[i + 1] = this.bytesBefore[i] + Math.max(0, f.size);
    });
  }

  /** The first `count` files are indexed. */
  indexed(count: number): void {
    this.doneFiles = Math.min(count, this.bytesBefore.length - 1);
  }

  /** Whether, at the rate so far, the files left take at most `ms`; false before any byte is indexed. */
  endsWithin(ms: number): boolean {
    const total = this.bytesBefore[this.bytesBefore.length - 1];
    const done = this.bytesBefore[this.doneFiles];
    if (done <= 0) return false;
    return ((this.now() - this.started) * (total - done)) / done <= ms;
  }
}

/** Whether a path is one of `paths` or lies under one of them. */
function atOrUnder(paths: readonly string[]): (path: string) => boolean {
  const gone = new Set(paths);
  return (path) => gone.has(path) || paths.some((p) => path.startsWith(`${p}/`));
}

/**
 * Whether a path is gone according to a complete scan: the scan saw where it was and it was not
 * there. A path at or under one the scan could not examine (a folder it may not list) is not gone.
 */
export function goneIn(scan: ScanResult): (path: string) => boolean {
  const present = new Set(scan.files.map((f) => f.path));
  const unknown = scan.unknownPaths.map((p) => (p === '.' ? '' : p));
  return (path) => !present.has(path) && !unknown.some((u) => u === '' || path === u || path.startsWith(`${u}/`));
}

/**
 * The embedding cache only grows (every edit of a chunk adds a vector); once it holds more than
 * {@link CACHE_SLACK} times the vectors the index uses, it is rewritten with only those.
 */
export function compactEmbeddingCache(state: Pick<LoadedIndex, 'catalog' | 'embeddingCache'>, minimum = CACHE_COMPACT_MIN): void {
  const cache = state.embeddingCache;
  const live = state.catalog.chunks.size;
  const most = Math.max(CACHE_SLACK * live, minimum);
  // the bound first: a no-change refresh need not read a large cache just to learn that it is small enough
  if (!cache || cache.sizeBound <= most || cache.size <= most) return;
  const keys: Uint8Array[] = [];
  for (const c of state.catalog.chunks.values()) {
    const key = cacheKeyOf(c.embeddingKey);
    if (key !== undefined) keys.push(key);
  }
  cache.compact(keys);
}

const CACHE_SLACK = 2;
/** Below this many cached vectors the cache is never compacted: small caches cost nothing. */
const CACHE_COMPACT_MIN = 10_000;

/** Fills in the totals that describe the index as it now is. */
function finish(summary: IndexSummary, catalog: Catalog, started: number): IndexSummary {
  summary.skippedFiles = [...catalog.scanSkipped];
  for (const [path, f] of catalog.files) if (f.skip) summary.skippedFiles.push({ path, reason: f.skip, detail: f.detail });
  // counted in a Map (the reasons come from the catalog file), handed out as the object's own keys only
  const counts = new Map<SkipReason, number>();
  for (const s of summary.skippedFiles) counts.set(s.reason, (counts.get(s.reason) ?? 0) + 1);
  summary.skipped = Object.fromEntries(counts);
  summary.files = catalog.indexedFileCount;
  summary.chunks = catalog.chunks.size;
  summary.seconds = (performance.now() - started) / 1000;
  return summary;
}

/** The skips the content rules decide (text-files.ts): a file read again for new rules may get or lose one of these. */
const CONTENT_SKIPS: ReadonlySet<SkipReason> = new Set<SkipReason>(['binary', 'not-utf8', 'generated', 'minified']);

/** Below this many files to parse, starting worker threads costs more than it saves. */
const MIN_FILES_FOR_WORKERS = 48;

/**
 * What the next update does to every file, besides the files that changed, because the index was
 * made under other rules: `read`, each file read again (content rules: binary, generated, minified);
 * `chunk`, each file chunked again (chunking rules; the vectors of unchanged chunks come from the
 * embedding cache). `chunkWaitsForModel`: a words-only engine over an index the model embedded
 * leaves the chunking to the model's next update (see {@link refreshIndex}). `chunkResumes`
 * (only when true): an earlier update chunked part of the files again, and the next chunks the
 * others (`rechunk`). Nothing for an index that holds no files.
 */
export function rulesRedo(
  state: Pick<LoadedIndex, 'contentRules' | 'chunking' | 'catalog' | 'rechunk'>,
  withModel: boolean,
): { read: boolean; chunk: boolean; chunkWaitsForModel: boolean; chunkResumes?: true } {
  if (state.catalog.files.size === 0) return { read: false, chunk: false, chunkWaitsForModel: false };
  const chunk = state.chunking !== CHUNKING_VERSION;
  const resumes = chunk && state.rechunk?.to === CHUNKING_VERSION;
  return { read: state.contentRules !== CONTENT_RULES_VERSION, chunk, chunkWaitsForModel: chunk && !withModel && holdsEmbeddedChunks(state.catalog), ...(resumes ? { chunkResumes: true as const } : {}) };
}

/**
 * Whether a file's chunks were all made from chunk id `from` on: by the re-chunk that began there
 * (workspace-store.ts `RechunkProgress`). A file without chunks tells nothing, and is chunked again.
 */
function cutSince(file: FileRecord, from: number): boolean {
  return !file.skip && file.chunkIds.length > 0 && file.chunkIds.every((id) => id >= from);
}

/** Whether some chunk of the catalog was embedded by a model (has a vector key): the first such chunk answers. */
function holdsEmbeddedChunks(catalog: Catalog): boolean {
  for (const chunk of catalog.chunks.values()) if (chunk.embeddingKey !== undefined) return true;
  return false;
}

/** Reading and parsing run on worker threads for real work, in-process for a handful of files. */
function startChunker(files: number, embedder: Embedder | undefined): FileChunker {
  const options = embedder ? { maxChunkChars: embedder.maxTokens * CHARS_PER_TOKEN } : {};
  return files >= MIN_FILES_FOR_WORKERS ? ChunkerPool.create(defaultWorkerCount(), options) : inProcessChunker(options);
}

/** Records a file whose content cannot be indexed, dropping whatever it had before. */
function recordSkip(state: LoadedIndex, file: ScannedFile, reason: SkipReason, detail?: string): void {
  dropFile(state, file.path);
  state.catalog.addFile(file.path, { size: file.size, mtimeMs: file.mtimeMs, skip: reason, detail }, []);
}

/** Removes a file's chunks from the catalog and both indexes. */
function dropFile(state: LoadedIndex, path: string): void {
  const ids = state.catalog.removeFile(path);
  state.lexical.removeMany(ids); // marks their slots removed (the lexical index reads no posting for it)
  for (const id of ids) state.vectors?.remove(id);
}

/** Vectors for every chunk of `parsed`, in order: from the cache where possible, else from the model. */
async function embedBatch(
  state: LoadedIndex,
  embedder: Embedder,
  parsed: Parsed[],
  summary: IndexSummary,
  progress: (p: Progress) => void,
  signal: CancelSignal | undefined,
  /** look the chunks up by searching the cache's file, not reading it (EmbeddingCache.getMany) */
  search: boolean,
): Promise<{ key: Buffer; vector: Float32Array }[]> {
  const cache = state.embeddingCache!;
  const out: { key: Buffer; vector: Float32Array }[] = [];
  const missing: { index: number; text: string }[] = [];
  const texts = parsed.flatMap((p) => p.chunks.map((chunk) => chunk.text));
  const keys = texts.map((text) => embeddingKey(embedder.id, text));
  cache.getMany(keys, { search }).forEach((cached, i) => {
    if (cached) summary.chunksFromCache++;
    else missing.push({ index: out.length, text: texts[i] });
    out.push({ key: keys[i], vector: cached ?? new Float32Array(0) });
  });
  const EMBED_BATCH = 256;
  for (let i = 0; i < missing.length; i += EMBED_BATCH) {
    if (signal?.cancelled) throw new CancelledError();
    progress({ phase: 'embed', done: i, total: missing.length });
    const slice = missing.slice(i, i + EMBED_BATCH);
    const vectors = await embedder.embedDocuments(slice.map((m) => m.text), signal);
    slice.forEach((m, j) => {
      // the vector as the cache keeps it (int8): the index then holds the same one whether this chunk
      // is embedded now or taken from the cache later
      out[m.index].vector = cache.put(out[m.index].key, vectors[j]);
    });
    summary.chunksEmbedded += slice.length;
  }
  cache.flush();
  return out;
}

/** A text with no token the model knows embeds to the zero vector, which has no direction to compare. */
function hasDirection(vector: Float32Array): boolean {
  return vector.some((x) => x !== 0);
}

