/**
 * One workspace folder in the engine process: its Engine, its refreshes (one at a time,
 * cancellable, coalesced from file changes) and the state the editor shows.
 */
import { basename, join } from 'node:path';
import { Engine, NothingIndexedError, type DefinitionSite, type EngineOptions, type IndexContents, type IndexSummary, type SearchHit, type SimilarOptions, type StatusReport } from '../engine/engine';
import { defaultIndexDir, pathInside } from '../engine/paths';
import type { Progress } from '../engine/types';
import type { EmptyBecause } from '../engine/search/filters';
import { previewLines, queryTerms } from '../engine/text/preview';
import { readLines } from '../agent/excerpt';
import type {
  DefinitionEntry,
  DefinitionsResult,
  FolderHit,
  FolderOptions,
  FolderSpec,
  FolderState,
  FolderStatus,
  IndexingProgress,
  LogLevel,
  QueryParams,
  RefreshReason,
  RefreshReport,
  RelatedLink,
  RelatedParams,
  RelatedResult,
} from '../protocol/protocol';
import { Coalescer } from './coalescer';
import { DefinitionMap } from './definitions';
import { LruCache } from './lru-cache';
import { openedLine, refreshFinishedLine, refreshStartedLine, skippedPathLines, skipSummaryLine } from './log';

export interface FolderEvents {
  status(status: FolderStatus): void;
  /** a line for the log, at its level (server/log.ts) */
  log(message: string, level: LogLevel): void;
  /** whether a line at `level` would be logged; lines costly to build (per file) are built only then. Absent: never. */
  logs?(level: LogLevel): boolean;
  /** a refresh ended (cancelled and failed ones too), having parsed this many files; its status follows */
  refreshEnded?(filesParsed: number): void;
}

/** File changes are applied once they have been quiet this long (a branch switch is one burst). */
const CHANGES_QUIET_MS = 300;
const CHANGES_MAX_WAIT_MS = 3000;
/**
 * A refresh after file changes looks at the changed paths only (Engine.refresh's `paths`) when
 * there are at most this many; more (a branch switch, an install) scan the folder.
 */
const CHANGED_PATHS_MAX = 256;
/**
 * …and at least this often a refresh after changes scans the folder anyway: a change that no
 * watcher event named (a folder the editor's watcher excludes, a watcher that failed) is then
 * still found, as it was when every refresh scanned.
 */
const FULL_SCAN_EVERY_MS = 60_000;
/** Progress notifications are sent at most this often. */
const PROGRESS_INTERVAL_MS = 100;
/** Related-code answers kept for hovers and the sidebar. */
const RELATED_CACHE_ENTRIES = 1000;
/** How long a folder stays idle after a refresh before the engine builds what searches would otherwise build (Engine.prepareNames). */
const PREPARE_AFTER_IDLE_MS = 1000;

/**
 * How often a folder whose index another process holds looks whether that process is done (reads
 * its lock file), so that it takes the index over then, without waiting for a file change.
 */
const OTHER_WRITER_POLL_MS = 2000;

/** See FolderStatus.version. */
let statusVersion = 0;

const EMPTY: IndexContents = { files: 0, chunks: 0, definitions: 0, languages: {} };

interface RunningRefresh {
  reason: RefreshReason;
  signal: { cancelled: boolean };
  done: Promise<void>;
  /** files to read were found, so answers are partial until it ends */
  hasWork: boolean;
}

type CachedRelated = { source: SearchHit; results: SearchHit[] } | null;

/** One folder's answer to a search or similar query. */
export interface FolderAnswer {
  hits: FolderHit[];
  /** the query as this folder searched it, when it corrected a word (see QueryResult.searchedFor) */
  searchedFor?: string;
  /** no hit is a strong match (see QueryResult.weak) */
  weak?: true;
  /** no hits, because of the filters (see QueryResult.emptyBecause) */
  emptyBecause?: EmptyBecause;
}

/**
 * How long a query waits for the index to catch up with files its answer came from that changed on
 * disk since they were indexed (a save the watcher has not reported yet): a refresh of a few files
 * takes well under this. It waits only when no refresh is running, so a query during indexing stays quick.
 */
const CATCH_UP_MS = 2000;
/** The file versions caughtUp remembers having tried; more, and it forgets them all. */
const TRIED_STAMPS_MAX = 1000;

