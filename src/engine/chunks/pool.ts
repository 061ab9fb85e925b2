/**
 * Parsing on worker threads: a pool of workers, each with its own Chunker (tree-sitter's wasm
 * heap is per thread), so that parsing uses every core and never blocks the thread that asks.
 * A worker can also read the file itself (read-and-chunk.ts), so that the thread that asks does
 * not. A worker that dies (a wasm abort, say) fails only the file it was on, and is replaced.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Chunk } from '../types';
import { Chunker, type ChunkerOptions } from './chunker';
import { readAndChunk, type FileToChunk, type ReadChunks } from './read-and-chunk';

/** What the indexer needs from a chunker, in-process or pooled. */
export interface FileChunker {
  /** Chunks one file; rejects only when the file could not be chunked at all. */
  chunkFile(relPath: string, text: string): Promise<Chunk[]>;
  /** Reads one file where the chunking runs, and chunks it unless its content is the known one (see read-and-chunk.ts); rejects as {@link chunkFile} does. */
  readAndChunk(file: FileToChunk): Promise<ReadChunks>;
  dispose(): Promise<void>;
}

/** What a worker is asked: to chunk a text, or to read a file and chunk it. */
export type WorkerRequest = { id: number; relPath: string } & ({ text: string } | { file: FileToChunk });

export type WorkerReply =
  | { id: number; chunks: Chunk[]; parseError?: string }
  | { id: number; read: ReadChunks; parseError?: string }
  /** `startFailed`: the worker's parser could not start, so no file can be chunked */
  | { id: number; error: string; startFailed?: true };

type ChunkOptions = Omit<ChunkerOptions, 'onParseError'>;

interface Task {
  request: WorkerRequest;
  resolve(reply: Exclude<WorkerReply, { error: string }>): void;
  reject(err: Error): void;
}

interface Slot {
  worker: Worker;
  task?: Task;
}

/** Workers for a machine: all cores but none beyond four (parsing stops scaling before that). */
export function defaultWorkerCount(): number {
  return Math.max(1, Math.min(4, availableParallelism()));
}

/** The worker script: beside the bundle (dist/chunk-worker.js) or beside this module (tsc output). */
function workerScript(): string {
  const candidates = [join(__dirname, 'chunk-worker.js'), join(__dirname, 'worker.js')];
  const found = candidates.find((path) => existsSync(path));
  if (!found) throw new Error(`cannot find the chunk worker; looked at ${candidates.join(', ')}`);
  return found;
}

/**
 * The young generation of a worker's heap, in MB. V8 lets it grow to 32 MB on its own, which a
 * worker fills between collections: with two workers parsing the 100k-function corpus, capping
 * it at 8 MB lowered the process's peak by about 30 MB (200–207 → 167–182 MB over the parse
 * alone) and parsed no slower (10.7–11.4 s against 10.8–11.8 s, 3 runs each, BENCHMARKS.md).
 */
const WORKER_YOUNG_GENERATION_MB = 8;

export class ChunkerPool implements FileChunker {
  private readonly slots: Slot[] = [];
  private readonly queue: Task[] = [];
  private nextId = 0;
  private disposed = false;

  private constructor(
    private readonly options: Partial<ChunkOptions>,
    private readonly onParseError?: (relPath: string, reason: string) => void,
  ) {}

  static create(workers: number, options: Partial<ChunkOptions> = {}, onParseError?: (relPath: string, reason: string) => void): ChunkerPool {
    const pool = new ChunkerPool(options, onParseError);
    for (let i = 0; i < workers; i++) pool.slots.push({ worker: pool.spawn() });
    return pool;
  }

  async chunkFile(relPath: string, text: string): Promise<Chunk[]> {
    const reply = await this.ask('chunkFile', { id: this.nextId++, relPath, text });
    if (!('chunks' in reply)) throw new Error('a chunk worker answered a text with a file');
    return reply.chunks;
  }

  async readAndChunk(file: FileToChunk): Promise<ReadChunks> {
    const reply = await this.ask('readAndChunk', { id: this.nextId++, relPath: file.relPath, file });
    if (!('read' in reply)) throw new Error('a chunk worker answered a file with a text');
    return reply.read;
  }

