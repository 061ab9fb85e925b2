/**
 * Entries read from a file and left there, each found by its key and read when it is asked for:
 * the records of a catalog (stored-chunks.ts `StoredChunks`), the terms of a lexical index
 * (term-table.ts `StoredTerms`).
 */
export interface StoredEntries<K, V> {
  readonly count: number;
  keyAt(i: number): K;
  valueAt(i: number): V;
  /** The position of `key`; -1 when it is not stored. */
  indexOf(key: K): number;
}

/**
 * A Map over {@link StoredEntries}, with the changes since they were read kept beside them: what
 * was added, what was removed, and new values of stored keys. It reads, changes and iterates as a
 * Map of the same entries would (a key set again keeps its place, a key removed and added again
 * goes last, an entry removed before the iteration reaches it is not visited), and never copies
 * the stored entries into a Map: at 100k chunks or 232k terms that copy was most of the cost of
 * reading an index, and a process that searches, or re-indexes a file or two, reads a few.
 */
export class OverlayMap<K, V> implements ReadonlyMap<K, V> {
  /** keys added since the entries were read (a stored key removed, then added again, is here too) */
  private readonly added = new Map<K, V>();
  /** new values of stored keys, which keep their place */
  private readonly replaced = new Map<K, V>();
  /** stored keys removed */
  private readonly removed = new Set<K>();

  constructor(private readonly stored?: StoredEntries<K, V>) {}

  get size(): number {
    return (this.stored?.count ?? 0) - this.removed.size + this.added.size;
  }

  get(key: K): V | undefined {
    if (this.stored === undefined) return this.added.get(key); // made in memory: a Map
    if (this.added.has(key)) return this.added.get(key);
    const i = this.storedIndex(key);
    if (i < 0) return undefined;
    return this.replaced.has(key) ? this.replaced.get(key) : this.stored!.valueAt(i);
  }

  has(key: K): boolean {
    return this.added.has(key) || this.storedIndex(key) >= 0;
  }

  set(key: K, value: V): this {
    if (this.added.has(key) || this.storedIndex(key) < 0) this.added.set(key, value);
    else this.replaced.set(key, value);
    return this;
  }

  delete(key: K): boolean {
    if (this.added.delete(key)) return true;
    if (this.storedIndex(key) < 0) return false;
    this.removed.add(key);
    this.replaced.delete(key);
    return true;
  }

  entries(): MapIterator<[K, V]> {
    // made in memory (a cold index): the Map's own iterator, as fast as a Map
    return this.stored === undefined ? this.added.entries() : this.storedEntries(this.stored);
  }

  keys(): MapIterator<K> {
    return this.stored === undefined ? this.added.keys() : mapIterator(this.storedEntries(this.stored), ([key]) => key);
  }

  values(): MapIterator<V> {
    return this.stored === undefined ? this.added.values() : mapIterator(this.storedEntries(this.stored), ([, value]) => value);
  }

  [Symbol.iterator](): MapIterator<[K, V]> {
    return this.entries();
  }

  forEach(callback: (value: V, key: K, map: ReadonlyMap<K, V>) => void, thisArg?: unknown): void {
    for (const [key, value] of this.entries()) callback.call(thisArg, value, key, this);
  }

  get [Symbol.toStringTag](): string {
    return 'OverlayMap';
  }

  /**
   * The values set since the stored entries were read, without reading a stored one: the new
   * values of stored keys, then those of keys added (every value, for a map made in memory).
   */
  *changedValues(): Generator<V> {
    yield* this.replaced.values();
    yield* this.added.values();
  }

  /**
   * Which stored positions are not removed, for a subclass that reads the stored entries in its own
   * way (every position below the stored count): undefined when none was removed, so that a pass
   * over 100k of them asks nothing.
   */
  protected storedLive(): ((i: number) => boolean) | undefined {
    const stored = this.stored;
    if (stored === undefined || this.removed.size === 0) return undefined;
    return (i) => !this.removed.has(stored.keyAt(i));
  }

  /** The entries added since the stored ones were read (including stored keys removed and added again), in order. */
  protected addedEntries(): ReadonlyMap<K, V> {
    return this.added;
  }

  /** Whether some stored key has a new value. */
  protected hasReplaced(): boolean {
    return this.replaced.size > 0;
  }

  private *storedEntries(stored: StoredEntries<K, V>): MapIterator<[K, V]> {
    for (let i = 0; i < stored.count; i++) {
      const key = stored.keyAt(i);
      if (this.removed.has(key)) continue;
      yield [key, this.replaced.has(key) ? this.replaced.get(key)! : stored.valueAt(i)];
    }
    yield* this.added;
  }

  /** The position of a stored key that has not been removed; -1 otherwise. */
  private storedIndex(key: K): number {
    if (this.stored === undefined || this.removed.has(key)) return -1;
    return this.stored.indexOf(key);
  }
}

function* mapIterator<T, U>(from: Iterator<T>, f: (item: T) => U): MapIterator<U> {
  for (let next = from.next(); !next.done; next = from.next()) yield f(next.value);
}
