/**
 * The "Code Scout" output channel, a LogOutputChannel: what the engine process logs goes in at
 * its own level, the engine process is told the channel's level (so that it sends only what
 * the channel shows), its stderr goes in line by line, and the last lines the channel showed
 * are kept for `codescout.internal.state` (end-to-end tests read them there).
 *
 * No value is imported from 'vscode' here (types only), so that tests run it without an editor.
 */
import type * as vscode from 'vscode';
import type { LogLevel } from '../protocol/protocol';

/**
 * vscode.LogLevel's values, as the engine's level names: Off 0, Trace 1, Debug 2, Info 3,
 * Warning 4, Error 5 (the numbers are VS Code's API and do not change).
 */
const LEVEL_NAMES = new Map<number, LogLevel | 'off'>([
  [0, 'off'],
  [1, 'trace'],
  [2, 'debug'],
  [3, 'info'],
  [4, 'warn'],
  [5, 'error'],
]);
/** The reverse: the vscode.LogLevel value of each of the engine's levels. */
const LEVEL_VALUES = new Map<string, number>([...LEVEL_NAMES].filter(([, name]) => name !== 'off').map(([value, name]) => [name, value]));

/** The level to ask the engine process for: the channel's (an unknown value reads as Info, VS Code's default). */
export function engineLogLevel(level: vscode.LogLevel): LogLevel | 'off' {
  return LEVEL_NAMES.get(level) ?? 'info';
}

/** The engine's level of a Log notification: one of the five names, else 'info' (the notification is the engine's, but is not trusted further). */
export function logLevelOf(level: unknown): LogLevel {
  return typeof level === 'string' && LEVEL_VALUES.has(level) ? (level as LogLevel) : 'info';
}

/** Whether a channel at `channelLevel` shows a line at `level` (VS Code's rule: Off shows nothing). */
export function shows(channelLevel: vscode.LogLevel, level: LogLevel): boolean {
  return channelLevel !== 0 && LEVEL_VALUES.get(level)! >= channelLevel;
}

/** Writes `message` to the channel with the method of its level. */
export function logAt(channel: vscode.LogOutputChannel, level: LogLevel, message: string): void {
  switch (level) {
    case 'error':
      return channel.error(message);
    case 'warn':
      return channel.warn(message);
    case 'info':
      return channel.info(message);
    case 'debug':
      return channel.debug(message);
    case 'trace':
      return channel.trace(message);
  }
}

export interface LogLine {
  level: LogLevel;
  message: string;
}

/** Lines longer than this are kept cut, with an ellipsis (the channel has them whole). */
export const MAX_KEPT_LINE = 2000;
/** Lines the ring keeps by default. */
export const LOG_RING_LINES = 500;

/** The last `capacity` lines, oldest first. */
export class LogRing {
  private readonly ring: LogLine[] = [];
  private next = 0;

  constructor(readonly capacity = LOG_RING_LINES) {}

  push(level: LogLevel, message: string): void {
    const line = { level, message: message.length > MAX_KEPT_LINE ? `${message.slice(0, MAX_KEPT_LINE - 1)}…` : message };
    if (this.ring.length < this.capacity) this.ring.push(line);
    else this.ring[this.next] = line;
    this.next = (this.next + 1) % this.capacity;
  }

  lines(): LogLine[] {
    return this.ring.length < this.capacity ? [...this.ring] : [...this.ring.slice(this.next), ...this.ring.slice(0, this.next)];
  }
}

/**
 * A LogOutputChannel that also keeps, in a ring, each line it shows (the lines below its log
 * level are dropped by VS Code, and not kept either). Everything else is the channel's.
 */
export class RecordingLogChannel implements vscode.LogOutputChannel {
  constructor(
    private readonly channel: vscode.LogOutputChannel,
    readonly ring: LogRing = new LogRing(),
  ) {}

  get name(): string {
    return this.channel.name;
  }

  get logLevel(): vscode.LogLevel {
    return this.channel.logLevel;
  }

  get onDidChangeLogLevel(): vscode.Event<vscode.LogLevel> {
    return this.channel.onDidChangeLogLevel;
  }

  /** The channel's level by name: 'off', 'trace', …, 'error'. */
  get levelName(): LogLevel | 'off' {
    return engineLogLevel(this.channel.logLevel);
  }

  trace(message: string, ...args: unknown[]): void {
    this.keep('trace', message);
    this.channel.trace(message, ...args);
  }

  debug(message: string, ...args: unknown[]): void {
    this.keep('debug', message);
    this.channel.debug(message, ...args);
  }

  info(message: string, ...args: unknown[]): void {
    this.keep('info', message);
    this.channel.info(message, ...args);
  }

  warn(message: string, ...args: unknown[]): void {
    this.keep('warn', message);
    this.channel.warn(message, ...args);
  }

  error(error: string | Error, ...args: unknown[]): void {
    this.keep('error', typeof error === 'string' ? error : error.message);
    this.channel.error(error, ...args);
  }

  append(value: string): void {
    this.channel.append(value);
  }

  appendLine(value: string): void {
    this.keep('info', value);
    this.channel.appendLine(value);
  }

  replace(value: string): void {
    this.channel.replace(value);
  }

  clear(): void {
    this.channel.clear();
  }

  show(preserveFocus?: boolean): void;
  show(column?: vscode.ViewColumn, preserveFocus?: boolean): void;
  show(first?: boolean | vscode.ViewColumn, preserveFocus?: boolean): void {
    if (typeof first === 'boolean' || first === undefined) this.channel.show(first);
    else this.channel.show(first, preserveFocus);
  }

  hide(): void {
    this.channel.hide();
  }

  dispose(): void {
    this.channel.dispose();
  }

  private keep(level: LogLevel, message: string): void {
    if (shows(this.channel.logLevel, level)) this.ring.push(level, message);
  }
}

/** Longest stderr line held back waiting for its end; a longer one is passed on in parts. */
export const MAX_PENDING_LINE = 64 * 1024;

/**
 * Cuts the engine's stderr into log lines: it arrives in chunks that split lines. Empty lines and
 * line ends are dropped, and a line is cut at {@link MAX_PENDING_LINE}. (The MCP relay's
 * `LineSplitter`, src/cli/mcp-relay.ts, does another job: it passes bytes on unchanged.)
 */
export class StderrLines {
  private pending = '';

  /** The lines this chunk completes (without their line ends; empty lines dropped). */
  push(chunk: string): string[] {
    const parts = (this.pending + chunk).split(/\r?\n/);
    this.pending = parts.pop()!;
    // a line that does not end is passed on in parts of MAX_PENDING_LINE, the rest held back
    while (this.pending.length > MAX_PENDING_LINE) {
      parts.push(this.pending.slice(0, MAX_PENDING_LINE));
      this.pending = this.pending.slice(MAX_PENDING_LINE);
    }
    return parts.filter((line) => line.trim() !== '');
  }

  /** The last, unfinished line, if any (the stream ended). */
  end(): string | undefined {
    const rest = this.pending;
    this.pending = '';
    return rest.trim() === '' ? undefined : rest;
  }
}
