/**
 * An in-memory BM25 index over token lists, with incremental add/remove and a compact binary
 * form. Documents are keyed by uint32 ids chosen by the caller (chunk ids).
 *
 * Field weighting follows the simple form of BM25F: each field's tokens count `weight` times
 * toward the term frequency and toward the document length, so a name or signature token can
 * weigh more than a body token, then plain BM25 is applied to those weighted counts.
 */

import * as fs from 'node:fs';
import { ByteReader, ByteWriter, readExactly } from './bytes';
import { IndexCorruptError, IndexVersionError } from './errors';
import { TopK, type ScoredId } from './topk';
import { runSteps, type Steps } from '../time-slice';
import { HashedTerms, StoredTerms } from './term-table';
import { OverlayMap, type StoredEntries } from './overlay-map';
import { findAscending } from './sorted';
import { Posting, PostingArena } from './postings';

export type { ScoredId } from './topk';

/** The tokens of one field of a document and how much each occurrence counts. */
export interface WeightedTokens {
  tokens: readonly string[];
  /** a positive multiplier; body text would be 1, a name or signature more */
  weight: number;
}

/** BM25 parameters: query-time settings, not stored with the data. */
export interface Bm25Options {
  /** term-frequency saturation, ≥ 0 (default 1.2) */
  k1?: number;
  /** length normalisation, 0 (none) to 1 (full) (default 0.75) */
  b?: number;
}

/** What a {@link LexicalIndex} is made with: its BM25 parameters, and how many documents' terms it keeps for a change log. */
export interface LexicalIndexOptions extends Bm25Options {
  /**
   * The most documents added since {@link LexicalIndex.markCommitted} whose terms are kept for a
   * change log ({@link LexicalIndex.recentDocumentTerms}), an integer ≥ 0 (default: no limit).
   * Once more are added, none is kept until the next commit: a caller whose log takes at most
   * this many documents would write a whole index anyway, and a cold index of 100k documents no
   * longer holds tens of megabytes of terms between its checkpoints.
   */
  recentTermsLimit?: number;
}

const MAGIC = 0x584c5343; // 'CSLX'
/** Postings gathered or encoded between two points where {@link LexicalIndex.serializeSteps} may be paused. */
const POSTINGS_PER_STEP = 2048;

/**
 * 1: each term beside its posting; 2: the terms together, then a table of where each posting
 * starts; 3: as 2, with the terms' hash table written beside them (see {@link LexicalIndex.serialize}).
 */
export const LEXICAL_FORMAT_VERSION = 3;
const FORMAT_VERSION = LEXICAL_FORMAT_VERSION;
const FILE_LABEL = 'lexical index';
/** The id of a removed document's slot. Real ids are uint32, so they never collide with it. */
const REMOVED = -1;
/** Removed documents are purged from the postings once they are this many and this share of all slots. */
const COMPACT_MIN_DEAD = 1024;
const COMPACT_DEAD_RATIO = 0.25;

/**
 * A BM25 index supporting incremental updates. Removing a document only marks its slot removed:
 * searches skip its postings entries, which are purged in bulk once they pile up (compaction),
 * and each posting's count of live documents (its document frequency) is counted again the next
 * time it is needed after a removal. So a removal never needs the document's terms: a loaded
 * index, which keeps no table of them, removes documents without reading its postings (until
 * removed documents pile up and a compaction rewrites every posting).
 */
export class LexicalIndex {
  readonly k1: number;
  readonly b: number;

  /**
   * Per term, its posting; or, for a loaded index, the number of its entry in `stored` until it is
   * first needed: a search reads the postings of its query's terms only, so a process that
   * searches once decodes a few of them instead of hundreds of thousands. A document added to a
   * term still in `stored` waits beside it ({@link Appended}): a re-indexed file's common terms
   * (tens of thousands of entries each) are not decoded for it. The terms of a loaded index stay
   * in the file's term text too (term-table.ts), changes kept beside them (overlay-map.ts).
   */
  private postings = new OverlayMap<string, Posting | number | Appended>();
  /** The entries of every decoded posting (postings.ts). */
  private arena = new PostingArena(() => this.decodedPostings());
  /**
   * The undecoded postings of a loaded index (formats 2 and 3): their bytes, in memory or left in
   * the file ({@link deserializeHead}), and where each starts in them (one more: the end).
   */
  private stored: StoredPostings | undefined;
  /**
   * The slot of each document id. A loaded index whose ids are in ascending order (as an index
   * writes them) finds them by binary search in the file's id list, changes kept beside it,
   * instead of filling a Map of 100k entries (about 5 MB and a fifth of the load's time).
   */
  private slotOf: Map<number, number> | OverlayMap<number, number> = new Map<number, number>();
  /**
   * Per slot, in order of addition: the document id ({@link REMOVED} once removed) and its
   * weighted length. Slots are renumbered only by {@link compact}.
   */
  private ids: number[] = [];
  private lengths: number[] = [];
  /**
   * By slot, the terms and frequencies of each document added since {@link markCommitted}: what a
   * change log records ({@link recentDocumentTerms}). Only these are kept, not a table of every
   * document's terms: a cold index of 100k documents holds those it added since its last
   * checkpoint (every 15 s), not all of them.
   */
  private recentTerms = new Map<number, DocumentTerms>();
  /** {@link LexicalIndexOptions.recentTermsLimit} */
  private readonly recentTermsLimit: number;
  /** whether more documents than {@link recentTermsLimit} were added since the last commit: {@link recentTerms} then keeps none */
  private recentOverflowed = false;
  /**
   * How many removals have been made: a posting's `live` count is exact while its `counted`
   * equals this (see {@link liveOf}).
   */
  private removals = 0;
  private deadSlots = 0;
  /** {@link lengthNorms}' cache, dropped by any change to the documents */
  private norms: Float64Array | undefined;
  /** {@link search}'s per-slot score accumulator and touched list, reused (allocating them was a large share of a search) */
  private scratch: { scores: Float64Array; touched: Uint32Array } | undefined;
  /** whether a search is running (its filter may search again: see {@link search}) */
  private searching = false;
  private totalLength = 0;
  /** The format version of the bytes this index was read from; undefined for an index made in memory. */
  formatRead: number | undefined;
  /** The seed of the terms' hash table in the file (term-table.ts `HashedTerms`): the file's it was read from, else chosen when first written. */
  private termSeed: number | undefined;

