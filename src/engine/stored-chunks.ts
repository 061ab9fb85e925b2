/**
 * The chunk records and the string table of a catalog file (format 4, catalog-file.ts), left in
 * the file's bytes: checked in full when read, decoded one record, and one string, at a time when
 * asked for. A one-shot query reads a few hundred of 100k records.
 *
 * Both are laid out for reading without parsing: the strings' ends and the records' fields are
 * columns of fixed-width integers, viewed in place where they lie aligned. Reading 116k records
 * and 300k strings is then a few loops over typed arrays that check them (a catalog of varints took
 * 0.15 s of a 1 s CLI query to read).
 */
import type { ChunkRecord } from './catalog';
import type { ByteReader } from './index/bytes';
import { IndexCorruptError } from './index/errors';
import type { StoredEntries } from './index/overlay-map';
import { findAscending } from './index/sorted';
import type { ChunkKind, LanguageId } from './types';

const FILE_LABEL = 'catalog';

/** What a quick test of a name reads of it: a string, or a stored one's code units where they lie (StoredStrings.units). */
export interface CodeUnits {
  readonly length: number;
  charCodeAt(i: number): number;
}

/** A column of unsigned integers, 1, 2 or 4 bytes each. */
type Column = Uint8Array | Uint16Array | Uint32Array;

/** The string fields of a chunk record, in the order written; `true` for those that must be present. */
const CHUNK_STRINGS: readonly boolean[] = [true, true, true, true, false, true, false, true, false]; // path, language, kind, name, container, signature, doc, snippet, embeddingKey
/**
 * The columns of the chunk records: the id, the string fields, the embedding key as a digest (see
 * {@link KEY_BYTES}), then startByte, endByte, startLine, endLine.
 */
export const CHUNK_COLUMNS = 1 + CHUNK_STRINGS.length + 1 + 4;
const KIND_COLUMN = 3;
const NAME_COLUMN = 4;
const KEY_STRING_COLUMN = CHUNK_STRINGS.length;
const KEY_DIGEST_COLUMN = 1 + CHUNK_STRINGS.length;
const FIRST_NUMBER_COLUMN = KEY_DIGEST_COLUMN + 1;
/**
 * An embedding key that is a SHA-256 digest in lowercase hex, as the indexer makes them, is stored
 * as its 32 bytes in the key table (its digest column says which: i + 1 for the i-th, 0 for none),
 * not as 64 characters in the string table; any other key is a string like the other fields.
 */
export const KEY_BYTES = 32;
/** Whether an embedding key is stored as a digest (see {@link KEY_BYTES}). */
export const isDigestKey = (key: string): boolean => DIGEST_KEY.test(key);
const DIGEST_KEY = /^[0-9a-f]{64}$/;

/** Reads a column as {@link writeColumn} (catalog-file.ts) wrote it: its width (u32), the values, padding to 4 bytes. */
function readColumn(reader: ByteReader, count: number): Column {
  const width = reader.u32();
  if (width !== 1 && width !== 2 && width !== 4) throw new IndexCorruptError(`${FILE_LABEL} has a malformed column`);
  const column = reader.uints(count, width);
  reader.skipPadding(4);
  return column;
}

/**
 * The chunk records of a catalog file, left in its bytes. Reading them checks every record (each
 * string reference in the table, each required field present, no id twice), so that decoding one
 * later cannot fail; a record is decoded the first time it is asked for and kept, so that it is
 * the same object each time (the name index tells changes by identity).
 */
export class StoredChunks implements StoredEntries<number, ChunkRecord> {
  private readonly decoded: (ChunkRecord | undefined)[];
  private decodedCount = 0;
  /** the record columns (views of the file's bytes, most of them), until every record is decoded: then let go */
  private columns: Column[] | undefined;
  private ids: Uint32Array;
  /** each record's kind and name, as string references */
  private kinds: Column;
  private names: Column;
  /** by kind reference, whether the kind is 'window' (see isDefinition) */
  private windowKinds: Uint8Array | undefined;
  /** the position of each id, when the ids are not in ascending order (then found by binary search in `ids`) */
  private readonly byId: Map<number, number> | undefined;

