/**
 * The postings of a lexical index (lexical.ts), kept in one arena: every posting's document slots
 * and weighted frequencies live in two typed arrays shared by the whole index, each posting a
 * region of them. A posting of its own two typed arrays cost about 450 bytes of objects and
 * allocator bookkeeping besides its entries (two ArrayBuffers, their views, their backing stores);
 * at 232k terms, most of them in one or two documents, that was 100 MB or more of a 100k-function
 * index. Here a small posting is one small object. A large one (LARGE_POSTING entries or more)
 * has arrays of its own, which its overhead is small beside: growing or decoding one then never
 * copies the arena (a loaded index decodes whole postings, the largest tens of thousands of entries).
 */

import { findAscending } from './sorted';

/**
 * The documents containing one term: document slots in ascending order with their weighted
 * frequencies, from `start` in the arena's arrays or, for a large posting, in arrays of its own
 * ({@link PostingArena.slotsOf}): `capacity` entries reserved, the first `length` used. Entries
 * of removed documents stay until the index's next compaction and are skipped; `live` counts the
 * others, which is the document frequency, as of the index's removal number `counted` (the
 * index keeps both: see lexical.ts).
 */
export class Posting {
  start = 0;
  capacity = 0;
  length = 0;
  live = 0;
  counted = -1;
  /** a large posting's own entries (`start` is then 0); undefined: the arena's */
  own: { slots: Uint32Array; frequencies: Float32Array } | undefined;

  constructor(readonly term: string) {}
}

/** Entries reserved for a new posting: most terms are in one or two documents. */
const FIRST_CAPACITY = 2;
/**
 * A full posting moves to a region about this much larger: the sizes 2, 3, 5, 8, 12, 18, … (2
 * left a third of the entries unused at 100k documents; 1.5, a fifth).
 */
const POSTING_GROWTH = 1.5;
/** The arena's first size, in entries; it doubles when full. */
const FIRST_ARENA = 1024;
/** After a change, the arena is compacted (into smaller arrays) once this many entries and this share of those in use are garbage. */
const COMPACT_MIN_GARBAGE = 1024;
const COMPACT_GARBAGE_RATIO = 0.5;
/** A posting of this many entries or more has arrays of its own (4 KB of entries beside about 0.5 KB of overhead). */
const LARGE_POSTING = 512;
/** Whether a posting of `capacity` entries is kept in the arena (a larger one has arrays of its own). */
export function inArena(capacity: number): boolean {
  return capacity < LARGE_POSTING;
}

/** The end of a list of free regions. */
const NO_REGION = 0xffffffff;

/**
 * The arena of one index. A region a posting leaves (it grew, or went) goes on a free list of its
 * size, linked through the region's first slot, and the next posting that needs that size takes
 * it: postings grow through the same sizes, so most regions are used again. What the lists hold
 * is garbage until then; when it is half the arena, {@link shrinkIfWorth} copies the postings
 * together.
 */
export class PostingArena {
  /** the document slot of each entry */
  slots = new Uint32Array(FIRST_ARENA);
  /** the weighted term frequency of each entry */
  frequencies = new Float32Array(FIRST_ARENA);
  /** the entries up to here are reserved by postings, or free */
  private end = 0;
  /** entries in free regions */
  private garbage = 0;
  /** per region size, the start of the first free region of that size */
  private readonly free = new Map<number, number>();

  /** `owners` gives every posting that owns a region of this arena (its capacity above 0), for {@link shrinkIfWorth}. */
  constructor(private readonly owners: () => Iterable<Posting>) {}

  /** Entries of the arena reserved, free ones included (a large posting's own are not). */
  get reservedEntries(): number {
    return this.end;
  }

  /** Entries in free regions. */
  get garbageEntries(): number {
    return this.garbage;
  }

  /** Gives `posting`, which owns no region, one of `capacity` (> 0) entries; its entries are not set. */
  reserve(posting: Posting, capacity: number): void {
    if (!inArena(capacity)) {
      posting.own = { slots: new Uint32Array(capacity), frequencies: new Float32Array(capacity) };
      posting.start = 0;
    } else posting.start = this.take(capacity);
    posting.capacity = capacity;
  }

  /** The array that holds `posting`'s document slots, from `posting.start`. */
  slotsOf(posting: Posting): Uint32Array {
    return posting.own?.slots ?? this.slots;
  }