/** Lines of a result read to choose its preview lines from: a long definition's matching lines further down are not looked for. */
const MAX_PREVIEW_SCAN = 400;

/** The generations of this process's folder indexes, one counter for all: a number is never used twice. */
let generations = 0;
function nextGeneration(): number {
  return ++generations;
}

export class FolderIndex {
  readonly root: string;
  readonly options: FolderOptions;
  name: string;

  private readonly opened: Promise<Engine>;
  private engine: Engine | undefined;
  private state: FolderState = 'opening';
  private progress: IndexingProgress | undefined;
  private lastError: string | undefined;
  private contents = EMPTY;
  private refreshes = 0;
  private lastRefresh: RefreshReport | undefined;
  /** see FolderStatus.generation: never one another folder index of this process had, so that a folder opened again (its options changed) does not take up its old numbers */
  private generation = nextGeneration();
  /** the definitions of `generation`, built on first use after it changed */
  private definitionMap: { generation: number; map: DefinitionMap } | undefined;
  /** a refresh completed, uncancelled, this session */
  private indexed = false;
  /** file changes trigger refreshes once the folder has been indexed (or asked to be) this session */
  private following = false;
  /** a refresh was asked for this session, whatever became of it (cancelled included) */
  private refreshAsked = false;
  private running: RunningRefresh | undefined;
  private pending: RefreshReason | undefined;
  private closed = false;
  /** see {@link prepareWhenIdle} */
  private prepareTimer: ReturnType<typeof setTimeout> | undefined;
  private lastProgressSent = 0;
  private readonly changes = new Coalescer(() => this.requestRefresh('changes'), CHANGES_QUIET_MS, CHANGES_MAX_WAIT_MS);
  /** root-relative paths changed since the last refresh started; 'all' when the folder must be scanned */
  private changedPaths: Set<string> | 'all' = new Set();
  /** when the last refresh that scanned the whole folder started (0: none yet) */
  private lastFullScan = 0;
  /** the next refresh looks at its changed paths only, even when a scan of the folder is due (a query waits for it: see caughtUp) */
  private pathsOnly = false;
  /** how each file was on disk when a query last had the index catch up with it (see caughtUp) */
  private readonly triedStamps = new Map<string, string>();
  private readonly relatedCache = new LruCache<string, CachedRelated>(RELATED_CACHE_ENTRIES);
  /** the skip counts the log last said, to say them at info again only when they change */
  private lastSkipSummary: string | undefined;
  /** while another process holds the index (after a refresh found so): polls its lock, see {@link awaitOtherWriter} */
  private otherWriterTimer: ReturnType<typeof setInterval> | undefined;
  /** a reading of what the other process saved, while one runs */
  private otherWriterReload: Promise<void> | undefined;

  /** Opens the folder's index; with `indexNow`, refreshes it right after. */
  constructor(spec: FolderSpec, private readonly events: FolderEvents, indexNow: boolean) {
    this.root = spec.root;
    this.name = spec.name;
    this.options = spec.options;
    const opening = performance.now();
    this.opened = Engine.open(this.root, this.engineOptions());
    this.opened.then(
      (engine) => {
        this.engine = engine;
        this.contents = engine.contents();
        this.state = 'stale';
        this.events.log(openedLine(this.name, this.contents, engine.modelId, (performance.now() - opening) / 1000), 'info');
        this.emit();
      },
      (err: Error) => this.fail(err),
    );
    if (indexNow) this.requestRefresh('open');
  }

  /** Whether the index matches the folder as of its last refresh, which ended and was not cancelled. */
  get ready(): boolean {
    return this.state === 'ready';
  }

  /** Whether the index is being opened, or a refresh runs or waits to run. */
  get busy(): boolean {
    return this.state === 'opening' || this.running !== undefined || this.pending !== undefined;
  }

  status(): FolderStatus {
    return {
      version: ++statusVersion,
      root: this.root,
      name: this.name,
      state: this.state,
      progress: this.progress,
      contents: this.contents,
      partial: this.partial,
      ...(this.otherWriterTimer !== undefined && { otherWriter: true as const }),
      ...(this.engine && !this.engine.hasSavedIndex && { neverSaved: true as const }),
      mode: this.engine?.mode ?? 'lexical-only',
      refreshes: this.refreshes,
      lastRefresh: this.lastRefresh,
      generation: this.generation,
      lastError: this.lastError,
    };
  }

