/**
 * A map from fixed-size byte keys (the embedding cache's SHA-256 digests) to numbers, held in
 * typed arrays: the keys back to back, and an open-addressing table of their entries (linear
 * probing, at most half full). At 116k keys it holds about 6 MB in four arrays, where a Map from
 * each key's hex text held about 15 MB in 116k strings for the collector to walk.
 *
 * Entries are only added or changed, never removed (the cache makes a new table instead). The
 * hash mixes every byte of a key with a seed chosen per table, so keys read from a file that were
 * made to share a hash find no shorter path than any others.
 */

export class KeyTable {
  /** the keys, back to back, in the order added */
  private keys: Uint8Array;
  /** each key's value, by its number */
  private values: Float64Array;
  /** per bucket, 1 + the number of the key there, or 0 for none; its length a power of two */
  private buckets: Int32Array;
  private count = 0;
  private readonly seed = (Math.random() * 0x100000000) >>> 0;

  constructor(readonly keyBytes: number, capacity = 1024) {
    if (!(Number.isInteger(keyBytes) && keyBytes > 0)) throw new RangeError(`key size must be a positive integer, got ${keyBytes}`);
    const slots = Math.max(16, capacity);
    this.keys = new Uint8Array(slots * keyBytes);
    this.values = new Float64Array(slots);
    this.buckets = new Int32Array(bucketsFor(slots));
  }

  get size(): number {
    return this.count;
  }

  /** The value of the key at `bytes[at…]`, or undefined. */
  get(bytes: Uint8Array, at = 0): number | undefined {
    const found = this.find(bytes, at);
    return found < 0 ? undefined : this.values[found];
  }

  has(bytes: Uint8Array, at = 0): boolean {
    return this.find(bytes, at) >= 0;
  }

  /** Gives the key at `bytes[at…]` the value `value`, adding the key if it is new. */
  set(bytes: Uint8Array, value: number, at = 0): void {
    this.checkKey(bytes, at);
    const found = this.find(bytes, at);
    if (found >= 0) {
      this.values[found] = value;
      return;
    }
    const n = this.count;
    if (n >= this.values.length) this.grow();
    this.keys.set(bytes.subarray(at, at + this.keyBytes), n * this.keyBytes);
    this.values[n] = value;
    this.count++;
    if (this.count * 2 > this.buckets.length) this.rehash(this.buckets.length * 2);
    else this.place(n);
  }

  /** The number of the key at `bytes[at…]`, or -1. */
  private find(bytes: Uint8Array, at: number): number {
    this.checkKey(bytes, at);
    const mask = this.buckets.length - 1;
    for (let b = this.hash(bytes, at) & mask; ; b = (b + 1) & mask) {
      const entry = this.buckets[b];
      if (entry === 0) return -1;
      if (this.keyEquals(entry - 1, bytes, at)) return entry - 1;
    }
  }

  private keyEquals(n: number, bytes: Uint8Array, at: number): boolean {
    const keys = this.keys;
    const start = n * this.keyBytes;
    for (let i = 0; i < this.keyBytes; i++) if (keys[start + i] !== bytes[at + i]) return false;
    return true;
  }

  /** A 32-bit hash of a key's bytes (FNV-1a, seeded, then mixed). */
  private hash(bytes: Uint8Array, at: number): number {
    let h = (0x811c9dc5 ^ this.seed) >>> 0;
    for (let i = 0; i < this.keyBytes; i++) h = Math.imul(h ^ bytes[at + i], 0x01000193);
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    return h >>> 0;
  }

  private place(n: number): void {
    const mask = this.buckets.length - 1;
    let b = this.hash(this.keys, n * this.keyBytes) & mask;
    while (this.buckets[b] !== 0) b = (b + 1) & mask;
    this.buckets[b] = n + 1;
  }

  private grow(): void {
    const slots = this.values.length * 2;
    const keys = new Uint8Array(slots * this.keyBytes);
    keys.set(this.keys);
    this.keys = keys;
    const values = new Float64Array(slots);
    values.set(this.values);
    this.values = values;
  }

  private rehash(size: number): void {
    this.buckets = new Int32Array(size);
    for (let n = 0; n < this.count; n++) this.place(n);
  }

  private checkKey(bytes: Uint8Array, at: number): void {
    if (!(Number.isInteger(at) && at >= 0 && at + this.keyBytes <= bytes.length)) {
      throw new RangeError(`a key of ${this.keyBytes} bytes at ${at} does not fit in ${bytes.length} bytes`);
    }
  }
}

/** The bucket count for `slots` keys: a power of two at least twice as many. */
function bucketsFor(slots: number): number {
  let size = 32;
  while (size < slots * 2) size *= 2;
  return size;
}
