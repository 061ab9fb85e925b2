/**
 * The large benchmark corpus (`npm run bench -- --corpus large`): about 100k definitions in ten
 * languages, taken from Debian 12 packages so that every machine with the same packages indexes
 * the same bytes.
 *
 * Each language names the Debian packages it reads. Their files come from dpkg's own file lists
 * (`/var/lib/dpkg/info/<package>.list`), never from a folder walk, so another package installed
 * into the same folder (a test suite, a `dist-packages` module) changes nothing; two packages ship
 * an archive instead (the Linux kernel's `.tar.xz`, OpenJDK's `src.zip`), read member by member.
 * The candidates are filtered (extension, folders the engine skips anyway, the evaluation
 * repositories of issue 8), put in a fixed pseudo-random order (SHA-1 of the path, so that a cap
 * takes files from the whole tree rather than its alphabetically first folders), taken up to the
 * language's byte cap, and copied to `<dest>/<language>/<path>`.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { DEFAULT_EXCLUDED_DIRS } from '../src/engine/files/ignore-rules';
import { DEFAULT_MAX_FILE_BYTES } from '../src/engine/types';

/** Where a language's files come from. */
export type SourceKind =
  /** the packages' installed files under `root` */
  | { kind: 'files'; root: string }
  /** members of a tar archive one of the packages installs, under `root` inside it; `members` are tar wildcards */
  | { kind: 'tar'; archive: string; root: string; members: string[] }
  /** members of a zip archive one of the packages installs */
  | { kind: 'zip'; archive: string; root: string };

export interface LanguageSource {
  /** the engine's language id; also the corpus sub-folder */
  language: string;
  /** Debian packages read (all must be installed) */
  packages: string[];
  from: SourceKind;
  /** file extensions taken, without the dot */
  extensions: string[];
  /** at most this many bytes of this language */
  maxBytes: number;
}

const MB = 1_000_000;

/**
 * The corpus. None of these packages holds the source of an evaluation repository of issue 8
 * (checked again file by file with {@link excludedForEvaluation}). The caps were chosen, from
 * one uncapped count, so that each language gives roughly 10k definitions (Ruby's standard library
 * and TypeScript's declaration files are taken whole: about 11.6k and 6k).
 */
export const LARGE_CORPUS: LanguageSource[] = [
  {
    language: 'python',
    packages: ['libpython3.11-minimal', 'libpython3.11-stdlib'],
    from: { kind: 'files', root: '/usr/lib/python3.11' },
    extensions: ['py'],
    maxBytes: 6.5 * MB,
  },
  {
    language: 'go',
    packages: ['golang-1.19-src'],
    from: { kind: 'files', root: '/usr/share/go-1.19/src' },
    extensions: ['go'],
    maxBytes: 8.5 * MB,
  },
  {
    language: 'rust',
    packages: ['rust-src'],
    from: { kind: 'files', root: '/usr/src/rustc-1.63.0' },
    extensions: ['rs'],
    maxBytes: 4 * MB,
  },
  {
    language: 'java',
    packages: ['openjdk-17-source'],
    from: { kind: 'zip', archive: '/usr/lib/jvm/openjdk-17/lib/src.zip', root: '' },
    extensions: ['java'],
    maxBytes: 8 * MB,
  },
  {
    language: 'c',
    packages: ['linux-source-6.1'],
    from: {
      kind: 'tar',
      archive: '/usr/src/linux-source-6.1.tar.xz',
      root: 'linux-source-6.1',
      members: ['kernel', 'mm', 'lib', 'fs', 'net', 'block', 'crypto', 'security', 'ipc', 'init'].map((d) => `linux-source-6.1/${d}/*.c`),
    },
    extensions: ['c'],
    maxBytes: 8 * MB,
  },
  {
    language: 'cpp',
    packages: ['libboost1.74-dev'],
    from: { kind: 'files', root: '/usr/include/boost' },
    extensions: ['hpp'],
    maxBytes: 6 * MB,
  },
  {
    language: 'ruby',
    packages: ['libruby3.1'],
    from: { kind: 'files', root: '/usr/lib/ruby/3.1.0' },
    extensions: ['rb'],
    maxBytes: 7 * MB,
  },
  {
    language: 'php',
    packages: [
      'php-symfony-console', 'php-symfony-dependency-injection', 'php-symfony-form', 'php-symfony-http-foundation',
      'php-symfony-http-kernel', 'php-symfony-routing', 'php-symfony-serializer', 'php-symfony-validator',
      'php-symfony-cache', 'php-symfony-security-core', 'php-symfony-translation', 'php-symfony-config',
      'php-symfony-framework-bundle', 'php-symfony-mime', 'php-symfony-messenger', 'php-symfony-string',
      'php-doctrine-dbal', 'php-parser', 'php-twig',
    ],
    from: { kind: 'files', root: '/usr/share/php' },
    extensions: ['php'],
    maxBytes: 5.5 * MB,
  },
  {
    language: 'javascript',
    packages: ['node-babel7', 'node-jsdom', 'node-less', 'node-yaml', 'node-acorn'],
    from: { kind: 'files', root: '/usr/share/nodejs' },
    extensions: ['js'],
    maxBytes: 5 * MB,
  },
  {
    language: 'typescript',
    packages: ['node-typescript'],
    from: { kind: 'files', root: '/usr/share/nodejs/typescript' },
    extensions: ['ts'],
    maxBytes: 7 * MB,
  },
];

