/**
 * What a chunk's path and shape say before any query word is read: whether it is likely noise for
 * a search (tests, examples, vendored or generated copies, declaration stubs such as `.d.ts` and
 * `.pyi`, prose docs, a file's import header, a superseded copy of the code in a version folder),
 * and which words its folders and file name contribute. The ranking stage (ranker.ts) demotes
 * noise, never removes it, and keeps it whole when the query asks for that kind of code.
 */
import type { ChunkRecord } from '../catalog';
import { lexicalQueryTokens } from '../index/lexical-fields';

/**
 * `docs`: prose (Markdown, reStructuredText, plain text). A question in words matches prose written in
 * words better than the code that does the thing, so without a demotion a guide's paragraph outranks
 * the implementation it describes; a query that asks for docs gets them whole.
 */
export type NoiseKind = 'test' | 'example' | 'vendored' | 'generated' | 'stub' | 'docs';

/** Folder names that hold each kind of noise. */
const NOISE_FOLDERS: ReadonlyMap<string, NoiseKind> = new Map<string, NoiseKind>([
  ...['test', 'tests', '__tests__', 'spec', 'specs', 'testdata', 'test_data', 'fixtures', '__mocks__', 'mocks'].map((f) => [f, 'test'] as [string, NoiseKind]),
  ...['example', 'examples', 'demo', 'demos', 'sample', 'samples', 'benchmark', 'benchmarks', 'bench', 'docs_src', 'tutorial'].map((f) => [f, 'example'] as [string, NoiseKind]),
  ...['vendor', 'vendored', 'third_party', 'thirdparty', 'third-party', 'external', 'extern', '_vendor'].map((f) => [f, 'vendored'] as [string, NoiseKind]),
  ...['generated', '__generated__'].map((f) => [f, 'generated'] as [string, NoiseKind]),
]);

/** File-name patterns of each kind (tests of every language the chunker parses, generated code, stubs). */
const NOISE_FILES: [RegExp, NoiseKind][] = [
  [/(^(test|tests|spec|specs)\.\w+$)|(^test_.*\.py$)|(_test\.(py|go|rb|c|cc|cpp|rs)$)|(\.(test|spec)\.[cm]?[jt]sx?$)|(Tests?\.(java|cs|php|kt)$)|(_spec\.rb$)|(^conftest\.py$)/, 'test'],
  [/(\.pb\.go$)|(_pb2(_grpc)?\.py$)|(\.generated\.\w+$)|(\.g\.cs$)|(\.designer\.cs$)|(_generated\.\w+$)|(amalgamation)/i, 'generated'],
  [/(\.d\.[cm]?ts$)|(\.pyi$)/, 'stub'],
  [/(\.(md|markdown|mdx|rst|adoc)$)|(^(readme|changes|changelog|history|news|contributing|install|authors|faq)\b[\w.-]*\.txt$)/i, 'docs'],
];

/** Query words that ask for each kind, as index terms: a query asking for tests is not demoted away from them. */
const ASKS_FOR: ReadonlyMap<NoiseKind, ReadonlySet<string>> = new Map([
  ['test', new Set(lexicalQueryTokens('test tests testing spec specs mock mocks fixture fixtures unittest pytest'))],
  ['example', new Set(lexicalQueryTokens('example examples demo sample samples benchmark tutorial usage'))],
  ['vendored', new Set(lexicalQueryTokens('vendor vendored third party bundled'))],
  ['generated', new Set(lexicalQueryTokens('generated codegen protobuf'))],
  ['stub', new Set(lexicalQueryTokens('declaration declarations stub stubs typings'))],
  ['docs', new Set(lexicalQueryTokens('doc docs documentation documented readme changelog markdown'))],
]);

/** What a path says, worked out once per path: its noise kind and its terms (see {@link pathInfo}). */
export interface PathInfo {
  noise: NoiseKind | undefined;
  terms: ReadonlySet<string>;
}

const PATH_MEMO_LIMIT = 50_000;
const pathMemo = new Map<string, PathInfo>();

/** {@link noiseKind} and {@link pathTerms} of a path, remembered: the same files come back query after query. */
export function pathInfo(path: string): PathInfo {
  let info = pathMemo.get(path);
  if (!info) {
    info = { noise: noiseKind(path), terms: pathTerms(path) };
    if (pathMemo.size >= PATH_MEMO_LIMIT) pathMemo.clear();
    pathMemo.set(path, info);
  }
  return info;
}

/** The kind of noise a path is, if any. */
export function noiseKind(path: string): NoiseKind | undefined {
  const parts = path.split('/');
  const file = parts.at(-1)!;
  for (const [re, kind] of NOISE_FILES) if (re.test(file)) return kind;
  for (const folder of parts.slice(0, -1)) {
    const kind = NOISE_FOLDERS.get(folder.toLowerCase());
    if (kind) return kind;
  }
  return undefined;
}

/** The noise kinds a query asks for by name (its lexical tokens). */
export function askedNoise(tokens: readonly string[]): Set<NoiseKind> {
  const out = new Set<NoiseKind>();
  for (const [kind, words] of ASKS_FOR) if (tokens.some((t) => words.has(t))) out.add(kind);
  return out;
}

