/**
 * The catalog formats that earlier versions wrote, read so that an index they made is upgraded
 * (its next save writes the current format, catalog-file.ts), never written.
 *
 * Format 1 was JSON. Format 3 was binary: after the header that format 4 keeps (catalog-file.ts),
 * a string table in two parts (Latin-1 strings, then UTF-16 ones), each the strings' lengths in
 * UTF-16 code units (varints) and then their text in one block; then the files and the chunks,
 * every number a varint and every string field a reference (0 absent, 2i + 1 the i-th narrow
 * string, 2i + 2 the i-th wide one):
 *
 *   file:  path, size (f64), mtimeMs (f64), hash, skip, detail, chunk count, chunk ids
 *   chunk: id, path, language, kind, name, container, signature, doc, snippet, embeddingKey,
 *          startByte, endByte, startLine, endLine
 *
 * A format-3 file is read whole, every record decoded: once, as the index is upgraded.
 */
import type { ChunkRecord, FileRecord } from './catalog';
import type { Skipped } from './files/scan';
import type { ByteReader } from './index/bytes';
import { IndexCorruptError } from './index/errors';
import type { ChunkKind, LanguageId, SkipReason } from './types';

const FILE_LABEL = 'catalog';

/** Format 1: JSON, files by path in an object. */
export function decodeJsonCatalog(buf: Buffer): { nextId: number; files: Map<string, FileRecord>; chunks: ChunkRecord[]; scanSkipped: Skipped[]; followsLinks: boolean } {
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

/** Format 3, after the header: the files and every chunk record, decoded. Throws {@link IndexCorruptError} on malformed input. */
export function readFormatThree(reader: ByteReader): { files: Map<string, FileRecord>; chunks: ChunkRecord[] } {
  const narrow = stringsOf(reader, 'latin1', 1);
  const wide = stringsOf(reader, 'utf16le', 2);
  const string = (required: boolean): string | undefined => {
    const ref = reader.varint();
    if (ref === 0) {
      if (required) throw new IndexCorruptError(`${FILE_LABEL} lacks a required field`);
      return undefined;
    }
    const text = ref % 2 === 1 ? narrow[(ref - 1) / 2] : wide[(ref - 2) / 2];
    if (text === undefined) throw new IndexCorruptError(`${FILE_LABEL} refers to a missing string`);
    return text;
  };
  const files = new Map<string, FileRecord>();
  const fileCount = reader.u32();
  for (let f = 0; f < fileCount; f++) {
    const path = string(true)!;
    const size = reader.f64();
    const mtimeMs = reader.f64();
    const hash = string(false);
    const skip = string(false) as SkipReason | undefined;
    const detail = string(false);
    const count = reader.varint();
    if (count > reader.remaining) throw new IndexCorruptError(`${FILE_LABEL} is truncated`);
    const chunkIds = Array.from({ length: count }, () => reader.varint());
    if (files.has(path)) throw new IndexCorruptError(`${FILE_LABEL} lists a file twice`);
    files.set(path, { size, mtimeMs, hash, chunkIds, skip, detail });
  }
  const count = reader.u32();
  // a record is at least 14 bytes: a count its bytes cannot hold allocates nothing
  if (count > reader.remaining / 14) throw new IndexCorruptError(`${FILE_LABEL} is truncated`);
  const chunks: ChunkRecord[] = [];
  const ids = new Set<number>();
  for (let i = 0; i < count; i++) {
    const id = reader.varint();
    if (ids.has(id)) throw new IndexCorruptError(`${FILE_LABEL} lists a chunk twice`);
    ids.add(id);
    const path = string(true)!;
    const language = string(true) as LanguageId;
    const kind = string(true) as ChunkKind;
    const name = string(true)!;
    const container = string(false);
    const signature = string(true)!;
    const doc = string(false);
    const snippet = string(true)!;
    const embeddingKey = string(false);
    const [startByte, endByte, startLine, endLine] = [reader.varint(), reader.varint(), reader.varint(), reader.varint()];
    chunks.push({ id, path, language, kind, name, container, signature, doc, startByte, endByte, startLine, endLine, snippet, embeddingKey });
  }
  return { files, chunks };
}

/** One part of a format-3 string table, decoded. */
function stringsOf(reader: ByteReader, encoding: 'latin1' | 'utf16le', bytesPerUnit: number): string[] {
  const count = reader.u32();
  if (count > reader.remaining) throw new IndexCorruptError(`${FILE_LABEL} is truncated`);
  const lengths = Array.from({ length: count }, () => reader.varint());
  const text = reader.bytes(reader.u32());
  const strings: string[] = [];
  let at = 0;
  for (const length of lengths) {
    const end = at + length * bytesPerUnit;
    if (end > text.length) throw new IndexCorruptError(`${FILE_LABEL} has a malformed string table`);
    strings.push(text.toString(encoding, at, end));
    at = end;
  }
  if (at !== text.length) throw new IndexCorruptError(`${FILE_LABEL} has a malformed string table`);
  return strings;
}