  /** The array that holds `posting`'s frequencies, from `posting.start`. */
  frequenciesOf(posting: Posting): Float32Array {
    return posting.own?.frequencies ?? this.frequencies;
  }

  /** Appends an entry to `posting`, moving it to a larger region when it is full. */
  push(posting: Posting, slot: number, frequency: number): void {
    if (posting.length === posting.capacity) this.move(posting, Math.max(FIRST_CAPACITY, posting.capacity + 1, Math.ceil(posting.capacity * POSTING_GROWTH)));
    const at = posting.start + posting.length;
    this.slotsOf(posting)[at] = slot;
    this.frequenciesOf(posting)[at] = frequency;
    posting.length++;
  }

  /** The index of `slot`'s entry in `posting`'s array ({@link slotsOf}), by binary search, or -1. */
  find(posting: Posting, slot: number): number {
    return findAscending(this.slotsOf(posting), posting.length, slot, posting.start);
  }

  /** Frees a posting's region: the posting is no longer used. */
  release(posting: Posting): void {
    if (posting.own === undefined) this.discard(posting.start, posting.capacity);
    posting.own = undefined;
    posting.capacity = 0;
    posting.length = 0;
  }

  /** Copies the owners' regions together into smaller arrays if half the arena or more is free. */
  shrinkIfWorth(): void {
    if (this.garbage >= COMPACT_MIN_GARBAGE && this.garbage >= COMPACT_GARBAGE_RATIO * this.end) this.compact();
  }

  /** Copies the owners' regions, in their order, into new arrays without the free ones, and points the owners at their new places. */
  private compact(): void {
    const owners: Posting[] = [];
    let needed = 0;
    for (const posting of this.owners()) {
      if (posting.capacity === 0 || posting.own !== undefined) continue;
      owners.push(posting);
      needed += posting.capacity;
    }
    const size = Math.max(FIRST_ARENA, needed * 2);
    const slots = new Uint32Array(size);
    const frequencies = new Float32Array(size);
    let end = 0;
    for (const posting of owners) {
      slots.set(this.slots.subarray(posting.start, posting.start + posting.length), end);
      frequencies.set(this.frequencies.subarray(posting.start, posting.start + posting.length), end);
      posting.start = end;
      end += posting.capacity;
    }
    this.slots = slots;
    this.frequencies = frequencies;
    this.end = end;
    this.garbage = 0;
    this.free.clear();
  }

  private move(posting: Posting, capacity: number): void {
    const [from, to] = [posting.start, posting.start + posting.length];
    if (!inArena(capacity)) {
      const own = { slots: new Uint32Array(capacity), frequencies: new Float32Array(capacity) };
      own.slots.set(this.slotsOf(posting).subarray(from, to));
      own.frequencies.set(this.frequenciesOf(posting).subarray(from, to));
      if (posting.own === undefined) this.discard(posting.start, posting.capacity);
      posting.own = own;
      posting.start = 0;
    } else {
      // a small posting is in the arena
      const start = this.take(capacity);
      this.slots.copyWithin(start, from, to);
      this.frequencies.copyWithin(start, from, to);
      this.discard(posting.start, posting.capacity);
      posting.start = start;
    }
    posting.capacity = capacity;
  }

  /** The start of a region of `count` entries: a free one of that size, else new ones at the end, the arrays doubled when full. */
  private take(count: number): number {
    const head = this.free.get(count);
    if (head !== undefined) {
      const next = this.slots[head];
      if (next === NO_REGION) this.free.delete(count);
      else this.free.set(count, next);
      this.garbage -= count;
      return head;
    }
    if (this.end + count > this.slots.length) this.resize(Math.max(this.end + count, this.slots.length * 2));
    const start = this.end;
    this.end += count;
    return start;
  }

  /** New arrays of `size` entries, holding those in use. */
  private resize(size: number): void {
    const slots = new Uint32Array(size);
    slots.set(this.slots.subarray(0, this.end));
    const frequencies = new Float32Array(size);
    frequencies.set(this.frequencies.subarray(0, this.end));
    this.slots = slots;
    this.frequencies = frequencies;
  }

  /** Puts a region no posting owns on the free list of its size. */
  private discard(start: number, capacity: number): void {
    if (capacity === 0) return;
    this.slots[start] = this.free.get(capacity) ?? NO_REGION;
    this.free.set(capacity, start);
    this.garbage += capacity;
  }
}
