/**
 * An append-only file of embeddings keyed by a hash of (model, text), so unchanged chunks are
 * never embedded twice and an interrupted indexing run keeps what it already computed.
 *
 * File layout (little-endian):
 *   header  magic 'CSEC' u32 | format version u32 | dimension u32 | key bytes u32
 *   record  key (32 bytes) | vector (dimension × float32) | checksum u32
 * The checksum is the first 4 bytes of SHA-256(key ‖ vector). SHA-256 rather than CRC-32
 * because `zlib.crc32` needs Node 20.15, newer than the Node inside some supported VS Code builds.
 *
 * Opening checks the file and takes it for writing; its records are read on first use (a lookup,
 * a put, {@link EmbeddingCache.size}, {@link EmbeddingCache.recovery}), so that opening an index
 * to search it does not read the cache, which only refreshes need (at 4,500 vectors reading it
 * takes 80–250 ms; it grows with the index).
 *
 * When the records are read, a partial or damaged tail (a run killed mid-write) is cut off, and damaged records
 * elsewhere are skipped (and dropped by the next {@link EmbeddingCache.compact}). A file with
 * another dimension, key size or format is started afresh: it is only a cache. Something other
 * than a file in its place (a folder, a named pipe) is refused with `NotAFileError`, never read.
 * One process writes a cache file at a time.
 */

import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { openRegularFile, readRegularFile, writeFileAtomic } from './store';

/** The size of a cache key: a SHA-256 digest. */
export const EMBEDDING_KEY_BYTES = 32;

const MAGIC = 0x43455343; // 'CSEC'
const FORMAT_VERSION = 1;
const HEADER_BYTES = 16;
const CHECKSUM_BYTES = 4;
/** How much of the file {@link EmbeddingCache.getMany} reads at a time when it searches without reading the records. */
const SEARCH_BLOCK_BYTES = 4 * 1024 * 1024;

/** The cache key of a text embedded by a model: SHA-256(model id, NUL, text). */
export function embeddingKey(modelId: string, text: string): Buffer {
  return crypto.createHash('sha256').update(modelId).update('\0').update(text).digest();
}

/** What {@link EmbeddingCache.open} had to discard. */
export interface CacheRecovery {
  /** bytes cut from the end of the file: a partial or damaged tail */
  truncatedBytes: number;
  /** complete records skipped because their checksum did not match */
  corruptRecords: number;
  /** whether the file was unreadable as a cache (other format or dimension) and started afresh */
  reset: boolean;
}

/** Embeddings of one dimension, in memory and appended to a file. */
export class EmbeddingCache {
  private readonly recordBytes: number;
  /** All vectors, back to back, in the order of their records. */
  private vectors: Float32Array;
  private readonly slotOf = new Map<string, number>();
  private pending: Buffer[] = [];
  /** The length of the file's valid content; appends go here. */
  private fileBytes = 0;
  private fd: number | undefined;
  /** What reading the records discarded; undefined until they are read. */
  private loaded: CacheRecovery | undefined;
  /** Vectors put while the records were unread (also in `pending` until flushed); merged in when they are read. */
  private readonly unreadPuts = new Map<string, Float32Array>();
  /** Whether {@link getMany} has searched the file once without reading it: a second time, it reads it. */
  private searched = false;

  private constructor(
    readonly filePath: string,
    readonly dimension: number,
  ) {
    this.recordBytes = EMBEDDING_KEY_BYTES + dimension * 4 + CHECKSUM_BYTES;
    this.vectors = new Float32Array(dimension * 1024);
    // What opening must find out at once: something other than a file in the way (NotAFileError),
    // and a file or folder that cannot be written (the index is then opened read-only).
    try {
      fs.closeSync(openRegularFile(filePath));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      this.startFile();
      this.loaded = { truncatedBytes: 0, corruptRecords: 0, reset: false };
    }
    this.fd = fs.openSync(filePath, 'r+');
  }

  /** What was discarded when the records were read (reads them if they were not yet). */
  get recovery(): CacheRecovery {
    return this.records();
  }

  /** Opens the cache file, creating it (and its folder) if needed and recovering from a damaged tail. */
  static open(filePath: string, dimension: number): EmbeddingCache {
    if (!Number.isInteger(dimension) || dimension <= 0) throw new RangeError(`embedding dimension must be a positive integer, got ${dimension}`);
    return new EmbeddingCache(filePath, dimension);
  }

  /** The number of cached vectors. */
  get size(): number {
    this.records();
    return this.slotOf.size;
  }