  constructor(options: LexicalIndexOptions = {}) {
    this.k1 = options.k1 ?? 1.2;
    this.b = options.b ?? 0.75;
    this.recentTermsLimit = options.recentTermsLimit ?? Infinity;
    if (!(this.recentTermsLimit >= 0 && (Number.isInteger(this.recentTermsLimit) || this.recentTermsLimit === Infinity))) {
      throw new RangeError(`recentTermsLimit must be an integer ≥ 0, got ${this.recentTermsLimit}`);
    }
    if (!(Number.isFinite(this.k1) && this.k1 >= 0)) throw new RangeError(`BM25 k1 must be a finite number ≥ 0, got ${this.k1}`);
    if (!(this.b >= 0 && this.b <= 1)) throw new RangeError(`BM25 b must be between 0 and 1, got ${this.b}`);
  }

  /** The number of documents. */
  get size(): number {
    return this.slotOf.size;
  }

  has(id: number): boolean {
    return this.slotOf.has(id);
  }

  /**
   * Adds a document, replacing any document with the same id. Empty tokens are ignored;
   * a document without tokens still counts toward the document total.
   */
  add(id: number, fields: readonly WeightedTokens[]): void {
    checkId(id);
    const frequencies = new Map<string, number>();
    let length = 0;
    for (const { tokens, weight } of fields) {
      if (!(Number.isFinite(weight) && weight > 0)) throw new RangeError(`field weight must be a finite number > 0, got ${weight}`);
      for (const token of tokens) {
        if (token === '') continue;
        frequencies.set(token, (frequencies.get(token) ?? 0) + weight);
        length += weight;
      }
    }
    this.insert(id, frequencies, length);
  }

  /**
   * A document as {@link restore} takes it back: its weighted term frequencies (as stored, in
   * float32) and its length. Undefined for an absent id.
   */
  documentTerms(id: number): { terms: [string, number][]; length: number } | undefined {
    const slot = this.slotOf.get(id);
    if (slot === undefined) return undefined;
    return this.recentDocumentTerms(id) ?? { terms: this.findTermsOf(slot), length: this.lengths[slot] };
  }

  /**
   * A document added since {@link markCommitted}, as {@link documentTerms} gives it, from the terms
   * kept for it; undefined for any other (absent, or committed: whose terms are not kept), and for
   * every document once more than {@link LexicalIndexOptions.recentTermsLimit} were added since.
   * For a change log, which must never fall into reading every posting for a document.
   */
  recentDocumentTerms(id: number): { terms: [string, number][]; length: number } | undefined {
    const slot = this.slotOf.get(id);
    const recent = slot === undefined ? undefined : this.recentTerms.get(slot);
    if (recent === undefined) return undefined;
    return { terms: recent.terms.map((term, i) => [term, recent.frequencies[i]]), length: this.lengths[slot!] };
  }

  /**
   * Says that the documents added so far are recorded elsewhere (a saved index, a change log):
   * their terms are no longer kept, and {@link documentTerms} finds them by reading the postings
   * (slow: every posting is read, none is decoded).
   */
  markCommitted(): void {
    this.recentTerms.clear();
    this.recentOverflowed = false;
  }

  /** Adds a document given as {@link documentTerms} gave it, replacing any with the same id. */
  restore(id: number, terms: readonly (readonly [string, number])[], length: number): void {
    checkId(id);
    const frequencies = new Map<string, number>();
    for (const [term, frequency] of terms) {
      if (term === '' || frequencies.has(term) || !(Number.isFinite(frequency) && frequency > 0)) throw new RangeError('invalid document terms');
      frequencies.set(term, frequency);
    }
    if (!(Number.isFinite(length) && length >= 0)) throw new RangeError(`invalid document length ${length}`);
    this.insert(id, frequencies, length);
  }

