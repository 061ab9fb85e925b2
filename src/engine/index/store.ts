/**
 * Durable storage for the index directory.
 *
 * An index is saved as a *generation*: a set of data files whose names carry the generation
 * number (`lexical.g7.bin`, `vectors.g7.bin`), committed by atomically replacing
 * `manifest.json`, which records each file's size and SHA-256. A crash before the manifest is
 * replaced leaves the previous generation intact and loadable; files of other generations are
 * deleted after a successful commit. Every file is verified against the manifest before it is
 * used, because the native HNSW loader crashes the process on damaged input.
 *
 * All functions are synchronous: the callers serialise in memory or through native writers
 * that are synchronous anyway, and a save must not interleave with index updates.
 */

import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { IndexCorruptError, IndexVersionError } from './errors';

export { IndexCorruptError, IndexVersionError } from './errors';

export const MANIFEST_FILE = 'manifest.json';

/** Where a data file of a generation is and what it must contain. */
export interface ManifestFile {
  /** the file name inside the index directory, e.g. `vectors.g7.bin` */
  file: string;
  sha256: string;
  bytes: number;
}

/** The contents of `manifest.json`. */
export interface Manifest<Meta = unknown> {
  /** the caller's format version; a different version is never loaded */
  version: number;
  /** increases by one with every commit */
  generation: number;
  /** ISO 8601 timestamps: when the first generation was committed, and this one */
  createdAt: string;
  updatedAt: string;
  /** by logical name, e.g. `vectors.bin` */
  files: Record<string, ManifestFile>;
  /** caller-provided data, e.g. the embedding model id */
  meta: Meta;
}

/** A data file to commit: its bytes, or a function that writes it at the given path. */
export type DataFile = { name: string; data: Uint8Array } | { name: string; write: (filePath: string) => void };

/** What to commit as the next generation. */
export interface Commit<Meta> {
  version: number;
  files: readonly DataFile[];
  meta: Meta;
}

/** Checks caller-provided manifest data; return false to reject the manifest as damaged. */
export type MetaGuard<Meta> = (meta: unknown) => meta is Meta;

/** A logical file name: a stem and at most one extension, so generation names stay unambiguous. */
const LOGICAL_NAME = /^[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)?$/;
/** A generation file name, e.g. `vectors.g7.bin`; the number is captured. */
const GENERATION_FILE = /^[A-Za-z0-9_-]+\.g(\d+)(?:\.[A-Za-z0-9_-]+)?$/;
const SHA256_HEX = /^[0-9a-f]{64}$/;
const HASH_BLOCK_BYTES = 1 << 20;

/**
 * Writes a file so that readers see either the old or the new content, never a mix: the data
 * goes to a temporary file in the same directory, is flushed to disk, and is renamed over the
 * target; then the directory itself is flushed where the platform supports it.
 */