  /** Starts a refresh, or queues one after the running refresh. */
  requestRefresh(reason: RefreshReason): void {
    if (this.closed) return;
    this.following = true;
    this.refreshAsked = true;
    if (this.running) {
      this.pending = this.pending === 'user' ? 'user' : reason;
      return;
    }
    const running: RunningRefresh = { reason, signal: { cancelled: false }, done: Promise.resolve(), hasWork: false };
    this.running = running;
    running.done = this.runRefresh(running, reason);
  }

  /**
   * Stops the running (or waiting) indexing after its current batch; changes are then no longer
   * followed until the next reindex. Indexing is what the editor shows as such: a refresh on open
   * or asked for, or one after changes while the first index is still built (partial). A folder
   * with none is left as it is, a routine refresh after a save included: the editor cancels every
   * folder at once, and one that is up to date goes on following its changes.
   */
  cancel(): void {
    const running = this.running !== undefined && (this.running.reason !== 'changes' || this.partial);
    const waiting = this.pending !== undefined && this.pending !== 'changes';
    if (!running && !waiting) return;
    this.stopFollowing();
  }

  private stopFollowing(): void {
    this.changes.dispose();
    this.pending = undefined;
    this.following = false;
    if (this.running) this.running.signal.cancelled = true;
  }

  /** Files changed on disk: a refresh follows once the burst is over. */
  filesChanged(paths: string[]): void {
    if (!this.following || this.closed) return;
    const relevant = paths.filter((p) => this.mayAffectIndex(p));
    if (relevant.length === 0) return;
    this.noteChanged(relevant);
    this.changes.trigger();
  }

  /**
   * Anything in the folder may have changed without a report (its root was removed and made
   * again): the refresh that follows scans it all.
   */
  everythingChanged(): void {
    if (!this.following || this.closed) return;
    this.changedPaths = 'all';
    this.changes.trigger();
  }

  /** Paths the next refresh after changes looks at (it scans the folder when there are too many). */
  private noteChanged(paths: readonly string[]): void {
    if (this.changedPaths === 'all') return;
    for (const p of paths) this.changedPaths.add(p);
    if (this.changedPaths.size > CHANGED_PATHS_MAX) this.changedPaths = 'all';
  }

  async search(p: QueryParams): Promise<FolderAnswer> {
    const engine = await this.opened;
    const { answer, changed } = await this.caughtUp(
      engine,
      () => engine.searchAnswer(p.text, { top: p.top, languages: p.languages, paths: p.paths }),
      (a) => a.hits.map((h) => h.path),
    );
    const { hits, searchedFor, weak, emptyBecause } = answer;
    const shown = await this.withPreviews(hits.map((h) => this.withRoot(h, changed)), searchedFor ?? p.text, p.previewLines);
    return { hits: shown, ...(searchedFor !== undefined && { searchedFor }), ...(weak && { weak }), ...(emptyBecause && { emptyBecause }) };
  }

  /**
   * `ask`'s answer, and the paths of it (`paths`) whose file changed on disk since the index read it.
   * When some did and no refresh is running, the index first catches up with them (a refresh of
   * those paths only, waited for at most {@link CATCH_UP_MS}) and `ask` is asked again if the index
   * changed, so that an answer right after a save does not point at lines the file no longer holds.
   * During a refresh the paths are handed to the next one instead (a watcher may have missed them)
   * and the answer is not delayed. Each version of a file is tried once ({@link triedStamps}): a file
   * that keeps changing, a refresh that fails, an index this process may only read, cost one try.
   */
  private async caughtUp<T>(engine: Engine, ask: () => Promise<T>, paths: (answer: T) => string[]): Promise<{ answer: T; changed: ReadonlySet<string> }> {
    const asked = engine.revision;
    let answer = await ask();
    // a refresh that saved while the answer was made may have recorded a file anew after the answer read its old lines
    if (engine.revision !== asked) answer = await ask();
    let changed = await engine.changedSinceIndexed(paths(answer));
    const untried = [...changed].filter(([path, stamp]) => this.triedStamps.get(path) !== stamp).map(([path]) => path);
    // not when the refresh could not help (an index this process only reads, a refresh that failed) or would scan the folder
    const pending = this.changedPaths === 'all' ? Infinity : this.changedPaths.size;
    const mayCatchUp =
      this.following && !this.closed && !engine.readOnly && this.state !== 'error' && pending + untried.length <= CHANGED_PATHS_MAX && engine.refreshesPathsAlone;
    if (untried.length && mayCatchUp) {
      if (this.triedStamps.size + untried.length > TRIED_STAMPS_MAX) this.triedStamps.clear();
      for (const path of untried) this.triedStamps.set(path, changed.get(path)!);
      if (this.running) {
        this.filesChanged(untried);
      } else {
        this.noteChanged(untried);
        this.changes.dispose(); // the refresh below takes a pending burst's paths too
        this.pathsOnly = true;
        const revision = engine.revision;
        this.requestRefresh('changes');
        await this.refreshesDone(Date.now() + CATCH_UP_MS);
        if (this.closed) return { answer, changed: new Set(changed.keys()) }; // the index is closing: the answer made before stands
        if (engine.revision !== revision) {
          answer = await ask();
          changed = await engine.changedSinceIndexed(paths(answer));
        }
      }
    }
    return { answer, changed: new Set(changed.keys()) };
  }

