/**
 * The engine: one workspace folder, its index, and the queries over it.
 *
 *   files (scan) → chunks (tree-sitter) → vectors (embedder) → index (HNSW + BM25) → search
 *
 * `Engine` is what the CLI, the benchmarks and the editor's engine process use; it imports
 * nothing from 'vscode'. Indexing is incremental and resumable (see indexer.ts); the stored
 * index is verified on open and rebuilt, with a message, when it is damaged.
 */
import { join, sep } from 'node:path';
import type { Catalog, ChunkRecord } from './catalog';
import { languageIds, languageSelection, selects, type LanguageSelection } from './language-names';
import { readRegularFile } from './files/regular-file';
import { scanWorkspace, type ScanOptions, type Skipped } from './files/scan';
import { changedSinceIndexed, type DiskStamp } from './files/changed-since';
import type { AheadThread } from './ahead-thread';
import { OneShotAhead } from './one-shot';
import { goneIn, looksAtPathsAlone, refreshIndex, rulesRedo, type IndexSummary } from './indexer';
import { raiseWasmTieringBudget } from './chunks/wasm-tiering';
import { indexFilesToReadAhead, IndexStorage, indexStamp, INDEX_FILES_READ_WHOLE, INDEX_FILES_READ_WITHOUT_MODEL, type LoadedIndex } from './index/workspace-store';
import type { VectorIndexSettings } from './index/vector-index';
import { IndexNotWritableError, IndexWriteError, writeFailure } from './index/errors';
import { lockHeld } from './index/lock';
import { lexicalQueryTokens } from './index/lexical-fields';
import type { MatchedBy, Scored } from './search/fusion';
import { partsOfDefinition } from './search/definitions';
import { codeQueryTerms } from './search/code-query';
import { checkQueryLength, MAX_QUERY_CHARS, parseQuery } from './search/query';
import { NameIndex } from './search/name-index';
import { queryShape, type QueryShape } from './search/query-kind';
import { supersededFolders } from './search/path-priors';
import { rankCandidates, rankingOptions, type RankingOptions } from './search/ranker';
import { defaultEnglishWordsFile, loadEnglishWords } from './search/english-words';
import { Speller, type SpelledQuery, type WordList } from './search/spelling';
import { isWeakMatch } from './search/match-strength';
import { checkPathGlobs, pathFilter, type EmptyBecause } from './search/filters';
import { loadEmbedder } from './vectors/onnx-embedder';
import type { Embedder } from './vectors/embedder';
import { defaultIndexDir, defaultModelDir, typedRelPath } from './paths';
import { Foreground } from './time-slice';
import type { CancelSignal, LanguageId, Progress } from './types';

export type { IndexSummary } from './indexer';
export { MAX_QUERY_CHARS, QueryTooLongError } from './search/query';
export { IndexCorruptError, IndexFolderError, IndexNotWritableError, IndexWriteError } from './index/errors';
export { LANGUAGE_IDS, LINE_LANGUAGE_NAMES, isLanguageName, languageIds } from './language-names';

export interface EngineOptions extends Pick<ScanOptions, 'maxFileBytes' | 'include' | 'exclude'> {
  /** where the index lives; default: the user cache folder, keyed by the workspace path */
  indexDir?: string;
  /** model folder; `null` for lexical-only search; `undefined` for the embedded default, if installed */
  model?: string | null;
  /** inference threads (default 1) */
  threads?: number;
  /** the ranking stage's knobs (search/ranker.ts); each unset one takes its documented default (DEFAULT_RANKING) */
  ranking?: Partial<RankingOptions>;
  /**
   * The vector index's knobs (index/vector-index.ts `VectorIndexOptions`): exact search up to
   * `exactSearchMaxVectors` (20,000) vectors, the HNSW graph's `m` (12), `efConstruction` (64),
   * `efSearch` (1000), `efFilteredSearch` (64), `rebuildDeletedRatio` (0.3), `randomSeed` (100), and when a saved graph is
   * read into memory, `graphLoading` ('eager'; the CLI's one-shot commands: 'on-demand'); none is stored with the index.
   */
  vectorIndex?: VectorIndexSettings;
  /**
   * Correct misspelt and run-together query words against the model's word list (search/spelling.ts);
   * default true. Needs a model whose tokenizer has a word-level vocabulary.
   */
  spelling?: boolean;
  /**
   * The list of real words spelling never changes (search/english-words.ts: one word a line), so that a
   * word the model's vocabulary lacks ("lunar") is kept; corrections still come from the vocabulary.
   * Default: the shipped English list (dist/english-words.txt); `null`: none. A list that cannot be
   * read is reported once to `log`, and spelling goes on with the model's vocabulary alone.
   */
  englishWords?: string | null;
  /**
   * The longest query `search` accepts, in characters (default MAX_QUERY_CHARS, 2,000); a longer
   * one is refused with a QueryTooLongError.
   */
  maxQueryChars?: number;
  /** user-facing notices: lexical-only mode, a rebuilt index, … */
  log?: (message: string) => void;
  /**
   * For a command that opens the index, refreshes it at once and exits (the CLI): while the model
   * loads and the index is read, a worker thread reads and checksums the index files
   * (index/read-ahead.ts), then scans the folder for the first refresh (one-shot.ts). The scan is
   * used only when no other process changed the index after it started. Default false: an engine
   * that lives on reads and scans when it must.
   */
  oneShot?: boolean;
  /**
   * With {@link oneShot}: the thread to read ahead on, started by the caller before it opened the
   * engine (ahead-thread.ts `AheadThread.start`), so that it is ready sooner. The engine takes it, or
   * stops it when it does not use it. Default: the engine starts the thread when it opens.
   */
  aheadThread?: AheadThread;
  /**
   * How long {@link Engine.refresh} with `requireWrite` waits for another process that is
   * updating the same index to finish, in milliseconds (default 300000: five minutes).
   */
  lockWaitMs?: number;
  /**
   * Whether opening an index this process may only read says so, and why (another process updates
   * it, the folder cannot be written), in one line to `log`. Default true. False for a caller that
   * updates the index before anything else (`codescout index`): its refresh with `requireWrite`
   * says itself why it waits or fails, and "answering from its last saved state" is not what it does.
   */
  announceReadOnly?: boolean;
}

