/**
 * The change log: small refreshes committed by appending to one file instead of writing a new
 * generation of the whole index (see workspace-store.ts for what a change holds and when a
 * refresh is small enough).
 *
 * File layout of `changes.gN.log`, the log of generation N (little-endian):
 *   header  magic 'CSCH' u32 | format version u32 | the checksum of the manifest it extends (64 hex bytes)
 *           | first 8 bytes of SHA-256 of the header's first 72 bytes
 *   record  payload length u32 | first 8 bytes of SHA-256(payload) | payload (UTF-8 JSON)
 *
 * A record is committed once it is written and flushed to disk: a process killed while appending
 * leaves a torn last record, which readers skip and the next writer cuts off, so a kill loses at
 * most the change that was being written. A log extends exactly one generation: its file name
 * carries the generation's number and its header the manifest's checksum. A new generation's log
 * is written before its manifest replaces the previous one, so a manifest never exists without
 * its log; the previous generation's log is deleted with its files once the new manifest is in
 * place (a reader replaying it finds the manifest changed and reads the new generation). One
 * process writes a log at a time (the index lock); readers in other processes may read it while
 * it grows.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { errnoCode } from './errors';
import { openRegularFile, writeFileAtomic } from './store';

/** The file name of generation `generation`'s log. */
export function changeLogFile(generation: number): string {
  return `changes.g${generation}.log`;
}

/** A change log's file name; the generation is captured. */
export const CHANGE_LOG_NAME = /^changes\.g(\d+)\.log$/;

const MAGIC = 0x48435343; // 'CSCH'
const FORMAT_VERSION = 1;
const CHECKSUM_CHARS = 64;
const HEADER_BYTES = 8 + CHECKSUM_CHARS + 8;
const RECORD_HEAD_BYTES = 4 + 8;
/** A record longer than this is damage, not data (a change is a few files' chunks). */
const MAX_RECORD_BYTES = 256 * 1024 * 1024;

/**
 * A log that cannot be used: its header is damaged (a torn first write, a flipped bit), or it
 * extends another manifest (`foreign`: a generation committed since, or one a crash left behind).
 */
export interface UnusableChangeLog {
  damaged: string;
  foreign?: true;
}

/** What a log holds for one manifest: its records' payloads in order, and where the good part ends. */
export interface ChangeLogContents {
  payloads: unknown[];
  /** the length of the header and the intact records; anything after it is a torn or damaged tail */
  end: number;
  /** the file's length when read */
  bytes: number;
}

/**
 * Reads the log of the manifest whose checksum is `manifestChecksum`. Undefined when there is no
 * log; {@link UnusableChangeLog} when it extends another manifest or its header is damaged.
 * Records are read up to the first torn or damaged one.
 */
