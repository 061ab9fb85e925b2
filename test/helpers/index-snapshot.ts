/**
 * What a stored index holds, read through the engine's own storage and written without chunk
 * ids: two indexes of the same files compare equal however their ids were assigned (ids depend
 * on the order work was done in, e.g. a run resumed after a kill).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { manifestChecksum } from '../../src/engine/index/store';
import { IndexStorage } from '../../src/engine/index/workspace-store';
import type { Embedder } from '../../src/engine/vectors/embedder';

/** One indexed file: its record and its chunks, in line order, without ids. */
export interface FileSnapshot {
  size: number;
  mtimeMs: number;
  hash?: string;
  skip?: string;
  detail?: string;
  chunks: Record<string, unknown>[];
}

export interface IndexSnapshot {
  /** by path */
  files: Map<string, FileSnapshot>;
  scanSkipped: unknown[];
  chunks: number;
  lexicalDocuments: number;
  vectors: number;
}

/**
 * Loads the committed index of `root` from `indexDir` (as `embedder`'s index, or a lexical-only
 * one) and describes it. Throws when the index is damaged or missing, so a test cannot mistake
 * a rebuilt empty index for the stored one.
 */
export async function snapshotIndex(root: string, indexDir: string, embedder?: Embedder): Promise<IndexSnapshot> {
  const notices: string[] = [];
  const state = await new IndexStorage(indexDir, root, embedder).load((m) => notices.push(m));
  try {
    if (!state.saved) throw new Error(`no usable index in ${indexDir}: ${notices.join('; ') || 'none saved'}`);
    const { catalog, lexical, vectors } = state;
    const files = new Map<string, FileSnapshot>();
    for (const path of [...catalog.files.keys()].sort()) {
      const { chunkIds, ...record } = catalog.files.get(path)!;
      const chunks = chunkIds.map((id) => {
        const { id: _id, ...chunk } = catalog.chunks.get(id)!;
        const vector = vectors?.getVector(id);
        return { ...chunk, lexical: lexical.has(id), vector: vector ? [...vector] : null };
      });
      chunks.sort((a, b) => a.startByte - b.startByte || a.endByte - b.endByte || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      files.set(path, { ...record, chunks });
    }
    return {
      files,
      scanSkipped: catalog.scanSkipped,
      chunks: catalog.chunks.size,
      lexicalDocuments: lexical.size,
      vectors: vectors?.size ?? 0,
    };
  } finally {
    await state.close();
  }
}

/** Paths of `a` and `b` whose entries differ (absent in one counts as different). */
export function differingFiles(a: IndexSnapshot, b: IndexSnapshot): string[] {
  const paths = new Set([...a.files.keys(), ...b.files.keys()]);
  return [...paths].filter((p) => !sameEntry(a.files.get(p), b.files.get(p))).sort();
}

/** Whether two file entries (or absences) are the same, by value. */
export function sameEntry(a: FileSnapshot | undefined, b: FileSnapshot | undefined): boolean {
  return canonical(a) === canonical(b);
}

/** JSON with object keys sorted and undefined members left out, so equal values give equal text. */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  ) ?? 'undefined';
}

/**
 * Makes the index in `indexDir` one written before the content rules were recorded (and before
 * change logs, whose header names the manifest): its manifest loses both fields and is sealed again.
 */
export function asWrittenBeforeContentRules(indexDir: string): void {
  const file = path.join(indexDir, 'manifest.json');
  const manifest = JSON.parse(readFileSync(file, 'utf8'));
  delete manifest.meta.contentRules;
  delete manifest.meta.changeLog;
  delete manifest.checksum;
  writeFileSync(file, JSON.stringify({ ...manifest, checksum: manifestChecksum(manifest) }));
}

/**
 * Makes the index in `indexDir` one chunked under chunking version `version` (none: written before
 * the version was recorded, read as 1), without a change log, and as having begun `rechunk` (none:
 * recording none); its manifest is sealed again.
 */
export function asChunkedUnder(indexDir: string, version: number | undefined, rechunk?: { to: number; from: number }): void {
  const file = path.join(indexDir, 'manifest.json');
  const manifest = JSON.parse(readFileSync(file, 'utf8'));
  if (version === undefined) delete manifest.meta.chunking;
  else manifest.meta.chunking = version;
  if (rechunk === undefined) delete manifest.meta.rechunk;
  else manifest.meta.rechunk = rechunk;
  delete manifest.meta.changeLog;
  delete manifest.checksum;
  writeFileSync(file, JSON.stringify({ ...manifest, checksum: manifestChecksum(manifest) }));
}

/** The chunking version the index in `indexDir` records (1 when it records none). */
export function recordedChunking(indexDir: string): number {
  return (JSON.parse(readFileSync(path.join(indexDir, 'manifest.json'), 'utf8')) as { meta: { chunking?: number } }).meta.chunking ?? 1;
}

/** The content rules version the index in `indexDir` records (1 when it records none). */
export function recordedContentRules(indexDir: string): number {
  return (JSON.parse(readFileSync(path.join(indexDir, 'manifest.json'), 'utf8')) as { meta: { contentRules?: number } }).meta.contentRules ?? 1;
}
