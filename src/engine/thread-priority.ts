/**
 * The parse workers' scheduling priority. An engine that runs at a lowered priority (the editor's
 * engine process, `--nice 10`: server/priority.ts) lowers its parse workers further, to the lowest
 * (niceness 19), while its main thread, which answers searches, and the graph thread, which
 * answers their vector half, keep the process's own. Threads of one process share its CPU by
 * their niceness, so a search that arrives while the editor keeps both cores busy no longer waits
 * behind the parsing it has no use for: in a niced engine cold-indexing 116k functions beside two
 * busy nice-0 processes, a search every 250 ms took 8–10 ms at the median instead of 27–30 ms,
 * 39–74 ms at the 90th percentile instead of 103–138 ms, 0.5–0.6 s at most instead of 1.7–2.2 s;
 * alone on the machine the cold index took as long (BENCHMARKS.md).
 *
 * Linux only: there niceness belongs to a thread, and a thread may lower its own. Elsewhere it
 * belongs to the whole process (macOS, Windows), which a worker must not lower. An engine at its
 * normal priority (the CLI, as usually run) leaves its workers at it; one run under `nice` (say
 * `nice -n 5 codescout index …`) lowers them to 19 too, as asked to give way.
 */
import { getPriority, setPriority } from 'node:os';

/** The niceness of a lowered engine's parse workers: the lowest priority. */
export const PARSE_WORKER_NICENESS = 19;

/**
 * Lowers the calling thread to {@link PARSE_WORKER_NICENESS} when it runs lowered already (it
 * inherits the niceness of the thread that started it); anything else, or a system that refuses,
 * leaves it as it is. `platform` is for tests.
 */
export function lowerParseWorker(platform: NodeJS.Platform = process.platform): void {
  if (platform !== 'linux') return;
  try {
    const own = getPriority(); // this thread's, on Linux
    if (own > 0 && own < PARSE_WORKER_NICENESS) setPriority(PARSE_WORKER_NICENESS);
  } catch {
    // a sandbox that forbids it: the thread keeps the process's priority
  }
}