  private constructor(
    private readonly strings: StoredStrings,
    columns: Column[],
    /** the embedding keys stored as digests, {@link KEY_BYTES} each (a view of the file's bytes until every record is decoded) */
    private keys: Buffer | undefined,
  ) {
    this.columns = columns;
    this.ids = columns[0] instanceof Uint32Array ? columns[0] : Uint32Array.from(columns[0]);
    this.kinds = columns[KIND_COLUMN];
    this.names = columns[NAME_COLUMN];
    const ids = this.ids;
    this.decoded = new Array(ids.length);
    let ascending = true;
    for (let i = 1; i < ids.length && ascending; i++) ascending = ids[i - 1] < ids[i];
    if (!ascending) {
      this.byId = new Map();
      for (let i = 0; i < ids.length; i++) {
        if (this.byId.has(ids[i])) throw new IndexCorruptError(`${FILE_LABEL} lists a chunk twice`);
        this.byId.set(ids[i], i);
      }
    }
  }

  /** Reads the records' count and columns, and checks every string reference. */
  static read(reader: ByteReader, strings: StoredStrings): StoredChunks {
    const count = reader.u32();
    // a record is at least one byte a column: a count its bytes cannot hold allocates nothing
    if (count > reader.remaining / CHUNK_COLUMNS) throw new IndexCorruptError(`${FILE_LABEL} is truncated`);
    const columns: Column[] = [];
    for (let c = 0; c < CHUNK_COLUMNS; c++) columns.push(readColumn(reader, count));
    CHUNK_STRINGS.forEach((required, field) => strings.checkAll(columns[1 + field], required));
    const keyCount = reader.u32();
    if (keyCount > reader.remaining / KEY_BYTES) throw new IndexCorruptError(`${FILE_LABEL} is truncated`);
    const keys = reader.bytes(keyCount * KEY_BYTES);
    const digests = columns[KEY_DIGEST_COLUMN];
    const keyStrings = columns[KEY_STRING_COLUMN];
    for (let i = 0; i < count; i++) {
      if (digests[i] > keyCount) throw new IndexCorruptError(`${FILE_LABEL} refers to a missing embedding key`);
      if (digests[i] !== 0 && keyStrings[i] !== 0) throw new IndexCorruptError(`${FILE_LABEL} has a chunk with two embedding keys`);
    }
    return new StoredChunks(strings, columns, keys);
  }

  get count(): number {
    return this.ids.length;
  }

  /** The position of the record with this id; -1 for none. */
  indexOf(id: number): number {
    if (this.byId) return this.byId.get(id) ?? -1;
    return findAscending(this.ids, this.ids.length, id);
  }

  keyAt(i: number): number {
    return this.ids[i];
  }

  /** The record at position `i`, decoded on first use. */
  valueAt(i: number): ChunkRecord {
    let record = this.decoded[i];
    if (record === undefined) {
      // every record not yet decoded is in the columns, which are let go only once none is left
      const c = this.columns!;
      const s = (field: number) => this.strings.get(c[1 + field][i]);
      const n = FIRST_NUMBER_COLUMN;
      const digest = c[KEY_DIGEST_COLUMN][i];
      const embeddingKey = digest === 0 ? s(KEY_STRING_COLUMN - 1) : this.keys!.toString('hex', (digest - 1) * KEY_BYTES, digest * KEY_BYTES);
      // every field present, absent ones as undefined, in one order: as catalog.ts builds records (one object shape)
      record = {
        id: this.ids[i], path: s(0)!, language: s(1) as LanguageId, kind: s(2) as ChunkKind, name: s(3)!, container: s(4), signature: s(5)!, doc: s(6),
        startByte: c[n][i], endByte: c[n + 1][i], startLine: c[n + 2][i], endLine: c[n + 3][i], snippet: s(7)!, embeddingKey,
      };
      this.decoded[i] = record;
      if (++this.decodedCount === this.decoded.length) this.release();
    }
    return record;
  }

