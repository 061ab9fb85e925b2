/**
 * The command line of `codescout`, read and checked before the engine is loaded: every value is
 * validated here (a well-formed glob, a number in range, a query of a sane length, and, with the
 * engine's lookup, a known language), so that bad usage is one line and exit code 2, never a
 * silent empty answer, a hang or a crash in a native library. The limits are part of the
 * contract in docs/cli.md.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { resolve } from 'node:path';
import { realpathSync, statSync } from 'node:fs';
import { fileOfFolder } from '../engine/paths';
import type { EngineOptions } from '../engine/engine';
import type { LanguageId } from '../engine/types';
import { quoted, UsageError } from './errors';
import { checkQueryLength, MAX_QUERY_CHARS, QueryTooLongError } from '../engine/search/query';
import { isAbsoluteGlob, MAX_GLOB_CHARS, negatedGlob, pathGlobProblem } from '../engine/search/filters';

export const USAGE = `usage:
  codescout index   <folder> [--index-dir DIR]
  codescout search  <folder> [--top N] [--json] [--index-dir DIR] [--lang L] [--path GLOB] [--no-spelling] [query words…]
  codescout related <folder> <path>:<line> [--top N] [--json] [--index-dir DIR]
  codescout status  <folder> [--json] [--index-dir DIR]
  codescout mcp     [folder…] [--index-dir DIR] [--no-spelling]   (an MCP server on stdio; default folder: .)
  codescout mcp     --attach SOCKET [--wait]                      (relay to the VS Code extension's engine)
common options: --model DIR | --lexical-only, --threads N, --max-file-bytes N, --verbose, --help
With no query words, search reads one query per line from stdin.`;

/** The bounds of the numeric options and of a query (docs/cli.md). */
export const LIMITS = {
  top: 1000,
  /** the editor's `codescout.inferenceThreads` maximum too */
  threads: 64,
  maxFileBytes: 1024 * 1024 * 1024,
  /** characters (code points) of one query, on the command line or on one line of stdin: the engine's own limit */
  queryChars: MAX_QUERY_CHARS,
  /** characters of one --path glob (a regular expression made from a much longer one may not compile) */
  globChars: MAX_GLOB_CHARS,
} as const;

export const DEFAULT_TOP = 10;

const OPTIONS = {
  'index-dir': { type: 'string' },
  top: { type: 'string' },
  json: { type: 'boolean' },
  lang: { type: 'string', multiple: true },
  path: { type: 'string', multiple: true },
  'no-spelling': { type: 'boolean' },
  model: { type: 'string' },
  'lexical-only': { type: 'boolean' },
  threads: { type: 'string' },
  'max-file-bytes': { type: 'string' },
  verbose: { type: 'boolean', short: 'v' },
  attach: { type: 'string' },
  wait: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} satisfies ParseArgsConfig['options'];

type OptionName = keyof typeof OPTIONS;
export type Command = 'index' | 'search' | 'related' | 'status';
export type CommandName = Command | 'mcp';

const COMMON: readonly OptionName[] = ['index-dir', 'model', 'lexical-only', 'threads', 'max-file-bytes', 'verbose', 'help'];
/** The options each command takes besides the common ones (the usage lines above). */
const COMMAND_OPTIONS = new Map<Command, readonly OptionName[]>([
  ['index', []],
  ['search', ['top', 'json', 'lang', 'path', 'no-spelling']],
  ['related', ['top', 'json']],
  ['status', ['json']],
]);
/** `mcp` serves folders (the common options and --no-spelling) or, with --attach, relays (nothing else). */
const MCP_OPTIONS: readonly OptionName[] = [...COMMON, 'no-spelling', 'attach'];
const ATTACH_OPTIONS: readonly OptionName[] = ['attach', 'wait', 'verbose', 'help'];

export interface Invocation {
  command: Command;
  /** the absolute path of <folder> */
  root: string;
  /** the query given as words on the command line; undefined: read queries from stdin */
  query?: string;
  /** related's <path>:<line> */
  location?: { path: string; line: number };
  top: number;
  json: boolean;
  verbose: boolean;
  /** `--lang` values, as given: check them with {@link checkedLanguages} */
  languages?: string[];
  paths?: string[];
  /** the index folder, absolute; undefined: the engine's default */
  indexDir?: string;
  engine: Omit<EngineOptions, 'log' | 'indexDir'>;
}

/** `codescout mcp`: the folders to serve, or the engine socket to relay to. */
export interface McpInvocation {
  command: 'mcp';
  /** absolute paths of the folders to serve, in the order given (at least one); empty with `attach` */
  roots: string[];
  /** `--attach`: the socket (or Windows named pipe) of a running engine process */
  attach?: string;
  /**
   * `--wait` (with --attach): when nothing listens at the socket yet, wait for the engine as after a
   * lost connection (RELAY_RECONNECT_MS) instead of failing at once. The extension passes it: the
   * engine it runs may be between two processes (a replacement, a restart after a crash).
   */
  waitForEngine?: boolean;
  verbose: boolean;
  /** the index folder of the one folder served; undefined: the engine's default for each folder */
  indexDir?: string;
  engine: Omit<EngineOptions, 'log' | 'indexDir'>;
}