  /**
   * At least {@link size}, without reading the records if they were not read yet: what the file's
   * length could hold (damaged and repeated records counted too). Lets a caller decide that no
   * compaction is due without paying for reading a large cache.
   */
  get sizeBound(): number {
    if (this.loaded) return this.slotOf.size;
    this.checkOpen();
    return Math.floor(Math.max(0, fs.fstatSync(this.fd!).size - HEADER_BYTES) / this.recordBytes) + this.pending.length;
  }

  has(key: Uint8Array): boolean {
    this.records();
    return this.slotOf.has(keyString(key));
  }

  /**
   * Copies of the cached vectors of `keys`, in order (undefined where none is cached). The first
   * time, while the records are unread, the file is searched for the keys instead of read into
   * memory: a refresh that saves one file then looks up its chunks without reading a cache of a
   * hundred thousand vectors. A second call reads the records, as any other lookup does.
   */
  getMany(keys: readonly Uint8Array[]): (Float32Array | undefined)[] {
    this.checkOpen();
    keys.forEach(checkKey);
    if (this.loaded || this.searched) return keys.map((key) => this.get(key));
    this.searched = true;
    const fd = this.fd!;
    if (!this.headerIntact()) return keys.map((key) => this.get(key)); // reading the records starts a file of another format afresh
    const found: (Float32Array | undefined)[] = keys.map((key) => this.unreadPuts.get(keyString(key))?.slice());
    // the keys by their first four bytes, so that most records are passed over after one read
    const byPrefix = new Map<number, number[]>();
    keys.forEach((key, i) => {
      const prefix = Buffer.from(key.buffer, key.byteOffset, 4).readUInt32LE(0);
      byPrefix.set(prefix, [...(byPrefix.get(prefix) ?? []), i]);
    });
    // in blocks of whole records: searching a large cache does not hold it in memory
    const block = Buffer.allocUnsafe(this.recordBytes * Math.max(1, Math.floor(SEARCH_BLOCK_BYTES / this.recordBytes)));
    for (let position = HEADER_BYTES; ; ) {
      const read = readFully(fd, block, position);
      for (let start = 0; start + this.recordBytes <= read; start += this.recordBytes) {
        const candidates = byPrefix.get(block.readUInt32LE(start));
        if (candidates === undefined) continue;
        const record = block.subarray(start, start + this.recordBytes);
        const payload = record.subarray(0, this.recordBytes - CHECKSUM_BYTES);
        for (const i of candidates) {
          if (found[i] !== undefined || !record.subarray(0, EMBEDDING_KEY_BYTES).equals(keys[i])) continue;
          if (checksum(payload) !== record.readUInt32LE(payload.length)) break; // a damaged record is no answer
          const vector = new Float32Array(this.dimension);
          payload.copy(Buffer.from(vector.buffer), 0, EMBEDDING_KEY_BYTES);
          found[i] = vector;
        }
      }
      if (read < block.length) break;
      position += read;
    }
    return found;
  }

  /** A copy of the cached vector for `key`, if any. */
  get(key: Uint8Array): Float32Array | undefined {
    this.records();
    const slot = this.slotOf.get(keyString(key));
    return slot === undefined ? undefined : this.vectors.slice(slot * this.dimension, (slot + 1) * this.dimension);
  }

  /**
   * Caches a vector. It is written to the file by the next {@link flush}; a key already
   * cached is left as it is (a key fixes the model and the text, hence the vector).
   */
  put(key: Uint8Array, vector: ArrayLike<number>): void {
    this.checkOpen();
    checkKey(key);
    if (vector.length !== this.dimension) throw new RangeError(`embedding has ${vector.length} dimensions, the cache holds ${this.dimension}`);
    const values = Float32Array.from(vector);
    if (!values.every(Number.isFinite)) throw new RangeError('embedding contains a non-finite value');
    if (this.loaded === undefined && this.searched) {
      // After a search without reading: kept aside, and appended without reading the file either
      // (a key the file holds already is then there twice; reading keeps the first, compaction drops the other).
      const name = keyString(key);
      if (this.unreadPuts.has(name)) return;
      this.unreadPuts.set(name, values);
      this.pending.push(encodeRecord(key, values));
      return;
    }
    this.records();
    if (this.slotOf.has(keyString(key))) return;
    this.store(key, values);
    this.pending.push(encodeRecord(key, values));
  }

