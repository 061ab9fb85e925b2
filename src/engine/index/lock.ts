import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { errnoCode, IndexFolderError, NotAFileError, writeFailure, type LockHeld } from './errors';
import { namesForCleanup, processGone, readRegularFile, removeBestEffort } from './store';
import { ownFields } from '../own-fields';

/**
 * One writer per index folder. The editor's engine process and a `codescout` run in a
 * terminal may open the same index; the first takes `index.lock`, the other reads the last
 * committed index without writing.
 *
 * The lock records who holds it: pid, host, the process's start time (where the platform tells
 * it: Linux) and a random token. A lock is stale, and taken over, when its process no longer
 * exists, or when a live process has that pid but is not the one that took the lock: its start
 * time differs from the recorded one, or (for a lock that records none, such as one written by an
 * older version) it started after the lock was written. Without a start time (macOS, Windows) a
 * live pid keeps the lock. A lock taken on another host is never judged from here. A stale lock
 * is taken over by one process at a time, under a breaker (`breakStale`).
 */
export class IndexLock {
  private released = false;

  private constructor(
    private readonly path: string,
    private readonly token: string,
  ) {}

  /**
   * Takes the lock; or says who holds it; or, when the folder cannot be written at all (a
   * read-only file system, no permission, a full disk), says why with its errno code.
   */
  static acquire(dir: string): IndexLock | LockHeld | { cannotWrite: string } {
    try {
      fs.mkdirSync(dir, { recursive: true });
    } catch (error) {
      const failure = writeFailure(error);
      if (failure !== undefined) return { cannotWrite: failure.code };
      throw error;
    }
    const path = join(dir, LOCK_FILE);
    /** the last attempt met a damaged lock too young to take over */
    let young = false;
    /** the last attempt met another process taking the stale lock over (its pid) */
    let breaking: number | undefined;
    for (let attempt = 0; attempt < 3; attempt++) {
      young = false;
      breaking = undefined;
      const token = randomBytes(8).toString('hex');
      let created: boolean;
      try {
        created = createLock(path, token);
      } catch (error) {
        const failure = writeFailure(error);
        if (failure !== undefined) return { cannotWrite: failure.code };
        throw error;
      }
      if (created) {
        removeLeftovers(dir);
        return new IndexLock(path, token);
      }
      const holder = readHolder(path, dir);
      if (holder === 'gone') continue; // released in between
      if (holder !== 'damaged' && !isStale(holder, path)) {
        return { heldBy: holder.pid, ...(holder.host !== undefined && holder.host !== hostname() && { host: holder.host }) };
      }
      // A damaged lock (no readable owner) is stale once it is a few seconds old: a lock is
      // linked into place complete, so only an old version or outside damage leaves one.
      if (holder === 'damaged' && !olderThan(path, DAMAGED_LOCK_MS)) {
        young = true;
        continue;
      }
      // Stale: removed under the breaker, which one process holds at a time (see breakStale).
      const broken = breakStale(path, dir, holder);
      if (broken === 'young') young = true;
      else if (broken !== undefined) breaking = broken;
    }
    // held until it is old enough to take over: a reader reads meanwhile, a writer waits for it
    if (young) return { heldBy: 0, unreadable: true };
    // another process is taking the stale lock over: it is that process's in a moment
    if (breaking !== undefined) return { heldBy: breaking };
    throw new IndexFolderError(dir, `cannot take the index lock ${path}: other processes keep taking it`);
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    let holder: Holder | 'gone' | 'damaged';
    try {
      holder = readHolder(this.path, '');
    } catch {
      return; // something else is in its place: not ours to remove
    }
    if (typeof holder === 'object' && holder.token === this.token) fs.rmSync(this.path, { force: true });
  }
}

/**
 * Whether a live process (this one included) holds the lock of `dir`, without taking it: a hint (the holder may
 * let go a moment later), for work that only a writer would use. False when there is no lock, it
 * is stale or damaged, or something else is in its place ({@link IndexLock.acquire} then says so).
 */
export function lockHeld(dir: string): boolean {
  try {
    const holder = readHolder(join(dir, LOCK_FILE), dir);
    return typeof holder === 'object' && !isStale(holder, join(dir, LOCK_FILE));
  } catch {
    return false;
  }
}