  private insert(id: number, frequencies: ReadonlyMap<string, number>, length: number): void {
    this.remove(id);
    const slot = this.ids.length;
    if (!this.recentOverflowed && this.recentTerms.size >= this.recentTermsLimit) {
      this.recentOverflowed = true;
      this.recentTerms.clear();
    }
    const recent: DocumentTerms | undefined = this.recentOverflowed ? undefined : { terms: [], frequencies: [] };
    for (const [term, frequency] of frequencies) {
      const kept = Math.fround(frequency); // as the postings keep it
      recent?.terms.push(term);
      recent?.frequencies.push(kept);
      const entry = this.postings.get(term);
      if (typeof entry === 'number' || entry instanceof Appended) {
        // still in the file's bytes: the entry waits beside them until the posting is decoded
        const appended = typeof entry === 'number' ? new Appended(entry) : entry;
        appended.slots.push(slot);
        appended.frequencies.push(kept);
        if (appended !== entry) this.postings.set(term, appended);
        continue;
      }
      const posting = entry ?? this.newPosting(term);
      this.arena.push(posting, slot, frequency);
      if (posting.counted === this.removals) posting.live++; // else it is counted when next needed
    }
    this.ids.push(id);
    this.lengths.push(length);
    this.norms = undefined;
    if (recent !== undefined) this.recentTerms.set(slot, recent);
    this.slotOf.set(id, slot);
    this.totalLength += length;
    this.arena.shrinkIfWorth();
  }

  /** Removes a document; returns false (and does nothing) if the id is absent. */
  remove(id: number): boolean {
    return this.removeMany([id]) === 1;
  }

  /**
   * Removes documents (absent ids are ignored); returns how many were removed. Their slots are
   * marked removed; no posting is read or changed (see the class comment).
   */
  removeMany(ids: Iterable<number>): number {
    let removed = 0;
    for (const id of ids) {
      const slot = this.slotOf.get(id);
      if (slot === undefined) continue;
      this.slotOf.delete(id);
      this.recentTerms.delete(slot);
      this.ids[slot] = REMOVED;
      this.deadSlots++;
      this.totalLength -= this.lengths[slot];
      removed++;
    }
    if (removed === 0) return 0;
    this.removals++; // every posting's live count is now to be counted again
    this.norms = undefined;
    // Reset rather than subtract when empty, so float rounding cannot leave a residue.
    if (this.size === 0) this.totalLength = 0;
    if (this.deadSlots >= COMPACT_MIN_DEAD && this.deadSlots >= COMPACT_DEAD_RATIO * this.ids.length) this.compact();
    return removed;
  }

  /**
   * The number of live documents that hold a posting's term, its document frequency: the
   * posting's length while no document is removed, else its live count, counted again over its
   * entries when a removal came after the last count.
   */
  private liveOf(posting: Posting): number {
    if (this.deadSlots === 0) return posting.length;
    if (posting.counted !== this.removals) {
      const slots = this.arena.slotsOf(posting);
      const ids = this.ids;
      let live = 0;
      for (let i = posting.start, end = posting.start + posting.length; i < end; i++) if (ids[slots[i]] !== REMOVED) live++;
      posting.live = live;
      posting.counted = this.removals;
    }
    return posting.live;
  }

  /**
   * About how many documents hold `term`, without decoding its posting: for choosing among a long
   * query's terms (search/code-query.ts), not for scoring. A decoded posting gives its live count;
   * a posting still stored gives the count its file records (documents removed since loading
   * included, until the index is written again) plus the documents added beside it. 0 for a term
   * no document holds.
   */
  documentFrequency(term: string): number {
    const entry = this.postings.get(term);
    if (entry === undefined) return 0;
    if (entry instanceof Posting) return this.liveOf(entry);
    const stored = this.stored!;
    const at = typeof entry === 'number' ? entry : entry.entry;
    const start = stored.offsets[at];
    // the count is the posting's first varint: at most 5 bytes
    const head = stored.postings.bytes(start, Math.min(start + 5, stored.offsets[at + 1]));
    const count = Math.min(new ByteReader(head, FILE_LABEL).varint(), stored.documentCount);
    return count + (entry instanceof Appended ? entry.slots.length : 0);
  }

  /** Whether some document holds `term`. */
  hasTerm(term: string): boolean {
    const posting = this.posting(term);
    return posting !== undefined && this.liveOf(posting) > 0;
  }

