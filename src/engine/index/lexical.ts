/**
 * An in-memory BM25 index over token lists, with incremental add/remove and a compact binary
 * form. Documents are keyed by uint32 ids chosen by the caller (chunk ids).
 *
 * Field weighting follows the simple form of BM25F: each field's tokens count `weight` times
 * toward the term frequency and toward the document length, so a name or signature token can
 * weigh more than a body token, then plain BM25 is applied to those weighted counts.
 */

import { ByteReader, ByteWriter, encodeStrings } from './bytes';
import { IndexCorruptError, IndexVersionError } from './errors';
import { TopK, type ScoredId } from './topk';
import { runSteps, type Steps } from '../time-slice';
import { StoredTerms } from './term-table';
import { OverlayMap, type StoredEntries } from './overlay-map';
import { findAscending } from './sorted';
import { inArena, Posting, PostingArena } from './postings';

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

const MAGIC = 0x584c5343; // 'CSLX'
/** Postings gathered or encoded between two points where {@link LexicalIndex.serializeSteps} may be paused. */
const POSTINGS_PER_STEP = 2048;

/** 1: each term beside its posting; 2: the terms together, then a table of where each posting starts (see {@link LexicalIndex.serialize}). */
export const LEXICAL_FORMAT_VERSION = 2;
const FORMAT_VERSION = LEXICAL_FORMAT_VERSION;
const FILE_LABEL = 'lexical index';
/** The id of a removed document's slot. Real ids are uint32, so they never collide with it. */
const REMOVED = -1;
/** Removed documents are purged from the postings once they are this many and this share of all slots. */
const COMPACT_MIN_DEAD = 1024;
const COMPACT_DEAD_RATIO = 0.25;

/**
 * A BM25 index supporting incremental updates. Removal is O(terms of the document): the
 * document's postings entries are only marked dead, and purged in bulk once they pile up.
 */
export class LexicalIndex {
  readonly k1: number;
  readonly b: number;

  /**
   * Per term, its posting; or, for a loaded index, the number of its entry in `stored` until it is
   * first needed: a search reads the postings of its query's terms only, so a process that
   * searches once decodes a few of them instead of hundreds of thousands. The terms of a loaded
   * index stay in the file's term text too (term-table.ts), changes kept beside them (overlay-map.ts).
   */
  private postings = new OverlayMap<string, Posting | number>();
  /** The entries of every decoded posting (postings.ts). */
  private arena = new PostingArena(() => this.decodedPostings());
  /** The undecoded postings of a loaded index (format 2): their bytes and where each starts in them (one more: the end). */
  private stored: { bytes: Buffer; offsets: Uint32Array; documentCount: number; undecoded: number } | undefined;
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
   * Per slot, the postings the document appears in, which removal needs: kept for an index made in
   * memory. A loaded index uses {@link storedDocs} instead; one read from format 1 (no stored
   * terms) builds this from its postings on first need.
   */
  private docTerms: Posting[][] | undefined = [];
  /**
   * The terms of each loaded document, as numbers of the file's terms, built when they are first
   * needed after the first removal's pass (see {@link removalCounts}): about 19 MB and 0.24 s at
   * 100k documents, where a table of postings by slot took 260 MB and 2 s. It follows compaction.
   */
  private storedDocs: StoredDocumentTerms | undefined;
  /**
   * The file's terms (term-table.ts), which {@link storedDocs} numbers, and how many of the slots
   * are loaded documents (the first ones: compaction keeps their order and counts those left),
   * for a loaded index of format 2.
   */
  private storedTerms: StoredTerms | undefined;
  private loadedSlots = 0;
  /** Whether a removal of loaded documents has been done by a pass over the postings (see {@link removalCounts}). */
  private removedByPass = false;
  /**
   * While `docTerms` is not built: the postings of the documents added since loading, by slot,
   * so that the documents a session adds (and logs, and replaces) never need the whole table.
   */
  private lateTerms = new Map<number, Posting[]>();
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

  constructor(options: Bm25Options = {}) {
    this.k1 = options.k1 ?? 1.2;
    this.b = options.b ?? 0.75;
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
    const terms: [string, number][] = this.postingsOf(slot).map((posting) => [posting.term, this.arena.frequenciesOf(posting)[this.arena.find(posting, slot)]]);
    return { terms, length: this.lengths[slot] };
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
    const postings: Posting[] = [];
    for (const [term, frequency] of frequencies) {
      const posting = this.postingFor(term);
      this.arena.push(posting, slot, frequency);
      postings.push(posting);
    }
    this.ids.push(id);
    this.lengths.push(length);
    this.norms = undefined;
    if (this.docTerms) this.docTerms.push(postings);
    else this.lateTerms.set(slot, postings);
    this.slotOf.set(id, slot);
    this.totalLength += length;
    this.arena.shrinkIfWorth();
  }

