import type { ChunkRecord } from '../catalog';

/**
 * What makes chunks parts of one definition: the windows of a long definition share its path,
 * kind, container, name and signature (overloads differ by signature); a gap window is its own.
 */
export function definitionKey(c: ChunkRecord): string {
  return c.kind === 'window' ? `${c.id}` : `${c.path}\0${c.kind}\0${c.container ?? ''}\0${c.name}\0${c.signature}`;
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