  /**
   * The `k` best documents for the query, best first. Repeated query tokens count once and
   * unknown tokens are ignored. `filter` is called only for documents that would make the cut
   * and must be a pure function of the id. Ties are broken by ascending id.
   */
  search(queryTokens: readonly string[], k: number, filter?: (id: number) => boolean): ScoredId[] {
    const documentCount = this.size;
    if (documentCount === 0 || k <= 0) return [];
    const norms = this.lengthNorms();
    // a filter that searches this index again (none does today) gets buffers of its own
    const { scores, touched } = this.searching ? { scores: new Float64Array(norms.length), touched: new Uint32Array(norms.length) } : this.scratchFor(norms.length);
    const outermost = !this.searching;
    this.searching = true;
    let touchedCount = 0;
    const k1 = this.k1;
    // ties at the cut are all kept: the candidates then do not depend on document ids (see TopK)
    const best = new TopK(k, true);
    try {
      for (const term of new Set(queryTokens)) {
        const posting = this.posting(term);
        if (posting === undefined) continue;
        const live = this.liveOf(posting);
        if (live === 0) continue; // every document that held it was removed
        const idf = inverseDocumentFrequency(documentCount, live);
        const slots = this.arena.slotsOf(posting);
        const frequencies = this.arena.frequenciesOf(posting);
        for (let i = posting.start, end = posting.start + posting.length; i < end; i++) {
          const slot = slots[i];
          const norm = norms[slot];
          if (norm < 0) continue; // removed
          const frequency = frequencies[i];
          if (scores[slot] === 0) touched[touchedCount++] = slot;
          scores[slot] += idf * ((frequency * (k1 + 1)) / (frequency + norm));
        }
      }
      for (let t = 0; t < touchedCount; t++) {
        const slot = touched[t];
        const id = this.ids[slot];
        if (best.admits(id, scores[slot]) && (filter === undefined || filter(id))) best.push(id, scores[slot]);
      }
    } finally {
      for (let t = 0; t < touchedCount; t++) scores[touched[t]] = 0; // the scratch is reused: leave it clean, even if `filter` threw
      if (outermost) this.searching = false;
    }
    return best.sorted();
  }

  /**
   * The BM25 score for the query of each of `ids` that holds one of its tokens, as {@link search}
   * would give it, in the order of `ids` (ids not in the index, or holding none of the tokens,
   * are left out): for documents a search must weigh whether or not they made its cut (the
   * definitions of a name the query mentions, search/ranker.ts). Each token's posting is read
   * once and each document found in it by binary search.
   */
  scoresOf(queryTokens: readonly string[], ids: readonly number[]): ScoredId[] {
    if (ids.length === 0 || this.size === 0) return [];
    const slots: number[] = [];
    const wanted: number[] = [];
    for (const id of ids) {
      const slot = this.slotOf.get(id);
      if (slot !== undefined && this.ids[slot] !== REMOVED) {
        slots.push(slot);
        wanted.push(id);
      }
    }
    if (slots.length === 0) return [];
    const norms = this.lengthNorms();
    const scores = new Float64Array(slots.length);
    const documentCount = this.size;
    for (const term of new Set(queryTokens)) {
      const posting = this.posting(term);
      if (posting === undefined) continue;
      const live = this.liveOf(posting);
      if (live === 0) continue;
      const idf = inverseDocumentFrequency(documentCount, live);
      const frequencies = this.arena.frequenciesOf(posting);
      for (let i = 0; i < slots.length; i++) {
        const at = this.arena.find(posting, slots[i]);
        if (at < 0) continue;
        const frequency = frequencies[at];
        scores[i] += idf * ((frequency * (this.k1 + 1)) / (frequency + norms[slots[i]]));
      }
    }
    const out: ScoredId[] = [];
    for (let i = 0; i < wanted.length; i++) if (scores[i] > 0) out.push({ id: wanted[i], score: scores[i] });
    return out;
  }

  /**
   * The index as bytes (format 3): the document ids (u32) and lengths (f64); the number of terms,
   * the seed of their hash table and its size (u32 each), the table (u32 each, 1 + a term's number
   * by the hash of its UTF-8 bytes, 0 empty: term-table.ts `HashedTerms`), where each term ends in
   * their text (u32, in bytes) and the text (its length, u32, then all the terms in UTF-8); per term
   * the byte offset of its posting (u32, one more for the end); then the postings, each its count,
   * its document ordinals (ascending, delta-encoded varints) and float32 frequencies; last, the
   * length of all that comes before the postings (u32), so that a reader can read that part alone
   * and leave the postings in the file ({@link deserializeHead}). BM25 parameters are not
   * included. Purges removed documents first. (Format 2 had, instead of the table and the ends,
   * each term's length in UTF-16 code units, as varints, and no length at the end.)
   */
  serialize(): Buffer {
    return Buffer.concat(runSteps(this.serializeSteps()));
  }

