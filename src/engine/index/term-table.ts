import { randomBytes } from 'node:crypto';
import { IndexCorruptError } from './errors';
import type { StoredEntries } from './overlay-map';
import type { Steps } from '../time-slice';

/**
 * The terms of a lexical index file in format 2: their text, one after another, where each starts, and an
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
  return finalMix(h);
}

/** MurmurHash3's final mix of a 32-bit hash, so that its low bits depend on all of its bits. */
function finalMix(hash: number): number {
  let h = hash;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * The terms of a lexical index file in format 3, as written with it: their UTF-8 text in one
 * block, where each ends in it, and an open-addressing hash table of their positions by a hash of
 * their bytes from the file's own random seed. Reading it builds nothing and decodes no term: a
 * CLI query looks up a few terms of 232k, and building the table of format 2 ({@link StoredTerms})
 * and decoding its text were 0.1 s of it. The table is checked on reading (every slot names a term
 * or none, and every term is named by one slot), so a lookup always ends.
 */
export class HashedTerms implements StoredEntries<string, number> {
  private readonly mask: number;

  /**
   * `text`: the terms' UTF-8 bytes, one after another; `ends`: where each ends in them; `slots`:
   * 1 + a term's position by hash, 0 empty, a power of two longer than `ends`; `seed`: the hash's.
   * `what`: the file, for error messages.
   */
  constructor(
    private readonly text: Buffer,
    private readonly ends: Uint32Array,
    private readonly slots: Uint32Array,
    private readonly seed: number,
    what: string,
  ) {
    const count = ends.length;
    let start = 0;
    for (let t = 0; t < count; t++) {
      if (!(ends[t] > start)) throw new IndexCorruptError(`${what} has a malformed term entry`);
      start = ends[t];
    }
    if (start !== text.length) throw new IndexCorruptError(`${what} has a malformed term table`);
    const size = slots.length;
    if (size <= count || (size & (size - 1)) !== 0) throw new IndexCorruptError(`${what} has a malformed term table`);
    const named = new Uint8Array(count);
    for (let s = 0; s < size; s++) {
      const taken = slots[s];
      if (taken === 0) continue;
      if (taken > count || named[taken - 1] !== 0) throw new IndexCorruptError(`${what} has a malformed term table`);
      named[taken - 1] = 1;
    }
    // as many slots taken as there are terms, none twice: every term is named
    let found = 0;
    for (let t = 0; t < count; t++) found += named[t];
    if (found !== count) throw new IndexCorruptError(`${what} has a malformed term table`);
    this.mask = size - 1;
  }

  /**
   * The table of `terms` (in the order their postings are written) for a file: their text, where
   * each ends, and their slots by hash from `seed`. Terms whose UTF-8 bytes are the same (a lone
   * surrogate is written as U+FFFD) are all written; a lookup finds the first.
   */
  static *encode(terms: readonly string[], seed: number): Steps<{ text: Buffer; ends: Uint32Array; slots: Uint32Array }> {
    const ends = new Uint32Array(terms.length);
    let end = 0;
    for (let t = 0; t < terms.length; t++) {
      end += utf8Length(terms[t]);
      ends[t] = end;
      if (t % TERMS_PER_STEP === TERMS_PER_STEP - 1) yield;
    }
    // the terms joined, encoded at once; unless two of them side by side are the halves of one
    // surrogate pair, which the encoding of the whole makes one character: then each on its own
    let text = Buffer.from(terms.join(''), 'utf8');
    if (text.length !== end) {
      text = Buffer.allocUnsafe(end);
      for (let t = 0, at = 0; t < terms.length; at = ends[t], t++) text.write(terms[t], at, ends[t] - at, 'utf8');
    }
    let size = 2;
    while (size < terms.length * 2) size *= 2;
    const slots = new Uint32Array(size);
    const mask = size - 1;
    for (let t = 0, start = 0; t < terms.length; start = ends[t], t++) {
      let slot = hashBytes(text, start, ends[t], seed) & mask;
      while (slots[slot] !== 0) slot = (slot + 1) & mask;
      slots[slot] = t + 1;
      if (t % TERMS_PER_STEP === TERMS_PER_STEP - 1) yield;
    }
    return { text, ends, slots };
  }

  /** A new random seed for {@link encode}: the terms come from the indexed code, and without one a repository could be made of terms that all fall in one run of the table. */
  static newSeed(): number {
    return randomBytes(4).readUInt32LE(0);
  }

  get count(): number {
    return this.ends.length;
  }

  keyAt(t: number): string {
    return this.text.toString('utf8', t === 0 ? 0 : this.ends[t - 1], this.ends[t]);
  }

  valueAt(t: number): number {
    return t;
  }

  /**
   * The position of `term`; -1 when it is not here. A term with half a surrogate pair is never
   * here: its UTF-8 bytes are those of another string (U+FFFD in its place), which is the key
   * {@link keyAt} gives, and a Map over these terms must not find one key under two.
   */
  indexOf(term: string): number {
    if (SURROGATE.test(term) && !WELL_FORMED.test(term)) return -1;
    const key = Buffer.from(term, 'utf8');
    let slot = hashBytes(key, 0, key.length, this.seed) & this.mask;
    // the table has an empty slot (it is longer than the terms), so this ends
    for (;;) {
      const taken = this.slots[slot];
      if (taken === 0) return -1;
      if (this.isTerm(taken - 1, key)) return taken - 1;
      slot = (slot + 1) & this.mask;
    }
  }

  /** Whether the t-th term's bytes are `key`. */
  private isTerm(t: number, key: Buffer): boolean {
    const start = t === 0 ? 0 : this.ends[t - 1];
    if (this.ends[t] - start !== key.length) return false;
    for (let i = 0; i < key.length; i++) if (this.text[start + i] !== key[i]) return false;
    return true;
  }
}

/** A string with a surrogate code unit; and one whose surrogates are all in pairs. */
const SURROGATE = /[\ud800-\udfff]/;
const WELL_FORMED = /^(?:[^\ud800-\udfff]|[\ud800-\udbff][\udc00-\udfff])*$/;

/** Terms encoded between two points where {@link HashedTerms.encode} may be paused. */
const TERMS_PER_STEP = 16384;

/** The length of `text` in UTF-8, as Buffer.from writes it (a lone surrogate as U+FFFD, 3 bytes). */
function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length && text.charCodeAt(i + 1) >= 0xdc00 && text.charCodeAt(i + 1) <= 0xdfff) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

/** FNV-1a over `bytes` from `start` to `end`, from `seed`, with MurmurHash3's final mix (as {@link hashRange}). */
function hashBytes(bytes: Uint8Array, start: number, end: number, seed: number): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = start; i < end; i++) {
    h ^= bytes[i];
    h = Math.imul(h, 0x01000193);
  }
  return finalMix(h);
}
