/**
 * The checksums of an index's data files, as the manifest records them (store.ts) and the readers
 * check them.
 *
 * Every file has a SHA-256. Where the runtime has `zlib.crc32` (Node 20.15 and later 20.x, 22.2 and
 * later; the Electron of VS Code 1.96 and later), a writer records the file's CRC-32 beside it, and a reader that has
 * `zlib.crc32` too checks that instead: it finds the same damage (a torn write, a truncated or
 * overwritten file, flipped bits) at about three times the speed, which is most of the cost of
 * opening an index from a new process (133 MB of graph: 78 ms of SHA-256, 25 ms of CRC-32).
 * The checksums guard against damage, not against someone who edits the files on purpose.
 * A reader without `zlib.crc32`, or a manifest written without one, uses the SHA-256.
 */
import { createHash, type Hash } from 'node:crypto';
import { fstatSync, readSync } from 'node:fs';
import * as zlib from 'node:zlib';

/** `zlib.crc32`, or undefined where this runtime lacks it. */
const zlibCrc32: ((data: Uint8Array, value?: number) => number) | undefined =
  typeof (zlib as { crc32?: unknown }).crc32 === 'function' ? (zlib as unknown as { crc32(data: Uint8Array, value?: number): number }).crc32 : undefined;

/** Which checksum a reader checks: the CRC-32 where it has one to check against, else the SHA-256. */
export type ChecksumKind = 'crc32' | 'sha256';

/** What a writer records of a file: its SHA-256 (lowercase hex), and its CRC-32 where the runtime computes one. */
export interface Checksums {
  sha256: string;
  crc32?: number;
}

/** What a reader computed of a file: the checksum of the one kind it checks. */
export type Computed = { kind: 'crc32'; crc32: number } | { kind: 'sha256'; sha256: string };

/**
 * The kind a reader checks for a file recorded with `recorded` (its manifest entry, or nothing yet
 * known: then the CRC-32 where it can, as a worker reading ahead of the manifest does). `crc32Works`
 * is whether this runtime computes CRC-32s; a parameter so that tests can take either path.
 */
export function kindToCheck(recorded: { crc32?: number } | undefined, crc32Works = zlibCrc32 !== undefined): ChecksumKind {
  return crc32Works && (recorded === undefined || recorded.crc32 !== undefined) ? 'crc32' : 'sha256';
}

/** Whether `value` is a CRC-32 as the manifest records one: an integer from 0 to 2³² − 1. */
export function isCrc32(value: unknown): value is number {
  return Number.isInteger(value) && (value as number) >= 0 && (value as number) <= 0xffffffff;
}

/** Whether `computed` is the checksum `recorded` lists for it. */
export function matches(computed: Computed, recorded: Checksums): boolean {
  return computed.kind === 'crc32' ? computed.crc32 === recorded.crc32 : computed.sha256 === recorded.sha256;
}

/** Computes the checksums of bytes fed block by block: for a writer both it can, for a reader the one {@link kindToCheck} chose. */
export class Checksummer {
  private readonly hash: Hash | undefined;
  private crc: number | undefined;

  /** `kinds`: 'write' for every checksum this runtime computes, or the one kind a reader checks. */
  constructor(kinds: 'write' | ChecksumKind, crc32Works = zlibCrc32 !== undefined) {
    if (kinds === 'crc32' && !crc32Works) throw new Error('this runtime has no zlib.crc32');
    this.hash = kinds === 'crc32' ? undefined : createHash('sha256');
    this.crc = kinds !== 'sha256' && crc32Works ? 0 : undefined;
  }

  update(block: Uint8Array): this {
    this.hash?.update(block);
    if (this.crc !== undefined) this.crc = zlibCrc32!(block, this.crc);
    return this;
  }

  /** What a writer records: the SHA-256 and, where computed, the CRC-32. Only for a checksummer made with 'write'. */
  written(): Checksums {
    if (this.hash === undefined) throw new Error('a checksummer for reading computes no SHA-256 to record');
    return this.crc === undefined ? { sha256: this.hash.digest('hex') } : { sha256: this.hash.digest('hex'), crc32: this.crc };
  }

  /** What a reader checks: the CRC-32 where it was computed, else the SHA-256. */
  computed(): Computed {
    if (this.crc !== undefined && this.hash === undefined) return { kind: 'crc32', crc32: this.crc };
    if (this.hash === undefined) throw new Error('nothing was computed');
    return { kind: 'sha256', sha256: this.hash.digest('hex') };
  }
}

/** The checksum of `kind` of bytes already in memory. */
export function compute(data: Uint8Array, kind: ChecksumKind, crc32Works = zlibCrc32 !== undefined): Computed {
  return new Checksummer(kind, crc32Works).update(data).computed();
}

/** The block {@link readChecksummed} reads and checksums at a time: well inside a processor's L2 cache. */
const READ_BLOCK = 256 * 1024;

/**
 * The bytes of the open file `fd` from its start to its end, with their checksum of `kind`, each
 * block checksummed as soon as it is read, while it is still in the processor's cache. Reading a
 * file whole and then checksumming it reads its bytes from memory a second time: for the 50 MB
 * a CLI query reads at 100k functions, a CRC-32 pass of 85 ms after reading against about 10 ms
 * in blocks (BENCHMARKS.md). A file that grows while it is read is read to its new end.
 *
 * With `keep`, only the first `keep` bytes are kept (fewer if the file is shorter); the rest is
 * read through one block, reused, and checksummed all the same: `size` is how many bytes the
 * checksum covers. Memory the process has never used costs more to fill than to read into (at
 * 100k functions, the 25 MB of postings a query leaves in the file: BENCHMARKS.md).
 */
export function readChecksummed(fd: number, kind: ChecksumKind, keep?: number, crc32Works = zlibCrc32 !== undefined): { bytes: Buffer; checksum: Computed; size: number } {
  const checksum = new Checksummer(kind, crc32Works);
  const size = fstatSync(fd).size;
  let bytes = Buffer.allocUnsafe(keep === undefined ? size : Math.min(keep, size));
  let at = 0;
  // first what is kept, read into its place
  while (at < bytes.length) {
    const got = readSync(fd, bytes, at, Math.min(READ_BLOCK, bytes.length - at), at);
    if (got === 0) return { bytes: bytes.subarray(0, at), checksum: checksum.computed(), size: at }; // shorter than it was: what is there
    checksum.update(bytes.subarray(at, at + got));
    at += got;
  }
  // then the rest, to the end: through one block when it is not kept, else into a larger buffer
  const block = Buffer.allocUnsafe(READ_BLOCK);
  for (;;) {
    const got = readSync(fd, block, 0, READ_BLOCK, at);
    if (got === 0) break;
    checksum.update(block.subarray(0, got));
    if (keep === undefined || at < keep) {
      const kept = keep === undefined ? got : Math.min(got, keep - at);
      bytes = Buffer.concat([bytes, block.subarray(0, kept)]);
    }
    at += got;
  }
  return { bytes, checksum: checksum.computed(), size: at };
}