/** What {@link Engine.refresh} is asked to do. */
export interface RefreshOptions {
  onProgress?: (p: Progress) => void;
  signal?: CancelSignal;
  /**
   * Fail with {@link IndexNotWritableError} rather than answer from the saved index when this
   * process cannot update it: after waiting up to `lockWaitMs` for another process that is
   * updating it, or at once when the folder cannot be written. Default false: the refresh is
   * then skipped, with the notice given when the index was opened.
   */
  requireWrite?: boolean;
  /** With `requireWrite`, how long to wait for another process that is updating the index (default: the engine's `lockWaitMs`). */
  lockWaitMs?: number;
  /**
   * Only these files changed (root-relative POSIX paths, as a file watcher reports them): when
   * looking at them says what a scan of the folder would, the folder is not scanned. Without it,
   * or when it cannot (an ignore file, a folder or a link among them), the folder is scanned.
   */
  paths?: readonly string[];
}

/** See {@link EngineOptions.lockWaitMs}. */
export const DEFAULT_LOCK_WAIT_MS = 300_000;
/** How often a refresh that waits for another writer looks at the lock again. */
const LOCK_POLL_MS = 200;
/** Errno codes that only a write raises: out of space, over quota, over the file-size limit. */
const OUT_OF_SPACE = new Set(['ENOSPC', 'EDQUOT', 'EFBIG']);

export interface SearchOptions {
  top?: number;
  /** keep only these languages: ids such as 'python', extensions such as 'py', or a language indexed by lines, by its name ('kotlin') or extension ('kt', 'txt') (language-names.ts) */
  languages?: string[];
  /** keep only paths matching one of these globs (root-relative, POSIX) */
  paths?: string[];
}

export interface SimilarOptions extends SearchOptions {
  /**
   * indexed code to leave out: the chunks of `path` (root-relative) that overlap lines
   * `startLine`–`endLine` (1-based, inclusive), such as the selection compared, which is indexed
   * itself and would otherwise take the first places
   */
  exclude?: { path: string; startLine: number; endLine: number };
}

export interface SearchHit {
  path: string;
  startLine: number;
  endLine: number;
  name: string;
  kind: string;
  score: number;
  /** which ranking found it: words (lexical), meaning (vector) or both */
  matchedBy: MatchedBy;
  language: LanguageId;
  container?: string;
  signature: string;
  snippet: string;
}

/** A search's answer: the hits, and what was searched and how well it matched. */
export interface SearchAnswer {
  hits: SearchHit[];
  /** the query after spelling correction; present only when a word was corrected */
  searchedFor?: string;
  /** present (true) when no hit is a strong match: none of the query's words is in the code and the nearest code is not similar enough (search/match-strength.ts) */
  weak?: true;
  /** the best cosine similarity of the vector side, when there is one (what `weak` is judged on, with the words) */
  similarity?: number;
  /** no hits, and the filters are why: the path filter matches no indexed code, no indexed code is in the languages asked for, or only both together leave nothing */
  emptyBecause?: EmptyBecause;
}

export interface RelatedAnswer {
  source: SearchHit;
  results: SearchHit[];
}

export interface StatusReport {
  root: string;
  indexDir: string;
  indexBytes: number;
  model: { id: string; dimension: number } | null;
  mode: 'hybrid' | 'lexical-only';
  files: number;
  chunks: number;
  languages: Record<string, number>;
  updatedAt: string | null;
  stale: { added: number; changed: number; removed: number };
  /**
   * What the next update does to every file because the index was made under other rules (an
   * index written by another version of Code Scout): `read`, each file read again (the rules for
   * skipping binary, generated and minified files changed); `chunk`, each file cut into chunks
   * again (vectors of unchanged chunks come from the embedding cache); `chunkWaitsForModel`, this
   * engine is words-only and the model's next update does the chunking (see indexer.ts rulesRedo);
   * `chunkResumes` (present only when true), an earlier update stopped part-way through that
   * chunking, and the next chunks only the files it did not; `embed` (present only when some), the
   * files the next update parses and embeds again because another model (or none) made the index and
   * this model's embedding cache lacks their vectors (until then they are searched by their words).
   */
  redo: { read: boolean; chunk: boolean; chunkWaitsForModel: boolean; chunkResumes?: true; embed?: number };
  skippedByReason: Record<string, number>;
  skipped: Skipped[];
  /** files and folders that ignore rules (ignore files, exclude globs) leave out; `excludeEverything` when no file is left */
  ignoreRules: { excluded: number; excludeEverything: boolean };
}

/** Where one indexed definition is: see {@link Engine.definitions}. */
export interface DefinitionSite {
  path: string;
  name: string;
  kind: string;
  container?: string;
  /** 1-based, inclusive */
  startLine: number;
  endLine: number;
  signature: string;
}

/** See {@link Engine.contents}. */
export interface IndexContents {
  files: number;
  chunks: number;
  definitions: number;
  /** chunks per language */
  languages: Record<string, number>;
}

/** How long {@link Engine.reloadSaved} waits for the searches in progress before it gives up this reading (it tries again later). */
const RELOAD_IDLE_WAIT_MS = 1000;
/**
 * The least time between two readings of another process's index (see Engine.reloadSaved), from
 * the start of the last one, read or given up: a reading of 100k functions takes a second or two,
 * and the other process may commit on every save of an editor's file.
 */
const RELOAD_MIN_MS = 10_000;
/** The same when only its change log grew (an editor appends to it on every save). */
const RELOAD_LOG_ONLY_MS = 60_000;

/** The manifest's part of an index stamp (workspace-store.ts indexStamp: the manifest's hash, then the change logs' sizes). */
function stampManifest(stamp: string): string {
  return stamp.split('|', 1)[0];
}

