/**
 * The catalog's file format (see catalog.ts for what it holds).
 *
 * Format 3, binary, little-endian (bytes.ts): magic, version, the next chunk id (f64), whether the
 * last scan followed links (u32), the scan's skips as one JSON string; then a string table, the
 * files and the chunks. The table holds each distinct string once, in two parts: the strings
 * whose characters are all below U+0100, as Latin-1, and the others, as UTF-16 (so that any
 * string, half a surrogate pair included, reads back exactly); each part is the strings' lengths
 * in UTF-16 code units (varints), then their text in one block. A string field is a varint: 0 for
 * absent, 2i + 1 for the i-th narrow string, 2i + 2 for the i-th wide one. A path, a language or
 * a kind repeated by 100k chunks is stored once. Loading checks every record and leaves them in the
 * bytes ({@link StoredChunks}): a record, and each string, is decoded the first time it is asked for.
 *
 *   file:  path, size (f64), mtimeMs (f64), hash, skip, detail, chunk count, chunk ids (varints)
 *   chunk: id, path, language, kind, name, container, signature, doc, snippet, embeddingKey (strings),
 *          startByte, endByte, startLine, endLine (varints)
 *
 * Format 1 was JSON; it is still read. Format 2 was an earlier layout of this one, written only by
 * development builds: it is refused as an unknown version (and the index rebuilt).
 */

import { ByteReader, ByteWriter, encodeStrings } from './index/bytes';
import { IndexCorruptError, IndexVersionError } from './index/errors';
import { findAscending } from './index/sorted';
import type { StoredEntries } from './index/overlay-map';
import type { ChunkRecord, FileRecord } from './catalog';
import type { Skipped } from './files/scan';
import { runSteps, type Steps } from './time-slice';
import type { ChunkKind, LanguageId, SkipReason } from './types';

/** What a catalog file holds. */
export interface CatalogData {
  nextId: number;
  files: Map<string, FileRecord>;
  chunks: ChunkRecord[];
  scanSkipped: Skipped[];
  followsLinks: boolean;
}

const MAGIC = 0x54435343; // 'CSCT'
export const CATALOG_FORMAT_VERSION = 3;
const FILE_LABEL = 'catalog';

/** Records encoded between two points where {@link encodeCatalogSteps} may be paused. */
const RECORDS_PER_STEP = 1024;

/** The catalog as bytes, in the current format. */
export function encodeCatalog(data: CatalogData): Buffer {
  return Buffer.concat(runSteps(encodeCatalogSteps(data)));
}

/**
 * {@link encodeCatalog} as steps (time-slice.ts), giving the bytes as parts in order, not joined:
 * the data must not change until they are done.
 */
export function* encodeCatalogSteps(data: CatalogData): Steps<Buffer[]> {
  const table = new StringTable();
  const body = new ByteWriter(1 << 20);
  const uint = (value: number, what: string): void => {
    if (!(Number.isInteger(value) && value >= 0 && value <= 0xffffffff)) throw new RangeError(`catalog: ${what} ${value} is not a uint32`);
    body.varint(value);
  };
  let records = 0;
  body.u32(data.files.size);
  for (const [path, file] of data.files) {
    body.varint(table.ref(path));
    body.f64(file.size);
    body.f64(file.mtimeMs);
    body.varint(table.ref(file.hash));
    body.varint(table.ref(file.skip));
    body.varint(table.ref(file.detail));
    uint(file.chunkIds.length, 'chunk count');
    for (const id of file.chunkIds) uint(id, 'chunk id');
    if (++records % RECORDS_PER_STEP === 0) yield;
  }
  body.u32(data.chunks.length);
  for (const c of data.chunks) {
    uint(c.id, 'chunk id');
    for (const text of [c.path, c.language, c.kind, c.name, c.container, c.signature, c.doc, c.snippet, c.embeddingKey]) body.varint(table.ref(text));
    uint(c.startByte, 'start byte');
    uint(c.endByte, 'end byte');
    uint(c.startLine, 'start line');
    uint(c.endLine, 'end line');
    if (++records % RECORDS_PER_STEP === 0) yield;
  }
  const writer = new ByteWriter();
  writer.u32(MAGIC);
  writer.u32(CATALOG_FORMAT_VERSION);
  writer.f64(data.nextId);
  writer.u32(data.followsLinks ? 1 : 0);
  writer.string(JSON.stringify(data.scanSkipped));
  yield* table.write(writer);
  writer.adopt(body.parts());
  return writer.parts();
}

