/**
 * Index files in the formats earlier versions wrote, made from files in the current format, to
 * check that they are still read and then upgraded.
 */
import { createHash } from 'node:crypto';
import { ByteReader, ByteWriter } from '../../src/engine/index/bytes';
import { LexicalIndex } from '../../src/engine/index/lexical';
import type { CatalogData } from '../../src/engine/catalog-file';

/** A lexical index's bytes (as `serialize` writes them) in format 1: each term before its posting. */
export function lexicalFormatOne(current: Buffer): Buffer {
  const index = LexicalIndex.deserialize(current);
  const reader = new ByteReader(current, 'lexical index');
  reader.u32();
  reader.u32();
  const count = reader.u32();
  const ids = reader.uint32s(count);
  const writer = new ByteWriter();
  writer.u32(0x584c5343);
  writer.u32(1);
  writer.u32(count);
  const postings = new Map<string, [number, number][]>();
  ids.forEach((id, slot) => {
    const { terms, length } = index.documentTerms(id)!;
    writer.u32(id);
    writer.f64(length);
    for (const [term, frequency] of terms) postings.set(term, [...(postings.get(term) ?? []), [slot, frequency]]);
  });
  writer.u32(postings.size);
  for (const [term, entries] of postings) {
    writer.string(term);
    writer.varint(entries.length);
    writer.ascendingVarints(Uint32Array.from(entries.map(([slot]) => slot)));
    writer.values(Float32Array.from(entries.map(([, frequency]) => frequency)));
  }
  return writer.toBuffer();
}

/**
 * A lexical index's bytes (format 3, as `serialize` writes them) in format 2: instead of the terms'
 * hash table and where each ends, each term's length in UTF-16 code units (varints); and no length
 * of the part before the postings at the end.
 */
export function lexicalFormatTwo(current: Buffer): Buffer {
  const reader = new ByteReader(current, 'lexical index');
  const writer = new ByteWriter();
  writer.u32(reader.u32());
  if (reader.u32() !== 3) throw new Error('lexicalFormatTwo: not format 3');
  writer.u32(2);
  const count = reader.u32();
  writer.u32(count);
  writer.values(reader.uint32s(count));
  writer.values(reader.float64s(count));
  const termCount = reader.u32();
  writer.u32(termCount);
  reader.u32(); // the seed
  reader.uint32s(reader.u32()); // the table
  const ends = reader.uint32s(termCount);
  const text = reader.bytes(reader.u32());
  ends.forEach((end, t) => writer.varint(text.toString('utf8', t === 0 ? 0 : ends[t - 1], end).length));
  writer.u32(text.length);
  writer.bytes(text);
  writer.values(reader.uint32s(termCount + 1));
  writer.bytes(reader.bytes(reader.remaining - 4)); // the postings, without the length of what comes before them
  return writer.toBuffer();
}

/**
 * An embedding cache file in format 1, as versions before int8 wrote it: a header, then per record
 * key (32 bytes) | float32 × dimension | the first 4 bytes of SHA-256(key ‖ vector).
 */
export function embeddingCacheFormatOne(dimension: number, records: { key: Uint8Array; vector: Float32Array }[]): Buffer {
  const header = Buffer.alloc(16);
  header.writeUInt32LE(0x43455343, 0);
  header.writeUInt32LE(1, 4);
  header.writeUInt32LE(dimension, 8);
  header.writeUInt32LE(32, 12);
  return Buffer.concat([
    header,
    ...records.map(({ key, vector }) => {
      const payload = Buffer.concat([key, Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength)]);
      const sum = Buffer.alloc(4);
      sum.writeUInt32LE(createHash('sha256').update(payload).digest().readUInt32LE(0));
      return Buffer.concat([payload, sum]);
    }),
  ]);
}

/**
 * A catalog in format 3, as versions before format 4 wrote it (catalog-legacy.ts): a string table of
 * varint lengths and text, then the files and chunks, every number a varint and every string a reference.
 */
export function catalogFormatThree(data: CatalogData): Buffer {
  const narrow: string[] = [];
  const wide: string[] = [];
  const refs = new Map<string, number>();
  const ref = (text: string | undefined): number => {
    if (text === undefined) return 0;
    let r = refs.get(text);
    if (r === undefined) {
      const isWide = /[^\u0000-\u00ff]/.test(text);
      const list = isWide ? wide : narrow;
      r = 2 * list.length + (isWide ? 2 : 1);
      list.push(text);
      refs.set(text, r);
    }
    return r;
  };
  const body = new ByteWriter();
  body.u32(data.files.size);
  for (const [path, file] of data.files) {
    body.varint(ref(path));
    body.f64(file.size);
    body.f64(file.mtimeMs);
    for (const text of [file.hash, file.skip, file.detail]) body.varint(ref(text));
    body.varint(file.chunkIds.length);
    for (const id of file.chunkIds) body.varint(id);
  }
  body.u32(data.chunks.length);
  for (const c of data.chunks) {
    body.varint(c.id);
    for (const text of [c.path, c.language, c.kind, c.name, c.container, c.signature, c.doc, c.snippet, c.embeddingKey]) body.varint(ref(text));
    for (const n of [c.startByte, c.endByte, c.startLine, c.endLine]) body.varint(n);
  }
  const writer = new ByteWriter();
  writer.u32(0x54435343);
  writer.u32(3);
  writer.f64(data.nextId);
  writer.u32(data.followsLinks ? 1 : 0);
  writer.string(JSON.stringify(data.scanSkipped));
  for (const [strings, encoding] of [[narrow, 'latin1'], [wide, 'utf16le']] as const) {
    writer.u32(strings.length);
    for (const text of strings) writer.varint(text.length);
    const text = Buffer.from(strings.join(''), encoding);
    writer.u32(text.length);
    writer.bytes(text);
  }
  writer.adopt(body.parts());
  return writer.toBuffer();
}
