/**
 * Nearest-neighbour search over embeddings by cosine similarity.
 *
 * Every vector is kept, normalised, in one contiguous Float32Array. Up to
 * `exactSearchMaxVectors` live vectors, search is an exact scan of that array, which at that
 * size is fast and always right. Above it, an HNSW graph (hnswlib-node) is built from the stored
 * vectors and then kept up to date; it is rebuilt from them on request when deletions pile up.
 *
 * hnswlib-node is fragile, and this class stands between it and the rest of the engine:
 * - a damaged graph file crashes the process inside the native loader, so the saved file
 *   carries a SHA-256 of the graph section that is verified before the loader sees it;
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
import { ByteReader } from './bytes';
import { IndexCorruptError, IndexVersionError } from './errors';
import { TopK } from './topk';

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
  /** HNSW: candidate list size while searching, raised to k when smaller (default 64) */
  efSearch?: number;
  /** {@link VectorIndex.needsGraphRebuild} turns true when more than this fraction of graph nodes are deleted (default 0.3) */
  rebuildDeletedRatio?: number;
  /** HNSW: seed of the level generator, for reproducible graphs (default 100) */
  randomSeed?: number;
}

/** A search result: the vector's label and its cosine similarity to the query. */
export interface VectorHit {
  label: number;
  score: number;
}

const MAGIC = 0x49565343; // 'CSVI'
const FORMAT_VERSION = 1;
const METRIC_COSINE = 1;
const FILE_LABEL = 'vector index';
/**
 * The file header: magic, format version, metric, dimension, vector count (u32 each), graph
 * length (u64) and graph SHA-256 (32 bytes); then labels (u32), vectors (f32) and the graph.
 */
const HEADER_BYTES = 60;
const INITIAL_CAPACITY = 1024;
/** Bytes of the header hnswlib writes before its node data (hnswalg.h `saveIndex`). */
const HNSW_HEADER_BYTES = 96;

export class VectorIndex {
  readonly dimension: number;
  private readonly exactSearchMaxVectors: number;
  private readonly m: number;
  private readonly efConstruction: number;
  private readonly efSearch: number;
  private readonly rebuildDeletedRatio: number;
  private readonly randomSeed: number;

  /** Live vectors, normalised, back to back: slot i occupies [i·dimension, (i+1)·dimension). */
  private vectors: Float32Array;
  private labelOf: Uint32Array;
  private readonly slotOf = new Map<number, number>();
  private graph: HierarchicalNSW | undefined;
  /** Labels marked deleted in the graph; hnswlib throws when one is deleted twice. */
  private readonly deletedInGraph = new Set<number>();

  constructor(options: VectorIndexOptions) {
    this.dimension = options.dimension;
    this.exactSearchMaxVectors = options.exactSearchMaxVectors ?? 20_000;
    this.m = options.m ?? 12;
    this.efConstruction = options.efConstruction ?? 64;
    this.efSearch = options.efSearch ?? 64;
    this.rebuildDeletedRatio = options.rebuildDeletedRatio ?? 0.3;
    this.randomSeed = options.randomSeed ?? 100;
    checkPositiveInteger('dimension', this.dimension);
    checkPositiveInteger('m', this.m);
    checkPositiveInteger('efConstruction', this.efConstruction);
    checkPositiveInteger('efSearch', this.efSearch);
    if (!(this.exactSearchMaxVectors >= 0)) throw new RangeError(`exactSearchMaxVectors must be ≥ 0, got ${this.exactSearchMaxVectors}`);
    if (!(this.rebuildDeletedRatio >= 0 && this.rebuildDeletedRatio <= 1)) {
      throw new RangeError(`rebuildDeletedRatio must be between 0 and 1, got ${this.rebuildDeletedRatio}`);
    }
    this.vectors = new Float32Array(INITIAL_CAPACITY * this.dimension);
    this.labelOf = new Uint32Array(INITIAL_CAPACITY);
  }

  /** The number of live vectors. */
  get size(): number {
    return this.slotOf.size;
  }

  has(label: number): boolean {
    return this.slotOf.has(label);
  }

  /** Whether an HNSW graph exists (it does whenever there are more than `exactSearchMaxVectors` vectors). */
  get hasGraph(): boolean {
    return this.graph !== undefined;
  }

  /** Whether so many graph nodes are deleted that {@link rebuildGraph} is worth its cost. */
  get needsGraphRebuild(): boolean {
    if (this.graph === undefined) return false;
    return this.deletedInGraph.size > this.rebuildDeletedRatio * this.graph.getCurrentCount();
  }

