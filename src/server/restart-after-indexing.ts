/**
 * When the engine process asks the extension to replace it with a new one (RestartWanted): after a
 * large refresh, once idle, when the process holds more memory than a limit.
 *
 * Why a new process: after a cold index of 116k functions the engine holds 671–795 MB, against
 * about 320–370 MB for a process that opens the same index (BENCHMARKS.md, "what holds the
 * editor's engine after a cold index", and "the editor's engine replaced after a large index";
 * measured under plain Node: Electron's allocator, which desktop VS Code's engine runs on, was not). What
 * indexing freed stays with the process's allocator (glibc keeps it; closing the indexes and
 * opening them again in the same process still leaves 480 MB), so only an exit gives it back. The
 * extension starts the new process as soon as the old one has saved and exited; it opens the index
 * the old one committed, and requests sent meanwhile wait for it.
 *
 * The rule, checked at each folder status and whenever an agent session ends or answers its last request:
 * - Refreshes are counted in groups: a group ends when no folder is being opened or refreshed
 *   (several folders indexed at once are one group; each save is a group of its own). A group that
 *   parsed at least `afterFiles` files is large. A process that opened an index and refreshed
 *   some saved files holds about what a new one would, so asking then would gain nothing, and
 *   could repeat.
 * - After a large group the process asks, at most once in its life, when every folder is ready
 *   (none cancelled, stale or failed: a new process would index such a folder again), its resident
 *   memory is above `aboveBytes`, and no agent's MCP request is waiting for its answer. Sessions
 *   may be open: `codescout mcp --attach`, the relay VS Code runs, connects again to the new
 *   process and carries its session over (cli/mcp-relay.ts). A request that reaches the old
 *   process while it is being replaced gets up to 1 s to be answered (agent-endpoint.ts), else an
 *   error that says to ask again; one sent once it has closed the session waits in the relay for
 *   the new process.
 */
export interface RestartAfterIndexingOptions {
  /** ask only when the process's resident memory is above this many bytes; 0: never ask */
  aboveBytes: number;
  /** …and only after a group of refreshes that parsed at least this many files (at least 1) */
  afterFiles: number;
}

/** 400 MB, issue 12's limit for an engine process; 1,000 files (the large corpus of `npm run bench` has 8,055). */
export const DEFAULT_RESTART_AFTER_INDEXING: Readonly<RestartAfterIndexingOptions> = Object.freeze({
  aboveBytes: 400 * 1024 * 1024,
  afterFiles: 1000,
});

export interface EngineProbe {
  /** the process's resident memory in bytes (process.memoryUsage.rss) */
  rss(): number;
  /** whether a folder is being opened or refreshed, or has a refresh waiting (Workspace.busy) */
  foldersBusy(): boolean;
  /** whether every folder's index is ready: none stale (cancelled), failed or being opened (Workspace.ready) */
  foldersReady(): boolean;
  /** requests of the agent endpoint's MCP sessions not answered yet (AgentEndpoint.unanswered) */
  agentRequests(): number;
}

export class RestartAfterIndexing {
  /** files parsed by the refreshes of the group running now */
  private groupFiles = 0;
  /** the files of a large group that ended and has not been acted on yet (0: none) */
  private largeGroup = 0;
  private asked = false;

  constructor(
    private readonly options: Readonly<RestartAfterIndexingOptions>,
    private readonly probe: EngineProbe,
    /** called at most once, with the reason in words */
    private readonly ask: (reason: string) => void,
  ) {
    if (!Number.isSafeInteger(options.aboveBytes) || options.aboveBytes < 0) throw new RangeError(`aboveBytes must be a whole number ≥ 0, not ${options.aboveBytes}`);
    // 0 would make every new process ask again once idle, without end
    if (!Number.isSafeInteger(options.afterFiles) || options.afterFiles < 1) throw new RangeError(`afterFiles must be a whole number ≥ 1, not ${options.afterFiles}`);
  }

  /** A refresh of some folder ended (FolderEvents.refreshEnded), cancelled and failed ones too. */
  refreshEnded(filesParsed: number): void {
    this.groupFiles += filesParsed;
  }

  /** A folder's status changed, or an agent session ended or answered its last request: asks if it is time. */
  check(): void {
    if (this.asked || this.options.aboveBytes === 0 || this.probe.foldersBusy()) return;
    // no refresh runs: the group has ended
    if (this.groupFiles >= this.options.afterFiles) this.largeGroup = this.groupFiles;
    this.groupFiles = 0;
    if (this.largeGroup === 0 || this.probe.agentRequests() > 0) return;
    const files = this.largeGroup;
    this.largeGroup = 0;
    if (!this.probe.foldersReady()) return;
    const rss = this.probe.rss();
    if (rss <= this.options.aboveBytes) return;
    this.asked = true;
    this.ask(
      `it holds ${mb(rss)} MB after indexing ${files} files (the limit is ${mb(this.options.aboveBytes)} MB), ` +
        'and only a new process gives that memory back',
    );
  }
}

function mb(bytes: number): number {
  return Math.round(bytes / (1024 * 1024));
}

/**
 * The options a command line gives: `--restart-above-mb <n>` (a whole number ≥ 0; 0: never) and
 * `--restart-after-files <n>` (a whole number ≥ 1); the defaults for those it leaves out. A value
 * that is not such a number is left at its default, with a warning for the log.
 */
export function restartOptionsFrom(argv: readonly string[]): { options: RestartAfterIndexingOptions; warnings: string[] } {
  const options = { ...DEFAULT_RESTART_AFTER_INDEXING };
  const warnings: string[] = [];
  const read = (flag: string, least: number, set: (n: number) => void) => {
    const at = argv.indexOf(flag);
    if (at < 0) return;
    const given = argv[at + 1];
    const n = given !== undefined && /^\d+$/.test(given) ? Number(given) : NaN;
    if (Number.isSafeInteger(n) && n >= least) set(n);
    else warnings.push(`${flag} needs a whole number ≥ ${least}, not ${JSON.stringify(given ?? '')}; the default is used`);
  };
  read('--restart-above-mb', 0, (n) => (options.aboveBytes = n * 1024 * 1024));
  read('--restart-after-files', 1, (n) => (options.afterFiles = n));
  if (!Number.isSafeInteger(options.aboveBytes)) {
    warnings.push(`--restart-above-mb is too large; the default is used`);
    options.aboveBytes = DEFAULT_RESTART_AFTER_INDEXING.aboveBytes;
  }
  return { options, warnings };
}