  /**
   * The positions of the definitions (records that are not line windows) whose name passes `may`
   * (when given) and `test`, of those `live` passes (all when undefined), in order. Only kinds and
   * names are read for it: `may` is asked of a name's code units where they lie (see
   * StoredStrings.units), `test` of the name decoded, each once a name.
   */
  definitionsNamed(test: (name: string) => boolean, live: ((i: number) => boolean) | undefined, may?: (name: CodeUnits) => boolean): number[] {
    // verdicts by name reference (every reference was checked against the table when read):
    // 0 not asked yet, 1 yes, 2 no; a typed array, not a map, as 100k records are looked up
    const named = new Uint8Array(this.strings.referenceLimit);
    const found: number[] = [];
    for (let i = 0; i < this.ids.length; i++) {
      if ((live !== undefined && !live(i)) || !this.isDefinition(i)) continue;
      const name = this.names[i];
      if (named[name] === 0) named[name] = (may === undefined || may(this.strings.units(name))) && test(this.strings.get(name)!) ? 1 : 2;
      if (named[name] === 1) found.push(i);
    }
    return found;
  }

  /** Calls `visit` with the id and name of each definition (a record that is not a line window) that `live` passes (all when undefined), in order, decoding only kinds and names. */
  forEachDefinitionName(live: ((i: number) => boolean) | undefined, visit: (id: number, name: string) => void): void {
    for (let i = 0; i < this.ids.length; i++) if ((live === undefined || live(i)) && this.isDefinition(i)) visit(this.ids[i], this.strings.get(this.names[i])!);
  }

  /** Every record, in order. */
  all(): ChunkRecord[] {
    return Array.from({ length: this.count }, (_, i) => this.valueAt(i));
  }

  /** Whether the record at position `i` is a definition, not a line window: by its kind's reference, each kind decoded once. */
  private isDefinition(i: number): boolean {
    const kind = this.kinds[i];
    const verdicts = (this.windowKinds ??= new Uint8Array(this.strings.referenceLimit)); // 0 not asked yet, 1 a window, 2 not
    if (verdicts[kind] === 0) verdicts[kind] = this.strings.get(kind) === 'window' ? 1 : 2;
    return verdicts[kind] === 2;
  }

  /**
   * Every record is decoded (an editor's engine lists them all), and so is each string a record
   * refers to: the file's bytes are let go, the columns still needed copied out of them.
   */
  private release(): void {
    this.columns = undefined;
    this.keys = undefined;
    this.ids = this.ids.slice();
    this.kinds = this.kinds.slice();
    this.names = this.names.slice();
    this.strings.release();
  }
}

/**
 * The string table of a catalog file, left in its bytes: a string is decoded the first time it is
 * asked for and kept, so that a path shared by a thousand records is one string.
 *
 * It has two parts: strings whose characters are all below U+0100, as Latin-1, and the others, as
 * UTF-16 (so that any string, half a surrogate pair included, reads back exactly). Each part is the
 * strings' count (u32), where each ends in UTF-16 code units from the part's start (u32 each), their
 * text in one block, and padding to 4 bytes. A reference to a string is 2i + 1 for the i-th narrow
 * one, 2i + 2 for the i-th wide one, 0 for none.
 */
export class StoredStrings {
  private readonly narrow: (string | undefined)[];
  private readonly wide: (string | undefined)[];

  /** the file's bytes, until {@link release} */
  private buf: Buffer | undefined;
  /** where each part's text starts in `buf`, and where each of its strings ends from there (in code units) */
  private narrowPart: { start: number; ends: Uint32Array } | undefined;
  private widePart: { start: number; ends: Uint32Array } | undefined;

  private constructor(buf: Buffer, narrowPart: { start: number; ends: Uint32Array }, widePart: { start: number; ends: Uint32Array }) {
    this.buf = buf;
    this.narrowPart = narrowPart;
    this.widePart = widePart;
    this.narrow = new Array(narrowPart.ends.length);
    this.wide = new Array(widePart.ends.length);
  }

  static read(reader: ByteReader, buf: Buffer): StoredStrings {
    const part = (bytesPerUnit: number): { start: number; ends: Uint32Array } => {
      const count = reader.u32();
      const ends = reader.uints(count, 4) as Uint32Array;
      let previous = 0;
      for (let i = 0; i < count; i++) {
        if (ends[i] < previous) throw new IndexCorruptError(`${FILE_LABEL} has a malformed string table`);
        previous = ends[i];
      }
      const start = buf.length - reader.remaining;
      reader.bytes(previous * bytesPerUnit);
      reader.skipPadding(4);
      return { start, ends };
    };
    const narrowPart = part(1);
    const widePart = part(2);
    return new StoredStrings(buf, narrowPart, widePart);
  }

