/**
 * Every request and notification the engine process receives, checked before use: the shape
 * of src/protocol/protocol.ts, with types, bounds, absolute folder roots and root-relative
 * paths that stay inside their folder. Only a message's own fields are read (never one
 * inherited from Object.prototype), and the checked value holds only the known fields. A bad
 * request is an InvalidRequestError, which the process answers as an InvalidParams error.
 */
import * as path from 'node:path';
import { ownFields, type OwnFields } from '../engine/own-fields';
import { checkQueryLength, MAX_QUERY_CHARS as ENGINE_MAX_QUERY_CHARS, QueryTooLongError } from '../engine/search/query';
import type {
  CodeSpan,
  ConfigureParams,
  DefinitionsParams,
  FilesChangedParams,
  FolderOptions,
  FolderSpec,
  NamedParams,
  QueryParams,
  RelatedParams,
  RootParams,
  SetLogLevelParams,
} from '../protocol/protocol';
import { LOG_LEVEL_NAMES } from './log';

export class InvalidRequestError extends Error {}

/**
 * Longest search query, in characters (code points): the engine's own limit, so that a longer
 * query is one bad request rather than a failure of every folder.
 */
export const MAX_QUERY_CHARS = ENGINE_MAX_QUERY_CHARS;
/**
 * Most code a similarity search compares (a selection): the model reads only its start anyway,
 * so a longer selection is cut here, not refused.
 */
export const MAX_CODE_CHARS = 200_000;
/** Most results one request may ask for. */
export const MAX_TOP = 1000;
/** Longest path (Linux's PATH_MAX), name, or glob. */
const MAX_PATH = 4096;
const MAX_NAME = 1000;
/** Most entries of a list (folders, globs, filters, changed paths). */
const MAX_LIST = 100_000;

type Fields = OwnFields;

/** The object's own fields; anything else is a bad request. */
function fields(value: unknown, what: string): Fields {
  const own = ownFields(value);
  if (!own) throw new InvalidRequestError(`${what} must be an object`);
  return own;
}

function text(value: unknown, what: string, max: number): string {
  if (typeof value !== 'string') throw new InvalidRequestError(`${what} must be text`);
  if (value.length > max) throw new InvalidRequestError(`${what} is longer than ${max} characters`);
  return value;
}

function optional<T>(value: unknown, check: (v: unknown) => T): T | undefined {
  return value === undefined ? undefined : check(value);
}

function integer(value: unknown, what: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new InvalidRequestError(`${what} must be a whole number from ${min} to ${max}`);
  }
  return value;
}

function boolean(value: unknown, what: string): boolean {
  if (typeof value !== 'boolean') throw new InvalidRequestError(`${what} must be true or false`);
  return value;
}

function list<T>(value: unknown, what: string, item: (v: unknown, what: string) => T): T[] {
  if (!Array.isArray(value)) throw new InvalidRequestError(`${what} must be a list`);
  if (value.length > MAX_LIST) throw new InvalidRequestError(`${what} has more than ${MAX_LIST} entries`);
  return value.map((v, i) => item(v, `${what}[${i}]`));
}

/** A folder root: an absolute path. */
function root(value: unknown, what: string): string {
  const p = text(value, what, MAX_PATH);
  if (!path.isAbsolute(p) || p.includes('\0')) throw new InvalidRequestError(`${what} must be an absolute folder path`);
  return p;
}

/** A root-relative POSIX path that stays inside its folder. */
export function relativePath(value: unknown, what: string): string {
  const p = text(value, what, MAX_PATH);
  if (p === '' || p.includes('\0')) throw new InvalidRequestError(`${what} must be a file path`);
  if (p.startsWith('/') || path.isAbsolute(p)) throw new InvalidRequestError(`${what} must be relative to the folder, not absolute`);
  if (p.split(/[\\/]/).includes('..')) throw new InvalidRequestError(`${what} must stay inside the folder (no "..")`);
  return p;
}