/**
 * Reads a catalog in either format, and says which. Throws {@link IndexCorruptError} on malformed
 * input ({@link IndexVersionError} for an unknown version; for format 1, the errors of JSON.parse
 * or a plain Error).
 */
export function decodeCatalog(buf: Buffer): { data: CatalogData; version: number } {
  const { data, version } = readCatalog(buf);
  return { data: { ...data, chunks: Array.isArray(data.chunks) ? data.chunks : data.chunks.all() }, version };
}

/**
 * {@link decodeCatalog}, with the chunk records of the binary format left in the file's bytes as
 * {@link StoredChunks}: checked in full, decoded one at a time when asked for. A one-shot query
 * reads a few hundred of 100k records; decoding them all took 0.4-0.5 s of a 2 s CLI query.
 */
export function readCatalog(buf: Buffer): { data: Omit<CatalogData, 'chunks'> & { chunks: ChunkRecord[] | StoredChunks }; version: number } {
  if (buf[0] === 0x7b /* { */) return { data: decodeJson(buf), version: 1 };
  const reader = new ByteReader(buf, FILE_LABEL);
  if (reader.u32() !== MAGIC) throw new IndexCorruptError(`${FILE_LABEL} has an unknown file signature`);
  const version = reader.u32();
  if (version !== CATALOG_FORMAT_VERSION) throw new IndexVersionError(version, CATALOG_FORMAT_VERSION);
  const nextId = reader.f64();
  const followsLinks = reader.u32() === 1;
  let scanSkipped: Skipped[];
  try {
    scanSkipped = JSON.parse(reader.string()) as Skipped[];
  } catch {
    throw new IndexCorruptError(`${FILE_LABEL} has malformed scan skips`);
  }
  if (!Array.isArray(scanSkipped)) throw new IndexCorruptError(`${FILE_LABEL} has malformed scan skips`);
  const strings = StoredStrings.read(reader, buf);
  const optional = (): string | undefined => strings.get(strings.check(reader.varint(), false));
  const required = (): string => strings.get(strings.check(reader.varint(), true))!;
  const files = new Map<string, FileRecord>();
  const fileCount = reader.u32();
  for (let f = 0; f < fileCount; f++) {
    const path = required();
    const size = reader.f64();
    const mtimeMs = reader.f64();
    const hash = optional();
    const skip = optional() as SkipReason | undefined;
    const detail = optional();
    const count = reader.varint();
    if (count > reader.remaining) throw new IndexCorruptError(`${FILE_LABEL} is truncated`);
    const chunkIds = Array.from({ length: count }, () => reader.varint());
    if (files.has(path)) throw new IndexCorruptError(`${FILE_LABEL} lists a file twice`);
    files.set(path, { size, mtimeMs, hash, chunkIds, skip, detail });
  }
  const chunks = StoredChunks.read(reader, buf, strings);
  reader.end();
  return { data: { nextId, files, chunks, scanSkipped, followsLinks }, version };
}

/** The string fields of a chunk record, in the order written; `true` for those that must be present. */
const CHUNK_STRINGS: readonly boolean[] = [true, true, true, true, false, true, false, true, false]; // path, language, kind, name, container, signature, doc, snippet, embeddingKey
const NAME_FIELD = 3;
/** The numbers of a record: its id, its string references, then startByte, endByte, startLine, endLine. */
const RECORD_NUMBERS = 1 + CHUNK_STRINGS.length + 4;
const KIND_FIELD = 2;

