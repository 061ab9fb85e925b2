/**
 * The tools Code Scout offers coding agents, in one place for every way an agent reaches them:
 * the MCP server (`codescout mcp`, and the engine process's socket the VS Code extension
 * registers) and the extension's language-model tools. Each tool has its schemas, a description
 * written for a model deciding whether to call it, and a run over an {@link AgentBackend}.
 *
 * A tool never throws for a bad call or a failing engine: the answer is an error answer whose
 * text says what went wrong and how to call it instead, and the server goes on serving.
 */
import * as z from 'zod';
import type { StatusReport } from '../engine/engine';
import type { FolderStatus, QueryResult } from '../protocol/protocol';
import { emptyBecauseSentence } from '../engine/search/filters';
import {
  AgentArgumentError,
  checkedLanguages,
  checkedPathGlobs,
  DEFAULT_RESULTS,
  describeIssues,
  parseLocation,
  relatedInput,
  resolvePath,
  searchInput,
  selectFolders,
  similarInput,
  statusInput,
  type RelatedInput,
  type SearchInput,
  type SimilarInput,
  type StatusInput,
} from './arguments';
import { agentHit, agentHitOf, agentHits, answerState, count, headerLine, pathStyle, resultBlocks, stateNotes, visible, type AgentHit } from './answers';
import type { AgentBackend } from './backend';

export type AgentToolName = 'search_code' | 'related_code' | 'similar_code' | 'index_status';

export interface AgentAnswer {
  /** compact text for the model */
  text: string;
  /** the same facts as data; empty for an error answer */
  structured: Record<string, unknown>;
  isError: boolean;
}

export interface AgentTool {
  name: AgentToolName;
  title: string;
  /** for a model deciding whether to call the tool */
  description: string;
  inputSchema: z.ZodType<Record<string, unknown>>;
  /** the JSON Schema of the input, as MCP clients and package.json's languageModelTools give it */
  inputJsonSchema: Record<string, unknown>;
  outputSchema: z.ZodObject;
}

const searchOutput = z.object({
  query: z.string(),
  /** the query as searched, when a misspelt word was corrected */
  searchedFor: z.string().optional(),
  results: z.array(agentHit),
  ...answerState,
});

const similarOutput = z.object({ results: z.array(agentHit), ...answerState });

/** Where another definition of a name is: a result's location fields. */
const definitionRef = agentHit.pick({ path: true, folder: true, startLine: true, endLine: true, name: true, kind: true, container: true });

const relatedOutput = z.object({
  /** the definition the results are related to */
  source: agentHit,
  results: z.array(agentHit),
  /** other definitions with the queried symbol's name, when it has several (the first is the source) */
  otherDefinitions: z.array(definitionRef).optional(),
  partial: z.boolean(),
});

const folderState = z.object({
  folder: z.string(),
  name: z.string(),
  /** opening, indexing, ready (matches the folder as of the last refresh), stale or error */
  state: z.string(),
  /** answers cover only part of the folder: its first index is still being built */
  partial: z.boolean(),
  /** percent of the files to read, while indexing */
  progress: z.number().optional(),
  /** another process (the CLI, an editor) holds the index and updates it: answers come from what it has saved (read again as it saves: at most every 10 s, every minute when only its change log grew), and this server takes the index over once that process is done */
  otherWriter: z.literal(true).optional(),
  mode: z.enum(['hybrid', 'lexical-only']),
  /** the embedding model's id, null for none; absent when the folder's status report failed */
  model: z.string().nullable().optional(),
  files: z.number(),
  chunks: z.number(),
  definitions: z.number(),
  /** chunks per language */
  languages: z.record(z.string(), z.number()),
  /** when the index was last written (ISO 8601), null when never; absent when the folder's status report failed (`error` says why) */
  updatedAt: z.string().nullable().optional(),
  /** files on disk that differ from the index now: a refresh is due when any is non-zero */
  changedSinceIndexed: z.object({ added: z.number(), changed: z.number(), removed: z.number() }).optional(),
  /** files another model (or none) indexed whose vectors the next refresh adds: searched by words until then */
  awaitingVectors: z.number().optional(),
  /** files left out, by reason (too large, binary, …) */
  skipped: z.record(z.string(), z.number()).optional(),
  error: z.string().optional(),
});