  /**
   * {@link serialize} as steps (time-slice.ts), giving the bytes as parts in order, not joined:
   * the index must not change until they are done.
   */
  *serializeSteps(): Steps<Buffer[]> {
    this.readPostingsIn();
    if (this.deadSlots > 0) this.compact();
    const postings: Posting[] = [];
    for (const posting of this.allPostings()) {
      // a posting still in its loaded bytes is decoded here
      if (postings.push(posting) % POSTINGS_PER_STEP === 0) yield;
    }
    const body = new ByteWriter();
    const offsets = new Uint32Array(postings.length + 1);
    for (let t = 0; t < postings.length; t++) {
      const posting = postings[t];
      offsets[t] = body.size;
      body.varint(posting.length);
      body.ascendingVarints(this.arena.slotsOf(posting).subarray(posting.start, posting.start + posting.length));
      body.values(this.arena.frequenciesOf(posting).subarray(posting.start, posting.start + posting.length));
      if ((t + 1) % POSTINGS_PER_STEP === 0) yield;
    }
    offsets[postings.length] = body.size;
    const writer = new ByteWriter(16 * this.ids.length + 10 * postings.length + (1 << 16));
    writer.u32(MAGIC);
    writer.u32(FORMAT_VERSION);
    writer.u32(this.size);
    writer.values(Uint32Array.from(this.ids));
    writer.values(Float64Array.from(this.lengths));
    writer.u32(postings.length);
    this.termSeed ??= HashedTerms.newSeed();
    const table = yield* HashedTerms.encode(postings.map((posting) => posting.term), this.termSeed);
    writer.u32(this.termSeed);
    writer.u32(table.slots.length);
    writer.values(table.slots);
    writer.values(table.ends);
    writer.lengthAndParts([table.text]);
    writer.values(offsets);
    const headBytes = writer.size;
    writer.adopt(body.parts());
    writer.u32(headBytes);
    return writer.parts();
  }

  /**
   * Reads an index written by {@link serialize} (or in format 1); throws {@link IndexCorruptError}
   * on malformed input. The postings are decoded when first needed (a search's terms), after the
   * structure around them has been checked here; the caller verifies the bytes' checksum
   * (store.ts), so damage inside a posting is found before it is loaded, and a posting that still
   * fails to decode throws IndexCorruptError when it is used.
   */
  static deserialize(buffer: Buffer, options: LexicalIndexOptions = {}): LexicalIndex {
    return LexicalIndex.read(buffer, undefined, options);
  }

  /**
   * Reads an index in format 3 from the part of its file before the postings (`head`, the length
   * its last four bytes give), leaving the postings in the file, open as `file.fd` ({@link
   * close} closes it; so does anything that needs every posting, which reads them all first): a
   * search then reads the postings of its terms alone, where reading the whole file was 30 MB at
   * 100k functions. The caller has checked the whole file's checksum (through that descriptor, so
   * that what is read later is what was checked: an index never changes a file it wrote). A file
   * in an earlier format (which has no such end: what was taken for one is not) is read whole from
   * the descriptor, which is then closed. Throws {@link IndexCorruptError} as {@link deserialize}
   * does, and when `head` does not end where the postings begin; the descriptor is then the
   * caller's to close.
   */
  static deserializeHead(head: Buffer, file: { fd: number; size: number }, options: LexicalIndexOptions = {}): LexicalIndex {
    return LexicalIndex.read(head, file, options);
  }

