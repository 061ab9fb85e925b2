/**
 * The graph file that hnswlib writes (hnswalg.h `saveIndex`), as the vector index checks it before
 * it scans or loads one: its layout, its length and its checksum (checksum.ts); apart from the vector index itself
 * (vector-index.ts), and from hnswlib.
 */
import * as fs from 'node:fs';
import { Checksummer, type ChecksumKind } from './checksum';
import { errnoCode, IndexCorruptError } from './errors';
import { openRegularFile } from './store';
import type { Steps } from '../time-slice';

/** How error messages name what is checked here (the vector index's graph). */
const FILE_LABEL = 'vector index';

/** Bytes of the header hnswlib writes before its node data (hnswalg.h `saveIndex`). */
export const HNSW_HEADER_BYTES = 96;
/** The block size in which a graph file is read to check its checksum. */
const HASH_BLOCK_BYTES = 1 << 20;

/** Where the parts of a node are in an hnswlib graph file: nodes of `bytesPerNode` bytes from byte 96, the vector and the label at these offsets in each. */
export interface NodeLayout {
  count: number;
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

/**
 * Reads a graph file written by hnswlib, open as `fd`, in blocks: its length and checksums
 * (`kinds`: 'write' for a writer's, or the one kind a reader checks; see checksum.ts), after
 * checking its layout (see {@link checkHnswLayout}), which it returns too. Throws {@link IndexCorruptError} for a
 * damaged or truncated file.
 */
export function* checkGraphFile(fd: number, dimension: number, kinds: 'write' | ChecksumKind): Steps<{ bytes: number; checksums: Checksummer; layout: NodeLayout }> {
  const length = fs.fstatSync(fd).size;
  const readAt = (start: number, count: number): Buffer => {
    const buffer = Buffer.alloc(count);
    for (let read = 0; read < count; ) {
      const n = fs.readSync(fd, buffer, read, count - read, start + read);
      if (n === 0) throw new IndexCorruptError(`${FILE_LABEL} graph file is truncated`);
      read += n;
    }
    return buffer;
  };
  const layout = checkHnswLayout(readAt(0, Math.min(length, HNSW_HEADER_BYTES)), length, dimension, (start) => readAt(start, length - start));
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
 * Checks the layout of a file written by hnswlib (hnswalg.h `saveIndex`) of `length` bytes: the
 * `header`'s sizes against the expected dimension, then the per-node link lists that follow the
 * node data (`tailFrom(offset)` gives the file's bytes from that offset to its end) up to the
 * exact end of the file, as the native loader would read them. A file that passes cannot make the
 * loader misread its structure; damage inside the graph's contents is caught by the checksum.
 * Returns where the nodes' parts are.
 */
export function checkHnswLayout(header: Buffer, length: number, dimension: number, tailFrom: (offset: number) => Buffer): NodeLayout {
  const damaged = (what: string) => new IndexCorruptError(`${FILE_LABEL} graph ${what}`);
  if (header.length < HNSW_HEADER_BYTES || length < HNSW_HEADER_BYTES) throw damaged('is truncated');
  const sizeT = (offset: number): number => Number(header.readBigUInt64LE(offset));
  const [maxElements, count, bytesPerNode, labelOffset, dataOffset] = [8, 16, 24, 32, 40].map(sizeT) as [number, number, number, number, number];
  if (labelOffset - dataOffset !== dimension * 4) throw damaged(`does not hold vectors of dimension ${dimension}`);
  if (count > maxElements || labelOffset + 8 > bytesPerNode) throw damaged('has an inconsistent header');
  const linksStart = HNSW_HEADER_BYTES + count * bytesPerNode;
  if (!(linksStart + 4 * count <= length)) throw damaged('is truncated or has trailing bytes');
  const tail = tailFrom(linksStart);
  let offset = 0;
  let node = 0;
  for (; node < count && offset + 4 <= tail.length; node++) offset += 4 + tail.readUInt32LE(offset);
  if (node !== count || offset !== tail.length) throw damaged('is truncated or has trailing bytes');
  return { count, bytesPerNode, dataOffset, labelOffset };
}
