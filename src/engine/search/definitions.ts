import type { ChunkRecord } from '../catalog';

/**
 * What makes chunks parts of one definition: the windows of a long definition share its path,
 * kind, container, name and signature (overloads differ by signature); a gap window is its own.
 */
export function definitionKey(c: ChunkRecord): string {
  return c.kind === 'window' ? `${c.id}` : `${c.path}\0${c.kind}\0${c.container ?? ''}\0${c.name}\0${c.signature}`;
}

/**
 * The chunks of `file` that are parts of the definition `source` is a part of: those with its
 * {@link definitionKey} whose lines run on from its own without a gap (a long definition's windows
 * follow one another, or overlap). Two definitions that share a key, such as the `#ifdef` and
 * `#else` versions of one C function, or a Python function defined in both branches of an `if`,
 * are told apart by the lines between them.
 */
export function partsOfDefinition(source: ChunkRecord, file: readonly ChunkRecord[]): Set<number> {
  const key = definitionKey(source);
  const same = file.filter((c) => definitionKey(c) === key).sort((a, b) => a.startLine - b.startLine || a.endLine - b.endLine);
  const at = same.findIndex((c) => c.id === source.id);
  const parts = new Set<number>([source.id]);
  if (at < 0) return parts;
  let start = same[at].startLine;
  for (let i = at - 1; i >= 0 && same[i].endLine + 1 >= start; i--) {
    parts.add(same[i].id);
    start = Math.min(start, same[i].startLine);
  }
  let end = same[at].endLine;
  for (let i = at + 1; i < same.length && same[i].startLine <= end + 1; i++) {
    parts.add(same[i].id);
    end = Math.max(end, same[i].endLine);
  }
  return parts;
}

/** A long definition is indexed as several windows; a result list shows it once, at its best-ranked window. */
export function onePerDefinition<T extends { id: number }>(ranked: T[], top: number, chunk: (id: number) => ChunkRecord): T[] {
  const seen = new Set<string>();
  const out: T[] = [];
  for (const h of ranked) {
    const key = definitionKey(chunk(h.id));
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(h);
    if (out.length === top) break;
  }
  return out;
}