  /** Waits until no refresh is running (the one running and those queued after it), or until `deadline`. */
  private async refreshesDone(deadline: number): Promise<void> {
    while (this.running && !this.closed) {
      const left = deadline - Date.now();
      if (left <= 0) return;
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([this.running.done, new Promise<void>((resolve) => (timer = setTimeout(resolve, left)))]);
      clearTimeout(timer);
    }
  }

  /** Adds each hit's preview lines, read from its file as it is now (a file that cannot be read, or that changed since it was indexed, gets none). */
  private async withPreviews(hits: FolderHit[], query: string, lines: number | undefined): Promise<FolderHit[]> {
    if (!lines) return hits;
    const terms = queryTerms(query);
    return Promise.all(
      hits.map(async (h) => {
        if (h.changed) return h; // its lines may have moved: the lines there now are not its code
        const code = await readLines(this.root, h.path, h.startLine, Math.min(h.endLine, h.startLine + MAX_PREVIEW_SCAN - 1));
        return code ? { ...h, preview: previewLines(code, h.startLine, terms, lines) } : h;
      }),
    );
  }

  /** Code is searched as given: never corrected. */
  async similar(p: QueryParams): Promise<FolderAnswer> {
    const engine = await this.opened;
    const { answer: hits, changed } = await this.caughtUp(
      engine,
      () => {
        // the selection compared lies in one folder, and in any folder around it (a workspace folder
        // nested in another): there, under its path from this root
        const ex = p.exclude;
        const path = ex && pathInside(this.root, join(ex.root, ex.path));
        const exclude: SimilarOptions['exclude'] = ex && path !== undefined ? { path, startLine: ex.startLine, endLine: ex.endLine } : undefined;
        return engine.similar(p.text, { top: p.top, languages: p.languages, paths: p.paths, ...(exclude && { exclude }) });
      },
      (a) => a.map((h) => h.path),
    );
    return { hits: await this.withPreviews(hits.map((h) => this.withRoot(h, changed)), '', p.previewLines) };
  }

  /**
   * The code most like the definition at `path:line`. Answers come from the vector index's
   * stored neighbours (no model inference) and are cached until the index changes, so hovers
   * are answered at once.
   */
  async related(p: RelatedParams): Promise<RelatedResult | null> {
    const engine = await this.opened;
    // the line is the file's as it is now: an index behind the file would start from another definition
    const { answer, changed } = await this.caughtUp(
      engine,
      () => this.cachedRelated(engine, p.path, p.line, p.top),
      (a) => [p.path, ...(a ? a.results.map((h) => h.path) : [])],
    );
    if (!answer || (p.name !== undefined && answer.source.name !== p.name)) return null;
    return { source: this.withRoot(answer.source, changed), results: answer.results.map((h) => this.withRoot(h, changed)), partial: this.partial };
  }

  /**
   * The definitions of one file with their related code, computed here once per index
   * generation, so that hovers in an open file answer from the extension's copy.
   */
  async definitions(path: string, top: number): Promise<DefinitionsResult> {
    const engine = await this.opened;
    const generation = this.generation;
    const definitions: DefinitionEntry[] = [];
    for (const site of this.definitionSites(engine).inFile(path)) definitions.push(await this.entry(engine, site, top));
    return { generation, settled: !this.running && generation === this.generation, definitions };
  }

