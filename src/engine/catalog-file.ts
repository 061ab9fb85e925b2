/**
 * The catalog's file format (see catalog.ts for what it holds).
 *
 * Format 4, binary, little-endian (bytes.ts; the columns and tables are typed arrays in the host's
 * byte order, which is little-endian on every platform the extension ships for): magic, version, the next chunk id (f64), whether the
 * last scan followed links (u32), the scan's skips as one JSON string, padding to 4 bytes; then a
 * string table, the files and the chunks. The table holds each distinct string once (a path, a
 * language or a kind repeated by 100k chunks is stored once; its layout: stored-chunks.ts
 * `StoredStrings`); a string field is its reference there: 0 for absent, 2i + 1 for the i-th
 * narrow (Latin-1) string, 2i + 2 for the i-th wide (UTF-16) one.
 *
 *   files:  their count (u32); for each, a row of 36 bytes: path (u32 reference), size (f64),
 *           mtimeMs (f64), hash, skip, detail (u32 references), chunk count (u32); then every
 *           file's chunk ids in the files' order (u32 each)
 *   chunks: their count (u32); then 15 columns, one value a chunk each: id; path, language, kind,
 *           name, container, signature, doc, snippet, embeddingKey (references); the embedding
 *           key's digest (i + 1 for the i-th of the key table, 0 for none); startByte, endByte,
 *           startLine, endLine. A column is its width (u32: 1, 2 or 4 bytes, the fewest that hold
 *           its largest value), the values, and padding to 4 bytes. Then the key table: its count
 *           (u32) and each key's 32 bytes. An embedding key that is a SHA-256 digest in lowercase
 *           hex (as the indexer makes them) is stored there, once, instead of as 64 characters;
 *           any other is a string.
 *
 * Every offset of a column or a table's ends is a multiple of its width, so a catalog read into
 * aligned memory is used in place, without parsing: loading checks every record and leaves them in
 * the bytes ({@link StoredChunks}), a record and a string decoded the first time they are asked for.
 *
 * Format 3 (varints, read by parsing every number) and format 1 (JSON) are still read and upgraded
 * (catalog-legacy.ts). Format 2 was an earlier layout of 3, written only by development builds: it
 * is refused as an unknown version (and the index rebuilt).
 */

import { ByteReader, ByteWriter, encodeStrings } from './index/bytes';
import { IndexCorruptError, IndexVersionError } from './index/errors';
import type { ChunkRecord, FileRecord } from './catalog';
import { decodeJsonCatalog, readFormatThree } from './catalog-legacy';
import type { Skipped } from './files/scan';
import { CHUNK_COLUMNS, isDigestKey, KEY_BYTES, StoredChunks, StoredStrings } from './stored-chunks';
import { runSteps, type Steps } from './time-slice';
import type { SkipReason } from './types';

/** What a catalog file holds. */
export interface CatalogData {
  nextId: number;
  files: Map<string, FileRecord>;
  chunks: ChunkRecord[];
  scanSkipped: Skipped[];
  followsLinks: boolean;
}

