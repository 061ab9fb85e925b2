/**
 * Nearest-neighbour search over embeddings by cosine similarity.
 *
 * Each vector is stored once, normalised and in int8 at the scale that keeps it of unit length
 * (int8.ts), which costs nothing in ranking: the model's vectors come through the embedding cache,
 * in int8 already, and keep their codes. Up to `exactSearchMaxVectors` live vectors they are
 * kept in one array of codes and scales (int8.ts `Int8Vectors`, 260 bytes a vector at 256
 * dimensions) and search is an exact scan of it, which at that size is fast and always right.
 * Above it, an HNSW graph (hnswlib-node) is built from them and the array is released: the graph holds every vector, and is from then on where they are read from (a
 * chunk's vector for related code, the exact scan behind a selective filter). The graph is
 * rebuilt on request when deletions pile up, or dropped (its vectors copied back into an array)
 * when the index shrinks below the limit.
 *
 * A graph holds each distinct vector once: labels whose vectors are the same share the node of one
 * of them (shared-vectors.ts), because copies of a vector, each in a node of its own, cut the
 * graph apart around them. The array holds every label's vector.
 *
 * On disk the index is two files: the vector file (a header, the labels, and the vectors when
 * there is no graph) and the graph file: hnswlib's own file with each vector in int8
 * (graph-file.ts), a third of its size, which hnswlib writes and reads in its own form through a
 * temporary file beside it ({@link graphTemp}). The vector file's header carries the
 * graph file's length and SHA-256, checked (reading the file in 1 MiB blocks) before it is read.
 * A process that searches a few times and exits can leave the graph in its file (`graphLoading:
 * 'on-demand'`): its searches then scan the vectors in the file, exactly, until a change needs the graph.
 *
 * hnswlib-node is fragile, and this class stands between it and the rest of the engine:
 * - a damaged graph file crashes the process inside the native loader, so its SHA-256 and
 *   layout are verified before the loader sees it;
 * - the loader trusts the caller about the dimension, so it is checked against the file;
 * - NaN vectors would rank first, so non-finite (and zero) vectors are rejected;
 * - deleting a label twice throws, so deletions are tracked and removal is idempotent;
 * - a full graph throws on insert, so it is resized geometrically;
 * - labels are uint32, so they are validated.
 */

import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { HierarchicalNSW } from 'hnswlib-node';
import { ByteReader, readExactly } from './bytes';
import { dequantize, dotStored, Int8Vectors, quantizeUnit, toInt8Unit } from './int8';
import { IndexCorruptError, IndexVersionError } from './errors';
import { kindToCheck, matches } from './checksum';
import { GraphThread } from './graph-thread';
import { namesForCleanup, processGone, removeBestEffort, tempPathFor } from './store';
import { LabelSlots } from './label-slots';
import { sameVector, SharedVectors, vectorHash } from './shared-vectors';
import { checkGraphFile, checkHnswLayout, expandGraph, HNSW_HEADER_BYTES, openGraphFile, writeInt8Graph, type GraphDigest, type GraphVectors, type NodeLayout } from './graph-file';
import { countBelow, findAscending } from './sorted';
import { TopK } from './topk';
import { DotScanner } from './wasm/dot-scanner';
import { runSteps, runStepsSliced, TimeSlices, type Steps } from '../time-slice';

/** Construction and search settings; none of them is stored with the data. */
export interface VectorIndexOptions {
  /** the embedding dimension; vectors and saved files of any other dimension are rejected */
  dimension: number;
  /** at most this many live vectors are searched exactly, above it through the HNSW graph (default 20000) */
  exactSearchMaxVectors?: number;
  /** HNSW: links per node (default 12) */
  m?: number;
  /** HNSW: candidate list size while inserting (default 64) */
  efConstruction?: number;
  /**
   * HNSW: candidate list size while searching, raised to k when smaller (default 1000). Chosen by
   * measured recall: on 116k real vectors, 13.8k of them copies of others (one node each, since
   * vector format 5), every path (search, related, hovers asks for k = 200) found 0.987 of the
   * exact top 10 at ef 400, 0.9955 at 1000 (1.3–1.5 ms a query), 0.998 at 4000; BENCHMARKS.md,
   * `bench/vector-recall.ts`.
   */
  efSearch?: number;
  /**
   * HNSW: the candidate list size of a search with a filter that the unfiltered search's
   * candidates do not satisfy, raised to k when smaller (default 64). hnswlib then counts only
   * nodes that pass the filter, and walks the graph until it holds that many: a large value would
   * make every narrow filter (a folder, a language) visit the whole graph.
   */
  efFilteredSearch?: number;
  /** {@link VectorIndex.needsGraphRebuild} turns true when more than this fraction of graph nodes are deleted (default 0.3) */
  rebuildDeletedRatio?: number;
  /** HNSW: seed of the level generator, for reproducible graphs (default 100) */
  randomSeed?: number;
  /**
   * When a saved graph is read into memory (default 'eager': as the index is loaded). 'on-demand',
   * for a process that searches a few times and exits (the CLI): the graph stays in its file, and
   * searches scan the vectors in it exactly, reading it in blocks, until a change to the index
   * needs the graph or the {@link SCANS_BEFORE_LOADING}th search is asked for. Loading the graph
   * of 100k vectors takes over a second; a scan of its file about a tenth of that.
   */
  graphLoading?: 'eager' | 'on-demand';
  /**
   * Whether a refresh that makes the index outgrow exact search ({@link VectorIndex.buildGraphBefore})
   * builds the graph on a worker thread of its own (default true): the vectors stay in this
   * index's array too, and a search asks the worker's graph (the exact scan answers when it
   * cannot), until {@link VectorIndex.finishGraphThread} takes the graph over. Costs the array's
   * memory beside the graph meanwhile (260 bytes a vector at 256 dimensions). False: the graph
   * is built here, in slices, and each insert made here (graph-thread.ts).
   */
  graphThread?: boolean;
}

/**
 * With `graphLoading: 'on-demand'`, the search that loads the graph: the scans before it cost
 * about as much as loading it would have.
 */
export const SCANS_BEFORE_LOADING = 10;

/** The settings a vector index of the embedder's dimension takes. */
export type VectorIndexSettings = Partial<Omit<VectorIndexOptions, 'dimension'>>;

/** A search result: the vector's label and its cosine similarity to the query. */
export interface VectorHit {
  label: number;
  score: number;
}

const MAGIC = 0x49565343; // 'CSVI'
/**
 * 1: the graph inside the vector file, after the vectors; 2: the graph in a file of its own, as
 * hnswlib writes it, and no vectors beside it; 3: the graph file in int8 (graph-file.ts); 4: the
 * vectors of an index without a graph in int8 too (before, float32); 5: the labels that share a
 * vector, and the hashes of the vectors of the others (shared-vectors.ts), after the rest.
 */
export const VECTOR_FORMAT_VERSION = 5;
const FORMAT_VERSION = VECTOR_FORMAT_VERSION;
const METRIC_COSINE = 1;
const FILE_LABEL = 'vector index';
/**
 * The vector file's header: magic, format version, metric, dimension, vector count (u32 each),
 * the graph's length (u64, 0 for none) and its SHA-256 (32 bytes); then the labels (u32) and,
 * when there is no graph, the vectors: in format 4 each one's scale (f32), then each one's codes
 * (int8, dimension of them); before, float32 components; then, from format 5, the labels that
 * share another's vector and the vectors' hashes (shared-vectors.ts `encode`).
 */
const HEADER_BYTES = 60;
const INITIAL_CAPACITY = 1024;
/** Codes copied in one step of growing the vector array ({@link VectorIndex.growArraySteps}): 8 MB. */
const GROW_STEP_BYTES = 8 * 1024 * 1024;
/**
 * The graph's space: inner product, over vectors this class has normalised, which is their cosine.
 * hnswlib's cosine space would normalise each vector again, in float arithmetic, which is not
 * idempotent: a vector read back from the graph and restored (a change log's replay) would not
 * be stored bit for bit as it was.
 */
const GRAPH_SPACE = 'ip';
/** The longest stretch of reading back a written graph between two turns of the event loop ({@link VectorIndex.writeGraphAsync}). */
const WRITE_SLICE_MS = 20;
/** Graph inserts between two points where a graph build may be paused (about 0.1 ms each at 20k vectors). */
const GRAPH_BUILD_STEP = 64;
/** Vectors copied out of the graph between two points where that may be paused (about 20 µs each). */
const GRAPH_COPY_STEP = 512;
/** About the block size in which a graph file that is not loaded is scanned (whole nodes). */
const SCAN_BLOCK_BYTES = 4 << 20;

/**
 * A graph left in its file (`graphLoading: 'on-demand'`), and the changes made to the index since
 * it was loaded, which are applied to the graph when it is read into memory.
 */
interface OnDisk {
  file: string;
  /** the file as it was checked, held open (-1 once {@link VectorIndex.close}d) */
  fd: number;
  layout: NodeLayout;
  /** the searches that have scanned it (see {@link SCANS_BEFORE_LOADING}) */
  scans: number;
  /**
   * the labels live in the file with nodes of their own (no aliases), ascending, taken at the
   * first change (undefined: none yet): a
   * sorted copy, 0.5 MB and 5-10 ms at 116k labels, where a Set of them took 4-5 MB and 30-40 ms
   * of a CLI search that replays a change log
   */
  liveAtLoad?: Uint32Array;
  /** the nodes placed since (added, or replacing the file's), by label */
  overlay: Map<number, Float32Array>;
  /** labels with nodes live in the file, and removed since (or made aliases) */
  removed: Set<number>;
  /** each label's node number in the file, read from it when a label is first not where {@link VectorIndex.getVector} looks */
  nodes?: LabelSlots;
  /** the slots of the aliases, ascending, taken when a node is first guessed (see {@link VectorIndex.vectorInFile}) */
  aliasSlots?: Uint32Array;
}

