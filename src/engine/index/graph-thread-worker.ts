/**
 * The worker thread of {@link GraphThread} (graph-thread.ts): an HNSW graph that applies the
 * changes it is sent, in order, and writes itself to a file when asked. The first error stops it:
 * it reports the error and applies nothing more, so its graph never holds a partial change.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { HierarchicalNSW } from 'hnswlib-node';
import { BUSY, STOP, type GraphThreadReply, type GraphThreadRequest, type GraphThreadSettings } from './graph-thread';

const settings = workerData as GraphThreadSettings;
const port = parentPort!;
const state = new Int32Array(settings.state!);
let graph!: HierarchicalNSW;
inHnswlib(() => {
  graph = new HierarchicalNSW('ip', settings.dimension); // the vector index's space (vector-index.ts GRAPH_SPACE)
  graph.initIndex({ maxElements: settings.capacity, m: settings.m, efConstruction: settings.efConstruction, randomSeed: settings.randomSeed });
});
/** labels the graph holds, live or deleted */
const held = new Set<number>();
const deleted = new Set<number>();
/** hnswlib takes a plain array: one, refilled for each insert */
const argument: number[] = Array.from({ length: settings.dimension }, () => 0.5);
let stopped = false;

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
        const label = labels[i];
        for (let j = 0; j < dimension; j++) argument[j] = vectors[i * dimension + j];
        const added = inHnswlib(() => {
          if (!held.has(label) && graph.getCurrentCount() >= graph.getMaxElements()) graph.resizeIndex(graph.getMaxElements() * 2);
          graph.addPoint(argument, label); // a deleted label is un-deleted and updated
        });
        if (!added) return;
        held.add(label);
        deleted.delete(label);
      }
      return;
    }
    case 'remove':
      for (const label of request.labels) {
        if (!held.has(label) || deleted.has(label)) continue;
        if (!inHnswlib(() => graph.markDelete(label))) return;
        deleted.add(label);
      }
      return;
    case 'write':
      if (inHnswlib(() => graph.writeIndexSync(request.path))) reply({ kind: 'written', id: request.id });
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
