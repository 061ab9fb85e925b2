import { mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Creates the index folder `dir` (absolute) and its missing parents, one level at a time,
 * before the engine opens it. Node's recursive mkdir never returns on a file system that
 * refuses new folders with ENOENT although the parent exists (/proc, /sys): it retries
 * forever at full CPU. Here that is an error that names the folder. Other failures are the
 * system errors of mkdir, with their path.
 */
export function prepareIndexFolder(dir: string): void {
  const missing: string[] = [];
  for (let d = dir; !exists(d); d = dirname(d)) {
    missing.unshift(d);
    if (dirname(d) === d) break;
  }
  for (const d of missing) {
    try {
      mkdirSync(d);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST' && isDirectory(d)) continue; // made meanwhile by another process
      if (code === 'ENOENT' && exists(dirname(d))) {
        throw new Error(`cannot create the index folder ${dir}: ${dirname(d)} does not allow new folders (ENOENT); choose another index folder`);
      }
      throw err;
    }
  }
}

function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch (err) {
    // A path that exists but cannot be examined (EACCES, ENOTDIR, ELOOP) counts as there:
    // mkdir below it reports why.
    return (err as NodeJS.ErrnoException).code !== 'ENOENT';
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
