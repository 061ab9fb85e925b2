/**
 * The JSON-RPC protocol between the extension (client) and the engine process (server).
 *
 * The engine process holds one index per workspace folder, addressed by the folder's
 * absolute path (`root`). Paths inside a folder are POSIX paths relative to its root, as in
 * the engine. Transport: vscode-jsonrpc over the child process's stdin/stdout.
 */
import type { EmptyBecause } from '../engine/search/filters';
import type { PreviewLine } from '../engine/text/preview';
export type { PreviewLine };
import { NotificationType, RequestType } from 'vscode-jsonrpc/node';
import type { DefinitionSite, IndexContents, IndexSummary, SearchHit, StatusReport } from '../engine/engine';
import type { Progress } from '../engine/types';

/** How one folder is indexed; a change of any field reopens that folder's index. */
export interface FolderOptions {
  include: string[];
  exclude: string[];
  maxFileBytes: number;
  threads: number;
  /** correct misspelt query words (EngineOptions.spelling) */
  spelling: boolean;
  /** parent folder of the index folders; empty for the user cache folder */
  indexLocation: string;
  /** the index folder itself (absolute; `codescout mcp --index-dir`); when set, `indexLocation` is not used */
  indexDir?: string;
  /** model folder; `null` for lexical-only; absent for the embedded default model */
  model?: string | null;
}

export interface FolderSpec {
  root: string;
  /** display name of the workspace folder */
  name: string;
  options: FolderOptions;
}

export interface ConfigureParams {
  folders: FolderSpec[];
  /**
   * index every folder as soon as it is opened; sent true for folders already open, it indexes
   * those that no refresh was asked for this session (the setting was turned on), not those
   * whose indexing was cancelled
   */
  indexOnOpen: boolean;
}

/** Why a refresh runs: the first index of a session, a user request, or changed files. */
export type RefreshReason = 'open' | 'user' | 'changes';

export type FolderState =
  /** the index is being opened */
  | 'opening'
  | 'indexing'
  /** the index matches the folder (as of the last refresh) */
  | 'ready'
  /** the index may not match the folder: not refreshed this session, or the last refresh was cancelled */
  | 'stale'
  | 'error';

export interface IndexingProgress extends Progress {
  reason: RefreshReason;
  /** 0–100, over the files to read */
  percent: number;
}

/** What the last finished refresh of a folder did: why it ran, and what it read and computed. */
export interface RefreshReport extends Pick<IndexSummary, 'filesParsed' | 'filesRemoved' | 'chunksEmbedded' | 'chunksFromCache' | 'seconds' | 'cancelled'> {
  reason: RefreshReason;
}

export interface FolderStatus {
  /** grows with every status an engine process produces: of two statuses of a folder, keep the higher */
  version: number;
  root: string;
  name: string;
  state: FolderState;
  progress?: IndexingProgress;
  contents: IndexContents;
  /** answers cover only part of the folder: its first index of this session is still being built (here, or by another process: see `otherWriter`) */
  partial: boolean;
  /**
   * another process (the CLI, another editor window) holds the folder's index and updates it:
   * answers come from what that process has saved (read again as it saves: at most every 10 s, every minute when only its change log grew), and this engine takes the index over (and
   * brings it up to date) once that process is done
   */
  otherWriter?: true;
  /** once the index is open: no index of the folder has been saved (none was ever built, or the one found was damaged) */
  neverSaved?: true;
  mode: 'hybrid' | 'lexical-only';
  /** refreshes completed (or cancelled) this session */
  refreshes: number;
  /** the last refresh that ended this session (absent before the first, and when it failed) */
  lastRefresh?: RefreshReport;
  /**
   * changes whenever the indexed contents change; answers derived from the index (definitions,
   * related code) hold for one generation of one engine process
   */
  generation: number;
  lastError?: string;
}

export interface RestartWantedParams {
  /** why, in words, for the log */
  reason: string;
}

export interface QueryParams {
  /** plain-language query (search) or code (similar) */
  text: string;
  top: number;
  languages?: string[];
  paths?: string[];
  /** restrict to one folder; default: every folder */
  root?: string;
  /** add to each hit up to this many lines of its code as on disk now, preferring lines with query words (FolderHit.preview) */
  previewLines?: number;
  /**
   * similar only: indexed code to leave out, the chunks of `path` in folder `root` that overlap lines
   * `startLine`–`endLine` (1-based, inclusive): the selection compared, which is indexed itself and
   * would otherwise take the first places
   */
  exclude?: CodeSpan;
}

/** Lines of one file of a workspace folder (1-based, inclusive; `path` relative to `root`). */
export interface CodeSpan {
  root: string;
  path: string;
  startLine: number;
  endLine: number;
}

export interface FolderHit extends SearchHit {
  root: string;
  /** lines of the hit's code, when QueryParams.previewLines asked for them and the file could be read (never when `changed`) */
  preview?: PreviewLine[];
  /**
   * present (true) when the hit's file changed on disk since the index read it and the index had not
   * caught up when the answer was made (a refresh was running or did not finish in time, or could not
   * help: see FolderIndex.caughtUp in server/folder-index.ts): the hit's lines may have moved, and its
   * snippet is the indexed one
   */
  changed?: true;
}