const glob = (v: unknown, what: string) => text(v, what, MAX_PATH);
const name = (v: unknown, what: string) => text(v, what, MAX_NAME);

export function configureParams(value: unknown): ConfigureParams {
  const f = fields(value, 'the configure request');
  const folders = list(f('folders'), 'folders', folderSpec);
  const roots = new Set<string>();
  for (const spec of folders) {
    if (roots.has(spec.root)) throw new InvalidRequestError(`folders name ${spec.root} twice`);
    roots.add(spec.root);
  }
  return { folders, indexOnOpen: boolean(f('indexOnOpen'), 'indexOnOpen') };
}

function folderSpec(value: unknown, what: string): FolderSpec {
  const f = fields(value, what);
  return { root: root(f('root'), `${what}.root`), name: name(f('name'), `${what}.name`), options: folderOptions(f('options'), `${what}.options`) };
}

function folderOptions(value: unknown, what: string): FolderOptions {
  const f = fields(value, what);
  const indexLocation = text(f('indexLocation'), `${what}.indexLocation`, MAX_PATH);
  if (indexLocation !== '') root(indexLocation, `${what}.indexLocation`);
  const model = f('model');
  const options: FolderOptions = {
    include: list(f('include'), `${what}.include`, glob),
    exclude: list(f('exclude'), `${what}.exclude`, glob),
    maxFileBytes: integer(f('maxFileBytes'), `${what}.maxFileBytes`, 1, Number.MAX_SAFE_INTEGER),
    threads: integer(f('threads'), `${what}.threads`, 1, 64),
    spelling: boolean(f('spelling'), `${what}.spelling`),
    indexLocation,
  };
  const indexDir = optional(f('indexDir'), (v) => root(v, `${what}.indexDir`));
  if (indexDir !== undefined) options.indexDir = indexDir;
  if (model === null) options.model = null;
  else if (model !== undefined) options.model = root(model, `${what}.model`);
  return options;
}

/** Search (`code` false) or similar (`code` true) parameters. */
export function queryParams(value: unknown, code: boolean): QueryParams {
  const f = fields(value, code ? 'the similar request' : 'the search request');
  const params: QueryParams = {
    text: code ? codeStart(text(f('text'), 'the code to compare', Number.MAX_SAFE_INTEGER)) : searchQuery(f('text')),
    top: integer(f('top'), 'top', 1, MAX_TOP),
  };
  const languages = optional(f('languages'), (v) => list(v, 'languages', name));
  const paths = optional(f('paths'), (v) => list(v, 'paths', glob));
  const folder = optional(f('root'), (v) => root(v, 'root'));
  const previewLines = optional(f('previewLines'), (v) => integer(v, 'previewLines', 0, MAX_PREVIEW_LINES));
  if (languages) params.languages = languages;
  if (paths) params.paths = paths;
  if (folder !== undefined) params.root = folder;
  if (previewLines) params.previewLines = previewLines;
  if (code) {
    const exclude = optional(f('exclude'), codeSpan);
    if (exclude) params.exclude = exclude;
  } else if (f('exclude') !== undefined) {
    throw new InvalidRequestError('exclude is for the similar request, not a search');
  }
  return params;
}

/** The lines of a folder's file that a similar request leaves out (QueryParams.exclude). */
function codeSpan(value: unknown): CodeSpan {
  const f = fields(value, 'exclude');
  const span: CodeSpan = {
    root: root(f('root'), 'exclude.root'),
    path: relativePath(f('path'), 'exclude.path'),
    startLine: integer(f('startLine'), 'exclude.startLine', 1, Number.MAX_SAFE_INTEGER),
    endLine: integer(f('endLine'), 'exclude.endLine', 1, Number.MAX_SAFE_INTEGER),
  };
  if (span.endLine < span.startLine) throw new InvalidRequestError('exclude.endLine must not come before exclude.startLine');
  return span;
}

