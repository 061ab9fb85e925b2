/**
 * The worker thread of {@link GraphThread} (graph-thread.ts): an HNSW graph that applies the
 * changes it is sent, in order, and writes itself to a file when asked. The first error stops it:
 * it reports the error and applies nothing more, so its graph never holds a partial change.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { HierarchicalNSW } from 'hnswlib-node';
import {
  ADDS_APPLIED, ANSWER, ANSWER_APPLIED, BUSY, REMOVES_APPLIED, FOUND, K, READY, REQUEST, STOP, WRITING, sharedViews,
  type GraphThreadReply, type GraphThreadRequest, type GraphThreadSettings,
} from './graph-thread';

const settings = workerData as GraphThreadSettings;
const port = parentPort!;
const { words: state, query, labels: answerLabels } = sharedViews(settings.state!, settings.dimension);
let graph!: HierarchicalNSW;
inHnswlib(() => {
  // loaded here, inside the BUSY word, not by an import: a worker terminated while hnswlib-node's
  // addon initialises aborts the process as one terminated inside any of its calls does
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const hnswlib = require('hnswlib-node') as typeof import('hnswlib-node');
  graph = new hnswlib.HierarchicalNSW('ip', settings.dimension); // the vector index's space (vector-index.ts GRAPH_SPACE)
  graph.initIndex({ maxElements: settings.capacity, m: settings.m, efConstruction: settings.efConstruction, randomSeed: settings.randomSeed });
  graph.setEf(settings.efSearch);
});
Atomics.store(state, READY, 1);
/** labels the graph holds, live or deleted */
const held = new Set<number>();
const deleted = new Set<number>();
/** hnswlib takes a plain array: one, refilled for each insert, and one for the query */
const argument: number[] = Array.from({ length: settings.dimension }, () => 0.5);
const queryArgument: number[] = Array.from({ length: settings.dimension }, () => 0.5);
/** added vectors applied so far (the main thread's count of those sent is the other end) */
let applied = 0;
/** removals applied so far, those of labels it does not hold live included */
let removed = 0;
/** the last search answered */
let answered = 0;
let stopped = false;

/** Answers the search the main thread has asked for in the shared memory, if it has not been answered (graph-thread.ts GraphThread.search). */
function answerSearch(): void {
  const request = Atomics.load(state, REQUEST); // before the query, which the main thread writes first
  if (request === answered) return;
  const k = Math.min(Atomics.load(state, K), held.size - deleted.size);
  for (let j = 0; j < settings.dimension; j++) queryArgument[j] = query[j];
  let found = 0;
  if (k > 0) {
    const searched = inHnswlib(() => {
      const result = graph.searchKnn(queryArgument, k);
      answerLabels.set(result.neighbors);
      found = result.neighbors.length;
    });
    if (!searched) return;
  }
  answered = request;
  Atomics.store(state, FOUND, found);
  Atomics.store(state, ANSWER_APPLIED, applied);
  Atomics.store(state, ANSWER, request);
  Atomics.notify(state, ANSWER);
}

const reply = (message: GraphThreadReply) => port.postMessage(message);

/** Calls hnswlib unless the main thread has asked it not to (graph-thread.ts {@link STOP}); returns whether it did. */
function inHnswlib(call: () => void): boolean {
  Atomics.store(state, BUSY, 1);
  try {
    if (Atomics.load(state, STOP) === 1) return false;
    call();
    return true;
  } finally {
    Atomics.store(state, BUSY, 0);
    Atomics.notify(state, BUSY);
  }
}

function apply(request: GraphThreadRequest): void {
  switch (request.kind) {
    case 'add': {
      const { labels, vectors } = request;
      const dimension = settings.dimension;
      for (let i = 0; i < labels.length; i++) {
        answerSearch();
        const label = labels[i];
        for (let j = 0; j < dimension; j++) argument[j] = vectors[i * dimension + j];
        const added = inHnswlib(() => {
          if (!held.has(label) && graph.getCurrentCount() >= graph.getMaxElements()) graph.resizeIndex(graph.getMaxElements() * 2);
          graph.addPoint(argument, label); // a deleted label is un-deleted and updated
        });
        if (!added) return;
        held.add(label);
        deleted.delete(label);
        Atomics.store(state, ADDS_APPLIED, ++applied);
      }
      return;
    }
    case 'remove':
      for (const label of request.labels) {
        if (held.has(label) && !deleted.has(label)) {
          answerSearch();
          if (!inHnswlib(() => graph.markDelete(label))) return;
          deleted.add(label);
        }
        Atomics.store(state, REMOVES_APPLIED, ++removed);
      }
      return;
    case 'write': {
      answerSearch();
      Atomics.store(state, WRITING, 1); // a search asked meanwhile does not wait for this
      let written: boolean;
      try {
        written = inHnswlib(() => graph.writeIndexSync(request.path));
      } finally {
        Atomics.store(state, WRITING, 0);
      }
      if (written) reply({ kind: 'written', id: request.id });
      return;
    }
    case 'search':
      answerSearch();
      return;
    default:
      throw new Error(`unknown request ${(request as { kind: unknown }).kind}`);
  }
}

port.on('message', (request: GraphThreadRequest) => {
  if (stopped) return;
  try {
    apply(request);
  } catch (error) {
    stopped = true;
    reply({ kind: 'failed', message: (error as Error).message });
  }
});