/** Where an index is saved: the vector file, and the graph file beside it (written only when there is a graph). */
export interface VectorIndexFiles {
  vectors: string;
  graph: string;
}

export class VectorIndex {
  readonly dimension: number;
  private readonly exactSearchMaxVectors: number;
  private readonly m: number;
  private readonly efConstruction: number;
  private readonly efSearch: number;
  private readonly efFilteredSearch: number;
  private readonly rebuildDeletedRatio: number;
  private readonly randomSeed: number;
  private readonly graphThreadWanted: boolean;

  /**
   * Without a graph: the live vectors, in the stored form (slot i holds label labelOf[i]'s), 260
   * bytes each at 256 dimensions. Empty while there is a graph, which holds them instead.
   */
  private vectors: Int8Vectors;
  private labelOf: Uint32Array;
  private readonly slotOf = new LabelSlots();
  /** The labels that share another's graph node (see shared-vectors.ts), kept whatever holds the vectors. */
  private shared = new SharedVectors();
  /**
   * Whether the graph was read from a file of a format before shared nodes (below 5), which may
   * hold copies of a vector in nodes of their own: {@link needsGraphRebuild} asks for a rebuild.
   */
  private graphBeforeSharing = false;
  /** {@link place} lets the hashes of labels gone go when there are more than this (and twice the live nodes) */
  private nextHashSweep = 0;
  private graph: HierarchicalNSW | undefined;
  /** Labels marked deleted in the graph; hnswlib throws when one is deleted twice. */
  private readonly deletedInGraph = new Set<number>();
  /** see {@link graphArgument} */
  private readonly hnswArgument: number[];
  /** the codes of the vector being stored (see {@link add}), reused */
  private readonly codes: Int8Array;
  private readonly graphLoading: 'eager' | 'on-demand';
  /** A verified graph file not read into memory yet (`graphLoading: 'on-demand'`): see {@link OnDisk}. */
  private onDisk: OnDisk | undefined;
  /** the WebAssembly scanner of {@link scoreDisk}, kept for the index's next scans */
  private diskScanner: DotScanner | undefined;
  /**
   * The graph being built on a worker thread ({@link buildGraphBefore}): every change to the
   * vector array is sent to it as well, and the array is what searches read until
   * {@link finishGraphThread}. Only while there is no graph here or in a file.
   */
  private graphThread: GraphThread | undefined;
  /** The format version of the file this index was read from; undefined for an index made in memory. */
  formatRead: number | undefined;

  constructor(options: VectorIndexOptions) {
    this.dimension = options.dimension;
    this.exactSearchMaxVectors = options.exactSearchMaxVectors ?? 20_000;
    this.m = options.m ?? 12;
    this.efConstruction = options.efConstruction ?? 64;
    this.efSearch = options.efSearch ?? 1000;
    this.efFilteredSearch = options.efFilteredSearch ?? 64;
    this.rebuildDeletedRatio = options.rebuildDeletedRatio ?? 0.3;
    this.randomSeed = options.randomSeed ?? 100;
    this.graphLoading = options.graphLoading ?? 'eager';
    this.graphThreadWanted = options.graphThread ?? true;
    checkPositiveInteger('dimension', this.dimension);
    checkPositiveInteger('m', this.m);
    checkPositiveInteger('efConstruction', this.efConstruction);
    checkPositiveInteger('efSearch', this.efSearch);
    checkPositiveInteger('efFilteredSearch', this.efFilteredSearch);
    this.hnswArgument = Array.from({ length: this.dimension }, () => 0.5); // doubles from the start
    this.codes = new Int8Array(this.dimension);
    if (!(this.exactSearchMaxVectors >= 0)) throw new RangeError(`exactSearchMaxVectors must be ≥ 0, got ${this.exactSearchMaxVectors}`);
    if (!(this.rebuildDeletedRatio >= 0 && this.rebuildDeletedRatio <= 1)) {
      throw new RangeError(`rebuildDeletedRatio must be between 0 and 1, got ${this.rebuildDeletedRatio}`);
    }
    this.vectors = new Int8Vectors(this.dimension, INITIAL_CAPACITY);
    this.labelOf = new Uint32Array(INITIAL_CAPACITY);
  }

  /** The number of live vectors. */
  get size(): number {
    return this.slotOf.size;
  }

  has(label: number): boolean {
    return this.slotOf.has(label);
  }

  /**
   * Whether an HNSW graph exists, here, in its file or on the worker thread (one does whenever there
   * are more than `exactSearchMaxVectors` vectors, but after {@link close} ended the worker's).
   */
  get hasGraph(): boolean {
    return this.graph !== undefined || this.onDisk !== undefined || (this.graphThread !== undefined && this.size > this.exactSearchMaxVectors);
  }

  /** Whether a graph is being built on a worker thread (see {@link finishGraphThread}). */
  get graphOnThread(): boolean {
    return this.graphThread !== undefined;
  }

  /** Whether the live vectors are in {@link vectors} (no graph, in memory or on disk). */
  private get vectorsInArray(): boolean {
    return this.graph === undefined && this.onDisk === undefined;
  }

  /** Whether the graph is in memory (false for a graph left in its file by `graphLoading: 'on-demand'`, and for none). */
  get graphInMemory(): boolean {
    return this.graph !== undefined;
  }

  /**
   * Whether so many graph nodes are deleted that {@link rebuildGraph} is worth its cost (it also
   * drops the graph when the index has shrunk to `exactSearchMaxVectors` vectors or fewer).
   */
  get needsGraphRebuild(): boolean {
    // a graph of an older format may hold copies of one vector in nodes of their own: built again, they share one
    if (this.graphBeforeSharing && (this.graph !== undefined || this.onDisk !== undefined)) return true;
    const disk = this.onDisk;
    if (disk !== undefined) {
      if (disk.liveAtLoad === undefined) return false; // unchanged since it was saved
      // the graph's nodes and deleted nodes as they will be once the changes are applied to it; a
      // label deleted in the file and added back (the engine never reuses ids) counts as both, so
      // that the estimate can only err toward a rebuild
      const deleted = disk.layout.count - disk.liveAtLoad.length + disk.removed.size;
      let nodes = disk.layout.count;
      for (const label of disk.overlay.keys()) if (!liveInFile(disk, label)) nodes++;
      return deleted > this.rebuildDeletedRatio * nodes;
    }
    if (this.graph === undefined) return false;
    return this.deletedInGraph.size > this.rebuildDeletedRatio * this.graph.getCurrentCount();
  }

  /**
   * Adds a vector, or replaces the vector of a label already present. It is normalised, and
   * stored in int8 at the scale that keeps it of unit length (int8.ts `toInt8Unit`), the form a
   * graph file keeps exactly; a vector of the wrong dimension, with a NaN or infinite component,
   * or of zero length throws.
   */
  add(label: number, vector: ArrayLike<number>): void {
    checkLabel(label);
    this.place(label, toInt8Unit(this.normalise(vector, `vector for label ${label}`), this.codes));
  }

  /**
   * Adds back a vector as {@link getVector} gave it (already of unit length, and in the stored
   * form, which taking again leaves as it is), without normalising it again: a change log restores
   * vectors with it, so that a restored index searches as the one it recorded.
   */
  restore(label: number, unit: Float32Array): void {
    checkLabel(label);
    if (unit.length !== this.dimension || !unit.every(Number.isFinite)) throw new RangeError(`stored vector for label ${label} is malformed`);
    let squares = 0;
    for (const x of unit) squares += x * x;
    if (Math.abs(squares - 1) > 1e-3) throw new RangeError(`stored vector for label ${label} is not of unit length`);
    this.place(label, toInt8Unit(unit.slice(), this.codes)); // as it was, when getVector gave it
  }

  private place(label: number, unit: Float32Array): void {
    let slot = this.slotOf.get(label);
    const replacing = slot !== undefined;
    // first: the labels that were live in the file are those with nodes of their own now
    const disk = this.onDisk === undefined ? undefined : this.changing(this.onDisk);
    let ownNode = false;
    if (replacing) {
      const before = this.getVector(label)!;
      if (sameVector(before, unit)) return; // as it was
      if (this.shared.isAlias(label)) {
        this.shared.unlink(label);
      } else {
        ownNode = true;
        this.shared.forget(vectorHash(before), label); // it holds that vector no more
        // its aliases keep the vector it had: one of them (shared-vectors.ts `promote`) gets a node of its own for it
        this.handOn(label, before, disk);
      }
    } else {
      slot = this.size;
      this.ensureCapacity(slot + 1);
      this.slotOf.set(label, slot);
      this.labelOf[slot] = label;
    }
    if (this.vectorsInArray) this.vectors.set(slot!, unit);
    const hash = vectorHash(unit);
    const twin = this.twinOf(label, hash, unit);
    if (twin !== undefined) {
      if (ownNode) this.nodeRemove(label, disk);
      this.shared.link(label, twin);
    } else {
      this.shared.remember(hash, label);
      // the hashes of labels removed since (or made aliases) are let go once they are as many as
      // the live ones; the next time, once what is left has doubled, so that the sweeps cost
      // each hash a constant share whatever they find
      if (this.shared.hashCount > Math.max(this.nextHashSweep, 2 * (this.size - this.shared.aliasCount) + 1024)) {
        this.shared.forgetStale((owner) => this.ownsNode(owner));
        this.nextHashSweep = 2 * this.shared.hashCount;
      }
      if (ownNode) this.nodeReplace(label, unit, disk);
      else this.nodeAdd(label, unit, disk);
    }
    if (this.vectorsInArray && this.graphThread === undefined && this.size > this.exactSearchMaxVectors) this.buildGraph();
  }