export class Engine {
  /** the file {@link chunkText} read last, with the index's record of it */
  private lastFile: { path: string; size: number; mtimeMs: number; bytes: Buffer } | undefined;
  /** built on first search; null when there is no dictionary or spelling is off */
  private speller: Speller | null | undefined;
  private readonly ranking: RankingOptions;
  /** definitions by name, for the catalog and its revision it was last brought up to date with (see {@link namedDefinitions}) */
  private names: { catalog: Catalog; revision: number; index: NameIndex } | undefined;
  /** the work started when the engine opened ({@link EngineOptions.oneShot}), until the first refresh takes its scan */
  private ahead: OneShotAhead | undefined;
  /**
   * The catalogs whose first name query at some revision was answered without building {@link names},
   * with that revision (see {@link namedDefinitions})
   */
  private readonly namesAskedOf = new WeakMap<Catalog, number>();
  /** searches in progress: a refresh pauses its work until they are answered (time-slice.ts) */
  private readonly foreground = new Foreground();
  /** how many times the index was read again, as another process left it (see {@link revision}) */
  private reloads = 0;
  /** the index's commit (workspace-store.ts indexStamp) when this read-only engine last read it: see {@link reloadSaved} */
  private readStamp: string | undefined;
  /** {@link close} was called */
  private closed = false;
  /** a {@link reloadSaved} in progress, which a refresh waits for */
  private reloading: Promise<boolean> | undefined;
  /** refreshes in progress, while which {@link reloadSaved} reads nothing */
  private refreshing = 0;
  /** when {@link reloadSaved} last began reading the index (0: never) */
  private triedAt = 0;
  /** the notices of its readings said so far (see reloadLog) */
  private readonly reloadNotices = new Set<string>();
  /** superseded version folders, for the set of paths they were worked out from (see {@link supersededFolders}) */
  private superseded: { catalog: Catalog; pathsKey: string; folders: ReadonlySet<string> } | undefined;
  /** the index terms of the folders' names, for the set of paths they were worked out from (see {@link folderTerms}) */
  private folderTermsOf: { catalog: Catalog; pathsKey: string; terms: ReadonlySet<string> } | undefined;

  private constructor(
    readonly root: string,
    readonly indexDir: string,
    private readonly options: EngineOptions,
    private readonly embedder: Embedder | undefined,
    private readonly storage: IndexStorage,
    private state: LoadedIndex,
  ) {
    this.ranking = rankingOptions(options.ranking);
  }

  /** Opens (or creates) the index of `root`. A damaged index is discarded, with a notice, and rebuilt by the next refresh. */
  static async open(root: string, options: EngineOptions = {}): Promise<Engine> {
    const log = options.log ?? (() => {});
    const indexDir = options.indexDir ?? defaultIndexDir(root);
    let stamp: string | undefined;
    let ahead: OneShotAhead | undefined;
    try {
      rankingOptions(options.ranking); // a bad knob is an error before anything is loaded
      raiseWasmTieringBudget(); // before this process's first parse (chunks/wasm-tiering.ts)
      // what the index was when the scan started: a scan older than the index it is compared with would find gone what another process indexed since
      stamp = options.oneShot ? indexStamp(indexDir) : undefined;
      // lexical-only, as asked: the vector file is not read
      const reads = options.oneShot ? indexFilesToReadAhead(indexDir, options.model === null ? INDEX_FILES_READ_WITHOUT_MODEL : INDEX_FILES_READ_WHOLE) : [];
      // the folder is scanned ahead only for a writer: an index another engine holds is only read
      const scan = options.oneShot && !lockHeld(indexDir) ? scanOptions(options) : undefined;
      ahead = options.oneShot ? new OneShotAhead({ reads, root, scan }, log, options.aheadThread) : undefined;
    } finally {
      await options.aheadThread?.dispose(); // a thread not taken (no one-shot engine, it had failed, or opening failed first) is not left waiting
    }
    let embedder: Embedder | undefined;
    let state: LoadedIndex | undefined;
    try {
      const modelDir = options.model === null ? undefined : (options.model ?? defaultModelDir());
      embedder = modelDir ? await loadEmbedder(modelDir, { threads: options.threads }) : undefined;
      if (!embedder) {
        log(
          options.model === null
            ? 'lexical-only search, as asked: results match words, not meaning'
            : 'no embedding model is installed: lexical-only search, results match words, not meaning',
        );
      }
      const storage = new IndexStorage(indexDir, root, embedder, options.vectorIndex);
      const stampBeforeLoad = stamp ?? indexStamp(indexDir);
      try {
        state = await storage.load(log, ahead?.reads, { announceReadOnly: options.announceReadOnly ?? true });
      } catch (err) {
        throw indexFolderError(indexDir, err);
      } finally {
        ahead?.reads.release(); // what the load did not take is not kept
      }
      if (ahead && (state.readOnly || indexStamp(indexDir) !== stamp)) {
        // another process holds the index, or committed to it since the scan started (this one holds the lock now)
        await ahead.dispose();
        ahead = undefined;
      }
      const engine = new Engine(root, indexDir, options, embedder, storage, state);
      engine.ahead = ahead;
      // what another process commits from now on is read again (reloadSaved); as of before the load, so that a commit during it is read
      if (state.readOnly) engine.readStamp = stampBeforeLoad;
      return engine;
    } catch (err) {
      // nothing is left running: the worker, the model's session, the index's lock and files (the one read ahead for its head too)
      ahead?.reads.release();
      await ahead?.dispose();
      await state?.close();
      await embedder?.dispose();
      throw err;
    }
  }

  get mode(): 'hybrid' | 'lexical-only' {
    return this.embedder ? 'hybrid' : 'lexical-only';
  }

  /** The embedding model's id; undefined when the engine searches by words only. */
  get modelId(): string | undefined {
    return this.embedder?.id;
  }

  /**
   * What the loaded index holds, counted in memory without scanning the folder (unlike
   * `status()`), so that an editor can show it after every refresh. `definitions` are the
   * chunks that are functions, classes, … rather than line windows.
   */
  contents(): IndexContents {
    const { catalog } = this.state;
    const languages = new Map<string, number>();
    let definitions = 0;
    for (const c of catalog.chunks.values()) {
      languages.set(c.language, (languages.get(c.language) ?? 0) + 1);
      if (c.kind !== 'window') definitions++;
    }
    // counted in a Map, handed out as own properties: a name read from disk never meets Object.prototype
    return { files: catalog.indexedFileCount, chunks: catalog.chunks.size, definitions, languages: Object.fromEntries(languages) };
  }

