/**
 * An HNSW graph built on a worker thread of its own (graph-thread-worker.ts), for a refresh that
 * adds many vectors: inserting into the graph is about a third of the indexing thread's work in a
 * cold index (16 of 48 s at 116k vectors, 2 cores), and the parse workers leave a core for it.
 *
 * The vector index (vector-index.ts) keeps every vector in its own array meanwhile, searches it
 * exactly, and sends each change here; the worker applies them in the order they were made, so
 * that its graph always holds what the array held at the last change sent. {@link write} writes
 * that graph to a file, as hnswlib writes one. Whatever goes wrong here (no worker script, the
 * worker failing or exiting) only marks the thread {@link broken}: the array is still whole, and the
 * vector index builds the graph itself from it.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';

/**
 * A worker must never be terminated while it is inside hnswlib: a call that finds its thread
 * terminating throws, and hnswlib-node's binding cannot throw then, which aborts the whole process.
 * So the two threads share two words: {@link STOP}, set here when the worker is to call hnswlib
 * no more, and {@link BUSY}, set by the worker around each call (before it looks at STOP). Once this
 * thread has set STOP and then seen BUSY clear, the worker is not in hnswlib and will not enter it
 * again, and terminating it is safe ({@link GraphThread.stop}).
 */
export const STOP = 0;
export const BUSY = 1;

/** How the worker makes its graph: hnswlib's construction settings (see VectorIndexOptions). */
export interface GraphThreadSettings {
  dimension: number;
  m: number;
  efConstruction: number;
  randomSeed: number;
  /** the graph's first capacity; it doubles when full */
  capacity: number;
  /** the two shared words ({@link STOP}, {@link BUSY}): an Int32Array of 2 */
  state?: SharedArrayBuffer;
}

/** The threads alive: a process that exits stops each first (see {@link STOP}). */
const alive = new Set<GraphThread>();
let stopAtExit = false;

/** What the worker is sent, in order. Vectors are unit length, back to back. */
export type GraphThreadRequest =
  | { kind: 'add'; labels: Uint32Array; vectors: Float32Array }
  | { kind: 'remove'; labels: Uint32Array }
  | { kind: 'write'; id: number; path: string };

/** What the worker answers: a write done, or the error that stopped it (it applies nothing after one). */
export type GraphThreadReply = { kind: 'written'; id: number } | { kind: 'failed'; message: string };

/** Vectors sent to the worker in one message: 256 KB at 256 dimensions. */
const ADD_BATCH = 256;
/** Removals sent in one message. */
const REMOVE_BATCH = 1024;

export class GraphThread {
  private worker: Worker | undefined;
  private failure: Error | undefined;
  private readonly dimension: number;
  private addLabels: Uint32Array;
  private addVectors: Float32Array;
  private adds = 0;
  private removeLabels: Uint32Array;
  private removes = 0;
  private nextWrite = 0;
  private readonly writes = new Map<number, { resolve: () => void; reject: (error: Error) => void }>();
  private readonly state: Int32Array;
  /** settles once the worker has been terminated */
  private ended: Promise<void> = Promise.resolve();

  private constructor(worker: Worker, dimension: number, state: Int32Array) {
    this.worker = worker;
    this.state = state;
    alive.add(this);
    if (!stopAtExit) {
      // node terminates the workers still running when the process exits
      process.once('exit', () => {
        for (const thread of alive) thread.stop();
      });
      stopAtExit = true;
    }
    this.dimension = dimension;
    this.addLabels = new Uint32Array(ADD_BATCH);
    this.addVectors = new Float32Array(ADD_BATCH * dimension);
    this.removeLabels = new Uint32Array(REMOVE_BATCH);
    worker.unref(); // never what keeps a process alive: the vector index's array holds every vector
    worker.on('message', (reply: GraphThreadReply) => {
      if (reply.kind === 'written') {
        const waiting = this.writes.get(reply.id);
        this.writes.delete(reply.id);
        waiting?.resolve();
      } else {
        this.fail(new Error(reply.message));
      }
    });
    worker.once('error', (error) => this.fail(error));
    worker.once('exit', (code) => this.fail(new Error(`the graph thread exited (${code})`)));
  }

