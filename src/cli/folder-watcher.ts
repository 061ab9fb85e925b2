/**
 * Watches a served folder for `codescout mcp` (chokidar) and reports changed paths, so that the
 * folder's index follows the files as the editor's file watcher makes it do in VS Code.
 *
 * What is not watched: `.git`, the index folder (when it lies inside the folder), and whatever
 * the folder's root ignore rules leave out (engine/files/ignore-rules.ts: the built-in list —
 * node_modules, dist, build, target, .venv, … —, `.git/info/exclude`, and the root's own
 * `.gitignore` and `.codescoutignore`), so that a tree with a large node_modules costs no watch
 * for it. The rules of nested ignore files are not applied here: their folders are watched (a
 * change there costs a refresh that finds nothing new), and a folder that the root's rules
 * leave out but a nested ignore file brings back is not watched; its changes are found by the
 * next refresh. When a root ignore file changes, the watcher starts again with the new rules.
 * Symbolic links are not followed (a link may lead anywhere, `/` included); a link to a folder
 * is judged by the rules as that folder (a linked node_modules is left out).
 */
import { lstatSync, statSync, type BigIntStats, type Stats } from 'node:fs';
import { join } from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import { IgnoreRules } from '../engine/files/ignore-rules';
import { readRegularFile } from '../engine/files/regular-file';
import { pathInside } from '../engine/paths';

/** Root files whose change changes what is watched. */
const ROOT_RULE_FILES = new Set(['.gitignore', '.codescoutignore']);

export interface FolderWatcherEvents {
  /** root-relative POSIX paths that were created, changed or deleted */
  changed(paths: string[]): void;
  /**
   * anything in the folder may have changed, unreported: its root was removed and is back (a
   * folder deleted and cloned again), so the index must scan it
   */
  rescan(): void;
  /** a problem worth one line on stderr */
  log(message: string): void;
}

/**
 * How often a watcher checks that its root is still the folder it watches. chokidar has no event
 * for a root removed and made again (re-cloned, say): it reports the root's removal only when it
 * happens to read the emptied root after it went, and then watches nothing of the new one.
 */
const ROOT_POLL_MS = 1000;

export class FolderWatcher {
  private watcher: FSWatcher | undefined;
  private rules: IgnoreRules | undefined;
  private closed = false;
  private reported = false;
  /** what the root's rule files were (see ruleFiles) just before the current rules were read; restarts, one at a time, set it */
  private rulesRead: readonly string[] = [];
  /** the restarts asked for by changed root rule files, one after the other */
  private restarts: Promise<void> = Promise.resolve();
  /** the index folder, root-relative, when it lies inside the folder */
  private readonly indexRel: string | undefined;
  /** the timer that checks the root's identity ({@link checkRoot}), for the watcher's life */
  private rootPoll: NodeJS.Timeout | undefined;
  /** the root folder the current watcher was started on ({@link folderIdentity}; undefined: there was none) */
  private watchedRoot: string | undefined;
  /** the root folder {@link checkRoot} last asked a restart for */
  private restartAskedFor: string | undefined;
  /** whether a watcher was started before: a root replaced since is reported for a scan */
  private started = false;

  private constructor(
    readonly root: string,
    indexDir: string,
    private readonly events: FolderWatcherEvents,
  ) {
    this.indexRel = pathInside(root, indexDir);
  }

  /** Starts watching `root`; resolves once chokidar has walked the folder and watches it. */
  static async start(root: string, indexDir: string, events: FolderWatcherEvents): Promise<FolderWatcher> {
    const watcher = new FolderWatcher(root, indexDir, events);
    // on the restart chain: a rule file changed during the first walk restarts after it
    watcher.restarts = watcher.restart();
    await watcher.restarts;
    watcher.rootPoll = setInterval(() => watcher.checkRoot(), ROOT_POLL_MS);
    watcher.rootPoll.unref();
    return watcher;
  }