const MAGIC = 0x54435343; // 'CSCT'
export const CATALOG_FORMAT_VERSION = 4;
/** The binary format before this one, still read (catalog-legacy.ts). */
const FORMAT_THREE = 3;
const FILE_LABEL = 'catalog';
/** The bytes of a file's row (see the module doc). */
const FILE_ROW_BYTES = 36;

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
  const uint = (value: number, what: string): number => {
    if (!(Number.isInteger(value) && value >= 0 && value <= 0xffffffff)) throw new RangeError(`catalog: ${what} ${value} is not a uint32`);
    return value;
  };
  let records = 0;
  // the few languages and kinds first: their references, below 256, keep their columns one byte a record
  for (const c of data.chunks) {
    table.ref(c.language);
    table.ref(c.kind);
    if (++records % (4 * RECORDS_PER_STEP) === 0) yield;
  }
  let idCount = 0;
  body.u32(data.files.size);
  for (const [path, file] of data.files) {
    body.u32(table.ref(path));
    body.f64(file.size);
    body.f64(file.mtimeMs);
    body.u32(table.ref(file.hash));
    body.u32(table.ref(file.skip));
    body.u32(table.ref(file.detail));
    body.u32(file.chunkIds.length);
    idCount += file.chunkIds.length;
    if (++records % RECORDS_PER_STEP === 0) yield;
  }
  const fileChunkIds = new Uint32Array(idCount);
  let at = 0;
  for (const file of data.files.values()) for (const id of file.chunkIds) fileChunkIds[at++] = uint(id, 'chunk id');
  body.values(fileChunkIds);
  const count = data.chunks.length;
  const columns = Array.from({ length: CHUNK_COLUMNS }, () => new Uint32Array(count));
  const digests = new Map<string, number>();
  for (let i = 0; i < count; i++) {
    const c = data.chunks[i];
    const key = c.embeddingKey;
    const digest = key !== undefined && isDigestKey(key);
    let keyAt = 0;
    if (digest) {
      keyAt = digests.get(key) ?? digests.size + 1;
      digests.set(key, keyAt);
    }
    let column = 0;
    columns[column++][i] = uint(c.id, 'chunk id');
    for (const text of [c.path, c.language, c.kind, c.name, c.container, c.signature, c.doc, c.snippet, digest ? undefined : key]) columns[column++][i] = table.ref(text);
    columns[column++][i] = keyAt;
    columns[column++][i] = uint(c.startByte, 'start byte');
    columns[column++][i] = uint(c.endByte, 'end byte');
    columns[column++][i] = uint(c.startLine, 'start line');
    columns[column++][i] = uint(c.endLine, 'end line');
    if (++records % RECORDS_PER_STEP === 0) yield;
  }
  body.u32(count);
  for (const column of columns) writeColumn(body, column);
  body.u32(digests.size);
  const keys = Buffer.allocUnsafe(digests.size * KEY_BYTES);
  let written = 0;
  for (const key of digests.keys()) written += keys.write(key, written, 'hex');
  body.adopt([keys]);
  const writer = new ByteWriter();
  writer.u32(MAGIC);
  writer.u32(CATALOG_FORMAT_VERSION);
  writer.f64(data.nextId);
  writer.u32(data.followsLinks ? 1 : 0);
  writer.string(JSON.stringify(data.scanSkipped));
  writer.pad(4);
  yield* table.write(writer);
  writer.adopt(body.parts()); // the table ends aligned, and so the body's own alignment holds in the file
  return writer.parts();
}

/** A column of the chunk records: its width (the fewest bytes of 1, 2 and 4 that hold its largest value), its values at that width, padding to 4 bytes. */
function writeColumn(writer: ByteWriter, values: Uint32Array): void {
  let largest = 0;
  for (const value of values) if (value > largest) largest = value;
  const width = largest < 0x100 ? 1 : largest < 0x10000 ? 2 : 4;
  writer.u32(width);
  const narrowed = width === 1 ? Uint8Array.from(values) : width === 2 ? Uint16Array.from(values) : values;
  writer.bytes(new Uint8Array(narrowed.buffer, narrowed.byteOffset, narrowed.byteLength));
  writer.pad(4);
}

/**
 * Reads a catalog in any format, and says which. Throws {@link IndexCorruptError} on malformed
 * input ({@link IndexVersionError} for an unknown version; for format 1, the errors of JSON.parse
 * or a plain Error).
 */
export function decodeCatalog(buf: Buffer): { data: CatalogData; version: number } {
  const { data, version } = readCatalog(buf);
  return { data: { ...data, chunks: Array.isArray(data.chunks) ? data.chunks : data.chunks.all() }, version };
}

/**
 * {@link decodeCatalog}, with the chunk records of the current format left in the file's bytes as
 * {@link StoredChunks}: checked in full, decoded one at a time when asked for. A one-shot query
 * reads a few hundred of 100k records; decoding them all took 0.4-0.5 s of a 2 s CLI query.
 */
