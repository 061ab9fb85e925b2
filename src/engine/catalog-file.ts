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
 * a kind repeated by 100k chunks is stored once, and loading decodes each part's text in one call
 * (most of it into a one-byte string) rather than one call per field.
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
  return runSteps(encodeCatalogSteps(data));
}

/** {@link encodeCatalog} as steps (time-slice.ts): the data must not change until they are done. */
export function* encodeCatalogSteps(data: CatalogData): Steps<Buffer> {
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
  const writer = new ByteWriter(body.size + (1 << 20));
  writer.u32(MAGIC);
  writer.u32(CATALOG_FORMAT_VERSION);
  writer.f64(data.nextId);
  writer.u32(data.followsLinks ? 1 : 0);
  writer.string(JSON.stringify(data.scanSkipped));
  yield* table.write(writer);
  writer.bytes(body.view());
  return writer.view();
}

/**
 * Reads a catalog in either format, and says which. Throws {@link IndexCorruptError} on malformed
 * input ({@link IndexVersionError} for an unknown version; for format 1, the errors of JSON.parse
 * or a plain Error).
 */
export function decodeCatalog(buf: Buffer): { data: CatalogData; version: number } {
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
  const narrow = StringTable.read(reader, 'latin1');
  const wide = StringTable.read(reader, 'utf16le');
  const optional = (): string | undefined => {
    const ref = reader.varint();
    if (ref === 0) return undefined;
    const text = ref % 2 === 1 ? narrow[(ref - 1) / 2] : wide[(ref - 2) / 2];
    if (text === undefined) throw new IndexCorruptError(`${FILE_LABEL} refers to a missing string`);
    return text;
  };
  const required = (): string => {
    const text = optional();
    if (text === undefined) throw new IndexCorruptError(`${FILE_LABEL} lacks a required field`);
    return text;
  };
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
  const chunkCount = reader.u32();
  if (chunkCount > reader.remaining) throw new IndexCorruptError(`${FILE_LABEL} is truncated`);
  const chunks: ChunkRecord[] = new Array(chunkCount);
  for (let i = 0; i < chunkCount; i++) {
    const id = reader.varint();
    const path = required();
    const language = required() as LanguageId;
    const kind = required() as ChunkKind;
    const name = required();
    const container = optional();
    const signature = required();
    const doc = optional();
    const snippet = required();
    const embeddingKey = optional();
    const [startByte, endByte, startLine, endLine] = [reader.varint(), reader.varint(), reader.varint(), reader.varint()];
    // every field present, absent ones as undefined, in one order: as catalog.ts builds records (one object shape)
    chunks[i] = { id, path, language, kind, name, container, signature, doc, startByte, endByte, startLine, endLine, snippet, embeddingKey };
  }
  reader.end();
  return { data: { nextId, files, chunks, scanSkipped, followsLinks }, version };
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

  /** One part of the table, written in `encoding`. */
  static read(reader: ByteReader, encoding: 'latin1' | 'utf16le'): string[] {
    const count = reader.u32();
    if (count > reader.remaining) throw new IndexCorruptError(`${FILE_LABEL} is truncated`);
    const lengths = Array.from({ length: count }, () => reader.varint());
    const bytes = reader.bytes(reader.u32());
    if (encoding === 'utf16le' && bytes.length % 2 !== 0) throw new IndexCorruptError(`${FILE_LABEL} has a malformed string table`);
    const text = bytes.toString(encoding);
    const strings: string[] = new Array(count);
    let at = 0;
    for (let i = 0; i < count; i++) {
      strings[i] = text.slice(at, at + lengths[i]);
      at += lengths[i];
      if (strings[i].length !== lengths[i]) throw new IndexCorruptError(`${FILE_LABEL} has a malformed string table`);
    }
    if (at !== text.length) throw new IndexCorruptError(`${FILE_LABEL} has a malformed string table`);
    return strings;
  }
}

/** A code unit that Latin-1 cannot hold. */
const WIDE = /[^\u0000-\u00ff]/;