  /** The definitions named `name`, with their related code (none when `top` is 0). */
  async definitionsNamed(name: string, top: number): Promise<DefinitionEntry[]> {
    const engine = await this.opened;
    const entries: DefinitionEntry[] = [];
    for (const site of this.definitionSites(engine).named(name)) {
      // a common name (`constructor`, `__init__`) has thousands of definitions: related code for each costs seconds
      entries.push(top === 0 ? { ...site, root: this.root, related: [] } : await this.entry(engine, site, top));
    }
    return entries;
  }

  /** Engine.related at `path:line` (null when nothing is indexed there), from the cache while the index is unchanged. */
  private async cachedRelated(engine: Engine, path: string, line: number, top: number): Promise<CachedRelated> {
    const key = `${top}\0${line}\0${path}`;
    let answer = this.relatedCache.get(key);
    if (answer === undefined) {
      answer = await relatedOrNull(engine, path, line, top);
      if (!this.running) this.relatedCache.set(key, answer); // answers during a refresh go stale as it proceeds
    }
    return answer;
  }

  /** The index could not be opened (e.g. its folder is not writable): only a new FolderIndex can try again. */
  get openFailed(): boolean {
    return this.state === 'error' && !this.engine;
  }

  /** Whether a refresh was asked for this session: on open, by the user, or after changes (see ConfigureParams.indexOnOpen). */
  get askedToRefresh(): boolean {
    return this.refreshAsked;
  }

  /** Whether file changes trigger refreshes: the folder was indexed, or asked to be, this session. */
  get followsChanges(): boolean {
    return this.following;
  }

  /** The engine's full status report (scans the folder: for the status command, not for every update). */
  async report(): Promise<StatusReport> {
    return (await this.opened).status();
  }

  /** Stops refreshing and closes the index. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.prepareTimer);
    this.stopAwaitingOtherWriter();
    this.stopFollowing();
    await this.running?.done;
    await this.otherWriterReload;
    await this.opened.then(
      (engine) => engine.close(),
      () => undefined,
    );
  }

  /**
   * Once the folder has stayed idle a moment after a refresh, has the engine build the index of
   * definition names (Engine.prepareNames), so that the user's second search does not. A refresh
   * meanwhile postpones it to after that refresh.
   */
  private prepareWhenIdle(engine: Engine): void {
    clearTimeout(this.prepareTimer);
    this.prepareTimer = setTimeout(() => {
      this.prepareTimer = undefined;
      if (this.closed || this.running) return;
      const started = performance.now();
      try {
        // after each save's refresh too, where there is nothing to build: said only when built
        if (engine.prepareNames()) this.events.log(`${this.name}: the name index is ready (${Math.round(performance.now() - started)} ms)`, 'trace');
      } catch (err) {
        // only a head start: a search builds it as before
        this.events.log(`${this.name}: the name index could not be prepared (${(err as Error).message})`, 'debug');
      }
    }, PREPARE_AFTER_IDLE_MS);
    this.prepareTimer.unref?.();
  }

  /** Git's bookkeeping and the index's own files (when it lives inside the folder) never change what is indexed. */
  private mayAffectIndex(path: string): boolean {
    if (path === '.git/info/exclude') return true; // git's own ignore rules
    if (path === '.git' || path.startsWith('.git/')) return false;
    if (!this.engine) return true;
    const indexDir = pathInside(this.root, this.engine.indexDir);
    return indexDir === undefined || (path !== indexDir && !path.startsWith(`${indexDir}/`));
  }

  private get partial(): boolean {
    // another process is building an index that has no save this engine has read yet: nothing to answer from
    if (this.otherWriterTimer !== undefined && !this.engine?.hasSavedIndex) return true;
    return !this.indexed && !!this.running && (this.running.hasWork || this.contents.chunks === 0);
  }

  /**
   * After a refresh that found another process holding the index: looks every
   * {@link OTHER_WRITER_POLL_MS} whether that process is done, and then refreshes, which takes the
   * index over and scans the folder (before, nothing did until a file changed: a server started
   * while `codescout index` built the first index answered "nothing is indexed" for good).
   */
  private awaitOtherWriter(engine: Engine): void {
    if (this.otherWriterTimer !== undefined || this.closed) return;
    this.otherWriterTimer = setInterval(() => {
      if (this.closed || !this.following) return this.stopAwaitingOtherWriter();
      if (this.running || this.pending || this.otherWriterReload) return;
      if (engine.heldByAnotherProcess) return this.readOtherWritersSave(engine);
      this.stopAwaitingOtherWriter();
      this.requestRefresh('changes');
    }, OTHER_WRITER_POLL_MS);
    this.otherWriterTimer.unref?.();
  }

