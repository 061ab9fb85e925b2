/**
 * Durable storage for the index directory.
 *
 * An index is saved as a *generation*: a set of data files whose names carry the generation
 * number (`lexical.g7.bin`, `vectors.g7.bin`), committed by atomically replacing
 * `manifest.json`, which records each file's size, SHA-256 and (where the runtime computes one)
 * CRC-32 (checksum.ts), and a checksum of its own content.
 * A crash before the manifest is replaced leaves the previous generation intact and loadable.
 * After a commit the files of every earlier generation are deleted, so that the folder holds one
 * index, not two. A reader in another process that read the previous manifest a moment ago keeps
 * what it has already opened (an open file outlives its name), and one that finds a file gone
 * finds the manifest changed and reads the new generation instead (workspace-store.ts,
 * readCommitted). Only files whose names are generation names of the index's own logical files
 * (`vectors.g3.bin` for `vectors.bin`) are ever deleted, so other files in the folder are safe.
 * Every file is verified against the manifest before it is used, because the native HNSW loader
 * crashes the process on damaged input, and only regular files are ever opened (a named pipe
 * would block the process).
 *
 * All functions are synchronous: the callers serialise in memory or through native writers
 * that are synchronous anyway, and a save must not interleave with index updates.
 */

import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { errnoCode, IndexCorruptError, IndexFolderError, IndexVersionError, IndexWriteError, NotAFileError, writeFailure } from './errors';
import { specialKind } from '../files/regular-file';
import { TimeSlices } from '../time-slice';
import { closeQuietly, type ReadAhead, type ReadEarly } from './read-ahead';
import { Checksummer, compute, isCrc32, kindToCheck, matches, readChecksummed, type ChecksumKind, type Checksums, type Computed } from './checksum';

export { IndexCorruptError, IndexVersionError } from './errors';

export const MANIFEST_FILE = 'manifest.json';

/** Where a data file of a generation is and what it must contain. */
export interface ManifestFile {
  /** the file name inside the index directory, e.g. `vectors.g7.bin` */
  file: string;
  sha256: string;
  /** the file's CRC-32, where the writer's runtime computed one; a reader that can checks it instead of the SHA-256 (see checksum.ts) */
  crc32?: number;
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
  /**
   * files of an earlier generation that this one keeps on disk. Commits keep none (see the module
   * comment); earlier versions kept the previous generation's files here, and the field stays so
   * that the manifests of either version load in the other.
   */
  retained: string[];
  /** SHA-256 of the JSON of the fields above, so that any change to the manifest is detected */
  checksum: string;
}

/**
 * A data file to commit: its bytes; or a function that makes them, as parts in order, called when
 * the file is written, after the files before it (so that each file's bytes are held only while it
 * is written, not all of them at once); or a function that writes it at the given path (and may
 * return the written file's length and checksums, when it read them back anyway).
 */
export type DataFile =
  | { name: string; data: Uint8Array }
  | { name: string; parts: () => Promise<readonly Uint8Array[]> }
  | { name: string; write: (filePath: string) => void | FileDigest | Promise<void | FileDigest> };

/** A written file's length and checksums (see {@link Checksummer}'s `written`). */
export interface FileDigest extends Checksums {
  bytes: number;
}

/** What to commit as the next generation. */
export interface Commit<Meta> {
  version: number;
  files: readonly DataFile[];
  meta: Meta;
  /**
   * Called with the new manifest once its data files are durable and before it replaces the
   * current one, to write what must exist as soon as it does (a change log that extends it).
   * Throwing abandons the commit.
   */
  beforeSwitch?: (manifest: Manifest<Meta>) => void;
  /**
   * Every logical file name the index may hold, when a commit may lack some of them (the vector
   * graph, which exists only above a size): generation files of these names that no live
   * generation uses are deleted too, and their numbers are never reused. Default: the committed files' names.
   */
  knownNames?: readonly string[];
}

/** Checks caller-provided manifest data; return false to reject the manifest as damaged. */
export type MetaGuard<Meta> = (meta: unknown) => meta is Meta;

