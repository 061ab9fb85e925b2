/**
 * An HNSW graph built on a worker thread of its own (graph-thread-worker.ts), for a refresh that
 * adds many vectors: inserting into the graph is about a third of the indexing thread's work in a
 * cold index (16 of 48 s at 116k vectors, 2 cores), and the parse workers leave a core for it.
 *
 * The vector index (vector-index.ts) keeps every vector in its own array meanwhile and sends each
 * change here; the worker applies them in the order they were made, so that its graph always holds
 * what the array held at the last change it applied. A search asks the worker's graph between two of its
 * inserts ({@link search}, through shared memory, about as fast as a graph here), and the vector
 * index scores what it finds, and what it has not added yet, from the array. {@link write} writes
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

/**
 * Searches the worker's graph, answered between two inserts ({@link GraphThread.search}): more
 * shared words, then the query and the answer's labels. READY is set once the worker has its
 * graph; WRITING while it writes the graph (a search then stops waiting for it); REQUEST and
 * ANSWER number the last search asked and the last answered; K is how many it asked for, FOUND how
 * many came back, ANSWER_APPLIED how many of the vectors sent to be added its graph held then;
 * ADDS_APPLIED and REMOVES_APPLIED count the added vectors and the removals it has applied so far.
 */
export const READY = 2;
export const WRITING = 3;
export const REQUEST = 4;
export const ANSWER = 5;
export const K = 6;
export const FOUND = 7;
export const ANSWER_APPLIED = 8;
export const ADDS_APPLIED = 9;
export const REMOVES_APPLIED = 10;
const WORDS = 11;
/** The most labels one search through the worker may ask for; more are searched exactly. */
export const MAX_SEARCH_K = 1024;
/** How long a search waits for the worker's answer before it scans the vectors itself. */
const SEARCH_WAIT_MS = 40;

/** The shared memory of one thread: the words, the query, the answer's labels. */
export function sharedViews(buffer: SharedArrayBuffer, dimension: number): { words: Int32Array; query: Float32Array; labels: Uint32Array } {
  const words = new Int32Array(buffer, 0, WORDS);
  const query = new Float32Array(buffer, WORDS * 4, dimension);
  const labels = new Uint32Array(buffer, (WORDS + dimension) * 4, MAX_SEARCH_K);
  return { words, query, labels };
}

/** How the worker makes its graph: hnswlib's construction settings (see VectorIndexOptions). */
export interface GraphThreadSettings {
  dimension: number;
  m: number;
  efConstruction: number;
  randomSeed: number;
  /** the candidate list size of a search (VectorIndexOptions.efSearch) */
  efSearch: number;
  /** the graph's first capacity; it doubles when full */
  capacity: number;
  /** the shared memory ({@link sharedViews}), made by {@link GraphThread.start} */
  state?: SharedArrayBuffer;
}

/** The threads alive: a process that exits stops each first (see {@link STOP}). */
const alive = new Set<GraphThread>();
let stopAtExit = false;