  /**
   * While another process holds the index: reads it again when that process has committed since
   * (Engine.reloadSaved, which says how often), so that answers follow its checkpoints (a first
   * index it builds shows up as it is saved).
   */
  private readOtherWritersSave(engine: Engine): void {
    this.otherWriterReload = engine
      .reloadSaved()
      .then(
        (read) => {
          if (!read || this.closed) return;
          this.contents = engine.contents();
          this.indexChanged();
          this.events.log(`${this.name}: read the index again, as another process saved it: ${this.contents.files} files, ${this.contents.chunks} chunks`, 'debug');
          this.emit();
          this.prepareWhenIdle(engine); // the name index was built over the catalog read before
        },
        (err: Error) => this.events.log(`${this.name}: reading the index another process saved failed: ${err.message}`, 'warn'),
      )
      .finally(() => (this.otherWriterReload = undefined));
  }

  private stopAwaitingOtherWriter(): void {
    clearInterval(this.otherWriterTimer);
    this.otherWriterTimer = undefined;
  }

  private async runRefresh(running: RunningRefresh, reason: RefreshReason): Promise<void> {
    let engine: Engine;
    try {
      engine = await this.opened;
    } catch {
      this.running = undefined; // the open failure is already the folder's state
      return;
    }
    this.state = 'indexing';
    this.progress = { phase: 'scan', done: 0, total: 0, reason, percent: 0 };
    this.lastProgressSent = Date.now();
    this.emit();
    // file changes alone: the engine looks at those paths only, when that is enough (it scans otherwise)
    const started = Date.now();
    const fullScanDue = !this.pathsOnly && started - this.lastFullScan >= FULL_SCAN_EVERY_MS;
    this.pathsOnly = false;
    const paths = reason === 'changes' && this.changedPaths !== 'all' && this.changedPaths.size > 0 && !fullScanDue ? [...this.changedPaths] : undefined;
    this.changedPaths = new Set();
    // refreshes after file changes are frequent: at debug unless they change something
    const routine: LogLevel = reason === 'changes' ? 'debug' : 'info';
    // the engine scans the folder all the same when the index must be read or chunked again (other rules) or follows links
    this.events.log(refreshStartedLine(this.name, reason, paths !== undefined && engine.refreshesPathsAlone ? paths.length : undefined), routine);
    try {
      const revision = engine.revision;
      const summary = await engine.refresh({ signal: running.signal, paths, onProgress: (p) => this.onProgress(engine, running, reason, p) });
      this.logRefresh(reason, summary, routine);
      if (summary.cancelled) this.changedPaths = 'all'; // what it did not finish is found by a scan
      else if (engine.readOnly) this.changedPaths = 'all'; // another process updates the index meanwhile: once this one may, it scans
      else if (paths === undefined) this.lastFullScan = started;
      if (!summary.cancelled && engine.heldByAnotherProcess) this.awaitOtherWriter(engine);
      else this.stopAwaitingOtherWriter();
      this.refreshes++;
      // a refresh that only read (another process held the index) indexed nothing: answers stay partial while this one builds it
      this.indexed ||= !summary.cancelled && !engine.readOnly;
      this.state = summary.cancelled ? 'stale' : 'ready';
      this.lastError = undefined;
      if (!summary.cancelled) this.prepareWhenIdle(engine);
      const { filesParsed, filesRemoved, chunksEmbedded, chunksFromCache, seconds, cancelled } = summary;
      this.lastRefresh = { reason, filesParsed, filesRemoved, chunksEmbedded, chunksFromCache, seconds, cancelled };
      this.events.refreshEnded?.(filesParsed);
      // a save changed the index even when it parsed and removed nothing that counts (the files an
      // index of another model takes out to embed again, a refresh stopped before it read them back)
      if (filesParsed || filesRemoved || engine.revision !== revision) this.indexChanged();
    } catch (err) {
      this.refreshes++;
      this.state = 'error';
      this.lastError = (err as Error).message;
      this.lastRefresh = undefined;
      this.changedPaths = 'all';
      this.events.log(`indexing ${this.root} failed: ${this.lastError}`, 'error');
      this.events.refreshEnded?.(0);
      this.indexChanged();
    } finally {
      this.running = undefined;
      this.progress = undefined;
      this.contents = engine.contents();
    }
    this.emit();
    const next = this.pending;
    this.pending = undefined;
    if (next && !this.closed) this.requestRefresh(next);
  }