  /**
   * Appends the vectors put since the last flush to the file and flushes it to disk.
   * If writing fails (e.g. the disk is full), the file is cut back to its last complete record
   * and the vectors stay pending for the next attempt.
   */
  flush(): void {
    this.checkOpen();
    if (this.pending.length === 0) return;
    if (this.loaded === undefined) this.fileBytes = this.appendOffsetUnread();
    const data = Buffer.concat(this.pending);
    try {
      for (let written = 0; written < data.length; ) {
        written += fs.writeSync(this.fd!, data, written, data.length - written, this.fileBytes + written);
      }
      fs.fsyncSync(this.fd!);
    } catch (error) {
      fs.ftruncateSync(this.fd!, this.fileBytes);
      throw error;
    }
    this.fileBytes += data.length;
    this.pending = [];
  }

  /** Rewrites the file with only the vectors of `liveKeys` (and no damaged records), atomically. */
  compact(liveKeys: Iterable<Uint8Array>): void {
    this.checkOpen();
    this.records();
    const kept = new Map<string, { key: Uint8Array; vector: Float32Array }>();
    for (const key of liveKeys) {
      const name = keyString(key);
      const slot = this.slotOf.get(name);
      if (slot !== undefined) kept.set(name, { key, vector: this.vectors.subarray(slot * this.dimension, (slot + 1) * this.dimension) });
    }
    const records = [this.header(), ...[...kept.values()].map(({ key, vector }) => encodeRecord(key, vector))];
    const data = Buffer.concat(records);
    writeFileAtomic(this.filePath, data);
    fs.closeSync(this.fd!);
    this.fd = fs.openSync(this.filePath, 'r+');
    this.fileBytes = data.length;
    this.pending = [];
    this.vectors = new Float32Array(Math.max(kept.size, 1024) * this.dimension);
    this.slotOf.clear();
    for (const { key, vector } of kept.values()) this.store(key, vector);
  }

  /** Flushes and closes the file; the cache cannot be used afterwards. */
  close(): void {
    if (this.fd === undefined) return;
    this.flush();
    fs.closeSync(this.fd);
    this.fd = undefined;
  }

  /** Reads the records once, on first use; see {@link load}. */
  private records(): CacheRecovery {
    if (this.loaded) return this.loaded;
    this.checkOpen();
    this.loaded = this.load();
    // load may have replaced the file (started afresh): write to the file now at the path
    fs.closeSync(this.fd!);
    this.fd = fs.openSync(this.filePath, 'r+');
    // vectors put before the records were read (flushed or not); a reset file lost the flushed ones, so they are written again
    if (this.loaded.reset && this.unreadPuts.size > 0) this.pending = [...this.unreadPuts].map(([name, vector]) => encodeRecord(Buffer.from(name, 'hex'), vector));
    for (const [name, vector] of this.unreadPuts) if (!this.slotOf.has(name)) this.vectors.set(vector, this.reserve(name) * this.dimension);
    this.unreadPuts.clear();
    return this.loaded;
  }

  /**
   * Where appends go while the records are unread: after the last whole record, a torn partial
   * record cut off first. A file of another format is read (and so started afresh) instead.
   */
  private appendOffsetUnread(): number {
    if (!this.headerIntact()) {
      this.records();
      return this.fileBytes;
    }
    const size = fs.fstatSync(this.fd!).size;
    const whole = HEADER_BYTES + Math.floor((size - HEADER_BYTES) / this.recordBytes) * this.recordBytes;
    if (whole < size) fs.ftruncateSync(this.fd!, whole);
    return whole;
  }

  /** Reads the file into memory, cutting a damaged tail or starting afresh; returns what was discarded. */
  private load(): CacheRecovery {
    let data: Buffer;
    try {
      data = readRegularFile(this.filePath);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      this.startFile();
      return { truncatedBytes: 0, corruptRecords: 0, reset: false };
    }
    if (!this.header().equals(data.subarray(0, HEADER_BYTES))) {
      this.startFile();
      return { truncatedBytes: 0, corruptRecords: 0, reset: true };
    }
    // room for every record at once: growing the array record by record cost more than reading the file
    const capacity = Math.max(1024, Math.floor((data.length - HEADER_BYTES) / this.recordBytes));
    if (this.vectors.length < capacity * this.dimension) this.vectors = new Float32Array(capacity * this.dimension);
    let goodEnd = HEADER_BYTES;
    const corruptStarts: number[] = [];
    for (let start = HEADER_BYTES; start + this.recordBytes <= data.length; start += this.recordBytes) {
      if (this.loadRecord(data.subarray(start, start + this.recordBytes))) {
        goodEnd = start + this.recordBytes;
      } else {
        corruptStarts.push(start);
      }
    }
    // Damaged records after the last good one are a torn tail and are cut off with it.
    const corruptRecords = corruptStarts.filter((start) => start < goodEnd).length;
    if (goodEnd < data.length) fs.truncateSync(this.filePath, goodEnd);
    this.fileBytes = goodEnd;
    return { truncatedBytes: data.length - goodEnd, corruptRecords, reset: false };
  }