  /**
   * Every definition chunk (not line window) of the loaded index, without its text, listed in
   * memory like `contents()`: for editors that map a name or a line to an indexed definition
   * without a query. A long definition split into windows is one site per window.
   */
  definitions(): DefinitionSite[] {
    const sites: DefinitionSite[] = [];
    for (const c of this.state.catalog.chunks.values()) {
      if (c.kind === 'window') continue;
      sites.push({ path: c.path, name: c.name, kind: c.kind, container: c.container, startLine: c.startLine, endLine: c.endLine, signature: c.signature });
    }
    return sites;
  }

  /**
   * Counts the index's saves and reloads. A refresh that returns has saved the index if it changed
   * anything, so a search made before it answers as one made after it when the revision is the same
   * before and after (the CLI searches while its refresh waits for the scan of the folder, and keeps
   * that answer when the refresh changed nothing). A refresh that fails may have changed the index in
   * memory without a save: the revision says nothing then.
   */
  get revision(): number {
    return this.reloads + this.storage.saves;
  }

  /**
   * Of `paths` (as hits give them), those the loaded index holds whose file changed on disk since
   * it read them, or is gone, each with how it is now (files/changed-since.ts): answers there may
   * show lines the file no longer holds.
   */
  changedSinceIndexed(paths: Iterable<string>): Promise<Map<string, DiskStamp>> {
    const { files } = this.state.catalog;
    return changedSinceIndexed(this.root, paths, (path) => files.get(path));
  }

  /** Whether a refresh given a few changed paths looks at those alone rather than scanning the folder (indexer.ts looksAtPathsAlone). */
  get refreshesPathsAlone(): boolean {
    return looksAtPathsAlone(this.state);
  }

  /** Whether this engine only reads its index (another process updates it, or the folder cannot be written). */
  get readOnly(): boolean {
    return this.state.readOnly;
  }

  /**
   * Whether this engine only reads its index because another live process holds the index's lock
   * (and updates it): its next {@link refresh} takes the index over once that process is done. Reads
   * the lock file: false once the holder has ended, and for an index that cannot be written at all.
   */
  get heldByAnotherProcess(): boolean {
    const reason = this.state.readOnlyReason;
    return this.state.readOnly && reason !== undefined && 'heldBy' in reason && lockHeld(this.indexDir);
  }

  /**
   * For an engine that only reads an index another process updates: reads the index again when
   * that process has committed since this one read it, so that answers follow its checkpoints;
   * at most every {@link RELOAD_MIN_MS} ({@link RELOAD_LOG_ONLY_MS} when only its change log grew),
   * so it may be asked often. True when it read it again (or took the index over, if that process
   * ended meanwhile). The swap waits a moment for the searches in progress (or gives up), and the
   * index read before is let go once the searches that may still hold it are done.
   */
  async reloadSaved(): Promise<boolean> {
    if (this.refreshing > 0) return false; // a refresh takes the index over or reads it: not both at once
    this.reloading ??= this.readSavedAgain().finally(() => (this.reloading = undefined));
    return this.reloading;
  }

  private async readSavedAgain(): Promise<boolean> {
    if (!this.state.readOnly) return false;
    const stamp = indexStamp(this.indexDir); // before reading: a commit while it reads is read next time
    if (stamp === this.readStamp) return false;
    const logOnly = this.readStamp !== undefined && stampManifest(stamp) === stampManifest(this.readStamp);
    if (Date.now() - this.triedAt < (logOnly ? RELOAD_LOG_ONLY_MS : RELOAD_MIN_MS)) return false;
    this.triedAt = Date.now();
    const state = await this.storage.load(this.reloadLog, undefined, { announceReadOnly: false });
    // swapped only while no search runs, and without waiting long: a search that does not end (a
    // stuck model) must not hold a refresh or a close that waits for this; tried again later
    await this.foreground.idle(RELOAD_IDLE_WAIT_MS);
    if (this.closed || this.foreground.busy) {
      await state.close(); // its lock, if it took one now that the other process is done, is not kept
      return false;
    }
    const before = this.state;
    this.state = state;
    this.reloads++;
    this.readStamp = stamp;
    this.names = undefined; // built over the catalog read before: let it go with it
    this.superseded = undefined;
    this.folderTermsOf = undefined;
    void this.foreground.idle().then(() => before.close());
    return true;
  }

  /** The load's notices on a reading again, each said once in this engine's life: a reading every few seconds would repeat them. */
  private readonly reloadLog = (message: string): void => {
    if (this.reloadNotices.has(message)) return;
    this.reloadNotices.add(message);
    (this.options.log ?? (() => {}))(message);
  };

  /**
   * Whether the index it holds was read from a save: false for an index that has not been saved yet
   * (another process is building it, or none has been), or that was found damaged and not rebuilt.
   */
  get hasSavedIndex(): boolean {
    return this.state.updatedAt !== null;
  }

  /**
   * Brings the index up to date with the folder: only changed files are parsed, only new chunks
   * embedded. An index opened read-only because another process was updating it is taken over
   * (and reloaded) once that process is done; see {@link RefreshOptions.requireWrite}. A save
   * that fails (a full disk, say) throws {@link IndexWriteError} and leaves the saved index as it was.
   */
  async refresh(opts: RefreshOptions = {}): Promise<IndexSummary> {
    this.refreshing++;
    try {
      if (this.reloading) await this.reloading.catch(() => false); // the state it swaps in is the one this refresh works on
      return await this.refreshNow(opts);
    } finally {
      this.refreshing--;
    }
  }

  private async refreshNow(opts: RefreshOptions): Promise<IndexSummary> {
    if (this.state.readOnly) {
      // the index it takes over may be newer than a scan made when it opened
      await this.ahead?.dispose();
      this.ahead = undefined;
      await this.becomeWriter(opts);
      // an index another process wrote meanwhile: what changed is not only what this one was told
      opts = { ...opts, paths: undefined };
    }
    const summary = await this.runRefresh(opts);
    if (this.state.readOnly && opts.signal?.cancelled) summary.cancelled = true;
    return summary;
  }