  /**
   * What the refresh did (at info for one the editor or the user started; for one after saved
   * files at debug, since each save makes one, unless files left the index), the skip counts (at
   * info when they changed or the user asked), and at trace each skipped path.
   */
  private logRefresh(reason: RefreshReason, summary: IndexSummary, routine: LogLevel): void {
    const level: LogLevel = reason === 'changes' ? (summary.filesRemoved > 0 ? 'info' : 'debug') : routine;
    this.events.log(refreshFinishedLine(this.name, reason, summary), level);
    if (summary.cancelled) return; // a stopped refresh's skips are those of the last complete one
    const skips = skipSummaryLine(this.name, summary.skipped);
    this.events.log(skips, skips !== this.lastSkipSummary ? 'info' : routine);
    this.lastSkipSummary = skips;
    if (this.events.logs?.('trace')) for (const line of skippedPathLines(this.name, summary.skippedFiles)) this.events.log(line, 'trace');
  }

  /** Answers derived from the previous contents no longer hold. */
  private indexChanged(): void {
    this.generation = nextGeneration();
    this.relatedCache.clear();
    this.definitionMap = undefined;
  }

  /** This generation's definitions; rebuilt on every call while a refresh changes them. */
  private definitionSites(engine: Engine): DefinitionMap {
    if (this.definitionMap?.generation === this.generation) return this.definitionMap.map;
    const map = new DefinitionMap(engine.definitions());
    if (!this.running) this.definitionMap = { generation: this.generation, map };
    return map;
  }

  private async entry(engine: Engine, site: DefinitionSite, top: number): Promise<DefinitionEntry> {
    const answer = await this.cachedRelated(engine, site.path, site.startLine, top);
    return { ...site, root: this.root, related: answer?.results.map((h) => this.link(h)) ?? [] };
  }

  private link(hit: SearchHit): RelatedLink {
    return { root: this.root, path: hit.path, name: hit.name, kind: hit.kind, startLine: hit.startLine, endLine: hit.endLine };
  }

  private onProgress(engine: Engine, running: RunningRefresh, reason: RefreshReason, p: Progress): void {
    const phaseChanged = p.phase !== this.progress?.phase;
    const byFiles = p.phase === 'parse' || p.phase === 'write';
    if (byFiles && p.total > 0) running.hasWork = true;
    const percent = byFiles && p.total > 0 ? Math.min(100, Math.floor((100 * p.done) / p.total)) : (this.progress?.percent ?? 0);
    this.progress = { ...p, reason, percent };
    const now = Date.now();
    if (!phaseChanged && now - this.lastProgressSent < PROGRESS_INTERVAL_MS) return;
    if (byFiles) this.contents = engine.contents();
    this.lastProgressSent = now;
    this.emit();
  }

  private fail(err: Error): void {
    this.state = 'error';
    this.lastError = err.message;
    this.events.log(`cannot open the index of ${this.root}: ${err.message}`, 'error');
    this.emit();
  }

  private emit(): void {
    if (!this.closed) this.events.status(this.status());
  }

  /** The hit as the protocol carries it; `changed` lists the paths that changed on disk since they were indexed. */
  private withRoot(hit: SearchHit, changed?: ReadonlySet<string>): FolderHit {
    return { ...hit, root: this.root, ...(changed?.has(hit.path) && { changed: true as const }) };
  }

  private engineOptions(): EngineOptions {
    const o = this.options;
    return {
      include: o.include,
      exclude: o.exclude,
      maxFileBytes: o.maxFileBytes,
      threads: o.threads,
      spelling: o.spelling,
      // the default folder's name (<folder name>-<hash of its path>), under the chosen location
      indexDir: o.indexDir ?? (o.indexLocation ? join(o.indexLocation, basename(defaultIndexDir(this.root))) : undefined),
      model: o.model,
      // the engine's notices: lexical-only and why, a damaged index rebuilt and why, a read-only index, …
      log: (message) => this.events.log(`${this.name}: ${message}`, 'info'),
    };
  }
}

async function relatedOrNull(engine: Engine, path: string, line: number, top: number): Promise<CachedRelated> {
  try {
    return await engine.related(path, line, { top });
  } catch (err) {
    if (err instanceof NothingIndexedError) return null;
    throw err;
  }
}