  /**
   * Adds a vector, or replaces the vector of a label already present. It is normalised;
   * a vector of the wrong dimension, with a NaN or infinite component, or of zero length throws.
   */
  add(label: number, vector: ArrayLike<number>): void {
    checkLabel(label);
    this.place(label, this.normalise(vector, `vector for label ${label}`));
  }

  /**
   * Adds back a vector as {@link getVector} gave it (already of unit length), bit for bit: a
   * change log restores vectors with it, so that a restored index searches as the one it recorded.
   */
  restore(label: number, unit: Float32Array): void {
    checkLabel(label);
    if (unit.length !== this.dimension || !unit.every(Number.isFinite)) throw new RangeError(`stored vector for label ${label} is malformed`);
    let squares = 0;
    for (const x of unit) squares += x * x;
    if (Math.abs(squares - 1) > 1e-3) throw new RangeError(`stored vector for label ${label} is not of unit length`);
    this.place(label, unit);
  }

  private place(label: number, unit: Float32Array): void {
    const inGraph = this.slotOf.has(label) || this.deletedInGraph.has(label);
    let slot = this.slotOf.get(label);
    if (slot === undefined) {
      slot = this.size;
      this.ensureCapacity(slot + 1);
      this.slotOf.set(label, slot);
      this.labelOf[slot] = label;
    }
    this.vectors.set(unit, slot * this.dimension);
    if (this.graph !== undefined) {
      this.addToGraph(label, unit, inGraph);
    } else if (this.size > this.exactSearchMaxVectors) {
      this.buildGraph();
    }
  }

  /** Removes a vector; returns false (and does nothing) when the label is absent. */
  remove(label: number): boolean {
    const slot = this.slotOf.get(label);
    if (slot === undefined) return false;
    const last = this.size - 1;
    if (slot !== last) {
      const moved = this.labelOf[last];
      this.vectors.copyWithin(slot * this.dimension, last * this.dimension, (last + 1) * this.dimension);
      this.labelOf[slot] = moved;
      this.slotOf.set(moved, slot);
    }
    this.slotOf.delete(label);
    if (this.graph !== undefined) {
      this.graph.markDelete(label);
      this.deletedInGraph.add(label);
    }
    return true;
  }

  /** A copy of the stored (normalised) vector of a label, e.g. to find code related to a chunk. */
  getVector(label: number): Float32Array | undefined {
    const slot = this.slotOf.get(label);
    return slot === undefined ? undefined : this.vectors.slice(slot * this.dimension, (slot + 1) * this.dimension);
  }

  /**
   * The `k` vectors most similar to the query, best first, with their cosine similarity.
   * Uses the graph above `exactSearchMaxVectors` vectors; if the graph finds fewer than `k`
   * (a selective filter, many deletions), the exact scan answers instead, so up to `k` results
   * come back whenever that many pass the filter. `filter` must be a pure function of the label.
   */
  search(query: ArrayLike<number>, k: number, filter?: (label: number) => boolean): VectorHit[] {
    if (this.graph === undefined || this.size <= this.exactSearchMaxVectors) return this.searchExact(query, k, filter);
    const wanted = Math.min(Math.floor(k), this.size);
    if (wanted <= 0) return [];
    const unit = this.normalise(query, 'query vector');
    const found = this.graph.searchKnn(Array.from(unit), wanted, filter);
    const hits: VectorHit[] = [];
    found.neighbors.forEach((label, i) => {
      if (this.slotOf.has(label)) hits.push({ label, score: 1 - found.distances[i] });
    });
    if (hits.length < wanted) return this.searchExact(query, k, filter);
    return hits.sort((a, b) => b.score - a.score || a.label - b.label);
  }

  /**
   * The exact `k` nearest vectors by a full scan, best first; ties go to the lower label.
   * `filter` is called only for vectors that would make the cut.
   */
  searchExact(query: ArrayLike<number>, k: number, filter?: (label: number) => boolean): VectorHit[] {
    const unit = this.normalise(query, 'query vector');
    // ties at the cut are all kept: the result then does not depend on labels (see TopK)
    const best = new TopK(Math.floor(k), true);
    for (let slot = 0; slot < this.size; slot++) {
      const score = dot(this.vectors, slot * this.dimension, unit);
      const label = this.labelOf[slot];
      if (best.admits(label, score) && (filter === undefined || filter(label))) best.push(label, score);
    }
    return best.sorted().map(({ id, score }) => ({ label: id, score }));
  }

  /**
   * Rebuilds the graph from the stored vectors, dropping deleted nodes; or drops the graph when
   * there are no longer more than `exactSearchMaxVectors` vectors. Takes as long as building
   * the graph from scratch.
   */
  rebuildGraph(): void {
    this.graph = undefined;
    this.deletedInGraph.clear();
    if (this.size > this.exactSearchMaxVectors) this.buildGraph();
  }