/**
 * Paths of the repositories that evaluation sets are built from (issue 8), as
 * training/codescout_train/exclusions.py matches them: Python distributions, Go modules, crates,
 * PHP namespaces, Ruby libraries and npm packages, and their vendored copies.
 */
const PY = String.raw`/(?:dist-packages|site-packages|_vendor|vendored|vendor|_vendored|extern)/`;
const RUBY = String.raw`/(?:vendor_ruby|site_ruby|\d+\.\d+\.\d+)/`;
const NODE = String.raw`/(?:nodejs|node_modules|javascript)/`;
const EVALUATION_PATHS: RegExp[] = [
  new RegExp(`${PY}(?:fastapi|flask|httpx|pydantic|requests|aiohttp|click|starlette|model2vec)(?:/|\\.py$)`),
  new RegExp(`${NODE}(?:express|zod|axios|redux|date-fns|vitest|@vitest/[\\w-]+|@trpc/[\\w-]+)/`),
  /\/gocode\/src\/github\.com\/(?:gin-gonic\/gin|spf13\/cobra|go-chi\/chi)\//,
  /\/cargo\/registry\/(?:serde|serde_derive|serde_derive_internals|serde-derive|serde-derive-internals|tokio|tokio-macros|tokio-util|tokio-stream|tokio-test|axum|axum-core|axum-macros|axum-extra|ripgrep|grep|grep-[a-z0-9]+|ignore|globset)-\d[^/]*\//,
  /\/com\/google\/gson\//,
  /\/org\/apache\/commons\/lang3?\//,
  /\/com\/fasterxml\/jackson\/databind\//,
  /\/share\/php\/(?:Monolog|Illuminate)\//,
  /\/share\/php\/GuzzleHttp\/(?!Psr7\/|Promise\/)/,
  new RegExp(`${RUBY}(?:rack(?:\\.rb$|/(?!protection(?:/|\\.rb$)|test(?:/|\\.rb$)|mock_session\\.rb$))|sinatra(?:\\.rb$|/)|rack/protection(?:\\.rb$|/))`),
  new RegExp(
    `${RUBY}(?:action_cable|action_mailbox|action_mailer|action_controller|action_dispatch|abstract_controller|action_pack|action_text|action_view|active_job|active_model|active_record|active_storage|active_support|arel|rails(?!/html/|/dom/))(?:\\.rb$|/)`,
  ),
  /\/gems\/(?:rack|sinatra|sinatra-contrib|rack-protection|actioncable|actionmailbox|actionmailer|actionpack|actiontext|actionview|activejob|activemodel|activerecord|activestorage|activesupport|railties|rails)-\d[^/]*\//,
  /\/Newtonsoft\.Json\//,
  /\/Dapper(?:\.\w+)?\//,
  /\/MessagePack(?:\.\w+)?\//,
  /\/include\/(?:fmt|nlohmann|absl|curl)\//,
  /\/fmt\/bundled\//,
  /\/nlohmann\/json(?:_fwd)?\.hpp$/,
  /\/include\/uv(?:\/|\.h$)/,
  /\/(?:libuv[^/]*|curl-\d[^/]*)\/(?:src|lib)\//,
  /\/abseil[^/]*\/absl\//,
  /\/redis-\d[^/]*\/src\//,
];

/** Whether `origin` (an installed path, or `archive!/member`) belongs to an evaluation repository of issue 8. */
export function excludedForEvaluation(origin: string): boolean {
  return EVALUATION_PATHS.some((rx) => rx.test(origin));
}

/** Folder names whose files a benchmark should not read: the engine's default exclusions, test data. */
const SKIPPED_FOLDERS = new Set([...DEFAULT_EXCLUDED_DIRS.map((d) => d.replace(/\/$/, '')), 'testdata', 'fixtures', 'Fixtures']);