  private ask(what: string, request: WorkerRequest): Promise<Exclude<WorkerReply, { error: string }>> {
    if (this.disposed) return Promise.reject(new Error(`ChunkerPool.${what} called after dispose()`));
    return new Promise((resolve, reject) => {
      this.queue.push({ request, resolve, reject });
      this.pump();
    });
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    const disposed = new Error('the chunker pool was disposed');
    for (const task of this.queue.splice(0)) task.reject(disposed);
    // a task a worker is on would otherwise never settle: terminate() does not report it
    for (const slot of this.slots) slot.task?.reject(disposed);
    await Promise.all(this.slots.map((slot) => slot.worker.terminate()));
  }

  private spawn(): Worker {
    // stdout carries a command's results, or the MCP protocol in `codescout mcp`: what a worker
    // prints (web-tree-sitter logs a broken grammar with console.log) goes to stderr
    const worker = new Worker(workerScript(), { workerData: this.options, stdout: true, resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB } });
    worker.stdout.on('data', (text: Buffer) => process.stderr.write(text));
    worker.on('message', (reply: WorkerReply) => this.settle(worker, reply));
    worker.on('error', (err) => this.replace(worker, err));
    worker.on('exit', (code) => {
      if (!this.disposed) this.replace(worker, new Error(`chunk worker exited with code ${code}`));
    });
    return worker;
  }

  private pump(): void {
    for (const slot of this.slots) {
      if (slot.task || !this.queue.length) continue;
      const task = this.queue.shift()!;
      slot.task = task;
      slot.worker.postMessage(task.request);
    }
  }

  private settle(worker: Worker, reply: WorkerReply): void {
    const slot = this.slots.find((s) => s.worker === worker);
    const task = slot?.task;
    if (!slot || !task || task.request.id !== reply.id) return;
    slot.task = undefined;
    if ('error' in reply) task.reject(reply.startFailed ? new ChunkerStartError(reply.error) : new Error(reply.error));
    else {
      if (reply.parseError) this.onParseError?.(task.request.relPath, reply.parseError);
      task.resolve(reply);
    }
    this.pump();
  }

  /** A worker failed: fail its file, start a fresh worker in its place. */
  private replace(worker: Worker, err: Error): void {
    const slot = this.slots.find((s) => s.worker === worker);
    if (!slot || this.disposed) return;
    slot.task?.reject(new Error(`parser crashed on ${slot.task.request.relPath}: ${err.message}`));
    slot.task = undefined;
    void worker.terminate();
    slot.worker = this.spawn();
    this.pump();
  }
}

/**
 * The parser could not start (tree-sitter's runtime would not load, a setting it refuses), in
 * process or on a worker: no file can be chunked, which is the run's failure, not a parse error
 * of the file that asked.
 */
export class ChunkerStartError extends Error {
  override readonly name = 'ChunkerStartError';

  constructor(cause: unknown) {
    super(`the parser could not start: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

/**
 * The same interface over an in-process Chunker, for small jobs where starting workers costs more
 * than it saves. The Chunker (tree-sitter and its grammars) is made when the first text is to be
 * chunked: a refresh of files whose content did not change needs none. When it cannot be made,
 * every chunking rejects with {@link ChunkerStartError}.
 */
export function inProcessChunker(options: Partial<ChunkerOptions> = {}): FileChunker {
  let made: Promise<Chunker> | undefined;
  let disposed = false;
  const chunkFile = async (relPath: string, text: string): Promise<Chunk[]> => {
    if (disposed) throw new Error('the in-process chunker was disposed');
    made ??= Chunker.create(options).catch((error: unknown) => {
      throw new ChunkerStartError(error);
    });
    return (await made).chunkFile(relPath, text);
  };
  return {
    chunkFile,
    readAndChunk: (file) => readAndChunk(file, chunkFile),
    dispose: async () => {
      disposed = true;
      // one that never started has nothing to free (its failure was the run's, reported then)
      await made?.then((chunker) => chunker.dispose(), () => undefined);
    },
  };
}