export type { LockHeld } from './errors';

const LOCK_FILE = 'index.lock';
const DAMAGED_LOCK_MS = 5000;
/** A lock written this long before its pid's process started was written by another process with that pid. */
const START_SLACK_MS = 2000;

interface Holder {
  pid: number;
  host?: string;
  /** the process's start time as the platform records it (Linux: clock ticks after boot) */
  start?: string;
  token?: string;
}

/**
 * Creates the lock holding this process's identity, or returns false if it exists. The content
 * is written to a file of our own first and linked into place, so no reader ever sees it partial.
 */
function createLock(path: string, token: string): boolean {
  const own = `${path}.${process.pid}.${token}.new`;
  const start = processStart(process.pid);
  const holder: Holder = { pid: process.pid, host: hostname(), ...(start !== undefined && { start: start.ticks }), token };
  try {
    fs.writeFileSync(own, JSON.stringify(holder));
    fs.linkSync(own, path);
    return true;
  } catch (err) {
    if (errnoCode(err) !== 'EEXIST') throw err;
    return false;
  } finally {
    fs.rmSync(own, { force: true });
  }
}

/**
 * The lock's holder; 'gone' when there is no lock any more; 'damaged' when it holds no readable
 * owner. Something other than a file at the lock's place is reported with {@link IndexFolderError}:
 * it was not made by Code Scout, and reading it (a named pipe) could block forever.
 */
function readHolder(path: string, dir: string): Holder | 'gone' | 'damaged' {
  let text: string;
  try {
    text = readRegularFile(path).toString('utf8').trim();
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return 'gone';
    if (error instanceof NotAFileError) {
      throw new IndexFolderError(dir, `${path} is a ${error.kind}, not a lock file; remove it to use this index folder`);
    }
    return 'damaged';
  }
  if (/^\d+$/.test(text)) return positivePid(Number(text)) ? { pid: Number(text) } : 'damaged'; // an older version's lock
  try {
    const field = ownFields(JSON.parse(text));
    const pid = field?.('pid');
    if (!field || !positivePid(pid)) return 'damaged';
    const text_ = (key: string) => {
      const value = field(key);
      return typeof value === 'string' ? value : undefined;
    };
    return { pid, host: text_('host'), start: text_('start'), token: text_('token') };
  } catch {
    return 'damaged';
  }
}

/**
 * Removes the stale lock `path` held by `judged`, as one process at a time: under the breaker, a
 * file beside it taken as the lock is (created complete, only if absent), the lock is read again
 * and removed only if it is still the one judged stale. Nothing else ever removes another's lock,
 * and a live process only creates one where none is, so what is removed is that stale lock, never
 * a lock another process has just taken in its place (moving it aside and putting it back, as
 * this did before, let a third process take the place between the two: two writers). Returns the
 * pid of another process that holds the breaker (it is taking the lock over), 'young' for a
 * damaged breaker too young to remove, else undefined: the caller tries to create the lock again.
 * A breaker left by a process that died holding it is removed once it is stale, moved aside first
 * and checked.
 */
function breakStale(path: string, dir: string, judged: Holder | 'damaged'): number | 'young' | undefined {
  const breaker = `${path}.break`;
  const token = randomBytes(8).toString('hex');
  let created: boolean;
  try {
    created = createLock(breaker, token);
  } catch {
    return undefined; // cannot write beside it: the next attempt says why, as createLock of the lock itself
  }
  if (!created) {
    const other = readHolder(breaker, dir);
    if (other === 'gone') return undefined;
    if (other !== 'damaged' && !isStale(other, breaker)) return other.pid;
    if (other === 'damaged' && !olderThan(breaker, DAMAGED_LOCK_MS)) return 'young';
    removeIfStill(breaker, dir, other, token);
    return undefined;
  }
  try {
    if (sameHolder(readHolder(path, dir), judged)) fs.rmSync(path, { force: true });
  } finally {
    const mine = readHolder(breaker, dir);
    if (typeof mine === 'object' && mine.token === token) fs.rmSync(breaker, { force: true });
  }
  return undefined;
}