  /** Removes a document; returns false (and does nothing) if the id is absent. */
  remove(id: number): boolean {
    return this.removeMany([id]) === 1;
  }

  /**
   * Removes documents (absent ids are ignored); returns how many were removed. What each removed
   * document's postings lose is worked out before anything changes, so that a posting that fails
   * to decode (IndexCorruptError) leaves the index as it was.
   */
  removeMany(ids: Iterable<number>): number {
    const slots = new Set<number>();
    for (const id of ids) {
      const slot = this.slotOf.get(id);
      if (slot !== undefined) slots.add(slot);
    }
    if (slots.size === 0) return 0;
    for (const [posting, by] of this.removalCounts([...slots])) {
      posting.live -= by;
      if (posting.live === 0) {
        this.postings.delete(posting.term);
        this.arena.release(posting);
      }
    }
    for (const slot of slots) {
      this.slotOf.delete(this.ids[slot]);
      this.lateTerms.delete(slot);
      this.ids[slot] = REMOVED;
      this.deadSlots++;
      this.totalLength -= this.lengths[slot];
    }
    this.norms = undefined;
    // Reset rather than subtract when empty, so float rounding cannot leave a residue.
    if (this.size === 0) this.totalLength = 0;
    if (this.deadSlots >= COMPACT_MIN_DEAD && this.deadSlots >= COMPACT_DEAD_RATIO * this.ids.length) this.compact();
    this.arena.shrinkIfWorth();
    return slots.size;
  }

  /**
   * For documents about to be removed, how many of them each posting holds. The first removal of
   * loaded documents in a process (a change log replayed as the index loads, a CLI refresh of a
   * file or two) finds them in one pass over the postings, reading those still in the file's bytes
   * in place and decoding only those that hold a removed document; the next one builds the table
   * of the loaded documents' terms ({@link storedDocs}), which every later one looks up.
   */
  private removalCounts(slots: readonly number[]): Map<Posting, number> {
    const counts = new Map<Posting, number>();
    const count = (posting: Posting, by: number) => counts.set(posting, (counts.get(posting) ?? 0) + by);
    const stored = this.stored;
    const loaded = slots.filter((slot) => this.docTerms === undefined && !this.lateTerms.has(slot) && slot < this.loadedSlots);
    if (loaded.length > 0 && stored !== undefined && this.storedDocs === undefined && !this.removedByPass) {
      this.removedByPass = true;
      const gone = new Uint8Array(this.ids.length);
      for (const slot of loaded) gone[slot] = 1;
      const holding: string[] = [];
      let toDecode = 0;
      for (const [term, entry] of this.postings) {
        if (typeof entry === 'number') {
          const entries = storedEntriesIfHit(stored, entry, gone);
          if (entries === 0) continue;
          if (inArena(entries)) toDecode += entries;
        }
        holding.push(term);
      }
      // room for the small postings decoded next, at once: an arena doubled step by step touches about twice the memory (0.05-0.1 s here)
      this.arena.makeRoom(toDecode);
      for (const term of holding) {
        const posting = this.posting(term)!;
        let found = 0;
        const postingSlots = this.arena.slotsOf(posting);
        for (let i = posting.start; i < posting.start + posting.length; i++) found += gone[postingSlots[i]];
        if (found > 0) count(posting, found);
      }
      for (const slot of slots) if (gone[slot] === 0) for (const posting of this.postingsOf(slot)) count(posting, 1);
      return counts;
    }
    for (const slot of slots) for (const posting of this.postingsOf(slot)) count(posting, 1);
    return counts;
  }