/**
 * The chunk records of a catalog file, left in its bytes. Reading them checks every record (each
 * number well formed, each string reference in the table, each required field present, no id
 * twice), so that decoding one later cannot fail; a record is decoded the first time it is asked
 * for and kept, so that it is the same object each time (the name index tells changes by identity).
 */
export class StoredChunks implements StoredEntries<number, ChunkRecord> {
  private readonly decoded: (ChunkRecord | undefined)[];
  private decodedCount = 0;
  /** the file's bytes, until every record is decoded (an editor's engine lists them all): then let go */
  private buf: Buffer | undefined;
  /** by kind reference, whether the kind is 'window' (see isDefinition) */
  private windowKinds: Uint8Array | undefined;
  /** the position of each id, when the ids are not in ascending order (then found by binary search in `ids`) */
  private readonly byId: Map<number, number> | undefined;

  private constructor(
    buf: Buffer,
    private readonly strings: StoredStrings,
    /** where each record starts in `buf` */
    private readonly starts: Uint32Array,
    private readonly ids: Uint32Array,
    /** each record's kind and name, as string references */
    private readonly kinds: Uint32Array,
    private readonly names: Uint32Array,
  ) {
    this.buf = buf;
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

  static read(reader: ByteReader, buf: Buffer, strings: StoredStrings): StoredChunks {
    const count = reader.u32();
    // a record is at least one byte a number: a count its bytes cannot hold allocates nothing
    if (count > reader.remaining / RECORD_NUMBERS) throw new IndexCorruptError(`${FILE_LABEL} is truncated`);
    const starts = new Uint32Array(count);
    const ids = new Uint32Array(count);
    const kinds = new Uint32Array(count);
    const names = new Uint32Array(count);
    // 100k records of 14 numbers each (1.6M): read in one loop rather than a call per number, by
    // ByteReader.varint's rules (at most 5 bytes, at most 2^32 - 1)
    const end = buf.length;
    const first = end - reader.remaining;
    let at = first;
    const narrowRefs = 2 * strings.narrowCount;
    const wideRefs = 2 * strings.wideCount;
    for (let i = 0; i < count; i++) {
      starts[i] = at;
      for (let field = 0; field < RECORD_NUMBERS; field++) {
        let value = 0;
        let scale = 1;
        let byte = 0x80;
        while (byte >= 0x80) {
          if (at >= end) throw new IndexCorruptError(`${FILE_LABEL} is truncated`);
          if (scale > 2 ** 28) throw new IndexCorruptError(`${FILE_LABEL} has a malformed number`);
          byte = buf[at++];
          value += (byte & 0x7f) * scale;
          scale *= 128;
        }
        if (value > 0xffffffff) throw new IndexCorruptError(`${FILE_LABEL} has a malformed number`);
        if (field === 0) ids[i] = value;
        else if (field <= CHUNK_STRINGS.length) {
          if (field === 1 + KIND_FIELD) kinds[i] = value;
          else if (field === 1 + NAME_FIELD) names[i] = value;
          // a string reference: 0 absent, 2i + 1 narrow, 2i + 2 wide (see StoredStrings.check)
          if (value === 0 ? CHUNK_STRINGS[field - 1] : value % 2 === 1 ? value > narrowRefs : value > wideRefs) {
            strings.check(value, CHUNK_STRINGS[field - 1]); // throws, saying what is wrong
          }
        }
      }
    }
    reader.bytes(at - first); // what was read, past
    return new StoredChunks(buf, strings, starts, ids, kinds, names);
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
      // every record not yet decoded is in the bytes, which are let go only once none is left
      const reader = new ByteReader(this.buf!, FILE_LABEL, this.starts[i]);
      const id = reader.varint();
      const [path, language, kind, name, container, signature, doc, snippet, embeddingKey] = CHUNK_STRINGS.map(() => this.strings.get(reader.varint()));
      const [startByte, endByte, startLine, endLine] = [reader.varint(), reader.varint(), reader.varint(), reader.varint()];
      // every field present, absent ones as undefined, in one order: as catalog.ts builds records (one object shape)
      record = {
        id, path: path!, language: language as LanguageId, kind: kind as ChunkKind, name: name!, container, signature: signature!, doc,
        startByte, endByte, startLine, endLine, snippet: snippet!, embeddingKey,
      };
      this.decoded[i] = record;
      if (++this.decodedCount === this.decoded.length) {
        // each string a record refers to is decoded now, and the files' were when they were read
        this.buf = undefined;
        this.strings.release();
      }
    }
    return record;
  }