  private async runRefresh(opts: RefreshOptions): Promise<IndexSummary> {
    // a scan made ahead is for the first refresh only: a later one would see the folder as it was
    const ahead = this.ahead;
    this.ahead = undefined;
    try {
      return await refreshIndex({
        root: this.root,
        state: this.state,
        storage: this.storage,
        embedder: this.embedder,
        foreground: this.foreground,
        scan: scanOptions(this.options),
        scanned: ahead && (() => ahead.scan()),
        paths: opts.paths,
        onProgress: opts.onProgress,
        signal: opts.signal,
      });
    } catch (err) {
      // A full disk can only be a write; other codes (EACCES, …) only when they name a path in the index folder.
      const failure = err instanceof IndexWriteError ? undefined : writeFailure(err);
      const errPath = (err as NodeJS.ErrnoException).path;
      const inIndex = typeof errPath === 'string' && (errPath === this.indexDir || errPath.startsWith(this.indexDir + sep));
      if (failure === undefined || !(OUT_OF_SPACE.has(failure.code) || inIndex)) throw err;
      throw new IndexWriteError(this.indexDir, failure.code, `${failure.words} (${failure.code})`);
    } finally {
      await ahead?.dispose();
    }
  }

  /**
   * Takes the lock of an index opened read-only, if its holder is gone; with `requireWrite`,
   * waits for the holder (bounded by `lockWaitMs`, stopped by the signal) and throws
   * {@link IndexNotWritableError} if this process still cannot write.
   */
  private async becomeWriter(opts: RefreshOptions): Promise<void> {
    const log = this.options.log ?? (() => {});
    const waitMs = opts.lockWaitMs ?? this.options.lockWaitMs ?? DEFAULT_LOCK_WAIT_MS;
    const deadline = Date.now() + waitMs;
    let told = false;
    for (;;) {
      const state = await this.storage.takeOver(log);
      if (state) {
        await this.state.close();
        this.state = state;
        this.reloads++;
        return;
      }
      const reason = this.state.readOnlyReason ?? { cause: 'EACCES' };
      if (!opts.requireWrite || opts.signal?.cancelled) return;
      if (!('heldBy' in reason) || Date.now() >= deadline) throw new IndexNotWritableError(this.indexDir, reason);
      if (!told) {
        log(`waiting up to ${Math.round(waitMs / 1000)} s for ${reason.unreadable ? 'the holder of a lock file that names none' : `pid ${reason.heldBy}`} to finish updating this index`);
        told = true;
      }
      await new Promise((resolve) => setTimeout(resolve, Math.min(LOCK_POLL_MS, Math.max(0, deadline - Date.now()))));
    }
  }

  async search(query: string, opts: SearchOptions = {}): Promise<SearchHit[]> {
    return (await this.searchAnswer(query, opts)).hits;
  }

  /**
   * {@link search}, also saying what was searched: `searchedFor` is the query after spelling
   * correction, present only when some word was corrected. A query longer than the engine's
   * `maxQueryChars` (default {@link MAX_QUERY_CHARS}) throws a {@link QueryTooLongError}.
   */
  async searchAnswer(query: string, opts: SearchOptions = {}): Promise<SearchAnswer> {
    checkQueryLength(query, this.options.maxQueryChars ?? MAX_QUERY_CHARS);
    return this.foreground.run(() => this.answer(query, opts));
  }

  private async answer(query: string, opts: SearchOptions): Promise<SearchAnswer> {
    const spelled = this.spell(query);
    const parsed = parseQuery(spelled.text);
    const { hits, weak, similarity } = await this.rank(
      parsed.lexicalTokens,
      (e) => e.embedQuery(spelled.text),
      opts,
      queryShape(spelled.text),
      new Set(parsed.languages.flatMap(languageIds)),
    );
    const emptyBecause = hits.length ? undefined : this.emptyBecause(opts);
    return { hits, ...(emptyBecause ? { emptyBecause } : {}), ...(spelled.corrections.length ? { searchedFor: spelled.text } : {}), ...(weak && hits.length ? { weak: true as const } : {}), ...(similarity !== undefined ? { similarity } : {}) };
  }

  /**
   * The query as {@link search} reads it: words that neither the workspace's index, the model's
   * dictionary nor the English word list ({@link EngineOptions.englishWords}) knows are corrected
   * or split (search/spelling.ts); unchanged without a dictionary.
   * A query over `maxQueryChars` is refused with a QueryTooLongError, as by {@link search}.
   */
  spell(query: string): SpelledQuery {
    checkQueryLength(query, this.options.maxQueryChars ?? MAX_QUERY_CHARS);
    if (this.speller === undefined) {
      const words = this.options.spelling === false ? undefined : this.embedder?.words;
      this.speller = words?.length ? new Speller(words, { keep: this.englishWords() }) : null;
    }
    if (this.speller === null) return { text: query, corrections: [] };
    const lexical = this.state.lexical;
    // a word of a folder's name is the workspace's too (`axios` of src/axios/), though the index holds file names only
    let folders: ReadonlySet<string> | undefined;
    const known = (t: string) => lexical.hasTerm(t) || (folders ??= this.folderTerms()).has(t);
    return this.speller.correct(query, (word) => lexicalQueryTokens(word).some(known));
  }

  /** The index terms of the folders' names on the indexed paths (lexical-fields.ts), worked out again when a path comes or goes. */
  private folderTerms(): ReadonlySet<string> {
    const { catalog } = this.state;
    const f = this.folderTermsOf;
    if (f && f.catalog === catalog && f.pathsKey === catalog.pathsKey) return f.terms;
    const names = new Set<string>();
    for (const path of catalog.files.keys()) {
      const parts = path.split('/');
      for (let i = 0; i < parts.length - 1; i++) names.add(parts[i]);
    }
    const terms = new Set<string>();
    for (const name of names) for (const t of lexicalQueryTokens(name)) terms.add(t);
    this.folderTermsOf = { catalog, pathsKey: catalog.pathsKey, terms };
    return terms;
  }

  /**
   * The real words spelling keeps ({@link EngineOptions.englishWords}), read when spelling first
   * asks for one; none when there is no list, or it cannot be read (reported then).
   */
  private englishWords(): WordList {
    const file = this.options.englishWords === undefined ? defaultEnglishWordsFile() : this.options.englishWords;
    let words: ReadonlySet<string> | undefined | null = null; // null: not read yet
    return {
      has: (word) => {
        if (words === null) words = file === null ? undefined : loadEnglishWords(file, this.options.log);
        return words?.has(word) ?? false;
      },
    };
  }