/** First lines of a window that only sets a file up: imports, includes, package and namespace lines, licence headers. */
const HEADER_LINE =
  /^(import\b|from\s+\S+\s+import\b|#\s*(include|import|pragma|ifndef|define)\b|using\s|require(_once)?\b|use\s|package\s|namespace\s|<\?php|extern\s+crate\b|mod\s|module\s|@file|['"]use strict['"]|#!)/;
const COMMENT_START = /^(\/\*|\/\/|#(?!\s*(include|define|if))|"""|''')/;

/** A line window that is a file's import or licence header, in a language with definitions (not prose). */
export function isHeaderWindow(c: Pick<ChunkRecord, 'kind' | 'language' | 'snippet' | 'startLine'>): boolean {
  if (c.kind !== 'window' || c.language === 'markdown' || c.language === 'text') return false;
  return HEADER_LINE.test(c.snippet) || (c.startLine === 1 && COMMENT_START.test(c.snippet));
}

/** The index terms of a path's folders and file name (without extension). */
export function pathTerms(path: string): Set<string> {
  const noExt = path.replace(/\.[^./]+$/, '');
  return new Set(lexicalQueryTokens(noExt.replace(/\//g, ' ')));
}

/** A folder named for a version: `v1`, `v3`, `V2`. */
const VERSION_FOLDER = /^v(\d+)$/i;
/** A path with a version folder in it, the cheap test that lets most workspaces skip the rest. */
const HAS_VERSION_FOLDER = /(^|\/)v\d+\//i;
/**
 * Folders under which versions are live side by side, not superseded: a REST or RPC API's `api/v1` and
 * `api/v2`, Kubernetes' `apis/autoscaling/v1` and `v2`, protobuf packages.
 */
const LIVE_VERSION_ROOTS: ReadonlySet<string> = new Set(['api', 'apis', 'proto', 'protos', 'protobuf', 'grpc', 'rpc', 'openapi', 'swagger', 'schema', 'schemas']);

/** Words that ask for old or compatibility code, as index terms (besides the version folder's own name). */
const ASKS_FOR_OLD: ReadonlySet<string> = new Set(lexicalQueryTokens('legacy deprecated compat compatibility'));

/**
 * The folders that hold a superseded copy of a project's code: a version folder (`v3`) beside a newer
 * one (`v4`), as zod keeps its v3 API next to v4; or a version folder most of whose files (at least
 * three) have namesakes in its parent folder, a snapshot of the code around it (pydantic's `v1/`
 * compatibility package). Version folders under an API, RPC or schema folder (`api/v1`, `apis/…/v2`,
 * `proto/…/v1`) are live side by side and never count. Such copies define the same names as the
 * current code and match the same words, so a search ranks them as noise unless the query asks for old
 * code or names the folder (see {@link askedSuperseded}). Paths are POSIX, relative to the workspace
 * root; the result holds folder paths. One pass over the paths, and none past the first test for a
 * workspace without version folders.
 */
export function supersededFolders(given: Iterable<string>): Set<string> {
  const paths = Array.isArray(given) ? (given as readonly string[]) : [...given];
  const out = new Set<string>();
  const versioned: string[] = [];
  for (const path of paths) if (HAS_VERSION_FOLDER.test(path)) versioned.push(path);
  if (!versioned.length) return out;

  // the version folders, by parent, and the file names directly inside each
  const byParent = new Map<string, Map<string, number>>();
  const own = new Map<string, Set<string>>();
  for (const path of versioned) {
    const parts = path.split('/');
    for (let i = 0; i < parts.length - 1; i++) {
      const m = VERSION_FOLDER.exec(parts[i]);
      if (!m || parts.slice(0, i).some((p) => LIVE_VERSION_ROOTS.has(p.toLowerCase()))) continue;
      const parent = parts.slice(0, i).join('/');
      const folder = parent ? `${parent}/${parts[i]}` : parts[i];
      let siblings = byParent.get(parent);
      if (!siblings) byParent.set(parent, (siblings = new Map()));
      siblings.set(folder, Number(m[1]));
      if (i === parts.length - 2) {
        const names = own.get(folder);
        if (names) names.add(parts[i + 1]);
        else own.set(folder, new Set([parts[i + 1]]));
      }
    }
  }
  // a lone version folder is compared with the files directly in its parent
  const lone = new Map<string, string>();
  for (const [parent, siblings] of byParent) {
    if (siblings.size > 1) {
      const newest = Math.max(...siblings.values());
      for (const [folder, n] of siblings) if (n < newest) out.add(folder);
    } else if ((own.get([...siblings.keys()][0])?.size ?? 0) >= 3) lone.set(parent, [...siblings.keys()][0]);
  }
  if (!lone.size) return out;
  const around = new Map<string, Set<string>>();
  for (const path of paths) {
    const cut = path.lastIndexOf('/');
    const parent = cut < 0 ? '' : path.slice(0, cut);
    if (!lone.has(parent)) continue;
    const names = around.get(parent);
    if (names) names.add(path.slice(cut + 1));
    else around.set(parent, new Set([path.slice(cut + 1)]));
  }
  for (const [parent, folder] of lone) {
    const names = own.get(folder)!;
    const there = around.get(parent);
    let shared = 0;
    for (const name of names) if (there?.has(name)) shared++;
    if (shared * 2 >= names.size) out.add(folder);
  }
  return out;
}

/** The superseded folder a path lies in, if any (the outermost). */
export function supersededFolderOf(path: string, superseded: ReadonlySet<string>): string | undefined {
  if (!superseded.size) return undefined;
  for (let at = path.indexOf('/'); at >= 0; at = path.indexOf('/', at + 1)) {
    const folder = path.slice(0, at);
    if (superseded.has(folder)) return folder;
  }
  return undefined;
}

/** Whether a query (its lexical tokens) asks for the code of a superseded folder: old code in general, or that folder by name. */
export function askedSuperseded(tokens: readonly string[], folder: string): boolean {
  const name = folder.slice(folder.lastIndexOf('/') + 1).toLowerCase();
  return tokens.some((t) => ASKS_FOR_OLD.has(t) || t === name);
}