const statusOutput = z.object({ folders: z.array(folderState) });

type Run<I> = (backend: AgentBackend, input: I) => Promise<AgentAnswer>;

interface ToolSpec<I> {
  name: AgentToolName;
  title: string;
  description: string;
  input: z.ZodType<I>;
  output: z.ZodObject;
  run: Run<I>;
}

function answer(text: string, structured: Record<string, unknown>): AgentAnswer {
  return { text, structured, isError: false };
}

function errorAnswer(message: string): AgentAnswer {
  return { text: message, structured: {}, isError: true };
}

/** Folder states as the answers need them. */
function queryState(result: QueryResult): z.infer<z.ZodObject<typeof answerState>> {
  return {
    partial: result.partial,
    mode: result.lexicalOnly ? 'lexical-only' : 'hybrid',
    ...(result.failures.length ? { failures: result.failures.map((f) => ({ folder: f.root, message: f.message })) } : {}),
  };
}

/** Every folder asked (`asked`) failed: the answer is an error, saying why. One that answered, if only with nothing, makes it an answer. */
function allFailed(result: QueryResult, asked: readonly FolderStatus[]): string | undefined {
  if (result.hits.length || !result.failures.length) return undefined;
  if (!asked.every((f) => result.failures.some((failure) => failure.root === f.root))) return undefined;
  return result.failures.map((f) => `${visible(f.root)}: ${visible(f.message)}`).join('\n');
}

function emptyHint(served: FolderStatus[]): string {
  if (served.every((f) => f.contents.chunks === 0)) {
    return served.some((f) => f.otherWriter)
      ? ' Another process (the codescout CLI or an editor) is building the index, and this server takes it over once that process is done; ask again shortly.'
      : served.some((f) => f.state === 'indexing' || f.state === 'opening')
      ? ' The index is still being built; ask again shortly.'
      : ' Nothing is indexed: the folder has no files in a supported language, or ignore rules leave them all out (see index_status).';
  }
  return '';
}

/** Why an answer is empty when the filters are why (QueryResult.emptyBecause), as a sentence after a space; '' otherwise. */
function filtersHint(because: QueryResult['emptyBecause'], filters: QueryFilters): string {
  const globs = (filters.path ?? []).map((glob) => `"${visible(glob)}"`).join(', ');
  const sentence = emptyBecauseSentence(because, globs, (filters.language ?? []).map(visible).join(', '));
  return sentence ? ` ${sentence}` : '';
}

/** The filters search_code and similar_code share. */
type QueryFilters = Pick<SearchInput, 'language' | 'path' | 'limit' | 'folder'>;

/** How a search-like answer reads: its first line with results, without, and its extra structured fields. */
interface QueryWording {
  found(n: number, result: QueryResult): string;
  none: string;
  structured(result: QueryResult): Record<string, unknown>;
}

/** search_code and similar_code: one query over the selected folders, answered as results with their code. */
async function queryAnswer(backend: AgentBackend, kind: 'search' | 'similar', text: string, filters: QueryFilters, wording: QueryWording): Promise<AgentAnswer> {
  const served = selectFolders(await backend.statuses(), filters.folder);
  const result = await backend[kind]({
    text,
    top: filters.limit ?? DEFAULT_RESULTS,
    languages: checkedLanguages(filters.language),
    paths: checkedPathGlobs(filters.path),
    ...(filters.folder !== undefined ? { root: served[0].root } : {}),
  });
  const failed = allFailed(result, served);
  if (failed) return errorAnswer(`The search failed:\n${failed}`);
  const results = await agentHits(result.hits);
  // the folders as they are now: a query waits for a folder that was opening when it was asked
  const statuses = await backend.statuses();
  const style = pathStyle(statuses);
  const now = served.map((f) => statuses.find((s) => s.root === f.root) ?? f);
  const lines = [results.length ? wording.found(results.length, result) : `${wording.none}${filtersHint(result.emptyBecause, filters) || emptyHint(now)}`];
  if (results.length) lines.push(resultBlocks(results, style));
  lines.push(...stateNotes(queryState(result), now));
  return answer(lines.join('\n'), { ...wording.structured(result), results, ...queryState(result) });
}