  /**
   * Code like `text` (a selection, a snippet): embedded as code, not as a query, and searched
   * by meaning, with the lexical ranking fused in; lexical-only without a model.
   */
  async similar(text: string, opts: SimilarOptions = {}): Promise<SearchHit[]> {
    const { exclude, ...search } = opts;
    const leftOut = exclude && this.chunkOfFile(typedRelPath(exclude.path).replace(/^(\.\/)+/, ''), (c) => c.startLine <= exclude.endLine && exclude.startLine <= c.endLine);
    return (await this.foreground.run(() => this.rank(lexicalQueryTokens(text), async (e) => (await e.embedDocuments([text]))[0], search, CODE_QUERY, new Set(), leftOut))).hits;
  }

  /**
   * A test of chunk ids: whether the chunk is one of file `path`'s that passes `test`. Only the
   * records of that file's chunks are decoded (a record left in the catalog's bytes is decoded when
   * first asked for), and of chunks added since this was made: a refresh may index the file again,
   * with new ids, while a search that uses the test waits.
   */
  private chunkOfFile(path: string, test: (c: ChunkRecord) => boolean): (id: number) => boolean {
    const { catalog } = this.state;
    const listed = new Set(catalog.files.get(path)?.chunkIds);
    const addedSince = catalog.nextChunkId;
    return (id) => {
      if (id < addedSince && !listed.has(id)) return false;
      const c = this.state.catalog.chunks.get(id);
      return c !== undefined && c.path === path && test(c);
    };
  }

  /**
   * The words of code used as a query that its lexical search takes (search/code-query.ts,
   * RankingOptions.codeQueryTerms). `source`: the indexed chunk the code is (related code), which
   * holds every one of its words and is no answer: it is not counted, so that a word only it
   * holds takes no place.
   */
  private codeTerms(tokens: readonly string[], source?: number): string[] {
    const { lexical } = this.state;
    const own = source !== undefined && lexical.has(source) ? 1 : 0;
    return codeQueryTerms(tokens, (term) => lexical.documentFrequency(term) - own, lexical.size - own, this.ranking.codeQueryTerms);
  }

  /**
   * The lexical matches of `tokens` and the vector neighbours of an embedding, through the
   * ranking stage (search/ranker.ts). Chunks in a language the query named (`preferred`) rank
   * ahead of equally good others.
   */
  private async rank(
    tokens: string[],
    embed: (e: Embedder) => Promise<Float32Array>,
    opts: SearchOptions,
    shape: QueryShape,
    preferred: ReadonlySet<string> = new Set(),
    /** chunks that are no answer (the code compared, when it is indexed) */
    leftOut?: (id: number) => boolean,
  ): Promise<{ hits: SearchHit[]; weak: boolean; similarity?: number }> {
    const top = opts.top ?? 10;
    const filtered = this.filterFor(opts);
    const filter = leftOut ? (id: number) => !leftOut(id) && (filtered === undefined || filtered(id)) : filtered;
    const searched = shape.kind === 'code' ? this.codeTerms(tokens) : tokens;
    let lexical = this.state.lexical.search(searched, Math.max(top, this.ranking.lexicalDepth), filter);
    let vector: Scored[] = [];
    if (this.embedder && this.state.vectors) {
      const v = await embed(this.embedder);
      // a refresh mostly pauses while a search is in progress (Foreground), not always: a chunk it removed meanwhile is no answer
      const { chunks } = this.state.catalog;
      lexical = lexical.filter((h) => chunks.has(h.id));
      if (v.some((x) => x !== 0)) {
        vector = this.state.vectors.search(v, Math.max(top, this.ranking.vectorDepth), filter).map((h) => ({ id: h.label, score: h.score }));
      }
    }
    const chunk = (id: number) => this.state.catalog.chunks.get(id)!;
    const named = this.namedDefinitions(shape, filter);
    if (named.length) {
      // a definition of a name the query mentions that missed the lexical cut (a name that hundreds
      // of chunks hold, `Field`) is weighed by its words too, as those that made it are
      const listed = new Set(lexical.map((h) => h.id));
      const missed = named.filter((id) => !listed.has(id));
      if (missed.length) lexical = [...lexical, ...this.state.lexical.scoresOf(searched, missed)];
    }
    const superseded = this.supersededFolders();
    const ranked = rankCandidates({ lexical, vector, named, tokens, shape, preferred, superseded, chunk, sameDefinition: this.sameDefinitionTest(), top }, this.ranking);
    return {
      hits: ranked.map((h) => this.hit(chunk(h.id), h.score, h.matchedBy)),
      weak: isWeakMatch({ lexical, named, vector }, this.ranking.weakMatchSimilarity),
      ...(vector.length ? { similarity: Math.max(...vector.map((h) => h.score)) } : {}),
    };
  }

  /**
   * For one ranking: whether two chunks of one file that share a definition key and lie apart are
   * one definition's windows (search/definitions.ts `partsOfDefinition`), the file's records read
   * once per file it is asked about.
   */
  private sameDefinitionTest(): (a: ChunkRecord, b: ChunkRecord) => boolean {
    const { catalog } = this.state;
    const parts = new Map<number, ReadonlySet<number>>();
    return (a, b) => {
      let of = parts.get(a.id);
      if (of === undefined) {
        of = partsOfDefinition(a, catalog.chunksOf(a.path));
        for (const id of of) parts.set(id, of);
      }
      return of.has(b.id);
    };
  }

  /** The folders holding superseded copies of the code (search/path-priors.ts), worked out again when a path comes or goes. */
  private supersededFolders(): ReadonlySet<string> {
    if (this.ranking.supersededPenalty === 1) return EMPTY_SET;
    const { catalog } = this.state;
    const s = this.superseded;
    if (s && s.catalog === catalog && s.pathsKey === catalog.pathsKey) return s.folders;
    const folders = supersededFolders(catalog.files.keys());
    this.superseded = { catalog, pathsKey: catalog.pathsKey, folders };
    return folders;
  }