  /**
   * Before `owner` gives up its node (it is removed, or its vector changes): one of its aliases,
   * if it has any (shared-vectors.ts `promote`), takes over the others and gets a node for their
   * vector, `vector`.
   */
  private handOn(owner: number, vector: Float32Array, disk: OnDisk | undefined): void {
    const heir = this.shared.promote(owner);
    if (heir === undefined) return;
    this.shared.remember(vectorHash(vector), heir); // the label a twin of theirs is found by now
    this.nodeAdd(heir, vector, disk);
  }

  /** Whether `label` is live and holds its vector in a node of its own (it is no alias). */
  private ownsNode(label: number): boolean {
    return this.slotOf.has(label) && !this.shared.isAlias(label);
  }

  /** A live label other than `label`, with a node of its own, whose vector is `unit` (of hash `hash`), if one is known. */
  private twinOf(label: number, hash: number, unit: Float32Array): number | undefined {
    const candidate = this.shared.candidate(hash);
    if (candidate === undefined || candidate === label || !this.ownsNode(candidate)) return undefined;
    const vector = this.getVector(candidate);
    return vector !== undefined && sameVector(vector, unit) ? candidate : undefined;
  }

  /** Gives `label`, which has none, a graph node for `unit` (nothing to do while the array holds every vector and no graph is built). */
  private nodeAdd(label: number, unit: Float32Array, disk: OnDisk | undefined): void {
    if (disk !== undefined) {
      disk.overlay.set(label, unit.slice());
      disk.removed.delete(label);
    } else if (this.graph !== undefined) {
      this.addToGraph(label, unit, this.deletedInGraph.has(label));
    } else if (this.graphThread !== undefined) {
      this.graphThread.add(label, unit, false);
    }
  }

  /** Puts `unit` in the graph node `label` has. */
  private nodeReplace(label: number, unit: Float32Array, disk: OnDisk | undefined): void {
    if (disk !== undefined) disk.overlay.set(label, unit.slice());
    else if (this.graph !== undefined) this.addToGraph(label, unit, true);
    else if (this.graphThread !== undefined) this.graphThread.add(label, unit, true);
  }

  /** Deletes the graph node `label` has. */
  private nodeRemove(label: number, disk: OnDisk | undefined): void {
    if (disk !== undefined) {
      disk.overlay.delete(label);
      if (liveInFile(disk, label)) disk.removed.add(label);
    } else if (this.graph !== undefined) {
      this.graph.markDelete(label);
      this.deletedInGraph.add(label);
    } else {
      this.graphThread?.remove(label);
    }
  }

  /** Removes a vector; returns false (and does nothing) when the label is absent. */
  remove(label: number): boolean {
    const slot = this.slotOf.get(label);
    if (slot === undefined) return false;
    const disk = this.onDisk === undefined ? undefined : this.changing(this.onDisk);
    if (this.shared.isAlias(label)) {
      this.shared.unlink(label);
    } else {
      // its aliases keep the vector: one of them (shared-vectors.ts `promote`) gets a node of its own for it
      if (this.shared.aliasesOf(label).length > 0) this.handOn(label, this.getVector(label)!, disk);
      this.nodeRemove(label, disk);
    }
    const last = this.size - 1;
    if (slot !== last) {
      const moved = this.labelOf[last];
      if (this.vectorsInArray) this.vectors.move(last, slot);
      this.labelOf[slot] = moved;
      this.slotOf.set(moved, slot);
    }
    this.slotOf.delete(label);
    return true;
  }

  /** A copy of the stored (normalised) vector of a label, e.g. to find code related to a chunk. */
  getVector(label: number): Float32Array | undefined {
    const own = this.slotOf.get(label);
    if (own === undefined) return undefined;
    if (this.vectorsInArray) return this.vectors.get(own);
    const owner = this.shared.ownerOf(label); // whose node holds it
    const disk = this.onDisk;
    if (disk !== undefined) {
      const overlaid = disk.overlay.get(owner);
      if (overlaid !== undefined) return overlaid.slice();
      const direct = this.vectorInFile(disk, owner);
      if (direct !== undefined) return direct;
      let found: Float32Array | undefined;
      this.scanDisk(disk, (at, _, codes, offset, scale) => {
        if (at !== owner) return true;
        found = dequantize(scale, codes.subarray(offset, offset + this.dimension));
        return false;
      });
      return found;
    }
    return Float32Array.from(this.graph!.getPoint(owner));
  }

  /**
   * The vector of `owner`, which has a node in the graph file, read from that node alone (int8
   * files; undefined for others). A graph built as chunks are added holds the label of slot s in
   * node s less the aliases in slots before it, which have no node; where a change has moved it,
   * the file's labels are taken from one read of the whole file (its vectors not decoded) and their
   * nodes kept.
   */
  private vectorInFile(disk: OnDisk, owner: number): Float32Array | undefined {
    if (disk.layout.vectors !== 'int8') return undefined;
    if (disk.nodes === undefined) {
      const slot = this.slotOf.get(owner)!;
      const guess = this.nodeVector(disk, slot, owner);
      if (guess !== undefined || this.shared.aliasCount === 0) return guess ?? this.nodeVector(disk, this.nodeIndex(disk).get(owner) ?? -1, owner);
      disk.aliasSlots ??= Uint32Array.from(this.shared.entries(), ([alias]) => this.slotOf.get(alias)!).sort();
      const shifted = this.nodeVector(disk, slot - countBelow(disk.aliasSlots, slot), owner);
      if (shifted !== undefined) return shifted;
    }
    const node = this.nodeIndex(disk).get(owner);
    return node === undefined ? undefined : this.nodeVector(disk, node, owner);
  }

  /** Each label's node number in a graph file left there, read from it the first time it is asked for (see {@link vectorInFile}). */
  private nodeIndex(disk: OnDisk): LabelSlots {
    if (disk.nodes !== undefined) return disk.nodes;
    const { bytesPerNode, count, labelOffset, nodesStart } = disk.layout;
    if (disk.fd < 0) throw new Error('the vector index is closed');
    const nodes = new LabelSlots();
    const nodesPerBlock = Math.max(1, Math.floor(SCAN_BLOCK_BYTES / bytesPerNode));
    const bytes = new Uint8Array(nodesPerBlock * bytesPerNode);
    const view = new DataView(bytes.buffer);
    for (let first = 0; first < count; first += nodesPerBlock) {
      const n = Math.min(nodesPerBlock, count - first);
      readExactly(disk.fd, bytes, n * bytesPerNode, nodesStart + first * bytesPerNode, `${FILE_LABEL} graph file`);
      for (let node = 0; node < n; node++) {
        const at = node * bytesPerNode + labelOffset;
        if (view.getUint32(at + 4, true) === 0) nodes.set(view.getUint32(at, true), first + node);
      }
    }
    disk.nodes = nodes;
    return nodes;
  }

  /**
   * The `k` vectors most similar to the query, best first, with their cosine similarity.
   * Uses the graph when there is one; if it finds fewer than `k` (a selective filter, many
   * deletions), the exact scan answers instead, so up to `k` results come back whenever that
   * many pass the filter. `filter` must be a pure function of the label.
   */
  search(query: ArrayLike<number>, k: number, filter?: (label: number) => boolean): VectorHit[] {
    if (this.onDisk !== undefined && ++this.onDisk.scans >= SCANS_BEFORE_LOADING) this.loadFromDisk(false);
    const graph = this.graph;
    if (graph === undefined) return (filter === undefined ? this.searchThread(query, k) : undefined) ?? this.searchExact(query, k, filter);
    const wanted = Math.min(Math.floor(k), this.size);
    if (wanted <= 0) return [];
    const unit = this.graphArgument(this.normalise(query, 'query vector'));
    // each node found stands for its label and the label's aliases, at the same score
    const hitsOf = (found: { neighbors: number[]; distances: number[] }): VectorHit[] =>
      found.neighbors.flatMap((node, i) => {
        if (!this.ownsNode(node)) return [];
        const score = 1 - found.distances[i];
        return [{ label: node, score }, ...this.shared.aliasesOf(node).map((label) => ({ label, score }))];
      });
    // nodes, each of which gives at least one label (never more than the graph has: hnswlib would throw)
    const nodes = (wanted: number): number => Math.min(wanted, graph.getCurrentCount());
    let hits: VectorHit[];
    if (filter === undefined) {
      hits = hitsOf(graph.searchKnn(unit, nodes(wanted)));
    } else {
      // Twice k candidates without the filter, then the filter: enough when it passes most of
      // them (related code leaving out the definition it starts from), at the full search effort.
      hits = hitsOf(graph.searchKnn(unit, nodes(2 * wanted))).filter((hit) => filter(hit.label));
      if (hits.length < wanted) {
        // a narrow filter: hnswlib's filtered search, at the effort that stops once it holds k
        // nodes that pass (a node passes when its label or one of its aliases does)
        const nodeFilter = this.shared.aliasCount === 0 ? filter : (node: number): boolean => filter(node) || this.shared.aliasesOf(node).some(filter);
        graph.setEf(this.efFilteredSearch);
        try {
          hits = hitsOf(graph.searchKnn(unit, nodes(wanted), nodeFilter)).filter((hit) => filter(hit.label));
        } finally {
          graph.setEf(this.efSearch);
        }
      }
    }
    // Short only when fewer than k reachable nodes pass the filter: hnswlib's search visits every
    // node it can reach until it holds k. The exact scan then calls the filter for each vector
    // and reads only the few that pass (or those of nodes the graph cannot reach).
    if (hits.length < wanted) return this.searchExact(query, k, filter);
    return hits.sort((a, b) => b.score - a.score || a.label - b.label).slice(0, wanted);
  }

