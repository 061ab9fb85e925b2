/**
 * Reading a file for the index and chunking it, where the chunker runs: on a parse worker's
 * thread for a large job (pool.ts), so that the thread that indexes neither reads the files nor
 * copies their text to the workers (reading 8,000 files through fs/promises was 3–4 s of the
 * indexing thread's time in a cold index of 100k functions), or in-process for a few files.
 */
import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import { readSourceFile } from '../files/text-files';
import type { Chunk, SkipReason } from '../types';

/** A file to read and chunk. */
export interface FileToChunk {
  absPath: string;
  /** POSIX path relative to the workspace root */
  relPath: string;
  /** the SHA-256 (hex) of the content the index has for the file, if any: a file still of that content is not chunked again */
  knownHash?: string;
  /** the size limit of the scan that found it: a file that has grown past it since is skipped as too large, not read (default: none) */
  maxBytes?: number;
}

/** What reading and chunking a file gave: why it is skipped, or its content's SHA-256 and, unless it is the known content, its chunks. */
export type ReadChunks = { skip: SkipReason; detail?: string } | { hash: string; unchanged: true } | { hash: string; chunks: Chunk[] };

/**
 * Reads `file` and decides whether its content is indexable (see readSourceFile); chunks it with
 * `chunk` unless its content is `knownHash`'s. Rejects only when `chunk` does (the file could not
 * be chunked at all); a file that cannot be read, or is not indexable text, is a skip.
 */
export async function readAndChunk(file: FileToChunk, chunk: (relPath: string, text: string) => Promise<Chunk[]>): Promise<ReadChunks> {
  const read = readSourceFile(file.absPath, basename(file.relPath), file.maxBytes);
  if ('skip' in read) return read.detail === undefined ? { skip: read.skip } : { skip: read.skip, detail: read.detail };
  const hash = contentHash(read.text);
  if (hash === file.knownHash) return { hash, unchanged: true };
  return { hash, chunks: await chunk(file.relPath, read.text) };
}

/** The SHA-256 of a file's text (as UTF-8), as lowercase hex: what the catalog records of its content. */
function contentHash(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