export function readCatalog(buf: Buffer): { data: Omit<CatalogData, 'chunks'> & { chunks: ChunkRecord[] | StoredChunks }; version: number } {
  if (buf[0] === 0x7b /* { */) return { data: decodeJsonCatalog(buf), version: 1 };
  const reader = new ByteReader(buf, FILE_LABEL);
  if (reader.u32() !== MAGIC) throw new IndexCorruptError(`${FILE_LABEL} has an unknown file signature`);
  const version = reader.u32();
  if (version !== CATALOG_FORMAT_VERSION && version !== FORMAT_THREE) throw new IndexVersionError(version, CATALOG_FORMAT_VERSION);
  const nextId = reader.f64();
  const followsLinks = reader.u32() === 1;
  let scanSkipped: Skipped[];
  try {
    scanSkipped = JSON.parse(reader.string()) as Skipped[];
  } catch {
    throw new IndexCorruptError(`${FILE_LABEL} has malformed scan skips`);
  }
  if (!Array.isArray(scanSkipped)) throw new IndexCorruptError(`${FILE_LABEL} has malformed scan skips`);
  if (version === FORMAT_THREE) {
    const { files, chunks } = readFormatThree(reader);
    reader.end();
    return { data: { nextId, files, chunks, scanSkipped, followsLinks }, version };
  }
  reader.skipPadding(4);
  const strings = StoredStrings.read(reader, buf);
  const optional = (ref: number): string | undefined => strings.get(strings.check(ref, false));
  const fileCount = reader.u32();
  if (fileCount > reader.remaining / FILE_ROW_BYTES) throw new IndexCorruptError(`${FILE_LABEL} is truncated`);
  // the rows, then every file's chunk ids: where those start is known from the rows' count
  const rows = reader.bytes(fileCount * FILE_ROW_BYTES);
  let idCount = 0;
  for (let at = 32; at < rows.length; at += FILE_ROW_BYTES) idCount += rows.readUInt32LE(at);
  const ids = reader.uints(idCount, 4);
  const files = new Map<string, FileRecord>();
  let next = 0;
  for (let at = 0; at < rows.length; at += FILE_ROW_BYTES) {
    const path = strings.get(strings.check(rows.readUInt32LE(at), true))!;
    if (files.has(path)) throw new IndexCorruptError(`${FILE_LABEL} lists a file twice`);
    const count = rows.readUInt32LE(at + 32);
    const chunkIds = new Array<number>(count);
    for (let i = 0; i < count; i++) chunkIds[i] = ids[next + i];
    next += count;
    files.set(path, {
      size: rows.readDoubleLE(at + 4), mtimeMs: rows.readDoubleLE(at + 12), hash: optional(rows.readUInt32LE(at + 20)), chunkIds,
      skip: optional(rows.readUInt32LE(at + 24)) as SkipReason | undefined, detail: optional(rows.readUInt32LE(at + 28)),
    });
  }
  const chunks = StoredChunks.read(reader, strings);
  reader.end();
  return { data: { nextId, files, chunks, scanSkipped, followsLinks }, version };
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

  /** The table as stored-chunks.ts `StoredStrings` reads it; `writer` must be at a multiple of 4 bytes, and is again after it. */
  *write(writer: ByteWriter): Steps<void> {
    for (const [strings, encoding] of [[this.narrow, 'latin1'], [this.wide, 'utf16le']] as const) {
      writer.u32(strings.length);
      const ends = new Uint32Array(strings.length);
      let end = 0;
      strings.forEach((text, i) => (ends[i] = end += text.length));
      if (end > 0xffffffff) throw new RangeError('catalog: the string table is too large');
      writer.values(ends);
      yield;
      writer.adopt(yield* encodeStrings(strings, encoding));
      writer.pad(4);
    }
  }
}

/** A code unit that Latin-1 cannot hold. */
const WIDE = /[^\u0000-\u00ff]/;