  /**
   * A search through the graph on the worker thread, while there is one and the index has
   * outgrown exact search: the labels it finds and those it does not hold yet, each scored here
   * against this index's own vector (so a label removed or replaced since is scored as it is now).
   * Undefined when the worker cannot answer, or finds fewer than k: the exact scan answers then.
   */
  private searchThread(query: ArrayLike<number>, k: number): VectorHit[] | undefined {
    const thread = this.graphThread;
    if (thread === undefined || this.size <= this.exactSearchMaxVectors) return undefined;
    const wanted = Math.min(Math.floor(k), this.size);
    if (wanted <= 0) return [];
    const unit = this.normalise(query, 'query vector');
    const answer = thread.search(unit, wanted);
    if (answer === undefined) return undefined;
    const best = new TopK(wanted, true);
    const seen = new Set<number>();
    const scoreOne = (label: number): void => {
      const slot = this.slotOf.get(label);
      if (slot === undefined || seen.has(label)) return;
      seen.add(label);
      const score = this.vectors.dot(slot, unit);
      if (best.admits(label, score)) best.push(label, score);
    };
    // a node stands for its label and the label's aliases
    const consider = (node: number): void => {
      scoreOne(node);
      for (const alias of this.shared.aliasesOf(node)) scoreOne(alias);
    };
    for (const label of answer.found) consider(label);
    for (const label of answer.notYetAdded) consider(label);
    const hits = best.sorted().map(({ id, score }) => ({ label: id, score }));
    return hits.length < wanted ? undefined : hits;
  }

  /**
   * The exact `k` nearest vectors by a full scan, best first; ties go to the lower label.
   * Without a graph in memory (the vectors in their array, or a graph left in its file), `filter`
   * is called only for vectors that would make the cut; with one, it is called first, and only the
   * vectors it passes are read from the graph (which is slow: about 20 µs a vector, so a scan of
   * them all is for selective filters and rare fallbacks).
   */
  searchExact(query: ArrayLike<number>, k: number, filter?: (label: number) => boolean): VectorHit[] {
    const unit = this.normalise(query, 'query vector');
    // ties at the cut are all kept: the result then does not depend on labels (see TopK)
    const best = new TopK(Math.floor(k), true);
    // every score is that of the vector's codes and scale (int8.ts dotStored), wherever the vector is held
    const scratch = new Int8Array(this.dimension);
    if (this.onDisk !== undefined) {
      const consider = (label: number, codes: Int8Array, offset: number, scale: number): boolean => {
        const score = dotStored(codes, offset, scale, unit);
        if (best.admits(label, score) && (filter === undefined || filter(label))) best.push(label, score);
        return true;
      };
      const disk = this.onDisk;
      const scored = this.scoreDisk(disk, unit, (node, score) => {
        // the cheap test first: only a vector that would make the cut is looked up (a label
        // removed, or changed since, is none); the test does not depend on the label (ties are kept)
        if (!best.admits(node, score) || !this.currentInFile(disk, node)) return;
        if (filter === undefined || filter(node)) best.push(node, score);
        for (const alias of this.shared.aliasesOf(node)) if (filter === undefined || filter(alias)) best.push(alias, score);
      });
      if (!scored) this.scanDisk(disk, (label, _, block, offset, scale) => consider(label, block, offset, scale));
      for (const [node, vector] of disk.overlay) {
        const scale = quantizeUnit(vector, scratch);
        consider(node, scratch, 0, scale);
        for (const alias of this.shared.aliasesOf(node)) consider(alias, scratch, 0, scale);
      }
      return best.sorted().map(({ id, score }) => ({ label: id, score }));
    }
    const graph = this.graph;
    for (let slot = 0; slot < this.size; slot++) {
      const label = this.labelOf[slot];
      if (graph === undefined) {
        const score = this.vectors.dot(slot, unit);
        if (best.admits(label, score) && (filter === undefined || filter(label))) best.push(label, score);
      } else if (filter === undefined || filter(label)) {
        // the graph holds the stored form as float32, whose codes and scale give it back exactly (int8.ts toInt8Unit)
        const score = dotStored(scratch, 0, quantizeUnit(graph.getPoint(this.shared.ownerOf(label)), scratch), unit);
        if (best.admits(label, score)) best.push(label, score);
      }
    }
    return best.sorted().map(({ id, score }) => ({ label: id, score }));
  }

  /**
   * Rebuilds the graph from the stored vectors, dropping deleted nodes; or drops the graph when
   * there are no longer more than `exactSearchMaxVectors` vectors. Takes as long as building
   * the graph from scratch; a graph in memory first has its vectors copied out (about 20 µs each),
   * one in its file has them read from it.
   */
  rebuildGraph(): void {
    runSteps(this.rebuildGraphSteps());
  }

  /**
   * {@link rebuildGraph} in slices, for a thread that answers searches meanwhile: a search
   * between two steps uses the old graph until its vectors are copied out, then scans them until
   * the new graph is built. Nothing may be added or removed until it returns. (An index whose graph
   * is in its file reads the vectors from it in one step.)
   */
  async rebuildGraphSliced(slices: TimeSlices): Promise<void> {
    await runStepsSliced(this.rebuildGraphSteps(), slices);
  }

  private *rebuildGraphSteps(): Steps<void> {
    if (this.graphThread !== undefined) {
      // rebuilt here from the array, which holds every vector
      void this.graphThread.dispose();
      this.graphThread = undefined;
    }
    const disk = this.onDisk;
    if (disk !== undefined) {
      // the vectors read from the file and the changes beside it: far faster than loading the
      // graph to read them back out of it one by one
      const vectors = new Int8Vectors(this.dimension, this.labelOf.length);
      let overlaid = 0;
      for (const [node, unit] of disk.overlay) {
        for (const label of [node, ...this.shared.aliasesOf(node)]) vectors.set(this.slotOf.get(label)!, unit);
        overlaid += 1 + this.shared.aliasesOf(node).length;
      }
      let found = overlaid;
      const vector = new Float32Array(this.dimension);
      this.scanDisk(disk, (_, slot, codes, offset, scale) => {
        vectors.set(slot, dequantize(scale, codes.subarray(offset, offset + this.dimension), vector));
        found++;
        return true;
      });
      if (found !== this.size) throw new IndexCorruptError(`${FILE_LABEL} graph file holds ${found - overlaid} of the ${this.size - overlaid} vectors it should`);
      fs.closeSync(disk.fd);
      this.onDisk = undefined;
      this.vectors = vectors;
    } else if (this.graph !== undefined) {
      yield* this.dropGraphSteps();
    }
    this.graphBeforeSharing = false; // the old graph is gone, whether or not a new one is built
    if (this.size > this.exactSearchMaxVectors) yield* this.buildGraphSteps();
  }

  /**
   * Writes the index to `files.vectors` and, when there is a graph, the graph to `files.graph`.
   * Not atomic by itself: the store commits the two through `commitGeneration` (store.ts), with
   * {@link writeGraph} and {@link writeVectors}.
   */
  save(files: VectorIndexFiles): void {
    this.writeVectors(files.vectors, this.hasGraph ? this.writeGraph(files.graph) : undefined);
  }

  /**
   * Writes the graph as hnswlib does, straight to `filePath`, and checks what was written (its
   * writer does not report errors, such as a full disk): its layout, read back, and its SHA-256,
   * which {@link writeVectors} records. Throws when there is no graph.
   */
  writeGraph(filePath: string): GraphDigest {
    this.loadFromDisk();
    this.graphThreadHere();
    const graph = this.graph;
    if (graph === undefined) throw new Error('the vector index has no graph to write');
    return withGraphTemp(filePath, (temp) => {
      graph.writeIndexSync(temp);
      return runSteps(this.writtenInt8(temp, filePath));
    });
  }

  /**
   * {@link writeGraph} for a thread that answers requests meanwhile: hnswlib writes on one of
   * libuv's threads, and the check reads the file back in short steps. The graph must not
   * change until it is done; searches may run.
   */
  async writeGraphAsync(filePath: string, slices = new TimeSlices(WRITE_SLICE_MS)): Promise<GraphDigest> {
    this.loadFromDisk();
    const { temp, remove } = graphTemp(filePath);
    try {
      const thread = this.graphThread;
      if (thread !== undefined && this.size > this.exactSearchMaxVectors) {
        // the worker's graph, which holds every change made so far
        try {
          await thread.write(temp);
        } catch (error) {
          if (thread.broken === undefined) throw error;
          // the worker failed: the graph is built here from the array, and written as any other
          this.graphThread = undefined;
          void thread.dispose();
          await runStepsSliced(this.buildGraphSteps(), slices);
        }
        if (this.graphThread === thread) return await runStepsSliced(this.writtenInt8(temp, filePath), slices);
      }
      if (this.graph === undefined) throw new Error('the vector index has no graph to write');
      await this.graph.writeIndex(temp);
      return await runStepsSliced(this.writtenInt8(temp, filePath), slices);
    } finally {
      remove();
    }
  }