  private static read(buffer: Buffer, file: { fd: number; size: number } | undefined, options: LexicalIndexOptions): LexicalIndex {
    if (file !== undefined && !(buffer.length >= 8 && buffer.readUInt32LE(0) === MAGIC && buffer.readUInt32LE(4) === FORMAT_VERSION)) {
      // an earlier format has no end to read its head by (what was taken for one is not): read whole, from the same file
      const index = LexicalIndex.read(readWhole(file), undefined, options);
      fs.closeSync(file.fd);
      return index;
    }
    const reader = new ByteReader(buffer, FILE_LABEL);
    if (reader.u32() !== MAGIC) throw new IndexCorruptError(`${FILE_LABEL} has an unknown file signature`);
    const version = reader.u32();
    if (version !== 1 && version !== 2 && version !== FORMAT_VERSION) throw new IndexVersionError(version, FORMAT_VERSION);
    const index = new LexicalIndex(options);
    index.formatRead = version;
    const documentCount = reader.u32();
    // each document takes 12 bytes (id u32, length f64) in either format: a count the file cannot hold is not allocated for
    if (documentCount * 12 > reader.remaining) throw new IndexCorruptError(`${FILE_LABEL} is truncated`);
    const ids = version === 1 ? undefined : reader.uint32s(documentCount);
    const lengths = version === 1 ? undefined : reader.float64s(documentCount);
    index.ids = new Array<number>(documentCount);
    index.lengths = new Array<number>(documentCount);
    const ascending = ids !== undefined && isAscending(ids);
    if (ascending) index.slotOf = new OverlayMap(new AscendingSlots(ids)); // no id twice, by order
    for (let slot = 0; slot < documentCount; slot++) {
      const id = ids === undefined ? reader.u32() : ids[slot];
      const length = lengths === undefined ? reader.f64() : lengths[slot];
      if (!(Number.isFinite(length) && length >= 0)) throw new IndexCorruptError(`${FILE_LABEL} has an invalid document length`);
      index.ids[slot] = id;
      index.lengths[slot] = length;
      if (!ascending) {
        index.slotOf.set(id, slot);
        if (index.slotOf.size !== slot + 1) throw new IndexCorruptError(`${FILE_LABEL} lists document ${id} twice`);
      }
      index.totalLength += length;
    }
    const termCount = reader.u32();
    if (version === 1) {
      for (let t = 0; t < termCount; t++) {
        const term = reader.string();
        const posting = readPosting(reader, term, documentCount, index.arena);
        if (index.postings.has(term)) throw new IndexCorruptError(`${FILE_LABEL} lists a term twice`);
        index.postings.set(term, posting);
      }
    } else {
      if (termCount > reader.remaining) throw new IndexCorruptError(`${FILE_LABEL} is truncated`);
      let terms: StoredEntries<string, number>;
      if (version === 2) {
        const termLengths = new Uint32Array(termCount);
        for (let t = 0; t < termCount; t++) termLengths[t] = reader.varint();
        terms = new StoredTerms(reader.bytes(reader.u32()).toString('utf8'), termLengths, FILE_LABEL);
      } else {
        const seed = reader.u32();
        const slotCount = reader.u32();
        const slots = reader.uint32s(slotCount); // checked against what is left before anything is allocated
        const ends = reader.uint32s(termCount);
        terms = new HashedTerms(reader.bytes(reader.u32()), ends, slots, seed, FILE_LABEL);
        index.termSeed = seed;
      }
      const offsets = reader.uint32s(termCount + 1);
      let postings: PostingBytes;
      if (version === 2) {
        postings = new PostingsInMemory(reader.bytes(reader.remaining));
      } else if (file === undefined) {
        const headBytes = buffer.length - reader.remaining;
        if (reader.remaining < 4) throw new IndexCorruptError(`${FILE_LABEL} is truncated`);
        postings = new PostingsInMemory(reader.bytes(reader.remaining - 4));
        if (reader.u32() !== headBytes) throw new IndexCorruptError(`${FILE_LABEL} has a malformed end`);
      } else {
        // the head ends where the postings begin; they run to the four bytes of its length
        if (reader.remaining !== 0 || file.size < buffer.length + 4) throw new IndexCorruptError(`${FILE_LABEL} has a malformed end`);
        postings = new PostingsInFile(file.fd, buffer.length, file.size - 4 - buffer.length);
      }
      // the terms stay in their text, found by a hash table (term-table.ts), the t-th standing for its posting t
      index.postings = new OverlayMap<string, Posting | number | Appended>(terms);
      for (let t = 0; t < termCount; t++) {
        if (!(offsets[t] < offsets[t + 1])) throw new IndexCorruptError(`${FILE_LABEL} has a malformed posting table`);
      }
      if (offsets[0] !== 0 || offsets[termCount] !== postings.length) throw new IndexCorruptError(`${FILE_LABEL} has a malformed posting table`);
      // no posting left to read (no term): nothing is kept of the file, its descriptor included
      index.stored = termCount === 0 ? undefined : { postings, offsets, documentCount, undecoded: termCount };
      if (termCount === 0 && postings instanceof PostingsInFile) postings.close();
    }
    reader.end();
    return index;
  }

  /**
   * Lets go of the file the postings were left in ({@link deserializeHead}); the index can no
   * longer read a posting it has not read yet. Any other index: nothing to do.
   */
  close(): void {
    if (this.stored?.postings instanceof PostingsInFile) this.stored.postings.close();
  }

  /** Reads the postings left in the file into memory, all at once, and lets go of the file: before anything that reads every posting (a save, a compaction). */
  private readPostingsIn(): void {
    const stored = this.stored;
    if (stored === undefined || !(stored.postings instanceof PostingsInFile)) return;
    const file = stored.postings;
    stored.postings = new PostingsInMemory(file.bytes(0, file.length));
    file.close();
  }

  /** The posting of a term, decoding it (and the entries waiting beside it) if it has not been yet. */
  private posting(term: string): Posting | undefined {
    const entry = this.postings.get(term);
    if (entry === undefined || entry instanceof Posting) return entry;
    const stored = this.stored!;
    const at = typeof entry === 'number' ? entry : entry.entry;
    const reader = new ByteReader(stored.postings.bytes(stored.offsets[at], stored.offsets[at + 1]), FILE_LABEL);
    const posting = readPosting(reader, term, stored.documentCount, this.arena);
    try {
      reader.end();
    } catch (error) {
      this.arena.release(posting); // trailing bytes: the posting is never used
      throw error;
    }
    if (entry instanceof Appended) {
      // added after loading: their slots follow the file's
      for (let i = 0; i < entry.slots.length; i++) this.arena.push(posting, entry.slots[i], entry.frequencies[i]);
    }
    // its count is exact while no document has been removed; else it is counted when needed
    posting.live = posting.length;
    posting.counted = this.deadSlots === 0 ? this.removals : -1;
    this.postings.set(term, posting);
    if (--stored.undecoded === 0) {
      // every posting decoded: the file's bytes (or the file) are no longer needed
      if (stored.postings instanceof PostingsInFile) stored.postings.close();
      this.stored = undefined;
    }
    return posting;
  }

  /** Every posting, decoding those that have not been yet. */
  private *allPostings(): IterableIterator<Posting> {
    for (const [term, entry] of this.postings) yield entry instanceof Posting ? entry : this.posting(term)!;
  }