  /** Whether some document holds `term`. */
  hasTerm(term: string): boolean {
    return (this.posting(term)?.live ?? 0) > 0;
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
        const idf = inverseDocumentFrequency(documentCount, posting.live);
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
   * The index as bytes (format 2): the document ids (u32) and lengths (f64); the terms, as their
   * lengths in UTF-16 code units (varints) and then all of them in one UTF-8 string; per term the
   * byte offset of its posting (u32, one more for the end); then the postings, each its count,
   * its document ordinals (ascending, delta-encoded varints) and float32 frequencies. BM25
   * parameters are not included. Purges removed documents first.
   */
  serialize(): Buffer {
    return Buffer.concat(runSteps(this.serializeSteps()));
  }

  /**
   * {@link serialize} as steps (time-slice.ts), giving the bytes as parts in order, not joined:
   * the index must not change until they are done.
   */
  *serializeSteps(): Steps<Buffer[]> {
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
    const terms = postings.map((posting) => posting.term);
    for (const term of terms) writer.varint(term.length);
    yield;
    writer.lengthAndParts(yield* encodeStrings(terms, 'utf8'));
    writer.values(offsets);
    writer.adopt(body.parts());
    return writer.parts();
  }

  /**
   * Reads an index written by {@link serialize} (or in format 1); throws {@link IndexCorruptError}
   * on malformed input. The postings are decoded when first needed (a search's terms), after the
   * structure around them has been checked here; the caller verifies the bytes' checksum
   * (store.ts), so damage inside a posting is found before it is loaded, and a posting that still
   * fails to decode throws IndexCorruptError when it is used.
   */
  static deserialize(buffer: Buffer, options: Bm25Options = {}): LexicalIndex {
    const reader = new ByteReader(buffer, FILE_LABEL);
    if (reader.u32() !== MAGIC) throw new IndexCorruptError(`${FILE_LABEL} has an unknown file signature`);
    const version = reader.u32();
    if (version !== 1 && version !== FORMAT_VERSION) throw new IndexVersionError(version, FORMAT_VERSION);
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
      const termLengths = new Uint32Array(termCount);
      for (let t = 0; t < termCount; t++) termLengths[t] = reader.varint();
      const text = reader.bytes(reader.u32()).toString('utf8');
      const offsets = reader.uint32s(termCount + 1);
      const bytes = reader.bytes(reader.remaining);
      // the terms stay in their text, found by a hash table (term-table.ts), the t-th standing for its posting t
      index.storedTerms = new StoredTerms(text, termLengths, FILE_LABEL);
      index.loadedSlots = documentCount;
      index.postings = new OverlayMap<string, Posting | number>(index.storedTerms);
      for (let t = 0; t < termCount; t++) {
        if (!(offsets[t] < offsets[t + 1])) throw new IndexCorruptError(`${FILE_LABEL} has a malformed posting table`);
      }
      if (offsets[0] !== 0 || offsets[termCount] !== bytes.length) throw new IndexCorruptError(`${FILE_LABEL} has a malformed posting table`);
      index.stored = termCount === 0 ? undefined : { bytes, offsets, documentCount, undecoded: termCount };
    }
    reader.end();
    index.docTerms = undefined;
    return index;
  }

  /** The posting of a term, decoding it if it has not been yet. */
  private posting(term: string): Posting | undefined {
    const entry = this.postings.get(term);
    if (typeof entry !== 'number') return entry;
    const stored = this.stored!;
    const reader = new ByteReader(stored.bytes, FILE_LABEL, stored.offsets[entry], stored.offsets[entry + 1]);
    const posting = readPosting(reader, term, stored.documentCount, this.arena);
    try {
      reader.end();
    } catch (error) {
      this.arena.release(posting); // trailing bytes: the posting is never used
      throw error;
    }
    this.postings.set(term, posting);
    if (--stored.undecoded === 0) this.stored = undefined; // every posting decoded: the file's bytes are no longer needed
    return posting;
  }

  /** Every posting, decoding those that have not been yet. */
  private *allPostings(): IterableIterator<Posting> {
    for (const [term, entry] of this.postings) yield typeof entry === 'number' ? this.posting(term)! : entry;
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
   * The postings of a document: from the table of an index made in memory, from those kept for a
   * document added since loading, or from the loaded documents' terms ({@link storedDocs}, built
   * on first use); for an index read from format 1, from a table built from its postings.
   */
  private postingsOf(slot: number): Posting[] {
    if (this.docTerms === undefined) {
      const late = this.lateTerms.get(slot);
      if (late !== undefined) return late;
      const terms = this.storedTerms;
      if (terms !== undefined && slot < this.loadedSlots) {
        // a loaded document: its terms are what the file says, read from its bytes while they are
        // kept (decoded or not since), else from the postings, all decoded by then
        const stored = this.stored;
        this.storedDocs ??= StoredDocumentTerms.build(
          this.loadedSlots,
          terms.count,
          stored !== undefined ? (t, visit) => forEachStoredSlot(stored, t, visit) : (t, visit) => this.slotsOfTerm(t, visit),
        );
        const postings: Posting[] = [];
        for (const t of this.storedDocs.termsOf(slot)) {
          const posting = this.posting(terms.keyAt(t));
          // a live document's terms all have postings: one without is a file that disagrees with itself
          if (posting === undefined) throw new IndexCorruptError(`${FILE_LABEL} lists a document under a term it has no entry for`);
          postings.push(posting);
        }
        return postings;
      }
      const docTerms: Posting[][] = this.ids.map(() => []);
      for (const posting of this.allPostings()) {
        const postingSlots = this.arena.slotsOf(posting);
        for (let i = posting.start; i < posting.start + posting.length; i++) docTerms[postingSlots[i]].push(posting);
      }
      this.docTerms = docTerms;
      this.lateTerms.clear(); // the table holds them too
    }
    return this.docTerms[slot];
  }