  /**
   * Writes the graph file hnswlib has just written to `temp` as the index keeps it, in int8, to
   * `filePath` (graph-file.ts), and returns its digest (see {@link writeGraph}).
   */
  private *writtenInt8(temp: string, filePath: string): Steps<GraphDigest> {
    try {
      return yield* writeInt8Graph(temp, filePath, this.dimension);
    } catch (error) {
      if (!(error instanceof IndexCorruptError)) throw error;
      // hnswlib's writer reports no errors: a file it left short is a write that failed (a full
      // disk, the file-size limit); one more byte written says why, as an errno the store reports
      fs.appendFileSync(temp, Buffer.alloc(1));
      throw Object.assign(new Error(`the graph file ${filePath} was written incompletely`), { code: 'EIO' });
    }
  }

  /**
   * Writes the vector file: a header, the labels, and the vectors when there is no graph (each
   * one's scale, then each one's codes; see int8.ts); with a
   * graph, the `graph` digest that {@link writeGraph} returned, which loading checks the graph file against.
   */
  writeVectors(filePath: string, graph?: GraphDigest): void {
    if (this.hasGraph !== (graph !== undefined)) {
      throw new Error(!this.hasGraph ? 'a vector index without a graph was given a graph digest' : 'the graph must be written before the vector file');
    }
    const header = Buffer.alloc(HEADER_BYTES);
    header.writeUInt32LE(MAGIC, 0);
    header.writeUInt32LE(FORMAT_VERSION, 4);
    header.writeUInt32LE(METRIC_COSINE, 8);
    header.writeUInt32LE(this.dimension, 12);
    header.writeUInt32LE(this.size, 16);
    header.writeBigUInt64LE(BigInt(graph?.bytes ?? 0), 20);
    graph?.sha256.copy(header, 28);
    const parts: Uint8Array[] = [header, bytesOf(this.labelOf, this.size)];
    if (graph === undefined) {
      parts.push(bytesOf(this.vectors.scales, this.size));
      parts.push(new Uint8Array(this.vectors.codes.buffer, this.vectors.codes.byteOffset, this.size * this.dimension));
    }
    parts.push(this.shared.encode((label) => this.ownsNode(label), this.graphBeforeSharing && graph !== undefined));
    const fd = fs.openSync(filePath, 'w');
    try {
      for (const part of parts) {
        for (let written = 0; written < part.length; ) written += fs.writeSync(fd, part, written);
      }
    } finally {
      fs.closeSync(fd);
    }
  }

  /** Reads an index written by {@link save}; see {@link fromBytes}. */
  static load(files: VectorIndexFiles, options: VectorIndexOptions): VectorIndex {
    return VectorIndex.fromBytes(fs.readFileSync(files.vectors), options, files.graph);
  }

  /**
   * Reads an index from its vector file's bytes, already read (and verified) by the caller, and
   * its graph file, when the vector file says there is one. Throws {@link IndexCorruptError} when
   * either is damaged or was written for another dimension, and {@link IndexVersionError} for an
   * unknown format version. The graph file's length, checksum and layout are checked before
   * hnswlib reads it: its CRC-32 when the caller gives the one its manifest records and the
   * runtime computes CRC-32s, else the SHA-256 the vector file records (see checksum.ts). A graph is built here when the options call for one (more than
   * `exactSearchMaxVectors` vectors) and the file has none, and dropped when they do not.
   * Format 1 (the graph inside the vector file) is still read; it is written as format 2 by the next save.
   */
  static fromBytes(bytes: Buffer, options: VectorIndexOptions, graphFile?: string, graphCrc32?: number): VectorIndex {
    const index = new VectorIndex(options);
    const reader = new ByteReader(bytes, FILE_LABEL);
    if (reader.u32() !== MAGIC) throw new IndexCorruptError(`${FILE_LABEL} has an unknown file signature`);
    const version = reader.u32();
    if (!(version >= 1 && version <= FORMAT_VERSION)) throw new IndexVersionError(version, FORMAT_VERSION);
    index.formatRead = version;
    if (reader.u32() !== METRIC_COSINE) throw new IndexCorruptError(`${FILE_LABEL} uses an unknown metric`);
    const dimension = reader.u32();
    if (dimension !== index.dimension) {
      throw new IndexCorruptError(`${FILE_LABEL} holds vectors of dimension ${dimension}, expected ${index.dimension}`);
    }
    const count = reader.u32();
    const graphLength = reader.u64();
    const graphSha256 = reader.bytes(32);
    const labels = reader.uint32s(count); // first: a damaged count is found out before anything is allocated for it
    const capacity = capacityFor(count);
    index.labelOf = new Uint32Array(capacity);
    index.labelOf.set(labels);
    const vectorsStored = version === 1 || graphLength === 0;
    index.vectors = new Int8Vectors(dimension, vectorsStored ? capacity : 0);
    if (vectorsStored && version < 4) {
      // formats 1 to 3 kept the normalised vectors in float32, as they were: put in the form the index stores
      const stored = reader.bytes(count * dimension * 4); // first, as the labels
      const floats = new Float32Array(count * dimension);
      new Uint8Array(floats.buffer).set(stored);
      for (let slot = 0; slot < count; slot++) index.vectors.set(slot, floats.subarray(slot * dimension, (slot + 1) * dimension));
    } else if (vectorsStored) {
      // the scales, then the codes (see writeVectors)
      new Uint8Array(index.vectors.scales.buffer, 0, count * 4).set(reader.bytes(count * 4));
      const codes = reader.bytes(count * dimension);
      index.vectors.codes.set(new Int8Array(codes.buffer, codes.byteOffset, codes.length));
      for (let slot = 0; slot < count; slot++) {
        if (!index.vectors.holdsStoredForm(slot)) throw new IndexCorruptError(`${FILE_LABEL} holds a vector not in the stored form (scale ${index.vectors.scales[slot]})`);
      }
    }
    const twice = index.slotOf.load(labels);
    if (twice !== -1) throw new IndexCorruptError(`${FILE_LABEL} lists label ${labels[twice]} twice`);
    if (version >= 5) {
      const { shared, copiesInGraph } = SharedVectors.decode(reader, (label) => index.slotOf.has(label), FILE_LABEL);
      index.shared = shared;
      index.graphBeforeSharing = copiesInGraph && graphLength > 0;
      // where the file holds every vector, each alias's is checked to be its owner's, which a graph built from them would give it
      if (vectorsStored) {
        for (const [alias, owner] of shared.entries()) {
          if (!index.vectors.sameSlots(index.slotOf.get(alias)!, index.slotOf.get(owner)!)) throw new IndexCorruptError(`${FILE_LABEL} says label ${alias} shares the vector of label ${owner}, which differs`);
        }
      }
    } else {
      // a graph written before vectors were shared may hold copies of one vector in nodes of their own
      index.graphBeforeSharing = graphLength > 0;
    }
    if (version === 1) {
      const graphBytes = reader.bytes(graphLength);
      reader.end();
      if (index.size <= index.exactSearchMaxVectors) {
        index.graphBeforeSharing = false; // its graph is not read: a graph this index builds shares nodes
        return index;
      }
      if (graphLength === 0) {
        index.buildGraph();
      } else {
        if (!sha256(graphBytes).equals(graphSha256)) throw new IndexCorruptError(`${FILE_LABEL} graph checksum mismatch`);
        const layout = checkHnswLayout(graphBytes.subarray(0, HNSW_HEADER_BYTES), graphBytes.length, dimension, (start) => graphBytes.subarray(start));
        withTempFile((temp) => {
          fs.writeFileSync(temp, graphBytes);
          const fd = openGraphFile(temp);
          try {
            index.loadGraphFile(fd, layout, temp);
          } finally {
            fs.closeSync(fd);
          }
        });
      }
      return index;
    }
    reader.end();
    if (graphLength === 0) {
      if (index.size > index.exactSearchMaxVectors) index.buildGraph();
      return index;
    }
    if (graphFile === undefined) throw new IndexCorruptError(`${FILE_LABEL} has a graph file, and none was given`);
    // checked through a descriptor held while the graph is used from its file, so that what is
    // scanned, or given to hnswlib (through a temporary file written from it), is what was checked
    const fd = openGraphFile(graphFile);
    try {
      const recorded = { sha256: graphSha256.toString('hex'), ...(graphCrc32 === undefined ? {} : { crc32: graphCrc32 }) };
      const form: GraphVectors = version === 2 ? 'float32' : 'int8';
      const found = runSteps(checkGraphFile(fd, dimension, kindToCheck(recorded), form));
      if (found.bytes !== graphLength) throw new IndexCorruptError(`${FILE_LABEL} graph file has ${found.bytes} bytes, expected ${graphLength}`);
      if (!matches(found.checksums.computed(), recorded)) throw new IndexCorruptError(`${FILE_LABEL} graph checksum mismatch`);
      index.vectors = new Int8Vectors(dimension, 0);
      if (index.graphLoading === 'on-demand' && index.size > index.exactSearchMaxVectors && scannable(found.layout)) {
        index.onDisk = { file: graphFile, fd, layout: found.layout, scans: 0, overlay: new Map(), removed: new Set() };
        return index;
      }
      try {
        index.loadGraphFile(fd, found.layout, graphFile);
      } catch (error) {
        if (error instanceof IndexCorruptError || !(index.size > index.exactSearchMaxVectors && scannable(found.layout))) throw error;
        // no room for hnswlib's form of the graph (a full disk): it stays in its file, and
        // searches scan it, until a change needs it in memory
        index.onDisk = { file: graphFile, fd, layout: found.layout, scans: Number.NEGATIVE_INFINITY, overlay: new Map(), removed: new Set() };
        return index;
      }
    } finally {
      if (index.onDisk === undefined) fs.closeSync(fd);
    }
    if (index.size <= index.exactSearchMaxVectors) index.dropGraph();
    return index;
  }

