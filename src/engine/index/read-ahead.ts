import { closeSync, constants, fstatSync, openSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';

/** What a file read ahead gave: its bytes and their SHA-256, as lowercase hex. */
export interface ReadEarly {
  bytes: Buffer;
  sha256: string;
}

/**
 * Data files of an index's committed generation, read and checksummed on another thread while the
 * main thread does something else (loads the model; see one-shot.ts): for a command that opens an
 * index and exits (the CLI), where reading and hashing the catalog and the lexical index (50 MB at
 * 100k functions) was 0.25 s of the main thread's time.
 *
 * It is only a hint: the files are the ones the manifest named when the reading started, and
 * {@link Generation.readVia} uses what was read only when its length and SHA-256 are those of the
 * manifest it reads itself: the same content, whenever it was read. A generation committed
 * meanwhile, a damaged or missing manifest, or a file that is not there leave the reading to it.
 */
export class ReadAhead {
  private readonly reads = new Map<string, { promise: Promise<ReadEarly | undefined>; settle: (early: ReadEarly | undefined) => void }>();
  private readonly taken = new Set<string>();

  /** `files`: names on disk, in the index folder, whose reading is under way. */
  constructor(files: readonly string[]) {
    for (const file of files) {
      let settle!: (early: ReadEarly | undefined) => void;
      const promise = new Promise<ReadEarly | undefined>((resolve) => (settle = resolve));
      this.reads.set(file, { promise, settle });
    }
  }

  /** What reading `file` gave (undefined: it could not be read); a file not under way is ignored. */
  deliver(file: string, early: ReadEarly | undefined): void {
    this.reads.get(file)?.settle(early);
  }

  /** Every reading not yet delivered gives nothing (the thread that read them stopped). */
  abandon(): void {
    for (const { settle } of this.reads.values()) settle(undefined);
  }

  /** What reading `file` ahead gave; undefined when it was not read, or failed. Once per file. */
  async take(file: string): Promise<ReadEarly | undefined> {
    const read = this.reads.get(file);
    if (read === undefined || this.taken.has(file)) return undefined;
    this.taken.add(file);
    return read.promise;
  }
}

/**
 * Reads a regular file whole, with its SHA-256; undefined for anything else (a named pipe, which
 * is opened without blocking and never read) or on any error, which the main thread's own reading
 * meets again and reports.
 */
export function readAndHash(filePath: string): ReadEarly | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(filePath, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
    if (!fstatSync(fd).isFile()) return undefined;
    const bytes = readFileSync(fd);
    return { bytes, sha256: createHash('sha256').update(bytes).digest('hex') };
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