  /**
   * Per slot, the BM25 length normalisation `k1 · (1 − b + b · length / average length)` (−1 for a removed document), kept
   * until the documents change: a scan then reads one typed array instead of two lists.
   */
  private lengthNorms(): Float64Array {
    if (this.norms === undefined) {
      const averageLength = this.totalLength / this.size;
      const norms = new Float64Array(this.ids.length);
      for (let slot = 0; slot < norms.length; slot++) {
        norms[slot] = this.ids[slot] === REMOVED ? -1 : this.k1 * (1 - this.b + (this.b * this.lengths[slot]) / averageLength);
      }
      this.norms = norms;
    }
    return this.norms;
  }

  /** The search scratch for `slots` slots: scores all zero. */
  private scratchFor(slots: number): { scores: Float64Array; touched: Uint32Array } {
    if (this.scratch === undefined || this.scratch.scores.length !== slots) {
      this.scratch = { scores: new Float64Array(slots), touched: new Uint32Array(slots) };
    }
    return this.scratch;
  }

  /**
   * The terms of a document that {@link recentTerms} does not hold, and their frequencies, found
   * by reading every posting: in place for those still in the file's bytes (none is decoded).
   * Slow (all the entries of the index): for checks of an index (tests, tools), never for a change
   * log ({@link recentDocumentTerms}).
   */
  private findTermsOf(slot: number): [string, number][] {
    this.readPostingsIn();
    const terms: [string, number][] = [];
    const stored = this.stored;
    for (const [term, entry] of this.postings) {
      if (!(entry instanceof Posting)) {
        let frequency = storedFrequencyOf(stored!, typeof entry === 'number' ? entry : entry.entry, slot);
        if (frequency === undefined && entry instanceof Appended) {
          const at = entry.slots.indexOf(slot);
          if (at >= 0) frequency = entry.frequencies[at];
        }
        if (frequency !== undefined) terms.push([term, frequency]);
        continue;
      }
      const at = this.arena.find(entry, slot);
      if (at >= 0) terms.push([term, this.arena.frequenciesOf(entry)[at]]);
    }
    return terms;
  }

  /** A new, empty posting for a term that has none. */
  private newPosting(term: string): Posting {
    const posting = new Posting(term);
    posting.counted = this.removals; // no entries, none live: exact
    this.postings.set(term, posting);
    return posting;
  }

  /**
   * Every decoded posting: each was set in the map when it was made or read, so none still in the
   * file's bytes is read for this.
   */
  private *decodedPostings(): Generator<Posting> {
    for (const entry of this.postings.changedValues()) if (entry instanceof Posting) yield entry;
  }

  /**
   * Purges removed documents from the postings, drops the postings left with none, and renumbers
   * the remaining slots densely, in order.
   */
  private compact(): void {
    this.readPostingsIn();
    const renumbered = new Int32Array(this.ids.length).fill(-1);
    let next = 0;
    this.ids.forEach((id, slot) => {
      if (id !== REMOVED) renumbered[slot] = next++;
    });
    const emptied: Posting[] = [];
    for (const posting of this.allPostings()) {
      // after the posting is decoded, which may have grown the arena
      const slots = this.arena.slotsOf(posting);
      const frequencies = this.arena.frequenciesOf(posting);
      let kept = posting.start;
      for (let i = posting.start; i < posting.start + posting.length; i++) {
        const slot = renumbered[slots[i]];
        if (slot < 0) continue;
        slots[kept] = slot;
        frequencies[kept] = frequencies[i];
        kept++;
      }
      posting.length = kept - posting.start;
      posting.live = posting.length;
      posting.counted = this.removals;
      if (posting.length === 0) emptied.push(posting);
    }
    for (const posting of emptied) {
      this.postings.delete(posting.term);
      this.arena.release(posting);
    }
    const live = (_: unknown, slot: number) => renumbered[slot] >= 0;
    this.ids = this.ids.filter(live);
    this.lengths = this.lengths.filter(live);
    this.recentTerms = new Map([...this.recentTerms].filter(([slot]) => renumbered[slot] >= 0).map(([slot, terms]) => [renumbered[slot], terms]));
    this.ids.forEach((id, slot) => this.slotOf.set(id, slot));
    this.deadSlots = 0;
    this.norms = undefined;
    this.arena.shrinkIfWorth();
  }
}

/** BM25 inverse document frequency in the always-positive form used by Lucene. */
function inverseDocumentFrequency(documentCount: number, documentFrequency: number): number {
  return Math.log(1 + (documentCount - documentFrequency + 0.5) / (documentFrequency + 0.5));
}

/**
 * The frequency of the document in `wanted` in a stored posting (its entry number), read from its
 * encoded bytes with readPosting's checks, into arrays of its own (the arena is not touched);
 * undefined when the posting does not hold it.
 */
function storedFrequencyOf(stored: StoredPostings, entry: number, wanted: number): number | undefined {
  const reader = new ByteReader(stored.postings.bytes(stored.offsets[entry], stored.offsets[entry + 1]), FILE_LABEL);
  const count = readCount(reader, stored.documentCount);
  const slots = new Uint32Array(count);
  const frequencies = new Float32Array(count);
  readEntries(reader, count, stored.documentCount, slots, frequencies);
  reader.end();
  const at = findAscending(slots, count, wanted);
  return at < 0 ? undefined : frequencies[at];
}