/** Most preview lines a search may ask for per hit. */
const MAX_PREVIEW_LINES = 10;

/** The first MAX_CODE_CHARS characters of `code`, never half of a surrogate pair. */
function codeStart(code: string): string {
  if (code.length <= MAX_CODE_CHARS) return code;
  const end = /[\ud800-\udbff]/.test(code.charAt(MAX_CODE_CHARS - 1)) ? MAX_CODE_CHARS - 1 : MAX_CODE_CHARS;
  return code.slice(0, end);
}

/** A search query of at most MAX_QUERY_CHARS code points (two UTF-16 units each at most). */
function searchQuery(value: unknown): string {
  const query = text(value, 'the search query', Number.MAX_SAFE_INTEGER);
  const tooLong = new InvalidRequestError(`the search query is longer than ${MAX_QUERY_CHARS} characters`);
  if (query.length > 2 * MAX_QUERY_CHARS) throw tooLong;
  try {
    checkQueryLength(query, MAX_QUERY_CHARS);
  } catch (err) {
    if (err instanceof QueryTooLongError) throw tooLong;
    throw err;
  }
  return query;
}

export function relatedParams(value: unknown): RelatedParams {
  const f = fields(value, 'the related request');
  const params: RelatedParams = {
    root: root(f('root'), 'root'),
    path: relativePath(f('path'), 'path'),
    line: integer(f('line'), 'line', 1, Number.MAX_SAFE_INTEGER),
    top: integer(f('top'), 'top', 1, MAX_TOP),
  };
  const named = optional(f('name'), (v) => name(v, 'name'));
  if (named !== undefined) params.name = named;
  return params;
}

export function definitionsParams(value: unknown): DefinitionsParams {
  const f = fields(value, 'the definitions request');
  return { root: root(f('root'), 'root'), path: relativePath(f('path'), 'path'), top: integer(f('top'), 'top', 1, MAX_TOP) };
}

export function namedParams(value: unknown): NamedParams {
  const f = fields(value, 'the definitionsNamed request');
  const params: NamedParams = { name: name(f('name'), 'name'), top: integer(f('top'), 'top', 0, MAX_TOP) };
  const folder = optional(f('root'), (v) => root(v, 'root'));
  if (folder !== undefined) params.root = folder;
  return params;
}

/** `{ root }` with a required root (status). */
export function folderParams(value: unknown): { root: string } {
  return { root: root(fields(value, 'the request')('root'), 'root') };
}

/** `{ root? }` (reindex, cancel); no parameters at all mean every folder. */
export function rootParams(value: unknown): RootParams {
  if (value === undefined || value === null) return {};
  const folder = optional(fields(value, 'the request')('root'), (v) => root(v, 'root'));
  return folder === undefined ? {} : { root: folder };
}

/** A filesChanged notification: its root and the paths that are inside it (others are dropped and counted). */
export function filesChangedParams(value: unknown): { params: FilesChangedParams; dropped: number } {
  const f = fields(value, 'the filesChanged notification');
  const raw = f('paths');
  if (!Array.isArray(raw)) throw new InvalidRequestError('paths must be a list');
  const paths: string[] = [];
  let dropped = 0;
  for (const p of raw) {
    try {
      paths.push(relativePath(p, 'path'));
    } catch {
      dropped++;
    }
  }
  return { params: { root: root(f('root'), 'root'), paths }, dropped };
}

/** A setLogLevel notification: one of the levels ('off', 'error', …, 'trace'), nothing else. */
export function setLogLevelParams(value: unknown): SetLogLevelParams {
  const level = fields(value, 'the setLogLevel notification')('level');
  // a Set of the names: a level such as "__proto__" or "constructor" is not one of them
  if (typeof level !== 'string' || !LOG_LEVEL_NAMES.has(level)) {
    throw new InvalidRequestError(`level must be one of ${[...LOG_LEVEL_NAMES].join(', ')}`);
  }
  return { level: level as SetLogLevelParams['level'] };
}