  /** Lets the file's bytes go: only the strings decoded so far can be asked for from now on. */
  release(): void {
    this.buf = undefined;
    this.narrowPart = undefined;
    this.widePart = undefined;
    this.view.buf = Buffer.alloc(0); // the view of the last name asked for holds the bytes too
  }

  /** One more than the largest reference a string of the table has (see {@link check}): the size of an array indexed by reference. */
  get referenceLimit(): number {
    return 2 * Math.max(this.narrow.length, this.wide.length) + 3;
  }

  /** Throws unless `ref` is a string of the table, or 0 (absent) where that is allowed; returns it. */
  check(ref: number, required: boolean): number {
    if (ref === 0) {
      if (required) throw new IndexCorruptError(`${FILE_LABEL} lacks a required field`);
    } else if (ref % 2 === 1 ? (ref - 1) / 2 >= this.narrow.length : (ref - 2) / 2 >= this.wide.length) {
      throw new IndexCorruptError(`${FILE_LABEL} refers to a missing string`);
    }
    return ref;
  }

  /** {@link check} of every reference in a column. */
  checkAll(refs: Column, required: boolean): void {
    // a narrow reference 2i + 1 is in the table when i < narrow count, so when it is below 2 × that count; a wide one 2i + 2 likewise when at most 2 × the wide count
    const narrowBelow = 2 * this.narrow.length;
    const wideAtMost = 2 * this.wide.length;
    for (let i = 0; i < refs.length; i++) {
      const ref = refs[i];
      if (ref === 0 ? required : ref % 2 === 1 ? ref >= narrowBelow : ref > wideAtMost) this.check(ref, required); // throws, saying what is wrong
    }
  }

  /**
   * The code units of a non-empty reference's string, read where they lie without decoding it: the
   * string itself once decoded, else a view that stays valid until the next call.
   */
  units(ref: number): CodeUnits {
    const narrow = ref % 2 === 1;
    const i = narrow ? (ref - 1) / 2 : (ref - 2) / 2;
    const decoded = narrow ? this.narrow[i] : this.wide[i];
    if (decoded !== undefined) return decoded;
    const part = narrow ? this.narrowPart! : this.widePart!; // a string not yet decoded: the bytes are still held
    const view = this.view;
    view.buf = this.buf!;
    view.wide = !narrow;
    view.start = part.start + (i === 0 ? 0 : part.ends[i - 1]) * (narrow ? 1 : 2);
    view.length = part.ends[i] - (i === 0 ? 0 : part.ends[i - 1]);
    return view;
  }

  private readonly view = new StoredUnits();

  /** The string of a reference {@link check} accepted; undefined for 0. */
  get(ref: number): string | undefined {
    if (ref === 0) return undefined;
    if (ref % 2 === 1) {
      const i = (ref - 1) / 2;
      return (this.narrow[i] ??= this.text(this.narrowPart, i, 1, 'latin1'));
    }
    const i = (ref - 2) / 2;
    return (this.wide[i] ??= this.text(this.widePart, i, 2, 'utf16le'));
  }

  private text(part: { start: number; ends: Uint32Array } | undefined, i: number, bytesPerUnit: number, encoding: 'latin1' | 'utf16le'): string {
    if (this.buf === undefined || part === undefined) throw new Error('catalog: a string was asked for after the file\'s bytes were let go');
    const from = i === 0 ? 0 : part.ends[i - 1];
    return this.buf.toString(encoding, part.start + from * bytesPerUnit, part.start + part.ends[i] * bytesPerUnit);
  }
}

/** The code units of a stored string, read from the table's bytes (StoredStrings.units). */
class StoredUnits implements CodeUnits {
  buf: Buffer = Buffer.alloc(0);
  wide = false;
  start = 0;
  length = 0;

  charCodeAt(i: number): number {
    if (!(i >= 0 && i < this.length)) return NaN; // as a string answers
    return this.wide ? this.buf.readUInt16LE(this.start + 2 * i) : this.buf[this.start + i];
  }
}
