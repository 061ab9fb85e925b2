import { closeSync, constants, fstatSync, openSync } from 'node:fs';
import { kindToCheck, readChecksummed, type ChecksumKind, type Computed } from './checksum';

/** A file to read ahead, and the kind of checksum its manifest entry is checked by (see checksum.ts `kindToCheck`). */
export interface FileToReadAhead {
  path: string;
  checksum: ChecksumKind;
}

/** What a file read ahead gave: its bytes and their checksum, of the kind it was asked for. */
export interface ReadEarly {
  bytes: Buffer;
  checksum: Computed;
}

/**
 * Data files of an index's committed generation, read and checksummed on another thread while the
 * main thread does something else (loads the model; see one-shot.ts): for a command that opens an
 * index and exits (the CLI), where reading and hashing the catalog and the lexical index (50 MB at
 * 100k functions) was 0.25 s of the main thread's time.
 *
 * It is only a hint: the files are the ones the manifest named when the reading started, and
 * {@link Generation.readVia} uses what was read only when its length and checksum are those of the
 * manifest it reads itself: the same content, whenever it was read. A generation committed
 * meanwhile, a damaged or missing manifest, or a file that is not there leave the reading to it.
 */
export class ReadAhead {
  /** The readings under way or done and not yet taken; a taken one stays (without its promise) until delivered. */
  private readonly reads = new Map<string, { promise?: Promise<ReadEarly | undefined>; settle: (early: ReadEarly | undefined) => void; delivered?: true }>();

  /** `files`: the paths of the files whose reading is under way. */
  constructor(files: readonly string[]) {
    for (const file of files) {
      let settle!: (early: ReadEarly | undefined) => void;
      const promise = new Promise<ReadEarly | undefined>((resolve) => (settle = resolve));
      this.reads.set(file, { promise, settle });
    }
  }

  /** What reading `file` gave (undefined: it could not be read); a file not under way is ignored. */
  deliver(file: string, early: ReadEarly | undefined): void {
    const read = this.reads.get(file);
    if (read === undefined) return;
    read.settle(early);
    read.delivered = true;
    if (read.promise === undefined) this.reads.delete(file); // taken already: its taker holds what it needs
  }

  /** Every reading not yet delivered gives nothing (the thread that read them stopped); those delivered stay to be taken. */
  abandon(): void {
    for (const [file, read] of this.reads) if (!read.delivered) this.deliver(file, undefined);
  }

  /** Lets go of every reading, delivered or not, once nothing will be taken (the index is loaded): what was read for a file the load did not want (another model's vectors) is not kept. */
  release(): void {
    this.abandon();
    this.reads.clear();
  }

  /**
   * What reading `file` ahead gave; undefined when it was not read, or failed. Once per file: it is
   * then let go here, so that the bytes live no longer than the caller keeps them.
   */
  async take(file: string): Promise<ReadEarly | undefined> {
    const read = this.reads.get(file);
    const promise = read?.promise;
    if (read === undefined || promise === undefined) return undefined;
    // the entry (whose settle function holds the promise, and so the bytes) stays only until delivered
    if (read.delivered) this.reads.delete(file);
    else read.promise = undefined;
    return promise;
  }
}

/**
 * Reads a regular file whole, with its checksum of `kind` (by default the kind a reader checks
 * where the manifest records both, see checksum.ts `kindToCheck`); undefined for anything else (a named pipe, which
 * is opened without blocking and never read) or on any error, which the main thread's own reading
 * meets again and reports.
 */
export function readAndHash(filePath: string, kind: ChecksumKind = kindToCheck(undefined)): ReadEarly | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(filePath, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
    if (!fstatSync(fd).isFile()) return undefined;
    return readChecksummed(fd, kind);
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
