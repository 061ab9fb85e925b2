/**
 * One workspace's index on disk: the catalog (files and chunk metadata), the lexical index,
 * the vector index, and the embedding cache — loaded together, verified together, and saved
 * together as one generation (see store.ts).
 *
 * Layout of the index folder:
 *   manifest.json              the committed generation: file names, sizes, SHA-256, metadata
 *   catalog.gN.json            files → chunks, chunk metadata
 *   lexical.gN.bin             BM25 postings
 *   vectors.gN.bin             the vector index (HNSW graph + stored vectors)
 *   embeddings-<model>.cache   append-only cache of computed embeddings (not generational)
 *   index.lock                 the pid of the one process allowed to write (see lock.ts)
 */
import { readdir, stat } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { Catalog } from '../catalog';
import type { Embedder } from '../vectors/embedder';
import { EmbeddingCache } from './embedding-cache';
import { IndexCorruptError } from './errors';
import { LexicalIndex } from './lexical';
import { IndexLock } from './lock';
import { commitGeneration, openGeneration } from './store';
import { VectorIndex } from './vector-index';

const FORMAT_VERSION = 1;

interface IndexMeta {
  root: string;
  /** the embedder's id, or null for a lexical-only index */
  modelId: string | null;
  dimension: number;
  chunks: number;
}

function isIndexMeta(meta: unknown): meta is IndexMeta {
  const m = meta as IndexMeta;
  return (
    typeof m === 'object' && m !== null && typeof m.root === 'string' &&
    (m.modelId === null || typeof m.modelId === 'string') &&
    Number.isInteger(m.dimension) && Number.isInteger(m.chunks)
  );
}

/** The live, in-memory index of a workspace. */
export interface LoadedIndex {
  catalog: Catalog;
  lexical: LexicalIndex;
  /** absent in lexical-only mode */
  vectors?: VectorIndex;
  embeddingCache?: EmbeddingCache;
  /** true when another process holds the index lock: this one reads, never writes */
  readOnly: boolean;
  /** when the stored index was last committed, or null if never */
  updatedAt: string | null;
  /** false until the current state has been committed once */
  saved: boolean;
  close(): Promise<void>;
}

export class IndexStorage {
  constructor(
    readonly dir: string,
    private readonly root: string,
    private readonly embedder: Embedder | undefined,
  ) {}

  /**
   * Loads the committed index. A missing index gives an empty one; a damaged one, or one made
   * for another folder or model, is reported through `log` and replaced by an empty one,
   * which the next refresh fills. Only genuine I/O failures (a folder we may not read) throw.
   */
  async load(log: (message: string) => void): Promise<LoadedIndex> {
    const lock = IndexLock.acquire(this.dir);
    const writer = lock instanceof IndexLock;
    if (!writer) {
      log(`another Code Scout process (pid ${lock.heldBy}) is updating this index; answering from its last saved state`);
    }
    let loaded: Omit<LoadedIndex, 'embeddingCache' | 'close' | 'readOnly'> | undefined;
    try {
      loaded = this.loadCommitted(log);
    } catch (err) {
      if (!(err instanceof IndexCorruptError)) {
        if (writer) lock.release();
        throw err;
      }
      log(`${err.message}`);
    }
    const state = loaded ?? this.empty();
    const embeddingCache =
      this.embedder && writer
        ? EmbeddingCache.open(join(this.dir, cacheFileName(this.embedder.id)), this.embedder.dimension)
        : undefined;
    return {
      ...state,
      embeddingCache,
      readOnly: !writer,
      close: async () => {
        embeddingCache?.close();
        if (writer) lock.release();
      },
    };
  }

  /** Commits the in-memory index as a new generation. */
  async save(state: LoadedIndex): Promise<void> {
    if (state.readOnly) throw new Error('this index is open read-only: another process holds its lock');
    const { catalog, lexical, vectors } = state;
    const meta: IndexMeta = {
      root: this.root,
      modelId: this.embedder?.id ?? null,
      dimension: this.embedder?.dimension ?? 0,
      chunks: catalog.chunks.size,
    };
    const manifest = commitGeneration<IndexMeta>(this.dir, {
      version: FORMAT_VERSION,
      meta,
      files: [
        { name: 'catalog.json', data: catalog.serialize() },
        { name: 'lexical.bin', data: lexical.serialize() },
        ...(vectors ? [{ name: 'vectors.bin', write: (path: string) => vectors.save(path) }] : []),
      ],
    });
    state.embeddingCache?.flush();
    state.updatedAt = manifest.updatedAt;
    state.saved = true;
  }

  /** Bytes used by the index folder. */
  async sizeOnDisk(): Promise<number> {
    let total = 0;
    try {
      for (const name of await readdir(this.dir)) total += (await stat(join(this.dir, name))).size;
    } catch {
      // no index yet
    }
    return total;
  }

  private loadCommitted(log: (message: string) => void): Omit<LoadedIndex, 'embeddingCache' | 'close' | 'readOnly'> | undefined {
    const generation = openGeneration<IndexMeta>(this.dir, FORMAT_VERSION, isIndexMeta);
    if (!generation) return undefined;
    const meta = generation.manifest.meta;
    const modelId = this.embedder?.id ?? null;
    if (meta.root !== this.root) {
      log(`the index at ${this.dir} was built for ${meta.root}; building a new one for ${this.root}`);
      return undefined;
    }
    if (meta.modelId !== modelId) {
      log(
        `the index was built ${meta.modelId ? `with the model ${meta.modelId}` : 'without a model'}; ` +
          `re-indexing ${modelId ? `with ${modelId}` : 'for lexical-only search'}`,
      );
      return undefined;
    }
    let catalog: Catalog;
    try {
      catalog = Catalog.deserialize(generation.read('catalog.json'));
    } catch (err) {
      if (err instanceof IndexCorruptError) throw err;
      throw new IndexCorruptError(`catalog.json is unreadable: ${(err as Error).message}`, this.dir);
    }
    const lexical = LexicalIndex.deserialize(generation.read('lexical.bin'));
    const vectors = this.embedder
      ? VectorIndex.load(generation.verifiedPath('vectors.bin'), { dimension: this.embedder.dimension })
      : undefined;
    // Every chunk is in the lexical index; a chunk whose text has no embedding (no known token) has no vector.
    if (lexical.size !== catalog.chunks.size || meta.chunks !== catalog.chunks.size || (vectors?.size ?? 0) > catalog.chunks.size) {
      throw new IndexCorruptError(
        `inconsistent chunk counts (catalog ${catalog.chunks.size}, lexical ${lexical.size}, vectors ${vectors?.size ?? '-'})`,
        this.dir,
      );
    }
    return { catalog, lexical, vectors, updatedAt: generation.manifest.updatedAt, saved: true };
  }

  private empty(): Omit<LoadedIndex, 'embeddingCache' | 'close' | 'readOnly'> {
    return {
      catalog: new Catalog(),
      lexical: new LexicalIndex(),
      vectors: this.embedder ? new VectorIndex({ dimension: this.embedder.dimension }) : undefined,
      updatedAt: null,
      saved: false,
    };
  }
}

/** One cache file per model, so switching models back and forth keeps both caches. */
function cacheFileName(modelId: string): string {
  return `embeddings-${createHash('sha256').update(modelId).digest('hex').slice(0, 12)}.cache`;
}