/** A term's posting: its count, document ordinals and frequencies (see {@link LexicalIndex.serialize}). */
function readPosting(reader: ByteReader, term: string, documentCount: number, arena: PostingArena): Posting {
  if (term === '') throw new IndexCorruptError(`${FILE_LABEL} has a malformed term entry`);
  const count = readCount(reader, documentCount);
  const posting = new Posting(term);
  arena.reserve(posting, count);
  try {
    readEntries(reader, count, documentCount, arena.slotsOf(posting).subarray(posting.start, posting.start + count), arena.frequenciesOf(posting).subarray(posting.start, posting.start + count));
  } catch (error) {
    arena.release(posting); // its region is garbage: the posting is never used
    throw error;
  }
  posting.length = count;
  return posting;
}

/** A posting's entry count, checked against the documents and against the bytes left (at least a byte and 4 bytes an entry). */
function readCount(reader: ByteReader, documentCount: number): number {
  const count = reader.varint();
  if (count === 0 || count > documentCount) throw new IndexCorruptError(`${FILE_LABEL} has a malformed term entry`);
  if (count * 5 > reader.remaining) throw new IndexCorruptError(`${FILE_LABEL} is truncated`);
  return count;
}

/** A posting's `count` document slots and frequencies, read into `slots` and `frequencies`, checked. */
function readEntries(reader: ByteReader, count: number, documentCount: number, slots: Uint32Array, frequencies: Float32Array): void {
  reader.ascendingVarints(count, slots);
  if (slots[count - 1] >= documentCount) throw new IndexCorruptError(`${FILE_LABEL} refers to a missing document`);
  reader.float32s(count, frequencies);
  if (!frequencies.every((f) => Number.isFinite(f) && f > 0)) throw new IndexCorruptError(`${FILE_LABEL} has an invalid term frequency`);
}

function checkId(id: number): void {
  if (!Number.isInteger(id) || id < 0 || id > 0xffffffff) throw new RangeError(`document id must be a uint32, got ${id}`);
}

/** Whether `ids` are in strictly ascending order. */
function isAscending(ids: Uint32Array): boolean {
  for (let i = 1; i < ids.length; i++) if (!(ids[i - 1] < ids[i])) return false;
  return true;
}

/**
 * A term of a loaded index whose posting is still in the file's bytes (its entry number there),
 * with the documents added to it since, in the order of their slots (all after the file's).
 */
class Appended {
  readonly slots: number[] = [];
  /** as float32 values, as a decoded posting keeps them */
  readonly frequencies: number[] = [];

  constructor(readonly entry: number) {}
}

/** A document's terms and their weighted frequencies (float32 values), in {@link LexicalIndex.documentTerms}' order. */
interface DocumentTerms {
  terms: string[];
  frequencies: number[];
}

/** The document ids of a loaded index, in ascending order, as stored entries: id → slot, its position. */
class AscendingSlots implements StoredEntries<number, number> {
  constructor(private readonly ids: Uint32Array) {}

  get count(): number {
    return this.ids.length;
  }

  keyAt(i: number): number {
    return this.ids[i];
  }

  valueAt(i: number): number {
    return i;
  }

  indexOf(id: number): number {
    return findAscending(this.ids, this.ids.length, id);
  }
}

/** The undecoded postings of a loaded index, and where each starts in them (one more: the end). */
interface StoredPostings {
  postings: PostingBytes;
  offsets: Uint32Array;
  documentCount: number;
  undecoded: number;
}

/** The postings of a loaded index, one after another: in the file's bytes, or left in the file. */
interface PostingBytes {
  readonly length: number;
  /** Their bytes from `start` to `end`. */
  bytes(start: number, end: number): Buffer;
}

/** Postings in the bytes of a file read whole. */
class PostingsInMemory implements PostingBytes {
  constructor(private readonly all: Buffer) {}

  get length(): number {
    return this.all.length;
  }

  bytes(start: number, end: number): Buffer {
    return this.all.subarray(start, end);
  }
}

/** Postings left in their file, open as `fd` from `start`, read when asked for (see LexicalIndex.deserializeHead). */
class PostingsInFile implements PostingBytes {
  constructor(
    private fd: number,
    private readonly start: number,
    readonly length: number,
  ) {}

  bytes(start: number, end: number): Buffer {
    if (this.fd < 0) throw new Error('the lexical index is closed');
    return readExactly(this.fd, Buffer.allocUnsafe(end - start), end - start, this.start + start, FILE_LABEL);
  }

  close(): void {
    if (this.fd < 0) return;
    const fd = this.fd;
    this.fd = -1;
    fs.closeSync(fd);
  }
}

/** The whole of a file open as `fd`, of `size` bytes. */
function readWhole(file: { fd: number; size: number }): Buffer {
  return readExactly(file.fd, Buffer.allocUnsafe(file.size), file.size, 0, FILE_LABEL);
}
