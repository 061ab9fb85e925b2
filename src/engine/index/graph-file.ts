/**
 * The graph file, as the vector index checks it before it scans or loads one: its layout, its
 * length and its checksum (checksum.ts); apart from the vector index itself (vector-index.ts), and
 * from hnswlib. Two forms:
 * - 'float32': the file hnswlib writes (hnswalg.h `saveIndex`): a 96-byte header, then the nodes
 *   (each: its level-0 links, its vector in float32, its label), then each node's upper-level links.
 *   Index format 2 stored it so; hnswlib still writes and reads it, through a temporary file.
 * - 'int8' (index format 3): the same bytes with each vector replaced by a scale (float32) and one
 *   int8 code a component (int8.ts), behind an 8-byte prefix ('CSGQ', version 1). At 256
 *   dimensions and 12 links a node is 368 bytes instead of 1,132. A vector is stored as its
 *   stored form (int8.ts {@link quantizeUnit}): the graph's
 *   vectors are unit vectors, and those the model gave came through the embedding cache already
 *   in int8, so their codes are kept exactly and their values to float32 rounding.
 * {@link writeInt8Graph} turns hnswlib's file into the int8 form; {@link expandGraph} gives
 * hnswlib its own form back to read.
 */
import * as fs from 'node:fs';
import { Checksummer, type ChecksumKind } from './checksum';
import { errnoCode, IndexCorruptError } from './errors';
import { dequantize, quantizeUnit, toInt8Unit } from './int8';
import { readExactly } from './bytes';
import { openRegularFile } from './store';
import type { Steps } from '../time-slice';

/** How error messages name what is checked here (the vector index's graph). */
const FILE_LABEL = 'vector index';

/** Bytes of the header hnswlib writes before its node data (hnswalg.h `saveIndex`). */
export const HNSW_HEADER_BYTES = 96;
const INT8_MAGIC = 0x51475343; // 'CSGQ'
const INT8_VERSION = 1;
/** The prefix of a graph file in int8 before hnswlib's header: magic and version. */
const INT8_PREFIX_BYTES = 8;
/** The block size in which a graph file is read to check its checksum. */
const HASH_BLOCK_BYTES = 1 << 20;
/** About the size of the blocks (whole nodes) in which a graph file is converted from one form to the other. */
const CONVERT_BLOCK_BYTES = 4 << 20;

/** How a graph file holds its vectors: as hnswlib writes them, or in int8 (see above). */
export type GraphVectors = 'float32' | 'int8';

/** The bytes of a graph file's header in each form (for 'int8', its prefix and hnswlib's header). */
export function graphHeaderBytes(vectors: GraphVectors): number {
  return vectors === 'int8' ? INT8_PREFIX_BYTES + HNSW_HEADER_BYTES : HNSW_HEADER_BYTES;
}

/**
 * Where the parts of a node are in a graph file: `count` nodes of `bytesPerNode` bytes from byte
 * `nodesStart`; in each, the vector at `dataOffset` (float32 components; in int8, the scale and
 * then the codes) and the label (u64) at `labelOffset`.
 */
export interface NodeLayout {
  vectors: GraphVectors;
  count: number;
  nodesStart: number;
  bytesPerNode: number;
  dataOffset: number;
  labelOffset: number;
}

/** A graph file as `VectorIndex.writeGraph` wrote it: its length and SHA-256, which the vector file records, and the CRC-32 the manifest records where the runtime computed one. */
export interface GraphDigest {
  bytes: number;
  sha256: Buffer;
  crc32?: number;
}

/** Opens a graph file for reading; a missing or unreadable one is a damaged index. */
export function openGraphFile(filePath: string): number {
  try {
    return openRegularFile(filePath);
  } catch (error) {
    throw new IndexCorruptError(`${FILE_LABEL} graph file cannot be opened (${errnoCode(error) ?? (error as Error).message})`);
  }
}

/** The label {@link readExactly} gives a graph file that ends too soon. */
const GRAPH_FILE = `${FILE_LABEL} graph file`;

/** Writes all of `bytes` to the file open as `fd`, at its current position. */
function writeAll(fd: number, bytes: Uint8Array): void {
  for (let written = 0; written < bytes.length; ) written += fs.writeSync(fd, bytes, written, bytes.length - written);
}

/** Checks the layout of the graph file open as `fd`, of `length` bytes, in the form `vectors` (see {@link checkHnswLayout}). */
export function checkLayoutOf(fd: number, length: number, dimension: number, vectors: GraphVectors): NodeLayout {
  const readAt = (start: number, count: number): Buffer => readExactly(fd, Buffer.alloc(count), count, start, GRAPH_FILE);
  return checkHnswLayout(readAt(0, Math.min(length, graphHeaderBytes(vectors))), length, dimension, (start) => readAt(start, length - start), vectors);
}

