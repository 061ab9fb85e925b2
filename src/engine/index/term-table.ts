import { randomBytes } from 'node:crypto';
import { IndexCorruptError } from './errors';
import type { StoredEntries } from './overlay-map';

/**
 * The terms of a lexical index file: their text, one after another, where each starts, and an
 * open-addressing hash table of their positions; the t-th term's value is t, the number of its
 * posting in the file (lexical.ts keeps them in an OverlayMap, so that 232k terms are not copied
 * into a Map: that was about 60 % of the 0.2 s that reading the lexical index took at 100k
 * documents). Building it checks that no term is empty or listed twice.
 */
export class StoredTerms implements StoredEntries<string, number> {
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
      // compared before it is added: a sum past 2^32 would wrap around in the Uint32Array
      if (lengths[t] === 0 || lengths[t] > text.length - this.starts[t]) throw new IndexCorruptError(`${what} has a malformed term entry`);
      this.starts[t + 1] = this.starts[t] + lengths[t];
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

  keyAt(t: number): string {
    return this.text.slice(this.starts[t], this.starts[t + 1]);
  }

  valueAt(t: number): number {
    return t;
  }

  /** The position of `term`; -1 when it is not here. */
  indexOf(term: string): number {
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

/**
 * A per-process random start for {@link hashRange}: the terms come from the indexed code, and
 * without it a repository could be made of terms that all fall in one run of the table.
 */
const HASH_SEED = randomBytes(4).readUInt32LE(0);

/**
 * FNV-1a over the UTF-16 code units of `text` from `start` to `end`, from {@link HASH_SEED}, with
 * a final mix (MurmurHash3's) so that the table's low bits depend on every code unit.
 */
function hashRange(text: string, start: number, end: number): number {
  let h = (0x811c9dc5 ^ HASH_SEED) >>> 0;
  for (let i = start; i < end; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