  /**
   * Reads a graph that was left in its file into memory (see `graphLoading`), before anything
   * that needs it: the file checked when the index was loaded, through the descriptor held (even
   * once a writer's cleanup has deleted it). Where it cannot be read so (no room for hnswlib's form,
   * say), a `required` load fails and another leaves the graph in its file for good.
   */
  private loadFromDisk(required = true): void {
    const disk = this.onDisk;
    if (disk === undefined) return;
    if (disk.fd < 0) throw new Error('the vector index is closed');
    try {
      this.loadGraphFile(disk.fd, disk.layout, disk.file, disk); // a failure leaves the graph in its file, and the index as it was
    } catch (error) {
      if (required) throw error;
      disk.scans = Number.NEGATIVE_INFINITY; // searches go on scanning the file
      return;
    }
    this.onDisk = undefined;
    this.diskScanner = undefined; // no file to scan any more
    fs.closeSync(disk.fd);
  }

  /**
   * Reads the graph of the file open as `fd` as `file` (checked, its layout `layout`) into
   * memory: through the descriptor, into hnswlib's form in a temporary file ({@link withGraphTemp};
   * graph-file.ts `expandGraph`, which puts a float32 file's vectors, format 2, in the stored form),
   * which hnswlib reads. See {@link loadGraph} for `changes`.
   */
  private loadGraphFile(fd: number, layout: NodeLayout, file: string, changes?: OnDisk): void {
    withGraphTemp(file, (temp) => {
      runSteps(expandGraph(fd, layout, this.dimension, temp));
      this.loadGraph(temp, changes);
    });
  }

  /**
   * Releases the graph file held open while the graph is used from it (`graphLoading:
   * 'on-demand'`). An index whose graph is in memory, or that has none, is unaffected; one whose
   * graph was in its file can no longer be searched or changed.
   */
  close(): void {
    if (this.graphThread !== undefined) {
      // the array still holds every vector: an index saved after this stores them without a graph
      void this.graphThread.dispose();
      this.graphThread = undefined;
    }
    const disk = this.onDisk;
    if (disk === undefined || disk.fd < 0) return;
    fs.closeSync(disk.fd);
    disk.fd = -1;
  }

  /** Starts keeping the changes made while the graph stays in its file: the labels that were live in it. */
  private changing(disk: OnDisk): OnDisk {
    // before the change: the live labels are still those of the file
    if (disk.liveAtLoad === undefined) {
      const live = new Uint32Array(this.size - this.shared.aliasCount);
      for (let slot = 0, at = 0; slot < this.size; slot++) if (!this.shared.isAlias(this.labelOf[slot])) live[at++] = this.labelOf[slot];
      disk.liveAtLoad = live.sort();
    }
    return disk;
  }

  /**
   * Calls `visit` with the label and exact score (int8.ts `dotStored`, the same bits) of every node
   * of a graph file in int8, in the file's order, scored a block at a time by WebAssembly
   * (wasm/dot-scanner.ts); the caller tells removed labels and those changed since (`overlay`).
   * False, having called nothing, where that cannot be done (a float32 file, or no WebAssembly
   * SIMD in this runtime): {@link scanDisk} then scores them.
   */
  private scoreDisk(disk: OnDisk, query: Float32Array, visit: (label: number, score: number) => void): boolean {
    const { bytesPerNode, count, dataOffset, labelOffset, nodesStart } = disk.layout;
    if (disk.layout.vectors !== 'int8' || bytesPerNode % 4 !== 0 || dataOffset % 4 !== 0 || labelOffset % 4 !== 0) return false;
    if (disk.fd < 0) throw new Error('the vector index is closed');
    const nodesPerBlock = Math.max(1, Math.min(count, Math.floor(SCAN_BLOCK_BYTES / bytesPerNode)));
    // one scanner for the index's scans (its memory is a block, 4 MB)
    const scanner = this.diskScanner?.fits(this.dimension, nodesPerBlock, bytesPerNode) ? this.diskScanner : DotScanner.create(this.dimension, nodesPerBlock, bytesPerNode);
    if (scanner === undefined) return false;
    this.diskScanner = scanner;
    scanner.setQuery(query);
    const bytes = scanner.block;
    const words = new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
    const scales = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
    for (let first = 0; first < count; first += nodesPerBlock) {
      const nodes = Math.min(nodesPerBlock, count - first);
      const length = nodes * bytesPerNode;
      readExactly(disk.fd, bytes, length, nodesStart + first * bytesPerNode, `${FILE_LABEL} graph file`);
      // each node: its scale (float32) at dataOffset, then its codes; its label (a u64) at labelOffset
      const dots = scanner.score(nodes, dataOffset + 4);
      for (let node = 0, base = 0; node < nodes; node++, base += bytesPerNode / 4) {
        if (words[base + labelOffset / 4 + 1] !== 0) continue; // a label past 2^32: none of this index's
        visit(words[base + labelOffset / 4], dots[node] * scales[base + dataOffset / 4]);
      }
    }
    return true;
  }

  /**
   * The vector of `label` read from the node of a graph file (int8) numbered `slot`, if that node
   * holds the label. A graph built as chunks are added puts each label in the node of its slot,
   * less the aliases before it, which have none (every one of the 116k labels of a cold index's
   * file, before vectors were shared); changes since may not (a chunk's id, the
   * label, is never given to another chunk, so one node at most holds it). Undefined otherwise;
   * {@link scanDisk} then finds it. Reading one node where the scan read half the file on average
   * (about 37 ms of `related` at 116k vectors).
   */
  private nodeVector(disk: OnDisk, slot: number, label: number): Float32Array | undefined {
    const { bytesPerNode, count, dataOffset, labelOffset, nodesStart, vectors } = disk.layout;
    if (vectors !== 'int8' || slot < 0 || slot >= count) return undefined;
    if (disk.fd < 0) throw new Error('the vector index is closed');
    const node = new Uint8Array(bytesPerNode);
    readExactly(disk.fd, node, bytesPerNode, nodesStart + slot * bytesPerNode, `${FILE_LABEL} graph file`);
    const view = new DataView(node.buffer);
    if (view.getUint32(labelOffset, true) !== label || view.getUint32(labelOffset + 4, true) !== 0) return undefined;
    return dequantize(view.getFloat32(dataOffset, true), new Int8Array(node.buffer, dataOffset + 4, this.dimension));
  }

  /**
   * Visits the live vectors stored in a graph file that is not loaded, reading it in blocks of
   * whole nodes, each as the index stores it: `visit` gets its label, its slot, its int8 codes (the
   * `dimension` from `offset` in `codes`, valid only during the call) and their scale, and returns
   * false to stop. Deleted and overlaid nodes are skipped; a float32 file (format 2) has each vector
   * put in the stored form first.
   */
  private scanDisk(disk: OnDisk, visit: (label: number, slot: number, codes: Int8Array, offset: number, scale: number) => boolean): void {
    const { bytesPerNode, count, dataOffset, labelOffset, nodesStart } = disk.layout;
    const int8 = disk.layout.vectors === 'int8';
    const vectorCodes = new Int8Array(int8 ? 0 : this.dimension);
    const fd = disk.fd;
    if (fd < 0) throw new Error('the vector index is closed');
    const nodesPerBlock = Math.max(1, Math.floor(SCAN_BLOCK_BYTES / bytesPerNode));
    const block = new Float32Array((nodesPerBlock * bytesPerNode) / 4);
    const bytes = new Uint8Array(block.buffer);
    const codes = new Int8Array(block.buffer);
    const words = new Uint32Array(block.buffer);
    for (let first = 0; first < count; first += nodesPerBlock) {
      const nodes = Math.min(nodesPerBlock, count - first);
      const length = nodes * bytesPerNode;
      readExactly(fd, bytes, length, nodesStart + first * bytesPerNode, `${FILE_LABEL} graph file`);
      for (let node = 0; node < nodes; node++) {
        const base = (node * bytesPerNode) / 4;
        const label = words[base + labelOffset / 4];
        if (words[base + labelOffset / 4 + 1] !== 0 || !this.currentInFile(disk, label)) continue;
        const data = base + dataOffset / 4;
        let scale: number;
        let at: Int8Array;
        let offset: number;
        if (int8) [scale, at, offset] = [block[data], codes, (data + 1) * 4];
        else [scale, at, offset] = [quantizeUnit(block.subarray(data, data + this.dimension), vectorCodes), vectorCodes, 0];
        if (!visit(label, this.slotOf.get(label)!, at, offset, scale)) return;
        // its aliases share its vector
        for (const alias of this.shared.aliasesOf(label)) if (!visit(alias, this.slotOf.get(alias)!, at, offset, scale)) return;
      }
    }
  }

