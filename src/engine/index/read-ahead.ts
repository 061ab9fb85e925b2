import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { kindToCheck, readChecksummed, type ChecksumKind, type Computed } from './checksum';

/** A file to read ahead, and the kind of checksum its manifest entry is checked by (see checksum.ts `kindToCheck`). */
export interface FileToReadAhead {
  path: string;
  checksum: ChecksumKind;
  /**
   * The file, already open, when only its head is to be kept in memory: the part whose length
   * (u32) its last four bytes give (a lexical index's, lexical.ts), the whole file checksummed all
   * the same; the rest is read from the descriptor later ({@link ReadEarly.file}). Opened by the
   * thread that loads the index, not by the worker that reads ahead: Node closes the descriptors a
   * worker thread opened when it ends. The {@link ReadAhead} made of these owns it.
   */
  fd?: number;
}

/** What a file read ahead gave: its bytes and their checksum, of the kind it was asked for. */
export interface ReadEarly {
  /** the file's bytes; its head alone when `file` is given (or, from the reading thread, `size`) */
  bytes: Buffer;
  /** of the whole file */
  checksum: Computed;
  /** only the head was kept: the whole file's size (what the reading thread gives) */
  size?: number;
  /** only the head was kept: the file, open, and its size, as {@link ReadAhead.take} gives it; the taker closes it */
  file?: { fd: number; size: number };
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
  /** The descriptors of files read for their head ({@link FileToReadAhead.fd}) not yet given to a taker: closed on {@link release}. */
  private readonly open = new Map<string, number>();
  /** Those released while the reading thread may still read through them: closed when it delivers them, or stops. */
  private readonly closeWhenRead = new Map<string, number>();

  /** `files`: the files whose reading is under way (their paths, or as the reader was given them: then their descriptors are this one's). */
  constructor(files: readonly (string | FileToReadAhead)[]) {
    for (const file of files) {
      const path = typeof file === 'string' ? file : file.path;
      if (typeof file !== 'string' && file.fd !== undefined) this.open.set(path, file.fd);
      let settle!: (early: ReadEarly | undefined) => void;
      const promise = new Promise<ReadEarly | undefined>((resolve) => (settle = resolve));
      this.reads.set(path, { promise, settle });
    }
  }

  /** What reading `file` gave (undefined: it could not be read); a file not under way is ignored. */
  deliver(file: string, early: ReadEarly | undefined): void {
    const released = this.closeWhenRead.get(file);
    if (released !== undefined) {
      // released before the reading thread was done with it: it is now
      this.closeWhenRead.delete(file);
      closeQuietly(released);
      return;
    }
    const read = this.reads.get(file);
    if (read === undefined) return;
    read.settle(early);
    read.delivered = true;
    if (read.promise === undefined) this.reads.delete(file); // taken already: its taker holds what it needs
  }

  /** Every reading not yet delivered gives nothing (the thread that read them stopped); those delivered stay to be taken. */
  abandon(): void {
    for (const fd of this.closeWhenRead.values()) closeQuietly(fd);
    this.closeWhenRead.clear();
    for (const [file, read] of this.reads) if (!read.delivered) this.deliver(file, undefined);
  }

  /**
   * Lets go of every reading, delivered or not, once nothing will be taken (the index is loaded,
   * or failed to): what was read for a file the load did not want (another model's vectors) is not
   * kept, and a file opened for its head that was not taken is closed, once the reading thread is
   * done with it.
   */
  release(): void {
    for (const [file, read] of this.reads) {
      const fd = this.open.get(file);
      // one the reading thread may still be reading through is closed once it is done (delivers it, or stops)
      if (fd !== undefined && !read.delivered) this.closeWhenRead.set(file, fd);
      else closeQuietly(fd);
      if (!read.delivered) read.settle(undefined);
    }
    this.reads.clear();
    this.open.clear();
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
    const fd = this.open.get(file);
    if (fd === undefined) return promise;
    // the descriptor is the taker's with the head, or closed here when the file was read whole (or not at all)
    this.open.delete(file);
    const early = await promise;
    if (early?.size !== undefined) return { bytes: early.bytes, checksum: early.checksum, file: { fd, size: early.size } };
    closeQuietly(fd);
    return early;
  }
}

/**
 * Reads a regular file whole, with its checksum of `kind` (by default the kind a reader checks
 * where the manifest records both, see checksum.ts `kindToCheck`); undefined for anything else (a
 * named pipe, which is opened without blocking and never read) or on any error, which the main
 * thread's own reading meets again and reports. Given the file open as `headOf`, reads it through
 * that descriptor (left open) and keeps only the part its last four bytes say, giving the whole
 * file's `size` beside it (see {@link FileToReadAhead.fd}); a file too short to say so, or that
 * says more than it holds, is read whole.
 */
export function readAndHash(filePath: string, kind: ChecksumKind = kindToCheck(undefined), headOf?: number): ReadEarly | undefined {
  let fd: number | undefined;
  try {
    fd = headOf ?? openSync(filePath, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
    const stats = fstatSync(fd);
    if (!stats.isFile()) return undefined;
    let keep: number | undefined;
    if (headOf !== undefined && stats.size >= 4) {
      const end = Buffer.alloc(4);
      if (readSync(fd, end, 0, 4, stats.size - 4) === 4 && end.readUInt32LE(0) <= stats.size - 4) keep = end.readUInt32LE(0);
    }
    const read = readChecksummed(fd, kind, keep);
    if (keep !== undefined && read.size === stats.size && read.bytes.length === keep) return { bytes: read.bytes, checksum: read.checksum, size: read.size };
    if (keep !== undefined) return undefined; // changed while it was read: the main thread reads it (and finds what is wrong)
    return { bytes: read.bytes, checksum: read.checksum };
  } catch {
    return undefined;
  } finally {
    if (headOf === undefined) closeQuietly(fd);
  }
}

/** Closes a descriptor, if there is one, ignoring errors (nothing to do about them). */
export function closeQuietly(fd: number | undefined): void {
  if (fd === undefined) return;
  try {
    closeSync(fd);
  } catch {
    // already closed, or not ours
  }
}
