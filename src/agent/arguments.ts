/**
 * The agent tools' arguments: their schemas (zod, from which the JSON Schemas that MCP clients
 * and VS Code see are derived), their limits, and how a folder and a `path:line` location are
 * resolved against the folders served. Every message here is meant to be read by a model that
 * then corrects its call, so it says what was wrong and what is accepted.
 */
import * as nodePath from 'node:path';
import * as z from 'zod';
import { isLanguageName, LANGUAGE_IDS, LINE_LANGUAGE_NAMES } from '../engine/language-names';
import { fileOfFolder, realPathOfHead, typedRelPath } from '../engine/paths';
import { isAbsoluteGlob, MAX_GLOB_CHARS, negatedGlob } from '../engine/search/filters';
import { MAX_QUERY_CHARS } from '../engine/search/query';
import type { FolderStatus } from '../protocol/protocol';

/** Results an answer has unless the call asks for another number. */
export const DEFAULT_RESULTS = 10;
/** Most results one call may ask for: agents pay per token, and the tenth answer is rarely read. */
export const MAX_RESULTS = 50;
/** Most code a similar_code call may send (a function or two; the model reads only its start). */
export const MAX_CODE_CHARS = 20_000;
/** Most language or path filters of one call. */
const MAX_FILTERS = 20;
const MAX_PATH_CHARS = 4096;
const MAX_NAME_CHARS = 1000;

/** An argument that is well-formed but names nothing usable (an unknown folder, a path outside it). */
export class AgentArgumentError extends Error {}

const limit = z
  .number({ error: `limit must be a whole number from 1 to ${MAX_RESULTS}` })
  .int({ error: `limit must be a whole number from 1 to ${MAX_RESULTS}` })
  .min(1, { error: `limit must be at least 1` })
  .max(MAX_RESULTS, { error: `limit must be at most ${MAX_RESULTS}` })
  .optional()
  .describe(`Most results to return, 1 to ${MAX_RESULTS} (default ${DEFAULT_RESULTS}).`);

// each check says what it found wrong: a type's message set on the schema would stand for its length checks too
const language = z
  .array(
    z.string({ error: 'language must be a list of language names, e.g. ["python"]' })
      .min(1, { error: 'a language name is empty' })
      .max(100, { error: 'a language name is longer than 100 characters' }),
    { error: 'language must be a list of language names, e.g. ["python"]' },
  )
  .max(MAX_FILTERS, { error: `language lists more than ${MAX_FILTERS} languages` })
  .optional()
  .describe(
    `Only code in these languages: ids (${LANGUAGE_IDS.join(', ')}), a language indexed by lines such as "kotlin", "shell" or "sql", or file extensions such as "py", "ts", "kt".`,
  );

const path = z
  .array(
    z.string({ error: 'path must be a list of globs, e.g. ["src/**"]' })
      .min(1, { error: 'a path glob is empty' })
      .max(MAX_GLOB_CHARS, { error: `a path glob is longer than ${MAX_GLOB_CHARS} characters` }),
    { error: 'path must be a list of globs, e.g. ["src/**"]' },
  )
  .max(MAX_FILTERS, { error: `path lists more than ${MAX_FILTERS} globs` })
  .optional()
  .describe('Only files matching one of these globs, relative to the folder, e.g. ["src/**", "**/*.test.ts"]; a glob that starts with "!" leaves out the files it matches, e.g. ["src/**", "!src/generated/**"].');

const folder = z
  .string({ error: 'folder must be the path or the name of a served folder' })
  .min(1, { error: 'folder is empty: give the path or the name of a served folder' })
  .max(MAX_PATH_CHARS, { error: `folder is longer than ${MAX_PATH_CHARS} characters` })
  .optional()
  .describe('One served folder, by its absolute path or its name (default: every served folder; see index_status).');

/*
 * The inputs are loose objects: an argument a tool does not take (a misspelt `limt`) reaches
 * runAgentTool, which says that it was ignored, instead of being dropped without a word.
 */
