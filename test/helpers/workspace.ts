/**
 * Workspaces for the engine and CLI tests: temporary folders, copies of the fixture repository
 * (test/fixtures/repo) completed with the files git cannot hold, and the tiny embedding model
 * sized for the fixture.
 */
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { buildTinyModel, type TinyModel } from './tiny-model';

/** The package root: the tests run from out/test/, two levels below it. */
export const PACKAGE_ROOT = path.resolve(__dirname, '..', '..', '..');

/** The fixture repository; tests work on copies of it, never on the original. */
export const FIXTURE_REPO = path.join(PACKAGE_ROOT, 'test', 'fixtures', 'repo');

/**
 * Files that {@link copyFixtureRepo} adds to a copy. The fixture's .gitignore hides the first
 * two from git, so they cannot be committed; the third is over the default size cap (1 MiB),
 * too big to commit.
 */
export const IGNORED_BY_GITIGNORE = ['secrets/signing_keys.py', 'server.log'] as const;
export const TOO_LARGE_FILE = 'data/inventory_snapshot.py';

/** Temporary folders of one test file, removed together by {@link TempDirs.cleanup}. */
export class TempDirs {
  private readonly dirs: string[] = [];

  /** A new empty folder under the system's temporary folder. */
  async make(label: string): Promise<string> {
    const dir = await mkdtemp(path.join(tmpdir(), `codescout-${label}-`));
    this.dirs.push(dir);
    return dir;
  }

  async cleanup(): Promise<void> {
    await Promise.all(this.dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
  }
}

/** Copies the fixture repository to `dest` (which must not exist yet) and adds the files git cannot hold. */
export async function copyFixtureRepo(dest: string): Promise<string> {
  await cp(FIXTURE_REPO, dest, { recursive: true });
  await writeIn(
    dest,
    IGNORED_BY_GITIGNORE[0],
    'def signing_keys():\n    """The private signing keys of the production service."""\n    return ["k1", "k2"]\n',
  );
  await writeIn(dest, IGNORED_BY_GITIGNORE[1], 'GET /health 200\n'.repeat(64));
  await writeIn(dest, TOO_LARGE_FILE, inventorySnapshot(1024 * 1024 + 4096));
  return dest;
}

/**
 * The tiny test model, with a token window wide enough for every fixture function to be one
 * chunk (the engine sizes chunks by the model's window).
 */
export function buildFixtureModel(dir: string): Promise<TinyModel> {
  return buildTinyModel(dir, { maxTokens: 256 });
}

/** The 1-based number of the first line of `root/relPath` that contains `needle`. */
export function lineOf(root: string, relPath: string, needle: string): number {
  const index = fileLines(root, relPath).findIndex((line) => line.includes(needle));
  if (index < 0) throw new Error(`"${needle}" is not in ${relPath}`);
  return index + 1;
}

/** The lines of `root/relPath`. */
export function fileLines(root: string, relPath: string): string[] {
  return readFileSync(path.join(root, relPath), 'utf8').split('\n');
}

/** Writes `text` to `root/relPath`, creating folders as needed. */
export async function writeIn(root: string, relPath: string, text: string): Promise<void> {
  const file = path.join(root, relPath);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, text);
}

/** A Python data module of at least `bytes` bytes: a realistic file that is only too large. */
function inventorySnapshot(bytes: number): string {
  const rows: string[] = ['"""Inventory snapshot, exported nightly."""', '', 'ROWS = ['];
  let size = rows.join('\n').length;
  for (let i = 0; size < bytes; i++) {
    const row = `    ("SKU-${String(i).padStart(7, '0')}", "spare part ${i}", ${i % 97}),`;
    rows.push(row);
    size += row.length + 1;
  }
  rows.push(']', '');
  return rows.join('\n');
}
