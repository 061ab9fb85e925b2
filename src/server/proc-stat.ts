/**
 * `/proc/<pid>/stat` on Linux: the fields after the command name, which may hold spaces and
 * parentheses, so they are read after the last ')'. Index 0 is the state, 1 the parent's pid,
 * 2 the process group, 3 the session (proc(5)).
 */
import { readFileSync } from 'node:fs';

export const STAT_PARENT = 1;
export const STAT_SESSION = 3;

/** The fields of a process's stat after its command name; undefined where it cannot be read (not Linux, or the process is gone). */
export function procStatFields(pid: number | 'self'): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}
