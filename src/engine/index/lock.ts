import * as fs from 'node:fs';
import { join } from 'node:path';

/**
 * One writer per index folder. The editor's engine process and a `codescout` run in a
 * terminal may open the same index; the first takes `index.lock` (holding its pid), the other
 * reads the last committed index without writing. A lock left by a process that no longer
 * exists (killed, crashed) is taken over.
 */
export class IndexLock {
  private released = false;

  private constructor(private readonly path: string) {}

  /** Takes the lock, or returns the pid of the live process that holds it. */
  static acquire(dir: string): IndexLock | { heldBy: number } {
    fs.mkdirSync(dir, { recursive: true });
    const path = join(dir, 'index.lock');
    for (let attempt = 0; attempt < 3; attempt++) {
      if (createWithPid(path)) return new IndexLock(path);
      const holder = readPid(path);
      if (holder !== undefined && isAlive(holder)) return { heldBy: holder };
      // No pid: released in between (try again), or a damaged lock, stale once it is a few seconds old.
      if (holder === undefined && !olderThan(path, DAMAGED_LOCK_MS)) continue;
      // Stale: its process is gone. Take it away under a name of our own, so that a lock another
      // process has just created in its place is never the one deleted.
      const aside = `${path}.${process.pid}.stale`;
      try {
        fs.renameSync(path, aside);
      } catch {
        continue; // someone else moved it first
      }
      if (readPid(aside) !== holder) {
        // not the stale lock any more: a live process's fresh one; put it back if nothing replaced it
        try {
          fs.linkSync(aside, path);
        } catch {
          /* another lock is in place */
        }
      }
      fs.rmSync(aside, { force: true });
    }
    throw new Error(`cannot take the index lock ${path}`);
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    if (readPid(this.path) === process.pid) fs.rmSync(this.path, { force: true });
  }
}

/**
 * Creates `path` holding this process's pid, or returns false if it exists. The pid is written to
 * a file of our own first and linked into place, so no reader ever sees the lock empty.
 */
function createWithPid(path: string): boolean {
  const own = `${path}.${process.pid}.new`;
  fs.writeFileSync(own, String(process.pid));
  try {
    fs.linkSync(own, path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return false;
  } finally {
    fs.rmSync(own, { force: true });
  }
}

const DAMAGED_LOCK_MS = 5000;

function olderThan(path: string, ms: number): boolean {
  try {
    return Date.now() - fs.statSync(path).mtimeMs > ms;
  } catch {
    return false;
  }
}

function readPid(path: string): number | undefined {
  try {
    const pid = Number(fs.readFileSync(path, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
  }
}