/** Reads `argv` (without node and the script). `'help'` when --help was asked. Throws {@link UsageError}. */
export function parseCommandLine(argv: string[]): Invocation | McpInvocation | 'help' {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError(parseArgsMessage(err));
  }
  const { values, positionals } = parsed;
  if (values.help) return 'help';
  if (positionals.length === 0) throw new UsageError('missing command: index, search, related, status or mcp');
  const [commandArg, folderArg, ...rest] = positionals;
  if (commandArg === 'mcp') return mcpInvocation(values, positionals.slice(1));
  const command = [...COMMAND_OPTIONS.keys()].find((c) => c === commandArg);
  if (!command) throw new UsageError(`unknown command ${quoted(commandArg)}; the commands are index, search, related, status and mcp`);
  const allowed = new Set([...COMMON, ...COMMAND_OPTIONS.get(command)!]);
  for (const name of Object.keys(values)) {
    if (!allowed.has(name as OptionName)) throw new UsageError(`'${command}' does not take --${name}`);
  }
  if (folderArg === undefined) throw new UsageError(`'${command}' needs a <folder>`);
  const root = folderRoot(folderArg);
  if ((command === 'index' || command === 'status') && rest.length) {
    throw new UsageError(`unexpected argument ${quoted(rest[0])}`);
  }
  const engine = engineOptions(values);

  return {
    command,
    root,
    query: command === 'search' && rest.length ? checkedQuery(nonEmptyQuery(rest.join(' ')), 'the query') : undefined,
    location: command === 'related' ? parseLocation(rest, root) : undefined,
    top: boundedInt(values.top, '--top', LIMITS.top) ?? DEFAULT_TOP,
    json: values.json ?? false,
    verbose: values.verbose ?? false,
    languages: values.lang,
    paths: values.path?.map(checkedGlob),
    indexDir: indexDirOption(values),
    engine,
  };
}

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true; strict: true }>>['values'];

function mcpInvocation(values: Values, folders: string[]): McpInvocation {
  const verbose = values.verbose ?? false;
  if (values.attach !== undefined) {
    for (const name of Object.keys(values)) {
      if (!ATTACH_OPTIONS.includes(name as OptionName)) throw new UsageError(`'mcp --attach' relays to a running engine and does not take --${name}`);
    }
    if (folders.length) throw new UsageError(`'mcp --attach' relays to a running engine and takes no folder, got ${quoted(folders[0])}`);
    const attach = nonEmpty(values.attach, '--attach', 'the path of the engine socket');
    return { command: 'mcp', roots: [], attach, waitForEngine: values.wait ?? false, verbose, engine: {} };
  }
  if (values.wait !== undefined) throw new UsageError("'mcp --wait' waits for the engine it relays to, and needs --attach");
  for (const name of Object.keys(values)) {
    if (!MCP_OPTIONS.includes(name as OptionName)) throw new UsageError(`'mcp' does not take --${name}`);
  }
  const roots: string[] = [];
  // a folder named twice, by the same path or through a link, is served once, under the name first given
  const seen = new Set<string>();
  for (const folder of folders.length ? folders : ['.']) {
    const root = folderRoot(folder);
    const real = realFolder(root);
    if (seen.has(real)) continue;
    seen.add(real);
    roots.push(root);
  }
  const indexDir = indexDirOption(values);
  if (indexDir !== undefined && roots.length > 1) {
    throw new UsageError(`--index-dir names the index of one folder; with ${roots.length} folders, leave it out (each folder gets its own index folder)`);
  }
  return { command: 'mcp', roots, verbose, indexDir, engine: engineOptions(values) };
}

/** Where a folder really is, links resolved; the path itself when that cannot be worked out. */
function realFolder(root: string): string {
  try {
    return realpathSync.native(root);
  } catch {
    return root;
  }
}

/** A folder argument as an absolute path; a usage error when it names no folder. */
function folderRoot(folderArg: string): string {
  if (folderArg === '') throw new UsageError('<folder> is empty; use . for the current folder');
  const root = resolve(folderArg);
  if (!isDirectory(root)) throw new UsageError(`not a folder: ${quoted(folderArg)}`);
  return root;
}

function indexDirOption(values: Values): string | undefined {
  return values['index-dir'] === undefined ? undefined : resolve(nonEmpty(values['index-dir'], '--index-dir', 'a folder'));
}

