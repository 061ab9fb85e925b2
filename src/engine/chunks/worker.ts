/**
 * A chunking worker thread: one Chunker, fed files by a ChunkerPool (pool.ts).
 * Bundled as dist/chunk-worker.js; runs as out/src/engine/chunks/worker.js under tsc.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Chunker, type ChunkerOptions } from './chunker';
import { errorMessage } from './runtime';
import { readAndChunk } from './read-and-chunk';
import type { WorkerReply, WorkerRequest } from './pool';
import { lowerParseWorker } from '../thread-priority';

const port = parentPort;
if (!port) throw new Error('chunk worker must run in a worker thread');

// a lowered engine's parse workers give way to its main thread, which answers searches (thread-priority.ts)
lowerParseWorker();

/** The pool sends a worker one file at a time, so the last parse error belongs to the current file. */
let parseError: string | undefined;
/** The parser, started by the first text to chunk: a run whose files were only touched needs none. */
let ready: Promise<Chunker> | undefined;

/** The parser could not start: the pool tells it from a file's own failure (pool.ts ChunkerStartError). */
class StartFailure extends Error {}

/**
 * The parser, started on first use. One that cannot start fails each text it is given, not the
 * thread: a thread that died of it would be replaced by one that dies the same way.
 */
async function parser(): Promise<Chunker> {
  ready ??= Chunker.create({
    ...(workerData as Omit<ChunkerOptions, 'onParseError'>),
    onParseError: (_relPath, reason) => (parseError = reason),
  });
  try {
    return await ready;
  } catch (err) {
    throw new StartFailure(errorMessage(err));
  }
}

port.on('message', async (request: WorkerRequest) => {
  let reply: WorkerReply;
  try {
    parseError = undefined;
    if ('file' in request) {
      const read = await readAndChunk(request.file, async (relPath, text) => (await parser()).chunkFile(relPath, text));
      reply = { id: request.id, read, parseError };
    } else {
      const chunks = await (await parser()).chunkFile(request.relPath, request.text);
      reply = { id: request.id, chunks, parseError };
    }
  } catch (err) {
    reply = { id: request.id, error: errorMessage(err), ...(err instanceof StartFailure ? { startFailed: true as const } : {}) };
  }
  port.postMessage(reply);
});