  /** Adds a record read from the file if its checksum holds; returns whether it did. */
  private loadRecord(record: Buffer): boolean {
    const payload = record.subarray(0, this.recordBytes - CHECKSUM_BYTES);
    if (checksum(payload) !== record.readUInt32LE(payload.length)) return false;
    const name = keyString(record.subarray(0, EMBEDDING_KEY_BYTES));
    if (this.slotOf.has(name)) return true;
    const slot = this.reserve(name);
    // the vector's bytes straight into its slot (the file's bytes need not be 4-byte aligned)
    const bytes = this.dimension * 4;
    payload.copy(Buffer.from(this.vectors.buffer, this.vectors.byteOffset + slot * bytes, bytes), 0, EMBEDDING_KEY_BYTES);
    return true;
  }

  private store(key: Uint8Array, vector: Float32Array): void {
    const slot = this.reserve(keyString(key)); // first: it may replace the array
    this.vectors.set(vector, slot * this.dimension);
  }

  /** The next slot, for the key named `name` (hex), growing the vector array if it is full. */
  private reserve(name: string): number {
    const slot = this.slotOf.size;
    if ((slot + 1) * this.dimension > this.vectors.length) {
      const grown = new Float32Array(this.vectors.length * 2);
      grown.set(this.vectors);
      this.vectors = grown;
    }
    this.slotOf.set(name, slot);
    return slot;
  }

  /** Writes a file holding only the header, creating its folder if needed. */
  private startFile(): void {
    fs.mkdirSync(path.dirname(this.filePath), { recursive: true });
    writeFileAtomic(this.filePath, this.header());
    this.fileBytes = HEADER_BYTES;
  }

  /** Whether the file begins with this cache's header (read without reading the records). */
  private headerIntact(): boolean {
    const head = Buffer.alloc(HEADER_BYTES);
    return fs.readSync(this.fd!, head, 0, HEADER_BYTES, 0) === HEADER_BYTES && head.equals(this.header());
  }

  private header(): Buffer {
    const header = Buffer.alloc(HEADER_BYTES);
    header.writeUInt32LE(MAGIC, 0);
    header.writeUInt32LE(FORMAT_VERSION, 4);
    header.writeUInt32LE(this.dimension, 8);
    header.writeUInt32LE(EMBEDDING_KEY_BYTES, 12);
    return header;
  }

  private checkOpen(): void {
    if (this.fd === undefined) throw new Error(`embedding cache ${this.filePath} is closed`);
  }
}

function encodeRecord(key: Uint8Array, vector: Float32Array): Buffer {
  const payload = Buffer.concat([key, new Uint8Array(vector.buffer, vector.byteOffset, vector.byteLength)]);
  const record = Buffer.allocUnsafe(payload.length + CHECKSUM_BYTES);
  payload.copy(record);
  record.writeUInt32LE(checksum(payload), payload.length);
  return record;
}

function checksum(payload: Uint8Array): number {
  return sha256(payload).readUInt32LE(0);
}

/**
 * SHA-256 of a buffer: `crypto.hash` where the runtime has it (Node 20.12 and later; one call,
 * no Hash object, which is a large share of reading a big cache), else `createHash`.
 */
const sha256: (data: Uint8Array) => Buffer =
  typeof (crypto as { hash?: unknown }).hash === 'function'
    ? (data) => (crypto as unknown as { hash(algorithm: string, data: Uint8Array, encoding: 'buffer'): Buffer }).hash('sha256', data, 'buffer')
    : (data) => crypto.createHash('sha256').update(data).digest();

/** Reads up to `buffer.length` bytes at `position`, fewer only at the end of the file. */
function readFully(fd: number, buffer: Buffer, position: number): number {
  let total = 0;
  while (total < buffer.length) {
    const n = fs.readSync(fd, buffer, total, buffer.length - total, position + total);
    if (n === 0) break;
    total += n;
  }
  return total;
}

function checkKey(key: Uint8Array): void {
  if (key.length !== EMBEDDING_KEY_BYTES) throw new RangeError(`embedding cache keys are ${EMBEDDING_KEY_BYTES} bytes, got ${key.length}`);
}

function keyString(key: Uint8Array): string {
  return Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('hex');
}
