/**
 * Little-endian binary encoding for the index files. Typed arrays are copied in the host's
 * byte order, which is little-endian on every platform the extension ships for.
 */

import { readSync } from 'node:fs';
import { IndexCorruptError } from './errors';

/** Strings encoded between two points where {@link encodeStrings} may be paused. */
const STRINGS_PER_STEP = 16_384;

/**
 * The strings, joined, encoded in `encoding`: as parts, each some thousands of strings, with a
 * step (time-slice.ts) after each. The parts joined are the bytes of the joined strings: a part
 * never ends between the two halves of a surrogate pair split across two strings.
 */
export function* encodeStrings(strings: readonly string[], encoding: 'utf8' | 'latin1' | 'utf16le'): Generator<void, Buffer[], void> {
  const parts: Buffer[] = [];
  for (let start = 0; start < strings.length; ) {
    let end = Math.min(start + STRINGS_PER_STEP, strings.length);
    while (end < strings.length && endsWithHighSurrogate(strings, start, end)) end++;
    parts.push(Buffer.from(strings.slice(start, end).join(''), encoding));
    start = end;
    yield;
  }
  return parts;
}

/** Whether `strings[start, end)` joined end with a high surrogate (empty strings are looked past). */
function endsWithHighSurrogate(strings: readonly string[], start: number, end: number): boolean {
  for (let i = end - 1; i >= start; i--) {
    if (strings[i].length === 0) continue;
    const last = strings[i].charCodeAt(strings[i].length - 1);
    return last >= 0xd800 && last <= 0xdbff;
  }
  return false;
}

/** The largest block a {@link ByteWriter} allocates at a time for small values (a larger value gets a block of its size). */
const MAX_BLOCK_BYTES = 4 << 20;

/**
 * Appends values to a list of blocks, which it never copies to grow: an index file of tens of MB
 * is built without a buffer doubled step by step (which holds up to twice the file's size, and
 * leaves the smaller copies to the collector), and a file's parts built apart (a body, its
 * strings) join it without a copy ({@link adopt}; writes after it go on in the rest of the block
 * it closed). The first block is `initialCapacity` bytes; the next ones double, up to 4 MB (a
 * larger value gets a block of its size). What is written is handed out as {@link parts}, to be
 * written to a file or checksummed one after the other.
 */
export class ByteWriter {
  /** the blocks before the current one, each trimmed to what was written into it */
  private readonly done: Buffer[] = [];
  private block: Buffer;
  /** bytes written into `block` */
  private used = 0;
  /** bytes in `done` */
  private doneBytes = 0;
  /** the size of the last block allocated, which the next one doubles */
  private blockBytes: number;

  constructor(initialCapacity = 1 << 16) {
    this.blockBytes = Math.max(16, initialCapacity);
    this.block = Buffer.allocUnsafe(this.blockBytes);
  }

  u32(value: number): void {
    const at = this.reserve(4);
    this.block.writeUInt32LE(value, at);
  }

  f64(value: number): void {
    const at = this.reserve(8);
    this.block.writeDoubleLE(value, at);
  }

  /** An unsigned integer below 2^32 in 1–5 bytes, 7 bits per byte, low bits first. */
  varint(value: number): void {
    let rest = value >>> 0;
    // one reservation for the whole varint: a value never straddles two blocks
    let at = this.reserve(rest < 0x80 ? 1 : rest < 0x4000 ? 2 : rest < 0x200000 ? 3 : rest < 0x10000000 ? 4 : 5);
    const block = this.block;
    while (rest >= 0x80) {
      block[at++] = (rest & 0x7f) | 0x80;
      rest >>>= 7;
    }
    block[at] = rest;
  }

  /** Strictly ascending integers as varints of their gaps: the first value, then each difference minus one. */
  ascendingVarints(values: Uint32Array): void {
    let previous = -1;
    for (const value of values) {
      this.varint(value - previous - 1);
      previous = value;
    }
  }