export interface QueryResult {
  hits: FolderHit[];
  /** some folder's index is still being built */
  partial: boolean;
  /** every answering folder ranks by words only (no embedding model) */
  lexicalOnly: boolean;
  /** folders that could not answer, with the reason */
  failures: { root: string; message: string }[];
  /**
   * Search only, and only when a query word was corrected (misspelt, or words run together):
   * the query as searched, e.g. "parse configuration" for "parse configuraton". Each folder
   * corrects against its own index (a word a folder's code contains is searched as typed there),
   * so folders may search different texts; this is the first correcting folder's, in the order
   * the engine process opened the folders (the configured order; a folder added later comes last).
   */
  searchedFor?: string;
  /** search only: there are hits, but none is a strong match in any folder (engine SearchAnswer.weak) */
  weak?: true;
  /** search only: no hits, and the filters are why, in every answering folder (engine SearchAnswer.emptyBecause) */
  emptyBecause?: EmptyBecause;
}

export interface RelatedParams {
  root: string;
  path: string;
  /** 1-based */
  line: number;
  top: number;
  /** answer only when the innermost definition at `line` has this name (hovers) */
  name?: string;
}

export interface RelatedResult {
  source: FolderHit;
  results: FolderHit[];
  partial: boolean;
}

/** A related definition as a hover lists it. */
export type RelatedLink = Pick<FolderHit, 'root' | 'path' | 'name' | 'kind' | 'startLine' | 'endLine'>;

/** An indexed definition with its precomputed related code. */
export interface DefinitionEntry extends DefinitionSite {
  root: string;
  /** the definitions most like it, best first (at most the `top` asked for) */
  related: RelatedLink[];
}

export interface DefinitionsParams {
  root: string;
  /** root-relative POSIX path */
  path: string;
  /** related links per definition */
  top: number;
}

export interface DefinitionsResult {
  /** the folder's index generation the answer was computed from (FolderStatus.generation) */
  generation: number;
  /** no refresh ran while it was computed: it holds until the generation changes */
  settled: boolean;
  /** by start line; a long definition split into windows is one entry */
  definitions: DefinitionEntry[];
}

export interface NamedParams {
  name: string;
  /** related links per definition; 0: none (no related code is computed, for a name with many definitions) */
  top: number;
  /** one folder; default: every folder */
  root?: string;
}

export interface RootParams {
  /** one folder; default: every folder */
  root?: string;
}

export interface FilesChangedParams {
  root: string;
  /** root-relative POSIX paths that were created, changed or deleted */
  paths: string[];
}

/**
 * How much the engine process logs, most severe first; each level shows itself and the levels
 * before it. The names of VS Code's LogOutputChannel methods (and its log levels but Off).
 */
export type LogLevel = 'error' | 'warn' | 'info' | 'debug' | 'trace';
export const LOG_LEVELS: readonly LogLevel[] = ['error', 'warn', 'info', 'debug', 'trace'];

export interface LogParams {
  root?: string;
  level: LogLevel;
  message: string;
}

export interface SetLogLevelParams {
  /** the most detailed level to send; 'off': send nothing */
  level: LogLevel | 'off';
}

export const Configure = new RequestType<ConfigureParams, FolderStatus[], void>('codescout/configure');
export const Search = new RequestType<QueryParams, QueryResult, void>('codescout/search');
export const Similar = new RequestType<QueryParams, QueryResult, void>('codescout/similar');
/** `null` when no indexed definition is at that line (or it has another name). */
export const Related = new RequestType<RelatedParams, RelatedResult | null, void>('codescout/related');
/** The definitions of one file with their related code, for hovers to answer without a request. */
export const Definitions = new RequestType<DefinitionsParams, DefinitionsResult, void>('codescout/definitions');
/** The definitions with this exact name, with their related code (a hover's fallback when no definition provider answers in time). */
export const DefinitionsNamed = new RequestType<NamedParams, DefinitionEntry[], void>('codescout/definitionsNamed');
export const Status = new RequestType<{ root: string }, StatusReport, void>('codescout/status');
export const Reindex = new RequestType<RootParams, void, void>('codescout/reindex');
export const Cancel = new RequestType<RootParams, void, void>('codescout/cancel');
export interface ShutdownParams {
  /**
   * A new process takes this one's place (RestartWanted): agents' relays on the agent socket
   * connect to it (agent-relay.ts). Otherwise (or without params) the editor is closing.
   */
  restarting?: boolean;
}
/** Closes every index; the client then closes the process's stdin, and it exits. */
export const Shutdown = new RequestType<ShutdownParams | undefined, void, void>('codescout/shutdown');

export const FilesChanged = new NotificationType<FilesChangedParams>('codescout/filesChanged');
/**
 * Client → server: send only Log notifications at this level or more severe (the output
 * channel's log level, which the user picks). Until it arrives, the engine process logs at 'info'.
 */
export const SetLogLevel = new NotificationType<SetLogLevelParams>('codescout/setLogLevel');
/** Server → client: a folder's state, progress or contents changed. */
export const FolderStatusChanged = new NotificationType<FolderStatus>('codescout/folderStatus');
/**
 * Server → client: a line for the output channel at its level — progress (an index opened, a
 * refresh started and ended, what it skipped), failures, notices (lexical-only mode, a rebuilt
 * index, …) and, at debug, request timings. Never the contents of a file or a query.
 */
export const Log = new NotificationType<LogParams>('codescout/log');
/**
 * Server → client: replace this process with a new one (save, exit, start again), to give back
 * memory that indexing left it holding (server/restart-after-indexing.ts). Sent at most once per
 * process; the client may ignore it.
 */
export const RestartWanted = new NotificationType<RestartWantedParams>('codescout/restartWanted');
