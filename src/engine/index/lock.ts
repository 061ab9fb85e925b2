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
      try {
        fs.writeFileSync(path, String(process.pid), { flag: 'wx' });
        return new IndexLock(path);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const holder = readPid(path);
      if (holder !== undefined && isAlive(holder)) return { heldBy: holder };
      fs.rmSync(path, { force: true }); // stale: its process is gone
    }
    throw new Error(`cannot take the index lock ${path}`);
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    if (readPid(this.path) === process.pid) fs.rmSync(this.path, { force: true });
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