  /**
   * Whether the node of `label` in a graph file left there holds the label's vector now: the
   * label is live with a node of its own (not removed, nor made an alias, since), and not moved to
   * another node since (the overlay).
   */
  private currentInFile(disk: OnDisk, label: number): boolean {
    return this.ownsNode(label) && !disk.overlay.has(label);
  }

  /** Checks a vector and returns it normalised to unit length. */
  private normalise(vector: ArrayLike<number>, what: string): Float32Array {
    if (vector.length !== this.dimension) throw new RangeError(`${what} has ${vector.length} dimensions, expected ${this.dimension}`);
    let squares = 0;
    for (let j = 0; j < this.dimension; j++) {
      const value = vector[j];
      if (!Number.isFinite(value)) throw new RangeError(`${what} contains ${value}`);
      squares += value * value;
    }
    if (squares === 0) throw new RangeError(`${what} is all zeros and has no direction`);
    const norm = Math.sqrt(squares);
    const unit = new Float32Array(this.dimension);
    for (let j = 0; j < this.dimension; j++) unit[j] = vector[j] / norm;
    return unit;
  }

  /**
   * `vector` as hnswlib's calls take it, a plain array: one array, refilled for each call (hnswlib
   * copies it before it returns), because making a new one per call (`Array.from`) cost more than
   * a second in a cold index of 100k vectors. Valid until the next call.
   */
  private graphArgument(vector: ArrayLike<number>): number[] {
    const array = this.hnswArgument;
    for (let j = 0; j < this.dimension; j++) array[j] = vector[j];
    return array;
  }

  /** Grows the label table (doubling), and the vector array when there is no graph, to hold at least `slots` vectors. */
  private ensureCapacity(slots: number): void {
    if (slots > this.labelOf.length) {
      const labels = new Uint32Array(capacityFor(slots, this.labelOf.length));
      labels.set(this.labelOf.subarray(0, this.size));
      this.labelOf = labels;
    }
    if (this.vectorsInArray && this.vectors.capacity < this.labelOf.length) {
      const vectors = new Int8Vectors(this.dimension, this.labelOf.length);
      vectors.copySlots(this.vectors, 0, this.size);
      this.vectors = vectors;
    }
  }

  /**
   * {@link ensureCapacity} for the vector array, in steps of {@link GROW_STEP_BYTES}: while the
   * graph is built on the worker thread, the array grows to hold every vector, and a copy at once
   * stalls this thread for as long as it takes to fill new memory (205 ms at 64k vectors, 50 ms at
   * 16k, here). A search between two steps reads the old array, which nothing changes until the
   * steps are done.
   */
  private *growArraySteps(slots: number): Steps<void> {
    const capacity = capacityFor(slots, this.labelOf.length);
    const vectors = new Int8Vectors(this.dimension, capacity);
    const step = Math.max(1, Math.floor(GROW_STEP_BYTES / this.dimension));
    for (let first = 0; first < this.size; first += step) {
      vectors.copySlots(this.vectors, first, Math.min(this.size, first + step));
      yield;
    }
    const labels = new Uint32Array(capacity);
    labels.set(this.labelOf.subarray(0, this.size));
    this.labelOf = labels;
    this.vectors = vectors;
  }

  /** Builds the graph from the vector array, which it then replaces. */
  private buildGraph(): void {
    runSteps(this.buildGraphSteps());
  }

  /**
   * Builds the graph from the stored vectors, in steps of {@link GRAPH_BUILD_STEP} inserts; the
   * index changes only at the end, so a search between two steps scans the vectors as before.
   * Nothing may be added or removed until the steps are done.
   */
  private *buildGraphSteps(coming = 0): Steps<void> {
    yield* this.shareTwinsSteps();
    const graph = new HierarchicalNSW(GRAPH_SPACE, this.dimension);
    graph.initIndex({
      // room for the vectors `coming` too: the graph is then the one an add that crosses the threshold builds
      maxElements: graphCapacity(this.size - this.shared.aliasCount + coming),
      m: this.m,
      efConstruction: this.efConstruction,
      randomSeed: this.randomSeed,
    });
    graph.setEf(this.efSearch);
    const unit = new Float32Array(this.dimension);
    let added = 0;
    for (let slot = 0; slot < this.size; slot++) {
      const label = this.labelOf[slot];
      if (this.shared.isAlias(label)) continue; // its owner's node holds its vector
      graph.addPoint(this.graphArgument(this.vectors.get(slot, unit)), label);
      if (++added % GRAPH_BUILD_STEP === 0) yield;
    }
    this.graph = graph;
    this.deletedInGraph.clear();
    this.graphBeforeSharing = false;
    this.vectors = new Int8Vectors(this.dimension, 0);
  }

  /**
   * Before a graph is built from the array: makes each label whose vector another label with a
   * node of its own holds an alias of that label, where {@link place} did not (an index read from
   * a format before shared vectors, or twins whose hash another vector's replaced), and records
   * the hash of every other label's vector. About 2 µs a vector, in steps.
   */
  private *shareTwinsSteps(): Steps<void> {
    const unit = new Float32Array(this.dimension);
    const other = new Float32Array(this.dimension);
    for (let slot = 0; slot < this.size; slot++) {
      const label = this.labelOf[slot];
      if (this.shared.isAlias(label)) continue;
      const hash = vectorHash(this.vectors.get(slot, unit));
      const candidate = this.shared.candidate(hash);
      if (candidate !== undefined && candidate !== label && this.ownsNode(candidate) && sameVector(this.vectors.get(this.slotOf.get(candidate)!, other), unit)) {
        this.shared.link(label, candidate);
      } else {
        this.shared.remember(hash, label);
      }
      if ((slot + 1) % GRAPH_COPY_STEP === 0) yield;
    }
  }

  /**
   * When adding `label` would make this index outgrow exact search (more than
   * `exactSearchMaxVectors` vectors), builds its graph now, in slices, so that the add that follows
   * does not build it all at once (or starts the worker thread that builds it: {@link
   * VectorIndexOptions.graphThread}); and grows the vector array, in slices, when the add would
   * grow it; otherwise does nothing. For a thread that answers searches while it
   * indexes; nothing else may change the index until this returns.
   */
  async buildGraphBefore(label: number, slices: TimeSlices): Promise<void> {
    if (!this.vectorsInArray || this.slotOf.has(label)) return;
    // the array grows here, in slices, rather than in the add (it holds every vector until a graph does)
    if (this.size + 1 > this.vectors.capacity) await runStepsSliced(this.growArraySteps(this.size + 1), slices);
    if (this.graphThread !== undefined || this.size + 1 <= this.exactSearchMaxVectors) return;
    if (this.graphThreadWanted) {
      // the graph is built on a thread of its own, from these vectors and those added next
      await runStepsSliced(this.shareTwinsSteps(), slices);
      // the labels with nodes of their own, and where their vectors lie
      const slots = new Uint32Array(this.size - this.shared.aliasCount);
      for (let slot = 0, at = 0; slot < this.size; slot++) if (!this.shared.isAlias(this.labelOf[slot])) slots[at++] = slot;
      const labels = slots.map((slot) => this.labelOf[slot]);
      const capacity = graphCapacity(slots.length + 1);
      const settings = { dimension: this.dimension, m: this.m, efConstruction: this.efConstruction, efSearch: this.efSearch, randomSeed: this.randomSeed, capacity };
      const vectors = this.vectors;
      const gather = (first: number, end: number): Float32Array => {
        const floats = new Float32Array((end - first) * this.dimension);
        for (let i = first; i < end; i++) vectors.get(slots[i], floats.subarray((i - first) * this.dimension, (i - first + 1) * this.dimension));
        return floats;
      };
      this.graphThread = GraphThread.start(settings, labels, gather, slots.length);
      if (this.graphThread !== undefined) return;
    }
    await runStepsSliced(this.buildGraphSteps(1), slices);
  }

