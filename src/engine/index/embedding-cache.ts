/**
 * An append-only file of embeddings keyed by a hash of (model, text), so unchanged chunks are
 * never embedded twice and an interrupted indexing run keeps what it already computed.
 *
 * File layout (little-endian), format 2:
 *   header  magic 'CSEC' u32 | format version u32 | dimension u32 | key bytes u32
 *   record  key (32 bytes) | scale float32 | vector (dimension × int8) | checksum u32
 * The checksum is the first 4 bytes of SHA-256(key ‖ scale ‖ vector). SHA-256 rather than CRC-32
 * because `zlib.crc32` needs Node 20.15, newer than the Node inside some supported VS Code builds.
 *
 * Vectors are kept quantised to int8 (int8.ts), each with its own scale (its largest magnitude / 127):
 * the graph file holds every vector of the index already, and this cache is what lets a
 * chunk seen before skip the model. A record is 296 bytes at 256 dimensions instead of 1,060.
 * Only the keys are held in memory, each with where its record lies; a vector looked up is read
 * from the file (those not yet flushed, from the records waiting to be written) and its checksum
 * checked again, so that the index's vectors are not held twice (at 116k vectors the cache's
 * copy was 30 MB of every indexing process, and of the editor's engine after an index). What {@link EmbeddingCache.put} returns is the vector as the cache gives it
 * back ({@link cachedForm}), and the indexer adds that one to the index, so a chunk's vector is the
 * same whether the model or the cache supplied it. Format 1 (float32 vectors) is read and rewritten
 * as format 2 the first time its records are read, keeping every vector.
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
import { CODE_MAX, dequantize, FLOAT32_MIN_NORMAL, quantize, type Quantized } from './int8';
import { KeyTable } from './key-table';
import { openRegularFile, readRegularFile, writeFileAtomic } from './store';

/** The size of a cache key: a SHA-256 digest. */
export const EMBEDDING_KEY_BYTES = 32;

const MAGIC = 0x43455343; // 'CSEC'
const FORMAT_VERSION = 2;
/** Float32 vectors, upgraded when read. */
const FORMAT_FLOAT32 = 1;
const HEADER_BYTES = 16;
const SCALE_BYTES = 4;
const CHECKSUM_BYTES = 4;
/** How much of the file {@link EmbeddingCache.getMany} reads at a time when it searches without reading the records. */
const SEARCH_BLOCK_BYTES = 4 * 1024 * 1024;

/** The cache key of a text embedded by a model: SHA-256(model id, NUL, text). */
export function embeddingKey(modelId: string, text: string): Buffer {
  return crypto.createHash('sha256').update(modelId).update('\0').update(text).digest();
}

/**
 * The cache key that a chunk record keeps as hex text (`ChunkRecord.embeddingKey`), or undefined
 * when there is none or it is not a cache key (another length: a catalog from elsewhere), which
 * then finds nothing in the cache.
 */
export function cacheKeyOf(recorded: string | undefined): Buffer | undefined {
  if (recorded === undefined) return undefined;
  const key = Buffer.from(recorded, 'hex');
  return key.length === EMBEDDING_KEY_BYTES ? key : undefined;
}

/**
 * The vector that the cache gives back for `vector` (int8, each component within its largest
 * magnitude / 254 of the original; a vector whose components are all below 1.5e-36 comes back as zero).
 */