export const searchInput = z.looseObject({
  query: z
    .string({ error: 'query (text) is required: what the code does, or a name, e.g. "retry failed requests with backoff"' })
    .trim()
    .min(1, { error: 'query is empty: say what the code does, or give a name' })
    // abort: the count of characters below would say it again
    .max(2 * MAX_QUERY_CHARS, { error: `query is longer than ${MAX_QUERY_CHARS} characters`, abort: true })
    .refine((q) => [...q].length <= MAX_QUERY_CHARS, { error: `query is longer than ${MAX_QUERY_CHARS} characters` })
    .describe(
      'What to find, in plain language ("where are retries scheduled"), an identifier ("TCPConnector", "Sinatra::Base"), or both.',
    ),
  language,
  path,
  limit,
  folder,
});

export const relatedInput = z
  .looseObject({
    location: z
      .string({ error: 'location must be "path:line", e.g. "src/net/retry.ts:42"' })
      .min(3, { error: 'location must be "path:line", e.g. "src/net/retry.ts:42"' })
      .max(MAX_PATH_CHARS + 12, { error: `location is longer than ${MAX_PATH_CHARS + 12} characters` })
      .optional()
      .describe('A definition by where it is: "path:line", the path relative to the folder (or absolute), the line 1-based.'),
    symbol: z
      .string({ error: 'symbol must be a function, method or class name' })
      .trim()
      .min(1, { error: 'symbol is empty' })
      .max(MAX_NAME_CHARS, { error: `symbol is longer than ${MAX_NAME_CHARS} characters` })
      .optional()
      .describe('A definition by name: "parseConfig", or qualified: "Config.parse", "Sinatra::Base".'),
    limit,
    folder,
  })
  .refine((a) => (a.location === undefined) !== (a.symbol === undefined), {
    error: 'give exactly one of location ("path:line") or symbol (a name)',
  });

export const similarInput = z.looseObject({
  code: z
    .string({ error: 'code is required: a snippet of source code to find code like' })
    .min(1, { error: 'code is empty' })
    // abort: the count of characters below would say it again
    .max(2 * MAX_CODE_CHARS, { error: `code is longer than ${MAX_CODE_CHARS} characters: send one function`, abort: true })
    .refine((c) => [...c].length <= MAX_CODE_CHARS, { error: `code is longer than ${MAX_CODE_CHARS} characters: send one function` })
    .refine((c) => c.trim() !== '', { error: 'code is only white space' })
    .describe('Source code (a function, a few lines) to find code like it, in any indexed language.'),
  language,
  path,
  limit,
  folder,
});

export const statusInput = z.looseObject({ folder });

export type SearchInput = z.infer<typeof searchInput>;
export type RelatedInput = z.infer<typeof relatedInput>;
export type SimilarInput = z.infer<typeof similarInput>;
export type StatusInput = z.infer<typeof statusInput>;

/** Zod's complaints as one line: `limit: limit must be at most 50; query: …`. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const where = issue.path.map(String).join('.');
      return where && !issue.message.startsWith(where) ? `${where}: ${issue.message}` : issue.message;
    })
    .join('; ');
}

/** The language filter as ids, or an error naming the unknown language and the known ones. */
export function checkedLanguages(names: string[] | undefined): string[] | undefined {
  if (!names?.length) return undefined;
  for (const name of names) {
    if (!isLanguageName(name)) {
      throw new AgentArgumentError(
        `unknown language "${name}"; use one of ${LANGUAGE_IDS.join(', ')}, a language indexed by lines (${LINE_LANGUAGE_NAMES.join(', ')}), or a file extension such as "py"`,
      );
    }
  }
  return names;
}

/**
 * Path globs stay inside the folder: relative (as the CLI's `--path`: engine/search/filters.ts
 * `isAbsoluteGlob`), without a `..` segment. A backslash is not read as a separator: in a glob it
 * escapes the next character (`\[id\].ts` matches a file named `[id].ts`).
 */
export function checkedPathGlobs(globs: string[] | undefined): string[] | undefined {
  if (!globs?.length) return undefined;
  for (const glob of globs) {
    const body = negatedGlob(glob) ?? glob; // `!src/gen/**` leaves out what it matches, in the folder too
    if (isAbsoluteGlob(body) || body.split('/').includes('..')) {
      throw new AgentArgumentError(`path "${glob}" is outside the folder: path globs are relative to the folder, e.g. "src/**"`);
    }
  }
  return globs;
}