/** A logical file name: a stem and at most one extension, so generation names stay unambiguous. */
const LOGICAL_NAME = /^[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)?$/;
/** A generation file name, e.g. `vectors.g7.bin`; the number is captured. */
const GENERATION_FILE = /^[A-Za-z0-9_-]+\.g(\d+)(?:\.[A-Za-z0-9_-]+)?$/;
/** A temporary file of {@link tempPathFor}: the name of the file it is for, and the writer's pid. */
const TEMP_FILE = /^\.(.+)\.(\d+)\.[0-9a-f]+\.tmp$/;
const SHA256_HEX = /^[0-9a-f]{64}$/;
const HASH_BLOCK_BYTES = 1 << 20;
/** The longest stretch of hashing a committed file's bytes between two turns of the event loop. */
const HASH_SLICE_MS = 20;
/** Opening a named pipe for reading with this flag returns at once instead of waiting for a writer. */
const O_NONBLOCK = fs.constants.O_NONBLOCK ?? 0;

/**
 * Opens a file for reading, refusing anything that is not a regular file (a folder, a named
 * pipe, a device) with {@link NotAFileError}, without ever blocking on it.
 */
export function openRegularFile(filePath: string): number {
  let fd: number;
  try {
    fd = fs.openSync(filePath, fs.constants.O_RDONLY | O_NONBLOCK);
  } catch (error) {
    if (errnoCode(error) === 'EISDIR') throw new NotAFileError(filePath, 'folder');
    throw error;
  }
  try {
    const stats = fs.fstatSync(fd);
    if (!stats.isFile()) throw new NotAFileError(filePath, specialKind(stats));
    return fd;
  } catch (error) {
    fs.closeSync(fd);
    throw error;
  }
}

