/**
 * What a chunk's path and shape say before any query word is read: whether it is likely noise
 * for a search (tests, examples, vendored or generated copies, declaration stubs, prose docs, a file's import
 * header, a superseded copy of the code in a version folder), and which words its folders and file name contribute. The ranking stage (ranker.ts)
 * demotes noise, never removes it, and keeps it whole when the query asks for that kind of code.
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
  [/\.(md|markdown|mdx|rst|adoc|txt)$/i, 'docs'],
];

/** Query words that ask for each kind, as index terms: a query asking for tests is not demoted away from them. */
const ASKS_FOR: ReadonlyMap<NoiseKind, ReadonlySet<string>> = new Map([
  ['test', new Set(lexicalQueryTokens('test tests testing spec specs mock mocks fixture fixtures unittest pytest'))],
  ['example', new Set(lexicalQueryTokens('example examples demo sample samples benchmark tutorial usage'))],
  ['vendored', new Set(lexicalQueryTokens('vendor vendored third party bundled'))],
  ['generated', new Set(lexicalQueryTokens('generated codegen protobuf'))],
  ['stub', new Set(lexicalQueryTokens('declaration declarations stub stubs typings'))],
  ['docs', new Set(lexicalQueryTokens('doc docs documentation documented readme guide guides manual changelog markdown explained'))],
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

/** Words that ask for old or compatibility code, as index terms (besides the version folder's own name). */
const ASKS_FOR_OLD: ReadonlySet<string> = new Set(lexicalQueryTokens('legacy deprecated compat compatibility old older previous migration migrate'));

/**
 * The folders that hold a superseded copy of a project's code: a version folder (`v3`) beside a newer
 * one (`v4`), as zod keeps its v3 API next to v4; or a version folder most of whose files have
 * namesakes in its parent folder, a snapshot of the code around it (pydantic's `v1/` compatibility
 * package). Such copies define the same names as the current code and match the same words, so a
 * search ranks them as noise unless the query asks for old code or names the folder (see
 * {@link askedSuperseded}). Paths are POSIX, relative to the workspace root; the result holds folder paths.
 */
export function supersededFolders(paths: Iterable<string>): Set<string> {
  const filesIn = new Map<string, Set<string>>();
  for (const path of paths) {
    const cut = path.lastIndexOf('/');
    const folder = cut < 0 ? '' : path.slice(0, cut);
    const names = filesIn.get(folder);
    if (names) names.add(path.slice(cut + 1));
    else filesIn.set(folder, new Set([path.slice(cut + 1)]));
  }
  // every folder with files below it, and the version folders among them by parent
  const versions = new Map<string, { folder: string; n: number }[]>();
  const seen = new Set<string>();
  for (const folder of filesIn.keys()) {
    const parts = folder ? folder.split('/') : [];
    for (let i = 1; i <= parts.length; i++) {
      const f = parts.slice(0, i).join('/');
      if (seen.has(f)) continue;
      seen.add(f);
      const m = VERSION_FOLDER.exec(parts[i - 1]);
      if (!m) continue;
      const parent = parts.slice(0, i - 1).join('/');
      const list = versions.get(parent);
      const entry = { folder: f, n: Number(m[1]) };
      if (list) list.push(entry);
      else versions.set(parent, [entry]);
    }
  }
  const out = new Set<string>();
  for (const [parent, list] of versions) {
    if (list.length > 1) {
      const newest = Math.max(...list.map((v) => v.n));
      for (const v of list) if (v.n < newest) out.add(v.folder);
      continue;
    }
    const own = filesIn.get(list[0].folder);
    const around = filesIn.get(parent);
    if (!own || !around || own.size < 3) continue;
    let shared = 0;
    for (const name of own) if (around.has(name)) shared++;
    if (shared * 2 >= own.size) out.add(list[0].folder);
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
