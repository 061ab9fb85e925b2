/**
 * The engine process's scheduling priority: with `--nice <n>` on its command line it lowers it
 * to niceness n (1–19) as this module is loaded, which main.ts does before anything else, so
 * that indexing gives way to the editor.
 *
 * On Linux niceness belongs to a thread, and threads inherit it from the thread that starts
 * them: set first, for every thread the process has by then (V8's), it covers the parse workers,
 * libuv's pool and the model's threads too, all started later (the parse workers then lower
 * themselves further, below the thread that answers searches: engine/thread-priority.ts). Linux's scheduler also shares the
 * CPU between sessions first (autogroups, on by default in most distributions), and niceness only
 * orders the threads of one session: an engine that leads a session of its own (the extension
 * starts it so on Linux) lowers that session's group to the same niceness, so that it gives way to
 * an editor in another session too (a browser showing code-server, a window started elsewhere). It
 * does so only as its session's leader, which the extension makes it: a session led by another
 * process (a terminal, a test, the CLI) keeps its group, whose lowering would slow the editor
 * itself. (A leader that started other processes in its session before it ran the engine would
 * lower those too; nothing starts the engine so.) macOS sets it for the whole process; Windows maps it to a priority class (below normal
 * for 10–18, idle for 19; 1–9 leave it normal). A priority that cannot be set (a sandbox that forbids it) leaves the process at its own.
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';
import { procStatFields, STAT_SESSION } from './proc-stat';

/** The highest niceness `--nice` takes (the lowest priority). */
const MAX_NICENESS = 19;

/**
 * Lowers this process's priority as `argv` asks (`--nice <n>`); never raises it. Returns a
 * warning for the log when it was asked and could not, undefined otherwise.
 */
export function lowerPriority(argv: readonly string[]): string | undefined {
  const at = argv.indexOf('--nice');
  if (at < 0) return undefined;
  const given = argv[at + 1];
  const niceness = Number(given);
  if (given === undefined || !Number.isInteger(niceness) || niceness < 1 || niceness > MAX_NICENESS) {
    return `--nice needs a niceness from 1 to ${MAX_NICENESS}, not ${JSON.stringify(given ?? '')}; the engine runs at its normal priority`;
  }
  try {
    if (getPriority() < niceness) setPriority(niceness);
  } catch (err) {
    return `the engine's priority could not be lowered (${(err as Error).message}); it runs at its normal priority`;
  }
  // the threads Node started before this (V8's, for garbage collection and compiling); one that
  // has ended since it was listed, or is niced further already, is left as it is
  if (process.platform === 'linux') {
    for (const thread of threadIds()) {
      try {
        if (getPriority(thread) < niceness) setPriority(thread, niceness);
      } catch {
        // gone
      }
    }
    if (leadsOwnSession()) return lowerAutogroup(niceness);
  }
  return undefined;
}

/** Tries of the write to the autogroup: the kernel takes one such write in 100 ms from a process without CAP_SYS_ADMIN, machine-wide (EAGAIN). */
const AUTOGROUP_TRIES = 5;
const AUTOGROUP_RETRY_MS = 110;

/** Lowers this session's scheduling group to `niceness`; a warning for the log when it could not. */
function lowerAutogroup(niceness: number): string | undefined {
  let current: number;
  try {
    current = autogroupNiceness();
  } catch {
    return undefined; // a kernel without autogroups: niceness alone orders the threads
  }
  if (current >= niceness) return undefined;
  for (let attempt = 1; ; attempt++) {
    try {
      writeFileSync('/proc/self/autogroup', String(niceness));
      return undefined;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // another engine (a second window) wrote within the same 100 ms: wait, as this module loads before anything else runs
      if (code === 'EAGAIN' && attempt < AUTOGROUP_TRIES) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, AUTOGROUP_RETRY_MS);
      else return `the engine's scheduling group could not be lowered (${code ?? (err as Error).message}); it has its niceness, but shares the CPU with the editor's session as an equal`;
    }
  }
}

/** Whether this process leads its session (Linux): then the session's autogroup is its own and its children's. */
function leadsOwnSession(): boolean {
  const fields = procStatFields('self');
  return fields !== undefined && Number(fields[STAT_SESSION]) === process.pid;
}

/** The niceness of this process's autogroup (Linux, `/autogroup-N nice K`); throws where there are none. */
export function autogroupNiceness(pid: number | 'self' = 'self'): number {
  const match = /nice (-?\d+)/.exec(readFileSync(`/proc/${pid}/autogroup`, 'utf8'));
  if (match === null) throw new Error('no autogroup niceness');
  return Number(match[1]);
}

/** This process's threads (Linux); none when /proc cannot tell. */
function threadIds(): number[] {
  try {
    return readdirSync('/proc/self/task').map(Number).filter((id) => Number.isInteger(id) && id > 0);
  } catch {
    return [];
  }
}

/** The outcome of lowering the priority when the engine process started. */
export const priorityWarning = lowerPriority(process.argv);
