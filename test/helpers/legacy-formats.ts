/**
 * Index files in the formats earlier versions wrote, made from files in the current format, to
 * check that they are still read and then upgraded.
 */
import { createHash } from 'node:crypto';
import { ByteReader, ByteWriter } from '../../src/engine/index/bytes';
import { LexicalIndex } from '../../src/engine/index/lexical';

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