function engineOptions(values: Values): Omit<EngineOptions, 'log' | 'indexDir'> {
  if (values.model !== undefined && values['lexical-only']) throw new UsageError('--model and --lexical-only exclude each other');
  return {
    model: values['lexical-only'] ? null : values.model === undefined ? undefined : resolve(nonEmpty(values.model, '--model', 'a model folder')),
    threads: boundedInt(values.threads, '--threads', LIMITS.threads),
    maxFileBytes: boundedInt(values['max-file-bytes'], '--max-file-bytes', LIMITS.maxFileBytes),
    spelling: !values['no-spelling'],
  };
}

/** A query given on the command line that is empty or only white space is a usage error (on stdin such a line is skipped). */
function nonEmptyQuery(query: string): string {
  if (query.trim() === '') throw new UsageError('the query is empty: say what the code does, or give a name');
  return query;
}

/** A query, refused when longer than the documented limit; `what` names it in the message. */
export function checkedQuery(query: string, what: string): string {
  try {
    checkQueryLength(query, LIMITS.queryChars);
  } catch (err) {
    if (err instanceof QueryTooLongError) throw new UsageError(`${what} is ${err.length} characters long; the limit is ${err.max}`);
    throw err;
  }
  return query;
}

/**
 * node:util's parseArgs messages span several lines and name its own terms; these say the
 * same in one line.
 */
function parseArgsMessage(err: unknown): string {
  const e = err as { code?: string; message?: string };
  const message = String(e.message ?? err);
  const option = /'(-[^' ]*)/.exec(message)?.[1] ?? 'an option';
  switch (e.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown option ${quoted(option)} (put '--' before query words that start with '-')`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      if (/does not take an argument/.test(message)) return `${option} takes no value`;
      if (/ambiguous/.test(message)) return `${option} needs a value (write ${option}=VALUE for a value that starts with '-')`;
      return `${option} needs a value`;
    default:
      return message.split('\n')[0];
  }
}

function parseLocation(rest: string[], root: string): { path: string; line: number } {
  if (rest.length !== 1) throw new UsageError("'related' needs exactly one <path>:<line>");
  const m = /^(.+):(\d+)$/s.exec(rest[0]);
  if (!m || !/^0*[1-9]\d{0,8}$/.test(m[2])) {
    throw new UsageError(`expected <path>:<line> with a line from 1 to 999999999, got ${quoted(rest[0])}`);
  }
  return { path: pathInFolder(m[1], root), line: Number(m[2]) };
}

/** `given` as the index names the file, or a usage error, before the index is opened (engine/paths.ts fileOfFolder). */
function pathInFolder(given: string, root: string): string {
  const file = fileOfFolder(root, given);
  if ('path' in file) return file.path;
  if (file.problem === 'folder') throw new UsageError(`${quoted(given)} names <folder> itself, not a file in it`);
  if (file.problem === 'drive') throw new UsageError(`${quoted(given)} names a drive: give a path relative to <folder> ${root}, or an absolute one`);
  throw new UsageError(`${quoted(given)} is outside <folder> ${root}: give a path inside it`);
}

/** A whole number from 1 to `max`, or undefined when the option is absent. */
function boundedInt(value: string | undefined, name: string, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!(n >= 1 && n <= max)) throw new UsageError(`${name} takes a whole number from 1 to ${max}, got ${quoted(value)}`);
  return n;
}

function nonEmpty(value: string, name: string, what: string): string {
  if (value === '') throw new UsageError(`${name} needs ${what}, got an empty value`);
  return value;
}

/**
 * Refuses a `--lang` value that names no language. The engine's language lookup is passed in,
 * so that reading the command line does not load the engine.
 */
export function checkedLanguages(
  names: readonly string[] | undefined,
  isLanguageName: (name: string) => boolean,
  known: readonly LanguageId[],
): void {
  for (const name of names ?? []) {
    if (!isLanguageName(name)) {
      throw new UsageError(
        `unknown language ${quoted(name)} for --lang; known: ${[...known].sort().join(', ')}, golang, c++, c#, ` +
          `a language indexed by lines such as kotlin, shell or sql, or a file extension such as py or kt`,
      );
    }
  }
}

/** A glob `--path` can use: not empty, relative, not too long, with its brackets, braces and parentheses balanced (engine/search/filters.ts). */
function checkedGlob(glob: string): string {
  if (glob === '') throw new UsageError("--path needs a glob such as 'src/**', got an empty value");
  const body = negatedGlob(glob) ?? glob;
  if (isAbsoluteGlob(body)) throw new UsageError(`--path globs are relative to <folder>, got ${quoted(glob)}`);
  // a `..` segment reaches out of the folder, where nothing is indexed: it would match nothing
  if (body.split('/').includes('..')) throw new UsageError(`--path globs stay inside <folder> (no ".." segment), got ${quoted(glob)}`);
  const problem = pathGlobProblem(glob);
  if (problem) throw new UsageError(`--path ${quoted(glob)} ${problem}`);
  return glob;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
