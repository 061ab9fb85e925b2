/**
 * Index files in the formats earlier versions wrote, made from files in the current format, to
 * check that they are still read and then upgraded.
 */
import { ByteReader, ByteWriter } from '../../src/engine/index/bytes';
import { LexicalIndex } from '../../src/engine/index/lexical';

/** A lexical index's bytes (format 2, as `serialize` writes them) in format 1: each term before its posting. */
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