  /**
   * Starts a worker whose graph holds, to begin with, the first `count` labels of `labels` and
   * their vectors (`vectors`, `dimension` floats each). Undefined when no worker can be started
   * here (no worker script beside this module, or threads unavailable).
   */
  static start(settings: GraphThreadSettings, labels: Uint32Array, vectors: Float32Array, count: number): GraphThread | undefined {
    const script = join(__dirname, 'graph-thread-worker.js'); // beside this module (tsc output) or the bundle that holds it (dist/)
    if (!existsSync(script)) return undefined;
    let worker: Worker;
    const state = new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT);
    try {
      worker = new Worker(script, { workerData: { ...settings, state } });
    } catch {
      return undefined;
    }
    const thread = new GraphThread(worker, settings.dimension, new Int32Array(state));
    for (let first = 0; first < count; first += ADD_BATCH) {
      const end = Math.min(count, first + ADD_BATCH);
      thread.post({
        kind: 'add',
        labels: labels.slice(first, end),
        vectors: vectors.slice(first * settings.dimension, end * settings.dimension),
      });
    }
    return thread;
  }

  /** The error that stopped the worker; once set, nothing more reaches it. */
  get broken(): Error | undefined {
    return this.failure;
  }

  /** Adds a vector of unit length, or replaces the vector of a label the graph holds. */
  add(label: number, unit: Float32Array): void {
    if (this.failure !== undefined) return;
    this.flushRemoves();
    this.addLabels[this.adds] = label;
    this.addVectors.set(unit, this.adds * this.dimension);
    if (++this.adds === ADD_BATCH) this.flushAdds();
  }

  /** Marks a label deleted; one the graph does not hold, or holds deleted, is ignored. */
  remove(label: number): void {
    if (this.failure !== undefined) return;
    this.flushAdds();
    this.removeLabels[this.removes] = label;
    if (++this.removes === REMOVE_BATCH) this.flushRemoves();
  }

  /** Writes the graph, with every change sent so far, to `path`; rejects when the worker fails first. */
  write(path: string): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    this.flushAdds();
    this.flushRemoves();
    const id = this.nextWrite++;
    const done = new Promise<void>((resolve, reject) => this.writes.set(id, { resolve, reject }));
    this.post({ kind: 'write', id, path });
    return done;
  }

  /** Ends the worker; what it has not done is dropped. */
  async dispose(): Promise<void> {
    this.fail(new Error('the graph thread was stopped'));
    await this.ended;
  }

  /**
   * Makes the worker leave hnswlib alone from now on, and waits (blocking this thread, for at most
   * the one call under way: an insert, or a write of the graph) until it is out of it.
   */
  private stop(): void {
    Atomics.store(this.state, STOP, 1);
    while (Atomics.load(this.state, BUSY) === 1) Atomics.wait(this.state, BUSY, 1, 100);
  }

  private flushAdds(): void {
    if (this.adds === 0) return;
    const labels = this.addLabels.slice(0, this.adds);
    const vectors = this.addVectors.slice(0, this.adds * this.dimension);
    this.adds = 0;
    this.post({ kind: 'add', labels, vectors });
  }

  private flushRemoves(): void {
    if (this.removes === 0) return;
    const labels = this.removeLabels.slice(0, this.removes);
    this.removes = 0;
    this.post({ kind: 'remove', labels });
  }

  private post(request: GraphThreadRequest): void {
    if (this.failure !== undefined || this.worker === undefined) return;
    const transfer = request.kind === 'add' ? [request.labels.buffer as ArrayBuffer, request.vectors.buffer as ArrayBuffer]
      : request.kind === 'remove' ? [request.labels.buffer as ArrayBuffer] : [];
    try {
      this.worker.postMessage(request, transfer);
    } catch (error) {
      this.fail(error as Error);
    }
  }

  /**
   * Stops the worker for good: the first error, or {@link dispose}. The worker is terminated
   * here in both cases (a worker left idle after an error still holds a port that keeps the
   * process alive).
   */
  private fail(error: Error): void {
    if (this.failure !== undefined) return;
    this.failure = error;
    const worker = this.worker;
    this.worker = undefined;
    this.adds = this.removes = 0;
    for (const waiting of this.writes.values()) waiting.reject(error);
    this.writes.clear();
    this.stop();
    alive.delete(this);
    if (worker !== undefined) this.ended = worker.terminate().then(() => undefined, () => undefined);
  }
}