/** A root without its trailing separator, for comparing roots. */
function normalRoot(root: string): string {
  const resolved = nodePath.resolve(root);
  return resolved.length > 1 ? resolved.replace(/[\\/]+$/, '') : resolved;
}

/**
 * The folders a call is about: the one `folder` names (by root or by name), or every folder.
 * An error when nothing is served or the name matches no folder.
 */
export function selectFolders(folders: FolderStatus[], folder: string | undefined): FolderStatus[] {
  if (folders.length === 0) throw new AgentArgumentError('no folder is being served: open a folder (or start the server with one) first');
  if (folder === undefined) return folders;
  // by its path as served, else as reached through links (macOS's /tmp is /private/tmp)
  const byPath = (same: (f: FolderStatus) => boolean) => (nodePath.isAbsolute(folder) ? folders.filter(same) : []);
  let byRoot = byPath((f) => normalRoot(f.root) === normalRoot(folder));
  if (!byRoot.length) byRoot = byPath((f) => normalRoot(realPathOfHead(f.root)) === normalRoot(realPathOfHead(folder)));
  const matches = byRoot.length ? byRoot : folders.filter((f) => f.name === folder || nodePath.basename(f.root) === folder);
  if (matches.length === 0) throw new AgentArgumentError(`"${folder}" is not a served folder; served: ${folders.map(folderLabel).join(', ')}`);
  // a name two served folders share says neither: the caller gives the path
  if (matches.length > 1) throw new AgentArgumentError(`"${folder}" names ${matches.length} served folders (${matches.map((f) => f.root).join(', ')}); give the folder's path`);
  return matches;
}

export function folderLabel(f: Pick<FolderStatus, 'name' | 'root'>): string {
  return f.name && f.name !== nodePath.basename(f.root) ? `${f.name} (${f.root})` : f.root;
}

/**
 * A `path:line` location, split at its last colon (a Windows path has one of its own). The path
 * may hold any character a file name can, a line break included (`search_code` gives such paths
 * as they are), as on the command line.
 */
export function parseLocation(location: string): { path: string; line: number } {
  const match = /^(.+):(\d+)$/s.exec(location.trim());
  if (!match) throw new AgentArgumentError(`location "${location}" is not "path:line", e.g. "src/net/retry.ts:42"`);
  const line = Number(match[2]);
  if (!Number.isSafeInteger(line)) throw new AgentArgumentError(`the line of "${location}" is too large to be a line number`);
  if (line < 1) throw new AgentArgumentError(`the line of "${location}" must be 1 or more`);
  return { path: match[1], line };
}

/**
 * Where a location's path is: the served folder and the root-relative POSIX path. An absolute
 * path must be inside a served folder (one place); a relative one may be in any of `folders` (a
 * place in each, to be tried in order).
 */
export function resolvePath(folders: FolderStatus[], path: string): { root: string; path: string }[] {
  const absolute = nodePath.isAbsolute(typedRelPath(path));
  const places: { root: string; path: string }[] = [];
  for (const f of folders) {
    // engine/paths.ts fileOfFolder: a relative path reads the same in every folder
    const file = fileOfFolder(f.root, path);
    if ('path' in file) {
      if (absolute) return [{ root: f.root, path: file.path }];
      places.push({ root: f.root, path: file.path });
    } else if (file.problem === 'folder') {
      throw new AgentArgumentError(`"${path}" is a folder, not a file`);
    } else if (file.problem === 'drive') {
      throw new AgentArgumentError(`"${path}" names a drive's current folder: give a path relative to the folder, or an absolute one`);
    } else if (!absolute) {
      throw new AgentArgumentError(`${path} is outside the folder: give a path relative to the folder, e.g. "src/app.ts:10"`);
    }
  }
  if (absolute) throw new AgentArgumentError(`${path} is outside the served folders (${folders.map((f) => f.root).join(', ')})`);
  return places;
}