  /** A UTF-8 string prefixed with its byte length as a varint. */
  string(value: string): void {
    const bytes = Buffer.from(value, 'utf8');
    this.varint(bytes.length);
    this.bytes(bytes);
  }

  /**
   * Bytes given as parts, preceded by their total length (u32). The parts are taken as they are,
   * not copied: they must not change afterwards.
   */
  lengthAndParts(parts: readonly Uint8Array[]): void {
    this.u32(parts.reduce((sum, part) => sum + part.length, 0));
    this.adopt(parts);
  }

  /** Appends the parts of another writer that is done (or any bytes that will not change), without copying them. */
  adopt(parts: readonly Uint8Array[]): void {
    this.fileBlock(); // what is written next goes to the rest of the current block, a part after these
    for (const part of parts) {
      if (part.length === 0) continue;
      const buffer = Buffer.isBuffer(part) ? part : Buffer.from(part.buffer, part.byteOffset, part.byteLength);
      this.done.push(buffer);
      this.doneBytes += buffer.length;
    }
  }

  bytes(value: Uint8Array): void {
    const at = this.reserve(value.length);
    this.block.set(value, at);
  }

  /** A typed array's values as they lie in memory (see the module doc on byte order). */
  values(values: Float32Array | Float64Array | Uint32Array): void {
    this.bytes(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
  }

  /** Zero bytes up to the next multiple of `alignment` bytes from the start of what this writer writes. */
  pad(alignment: number): void {
    const count = (alignment - (this.size % alignment)) % alignment;
    if (count === 0) return;
    const at = this.reserve(count);
    this.block.fill(0, at, at + count);
  }

  /** The number of bytes written so far. */
  get size(): number {
    return this.doneBytes + this.used;
  }

  /**
   * The bytes written so far, as parts in order, not copied (each trimmed to what was written:
   * later writes go after them, never into them).
   */
  parts(): Buffer[] {
    const parts = [...this.done];
    if (this.used > 0) parts.push(this.block.subarray(0, this.used));
    return parts;
  }

  /** The bytes written so far (a copy, trimmed to size). */
  toBuffer(): Buffer {
    return Buffer.concat(this.parts(), this.size);
  }

  /** Files what was written into the current block as a part; the rest of the block stays the current one. */
  private fileBlock(): void {
    if (this.used === 0) return;
    this.done.push(this.block.subarray(0, this.used));
    this.doneBytes += this.used;
    this.block = this.block.subarray(this.used);
    this.used = 0;
  }

  /** Makes room for `count` more bytes in the current block and returns where they start in it. */
  private reserve(count: number): number {
    if (this.used + count > this.block.length) {
      // the next block is twice the last (at most 4 MB), or the value's size
      this.fileBlock();
      this.blockBytes = Math.min(MAX_BLOCK_BYTES, this.blockBytes * 2);
      this.block = Buffer.allocUnsafe(Math.max(count, this.blockBytes));
    }
    const at = this.used;
    this.used += count;
    return at;
  }
}

/** Reads values written by {@link ByteWriter}; running past the end throws {@link IndexCorruptError}. */
export class ByteReader {
  private position: number;

  /**
   * @param what names the data in error messages, e.g. `lexical.bin`
   * @param start, limit the part of `buffer` to read (default: all of it), without making a view of it
   */
  constructor(
    private readonly buffer: Buffer,
    private readonly what: string,
    start = 0,
    private readonly limit = buffer.length,
  ) {
    this.position = start;
  }

  get remaining(): number {
    return this.limit - this.position;
  }

  u32(): number {
    return this.buffer.readUInt32LE(this.advance(4));
  }

  /** An unsigned 64-bit integer, which must fit a JavaScript number exactly. */
  u64(): number {
    const value = this.buffer.readBigUInt64LE(this.advance(8));
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new IndexCorruptError(`${this.what} has an out-of-range size`);
    return Number(value);
  }

  f64(): number {
    return this.buffer.readDoubleLE(this.advance(8));
  }