/**
 * Reads a graph file in the form `vectors`, open as `fd`, in blocks: its length and checksums
 * (`kinds`: 'write' for a writer's, or the one kind a reader checks; see checksum.ts), after
 * checking its layout (see {@link checkHnswLayout}), which it returns too. Throws {@link IndexCorruptError} for a
 * damaged or truncated file.
 */
export function* checkGraphFile(fd: number, dimension: number, kinds: 'write' | ChecksumKind, vectors: GraphVectors = 'float32'): Steps<{ bytes: number; checksums: Checksummer; layout: NodeLayout }> {
  const length = fs.fstatSync(fd).size;
  const layout = checkLayoutOf(fd, length, dimension, vectors);
  const hash = new Checksummer(kinds);
  const block = Buffer.allocUnsafe(HASH_BLOCK_BYTES);
  let hashed = 0;
  for (let read = fs.readSync(fd, block, 0, block.length, 0); read > 0; read = fs.readSync(fd, block, 0, block.length, hashed)) {
    hash.update(block.subarray(0, read));
    hashed += read;
    yield;
  }
  if (hashed !== length) throw new IndexCorruptError(`${FILE_LABEL} graph file changed while it was read`);
  return { bytes: length, checksums: hash, layout };
}

/**
 * Checks the layout of a graph file of `length` bytes in the form `vectors`: for 'int8', its
 * prefix; then the sizes in hnswlib's header (hnswalg.h `saveIndex`) against the expected
 * dimension, then the per-node link lists that follow the node data (`tailFrom(offset)` gives the
 * file's bytes from that offset to its end) up to the exact end of the file, as the native loader
 * would read them. `header` is the file's first {@link graphHeaderBytes} bytes (fewer for a
 * shorter file). A file that passes cannot make the loader misread its structure (nor, in int8,
 * {@link expandGraph}); damage inside the graph's contents is caught by the checksum.
 * Returns where the nodes' parts are in the file.
 */
export function checkHnswLayout(header: Buffer, length: number, dimension: number, tailFrom: (offset: number) => Buffer, vectors: GraphVectors = 'float32'): NodeLayout {
  const damaged = (what: string) => new IndexCorruptError(`${FILE_LABEL} graph ${what}`);
  const headerBytes = graphHeaderBytes(vectors);
  if (header.length < headerBytes || length < headerBytes) throw damaged('is truncated');
  const prefix = headerBytes - HNSW_HEADER_BYTES;
  if (vectors === 'int8' && (header.readUInt32LE(0) !== INT8_MAGIC || header.readUInt32LE(4) !== INT8_VERSION)) throw damaged('file is not a graph in int8 of this version');
  const sizeT = (offset: number): number => Number(header.readBigUInt64LE(prefix + offset));
  const [levelZeroOffset, maxElements, count, hnswBytesPerNode, hnswLabelOffset, dataOffset] = [0, 8, 16, 24, 32, 40].map(sizeT) as [number, number, number, number, number, number];
  const entryPoint = header.readUInt32LE(prefix + 52);
  const maxM0 = sizeT(64);
  if (hnswLabelOffset - dataOffset !== dimension * 4) throw damaged(`does not hold vectors of dimension ${dimension}`);
  // as hnswlib lays a node out: its level-0 links first (a count, then maxM0 ids, 4 bytes each;
  // the count is 16 bits), the vector, the label (8 bytes); the entry point one of the nodes
  if (
    levelZeroOffset !== 0 ||
    maxM0 > 0xffff ||
    dataOffset !== 4 + 4 * maxM0 ||
    hnswBytesPerNode !== hnswLabelOffset + 8 ||
    count > maxElements ||
    (count > 0 && entryPoint >= count)
  ) {
    throw damaged('has an inconsistent header');
  }
  // in int8, each node's vector (dimension × 4 bytes) is a scale (4 bytes) and the codes
  const shrink = vectors === 'int8' ? dimension * 4 - (4 + dimension) : 0;
  const bytesPerNode = hnswBytesPerNode - shrink;
  const linksStart = headerBytes + count * bytesPerNode;
  if (!(linksStart + 4 * count <= length)) throw damaged('is truncated or has trailing bytes');
  const tail = tailFrom(linksStart);
  let offset = 0;
  let node = 0;
  for (; node < count && offset + 4 <= tail.length; node++) offset += 4 + tail.readUInt32LE(offset);
  if (node !== count || offset !== tail.length) throw damaged('is truncated or has trailing bytes');
  return { vectors, count, nodesStart: headerBytes, bytesPerNode, dataOffset, labelOffset: hnswLabelOffset - shrink };
}

/**
 * Writes, to `target`, the graph file hnswlib wrote to `source` in the int8 form (see above),
 * and returns the digest of what it wrote. Throws {@link IndexCorruptError} when `source` is not a
 * whole graph file of this dimension (hnswlib reports no write errors: a full disk leaves it
 * short), and the write's own errors (a full disk, say) as they come.
 */