  /**
   * Builds the index of definition names that searches naming a symbol use (search/name-index.ts),
   * unless it is built for the current catalog: for an engine with time now (the editor's, its
   * folder indexed and idle), so that no search pays for it. Otherwise the first such search of a
   * catalog read from a file looks up only the names it asks, and the second builds the index:
   * about 0.2 s at 100k functions (BENCHMARKS.md). Whether it built it now.
   */
  prepareNames(): boolean {
    const { catalog } = this.state;
    if (this.names?.catalog === catalog) return false;
    this.names = { catalog, revision: catalog.revision, index: new NameIndex(catalog.chunks) };
    return true;
  }

  /** The definitions of the names a query mentions (search/name-index.ts), within the search's filter. */
  private namedDefinitions(shape: QueryShape, filter: ((id: number) => boolean) | undefined): number[] {
    if (!shape.names.length || this.ranking.definitionBoost === 0) return [];
    const wanted = this.ranking.phraseNameWeight > 0 ? shape.names : shape.names.filter((q) => !q.phrase);
    if (wanted.length === 0) return [];
    const n = this.names;
    const { catalog } = this.state;
    const revision = catalog.revision;
    let index: NameIndex;
    if (n?.catalog === catalog) {
      if (n.revision !== revision) {
        const changes = catalog.chunkChangesSince(n.revision);
        if (changes) n.index.apply(changes);
        else n.index.sync(catalog.chunks);
        n.revision = revision;
      }
      index = n.index;
    } else if (catalog.chunks.fromFile && this.namesAskedOf.get(catalog) !== revision) {
      // the first name query of a catalog read from a file (a CLI process may ask no other), or the
      // first since it changed (the CLI asks once before its refresh and, when that changed the
      // index, once after): only the names it asks, without decoding its records; the full index
      // pays from the second query at one revision
      this.namesAskedOf.set(catalog, revision);
      index = NameIndex.of(catalog.chunks, new Set(wanted.map((q) => q.name)));
    } else {
      index = new NameIndex(catalog.chunks);
      this.names = { catalog, revision, index };
    }
    return wanted.flatMap((q) => index.lookup(q.name, NAMED_CANDIDATES, q.typed || undefined, filter));
  }

  /**
   * The lines the index's chunks of `path` (root-relative) cover, as ranges in line order with
   * overlapping and adjacent ones merged (1-based, inclusive); undefined when the index holds no
   * such file or skipped it. For saying why no indexed code is at a line of it.
   */
  indexedLinesOf(path: string): { startLine: number; endLine: number }[] | undefined {
    const { catalog } = this.state;
    const file = catalog.files.get(typedRelPath(path).replace(/^(\.\/)+/, ''));
    if (file === undefined || file.skip) return undefined;
    const ranges = file.chunkIds.map((id) => catalog.chunks.get(id)!).map((c) => ({ startLine: c.startLine, endLine: c.endLine }));
    ranges.sort((a, b) => a.startLine - b.startLine || a.endLine - b.endLine);
    const merged: { startLine: number; endLine: number }[] = [];
    for (const r of ranges) {
      const last = merged.at(-1);
      if (last && r.startLine <= last.endLine + 1) last.endLine = Math.max(last.endLine, r.endLine);
      else merged.push({ ...r });
    }
    return merged;
  }

  /** The chunks nearest to the one that encloses `path:line`, excluding itself (and other parts of it). */
  async related(path: string, line: number, opts: { top?: number } = {}): Promise<RelatedAnswer> {
    return this.foreground.run(() => this.relatedTo(path, line, opts));
  }