  /**
   * Takes over the graph built on a worker thread since {@link buildGraphBefore}, if one is: the
   * worker writes it to a temporary file, which hnswlib reads here off this thread, and the vector
   * array is let go. When the worker failed, or its graph does not hold this index's labels, the
   * graph is built here from the array, in slices. When the index has shrunk back to exact search,
   * the worker just ends. For a thread that answers searches meanwhile (they scan the array);
   * nothing may change the index until this returns.
   */
  async finishGraphThread(slices: TimeSlices): Promise<void> {
    const thread = this.graphThread;
    if (thread === undefined) return;
    if (this.size <= this.exactSearchMaxVectors) {
      this.graphThread = undefined;
      await thread.dispose();
      return;
    }
    this.graphThread = undefined; // searches scan the array until the graph is here (the worker answers none while it writes)
    let dir: string | undefined;
    try {
      let graph: HierarchicalNSW | undefined;
      try {
        dir = makeTempDir();
        const file = path.join(dir, 'graph.hnsw');
        await thread.write(file);
        await thread.dispose(); // its graph is let go before this one is read
        graph = new HierarchicalNSW(GRAPH_SPACE, this.dimension);
        await graph.readIndex(file);
      } catch {
        graph = undefined; // the worker failed, or what it wrote cannot be read: built here below
      }
      if (graph !== undefined) {
        try {
          this.adoptGraph(graph);
          return;
        } catch (error) {
          if (!(error instanceof IndexCorruptError)) throw error;
        }
      }
      await runStepsSliced(this.buildGraphSteps(), slices);
    } finally {
      await thread.dispose(); // done already, unless the write failed
      if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  /** Ends the worker thread building a graph, if there is one, and builds the graph here from the array when the index needs one. */
  private graphThreadHere(): void {
    const thread = this.graphThread;
    if (thread === undefined) return;
    this.graphThread = undefined;
    void thread.dispose();
    if (this.size > this.exactSearchMaxVectors) this.buildGraph();
  }

  /** Copies the live vectors out of the graph into an array, and drops the graph. */
  private dropGraph(): void {
    runSteps(this.dropGraphSteps());
  }

  /** {@link dropGraph} in steps: the graph stays until every vector is copied out of it. */
  private *dropGraphSteps(): Steps<void> {
    const graph = this.graph!;
    const vectors = new Int8Vectors(this.dimension, this.labelOf.length);
    for (let slot = 0; slot < this.size; slot++) {
      vectors.set(slot, graph.getPoint(this.shared.ownerOf(this.labelOf[slot])));
      if ((slot + 1) % GRAPH_COPY_STEP === 0) yield;
    }
    this.vectors = vectors;
    this.graph = undefined;
    this.deletedInGraph.clear();
    this.graphBeforeSharing = false;
  }

  /**
   * Inserts a graph node, or updates one already `inGraph` (hnswlib un-deletes it if it was
   * deleted); a new node first doubles the graph's capacity when it is full.
   */
  private addToGraph(label: number, unit: Float32Array, inGraph: boolean): void {
    const graph = this.graph!;
    if (!inGraph && graph.getCurrentCount() >= graph.getMaxElements()) graph.resizeIndex(graph.getMaxElements() * 2);
    graph.addPoint(this.graphArgument(unit), label);
    this.deletedInGraph.delete(label);
  }

  /**
   * Loads a graph file whose checksum and layout have been verified, and checks that its labels
   * are this index's: every live label, and deleted ones besides. With `changes` (made while the
   * graph stayed in its file), the labels removed since are marked deleted and the vectors placed
   * since are added, so that the graph is as if it had been in memory all along.
   */
  private loadGraph(graphFile: string, changes?: OnDisk): void {
    const graph = new HierarchicalNSW(GRAPH_SPACE, this.dimension);
    try {
      graph.readIndexSync(graphFile);
    } catch (error) {
      // a temporary file written a moment ago from a checked file: out of memory, or removed by name elsewhere
      throw new IndexCorruptError(`${FILE_LABEL} graph file could not be read (${(error as Error).message})`);
    }
    this.adoptGraph(graph, changes);
  }

  /**
   * Makes `graph` this index's graph, once its labels are checked to be this index's (every live
   * one, and deleted ones besides), and lets the vector array go; see {@link loadGraph} for `changes`.
   */
  private adoptGraph(graph: HierarchicalNSW, changes?: OnDisk): void {
    graph.setEf(this.efSearch);
    const graphLabels = graph.getIdsList();
    if (graphLabels.length !== graph.getCurrentCount()) throw new IndexCorruptError(`${FILE_LABEL} graph has an inconsistent label table`);
    const inGraph = new Set(graphLabels);
    for (const label of this.slotOf.keys()) {
      if (this.shared.isAlias(label)) continue; // its owner's node holds its vector
      if (!inGraph.has(label) && !changes?.overlay.has(label)) throw new IndexCorruptError(`${FILE_LABEL} graph lacks label ${label}`);
    }
    for (const label of graphLabels) {
      if (this.ownsNode(label)) continue;
      if (changes?.removed.has(label)) graph.markDelete(label);
      this.deletedInGraph.add(label);
    }
    this.graph = graph;
    this.vectors = new Int8Vectors(this.dimension, 0);
    try {
      for (const [label, unit] of changes?.overlay ?? []) this.addToGraph(label, unit, inGraph.has(label));
    } catch (error) {
      // the changes could not be applied (memory, say): the graph stays in its file, as it was
      this.graph = undefined;
      this.deletedInGraph.clear();
      throw error;
    }
  }
}

/** Whether a label was live in the graph file when the index began to change it (see {@link OnDisk.liveAtLoad}). */
function liveInFile(disk: OnDisk, label: number): boolean {
  return findAscending(disk.liveAtLoad!, disk.liveAtLoad!.length, label) >= 0;
}

/** The first capacity of a graph built for `count` vectors: room for half as many again before it doubles. */
function graphCapacity(count: number): number {
  return Math.max(INITIAL_CAPACITY, Math.ceil(count * 1.5));
}

/** The smallest power-of-two multiple of `from` (at least {@link INITIAL_CAPACITY}) that holds `slots`. */
function capacityFor(slots: number, from = INITIAL_CAPACITY): number {
  let capacity = Math.max(from, 1);
  while (capacity < slots) capacity *= 2;
  return capacity;
}

/**
 * Whether a graph file's vectors and labels can be read as aligned 32-bit words, as a scan reads
 * them (always so in hnswlib's layout; otherwise the graph is loaded instead).
 */
function scannable(layout: NodeLayout): boolean {
  return [layout.bytesPerNode, layout.labelOffset, layout.dataOffset].every((n) => n % 4 === 0);
}

function sha256(bytes: Uint8Array): Buffer {
  return createHash('sha256').update(bytes).digest();
}

/** Temporary folders of graph files: `codescout-hnsw-<pid>-<random>` in the system's temporary folder. */
const TEMP_PREFIX = 'codescout-hnsw-';
const TEMP_NAME = /^codescout-hnsw-(\d+)-[^/]+$/;

/**
 * A fresh temporary folder for a graph file in hnswlib's form, named with this process's id, once
 * those that processes no longer running left are removed ({@link removeTempOfDeadProcesses}).
 */
function makeTempDir(): string {
  removeTempOfDeadProcesses();
  return fs.mkdtempSync(path.join(os.tmpdir(), `${TEMP_PREFIX}${process.pid}-`));
}

/**
 * Removes the temporary folders of graph files that processes no longer running left behind (one
 * killed while it took over the worker's graph, or loaded a graph where it could not write the index folder, leaves about 1.1 MB per 1k vectors); a folder of a
 * live process, or one whose owner cannot be told, is kept. Best effort: errors are ignored.
 */
export function removeTempOfDeadProcesses(tempDir = os.tmpdir()): void {
  for (const name of namesForCleanup(tempDir)) {
    const pid = Number(TEMP_NAME.exec(name)?.[1]);
    if (!Number.isSafeInteger(pid) || pid <= 0 || !processGone(pid)) continue;
    try {
      fs.rmSync(path.join(tempDir, name), { recursive: true, force: true });
    } catch {
      // left for the next time
    }
  }
}

/**
 * A temporary file for a graph in hnswlib's form, and how to delete it: beside `file` (an index's
 * graph file: the same disk as the index, and a name whose file the index's next commit removes
 * should this process be killed meanwhile; store.ts `tempPathFor`) or, where that folder cannot
 * be written (a reader's), in a folder of the system's temporary folder ({@link makeTempDir}).
 */
function graphTemp(file: string, beside = true): { temp: string; remove: () => void } {
  if (beside) {
    const temp = tempPathFor(file);
    try {
      fs.closeSync(fs.openSync(temp, 'wx'));
      return { temp, remove: () => removeBestEffort(temp) };
    } catch {
      // not writable here: the system's temporary folder
    }
  }
  const dir = makeTempDir();
  return { temp: path.join(dir, 'graph.hnsw'), remove: () => removeDirBestEffort(dir) };
}

/**
 * Runs `use` with the path of a {@link graphTemp} for `file`, deleting it afterwards; where `use`
 * fails there for a reason other than damage (no room left on the index's disk), once more with
 * one in the system's temporary folder.
 */
function withGraphTemp<T>(file: string, use: (filePath: string) => T): T {
  let failure: unknown;
  for (const beside of [true, false]) {
    let temp: { temp: string; remove: () => void };
    try {
      temp = graphTemp(file, beside);
    } catch (error) {
      failure ??= error;
      continue;
    }
    try {
      return use(temp.temp);
    } catch (error) {
      if (error instanceof IndexCorruptError) throw error;
      failure ??= error;
    } finally {
      temp.remove();
    }
  }
  throw failure;
}

/** Deletes a temporary folder; one that cannot be deleted now is left to {@link removeTempOfDeadProcesses}. */
function removeDirBestEffort(dir: string): void {
  try {
    fs.rmSync(dir, { recursive: true, force: true });
  } catch {
    // left for later
  }
}

/** Runs `use` with the path of a fresh temporary file, deleting it afterwards. */
function withTempFile<T>(use: (filePath: string) => T): T {
  const dir = makeTempDir();
  try {
    return use(path.join(dir, 'graph.hnsw'));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The bytes of the first `length` elements of a typed array, without copying. */
function bytesOf(array: Float32Array | Uint32Array, length: number): Uint8Array {
  return new Uint8Array(array.buffer, array.byteOffset, length * array.BYTES_PER_ELEMENT);
}

function checkLabel(label: number): void {
  if (!Number.isInteger(label) || label < 0 || label > 0xffffffff) throw new RangeError(`vector label must be a uint32, got ${label}`);
}

function checkPositiveInteger(name: string, value: number): void {
  if (!Number.isInteger(value) || value <= 0) throw new RangeError(`${name} must be a positive integer, got ${value}`);
}
