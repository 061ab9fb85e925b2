/**
 * When the engine process asks the extension to replace it with a new one (RestartWanted): once a
 * large refresh has ended and the process holds more memory than a limit.
 *
 * Why a new process: after a cold index of 116k functions the engine holds 671–764 MB, against
 * about 320 MB for a process that opens the same index (BENCHMARKS.md, "what holds the editor's
 * engine after a cold index"). What indexing freed stays with the process's allocator (glibc keeps
 * it; closing the indexes and opening them again in the same process still leaves 480 MB), so only
 * an exit gives it back. The extension starts the new process first thing after the old one has
 * saved and exited; it opens the index the old one committed, and requests sent meanwhile wait for it.
 *
 * The engine asks at most once per process, only when nothing is running that a restart would
 * cut short (a folder opening or indexing, an agent's MCP session), and only after its refreshes
 * have parsed at least `afterFiles` files: a process that opened an index and refreshed a few
 * saved files holds what a new one would hold, so asking then could only repeat.
 */
import type { FolderStatus } from '../protocol/protocol';

export interface RestartAfterIndexingOptions {
  /** ask only when the process's resident memory is above this many bytes; 0: never ask */
  aboveBytes: number;
  /** …and only once this process's ended refreshes have parsed at least this many files */
  afterFiles: number;
}

/** 400 MB, issue 12's limit for an engine process; 1,000 files parsed (the large corpus of `npm run bench` has 8,055). */
export const DEFAULT_RESTART_AFTER_INDEXING: Readonly<RestartAfterIndexingOptions> = Object.freeze({
  aboveBytes: 400 * 1024 * 1024,
  afterFiles: 1000,
});

export interface EngineProbe {
  /** the process's resident memory in bytes (process.memoryUsage.rss) */
  rss(): number;
  /** whether a folder is being opened or refreshed (Workspace.busy) */
  foldersBusy(): boolean;
  /** MCP sessions open on the agent endpoint */
  agentSessions(): number;
}

export class RestartAfterIndexing {
  /** per folder root: the refreshes already counted (FolderStatus.refreshes) */
  private readonly counted = new Map<string, number>();
  private filesParsed = 0;
  private asked = false;

  constructor(
    private readonly options: Readonly<RestartAfterIndexingOptions>,
    private readonly probe: EngineProbe,
    /** called at most once, with the reason in words */
    private readonly ask: (reason: string) => void,
  ) {
    for (const [name, value] of [
      ['aboveBytes', options.aboveBytes],
      ['afterFiles', options.afterFiles],
    ] as const) {
      if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${name} must be a whole number ≥ 0, not ${value}`);
    }
  }

  /** A folder's new status: counts what a refresh that ended parsed, then asks if it is time. */
  observe(status: FolderStatus): void {
    const before = this.counted.get(status.root) ?? 0;
    if (status.refreshes > before) {
      this.counted.set(status.root, status.refreshes);
      // a refresh that failed reports none; a cancelled one still parsed what it reports
      this.filesParsed += status.lastRefresh?.filesParsed ?? 0;
    }
    this.check();
  }

  /** Something that could have held the restart back ended (an agent session): asks if it is time now. */
  check(): void {
    if (this.asked || this.options.aboveBytes === 0 || this.filesParsed < this.options.afterFiles) return;
    if (this.probe.agentSessions() > 0) return;
    if (this.probe.foldersBusy()) return;
    const rss = this.probe.rss();
    if (rss <= this.options.aboveBytes) return;
    this.asked = true;
    this.ask(
      `it holds ${mb(rss)} MB after indexing ${this.filesParsed} files (the limit is ${mb(this.options.aboveBytes)} MB), ` +
        'and only a new process gives that memory back',
    );
  }
}

function mb(bytes: number): number {
  return Math.round(bytes / (1024 * 1024));
}

/**
 * The options a command line gives: `--restart-above-mb <n>` (0: never) and
 * `--restart-after-files <n>`, each a whole number ≥ 0; the defaults for those it leaves out. A
 * value that is not such a number is left at its default, with a warning for the log.
 */
export function restartOptionsFrom(argv: readonly string[]): { options: RestartAfterIndexingOptions; warnings: string[] } {
  const options = { ...DEFAULT_RESTART_AFTER_INDEXING };
  const warnings: string[] = [];
  const read = (flag: string, set: (n: number) => void) => {
    const at = argv.indexOf(flag);
    if (at < 0) return;
    const given = argv[at + 1];
    const n = given !== undefined && /^\d+$/.test(given) ? Number(given) : NaN;
    if (Number.isSafeInteger(n)) set(n);
    else warnings.push(`${flag} needs a whole number ≥ 0, not ${JSON.stringify(given ?? '')}; the default is used`);
  };
  read('--restart-above-mb', (n) => (options.aboveBytes = n * 1024 * 1024));
  read('--restart-after-files', (n) => (options.afterFiles = n));
  if (!Number.isSafeInteger(options.aboveBytes)) {
    warnings.push(`--restart-above-mb is too large; the default is used`);
    options.aboveBytes = DEFAULT_RESTART_AFTER_INDEXING.aboveBytes;
  }
  return { options, warnings };
}