/** What the worker is sent, in order. Vectors are unit length, back to back. */
export type GraphThreadRequest =
  | { kind: 'add'; labels: Uint32Array; vectors: Float32Array }
  | { kind: 'remove'; labels: Uint32Array }
  | { kind: 'write'; id: number; path: string }
  /** wakes an idle worker to answer the search in the shared memory (a busy one answers between inserts) */
  | { kind: 'search' };

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
  private readonly query: Float32Array;
  private readonly answer: Uint32Array;
  /** every label sent to be added, in order: those past the worker's ADDS_APPLIED count are not in its graph yet */
  private sent: Uint32Array = new Uint32Array(1024);
  /** whether each of {@link sent} replaced the vector of a label the graph held live */
  private replaced: Uint8Array = new Uint8Array(1024);
  private sentCount = 0;
  private removesSent = 0;
  private nextSearch = 0;
  /** settles once the worker has been terminated */
  private ended: Promise<void> = Promise.resolve();

  private constructor(worker: Worker, dimension: number, shared: SharedArrayBuffer) {
    this.worker = worker;
    const views = sharedViews(shared, dimension);
    this.state = views.words;
    this.query = views.query;
    this.answer = views.labels;
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
    worker.on('message', (reply: GraphThreadReply) => {
      if (reply.kind === 'written') {
        const waiting = this.writes.get(reply.id);
        this.writes.delete(reply.id);
        if (this.writes.size === 0) worker.unref();
        waiting?.resolve();
      } else {
        this.fail(new Error(reply.message));
      }
    });
    // the worker is gone then: it may have left BUSY set, and there is nothing to wait for
    worker.once('error', (error) => this.fail(error, true));
    worker.once('exit', (code) => this.fail(new Error(`the graph thread exited (${code})`), true));
    // never what keeps a process alive: the vector index's array holds every vector (after the
    // listeners: adding a 'message' listener refs the worker's port again)
    worker.unref();
  }

  /**
   * Starts a worker whose graph holds, to begin with, the first `count` labels of `labels` and
   * their vectors (`vectors(first, end)`: those of [first, end), `dimension` floats each, back to back). Undefined when no worker can be started
   * here (no worker script beside this module, or threads unavailable).
   */
  static start(settings: GraphThreadSettings, labels: Uint32Array, vectors: (first: number, end: number) => Float32Array, count: number): GraphThread | undefined {
    const script = join(__dirname, 'graph-thread-worker.js'); // beside this module (tsc output) or the bundle that holds it (dist/)
    if (!existsSync(script)) return undefined;
    let worker: Worker;
    const state = new SharedArrayBuffer((WORDS + settings.dimension + MAX_SEARCH_K) * 4);
    try {
      worker = new Worker(script, { workerData: { ...settings, state } });
    } catch {
      return undefined;
    }
    const thread = new GraphThread(worker, settings.dimension, state);
    for (let first = 0; first < count; first += ADD_BATCH) {
      const end = Math.min(count, first + ADD_BATCH);
      for (let i = first; i < end; i++) thread.logAdd(labels[i], false);
      thread.post({
        kind: 'add',
        labels: labels.slice(first, end),
        vectors: vectors(first, end),
      });
    }
    return thread;
  }

  /** The error that stopped the worker; once set, nothing more reaches it. */
  get broken(): Error | undefined {
    return this.failure;
  }

  /**
   * Adds a vector of unit length, or (`replacing`) replaces the vector of a label the graph holds
   * live once the changes sent before this one are applied.
   */
  add(label: number, unit: Float32Array, replacing = false): void {
    if (this.failure !== undefined) return;
    this.flushRemoves();
    this.logAdd(label, replacing);
    this.addLabels[this.adds] = label;
    this.addVectors.set(unit, this.adds * this.dimension);
    if (++this.adds === ADD_BATCH) this.flushAdds();
  }

  /** Marks a label deleted; one the graph does not hold, or holds deleted, is ignored. */
  remove(label: number): void {
    if (this.failure !== undefined) return;
    this.flushAdds();
    this.removesSent++;
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
    this.worker?.ref(); // a process that awaits nothing else waits for this write
    this.post({ kind: 'write', id, path });
    return done;
  }

  /**
   * Searches the worker's graph for the labels nearest `unit` (unit length), waiting (blocking
   * this thread) for the worker to finish the insert under way. Returns the labels it found, which
   * may include labels removed or replaced since (the caller scores them against its own vectors),
   * and the labels added since that its graph does not hold yet, which the caller scans itself.
   * The worker is asked for `k` plus one for each removal and replacement it has not applied yet,
   * so that at least `k` of the labels it finds are still as it holds them, where it holds so many.
   * Undefined when the worker cannot answer now: not started, broken, writing its graph, too slow,
   * or too far behind (more than {@link MAX_SEARCH_K} labels to ask for).
   */
  search(unit: Float32Array, k: number): { found: Uint32Array; notYetAdded: Uint32Array } | undefined {
    const state = this.state;
    if (this.failure !== undefined || Atomics.load(state, READY) !== 1 || Atomics.load(state, WRITING) === 1) return undefined;
    // what the worker has applied only grows: changes not applied now are the most its answer can miss
    let stale = this.removesSent - Atomics.load(state, REMOVES_APPLIED);
    for (let i = Atomics.load(state, ADDS_APPLIED); i < this.sentCount && k + stale <= MAX_SEARCH_K; i++) stale += this.replaced[i];
    if (k + stale > MAX_SEARCH_K) return undefined;
    // the changes not sent yet go now, so that the worker's graph is as current as it can be
    this.flushAdds();
    this.flushRemoves();
    const id = (this.nextSearch = (this.nextSearch % 0x7fffffff) + 1); // never 0, the word's first value
    this.query.set(unit);
    Atomics.store(state, K, k + stale);
    Atomics.store(state, REQUEST, id); // after the query: the worker reads REQUEST first
    this.post({ kind: 'search' });
    const deadline = performance.now() + SEARCH_WAIT_MS;
    for (;;) {
      const answered = Atomics.load(state, ANSWER);
      if (answered === id) break;
      const left = deadline - performance.now();
      // the worker answers between inserts, not while it writes its graph (which it may have begun just after this asked)
      if (left <= 0 || this.failure !== undefined || Atomics.load(state, WRITING) === 1) return undefined;
      Atomics.wait(state, ANSWER, answered, Math.min(left, 2));
    }
    const found = this.answer.slice(0, Atomics.load(state, FOUND));
    return { found, notYetAdded: this.sent.subarray(Atomics.load(state, ANSWER_APPLIED), this.sentCount) };
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

  private logAdd(label: number, replacing: boolean): void {
    if (this.sentCount === this.sent.length) {
      const grown = new Uint32Array(this.sent.length * 2);
      grown.set(this.sent);
      this.sent = grown;
      const flags = new Uint8Array(grown.length);
      flags.set(this.replaced);
      this.replaced = flags;
    }
    this.replaced[this.sentCount] = replacing ? 1 : 0;
    this.sent[this.sentCount++] = label;
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
   * here in both cases, so that the memory of its graph goes with it.
   */
  private fail(error: Error, workerGone = false): void {
    if (this.failure !== undefined) return;
    this.failure = error;
    const worker = this.worker;
    this.worker = undefined;
    this.adds = this.removes = 0;
    for (const waiting of this.writes.values()) waiting.reject(error);
    this.writes.clear();
    if (!workerGone) this.stop();
    alive.delete(this);
    if (worker !== undefined) this.ended = worker.terminate().then(() => undefined, () => undefined);
  }
}