export interface Candidate {
  /** POSIX path inside the language's folder of the corpus */
  path: string;
  /** where it comes from: an installed path, or `archive!/member` */
  origin: string;
  bytes: number;
}

/**
 * The files of one language that the corpus takes: those with one of `extensions`, of 1 byte to
 * `maxFileBytes`, outside skipped folders and evaluation repositories, in the order of the
 * SHA-1 of their path, while their total stays within `maxBytes`; returned sorted by path. The
 * result depends only on the candidates, not on their order.
 */
export function selectFiles(
  candidates: readonly Candidate[],
  rule: { extensions: readonly string[]; maxBytes: number; maxFileBytes?: number },
): Candidate[] {
  const maxFileBytes = rule.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  const extensions = new Set(rule.extensions.map((e) => e.toLowerCase()));
  const byPath = new Map<string, Candidate>();
  for (const c of candidates) {
    const ext = posix.extname(c.path).slice(1).toLowerCase();
    if (!extensions.has(ext) || c.bytes < 1 || c.bytes > maxFileBytes) continue;
    if (c.path.split('/').slice(0, -1).some((segment) => SKIPPED_FOLDERS.has(segment))) continue;
    if (excludedForEvaluation(c.origin)) continue;
    const seen = byPath.get(c.path);
    if (!seen || seen.origin > c.origin) byPath.set(c.path, c);
  }
  const key = (p: string) => createHash('sha1').update(p).digest('hex');
  const ordered = [...byPath.values()].map((c) => ({ c, k: key(c.path) })).sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : 0));
  const taken: Candidate[] = [];
  let total = 0;
  for (const { c } of ordered) {
    if (total + c.bytes > rule.maxBytes) break;
    taken.push(c);
    total += c.bytes;
  }
  return taken.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** A Debian package's installed paths, from dpkg's file list; undefined when it is not installed. */
export function dpkgFiles(pkg: string, infoDir = '/var/lib/dpkg/info'): string[] | undefined {
  let names: string[];
  try {
    names = readdirSync(infoDir);
  } catch {
    return undefined;
  }
  const list = names.filter((n) => n === `${pkg}.list` || (n.startsWith(`${pkg}:`) && n.endsWith('.list'))).sort()[0];
  if (!list) return undefined;
  return readFileSync(join(infoDir, list), 'utf8').split('\n').filter((l) => l.length > 0);
}

/** The entries of a zip archive (stored or deflated; ZIP64 and encrypted entries are refused), read from its central directory. */
export function zipEntries(zip: Buffer): { name: string; bytes: number; read: () => Buffer }[] {
  let eocd = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 22 - 0xffff); i--) {
    if (zip.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error('not a zip archive (no end of central directory)');
  const count = zip.readUInt16LE(eocd + 10);
  let at = zip.readUInt32LE(eocd + 16);
  // ZIP64 puts its real count and offset elsewhere and leaves these fields saturated
  if (count === 0xffff || at === 0xffffffff) throw new Error('zip64 archives are not supported');
  const entries: { name: string; bytes: number; read: () => Buffer }[] = [];
  for (let n = 0; n < count; n++) {
    if (zip.readUInt32LE(at) !== 0x02014b50) throw new Error(`zip central directory damaged at byte ${at}`);
    const flags = zip.readUInt16LE(at + 8);
    const method = zip.readUInt16LE(at + 10);
    const compressed = zip.readUInt32LE(at + 20);
    const bytes = zip.readUInt32LE(at + 24);
    const nameLength = zip.readUInt16LE(at + 28);
    const extraLength = zip.readUInt16LE(at + 30);
    const commentLength = zip.readUInt16LE(at + 32);
    const local = zip.readUInt32LE(at + 42);
    const name = zip.toString('utf8', at + 46, at + 46 + nameLength);
    at += 46 + nameLength + extraLength + commentLength;
    if (compressed === 0xffffffff || bytes === 0xffffffff || local === 0xffffffff) throw new Error(`zip entry ${name}: zip64 sizes are not supported`);
    if (flags & 1) throw new Error(`zip entry ${name}: encrypted entries are not supported`);
    const read = () => {
      if (zip.readUInt32LE(local) !== 0x04034b50) throw new Error(`zip entry ${name}: bad local header`);
      const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
      const data = zip.subarray(start, start + compressed);
      if (method === 0) return Buffer.from(data);
      if (method === 8) return inflateRawSync(data);
      throw new Error(`zip entry ${name}: compression method ${method} is not supported`);
    };
    if (!name.endsWith('/')) entries.push({ name, bytes, read });
  }
  return entries;
}

/** A needed package is not installed: the message names the command that installs it. */
export class CorpusUnavailableError extends Error {}

export interface LanguageCorpus {
  language: string;
  packages: string[];
  files: number;
  bytes: number;
  /** candidates before the cap (after the filters) */
  available: number;
}

/** The regular files under `dir`, as POSIX paths relative to it (links are not followed). */
export function listFiles(dir: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...listFiles(join(dir, entry.name), rel));
    else if (entry.isFile()) out.push(rel);
  }
  return out;
}

