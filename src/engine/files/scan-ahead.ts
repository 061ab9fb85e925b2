import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { ScanOptions, ScanResult } from './scan';

/**
 * A scan of the folder started on a worker thread when an engine opens, for its first refresh
 * (`EngineOptions.scanAhead`). A one-shot command (a CLI search) then reads its index, which is
 * mostly decoding on the main thread, while the folder is walked, which is mostly system calls,
 * on the other core, instead of one after the other: at 100k functions (8,155 files in 3,257
 * folders, 2 cores) the walk is 230-300 ms of a 2 s query.
 *
 * The result is the folder as it was when the walk ran, as any scan's is: a refresh that uses it
 * misses nothing that one starting at that moment would have found. Whatever goes wrong on the
 * worker (no worker script, an error, a crash) gives undefined, and the refresh scans on its own
 * thread as it would have; so an error a scan reports (the folder is gone) comes from that scan.
 */
export class ScanAhead {
  private worker: Worker | undefined;
  private readonly done: Promise<ScanResult | undefined>;

  constructor(root: string, options: Omit<ScanOptions, 'signal'>, log: (message: string) => void = () => {}) {
    this.done = new Promise((resolve) => {
      const script = workerScript();
      if (!script) return resolve(undefined);
      let worker: Worker;
      try {
        worker = new Worker(script, { workerData: { root, options } });
      } catch (err) {
        log(`scanning the folder ahead failed (${(err as Error).message}); it is scanned when the index is updated`);
        return resolve(undefined);
      }
      this.worker = worker;
      const settle = (result: ScanResult | undefined) => {
        this.worker = undefined;
        resolve(result);
      };
      worker.once('message', (reply: { result?: ScanResult; error?: string }) => settle(reply.result));
      worker.once('error', () => settle(undefined));
      worker.once('exit', () => settle(undefined));
    });
  }

  /** The scan, once it is done; undefined when it could not be made. */
  result(): Promise<ScanResult | undefined> {
    return this.done;
  }

  /** Stops the worker if it is still scanning; {@link result} then gives undefined. */
  async dispose(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    if (worker) await worker.terminate();
  }
}

/** The worker's script: beside this module (tsc output) or beside the bundle that holds it (dist/). */
function workerScript(): string | undefined {
  const path = join(__dirname, 'scan-worker.js');
  return existsSync(path) ? path : undefined;
}