const searchCode: ToolSpec<SearchInput> = {
  name: 'search_code',
  title: 'Search code',
  description:
    'Search this codebase by meaning and by name, locally. Use it to find where something is implemented when you do not know ' +
    'the file or the identifier ("where are retries scheduled", "parse the config file", "websocket endpoint"), or to find the ' +
    'definition of a name ("TCPConnector", "Config.parse"). Better than grep for behaviour and concepts; ranks definitions above ' +
    'mentions, and source above tests unless the query asks for tests. Returns locations (path:lines, kind, name, container) ' +
    'with the first lines of each, best first.',
  input: searchInput,
  output: searchOutput,
  async run(backend, input) {
    const quoted = `"${visible(input.query)}"`;
    return queryAnswer(backend, 'search', input.query, input, {
      found: (n, result) => `${count(n, 'result')} for ${quoted}${result.searchedFor ? ` (searched for "${visible(result.searchedFor)}")` : ''}:`,
      none: `No results for ${quoted}.`,
      structured: (result) => ({ query: input.query, ...(result.searchedFor ? { searchedFor: result.searchedFor } : {}) }),
    });
  },
};

const similarCode: ToolSpec<SimilarInput> = {
  name: 'similar_code',
  title: 'Find similar code',
  description:
    'Find code in this codebase that is like a snippet you give: existing implementations of the same thing, near-duplicates ' +
    'to update together, or the house style for a pattern before you write it. Works across languages. Returns locations with ' +
    'the first lines of each, most similar first.',
  input: similarInput,
  output: similarOutput,
  async run(backend, input) {
    return queryAnswer(backend, 'similar', input.code, input, {
      found: (n) => `${count(n, 'result')} like the code given:`,
      none: 'No code like the code given.',
      structured: () => ({}),
    });
  },
};