  /**
   * Calls `visit` with each loaded slot of the t-th term of the file, once the file's bytes are no
   * longer kept (every posting is decoded then): its posting's slots below {@link loadedSlots};
   * those after are documents added since. A term whose documents were all removed has none.
   */
  private slotsOfTerm(t: number, visit: (slot: number) => void): void {
    const entry = this.postings.get(this.storedTerms!.keyAt(t));
    if (entry === undefined) return;
    if (typeof entry === 'number') throw new Error('lexical index: a posting is undecoded without the bytes to decode it');
    const slots = this.arena.slotsOf(entry);
    for (let i = entry.start; i < entry.start + entry.length && slots[i] < this.loadedSlots; i++) visit(slots[i]);
  }

  private postingFor(term: string): Posting {
    let posting = this.posting(term);
    if (posting === undefined) {
      posting = new Posting(term);
      this.postings.set(term, posting);
    }
    return posting;
  }

  /**
   * Every decoded posting: each was set in the map when it was made or read, so none still in the
   * file's bytes is read for this.
   */
  private *decodedPostings(): Generator<Posting> {
    for (const entry of this.postings.changedValues()) if (typeof entry !== 'number') yield entry;
  }

  /** Purges removed documents from the postings and renumbers the remaining slots densely, in order. */
  private compact(): void {
    const renumbered = new Int32Array(this.ids.length).fill(-1);
    let next = 0;
    this.ids.forEach((id, slot) => {
      if (id !== REMOVED) renumbered[slot] = next++;
    });
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
    }
    const live = (_: unknown, slot: number) => renumbered[slot] >= 0;
    this.ids = this.ids.filter(live);
    this.lengths = this.lengths.filter(live);
    this.docTerms = this.docTerms?.filter(live);
    this.lateTerms = new Map([...this.lateTerms].filter(([slot]) => renumbered[slot] >= 0).map(([slot, postings]) => [renumbered[slot], postings]));
    this.ids.forEach((id, slot) => this.slotOf.set(id, slot));
    // the loaded documents still here keep their order, first: their terms follow them
    let liveLoaded = 0;
    for (let slot = 0; slot < this.loadedSlots; slot++) if (renumbered[slot] >= 0) liveLoaded++;
    this.storedDocs?.renumber(renumbered, this.loadedSlots, liveLoaded);
    this.loadedSlots = liveLoaded;
    this.deadSlots = 0;
    this.norms = undefined;
  }
}

/** BM25 inverse document frequency in the always-positive form used by Lucene. */
function inverseDocumentFrequency(documentCount: number, documentFrequency: number): number {
  return Math.log(1 + (documentCount - documentFrequency + 0.5) / (documentFrequency + 0.5));
}

/**
 * The terms of each document of a loaded index, by its slot in the file: the numbers of the
 * file's terms (term-table.ts), in one array, each document's a run of it. Built in two passes
 * over the postings (count, then fill), read from their stored bytes where they are not decoded,
 * so that none is decoded for it.
 */
class StoredDocumentTerms {
  /** each slot's run, once compaction has renumbered the slots it was built for; undefined: a slot's run is its own */
  private runOf: Int32Array | undefined;

  private constructor(
    /** where each document's run starts in `terms`, and one more: the end */
    private readonly starts: Uint32Array,
    private readonly terms: Uint32Array,
  ) {}

  /** `slotsOf(t, visit)`: each slot (below `documentCount`) of the documents that hold the t-th term, ascending. */
  static build(documentCount: number, termCount: number, slotsOf: (t: number, visit: (slot: number) => void) => void): StoredDocumentTerms {
    const counts = new Uint32Array(documentCount + 1);
    for (let t = 0; t < termCount; t++) slotsOf(t, (slot) => counts[slot + 1]++);
    for (let slot = 0; slot < documentCount; slot++) counts[slot + 1] += counts[slot];
    const terms = new Uint32Array(counts[documentCount]);
    const next = counts.slice(0, documentCount);
    for (let t = 0; t < termCount; t++) slotsOf(t, (slot) => (terms[next[slot]++] = t));
    return new StoredDocumentTerms(counts, terms);
  }