  /**
   * Writes the index to a file: a header, the labels, the vectors, and the graph if there is
   * one, with the graph's SHA-256 in the header. Not atomic by itself: commit it through
   * `commitGeneration` (store.ts).
   */
  save(filePath: string): void {
    const graphBytes = this.graph === undefined ? Buffer.alloc(0) : this.graphBytes(this.graph);
    const header = Buffer.alloc(HEADER_BYTES);
    header.writeUInt32LE(MAGIC, 0);
    header.writeUInt32LE(FORMAT_VERSION, 4);
    header.writeUInt32LE(METRIC_COSINE, 8);
    header.writeUInt32LE(this.dimension, 12);
    header.writeUInt32LE(this.size, 16);
    header.writeBigUInt64LE(BigInt(graphBytes.length), 20);
    if (graphBytes.length > 0) createHash('sha256').update(graphBytes).digest().copy(header, 28);
    const fd = fs.openSync(filePath, 'w');
    try {
      for (const part of [header, bytesOf(this.labelOf, this.size), bytesOf(this.vectors, this.size * this.dimension), graphBytes]) {
        for (let written = 0; written < part.length; ) written += fs.writeSync(fd, part, written);
      }
    } finally {
      fs.closeSync(fd);
    }
  }

  /**
   * Reads an index written by {@link save}. Throws {@link IndexCorruptError} when the file is
   * damaged or was written for another dimension, and {@link IndexVersionError} for another
   * format version; the graph is checked before hnswlib loads it. The graph is only loaded when
   * the options call for one (more than `exactSearchMaxVectors` vectors), and built here if the
   * file has none.
   */
  static load(filePath: string, options: VectorIndexOptions): VectorIndex {
    return VectorIndex.fromBytes(fs.readFileSync(filePath), options);
  }

  /** {@link load} from the file's bytes, already read (and verified) by the caller. */
  static fromBytes(bytes: Buffer, options: VectorIndexOptions): VectorIndex {
    const index = new VectorIndex(options);
    const reader = new ByteReader(bytes, FILE_LABEL);
    if (reader.u32() !== MAGIC) throw new IndexCorruptError(`${FILE_LABEL} has an unknown file signature`);
    const version = reader.u32();
    if (version !== FORMAT_VERSION) throw new IndexVersionError(version, FORMAT_VERSION);
    if (reader.u32() !== METRIC_COSINE) throw new IndexCorruptError(`${FILE_LABEL} uses an unknown metric`);
    const dimension = reader.u32();
    if (dimension !== index.dimension) {
      throw new IndexCorruptError(`${FILE_LABEL} holds vectors of dimension ${dimension}, expected ${index.dimension}`);
    }
    const count = reader.u32();
    const graphLength = reader.u64();
    const graphSha256 = reader.bytes(32);
    index.ensureCapacity(count);
    index.labelOf.set(reader.uint32s(count));
    reader.float32s(count * dimension, index.vectors.subarray(0, count * dimension));
    for (let slot = 0; slot < count; slot++) {
      if (index.slotOf.has(index.labelOf[slot])) throw new IndexCorruptError(`${FILE_LABEL} lists label ${index.labelOf[slot]} twice`);
      index.slotOf.set(index.labelOf[slot], slot);
    }
    const graphBytes = reader.bytes(graphLength);
    reader.end();
    if (index.size <= index.exactSearchMaxVectors) return index;
    if (graphLength === 0) {
      index.buildGraph();
    } else {
      if (!createHash('sha256').update(graphBytes).digest().equals(graphSha256)) throw new IndexCorruptError(`${FILE_LABEL} graph checksum mismatch`);
      index.loadGraph(graphBytes);
    }
    return index;
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
    return Float32Array.from({ length: this.dimension }, (_, j) => vector[j] / norm);
  }

  /** Grows the vector store (doubling) to hold at least `slots` vectors. */
  private ensureCapacity(slots: number): void {
    if (slots <= this.labelOf.length) return;
    let capacity = this.labelOf.length;
    while (capacity < slots) capacity *= 2;
    const vectors = new Float32Array(capacity * this.dimension);
    vectors.set(this.vectors.subarray(0, this.size * this.dimension));
    const labels = new Uint32Array(capacity);
    labels.set(this.labelOf.subarray(0, this.size));
    this.vectors = vectors;
    this.labelOf = labels;
  }