export function* writeInt8Graph(source: string, target: string, dimension: number): Steps<GraphDigest> {
  const from = openGraphFile(source);
  try {
    const layout = checkLayoutOf(from, fs.fstatSync(from).size, dimension, 'float32');
    const hash = new Checksummer('write');
    const bytes = yield* convertGraph(from, layout, 'int8', dimension, target, hash);
    const { sha256, crc32 } = hash.written();
    return { bytes, sha256: Buffer.from(sha256, 'hex'), ...(crc32 === undefined ? {} : { crc32 }) };
  } finally {
    fs.closeSync(from);
  }
}

/**
 * Writes, to `target`, the graph file open as `fd` (in either form, with the `layout` that
 * {@link checkGraphFile} found) in the form hnswlib reads, each vector in the stored form: an int8
 * one's codes times its scale; a float32 one (index format 2) through int8 ({@link quantizeUnit}),
 * as the index now stores it. The file must have been checked: only its layout is relied on here.
 */
export function* expandGraph(fd: number, layout: NodeLayout, dimension: number, target: string): Steps<void> {
  yield* convertGraph(fd, layout, 'float32', dimension, target);
}

/**
 * Writes the graph file open as `fd` (its layout `from`) to `target` in the form `to`, reading and
 * writing whole nodes a block at a time: the header (behind the int8 prefix in that form), each
 * node's level-0 links and label as they are and its vector in the stored form, then the upper-level
 * links as they are. Feeds what it writes to `hash`, when given; returns how many bytes it wrote.
 */
function* convertGraph(fd: number, from: NodeLayout, to: GraphVectors, dimension: number, target: string, hash?: Checksummer): Steps<number> {
  const out = fs.openSync(target, 'w');
  try {
    let written = 0;
    const emit = (part: Uint8Array): void => {
      writeAll(out, part);
      hash?.update(part);
      written += part.length;
    };
    if (to === 'int8') {
      const prefix = Buffer.alloc(INT8_PREFIX_BYTES);
      prefix.writeUInt32LE(INT8_MAGIC, 0);
      prefix.writeUInt32LE(INT8_VERSION, 4);
      emit(prefix);
    }
    emit(readExactly(fd, Buffer.alloc(HNSW_HEADER_BYTES), HNSW_HEADER_BYTES, from.nodesStart - HNSW_HEADER_BYTES, GRAPH_FILE));
    const { bytesPerNode, dataOffset, labelOffset, count, nodesStart } = from;
    // a node's vector: dimension × 4 bytes in float32, a scale and the codes in int8
    const vectorBytesIn = labelOffset - dataOffset;
    const vectorBytesOut = to === 'int8' ? 4 + dimension : 4 * dimension;
    const outPerNode = bytesPerNode - vectorBytesIn + vectorBytesOut;
    const nodesPerBlock = Math.max(1, Math.floor(CONVERT_BLOCK_BYTES / Math.max(bytesPerNode, outPerNode)));
    const block = Buffer.alloc(nodesPerBlock * bytesPerNode);
    const converted = Buffer.alloc(nodesPerBlock * outPerNode);
    const vector = new Float32Array(dimension);
    const vectorBytes = new Uint8Array(vector.buffer);
    const codes = new Int8Array(dimension);
    for (let first = 0; first < count; first += nodesPerBlock) {
      const nodes = Math.min(nodesPerBlock, count - first);
      readExactly(fd, block, nodes * bytesPerNode, nodesStart + first * bytesPerNode, GRAPH_FILE);
      for (let node = 0; node < nodes; node++) {
        const at = node * bytesPerNode;
        const put = node * outPerNode;
        converted.set(block.subarray(at, at + dataOffset), put); // the level-0 links
        // the vector as float32, in the stored form
        if (from.vectors === 'int8') {
          dequantize(block.readFloatLE(at + dataOffset), new Int8Array(block.buffer, block.byteOffset + at + dataOffset + 4, dimension), vector);
        } else {
          vectorBytes.set(block.subarray(at + dataOffset, at + labelOffset)); // copied: the block's floats need not be aligned
          if (to === 'float32') toInt8Unit(vector, codes);
        }
        if (to === 'int8') {
          converted.writeFloatLE(quantizeUnit(vector, new Int8Array(converted.buffer, converted.byteOffset + put + dataOffset + 4, dimension)), put + dataOffset);
        } else {
          converted.set(vectorBytes, put + dataOffset);
        }
        converted.set(block.subarray(at + labelOffset, at + bytesPerNode), put + dataOffset + vectorBytesOut); // the label and what follows it
      }
      emit(converted.subarray(0, nodes * outPerNode));
      yield;
    }
    const length = fs.fstatSync(fd).size;
    for (let start = nodesStart + count * bytesPerNode; start < length; start += block.length) {
      emit(readExactly(fd, block, Math.min(block.length, length - start), start, GRAPH_FILE));
      yield;
    }
    return written;
  } finally {
    fs.closeSync(out);
  }
}
