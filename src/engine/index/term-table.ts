import { IndexCorruptError } from './errors';

/**
 * The terms of a lexical index, each with its value (lexical.ts: a posting, or while it is not
 * decoded, its number in the file), read and changed like a Map and iterated in a Map's order.
 *
 * The terms of an index read from a file are not put in a Map: they stay in the file's term text,
 * found through a hash table of where each starts ({@link StoredTerms}), with the changes since in
 * small maps beside it. At 100k documents (232k terms), filling a Map with them was about 60 % of
 * the 0.2 s that reading the lexical index took, and a process that searches once asks for a few.
 */
export class TermTable<V> implements Iterable<[string, V | number]> {
  /** terms added since the table was read (a stored term removed, then added again, is here too) */
  private readonly added = new Map<string, V>();
  /** new values of stored terms, which keep their place */
  private readonly replaced = new Map<string, V>();
  /** stored terms removed */
  private readonly removed = new Set<string>();

  /** `stored`: the terms read from a file; the value of the t-th is t until it is replaced. */
  constructor(private readonly stored?: StoredTerms) {}

  get size(): number {
    return (this.stored?.count ?? 0) - this.removed.size + this.added.size;
  }

  get(term: string): V | number | undefined {
    const added = this.added.get(term);
    if (added !== undefined) return added;
    const t = this.storedIndex(term);
    return t < 0 ? undefined : (this.replaced.get(term) ?? t);
  }

  has(term: string): boolean {
    return this.added.has(term) || this.storedIndex(term) >= 0;
  }

  /** As Map.set: a term already here keeps its place; a new one (or one removed before) goes last. */
  set(term: string, value: V): this {
    if (this.added.has(term) || this.storedIndex(term) < 0) this.added.set(term, value);
    else this.replaced.set(term, value);
    return this;
  }

  delete(term: string): boolean {
    if (this.added.delete(term)) return true;
    if (this.storedIndex(term) < 0) return false;
    this.removed.add(term);
    this.replaced.delete(term);
    return true;
  }

  /** As a Map's: a term removed before it is reached is not visited; one changed is visited with its new value. */
  *[Symbol.iterator](): Iterator<[string, V | number]> {
    const stored = this.stored;
    if (stored !== undefined) {
      for (let t = 0; t < stored.count; t++) {
        const term = stored.termAt(t);
        if (this.removed.has(term)) continue;
        yield [term, this.replaced.get(term) ?? t];
      }
    }
    yield* this.added;
  }

  /** The position of a stored term that has not been removed; -1 otherwise. */
  private storedIndex(term: string): number {
    if (this.stored === undefined || this.removed.has(term)) return -1;
    return this.stored.find(term);
  }
}

/**
 * The terms of a lexical index file: their text, one after another, where each starts, and an
 * open-addressing hash table of their positions. Building it checks that no term is empty or
 * listed twice.
 */
export class StoredTerms {
  /** where each term starts in `text`, in UTF-16 code units, and one more: the end */
  private readonly starts: Uint32Array;
  /** 1 + the position of a term, by hash; 0: empty */
  private readonly slots: Int32Array;
  private readonly mask: number;

  /** `lengths`: each term's length in UTF-16 code units; `what`: the file, for error messages. */
  constructor(
    private readonly text: string,
    lengths: Uint32Array,
    what: string,
  ) {
    const count = lengths.length;
    this.starts = new Uint32Array(count + 1);
    for (let t = 0; t < count; t++) {
      if (lengths[t] === 0) throw new IndexCorruptError(`${what} has a malformed term entry`);
      this.starts[t + 1] = this.starts[t] + lengths[t];
      if (this.starts[t + 1] > text.length) throw new IndexCorruptError(`${what} has a malformed term entry`);
    }
    if (this.starts[count] !== text.length) throw new IndexCorruptError(`${what} has a malformed posting table`);
    let size = 2;
    while (size < count * 2) size *= 2;
    this.slots = new Int32Array(size);
    this.mask = size - 1;
    for (let t = 0; t < count; t++) {
      const start = this.starts[t];
      const end = this.starts[t + 1];
      let slot = hashRange(text, start, end) & this.mask;
      for (;;) {
        const taken = this.slots[slot];
        if (taken === 0) break;
        if (this.sameAs(taken - 1, text, start, end)) throw new IndexCorruptError(`${what} lists a term twice`);
        slot = (slot + 1) & this.mask;
      }
      this.slots[slot] = t + 1;
    }
  }

  get count(): number {
    return this.starts.length - 1;
  }

  termAt(t: number): string {
    return this.text.slice(this.starts[t], this.starts[t + 1]);
  }

  /** The position of `term`; -1 when it is not here. */
  find(term: string): number {
    let slot = hashRange(term, 0, term.length) & this.mask;
    for (;;) {
      const taken = this.slots[slot];
      if (taken === 0) return -1;
      if (this.sameAs(taken - 1, term, 0, term.length)) return taken - 1;
      slot = (slot + 1) & this.mask;
    }
  }

  /** Whether the t-th term is `other`'s code units from `start` to `end`. */
  private sameAs(t: number, other: string, start: number, end: number): boolean {
    const from = this.starts[t];
    if (this.starts[t + 1] - from !== end - start) return false;
    for (let i = 0; i < end - start; i++) if (this.text.charCodeAt(from + i) !== other.charCodeAt(start + i)) return false;
    return true;
  }
}

/** FNV-1a over the UTF-16 code units of `text` from `start` to `end`, as an unsigned 32-bit number. */
function hashRange(text: string, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