  private buildGraph(): void {
    const graph = new HierarchicalNSW('cosine', this.dimension);
    graph.initIndex({
      maxElements: Math.max(INITIAL_CAPACITY, Math.ceil(this.size * 1.5)),
      m: this.m,
      efConstruction: this.efConstruction,
      randomSeed: this.randomSeed,
    });
    graph.setEf(this.efSearch);
    this.graph = graph;
    this.deletedInGraph.clear();
    for (let slot = 0; slot < this.size; slot++) {
      this.addToGraph(this.labelOf[slot], this.vectors.subarray(slot * this.dimension, (slot + 1) * this.dimension), false);
    }
  }

  /**
   * Inserts a graph node, or updates one already `inGraph` (hnswlib un-deletes it if it was
   * deleted); a new node first doubles the graph's capacity when it is full.
   */
  private addToGraph(label: number, unit: Float32Array, inGraph: boolean): void {
    const graph = this.graph!;
    if (!inGraph && graph.getCurrentCount() >= graph.getMaxElements()) graph.resizeIndex(graph.getMaxElements() * 2);
    graph.addPoint(Array.from(unit), label);
    this.deletedInGraph.delete(label);
  }

  /** The graph as hnswlib writes it, checked, since its writer does not report errors (a full disk). */
  private graphBytes(graph: HierarchicalNSW): Buffer {
    const bytes = withTempFile((temp) => {
      graph.writeIndexSync(temp);
      return fs.readFileSync(temp);
    });
    checkHnswLayout(bytes, this.dimension);
    return bytes;
  }

  /** Loads a graph section whose checksum has been verified, after checking it matches this index. */
  private loadGraph(graphBytes: Buffer): void {
    checkHnswLayout(graphBytes, this.dimension);
    const graph = new HierarchicalNSW('cosine', this.dimension);
    withTempFile((temp) => {
      fs.writeFileSync(temp, graphBytes);
      graph.readIndexSync(temp);
    });
    graph.setEf(this.efSearch);
    const graphLabels = graph.getIdsList();
    if (graphLabels.length !== graph.getCurrentCount()) throw new IndexCorruptError(`${FILE_LABEL} graph has an inconsistent label table`);
    const inGraph = new Set(graphLabels);
    for (const label of this.slotOf.keys()) {
      if (!inGraph.has(label)) throw new IndexCorruptError(`${FILE_LABEL} graph lacks label ${label}`);
    }
    for (const label of graphLabels) if (!this.slotOf.has(label)) this.deletedInGraph.add(label);
    this.graph = graph;
  }
}

/**
 * Checks the layout of a file written by hnswlib (hnswalg.h `saveIndex`): the header's sizes
 * against the expected dimension, then the per-node link lists up to the exact end of the data,
 * as the native loader would. A file that passes cannot make the loader misread its structure;
 * damage inside the graph's contents is caught by the checksum.
 */
function checkHnswLayout(bytes: Buffer, dimension: number): void {
  const damaged = (what: string) => new IndexCorruptError(`${FILE_LABEL} graph ${what}`);
  if (bytes.length < HNSW_HEADER_BYTES) throw damaged('is truncated');
  const sizeT = (offset: number): number => Number(bytes.readBigUInt64LE(offset));
  const [maxElements, count, bytesPerNode, labelOffset, dataOffset] = [8, 16, 24, 32, 40].map(sizeT) as [number, number, number, number, number];
  if (labelOffset - dataOffset !== dimension * 4) throw damaged(`does not hold vectors of dimension ${dimension}`);
  if (count > maxElements || labelOffset + 8 > bytesPerNode) throw damaged('has an inconsistent header');
  let offset = HNSW_HEADER_BYTES + count * bytesPerNode;
  let node = 0;
  for (; node < count && offset + 4 <= bytes.length; node++) offset += 4 + bytes.readUInt32LE(offset);
  if (node !== count || offset !== bytes.length) throw damaged('is truncated or has trailing bytes');
}

/**
 * The dot product of `query` with the vector starting at `offset` in `vectors`. Four running
 * sums break the dependency chain of one sum, which makes the exact scan about 1.5× faster.
 */
function dot(vectors: Float32Array, offset: number, query: Float32Array): number {
  const length = query.length;
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let j = 0;
  for (; j + 3 < length; j += 4) {
    s0 += vectors[offset + j] * query[j];
    s1 += vectors[offset + j + 1] * query[j + 1];
    s2 += vectors[offset + j + 2] * query[j + 2];
    s3 += vectors[offset + j + 3] * query[j + 3];
  }
  for (; j < length; j++) s0 += vectors[offset + j] * query[j];
  return s0 + s1 + s2 + s3;
}

/** Runs `use` with the path of a fresh temporary file, deleting it afterwards. */
function withTempFile<T>(use: (filePath: string) => T): T {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'codescout-hnsw-'));
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
