/**
 * Leveled logging in the engine process: lines for the extension's "Code Scout" output channel,
 * sent as Log notifications, and only at the level the client asked for (SetLogLevel; 'info'
 * until it does), so that a channel at Info never costs the debug and trace lines.
 *
 * What is logged says what the engine did — folders opened, refreshes and their counts, what a
 * refresh skipped and why, failures, request timings — never the contents of a file or a query.
 */
import type { IndexContents, IndexSummary } from '../engine/engine';
import type { SkipReason } from '../engine/types';
import type { Skipped } from '../engine/files/scan';
import { LOG_LEVELS, type LogLevel, type LogParams, type QueryParams, type QueryResult, type RefreshReason } from '../protocol/protocol';

/** How detailed each level is: error 0 … trace 4; off -1. A Map: the level comes from outside. */
const RANK = new Map<string, number>([['off', -1], ...LOG_LEVELS.map((level, i): [string, number] => [level, i])]);

/** Every level a client may ask for. */
export const LOG_LEVEL_NAMES: ReadonlySet<string> = new Set(RANK.keys());

/** The level before the client says which it wants. */
export const DEFAULT_LOG_LEVEL: LogLevel = 'info';

/** Per-file lines of one refresh at trace level, at most (the rest are counted). */
export const MAX_TRACE_LINES = 1000;

export class Logger {
  private current: LogLevel | 'off' = DEFAULT_LOG_LEVEL;

  constructor(private readonly send: (params: LogParams) => void) {}

  get level(): LogLevel | 'off' {
    return this.current;
  }

  /** Sends lines at `level` and more severe ones from now on; an unknown level is refused (the level is kept). */
  setLevel(level: LogLevel | 'off'): void {
    if (!RANK.has(level)) throw new RangeError(`unknown log level ${JSON.stringify(level)}`);
    this.current = level;
  }

  /** Whether a line at `level` is sent now (to skip building a costly one that would not be). */
  enabled(level: LogLevel): boolean {
    const rank = RANK.get(level);
    return rank !== undefined && rank >= 0 && rank <= RANK.get(this.current)!;
  }

  log(level: LogLevel, message: string, root?: string): void {
    if (!this.enabled(level)) return;
    this.send(root === undefined ? { level, message } : { root, level, message });
  }
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
const seconds = (s: number) => `${s < 10 ? s.toFixed(1) : Math.round(s)} s`;

/** `app: index opened: 310 files, 1500 chunks; hybrid search with the model m (1.2 s)`. */
export function openedLine(name: string, contents: IndexContents, model: string | undefined, secondsTaken: number): string {
  const search = model === undefined ? 'lexical-only search (no embedding model)' : `hybrid search with the model ${model}`;
  return `${name}: index opened: ${plural(contents.files, 'file')}, ${plural(contents.chunks, 'chunk')}; ${search} (${seconds(secondsTaken)})`;
}

/** `app: refresh started (open): scanning the folder` / `(changes): looking at 3 changed paths`. */
export function refreshStartedLine(name: string, reason: RefreshReason, changedPaths: number | undefined): string {
  const what = changedPaths === undefined ? 'scanning the folder' : `looking at ${plural(changedPaths, 'changed path')}`;
  return `${name}: refresh started (${reason}): ${what}`;
}

/** What a refresh did, and what the index holds after it. */
export function refreshFinishedLine(name: string, reason: RefreshReason, s: IndexSummary): string {
  const ended = s.cancelled ? 'refresh cancelled' : 'refresh finished';
  const embedded = s.mode === 'hybrid' ? ` (${s.chunksEmbedded} embedded, ${s.chunksFromCache} from the embedding cache)` : '';
  return (
    `${name}: ${ended} (${reason}) in ${seconds(s.seconds)}: ${plural(s.filesParsed, 'file')} added or changed, ${s.filesRemoved} removed${embedded}; ` +
    `the index holds ${plural(s.files, 'file')}, ${plural(s.chunks, 'chunk')}`
  );
}

/**
 * `app: skipped 42 paths: unsupported 30, too-large 5, binary 4, …` — the reasons as
 * `codescout status` names them, most frequent first; `skipped nothing` when none.
 */
export function skipSummaryLine(name: string, skipped: Partial<Record<SkipReason, number>>): string {
  const counts = Object.entries(skipped)
    .filter((e): e is [string, number] => typeof e[1] === 'number' && e[1] > 0)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  if (counts.length === 0) return `${name}: skipped nothing`;
  const total = counts.reduce((sum, [, n]) => sum + n, 0);
  return `${name}: skipped ${plural(total, 'path')}: ${counts.map(([reason, n]) => `${reason} ${n}`).join(', ')}`;
}

/** One line per skipped path (its path, reason and detail: never its contents), at most MAX_TRACE_LINES. */
export function skippedPathLines(name: string, skipped: readonly Skipped[]): string[] {
  const lines = skipped.slice(0, MAX_TRACE_LINES).map((s) => `${name}: skipped ${s.path}: ${s.reason}${s.detail ? ` (${s.detail})` : ''}`);
  if (skipped.length > MAX_TRACE_LINES) lines.push(`${name}: … and ${skipped.length - MAX_TRACE_LINES} more skipped paths`);
  return lines;
}

/**
 * A search or similar request's timing: the query's length, never its text (it may be the
 * user's code), the filters' count, and what came back.
 */
export function queryTimingLine(kind: 'search' | 'similar', p: QueryParams, answer: QueryResult | undefined, ms: number): string {
  const what = kind === 'search' ? `a query of ${plural(p.text.length, 'character')}` : `${plural(p.text.length, 'character')} of code`;
  const filters = (p.languages?.length ?? 0) + (p.paths?.length ?? 0);
  const scope = p.root === undefined ? 'every folder' : 'one folder';
  const outcome = answer ? `${plural(answer.hits.length, 'hit')}${answer.failures.length ? `, ${answer.failures.length} folder(s) failed` : ''}` : 'failed';
  return `${kind}: ${what}, top ${p.top}, ${plural(filters, 'filter')}, ${scope}: ${outcome} in ${Math.round(ms)} ms`;
}
