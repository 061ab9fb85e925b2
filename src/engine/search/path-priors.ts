/**
 * What a chunk's path and shape say before any query word is read: whether it is likely noise
 * for a search (tests, examples, vendored or generated copies, declaration stubs, a file's import
 * header), and which words its folders and file name contribute. The ranking stage (ranker.ts)
 * demotes noise, never removes it, and keeps it whole when the query asks for that kind of code.
 */
import type { ChunkRecord } from '../catalog';
import { lexicalQueryTokens } from '../index/lexical-fields';

export type NoiseKind = 'test' | 'example' | 'vendored' | 'generated' | 'stub';

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
];

/** Query words that ask for each kind, as index terms: a query asking for tests is not demoted away from them. */
const ASKS_FOR: ReadonlyMap<NoiseKind, ReadonlySet<string>> = new Map([
  ['test', new Set(lexicalQueryTokens('test tests testing spec specs mock mocks fixture fixtures unittest pytest'))],
  ['example', new Set(lexicalQueryTokens('example examples demo sample samples benchmark tutorial usage'))],
  ['vendored', new Set(lexicalQueryTokens('vendor vendored third party bundled'))],
  ['generated', new Set(lexicalQueryTokens('generated codegen protobuf'))],
  ['stub', new Set(lexicalQueryTokens('declaration declarations stub stubs typings'))],
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