function hasCommand(cmd: string): boolean {
  return !spawnSync(cmd, ['--version'], { stdio: 'ignore' }).error;
}

/** Throws {@link CorpusUnavailableError} naming every package (or tool) that is missing. */
export function checkLargeCorpus(sources: readonly LanguageSource[] = LARGE_CORPUS): void {
  const missing = new Set<string>();
  for (const s of sources) {
    for (const p of s.packages) if (!dpkgFiles(p)) missing.add(p);
    if (s.from.kind !== 'files' && !existsSync(s.from.archive)) s.packages.forEach((p) => missing.add(p));
    if (s.from.kind === 'tar' && !hasCommand('xz')) missing.add('xz-utils');
  }
  if (missing.size > 0) {
    throw new CorpusUnavailableError(`the large corpus needs Debian packages that are not installed: run apt-get install ${[...missing].sort().join(' ')}`);
  }
}

function copyOut(dest: string, chosen: Candidate[], content: (c: Candidate) => Buffer): number {
  let bytes = 0;
  for (const c of chosen) {
    const target = join(dest, ...c.path.split('/'));
    mkdirSync(dirname(target), { recursive: true });
    const data = content(c);
    writeFileSync(target, data);
    bytes += data.length;
  }
  return bytes;
}

/** Builds the corpus under `dest` (one folder per language); `scratch` holds extracted archives for a while. */
export function buildLargeCorpus(dest: string, scratch: string, sources: readonly LanguageSource[] = LARGE_CORPUS): LanguageCorpus[] {
  checkLargeCorpus(sources);
  const out: LanguageCorpus[] = [];
  for (const s of sources) {
    const langDir = join(dest, s.language);
    let candidates: Candidate[] = [];
    let content: (c: Candidate) => Buffer;
    let cleanup = () => {};
    const from = s.from;
    if (from.kind === 'files') {
      const root = from.root.endsWith('/') ? from.root : `${from.root}/`;
      for (const p of s.packages) {
        for (const origin of dpkgFiles(p) ?? []) {
          if (!origin.startsWith(root) || !s.extensions.includes(posix.extname(origin).slice(1).toLowerCase())) continue;
          let st;
          try {
            st = lstatSync(origin);
          } catch {
            continue; // listed by dpkg but removed by hand: not part of the corpus
          }
          // a symbolic link is a second name of a file already listed, or points outside the package
          if (st.isFile()) candidates.push({ path: origin.slice(root.length), origin, bytes: st.size });
        }
      }
      content = (c) => readFileSync(c.origin);
    } else if (from.kind === 'zip') {
      const entries = new Map(zipEntries(readFileSync(from.archive)).map((e) => [e.name, e]));
      const root = from.root ? `${from.root}/` : '';
      for (const e of entries.values()) {
        if (e.name.startsWith(root)) candidates.push({ path: e.name.slice(root.length), origin: `${from.archive}!/${e.name}`, bytes: e.bytes });
      }
      content = (c) => entries.get(root + c.path)!.read();
    } else {
      const staging = mkdtempSync(join(scratch, `${s.language}-`));
      cleanup = () => rmSync(staging, { recursive: true, force: true });
      const tar = spawnSync('tar', ['-xJf', from.archive, '-C', staging, '--wildcards', ...from.members], { stdio: ['ignore', 'ignore', 'pipe'] });
      if (tar.status !== 0) throw new Error(`tar could not extract ${from.archive}: ${tar.stderr?.toString().trim() || tar.error?.message}`);
      const base = join(staging, from.root);
      for (const rel of listFiles(base)) {
        candidates.push({ path: rel, origin: `${from.archive}!/${from.root}/${rel}`, bytes: statSync(join(base, rel)).size });
      }
      content = (c) => readFileSync(join(base, ...c.path.split('/')));
    }
    const filtered = selectFiles(candidates, { extensions: s.extensions, maxBytes: Infinity });
    const chosen = selectFiles(filtered, { extensions: s.extensions, maxBytes: s.maxBytes });
    const bytes = copyOut(langDir, chosen, content);
    cleanup();
    candidates = [];
    out.push({ language: s.language, packages: s.packages, files: chosen.length, bytes, available: filtered.length });
  }
  return out;
}
