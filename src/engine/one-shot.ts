import { Worker } from 'node:worker_threads';
import { workerScript, type AheadThread } from './ahead-thread';
import type { ScanOptions, ScanResult } from './files/scan';
import type { Computed } from './index/checksum';
import { ReadAhead, type FileToReadAhead, type ReadEarly } from './index/read-ahead';

/** What the worker posts: a file read ahead, then the scan (or nothing, when it failed). */
export type AheadReply = { read: string; early?: { bytes: ArrayBuffer; checksum: Computed; size?: number } } | { scan?: ScanResult };

/** What the worker is given (its `workerData`, or the first message of a thread started before, {@link AheadThread}). */
export interface AheadWork {
  /** index files to read and checksum (workspace-store.ts `indexFilesToReadAhead`) */
  reads: FileToReadAhead[];
  root: string;
  /** how to scan the folder after the reads; undefined: no scan (another process holds the index, so this one will not refresh it) */
  scan: Omit<ScanOptions, 'signal'> | undefined;
}

/**
 * Work done ahead, on one worker thread, for a command that opens an index, refreshes it once and
 * exits (`EngineOptions.oneShot`: the CLI), while the main thread loads the model and decodes the
 * index: first the index's data files are read and checksummed (index/read-ahead.ts), then the
 * folder is scanned for the first refresh. At 100k functions (2 cores) that is 0.25 s of reading and
 * hashing and 0.23-0.30 s of scanning that the main thread no longer waits for. One thread, not two
 * nor libuv's pool: the model's own files are read through the pool, and a 2-core machine has one
 * core to spare.
 *
 * The scan is the folder as it was when it ran, as any scan's is: a refresh that uses it misses
 * nothing that one starting at that moment would have found. Whatever goes wrong on the worker (no
 * worker script, an error, a crash) gives nothing, and the main thread reads and scans as it would
 * have; so an error it reports (the folder is gone) comes from that reading or scan.
 */
export class OneShotAhead {
  readonly reads: ReadAhead;
  private worker: Worker | undefined;
  private readonly scanned: Promise<ScanResult | undefined>;

  /** `thread`: one started before the work was known ({@link AheadThread}), given the work instead of starting one */
  constructor(work: AheadWork, log: (message: string) => void = () => {}, thread?: AheadThread) {
    this.reads = new ReadAhead(work.reads); // the descriptors of files given open are its own
    let settle!: (scan: ScanResult | undefined) => void;
    this.scanned = new Promise((resolve) => (settle = resolve));
    const stopped = () => {
      this.worker = undefined;
      this.reads.abandon();
      settle(undefined);
    };
    this.worker = thread?.take(work);
    if (this.worker === undefined) {
      const script = workerScript();
      if (!script) {
        stopped();
        return;
      }
      try {
        this.worker = new Worker(script, { workerData: work });
      } catch (err) {
        log(`reading ahead failed (${(err as Error).message}); the index is read and the folder scanned as usual`);
        stopped();
        return;
      }
    }
    this.worker.on('message', (reply: AheadReply) => {
      if ('read' in reply) {
        const early: ReadEarly | undefined = reply.early && { bytes: Buffer.from(reply.early.bytes), checksum: reply.early.checksum, ...(reply.early.size !== undefined && { size: reply.early.size }) };
        this.reads.deliver(reply.read, early);
      } else {
        settle(reply.scan);
      }
    });
    this.worker.once('error', stopped);
    this.worker.once('exit', stopped);
  }

  /** The scan, once it is done; undefined when it could not be made. */
  scan(): Promise<ScanResult | undefined> {
    return this.scanned;
  }

  /** Stops the worker if it is still at work; what it has not delivered then gives nothing. */
  async dispose(): Promise<void> {
    const worker = this.worker;
    if (worker) await worker.terminate();
  }
}