  private async relatedTo(path: string, line: number, opts: { top?: number }): Promise<RelatedAnswer> {
    const top = opts.top ?? 10;
    const rel = typedRelPath(path).replace(/^\.\//, '');
    const source = this.state.catalog.chunkAt(rel, line);
    if (!source) throw new NothingIndexedError(`no indexed code at ${rel}:${line}`);
    // itself, the other windows of a long definition (not another definition of the same name and
    // signature: the #else version of a C function is the most related code there is), and anything
    // nested in or around it
    const oneDefinition = this.sameDefinitionTest();
    const ofSource = this.chunkOfFile(source.path, (c) => oneDefinition(source, c) || (c.startLine <= source.endLine && source.startLine <= c.endLine));
    const filter = (id: number) => !ofSource(id);

    // the source's own words are the lexical query; its vector, when there is one, the vector query
    const tokens = lexicalQueryTokens(await this.chunkText(source));
    const lexical = this.state.lexical.search(this.codeTerms(tokens, source.id), Math.max(top * 3, this.ranking.lexicalDepth), filter);
    const vec = this.state.vectors?.getVector(source.id);
    const vector: Scored[] = vec && this.state.vectors
      ? this.state.vectors.search(vec, Math.max(top * 3, this.ranking.vectorDepth), filter).map((h) => ({ id: h.label, score: h.score }))
      : [];
    const chunk = (id: number) => this.state.catalog.chunks.get(id)!;
    const ranked = rankCandidates({ lexical, vector, named: [], tokens, shape: CODE_QUERY, preferred: new Set(), superseded: this.supersededFolders(), chunk, sameDefinition: oneDefinition, top }, this.ranking);
    return {
      source: this.hit(source, 1, vec ? 'vector' : 'lexical'),
      results: ranked.map((h) => this.hit(chunk(h.id), h.score, h.matchedBy)),
    };
  }

  async status(): Promise<StatusReport> {
    const { catalog } = this.state;
    const scan = await scanWorkspace(this.root, {
      maxFileBytes: this.options.maxFileBytes,
      include: this.options.include,
      exclude: this.options.exclude,
    });
    const stale = { added: 0, changed: 0, removed: 0 };
    const present = new Set<string>();
    for (const f of scan.files) {
      present.add(f.path);
      const known = catalog.files.get(f.path);
      if (!known) stale.added++;
      else if (known.size !== f.size || known.mtimeMs !== f.mtimeMs) stale.changed++;
    }
    const gone = goneIn(scan);
    for (const path of catalog.files.keys()) if (gone(path)) stale.removed++;

    const skipped: Skipped[] = [...scan.skipped];
    for (const [path, f] of catalog.files) if (f.skip && present.has(path)) skipped.push({ path, reason: f.skip, detail: f.detail });
    skipped.sort((a, b) => (a.path < b.path ? -1 : 1));
    const skippedByReason = new Map<string, number>();
    for (const s of skipped) skippedByReason.set(s.reason, (skippedByReason.get(s.reason) ?? 0) + 1);
    const { languages } = this.contents();

    return {
      root: this.root,
      indexDir: this.indexDir,
      indexBytes: await this.storage.sizeOnDisk(),
      model: this.embedder ? { id: this.embedder.id, dimension: this.embedder.dimension } : null,
      mode: this.mode,
      files: catalog.indexedFileCount,
      chunks: catalog.chunks.size,
      languages,
      updatedAt: this.state.updatedAt,
      stale,
      redo: { ...rulesRedo(this.state, this.embedder !== undefined), ...(this.state.unembedded?.size && { embed: this.state.unembedded.size }) },
      skippedByReason: Object.fromEntries(skippedByReason),
      skipped,
      ignoreRules: { excluded: scan.excludedByRules, excludeEverything: scan.files.length === 0 && scan.excludedByRules > 0 },
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    try {
      await this.ahead?.dispose();
      await this.embedder?.dispose();
    } finally {
      await this.state.close(); // the lock is released whatever happened to the model
    }
  }

  /**
   * The filters as tests of a chunk's language and path. A malformed path glob throws an
   * {@link InvalidFilterError} naming it, instead of matching nothing.
   */
  private filterParts(opts: SearchOptions): { langs?: LanguageSelection; pathMatch?: (path: string) => boolean } {
    checkPathGlobs(opts.paths);
    return {
      langs: languageSelection(opts.languages),
      pathMatch: opts.paths?.length ? pathFilter(opts.paths) : undefined,
    };
  }

  /** Why a filtered search found nothing, when its filters are the reason (see {@link SearchAnswer.emptyBecause}). */
  private emptyBecause(opts: SearchOptions): EmptyBecause | undefined {
    const { langs, pathMatch } = this.filterParts(opts);
    if ((!langs && !pathMatch) || this.state.catalog.chunks.size === 0) return undefined;
    let path = false;
    let language = false;
    for (const c of this.state.catalog.chunks.values()) {
      const p = !pathMatch || pathMatch(c.path);
      const l = !langs || selects(langs, c.language, c.path);
      if (p && l) return undefined; // some code passes both: the query, not the filters, found nothing
      path ||= p;
      language ||= l;
    }
    return !path ? 'path' : !language ? 'language' : 'filters';
  }

  private filterFor(opts: SearchOptions): ((id: number) => boolean) | undefined {
    const { langs, pathMatch } = this.filterParts(opts);
    if (!langs && !pathMatch) return undefined;
    const chunks = this.state.catalog.chunks;
    return (id) => {
      const c = chunks.get(id);
      return !!c && (!langs || selects(langs, c.language, c.path)) && (!pathMatch || pathMatch(c.path));
    };
  }

  private hit(c: ChunkRecord, score: number, matchedBy: MatchedBy): SearchHit {
    return {
      path: c.path,
      startLine: c.startLine,
      endLine: c.endLine,
      name: c.name,
      kind: c.kind,
      score: Number(score.toFixed(6)),
      matchedBy,
      language: c.language,
      container: c.container,
      signature: c.signature,
      snippet: c.snippet,
    };
  }

  private async chunkText(c: ChunkRecord): Promise<string> {
    try {
      const bytes = await this.indexedFileBytes(c.path);
      return bytes.subarray(c.startByte, c.endByte).toString('utf8');
    } catch {
      return `${c.name} ${c.signature} ${c.doc ?? ''}`;
    }
  }

  /**
   * A file's bytes, read once for as long as the index records the same version of it: related
   * code for every definition of a file (hover neighbours) then reads the file once, not once per
   * definition. Keyed by the index's size and mtime, so a re-indexed file is read afresh.
   */
  private async indexedFileBytes(path: string): Promise<Buffer> {
    const record = this.state.catalog.files.get(path);
    const last = this.lastFile;
    if (last && record && last.path === path && last.size === record.size && last.mtimeMs === record.mtimeMs) return last.bytes;
    // only a regular file is opened: a named pipe put in its place would block forever
    const read = readRegularFile(join(this.root, path), true);
    if (!('bytes' in read)) throw new Error(`${path} cannot be read`);
    const { bytes } = read;
    this.lastFile = record ? { path, size: record.size, mtimeMs: record.mtimeMs, bytes } : undefined;
    return bytes;
  }
}

/** At most this many definitions of one queried name join the candidates. */
const NAMED_CANDIDATES = 50;

/** What a scan of the folder is given from the engine's options. */
function scanOptions(options: EngineOptions): Omit<ScanOptions, 'signal'> {
  return { maxFileBytes: options.maxFileBytes, include: options.include, exclude: options.exclude };
}

/** The shape of a query that is code (related code, find similar): no names to define, no words to match paths. */
const CODE_QUERY: QueryShape = { kind: 'code', names: [] };

const EMPTY_SET: ReadonlySet<string> = new Set();

/** {@link Engine.related} at a location where no indexed chunk is: a normal answer for callers such as hovers. */
export class NothingIndexedError extends Error {
  override readonly name = 'NothingIndexedError';
}

/** A file-system failure on the index folder, said in words (the errno code stays in the message). */
function indexFolderError(indexDir: string, err: unknown): Error {
  if (!(err instanceof Error) || err.constructor !== Error) return err as Error; // typed errors say it already
  const code = (err as NodeJS.ErrnoException)?.code;
  const why = code === undefined ? undefined : INDEX_FOLDER_ERRORS.get(code);
  if (!why) return err as Error;
  return new Error(`cannot use the index folder ${indexDir}: ${why} (${code}); choose another index folder`);
}

/** The file-system errors on the index folder that {@link indexFolderError} says in words, by errno code. */
const INDEX_FOLDER_ERRORS: ReadonlyMap<string, string> = new Map([
  ['ENOTDIR', 'a file is in the way of it'],
  ['EEXIST', 'a file is in the way of it'],
  ['EACCES', 'permission denied'],
  ['EPERM', 'permission denied'],
  ['EROFS', 'the file system is read-only'],
  ['ENOSPC', 'the disk is full'],
]);