export function cachedForm(vector: ArrayLike<number>): Float32Array {
  const { scale, codes } = quantize(vector);
  return dequantize(scale, codes);
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
  /**
   * Per slot, where its record lies: a position in the file below {@link fileBytes}, else in
   * {@link pending}, at (position − fileBytes) / recordBytes (the records are appended in that order).
   */
  private positions = new Float64Array(1024);
  /** The number of slots given out (a key whose record no longer reads back intact gets another). */
  private slots = 0;
  /** each key's slot */
  private slotOf = new KeyTable(EMBEDDING_KEY_BYTES);
  /** Records to append, in order, each of {@link recordBytes} bytes. */
  private pending: Buffer[] = [];
  /** The length of the file's valid content; appends go here. */
  private fileBytes = 0;
  private fd: number | undefined;
  /** What reading the records discarded; undefined until they are read. */
  private loaded: CacheRecovery | undefined;
  /** Vectors put while the records were unread (also in `pending` until flushed); merged in when they are read. */
  private readonly unreadPuts = new Map<string, Quantized>();
  /** Whether {@link getMany} has searched the file without reading it (puts then go aside, also unread). */
  private searched = false;

  private constructor(
    readonly filePath: string,
    readonly dimension: number,
  ) {
    this.recordBytes = recordBytesOf(FORMAT_VERSION, dimension);
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
    return this.slotOf.has(key);
  }

  /**
   * Copies of the cached vectors of `keys`, in order (undefined where none is cached). With
   * `search` (the default), while the records are unread, the file is searched for the keys
   * instead of read into memory: a refresh of a few files (an editor's save) looks up their
   * chunks in one pass over the file, without holding a cache of a hundred thousand vectors (at
   * 116k vectors: a search 35 ms and about 10 MB for the while, reading the records 0.58 s and
   * 80 MB kept). `search: false` reads the records, as any other lookup does: for a refresh that
   * will look up many keys, batch after batch.
   */
  getMany(keys: readonly Uint8Array[], { search = true }: { search?: boolean } = {}): (Float32Array | undefined)[] {
    this.checkOpen();
    keys.forEach(checkKey);
    if (this.loaded || !search) return this.lookUp(keys).map((v) => v && dequantize(v.scale, v.codes));
    this.searched = true;
    const fd = this.fd!;
    if (!this.headerIntact()) return keys.map((key) => this.get(key)); // reading the records starts a file of another format afresh
    const found: (Float32Array | undefined)[] = keys.map((key) => {
      const put = this.unreadPuts.get(keyString(key));
      return put && dequantize(put.scale, put.codes);
    });
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
          const scale = payload.readFloatLE(EMBEDDING_KEY_BYTES);
          if (checksum(payload) !== record.readUInt32LE(payload.length) || !validScale(scale)) break; // a damaged record is no answer
          found[i] = dequantize(scale, new Int8Array(payload.buffer, payload.byteOffset + EMBEDDING_KEY_BYTES + SCALE_BYTES, this.dimension));
        }
      }
      if (read < block.length) break;
      position += read;
    }
    return found;
  }

  /** The cached vector for `key` (a new array), if any. */
  get(key: Uint8Array): Float32Array | undefined {
    checkKey(key);
    const [found] = this.lookUp([key]);
    return found && dequantize(found.scale, found.codes);
  }

  /** The cached vectors of `keys` (the records read), in order; undefined where none is cached or its record no longer reads back intact. */
  private lookUp(keys: readonly Uint8Array[]): (Quantized | undefined)[] {
    this.checkOpen();
    this.records();
    const slots = keys.map((key) => this.slotOf.get(key));
    const found = this.readSlots(slots.filter((slot): slot is number => slot !== undefined));
    let next = 0;
    return slots.map((slot) => (slot === undefined ? undefined : found[next++]));
  }

  /**
   * The records of `slots`, in order: those flushed read from the file, in position order and in
   * blocks of up to {@link SEARCH_BLOCK_BYTES}, the others from {@link pending}. Each is checked
   * (checksum, scale, key) as when the file was read; one that fails (the file changed under the
   * cache) is undefined, a miss.
   */
  private readSlots(slots: readonly number[]): (Quantized | undefined)[] {
    const out: (Quantized | undefined)[] = new Array(slots.length).fill(undefined);
    const inFile: number[] = [];
    slots.forEach((slot, i) => {
      const position = this.positions[slot];
      if (position < this.fileBytes) inFile.push(i);
      else out[i] = this.decode(this.pending[(position - this.fileBytes) / this.recordBytes], slot);
    });
    inFile.sort((a, b) => this.positions[slots[a]] - this.positions[slots[b]]);
    let block: Buffer | undefined;
    for (let first = 0; first < inFile.length; ) {
      const start = this.positions[slots[inFile[first]]];
      let last = first;
      while (last + 1 < inFile.length && this.positions[slots[inFile[last + 1]]] + this.recordBytes - start <= SEARCH_BLOCK_BYTES) last++;
      const length = this.positions[slots[inFile[last]]] + this.recordBytes - start;
      if (block === undefined || block.length < length) block = Buffer.allocUnsafe(Math.max(length, Math.min(SEARCH_BLOCK_BYTES, this.recordBytes * inFile.length)));
      const read = readFully(this.fd!, block.subarray(0, length), start);
      for (let k = first; k <= last; k++) {
        const i = inFile[k];
        const at = this.positions[slots[i]] - start;
        if (at + this.recordBytes <= read) out[i] = this.decode(block.subarray(at, at + this.recordBytes), slots[i]);
      }
      first = last + 1;
    }
    return out;
  }

  /** A record's vector (its codes copied), if the record is intact and holds the key of `slot`. */
  private decode(record: Buffer | undefined, slot: number): Quantized | undefined {
    if (record === undefined || record.length !== this.recordBytes) return undefined;
    const payload = record.subarray(0, this.recordBytes - CHECKSUM_BYTES);
    const scale = payload.readFloatLE(EMBEDDING_KEY_BYTES);
    if (checksum(payload) !== record.readUInt32LE(payload.length) || !validScale(scale)) return undefined;
    if (this.slotOf.get(payload) !== slot) return undefined;
    return { scale, codes: Int8Array.from(new Int8Array(payload.buffer, payload.byteOffset + EMBEDDING_KEY_BYTES + SCALE_BYTES, this.dimension)) };
  }

  /**
   * Caches a vector, and returns it as the cache gives it back ({@link cachedForm}): the vector to
   * index, so that the index holds the same whether a chunk's vector came from the model or from
   * here. It is written to the file by the next {@link flush}; a key already cached is left as it
   * is (a key fixes the model and the text, hence the vector), and its cached vector returned.
   */
  put(key: Uint8Array, vector: ArrayLike<number>): Float32Array {
    this.checkOpen();
    checkKey(key);
    if (vector.length !== this.dimension) throw new RangeError(`embedding has ${vector.length} dimensions, the cache holds ${this.dimension}`);
    // as float32, which the model gives and the index keeps (1e39 is not one; nor is 3.4e38 once quantised)
    for (let i = 0; i < vector.length; i++) if (!Number.isFinite(Math.fround(vector[i]))) throw new RangeError('embedding contains a non-finite value');
    const quantized = quantize(vector);
    if (!representable(quantized.scale)) throw new RangeError('embedding contains a non-finite value');
    if (this.loaded === undefined && this.searched) {
      // After a search without reading: kept aside, and appended without reading the file either
      // (a key the file holds already is then there twice; reading keeps the first, compaction drops the other).
      const name = keyString(key);
      let put = this.unreadPuts.get(name);
      if (put === undefined) {
        put = quantized;
        this.unreadPuts.set(name, put);
        this.pending.push(encodeRecord(key, put));
      }
      return dequantize(put.scale, put.codes);
    }
    this.records();
    const slot = this.slotOf.get(key);
    const cached = slot === undefined ? undefined : this.readSlots([slot])[0];
    if (cached !== undefined) return dequantize(cached.scale, cached.codes);
    // not cached, or its record no longer reads back intact: appended (again)
    this.reserve(key, this.fileBytes + this.pending.length * this.recordBytes);
    this.pending.push(encodeRecord(key, quantized));
    return dequantize(quantized.scale, quantized.codes);
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
    // each cached key once
    const slots = new Set<number>();
    const keys: Uint8Array[] = [];
    for (const key of liveKeys) {
      checkKey(key);
      const slot = this.slotOf.get(key);
      if (slot !== undefined && !slots.has(slot)) {
        slots.add(slot);
        keys.push(key);
      }
    }
    const vectors = this.lookUp(keys);
    const kept = new Map<string, { key: Uint8Array; vector: Quantized }>();
    keys.forEach((key, i) => {
      const vector = vectors[i];
      if (vector !== undefined) kept.set(keyString(key), { key, vector });
    });
    this.rewrite(kept);
  }

  /** Replaces the file, atomically, and the records in memory, with `records`. */
  private rewrite(records: Map<string, { key: Uint8Array; vector: Quantized }>): void {
    const data = Buffer.concat([this.header(), ...[...records.values()].map(({ key, vector }) => encodeRecord(key, vector))]);
    writeFileAtomic(this.filePath, data);
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined; // not a closed number that another file may take, if opening fails
    this.fd = fs.openSync(this.filePath, 'r+');
    this.fileBytes = data.length;
    this.pending = [];
    this.positions = new Float64Array(Math.max(records.size, 1024));
    this.slots = 0;
    this.slotOf = new KeyTable(EMBEDDING_KEY_BYTES, records.size);
    let position = HEADER_BYTES;
    for (const { key } of records.values()) {
      this.reserve(key, position);
      position += this.recordBytes;
    }
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
    // vectors put before the records were read: flushed ones the file holds (unless reading it
    // started it afresh or cut them off: they are written again), the others wait in `pending`
    const waiting = new Set(this.pending.map((record) => keyString(record.subarray(0, EMBEDDING_KEY_BYTES))));
    for (const [name, vector] of this.unreadPuts) {
      const key = Buffer.from(name, 'hex');
      if (!this.slotOf.has(key) && !waiting.has(name)) this.pending.push(encodeRecord(key, vector));
    }
    this.pending.forEach((record, i) => {
      if (!this.slotOf.has(record)) this.reserve(record, this.fileBytes + i * this.recordBytes);
    });
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
    if (this.header(FORMAT_FLOAT32).equals(data.subarray(0, HEADER_BYTES))) return this.upgrade(data);
    if (!this.header().equals(data.subarray(0, HEADER_BYTES))) {
      this.startFile();
      return { truncatedBytes: 0, corruptRecords: 0, reset: true };
    }
    // room for every record at once
    const capacity = Math.max(1024, Math.floor((data.length - HEADER_BYTES) / this.recordBytes));
    if (this.positions.length < capacity) this.positions = new Float64Array(capacity);
    if (this.slotOf.size === 0) this.slotOf = new KeyTable(EMBEDDING_KEY_BYTES, capacity);
    let goodEnd = HEADER_BYTES;
    const corruptStarts: number[] = [];
    for (let start = HEADER_BYTES; start + this.recordBytes <= data.length; start += this.recordBytes) {
      if (this.loadRecord(data.subarray(start, start + this.recordBytes), start)) {
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

  /**
   * Reads a file of format 1 (float32 vectors) and rewrites it in this format, atomically, with
   * every vector whose record is intact: an index made by an older version keeps its cache.
   */
  private upgrade(data: Buffer): CacheRecovery {
    const recordBytes = recordBytesOf(FORMAT_FLOAT32, this.dimension);
    const records = new Map<string, { key: Uint8Array; vector: Quantized }>();
    let goodEnd = HEADER_BYTES;
    let corrupt = 0;
    const vector = new Float32Array(this.dimension);
    for (let start = HEADER_BYTES; start + recordBytes <= data.length; start += recordBytes) {
      const payload = data.subarray(start, start + recordBytes - CHECKSUM_BYTES);
      if (checksum(payload) !== data.readUInt32LE(start + payload.length)) {
        corrupt++;
        continue;
      }
      goodEnd = start + recordBytes;
      const key = payload.subarray(0, EMBEDDING_KEY_BYTES);
      const name = keyString(key);
      if (records.has(name)) continue;
      payload.copy(Buffer.from(vector.buffer), 0, EMBEDDING_KEY_BYTES);
      const quantized = quantize(vector);
      if (!vector.every(Number.isFinite) || !representable(quantized.scale)) continue; // never written so: not a vector to keep
      records.set(name, { key: Uint8Array.from(key), vector: quantized });
    }
    // damaged records after the last good one are a torn tail, as in this format
    const tailRecords = Math.floor((data.length - goodEnd) / recordBytes);
    this.rewrite(records);
    return { truncatedBytes: data.length - goodEnd, corruptRecords: corrupt - tailRecords, reset: false };
  }

  /** Takes a record read from the file at `position` if its checksum holds (the first of a key only); returns whether it held. */
  private loadRecord(record: Buffer, position: number): boolean {
    const payload = record.subarray(0, this.recordBytes - CHECKSUM_BYTES);
    const scale = payload.readFloatLE(EMBEDDING_KEY_BYTES);
    if (checksum(payload) !== record.readUInt32LE(payload.length) || !validScale(scale)) return false;
    if (!this.slotOf.has(record)) this.reserve(record, position);
    return true;
  }

  /** A new slot for the key that `key` begins with, its record at `position` (see {@link positions}). */
  private reserve(key: Uint8Array, position: number): number {
    const slot = this.slots++;
    if (slot >= this.positions.length) {
      const positions = new Float64Array(this.positions.length * 2);
      positions.set(this.positions);
      this.positions = positions;
    }
    this.positions[slot] = position;
    this.slotOf.set(key, slot);
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

  private header(version = FORMAT_VERSION): Buffer {
    const header = Buffer.alloc(HEADER_BYTES);
    header.writeUInt32LE(MAGIC, 0);
    header.writeUInt32LE(version, 4);
    header.writeUInt32LE(this.dimension, 8);
    header.writeUInt32LE(EMBEDDING_KEY_BYTES, 12);
    return header;
  }

  private checkOpen(): void {
    if (this.fd === undefined) throw new Error(`embedding cache ${this.filePath} is closed`);
  }
}

/** Whether every code times `scale` is a finite float32 (not so only within a rounding of float32's largest value). */
function representable(scale: number): boolean {
  return Number.isFinite(Math.fround(CODE_MAX * scale));
}

/** Whether a record's scale is one {@link quantize} gives: 0, or a finite positive float32 of normal range (a record that passes its checksum with another was not written by this code). */
function validScale(scale: number): boolean {
  return scale === 0 || (scale >= FLOAT32_MIN_NORMAL && representable(scale));
}

/** The bytes of one record of a file of format `version`. */
function recordBytesOf(version: number, dimension: number): number {
  return EMBEDDING_KEY_BYTES + (version === FORMAT_FLOAT32 ? dimension * 4 : SCALE_BYTES + dimension) + CHECKSUM_BYTES;
}

function encodeRecord(key: Uint8Array, vector: Quantized): Buffer {
  const record = Buffer.allocUnsafe(EMBEDDING_KEY_BYTES + SCALE_BYTES + vector.codes.length + CHECKSUM_BYTES);
  record.set(key, 0);
  record.writeFloatLE(vector.scale, EMBEDDING_KEY_BYTES);
  record.set(new Uint8Array(vector.codes.buffer, vector.codes.byteOffset, vector.codes.length), EMBEDDING_KEY_BYTES + SCALE_BYTES);
  const end = record.length - CHECKSUM_BYTES;
  record.writeUInt32LE(checksum(record.subarray(0, end)), end);
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