  /**
   * Of `positions` (ascending), those of the definitions (records that are not line windows) whose
   * name passes `test`. Only kinds and names are decoded for it, and `test` is asked once a name.
   */
  definitionsNamed(test: (name: string) => boolean, positions: Iterable<number>): number[] {
    // verdicts by name reference (every reference was checked against the table when read):
    // 0 not asked yet, 1 yes, 2 no; a typed array, not a map, as 100k records are looked up
    const named = new Uint8Array(this.strings.referenceLimit);
    const found: number[] = [];
    for (const i of positions) {
      if (!this.isDefinition(i)) continue;
      const name = this.names[i];
      if (named[name] === 0) named[name] = test(this.strings.get(name)!) ? 1 : 2;
      if (named[name] === 1) found.push(i);
    }
    return found;
  }

  /** Of `positions` (ascending), calls `visit` with the id and name of each definition (a record that is not a line window), decoding only kinds and names. */
  forEachDefinitionName(positions: Iterable<number>, visit: (id: number, name: string) => void): void {
    for (const i of positions) if (this.isDefinition(i)) visit(this.ids[i], this.strings.get(this.names[i])!);
  }

  /** Whether the record at position `i` is a definition, not a line window: by its kind's reference, each kind decoded once. */
  private isDefinition(i: number): boolean {
    const kind = this.kinds[i];
    const verdicts = (this.windowKinds ??= new Uint8Array(this.strings.referenceLimit)); // 0 not asked yet, 1 a window, 2 not
    if (verdicts[kind] === 0) verdicts[kind] = this.strings.get(kind) === 'window' ? 1 : 2;
    return verdicts[kind] === 2;
  }

  /** Every record, in order. */
  all(): ChunkRecord[] {
    return Array.from({ length: this.count }, (_, i) => this.valueAt(i));
  }
}

/**
 * The string table of a catalog file (see the module doc), left in its bytes: a string is decoded
 * the first time it is asked for and kept, so that a path shared by a thousand records is one string.
 */
class StoredStrings {
  private readonly narrow: (string | undefined)[];
  private readonly wide: (string | undefined)[];

  /** the file's bytes, until {@link release} */
  private buf: Buffer | undefined;

  private constructor(
    buf: Buffer,
    /** where each narrow string starts and ends in `buf`: string i is bytes narrowAt[i] to narrowAt[i + 1] */
    private readonly narrowAt: Uint32Array,
    private readonly wideAt: Uint32Array,
  ) {
    this.buf = buf;
    this.narrow = new Array(narrowAt.length - 1);
    this.wide = new Array(wideAt.length - 1);
  }

  /** Lets the file's bytes go: only the strings decoded so far can be asked for from now on. */
  release(): void {
    this.buf = undefined;
  }

  get narrowCount(): number {
    return this.narrow.length;
  }

  get wideCount(): number {
    return this.wide.length;
  }

  /** One more than the largest reference a string of the table has (see {@link check}): the size of an array indexed by reference. */
  get referenceLimit(): number {
    return 2 * Math.max(this.narrow.length, this.wide.length) + 3;
  }

