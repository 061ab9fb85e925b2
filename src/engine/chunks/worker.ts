/**
 * A chunking worker thread: one Chunker, fed files by a ChunkerPool (pool.ts).
 * Bundled as dist/chunk-worker.js; runs as out/src/engine/chunks/worker.js under tsc.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Chunker, type ChunkerOptions } from './chunker';
import { errorMessage } from './runtime';
import { readAndChunk } from './read-and-chunk';
import type { WorkerReply, WorkerRequest } from './pool';

const port = parentPort;
if (!port) throw new Error('chunk worker must run in a worker thread');

/** The pool sends a worker one file at a time, so the last parse error belongs to the current file. */
let parseError: string | undefined;
const ready = Chunker.create({
  ...(workerData as Omit<ChunkerOptions, 'onParseError'>),
  onParseError: (_relPath, reason) => (parseError = reason),
});

port.on('message', async (request: WorkerRequest) => {
  let reply: WorkerReply;
  try {
    const chunker = await ready;
    parseError = undefined;
    if ('file' in request) {
      const read = await readAndChunk(request.file, (relPath, text) => chunker.chunkFile(relPath, text));
      reply = { id: request.id, read, parseError };
    } else {
      const chunks = await chunker.chunkFile(request.relPath, request.text);
      reply = { id: request.id, chunks, parseError };
    }
  } catch (err) {
    reply = { id: request.id, error: errorMessage(err) };
  }
  port.postMessage(reply);
});