/** `Config.parse`, `Sinatra::Base`, `Foo#bar`, `$obj->m` → container and name. */
function splitQualified(symbol: string): { container?: string; name: string } {
  const match = /^(.*\S)\s*(?:\.|::|#|->)\s*([^.:#>\s]+)$/.exec(symbol);
  return match ? { container: match[1], name: match[2] } : { name: symbol };
}

function containerMatches(container: string | undefined, wanted: string): boolean {
  if (!container) return false;
  const normal = (s: string) => s.replace(/::|#|->/g, '.');
  const have = normal(container);
  const want = normal(wanted);
  return have === want || have.endsWith(`.${want}`);
}

/** Other definitions of a symbol's name an answer lists at most. */
export const MAX_OTHER_DEFINITIONS = 20;

const relatedCode: ToolSpec<RelatedInput> = {
  name: 'related_code',
  title: 'Related code',
  description:
    'The code most like one definition of this codebase: sibling implementations, the other handlers of the same kind, ' +
    'near-duplicates and the code that does the same job elsewhere. Use it before changing a function (what else must change ' +
    'with it), or to learn how this codebase does something from a known example. Give the definition by location ' +
    '("path:line") or by name ("parseConfig", "Config.parse").',
  input: relatedInput,
  output: relatedOutput,
  async run(backend, input) {
    const all = await backend.statuses();
    const served = selectFolders(all, input.folder);
    const top = input.limit ?? DEFAULT_RESULTS;
    const style = pathStyle(all);
    let answerFound = null;
    let others: z.infer<typeof definitionRef>[] = [];
    /** how many other definitions have the name; `others` lists the first MAX_OTHER_DEFINITIONS */
    let otherCount = 0;
    let asked: string;
    if (input.location !== undefined) {
      const { path, line } = parseLocation(input.location);
      asked = `${path}:${line}`;
      // each served folder that may hold the path is asked in turn; one that fails does not stop the others
      const failures: string[] = [];
      for (const place of resolvePath(served, path)) {
        try {
          answerFound = await backend.related({ root: place.root, path: place.path, line, top });
        } catch (err) {
          failures.push(`${visible(place.root)}: ${visible((err as Error)?.message ?? String(err))}`);
        }
        if (answerFound) break;
      }
      if (!answerFound) {
        if (failures.length) return errorAnswer(`related_code failed:\n${failures.join('\n')}`);
        return errorAnswer(
          `No indexed function, method or class is at ${visible(asked)}: the file is not indexed (not in a supported language, ` +
            `ignored, or not indexed yet) or that line is outside every definition. search_code finds definitions by name.`,
        );
      }
    } else {
      const symbol = input.symbol!;
      asked = symbol;
      const { container, name } = splitQualified(symbol);
      // where they are, without their related code: the answer computes it for one of them
      const lookUp = async () => {
        const named = await backend.definitionsNamed({ name, top: 0, ...(input.folder !== undefined ? { root: served[0].root } : {}) });
        return container === undefined ? named : named.filter((d) => containerMatches(d.container, container));
      };
      let found = await lookUp();
      if (found.length === 0) {
        // a folder whose index failed has no definitions to give: the answer says why rather than "none"
        const failed = served.filter((f) => f.state === 'error');
        const why = failed.map((f) => `${visible(f.root)}: ${visible(f.lastError ?? 'its index failed')}`).join('\n');
        if (failed.length && failed.length === served.length) return errorAnswer(`related_code failed:\n${why}`);
        return errorAnswer(
          `No indexed definition is named "${visible(symbol)}". Names are matched exactly (case included)` +
            `${container !== undefined ? ', with the qualifier matching the container' : ''}; search_code finds code by words and by behaviour.` +
            (failed.length ? `\nNot searched, as their index failed:\n${why}` : ''),
        );
      }
      // named, so that a line that now holds another definition is no answer
      const relatedTo = (d: (typeof found)[number]) => backend.related({ root: d.root, path: d.path, line: d.startLine, top, name: d.name });
      answerFound = await relatedTo(found[0]);
      if (!answerFound) {
        // asking may have caught the index up with a saved file (its definitions moved): look again, once
        const was = found[0];
        found = await lookUp();
        const again = found.find((d) => d.root === was.root && d.path === was.path) ?? found[0];
        if (again) {
          found = [again, ...found.filter((d) => d !== again)];
          answerFound = await relatedTo(again);
        }
      }
      if (!answerFound) return errorAnswer(`The definition of "${visible(symbol)}" is no longer indexed; ask again once indexing is done.`);
      const rest = found.slice(1);
      otherCount = rest.length;
      others = rest.slice(0, MAX_OTHER_DEFINITIONS).map((d) => ({
        path: d.path,
        folder: d.root,
        startLine: d.startLine,
        endLine: d.endLine,
        name: d.name,
        kind: d.kind,
        ...(d.container ? { container: d.container } : {}),
      }));
    }
    const source = await agentHitOf(answerFound.source, 1);
    const results = await agentHits(answerFound.results);
    const lines = [
      results.length
        ? `${count(results.length, 'result')} related to ${headerLine(source, style)}:`
        : `Nothing related to ${headerLine(source, style)} was found.`,
    ];
    if (results.length) lines.push(resultBlocks(results, style));
    if (others.length) {
      const listed = otherCount > others.length ? `; the first ${others.length}` : '';
      lines.push(`"${visible(asked)}" has ${count(otherCount, 'other definition')} (ask by location for one of them${listed}):`);
      lines.push(...others.map((d) => `  ${headerLine(d, style)}`));
    }
    // partial results, and a note when the answering folder's last refresh failed (its folder was deleted, say)
    lines.push(...stateNotes({ partial: answerFound.partial, mode: 'hybrid' }, served.filter((f) => f.root === answerFound.source.root)));
    return answer(lines.join('\n'), {
      source,
      results,
      ...(others.length ? { otherDefinitions: others } : {}),
      partial: answerFound.partial,
    });
  },
};

function folderStateOf(f: FolderStatus, report: StatusReport | undefined, error: string | undefined): z.infer<typeof folderState> {
  const languages: Record<string, number> = Object.create(null);
  for (const [language, n] of Object.entries(f.contents.languages)) languages[language] = n;
  const skipped: Record<string, number> = Object.create(null);
  for (const [reason, n] of Object.entries(report?.skippedByReason ?? {})) skipped[reason] = n;
  return {
    folder: f.root,
    name: f.name,
    state: f.state,
    partial: f.partial,
    ...(f.progress ? { progress: f.progress.percent } : {}),
    ...(f.otherWriter ? { otherWriter: true as const } : {}),
    mode: f.mode,
    ...(report ? { model: report.model?.id ?? null } : {}),
    files: f.contents.files,
    chunks: f.contents.chunks,
    definitions: f.contents.definitions,
    languages: { ...languages },
    // unknown without the report, which is where it comes from: not "never"
    ...(report ? { updatedAt: report.updatedAt ?? null } : {}),
    ...(report ? { changedSinceIndexed: { ...report.stale } } : {}),
    ...(report?.redo.embed ? { awaitingVectors: report.redo.embed } : {}),
    ...(report && Object.keys(skipped).length ? { skipped: { ...skipped } } : {}),
    ...(error !== undefined || f.lastError !== undefined ? { error: error ?? f.lastError } : {}),
  };
}

function statusLines(s: z.infer<typeof folderState>): string[] {
  const what = s.state === 'indexing' && s.progress !== undefined ? `indexing (${s.progress}% of files read)` : s.state;
  const mode = s.mode === 'hybrid' ? `hybrid: words and the embedding model${s.model ? ` ${visible(s.model)}` : ''}` : 'words only (no embedding model)';
  const lines = [
    `${visible(s.folder)}${s.name !== s.folder ? ` (${visible(s.name)})` : ''}: ${what}${s.partial ? ', answers are partial' : ''}; ranking by ${mode}`,
    `  indexed: ${count(s.files, 'file')}, ${count(s.chunks, 'chunk')}, ${count(s.definitions, 'definition')}; last written ${s.updatedAt === undefined ? 'unknown' : (s.updatedAt ?? 'never')}`,
  ];
  if (s.otherWriter) lines.push('  another process (the codescout CLI or an editor) is updating this index: answers come from what it has saved (read again as it saves: at most every 10 s, every minute when only its change log grew), and this server takes the index over once that process is done');
  const languages = Object.entries(s.languages).sort((a, b) => b[1] - a[1]);
  if (languages.length) lines.push(`  languages (chunks): ${languages.map(([l, n]) => `${visible(l)} ${n}`).join(', ')}`);
  if (s.changedSinceIndexed) {
    const { added, changed, removed } = s.changedSinceIndexed;
    lines.push(
      added + changed + removed === 0
        ? '  up to date with the files on disk'
        : `  changed on disk since indexed: ${added} added, ${changed} changed, ${removed} removed (${s.state === 'indexing' ? 'being indexed now' : s.otherWriter ? 'indexed once the other process is done' : 'indexed on the next refresh'})`,
    );
  }
  if (s.awaitingVectors) lines.push(`  ${count(s.awaitingVectors, 'file')} indexed by another model or none: searched by words until ${s.state === 'indexing' ? 'this refresh embeds them' : 'the next refresh embeds them'}`);
  const skipped = Object.entries(s.skipped ?? {});
  if (skipped.length) lines.push(`  skipped files: ${skipped.map(([reason, n]) => `${n} ${visible(reason)}`).join(', ')}`);
  if (s.error !== undefined) lines.push(`  error: ${visible(s.error)}`);
  return lines;
}

const indexStatus: ToolSpec<StatusInput> = {
  name: 'index_status',
  title: 'Index status',
  description:
    'What Code Scout has indexed: for each served folder, whether its index is ready or still being built (results partial), ' +
    'the ranking mode and model, the files, chunks and languages covered, when it was last written, and how many files changed ' +
    'on disk since. Call it when search results look incomplete or to learn which folders are served.',
  input: statusInput,
  output: statusOutput,
  async run(backend, input) {
    const served = selectFolders(await backend.statuses(), input.folder);
    const folders = await Promise.all(
      served.map(async (f) => {
        let report: StatusReport;
        try {
          report = await backend.report(f.root);
        } catch (err) {
          return folderStateOf(f, undefined, `status unavailable: ${(err as Error).message}`);
        }
        // the report waits for an index that is opening: the folder's state is read again after
        // it, so that the two describe the same moment
        const now = (await backend.statuses()).find((s) => s.root === f.root) ?? f;
        return folderStateOf(now, report, undefined);
      }),
    );
    return answer(folders.flatMap(statusLines).join('\n'), { folders });
  },
};

const SPECS = [searchCode, relatedCode, similarCode, indexStatus] as const;

/**
 * JSON Schema of a tool's input, without zod's `$schema` line (VS Code and MCP clients take the
 * plain object), nor the loose objects' `additionalProperties: {}`, which allows what its absence does.
 */
function jsonSchemaOf(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _, additionalProperties, ...rest } = z.toJSONSchema(schema, { io: 'input' }) as Record<string, unknown>;
  const anything = typeof additionalProperties === 'object' && additionalProperties !== null && Object.keys(additionalProperties).length === 0;
  return anything || additionalProperties === undefined ? rest : { ...rest, additionalProperties };
}

/** The arguments in `args` that the tool's input does not name (arguments.ts: the inputs are loose). */
function unknownArguments(input: z.ZodType, args: unknown): { unknown: string[]; known: string[] } {
  if (!(input instanceof z.ZodObject) || typeof args !== 'object' || args === null || Array.isArray(args)) return { unknown: [], known: [] };
  const known = Object.keys(input.shape);
  const names = new Set(known);
  return { unknown: Object.keys(args).filter((key) => !names.has(key)), known };
}

/** The answer, with a last line naming the arguments it ignored and those the tool takes. */
function withIgnored(answer: AgentAnswer, toolName: string, ignored: { unknown: string[]; known: string[] }): AgentAnswer {
  if (!ignored.unknown.length) return answer;
  const names = ignored.unknown.slice(0, 5).map((key) => `"${visible(key.slice(0, 60))}"`).join(', ');
  const more = ignored.unknown.length > 5 ? ` and ${ignored.unknown.length - 5} more` : '';
  const line = `Ignored ${ignored.unknown.length === 1 ? 'an argument' : 'arguments'} ${toolName} does not take: ${names}${more}; it takes ${ignored.known.join(', ')}.`;
  return { ...answer, text: `${answer.text}\n${line}` };
}

export const AGENT_TOOLS: readonly AgentTool[] = SPECS.map((spec) => ({
  name: spec.name,
  title: spec.title,
  description: spec.description,
  inputSchema: spec.input as unknown as z.ZodType<Record<string, unknown>>,
  inputJsonSchema: jsonSchemaOf(spec.input),
  outputSchema: spec.output,
}));

const RUNS = new Map<string, ToolSpec<never>>(SPECS.map((spec) => [spec.name, spec as unknown as ToolSpec<never>]));

/**
 * Runs one tool on raw arguments (as a client sent them). Never throws: bad arguments, names
 * that match nothing and engine failures are error answers whose text says what was wrong.
 */
export async function runAgentTool(backend: AgentBackend, name: string, args: unknown): Promise<AgentAnswer> {
  const spec = RUNS.get(name);
  if (!spec) return errorAnswer(`Code Scout has no tool "${visible(name)}"; its tools are ${SPECS.map((s) => s.name).join(', ')}.`);
  return withIgnored(await runParsed(backend, spec, args), spec.name, unknownArguments(spec.input, args));
}

async function runParsed(backend: AgentBackend, spec: ToolSpec<never>, args: unknown): Promise<AgentAnswer> {
  const parsed = spec.input.safeParse(args ?? {});
  if (!parsed.success) return errorAnswer(`Invalid arguments for ${spec.name}: ${describeIssues(parsed.error)}.`);
  try {
    return await spec.run(backend, parsed.data as never);
  } catch (err) {
    // the message quotes the caller's arguments, which may hold control characters: made visible
    if (err instanceof AgentArgumentError) return errorAnswer(`${visible(err.message)}.`);
    return errorAnswer(`${spec.name} failed: ${visible((err as Error)?.message ?? String(err))}`);
  }
}