  static read(reader: ByteReader, buf: Buffer): StoredStrings {
    const part = (bytesPerUnit: number): Uint32Array => {
      const count = reader.u32();
      if (count > reader.remaining) throw new IndexCorruptError(`${FILE_LABEL} is truncated`);
      const lengths = new Uint32Array(count);
      for (let i = 0; i < count; i++) lengths[i] = reader.varint();
      const size = reader.u32();
      const start = buf.length - reader.remaining;
      reader.bytes(size);
      const at = new Uint32Array(count + 1);
      at[0] = start;
      for (let i = 0; i < count; i++) {
        // compared before it is added: a sum past 2^32 would wrap around in the Uint32Array
        if (lengths[i] * bytesPerUnit > start + size - at[i]) throw new IndexCorruptError(`${FILE_LABEL} has a malformed string table`);
        at[i + 1] = at[i] + lengths[i] * bytesPerUnit;
      }
      if (at[count] !== start + size) throw new IndexCorruptError(`${FILE_LABEL} has a malformed string table`);
      return at;
    };
    const narrowAt = part(1);
    const wideAt = part(2);
    return new StoredStrings(buf, narrowAt, wideAt);
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

  /** The string of a reference {@link check} accepted; undefined for 0. */
  get(ref: number): string | undefined {
    if (ref === 0) return undefined;
    if (ref % 2 === 1) {
      const i = (ref - 1) / 2;
      return (this.narrow[i] ??= this.bytes().toString('latin1', this.narrowAt[i], this.narrowAt[i + 1]));
    }
    const i = (ref - 2) / 2;
    return (this.wide[i] ??= this.bytes().toString('utf16le', this.wideAt[i], this.wideAt[i + 1]));
  }

  private bytes(): Buffer {
    if (this.buf === undefined) throw new Error('catalog: a string was asked for after the file\'s bytes were let go');
    return this.buf;
  }
}

/** Format 1: JSON, files by path in an object. */
function decodeJson(buf: Buffer): CatalogData {
  const json = JSON.parse(buf.toString('utf8')) as { nextId: number; files: Record<string, FileRecord>; chunks: ChunkRecord[]; scanSkipped?: Skipped[]; followsLinks?: boolean };
  if (typeof json.nextId !== 'number' || typeof json.files !== 'object' || json.files === null || !Array.isArray(json.chunks)) {
    throw new Error('catalog has an unexpected shape');
  }
  return {
    nextId: json.nextId,
    // own entries only: a path read from disk never meets Object.prototype
    files: new Map(Object.entries(json.files)),
    chunks: json.chunks,
    scanSkipped: json.scanSkipped ?? [],
    // absent in catalogs written before it was kept: read as true
    followsLinks: json.followsLinks !== false,
  };
}

/** Each distinct string once, referred to by number (see the module doc). */
class StringTable {
  private readonly index = new Map<string, number>();
  /** strings whose code units are all below 0x100, written as Latin-1; and the others, as UTF-16 */
  private readonly narrow: string[] = [];
  private readonly wide: string[] = [];

  /** The reference of a string (0 for undefined), adding it to the table if it is new. */
  ref(text: string | undefined): number {
    if (text === undefined) return 0;
    let ref = this.index.get(text);
    if (ref === undefined) {
      const isWide = WIDE.test(text);
      const list = isWide ? this.wide : this.narrow;
      ref = 2 * list.length + (isWide ? 2 : 1);
      list.push(text);
      this.index.set(text, ref);
    }
    return ref;
  }

  *write(writer: ByteWriter): Steps<void> {
    for (const [strings, encoding] of [[this.narrow, 'latin1'], [this.wide, 'utf16le']] as const) {
      writer.u32(strings.length);
      for (const text of strings) writer.varint(text.length);
      yield;
      writer.lengthAndParts(yield* encodeStrings(strings, encoding));
    }
  }
}

/** A code unit that Latin-1 cannot hold. */
const WIDE = /[^\u0000-\u00ff]/;