/** Reads a whole regular file; see {@link openRegularFile}. */
export function readRegularFile(filePath: string): Buffer {
  const fd = openRegularFile(filePath);
  try {
    return fs.readFileSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Makes room for a file the index owns at `name` in `dir` when something that is not a regular
 * file is in its place: a named pipe, socket, device, dangling link or empty folder is removed;
 * a folder with content is left alone and reported with {@link IndexFolderError}.
 */
export function clearFileSlot(dir: string, name: string): void {
  const filePath = path.join(dir, name);
  let stats: fs.Stats;
  try {
    stats = fs.lstatSync(filePath);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return;
    throw error;
  }
  if (stats.isFile()) return;
  if (stats.isSymbolicLink()) {
    let target: fs.Stats | undefined;
    try {
      target = fs.statSync(filePath);
    } catch {
      // dangling: removed below
    }
    if (target?.isFile()) return;
  }
  if (stats.isDirectory()) {
    try {
      fs.rmdirSync(filePath);
      return;
    } catch {
      throw new IndexFolderError(dir, `${filePath} is a folder where the index keeps a file; remove it or choose another index folder`);
    }
  }
  fs.rmSync(filePath, { force: true });
}

/**
 * A name for a temporary file of this process beside `filePath`: `.name.<pid>.<hex>.tmp`. One left
 * by a process no longer running is removed by the next commit when `name` is the manifest's or
 * a generation file's ({@link removeStaleGenerations}).
 */
export function tempPathFor(filePath: string): string {
  return path.join(path.dirname(filePath), `.${path.basename(filePath)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

/**
 * Writes a file so that readers see either the old or the new content, never a mix: the data
 * goes to a temporary file in the same directory, is flushed to disk, and is renamed over the
 * target; then the directory itself is flushed where the platform supports it.
 */
export function writeFileAtomic(filePath: string, data: Uint8Array | string): void {
  const dir = path.dirname(filePath);
  const temp = tempPathFor(filePath);
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
  const fd = openRegularFile(filePath);
  try {
    for (let read = fs.readSync(fd, block); read > 0; read = fs.readSync(fd, block)) hash.update(block.subarray(0, read));
  } finally {
    fs.closeSync(fd);
  }
  return hash.digest('hex');
}

/** Atomically replaces `manifest.json` in `dir`. */
export function saveManifest(dir: string, manifest: Manifest<unknown>): void {
  clearFileSlot(dir, MANIFEST_FILE);
  writeFileAtomic(path.join(dir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
}

/** The checksum a manifest carries: SHA-256 of its other fields, in their fixed order. */
export function manifestChecksum(manifest: Omit<Manifest<unknown>, 'checksum'>): string {
  const { version, generation, createdAt, updatedAt, files, meta, retained } = manifest;
  return sha256Hex(JSON.stringify({ version, generation, createdAt, updatedAt, files, meta, retained }));
}

/**
 * The manifest's bytes as they are now, or undefined when there is none (or it cannot be read):
 * a reader compares them before and after reading a generation to know whether a writer
 * committed in between.
 */
export function manifestSnapshot(dir: string): Buffer | undefined {
  try {
    return readRegularFile(path.join(dir, MANIFEST_FILE));
  } catch {
    return undefined;
  }
}

/**
 * Reads and validates `manifest.json`; returns undefined when there is no index yet (neither a
 * manifest nor generation files of `fileNames`, the index's logical file names; any generation
 * file when they are not given). Throws {@link IndexVersionError} for another format version and
 * {@link IndexCorruptError} for a manifest that is missing beside generation files, is not a
 * file, is unreadable JSON, fails its checksum, or has a malformed shape or metadata rejected
 * by `isMeta`. It does not look at the data files: see {@link openGeneration}.
 */
export function loadManifest<Meta>(
  dir: string,
  version: number,
  isMeta?: MetaGuard<Meta>,
  fileNames?: readonly string[],
): Manifest<Meta> | undefined {
  let text: string;
  try {
    text = readRegularFile(path.join(dir, MANIFEST_FILE)).toString('utf8');
  } catch (error) {
    if (error instanceof NotAFileError) throw new IndexCorruptError(`${MANIFEST_FILE} is a ${error.kind}, not a file`, dir);
    if (errnoCode(error) !== 'ENOENT') throw error;
    if (highestGenerationOnDisk(dir, fileNames) > 0) throw new IndexCorruptError(`${MANIFEST_FILE} is missing`, dir);
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
  const manifest = parsed as unknown as Manifest<Meta>;
  if (manifest.checksum !== manifestChecksum(manifest)) throw new IndexCorruptError(`${MANIFEST_FILE} checksum mismatch`, dir);
  if (isMeta !== undefined && !isMeta(parsed.meta)) throw new IndexCorruptError(`${MANIFEST_FILE} has invalid metadata`, dir);
  return manifest;
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

  /** Reads a data file, verifying its size and checksum (see checksum.ts) against the manifest. */
  read(name: string): Buffer {
    const entry = this.entry(name);
    const { bytes, checksum } = this.readFile(name, path.join(this.dir, entry.file), kindToCheck(entry));
    if (bytes.length !== entry.bytes) throw new IndexCorruptError(`${name} has ${bytes.length} bytes, expected ${entry.bytes}`, this.dir);
    if (!matches(checksum, entry)) throw new IndexCorruptError(`${name} checksum mismatch`, this.dir);
    return bytes;
  }

  /** The CRC-32 the manifest records for a data file, if any (the vector index checks its graph file against it). */
  crc32Of(name: string): number | undefined {
    return this.entry(name).crc32;
  }

  /**
   * {@link read}, taking the bytes that `ahead` read beforehand when their length and checksum are
   * the manifest's (the same content, whenever and however it was read). Where the reading ahead
   * computed another kind of checksum than the one to check (a manifest without a CRC-32), the
   * bytes are checked here.
   */
  async readVia(name: string, ahead: ReadAhead | undefined): Promise<Buffer> {
    const early = await ahead?.take(this.pathOf(name));
    closeQuietly(early?.file?.fd); // its head alone: of no use here
    return (early?.file === undefined && this.wholeAsRecorded(name, early)) || this.read(name);
  }

  /** The bytes read ahead of a data file read whole, when their length and checksum are the manifest's. */
  private wholeAsRecorded(name: string, early: ReadEarly | undefined): Buffer | undefined {
    const entry = this.entry(name);
    if (early === undefined || early.bytes.length !== entry.bytes) return undefined;
    const kind = kindToCheck(entry);
    return matches(early.checksum.kind === kind ? early.checksum : compute(early.bytes, kind), entry) ? early.bytes : undefined;
  }

  /**
   * A data file read ahead with only its head kept (read-ahead.ts `FileToReadAhead.fd`): that
   * head and the file, still open (the caller's to close), when the whole file's length and
   * checksum are the manifest's; else the whole file, as {@link readVia} reads it.
   */
  async readHeadVia(name: string, ahead: ReadAhead | undefined): Promise<{ bytes: Buffer; file?: { fd: number; size: number } }> {
    const entry = this.entry(name);
    const early = await ahead?.take(this.pathOf(name));
    if (early?.file !== undefined) {
      if (early.file.size === entry.bytes && early.checksum.kind === kindToCheck(entry) && matches(early.checksum, entry)) return { bytes: early.bytes, file: early.file };
      closeQuietly(early.file.fd);
      return { bytes: this.read(name) };
    }
    return { bytes: this.wholeAsRecorded(name, early) ?? this.read(name) };
  }

  /**
   * The path of a data file, whose size {@link openGeneration} checked, for a reader that verifies
   * its content by other means (the vector file records the graph file's SHA-256, and is itself
   * verified; the manifest its CRC-32, see {@link crc32Of}).
   */
  pathOf(name: string): string {
    return path.join(this.dir, this.entry(name).file);
  }

  private readFile(name: string, filePath: string, kind: ChecksumKind): { bytes: Buffer; checksum: Computed } {
    try {
      const fd = openRegularFile(filePath);
      try {
        return readChecksummed(fd, kind);
      } finally {
        fs.closeSync(fd);
      }
    } catch (error) {
      if (error instanceof NotAFileError) throw new IndexCorruptError(`${name} is a ${error.kind}, not a file`, this.dir);
      if (errnoCode(error) === 'ENOENT') throw new IndexCorruptError(`${name} is missing`, this.dir);
      throw error;
    }
  }

  private entry(name: string): ManifestFile {
    if (!this.has(name)) throw new IndexCorruptError(`${name} is not in ${MANIFEST_FILE}`, this.dir);
    return this.manifest.files[name];
  }
}

/**
 * Opens the committed generation in `dir`: loads the manifest (see {@link loadManifest}) and
 * checks that every data file exists with its recorded size. Checksums are verified when a file
 * is read. Returns undefined when there is no index yet.
 */
export function openGeneration<Meta>(
  dir: string,
  version: number,
  isMeta?: MetaGuard<Meta>,
  fileNames?: readonly string[],
): Generation<Meta> | undefined {
  const manifest = loadManifest(dir, version, isMeta, fileNames);
  if (manifest === undefined) return undefined;
  for (const [name, entry] of Object.entries(manifest.files)) {
    const bytes = fileSize(path.join(dir, entry.file), dir, name);
    if (bytes !== entry.bytes) throw new IndexCorruptError(`${name} has ${bytes} bytes, expected ${entry.bytes}`, dir);
  }
  return new Generation(dir, manifest);
}

/**
 * Commits a new generation: writes and flushes every data file under a new generation name,
 * then atomically replaces the manifest, then deletes the files of earlier generations. The
 * previous generation stays loadable until the manifest is replaced. A damaged or incompatible previous
 * manifest is simply superseded. When a write fails (a full disk, say), the new generation's
 * files are removed, the previous generation is untouched, and {@link IndexWriteError} says why.
 */
export async function commitGeneration<Meta>(dir: string, commit: Commit<Meta>): Promise<Manifest<Meta>> {
  const committed = commit.files.map((dataFile) => dataFile.name);
  const names = [...new Set([...committed, ...(commit.knownNames ?? [])])];
  const files: Record<string, ManifestFile> = Object.create(null) as Record<string, ManifestFile>;
  for (const name of names) {
    if (!LOGICAL_NAME.test(name) || name === MANIFEST_FILE) throw new RangeError(`invalid index file name: ${JSON.stringify(name)}`);
  }
  for (const name of committed) {
    if (Object.hasOwn(files, name)) throw new RangeError(`index file ${name} is committed twice`);
    files[name] = { file: '', sha256: '', bytes: 0 };
  }
  const written: string[] = [];
  try {
    fs.mkdirSync(dir, { recursive: true });
    const previous = previousManifest(dir, commit.version);
    const generation = Math.max(previous?.generation ?? 0, highestGenerationOnDisk(dir, names)) + 1;
    for (const dataFile of commit.files) {
      const file = generationFileName(dataFile.name, generation);
      clearFileSlot(dir, file);
      written.push(file);
      files[dataFile.name] = await writeDataFile(dir, file, dataFile);
    }
    await syncDirectoryAsync(dir);
    const now = new Date().toISOString();
    const body = {
      version: commit.version,
      generation,
      createdAt: previous?.createdAt ?? now,
      updatedAt: now,
      files: { ...files },
      meta: commit.meta,
      retained: [],
    };
    const manifest: Manifest<Meta> = { ...body, checksum: manifestChecksum(body) };
    commit.beforeSwitch?.(manifest);
    saveManifest(dir, manifest);
    written.length = 0; // committed: these files are the index now
    try {
      removeStaleGenerations(dir, manifest, previous, names);
    } catch {
      // cleanup only: the commit stands (reporting a failure now would misstate what is on disk); the next commit retries
    }
    return manifest;
  } catch (error) {
    for (const file of written) removeBestEffort(path.join(dir, file));
    const failure = writeFailure(error);
    if (failure !== undefined) throw new IndexWriteError(dir, failure.code, `${failure.words} (${failure.code})`);
    throw error;
  }
}

/** `vectors.bin` of generation 7 is stored as `vectors.g7.bin`. */
function generationFileName(name: string, generation: number): string {
  const dot = name.indexOf('.');
  return dot === -1 ? `${name}.g${generation}` : `${name.slice(0, dot)}.g${generation}${name.slice(dot)}`;
}

/**
 * Writes one data file and flushes it to disk. The writes and flushes run on libuv's threads and
 * the hashing in short steps, so that the thread committing still answers requests meanwhile
 * (the engine searches while it checkpoints an index).
 */
async function writeDataFile(dir: string, file: string, dataFile: DataFile): Promise<ManifestFile> {
  const filePath = path.join(dir, file);
  if ('data' in dataFile || 'parts' in dataFile) {
    const parts = 'data' in dataFile ? [dataFile.data] : await dataFile.parts();
    await flushToDisk(filePath, parts);
    return { file, ...(await checksumsSliced(parts)), bytes: parts.reduce((sum, part) => sum + part.length, 0) };
  }
  const digest = await dataFile.write(filePath);
  await flushToDisk(filePath);
  if (digest) return { file, ...digest };
  return { file, ...(await checksumsOfFile(filePath)), bytes: fileSize(filePath, dir, dataFile.name) };
}

/** Writes the parts to the file, in order (or, without them, leaves the file as written) and flushes it to disk, on libuv's threads. */
async function flushToDisk(filePath: string, parts?: readonly Uint8Array[]): Promise<void> {
  const handle = await fs.promises.open(filePath, parts === undefined ? 'r+' : 'w');
  try {
    let position = 0;
    for (const part of parts ?? []) {
      for (let at = 0; at < part.length; ) {
        const { bytesWritten } = await handle.write(part, at, part.length - at, position);
        at += bytesWritten;
        position += bytesWritten;
      }
    }
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** A writer's checksums of bytes given as parts, a block at a time, giving the event loop a turn between slices. */
async function checksumsSliced(parts: readonly Uint8Array[]): Promise<Checksums> {
  const hash = new Checksummer('write');
  const slices = new TimeSlices(HASH_SLICE_MS);
  for (const data of parts) {
    for (let at = 0; at < data.length; at += HASH_BLOCK_BYTES) {
      hash.update(data.subarray(at, at + HASH_BLOCK_BYTES));
      await slices.pause();
    }
  }
  return hash.written();
}

/** A writer's checksums of a file, reading a block at a time on libuv's threads. */
async function checksumsOfFile(filePath: string): Promise<Checksums> {
  const hash = new Checksummer('write');
  const block = Buffer.allocUnsafe(HASH_BLOCK_BYTES);
  const handle = await fs.promises.open(filePath, 'r');
  try {
    for (;;) {
      const { bytesRead } = await handle.read(block, 0, block.length);
      if (bytesRead === 0) break;
      hash.update(block.subarray(0, bytesRead));
    }
  } finally {
    await handle.close();
  }
  return hash.written();
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

/**
 * The highest generation number among the generation files of the logical `names` in `dir`
 * (of any name when `names` is not given); 0 for none, or no `dir`.
 */
function highestGenerationOnDisk(dir: string, names?: readonly string[]): number {
  let highest = 0;
  for (const file of listDir(dir)) {
    const generation = names === undefined ? anyGeneration(file) : generationOf(file, names);
    if (generation !== undefined) highest = Math.max(highest, generation);
  }
  return highest;
}

function anyGeneration(file: string): number | undefined {
  const match = GENERATION_FILE.exec(file);
  return match === null ? undefined : Number(match[1]);
}

/** The generation of `file` if it is a generation file of one of the logical `names`, e.g. 7 for `vectors.g7.bin`. */
function generationOf(file: string, names: readonly string[]): number | undefined {
  const generation = anyGeneration(file);
  if (generation === undefined) return undefined;
  return names.some((name) => generationFileName(name, generation) === file) ? generation : undefined;
}

/** The names in a folder, for cleanup that is best effort: none when it cannot be read. */
export function namesForCleanup(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}

function listDir(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return [];
    throw error;
  }
}

/**
 * Deletes the index's own files that the new generation does not use: the previous generation's
 * files and those it retained, generation files of the logical names just committed (earlier
 * generations, and those left by a commit that crashed), and the temporary files ({@link tempPathFor})
 * of the manifest or of such generation files that processes no longer running left. No other file is touched. A file that cannot be deleted now (open elsewhere, on
 * Windows) is left for the next commit, which finds it by its generation name.
 */
function removeStaleGenerations(dir: string, manifest: Manifest<unknown>, previous: Manifest<unknown> | undefined, names: readonly string[]): void {
  const live = new Set(Object.values(manifest.files).map((entry) => entry.file)); // a commit retains nothing
  // the previous generation's files, each only under the generation name of its own logical name
  const previousFiles = Object.entries(previous?.files ?? {}).filter(([name, entry]) => generationOf(entry.file, [name]) !== undefined);
  const before = new Set([...(previous?.retained ?? []), ...previousFiles.map(([, entry]) => entry.file)]);
  for (const file of listDir(dir)) {
    if (live.has(file)) continue;
    const tempOf = TEMP_FILE.exec(file)?.[1];
    const stale =
      before.has(file) ||
      generationOf(file, names) !== undefined ||
      (tempOf !== undefined && (tempOf === MANIFEST_FILE || generationOf(tempOf, names) !== undefined) && tempOfDeadProcess(file));
    if (stale) removeBestEffort(path.join(dir, file));
  }
}

/** Whether a temporary file named by {@link writeFileAtomic} (`.name.<pid>.<hex>.tmp`) belongs to no running process. */
export function tempOfDeadProcess(file: string): boolean {
  const pid = Number(TEMP_FILE.exec(file)?.[2]);
  return !Number.isSafeInteger(pid) || pid <= 0 || processGone(pid);
}

/** Whether no process `pid` runs here (one that runs as another user, or this one, counts as running). */
export function processGone(pid: number): boolean {
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return errnoCode(error) === 'ESRCH';
  }
}

/** Deletion is cleanup: a file held open elsewhere (Windows) is left for the next commit. */
export function removeBestEffort(filePath: string): void {
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
  if (typeof value.checksum !== 'string') return 'has no checksum';
  if (!Array.isArray(value.retained) || !value.retained.every((file) => typeof file === 'string' && GENERATION_FILE.test(file))) {
    return 'has an invalid list of retained files';
  }
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
    (value.crc32 === undefined || isCrc32(value.crc32)) &&
    Number.isSafeInteger(value.bytes) &&
    (value.bytes as number) >= 0
  );
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The size of an index file; a missing file, or something other than a file, means the index is damaged. */
function fileSize(filePath: string, dir: string, name: string): number {
  let stats: fs.Stats;
  try {
    stats = fs.statSync(filePath);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') throw new IndexCorruptError(`${name} is missing`, dir);
    throw error;
  }
  if (!stats.isFile()) throw new IndexCorruptError(`${name} is a ${specialKind(stats)}, not a file`, dir);
  return stats.size;
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

/** {@link syncDirectory} on libuv's threads. */
async function syncDirectoryAsync(dir: string): Promise<void> {
  let handle: fs.promises.FileHandle | undefined;
  try {
    handle = await fs.promises.open(dir, 'r');
    await handle.sync();
  } catch {
    // not supported here; nothing to do
  } finally {
    await handle?.close();
  }
}