  varint(): number {
    // most values are below 128: one byte, read without the general loop
    const first = this.buffer[this.position];
    if (first < 0x80 && this.position < this.limit) {
      this.position++;
      return first;
    }
    let value = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      const byte = this.buffer[this.advance(1)];
      value += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) {
        if (value > 0xffffffff) break;
        return value;
      }
    }
    throw new IndexCorruptError(`${this.what} has a malformed number`);
  }

  /** `count` integers written by {@link ByteWriter.ascendingVarints}, into `into` (a new array by default). */
  ascendingVarints(count: number, into: Uint32Array = new Uint32Array(count)): Uint32Array {
    let previous = -1;
    for (let i = 0; i < count; i++) {
      previous += this.varint() + 1;
      if (previous > 0xffffffff) throw new IndexCorruptError(`${this.what} has an out-of-range number`);
      into[i] = previous;
    }
    return into;
  }

  string(): string {
    const length = this.varint();
    const start = this.advance(length);
    return this.buffer.toString('utf8', start, start + length);
  }

  /** The next `count` bytes, as a view (not a copy). */
  bytes(count: number): Buffer {
    const start = this.advance(count);
    return this.buffer.subarray(start, start + count);
  }

  /** Skips to the next multiple of `alignment` bytes from the start of the buffer (what {@link ByteWriter.pad} wrote). */
  skipPadding(alignment: number): void {
    this.advance((alignment - (this.position % alignment)) % alignment);
  }

  /**
   * `count` unsigned integers of `width` bytes each (1, 2 or 4), as a view of the buffer where
   * it lies aligned for that width in memory, else copied (see the module doc on byte order).
   */
  uints(count: number, width: 1 | 2 | 4): Uint8Array | Uint16Array | Uint32Array {
    const start = this.advance(count * width); // first: a damaged count must not allocate before it is found out
    const at = this.buffer.byteOffset + start;
    const source = at % width === 0 ? this.buffer.buffer : new Uint8Array(this.buffer.subarray(start, start + count * width)).buffer; // a copy where unaligned
    const offset = at % width === 0 ? at : 0;
    return width === 1 ? new Uint8Array(source, offset, count) : width === 2 ? new Uint16Array(source, offset, count) : new Uint32Array(source, offset, count);
  }

  /** `count` uint32 values, copied into a new array. */
  uint32s(count: number): Uint32Array {
    const bytes = this.bytes(count * 4); // first: a damaged count must not allocate before it is found out
    const values = new Uint32Array(count);
    new Uint8Array(values.buffer).set(bytes);
    return values;
  }

  /** `count` float32 values, copied into a new array (so alignment of the source never matters). */
  float32s(count: number, into?: Float32Array): Float32Array {
    const bytes = this.bytes(count * 4);
    const values = into ?? new Float32Array(count);
    new Uint8Array(values.buffer, values.byteOffset, count * 4).set(bytes);
    return values;
  }

  /** `count` float64 values, copied into a new array. */
  float64s(count: number): Float64Array {
    const bytes = this.bytes(count * 8);
    const values = new Float64Array(count);
    new Uint8Array(values.buffer).set(bytes);
    return values;
  }

  /** Throws unless every byte has been read. */
  end(): void {
    if (this.remaining !== 0) throw new IndexCorruptError(`${this.what} has ${this.remaining} unexpected trailing bytes`);
  }

  private advance(count: number): number {
    if (count > this.remaining) throw new IndexCorruptError(`${this.what} is truncated`);
    const start = this.position;
    this.position += count;
    return start;
  }
}

/**
 * Reads exactly `count` bytes at `start` of the file open as `fd` into `into` (from its start) and
 * returns them; a file that ends sooner is `what` truncated (IndexCorruptError).
 */
export function readExactly<T extends Uint8Array>(fd: number, into: T, count: number, start: number, what: string): T {
  for (let read = 0; read < count; ) {
    const n = readSync(fd, into, read, count - read, start + read);
    if (n === 0) throw new IndexCorruptError(`${what} is truncated`);
    read += n;
  }
  return into.subarray(0, count) as T;
}