export function readChangeLog(dir: string, generation: number, manifestChecksum: string): ChangeLogContents | UnusableChangeLog | undefined {
  let data: Buffer;
  try {
    const fd = openRegularFile(path.join(dir, changeLogFile(generation)));
    try {
      data = fs.readFileSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return undefined;
    throw error;
  }
  const head = data.subarray(0, HEADER_BYTES);
  if (head.length < HEADER_BYTES) return { damaged: `its header is cut short (${data.length} bytes)` };
  if (!digest(head.subarray(0, HEADER_BYTES - 8)).equals(head.subarray(HEADER_BYTES - 8))) return { damaged: 'its header fails its checksum' };
  if (head.readUInt32LE(0) !== MAGIC || head.readUInt32LE(4) !== FORMAT_VERSION) return { damaged: 'its header is not a change log header of this version' };
  if (!header(manifestChecksum).equals(head)) return { damaged: 'it belongs to another generation of the index', foreign: true };
  const payloads: unknown[] = [];
  let end = HEADER_BYTES;
  while (end + RECORD_HEAD_BYTES <= data.length) {
    const length = data.readUInt32LE(end);
    const start = end + RECORD_HEAD_BYTES;
    if (length > MAX_RECORD_BYTES || start + length > data.length) break;
    const payload = data.subarray(start, start + length);
    if (!digest(payload).equals(data.subarray(end + 4, start))) break;
    let parsed: unknown;
    try {
      parsed = JSON.parse(payload.toString('utf8'));
    } catch {
      break; // the checksum held, so this is not a torn write; still, nothing after it can be trusted
    }
    payloads.push(parsed);
    end = start + length;
  }
  return { payloads, end, bytes: data.length };
}

/** Appends records to the log of one manifest. */
export class ChangeLogWriter {
  private constructor(
    private readonly filePath: string,
    readonly manifestChecksum: string,
    /** the length of the log's committed content: the next record goes here */
    private end: number,
  ) {}

  /** Starts an empty log for generation `generation`, whose manifest's checksum is given, replacing any log of that number. */
  static start(dir: string, generation: number, manifestChecksum: string): ChangeLogWriter {
    const filePath = path.join(dir, changeLogFile(generation));
    writeFileAtomic(filePath, header(manifestChecksum));
    return new ChangeLogWriter(filePath, manifestChecksum, HEADER_BYTES);
  }

  /** Continues a log read by {@link readChangeLog}: a torn or damaged tail after `end` is cut off first. */
  static resume(dir: string, generation: number, manifestChecksum: string, contents: Pick<ChangeLogContents, 'end' | 'bytes'>): ChangeLogWriter {
    const filePath = path.join(dir, changeLogFile(generation));
    if (contents.bytes > contents.end) fs.truncateSync(filePath, contents.end);
    return new ChangeLogWriter(filePath, manifestChecksum, contents.end);
  }

  /** The log's committed length in bytes. */
  get bytes(): number {
    return this.end;
  }

  /**
   * Appends one record and flushes it to disk: once this returns true, the change is committed.
   * Returns false, writing nothing, when the log would grow past `maxLogBytes`. When writing
   * fails (a full disk), the file is cut back to its committed length and the error thrown.
   */
  append(payload: unknown, maxLogBytes = Infinity): boolean {
    const body = Buffer.from(JSON.stringify(payload), 'utf8');
    if (body.length > MAX_RECORD_BYTES) throw new RangeError(`a change of ${body.length} bytes is too large for the change log`);
    if (this.end + RECORD_HEAD_BYTES + body.length > maxLogBytes) return false;
    const record = Buffer.allocUnsafe(RECORD_HEAD_BYTES + body.length);
    record.writeUInt32LE(body.length, 0);
    digest(body).copy(record, 4);
    body.copy(record, RECORD_HEAD_BYTES);
    const fd = fs.openSync(this.filePath, 'r+');
    try {
      try {
        for (let written = 0; written < record.length; ) {
          written += fs.writeSync(fd, record, written, record.length - written, this.end + written);
        }
        fs.fsyncSync(fd);
      } catch (error) {
        try {
          fs.ftruncateSync(fd, this.end);
        } catch {
          // the torn record is cut off by the next writer, or skipped by readers
        }
        throw error;
      }
    } finally {
      fs.closeSync(fd);
    }
    this.end += record.length;
    return true;
  }
}

function header(manifestChecksum: string): Buffer {
  if (!/^[0-9a-f]{64}$/.test(manifestChecksum)) throw new RangeError('a change log extends a manifest named by its SHA-256 checksum');
  const bytes = Buffer.alloc(HEADER_BYTES);
  bytes.writeUInt32LE(MAGIC, 0);
  bytes.writeUInt32LE(FORMAT_VERSION, 4);
  bytes.write(manifestChecksum, 8, 'latin1');
  digest(bytes.subarray(0, HEADER_BYTES - 8)).copy(bytes, HEADER_BYTES - 8);
  return bytes;
}

function digest(payload: Uint8Array): Buffer {
  return createHash('sha256').update(payload).digest().subarray(0, 8);
}