  /** The numbers of the terms of the loaded document in this slot. */
  termsOf(slot: number): Uint32Array {
    const run = this.runOf === undefined ? slot : this.runOf[slot];
    return this.terms.subarray(this.starts[run], this.starts[run + 1]);
  }

  /**
   * Follows a compaction: `renumbered` gives each slot's new number (-1: removed). The loaded
   * documents were the first `slots` and the `live` of them still here are the first `live` now,
   * in the same order; their runs stay where they are.
   */
  renumber(renumbered: Int32Array, slots: number, live: number): void {
    const runOf = new Int32Array(live);
    for (let slot = 0; slot < slots; slot++) {
      if (renumbered[slot] >= 0) runOf[renumbered[slot]] = this.runOf === undefined ? slot : this.runOf[slot];
    }
    this.runOf = runOf;
  }
}

/**
 * The number of entries of a stored posting (its entry number) that holds a document marked in
 * `gone`, read from its bytes in place; 0 if it holds none; 1 (so that the caller decodes it, and
 * meets the damage there) when they do not read.
 */
function storedEntriesIfHit(stored: { bytes: Buffer; offsets: Uint32Array; documentCount: number }, entry: number, gone: Uint8Array): number {
  try {
    let hits = 0;
    const entries = forEachStoredSlot(stored, entry, (slot) => (hits += gone[slot]));
    return hits > 0 ? entries : 0;
  } catch {
    return 1;
  }
}

/**
 * Calls `visit` with each document slot of a stored posting (its entry number), read from its encoded bytes
 * (see {@link LexicalIndex.serialize}): by ByteReader.varint's rules, and with readPosting's
 * checks of the count and the slots, so that damage is the same IndexCorruptError either way.
 */
function forEachStoredSlot(stored: { bytes: Buffer; offsets: Uint32Array; documentCount: number }, entry: number, visit: (slot: number) => void): number {
  const { bytes, documentCount } = stored;
  const end = stored.offsets[entry + 1];
  let at = stored.offsets[entry];
  const varint = (): number => {
    let value = 0;
    let scale = 1;
    let byte = 0x80;
    while (byte >= 0x80) {
      if (at >= end || scale > 2 ** 28) throw new IndexCorruptError(`${FILE_LABEL} has a malformed posting`);
      byte = bytes[at++];
      value += (byte & 0x7f) * scale;
      scale *= 128;
    }
    return value;
  };
  const count = varint();
  if (count === 0 || count > documentCount) throw new IndexCorruptError(`${FILE_LABEL} has a malformed term entry`);
  let slot = -1;
  for (let i = 0; i < count; i++) {
    slot += varint() + 1;
    if (slot >= documentCount) throw new IndexCorruptError(`${FILE_LABEL} refers to a missing document`);
    visit(slot);
  }
  return count;
}

/** A term's posting: its count, document ordinals and frequencies (see {@link LexicalIndex.serialize}). */
function readPosting(reader: ByteReader, term: string, documentCount: number, arena: PostingArena): Posting {
  const count = reader.varint();
  if (term === '' || count === 0 || count > documentCount) throw new IndexCorruptError(`${FILE_LABEL} has a malformed term entry`);
  // a count the bytes left cannot hold (at least a byte and 4 bytes an entry) is not reserved for
  if (count * 5 > reader.remaining) throw new IndexCorruptError(`${FILE_LABEL} is truncated`);
  const posting = new Posting(term);
  arena.reserve(posting, count);
  try {
    const slots = reader.ascendingVarints(count, arena.slotsOf(posting).subarray(posting.start, posting.start + count));
    if (slots[count - 1] >= documentCount) throw new IndexCorruptError(`${FILE_LABEL} refers to a missing document`);
    const frequencies = reader.float32s(count, arena.frequenciesOf(posting).subarray(posting.start, posting.start + count));
    if (!frequencies.every((f) => Number.isFinite(f) && f > 0)) throw new IndexCorruptError(`${FILE_LABEL} has an invalid term frequency`);
  } catch (error) {
    arena.release(posting); // its region is garbage: the posting is never used
    throw error;
  }
  posting.length = count;
  posting.live = count;
  return posting;
}

function checkId(id: number): void {
  if (!Number.isInteger(id) || id < 0 || id > 0xffffffff) throw new RangeError(`document id must be a uint32, got ${id}`);
}

/** Whether `ids` are in strictly ascending order. */
function isAscending(ids: Uint32Array): boolean {
  for (let i = 1; i < ids.length; i++) if (!(ids[i - 1] < ids[i])) return false;
  return true;
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