  /** The folders being watched, root-relative ('' for the root), sorted. */
  watchedFolders(): string[] {
    return Object.keys(this.watcher?.getWatched() ?? {})
      .map((dir) => (dir === this.root ? '' : pathInside(this.root, dir)))
      .filter((rel): rel is string => rel !== undefined)
      .sort();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.rootPoll);
    await this.watcher?.close();
    this.watcher = undefined;
  }

  /**
   * Whether chokidar skips `path` (see the module comment): .git, the index, and the folders the
   * root's rules leave out. Files are decided when they change ({@link leftOut}): chokidar asks
   * about every file of the tree as it starts, and the rules cost more than the answer saves.
   */
  private ignored(path: string, stats?: Stats): boolean {
    if (path === this.root) return false;
    const rel = pathInside(this.root, path);
    if (rel === undefined) return true;
    if (rel === '.git' || rel.startsWith('.git/')) return true;
    if (this.indexRel !== undefined && (rel === this.indexRel || rel.startsWith(`${this.indexRel}/`))) return true;
    // chokidar asks first without stats, then with them; the rules need to know a folder from a file
    if (!stats || !this.rules || !(stats.isDirectory() || (stats.isSymbolicLink() && leadsToFolder(path)))) return false;
    return this.rules.test(rel, true).ignored;
  }

  /** A changed file that the root's rules leave out (a log file in .gitignore): no refresh for it. */
  private leftOut(rel: string, path: string, event: string): boolean {
    if (!this.rules || event === 'addDir' || event === 'unlinkDir') return false;
    // a link to a folder (node_modules linked from elsewhere) is decided as the folder the scan takes it for
    return this.rules.test(rel, event !== 'unlink' && leadsToFolder(path)).ignored;
  }

  /**
   * Restarts watching once the current event is handled and any earlier restart is done.
   * Never from inside chokidar's event: closing a watcher while it emits `add` for a new file
   * leaks the file watch it registers right after (chokidar 4), which keeps the process alive
   * after close. One at a time: two overlapping restarts would each start a watcher.
   */
  private scheduleRestart(): void {
    this.restarts = this.restarts
      .then(() => new Promise<void>((resolve) => setImmediate(resolve)))
      .then(() => this.restart())
      .catch((err: Error) => this.fail(err));
  }

  private async restart(): Promise<void> {
    const previous = this.watcher;
    this.watcher = undefined;
    await previous?.close();
    if (this.closed) return;
    // before chokidar looks at it: a root replaced from here on differs from what is watched. A
    // root that is not the folder the last start watched (whichever restart, the rule files' or
    // checkRoot's, comes first) is reported for a scan once this watcher has walked it.
    const before = this.watchedRoot;
    const now = folderIdentity(this.root);
    const replaced = this.started && now !== undefined && now !== before;
    this.watchedRoot = now;
    this.started = true;
    this.rulesRead = ruleFiles(this.root);
    this.rules = await IgnoreRules.forRoot(this.root);
    if (this.closed) return;
    const watcher = watch(this.root, {
      ignoreInitial: true,
      followSymlinks: false,
      persistent: true,
      ignored: (path, stats) => this.ignored(path, stats),
    });
    this.watcher = watcher;
    watcher.on('all', (event, path) => {
      const rel = pathInside(this.root, path);
      if (rel === undefined) return;
      if (!this.leftOut(rel, path, event)) this.events.changed([rel]);
      // only when a rule file is not what the rules were read from: chokidar reports a root file that
      // is a symbolic link as added at each walk, which would otherwise restart the watcher without end
      if (ROOT_RULE_FILES.has(rel) && !sameContents(this.rulesRead, ruleFiles(this.root))) this.scheduleRestart();
    });
    watcher.on('error', (err) => this.fail(err as Error));
    await new Promise<void>((resolve) => watcher.once('ready', resolve));
    // A rule file written while the rules were read (truncated, then filled), or before this watcher
    // watched it, may have given no event that reached a watcher (the old one was closed; chokidar
    // drops a file's events that come within a few ms of the one before): when the files now differ
    // from what they were before the rules were read, read the rules again.
    if (!this.closed && !sameContents(this.rulesRead, ruleFiles(this.root))) this.scheduleRestart();
    if (replaced && !this.closed) {
      try {
        this.events.rescan();
      } catch (err) {
        this.fail(err as Error);
      }
    }
  }

  /**
   * The root is a folder other than the one being watched (removed and made again, or replaced by
   * a rename): a restart watches it afresh and reports it for a scan ({@link restart}). While there
   * is no folder at the root, nothing is done: the folder's refresh says it is gone.
   */
  private checkRoot(): void {
    if (this.closed) return;
    const now = folderIdentity(this.root);
    if (now === undefined || now === this.watchedRoot || now === this.restartAskedFor) return;
    this.restartAskedFor = now; // one restart for one folder, however many checks come before it runs
    this.scheduleRestart();
  }

  /** Reports the first failure only (one per folder is enough: a full inotify table fails every folder after it). */
  private fail(err: Error): void {
    if (this.reported || this.closed) return;
    this.reported = true;
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOSPC' || code === 'EMFILE'
        ? `the system's limit of watched folders or open files is reached (${code}; on Linux, raise fs.inotify.max_user_watches)`
        : err.message;
    this.events.log(`cannot watch every folder of ${this.root} for changes: ${why}; changes there are found when the index is next refreshed`);
  }
}

/**
 * Which folder `path` is (device, inode and birth time: ext4 gives a folder made again the inode
 * number of the one removed), undefined when it is not a folder. A link is not followed: chokidar
 * does not watch a root that is one. Where the system keeps no birth time (it reads as 0), a
 * folder made again on the same inode number is not told apart; where libuv cannot read it
 * (no statx), it reads the change time, and a root whose entries change is then watched afresh
 * and scanned again, at most once a check.
 */
function folderIdentity(path: string): string | undefined {
  try {
    const s = lstatSync(path, { bigint: true });
    return s.isDirectory() ? `${s.dev}:${s.ino}:${s.birthtimeNs}` : undefined;
  } catch {
    return undefined;
  }
}

/** Whether `path` is a folder or a symbolic link to one (the scan follows links inside the folder). */
function leadsToFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/**
 * What each of the root's rule files is now, in a fixed order: its status (inode, size, change
 * times, in ns) and bytes as IgnoreRules reads them (a regular file, links not followed; a FIFO is
 * never opened), or why it has none. A file rewritten with the same bytes differs by its times.
 */
function ruleFiles(root: string): string[] {
  return [...ROOT_RULE_FILES].map((name) => {
    const path = join(root, name);
    let status: BigIntStats;
    try {
      status = lstatSync(path, { bigint: true });
    } catch (err) {
      return `\0${(err as NodeJS.ErrnoException).code ?? String(err)}`;
    }
    const read = readRegularFile(path, false);
    const what = 'bytes' in read ? read.bytes.toString('latin1') : `\0${JSON.stringify(read)}`;
    return `${status.ino}:${status.mode}:${status.size}:${status.mtimeNs}:${status.ctimeNs}:${what}`;
  });
}

function sameContents(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
