import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { AheadWork } from './one-shot';

/**
 * The thread of a one-shot.ts `OneShotAhead`, started before its work is known: a command starts it as
 * soon as it may open an index, so that the thread has started (about 0.1 s on 2 cores) by the
 * time the engine gives it the work, while the main thread loads the engine. Until then it waits,
 * without keeping the process alive; one never taken is stopped by {@link AheadThread.dispose}.
 *
 * A module of its own, with nothing but Node's, so that the `codescout` command starts the thread
 * before it loads the CLI bundle (cli/start.ts).
 */
export class AheadThread {
  private worker: Worker | undefined;
  private failed = false;

  private constructor(worker: Worker) {
    this.worker = worker;
    worker.unref(); // a process that ends before it takes the thread is not held open by it
    const gone = () => {
      this.failed = true;
    };
    worker.once('error', gone);
    worker.once('exit', gone);
  }

  /** Starts the thread; undefined when it cannot be (no worker script, no threads): the engine then starts one itself, or reads as usual. */
  static start(): AheadThread | undefined {
    const script = workerScript();
    if (!script) return undefined;
    try {
      return new AheadThread(new Worker(script));
    } catch {
      return undefined;
    }
  }

  /** Gives the thread its work and hands it over, once; undefined when it was taken, stopped or has failed. */
  take(work: AheadWork): Worker | undefined {
    const worker = this.worker;
    this.worker = undefined;
    if (worker === undefined || this.failed) return undefined;
    worker.ref();
    worker.postMessage(work);
    return worker;
  }

  /** Stops the thread unless it was taken. */
  async dispose(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    if (worker) await worker.terminate();
  }
}

/** The worker's script: beside this module (tsc output) or beside the bundle that holds it (dist/). */
export function workerScript(): string | undefined {
  const path = join(__dirname, 'one-shot-worker.js');
  return existsSync(path) ? path : undefined;
}