/**
 * The files of lock takers that died part-way (killed between writing their own file and linking
 * or removing it): `index.lock[.break].<pid>.<token>.new` of {@link createLock} and `.stale` of
 * {@link removeIfStill}. Such a file is tiny and harmless, but would stay for good; the new
 * holder removes those of processes gone from this machine, and only once they are a minute old.
 * A taker's own file lives for microseconds, so the age spares a taker on another host that shares
 * the folder (whose pid means nothing here) as long as the clocks agree within that minute, as the
 * damaged-lock age (DAMAGED_LOCK_MS) already assumes.
 */
const LEFTOVER = /^index\.lock(?:\.break)?\.(\d+)\.[0-9a-f]+\.(?:new|stale)$/;
const LEFTOVER_AGE_MS = 60_000;

function removeLeftovers(dir: string): void {
  for (const name of namesForCleanup(dir)) {
    const pid = Number(LEFTOVER.exec(name)?.[1]);
    if (!positivePid(pid) || !processGone(pid) || !olderThan(join(dir, name), LEFTOVER_AGE_MS)) continue;
    removeBestEffort(join(dir, name)); // cleanup: one that cannot go is left for the next holder
  }
}

/** Removes the file at `path` if it still holds `holder`: moved aside under a name of our own, checked, and put back if it is not. */
function removeIfStill(path: string, dir: string, holder: Holder | 'damaged', token: string): void {
  const aside = `${path}.${process.pid}.${token}.stale`;
  try {
    fs.renameSync(path, aside);
  } catch {
    return; // someone else moved it first
  }
  if (!sameHolder(readHolder(aside, dir), holder)) {
    try {
      fs.linkSync(aside, path);
    } catch {
      /* another is in place */
    }
  }
  fs.rmSync(aside, { force: true });
}

function sameHolder(a: Holder | 'gone' | 'damaged', b: Holder | 'gone' | 'damaged'): boolean {
  if (typeof a !== 'object' || typeof b !== 'object') return a === b;
  return a.pid === b.pid && a.host === b.host && a.start === b.start && a.token === b.token;
}

function positivePid(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
}

/** Whether the process that took the lock is gone (see {@link IndexLock}). */
function isStale(holder: Holder, path: string): boolean {
  if (holder.host !== undefined && holder.host !== hostname()) return false; // cannot tell from here
  if (!isAlive(holder.pid)) return true;
  const running = processStart(holder.pid);
  if (running === undefined) return false; // no start times here: a live pid keeps the lock
  // it has exited and its parent has not collected it yet (a killed CLI under a PID 1 that reaps slowly, as in many containers)
  if (running.exited) return true;
  if (holder.start !== undefined) return holder.start !== running.ticks;
  // No recorded start time: stale if that pid's process started after the lock was written.
  try {
    return fs.statSync(path).mtimeMs < running.epochMs - START_SLACK_MS;
  } catch {
    return false;
  }
}

function olderThan(path: string, ms: number): boolean {
  try {
    return Date.now() - fs.statSync(path).mtimeMs > ms;
  } catch {
    return false;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return errnoCode(err) === 'EPERM'; // exists, owned by someone else
  }
}

/** Linux reports process start times in clock ticks after boot; USER_HZ is 100 on every Linux port. */
const TICKS_PER_SECOND = 100;

/**
 * When a process started, where the platform says: on Linux `/proc/<pid>/stat` field 22 (clock
 * ticks after boot), and as a time with the boot time from `/proc/stat`; and whether it has
 * exited already (field 3, its state: Z, a zombie its parent has not collected, or X). Undefined
 * elsewhere, or when the process is gone.
 */
function processStart(pid: number): { ticks: string; epochMs: number; exited: boolean } | undefined {
  if (process.platform !== 'linux') return undefined;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the command name (field 2) is in parentheses and may itself hold spaces and parentheses
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = fields[19]; // field 22 overall; fields[0] is field 3
    if (ticks === undefined || !/^\d+$/.test(ticks)) return undefined;
    const bootSeconds = Number(/^btime (\d+)$/m.exec(fs.readFileSync('/proc/stat', 'utf8'))?.[1]);
    const epochMs = Number.isFinite(bootSeconds) ? bootSeconds * 1000 + (Number(ticks) * 1000) / TICKS_PER_SECOND : Number.NaN;
    return { ticks, epochMs, exited: fields[0] === 'Z' || fields[0] === 'X' };
  } catch {
    return undefined;
  }
}