export function writeFileAtomic(filePath: string, data: Uint8Array | string): void {
  const dir = path.dirname(filePath);
  const temp = path.join(dir, `.${path.basename(filePath)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    writeDurably(temp, data);
    fs.renameSync(temp, filePath);
  } catch (error) {
    fs.rmSync(temp, { force: true });
    throw error;
  }
  syncDirectory(dir);
}

/** The SHA-256 of some bytes, as lowercase hex. */
export function sha256Hex(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** The SHA-256 of a file's contents, as lowercase hex, read in 1 MiB blocks. */
export function sha256File(filePath: string): string {
  const hash = createHash('sha256');
  const block = Buffer.allocUnsafe(HASH_BLOCK_BYTES);
  const fd = fs.openSync(filePath, 'r');
  try {
    for (let read = fs.readSync(fd, block); read > 0; read = fs.readSync(fd, block)) hash.update(block.subarray(0, read));
  } finally {
    fs.closeSync(fd);
  }
  return hash.digest('hex');
}

/** Atomically replaces `manifest.json` in `dir`. */
export function saveManifest(dir: string, manifest: Manifest<unknown>): void {
  writeFileAtomic(path.join(dir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
}

/**
 * Reads and validates `manifest.json`; returns undefined when there is no index yet (neither a
 * manifest nor generation files). Throws {@link IndexVersionError} for another format version and
 * {@link IndexCorruptError} for a manifest that is missing beside generation files, unreadable
 * JSON, a malformed shape or metadata rejected by `isMeta`. It does not look at the data
 * files: see {@link openGeneration}.
 */
export function loadManifest<Meta>(dir: string, version: number, isMeta?: MetaGuard<Meta>): Manifest<Meta> | undefined {
  let text: string;
  try {
    text = fs.readFileSync(path.join(dir, MANIFEST_FILE), 'utf8');
  } catch (error) {
    if (errorCode(error) !== 'ENOENT') throw error;
    if (highestGenerationOnDisk(dir) > 0) throw new IndexCorruptError(`${MANIFEST_FILE} is missing`, dir);
    return undefined;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new IndexCorruptError(`${MANIFEST_FILE} is not valid JSON`, dir);
  }
  if (!isRecord(parsed)) throw new IndexCorruptError(`${MANIFEST_FILE} is not an object`, dir);
  if (parsed.version !== version) throw new IndexVersionError(parsed.version, version, dir);
  const problem = manifestProblem(parsed);
  if (problem !== undefined) throw new IndexCorruptError(`${MANIFEST_FILE} ${problem}`, dir);
  if (isMeta !== undefined && !isMeta(parsed.meta)) throw new IndexCorruptError(`${MANIFEST_FILE} has invalid metadata`, dir);
  return parsed as unknown as Manifest<Meta>;
}

/** A committed generation whose files have been checked to exist with the recorded sizes. */
export class Generation<Meta = unknown> {
  constructor(
    readonly dir: string,
    readonly manifest: Manifest<Meta>,
  ) {}

  /** Whether the generation has a file of this logical name. */
  has(name: string): boolean {
    return Object.hasOwn(this.manifest.files, name);
  }

  /** Reads a data file, verifying its size and SHA-256 against the manifest. */
  read(name: string): Buffer {
    const entry = this.entry(name);
    const data = fs.readFileSync(path.join(this.dir, entry.file));
    this.verify(name, entry, data.length, () => sha256Hex(data));
    return data;
  }

  /**
   * The path of a data file after verifying its size and SHA-256, for readers that only take
   * a path (such as the HNSW loader). The file must not be changed between this call and the read.
   */
  verifiedPath(name: string): string {
    const entry = this.entry(name);
    const filePath = path.join(this.dir, entry.file);
    this.verify(name, entry, fileSize(filePath, this.dir, name), () => sha256File(filePath));
    return filePath;
  }

  private entry(name: string): ManifestFile {
    if (!this.has(name)) throw new IndexCorruptError(`${name} is not in ${MANIFEST_FILE}`, this.dir);
    return this.manifest.files[name];
  }

  private verify(name: string, entry: ManifestFile, bytes: number, sha256: () => string): void {
    if (bytes !== entry.bytes) throw new IndexCorruptError(`${name} has ${bytes} bytes, expected ${entry.bytes}`, this.dir);
    if (sha256() !== entry.sha256) throw new IndexCorruptError(`${name} checksum mismatch`, this.dir);
  }
}

/**
 * Opens the committed generation in `dir`: loads the manifest (see {@link loadManifest}) and
 * checks that every data file exists with its recorded size. Checksums are verified when a file
 * is read. Returns undefined when there is no index yet.
 */
export function openGeneration<Meta>(dir: string, version: number, isMeta?: MetaGuard<Meta>): Generation<Meta> | undefined {
  const manifest = loadManifest(dir, version, isMeta);
  if (manifest === undefined) return undefined;
  for (const [name, entry] of Object.entries(manifest.files)) {
    const bytes = fileSize(path.join(dir, entry.file), dir, name);
    if (bytes !== entry.bytes) throw new IndexCorruptError(`${name} has ${bytes} bytes, expected ${entry.bytes}`, dir);
  }
  return new Generation(dir, manifest);
}

/**
 * Commits a new generation: writes and flushes every data file under a new generation name,
 * then atomically replaces the manifest, then deletes the files of other generations.
 * The previous generation stays loadable until the manifest is replaced. A damaged or
 * incompatible previous manifest is simply superseded.
 */
export function commitGeneration<Meta>(dir: string, commit: Commit<Meta>): Manifest<Meta> {
  fs.mkdirSync(dir, { recursive: true });
  const previous = previousManifest(dir, commit.version);
  const generation = Math.max(previous?.generation ?? 0, highestGenerationOnDisk(dir)) + 1;
  const files: Record<string, ManifestFile> = {};
  for (const dataFile of commit.files) {
    if (!LOGICAL_NAME.test(dataFile.name) || dataFile.name === MANIFEST_FILE) {
      throw new RangeError(`invalid index file name: ${JSON.stringify(dataFile.name)}`);
    }
    if (Object.hasOwn(files, dataFile.name)) throw new RangeError(`index file ${dataFile.name} is committed twice`);
    files[dataFile.name] = writeDataFile(dir, generationFileName(dataFile.name, generation), dataFile);
  }
  syncDirectory(dir);
  const now = new Date().toISOString();
  const manifest: Manifest<Meta> = {
    version: commit.version,
    generation,
    createdAt: previous?.createdAt ?? now,
    updatedAt: now,
    files,
    meta: commit.meta,
  };
  saveManifest(dir, manifest);
  removeStaleGenerations(dir, manifest);
  return manifest;
}

/** `vectors.bin` of generation 7 is stored as `vectors.g7.bin`. */
function generationFileName(name: string, generation: number): string {
  const dot = name.indexOf('.');
  return dot === -1 ? `${name}.g${generation}` : `${name.slice(0, dot)}.g${generation}${name.slice(dot)}`;
}

function writeDataFile(dir: string, file: string, dataFile: DataFile): ManifestFile {
  const filePath = path.join(dir, file);
  if ('data' in dataFile) {
    writeDurably(filePath, dataFile.data);
    return { file, sha256: sha256Hex(dataFile.data), bytes: dataFile.data.length };
  }
  dataFile.write(filePath);
  syncFile(filePath);
  return { file, sha256: sha256File(filePath), bytes: fileSize(filePath, dir, dataFile.name) };
}

/** The manifest being replaced, or undefined when there is none or it cannot be used anyway. */
function previousManifest(dir: string, version: number): Manifest<unknown> | undefined {
  try {
    return loadManifest(dir, version);
  } catch (error) {
    if (error instanceof IndexCorruptError) return undefined;
    throw error;
  }
}

/** The highest generation number among file names in `dir` (0 for none, or no `dir`). */
function highestGenerationOnDisk(dir: string): number {
  let highest = 0;
  for (const file of fs.existsSync(dir) ? fs.readdirSync(dir) : []) {
    const match = GENERATION_FILE.exec(file);
    if (match !== null) highest = Math.max(highest, Number(match[1]));
  }
  return highest;
}

/** Deletes generation files the manifest does not name, and temporary manifests left by a crash. */
function removeStaleGenerations(dir: string, manifest: Manifest<unknown>): void {
  const live = new Set(Object.values(manifest.files).map((entry) => entry.file));
  const tempManifest = `.${MANIFEST_FILE}.`;
  for (const file of fs.readdirSync(dir)) {
    const stale = GENERATION_FILE.test(file) ? !live.has(file) : file.startsWith(tempManifest) && file.endsWith('.tmp');
    if (stale) removeBestEffort(path.join(dir, file));
  }
}

/** Deletion is cleanup: a file held open elsewhere (Windows) is left for the next commit. */
function removeBestEffort(filePath: string): void {
  try {
    fs.rmSync(filePath, { force: true });
  } catch {
    // left for the next commit's cleanup
  }
}

function manifestProblem(value: Record<string, unknown>): string | undefined {
  if (!(Number.isSafeInteger(value.generation) && (value.generation as number) >= 1)) return 'has an invalid generation';
  if (typeof value.createdAt !== 'string' || typeof value.updatedAt !== 'string') return 'has invalid timestamps';
  if (!isRecord(value.files)) return 'has no file list';
  if (!('meta' in value)) return 'has no metadata';
  for (const [name, entry] of Object.entries(value.files)) {
    if (!LOGICAL_NAME.test(name)) return `lists an invalid file name ${JSON.stringify(name)}`;
    if (!isManifestFile(entry)) return `has an invalid entry for ${name}`;
  }
  return undefined;
}

function isManifestFile(value: unknown): value is ManifestFile {
  return (
    isRecord(value) &&
    typeof value.file === 'string' &&
    GENERATION_FILE.test(value.file) &&
    typeof value.sha256 === 'string' &&
    SHA256_HEX.test(value.sha256) &&
    Number.isSafeInteger(value.bytes) &&
    (value.bytes as number) >= 0
  );
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The size of an index file; a missing file means the index is damaged. */
function fileSize(filePath: string, dir: string, name: string): number {
  try {
    return fs.statSync(filePath).size;
  } catch (error) {
    if (errorCode(error) === 'ENOENT') throw new IndexCorruptError(`${name} is missing`, dir);
    throw error;
  }
}

/** Writes a file and flushes it to disk before returning. */
function writeDurably(filePath: string, data: Uint8Array | string): void {
  const fd = fs.openSync(filePath, 'w');
  try {
    fs.writeFileSync(fd, data);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Flushes a file written by someone else (e.g. a native library) to disk. */
function syncFile(filePath: string): void {
  const fd = fs.openSync(filePath, 'r+');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Flushes a directory's entries (new and renamed files) to disk. Best effort: Windows cannot
 * open a directory for this, and there renames are durable without it.
 */
function syncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // not supported here; nothing to do
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

function errorCode(error: unknown): string | undefined {
  return isRecord(error) && typeof error.code === 'string' ? error.code : undefined;
}
