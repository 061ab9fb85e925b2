import { createHash } from 'node:crypto';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { homedir, platform } from 'node:os';
import { basename, dirname, isAbsolute, join, posix, relative, resolve, sep } from 'node:path';

/**
 * `path` relative to `root` as a POSIX path, when it lies strictly inside `root`; undefined for
 * `root` itself and for anything outside it (`..`, `../x`, another drive). A name that merely
 * starts with two dots (`..notes`) is inside.
 */
export function pathInside(root: string, path: string): string | undefined {
  const rel = relative(root, path);
  if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) return undefined;
  return rel.split(sep).join('/');
}

/** `path` with the links of its longest existing head resolved (the file itself may not exist), for comparing paths that may reach one place through links. */
export function realPathOfHead(path: string): string {
  const tail: string[] = [];
  for (let head = path; ; ) {
    try {
      return [realpathSync(head), ...tail.reverse()].join(sep);
    } catch {
      const up = dirname(head);
      if (up === head) return path;
      tail.push(basename(head));
      head = up;
    }
  }
}

/**
 * A file of the folder `root` as a user names it (`related`'s `<path>:<line>`, an agent's location),
 * as the index names files: a root-relative POSIX path, normalised (`./src//a.py` is `src/a.py`),
 * a '\\' a separator on Windows only. An absolute path counts when it lies inside `root`, as written
 * or once links are resolved (macOS's /tmp is /private/tmp). Otherwise why it names no file of the
 * folder: it is outside it, it is the folder itself, or (Windows) it is relative to a drive's
 * current folder (`C:src\\a.py`).
 */
export function fileOfFolder(root: string, given: string): { path: string } | { problem: 'outside' | 'folder' | 'drive' } {
  let path = typedRelPath(given);
  if (sep === '\\' && /^[A-Za-z]:/.test(path) && !isAbsolute(path)) return { problem: 'drive' };
  if (isAbsolute(path)) {
    const inside = pathInside(root, path) ?? pathInside(realPathOfHead(root), realPathOfHead(path));
    if (inside === undefined) return { problem: resolve(root) === resolve(path) || realPathOfHead(resolve(root)) === realPathOfHead(resolve(path)) ? 'folder' : 'outside' };
    path = inside;
  }
  path = posix.normalize(path);
  if (path === '..' || path.startsWith('../')) return { problem: 'outside' };
  if (path === '.' || path === './') return { problem: 'folder' };
  return { path };
}

/**
 * A path the user typed, relative to a folder, as the index names files: with `/` between names.
 * A `\` separates names only where it does on this system (Windows); elsewhere it is a character of
 * a name (`a\b.py` is a file of its own on Linux, and the index lists it so).
 */
export function typedRelPath(path: string, separator: string = sep): string {
  return separator === '\\' ? path.replace(/\\/g, '/') : path;
}

/** The user's cache folder, per platform conventions (XDG on Linux). */
export function userCacheDir(): string {
  const env = process.env;
  // our own setting: a relative one is taken from the current folder, and said as an absolute path
  if (env.CODESCOUT_CACHE_DIR) return resolve(env.CODESCOUT_CACHE_DIR);
  switch (platform()) {
    case 'win32':
      return join(env.LOCALAPPDATA ?? join(homedir(), 'AppData', 'Local'), 'codescout', 'Cache');
    case 'darwin':
      return join(homedir(), 'Library', 'Caches', 'codescout');
    default:
      // the XDG spec: a relative value is invalid and ignored (it would make the index's place depend on the current folder)
      return join(env.XDG_CACHE_HOME && isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : join(homedir(), '.cache'), 'codescout');
  }
}

/** Default index folder of a workspace: keyed by its absolute path, readable by its name. */
export function defaultIndexDir(rootAbs: string): string {
  const key = createHash('sha256').update(rootAbs).digest('hex').slice(0, 16);
  const name = basename(rootAbs).replace(/[^\w.-]+/g, '_') || 'root';
  return join(userCacheDir(), 'indexes', `${name}-${key}`);
}

let cachedRoot: string | undefined;

/**
 * The installed package's root folder (the one with package.json named "code-scout"),
 * found by walking up from this module. Works for the esbuild bundle (dist/) and for
 * the tsc output (out/src/engine/).
 */
export function packageRoot(): string {
  if (cachedRoot) return cachedRoot;
  for (let dir = __dirname; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        if (JSON.parse(readFileSync(manifest, 'utf8')).name === 'code-scout') return (cachedRoot = dir);
      } catch {
        // not ours; keep walking
      }
    }
    if (dirname(dir) === dir) throw new Error(`cannot find the code-scout package root above ${__dirname}`);
  }
}

/**
 * Where a file the build writes into dist/ may be, in the order to try: beside this module (the
 * bundles dist/cli.js and dist/server.js are built with it), then the package's dist/ (the tsc
 * output under out/); the second is left out when no package root is found above this module.
 */
export function distFileCandidates(name: string): string[] {
  const candidates = [join(__dirname, name)];
  try {
    candidates.push(join(packageRoot(), 'dist', name));
  } catch {
    // no package root above this module: only the bundle's neighbour is left
  }
  return candidates;
}

/** The installed package's version (its package.json), which servers tell their clients. */
export function packageVersion(): string {
  const version: unknown = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')).version;
  return typeof version === 'string' ? version : '0.0.0';
}

/** The embedded default model's folder, or undefined when this install ships none. */
export function defaultModelDir(): string | undefined {
  const modelsDir = join(packageRoot(), 'models');
  const pointer = join(modelsDir, 'default.json');
  if (!existsSync(pointer)) return undefined;
  const { folder } = JSON.parse(readFileSync(pointer, 'utf8')) as { folder: string };
  const dir = join(modelsDir, folder);
  return existsSync(join(dir, 'codescout-model.json')) ? dir : undefined;
}
