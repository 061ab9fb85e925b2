/**
 * A stand-in for VS Code's LogOutputChannel (window.createOutputChannel(name, { log: true })),
 * for tests that run without an editor: it keeps what it shows, drops lines below its level as
 * VS Code does, and fires onDidChangeLogLevel when a test sets the level.
 */
import type * as vscode from 'vscode';

/** vscode.LogLevel's values (the module itself cannot be loaded outside VS Code). */
export const LogLevel = { Off: 0, Trace: 1, Debug: 2, Info: 3, Warning: 4, Error: 5 } as const;

const METHOD_LEVEL = new Map<string, number>([
  ['trace', LogLevel.Trace],
  ['debug', LogLevel.Debug],
  ['info', LogLevel.Info],
  ['warn', LogLevel.Warning],
  ['error', LogLevel.Error],
]);

export class FakeLogChannel implements vscode.LogOutputChannel {
  readonly name = 'Code Scout';
  /** the lines shown, as `level message` ('raw' for append/appendLine) */
  readonly shown: string[] = [];
  shows = 0;
  disposed = false;
  private level: vscode.LogLevel = LogLevel.Info;
  private readonly listeners = new Set<(level: vscode.LogLevel) => void>();

  get logLevel(): vscode.LogLevel {
    return this.level;
  }

  /** As the user does with "Developer: Set Log Level…". */
  setLevel(level: vscode.LogLevel): void {
    this.level = level;
    for (const listener of this.listeners) listener(level);
  }

  readonly onDidChangeLogLevel: vscode.Event<vscode.LogLevel> = (listener) => {
    const bound = (level: vscode.LogLevel) => listener(level);
    this.listeners.add(bound);
    return { dispose: () => this.listeners.delete(bound) };
  };

  trace(message: string): void {
    this.write('trace', message);
  }
  debug(message: string): void {
    this.write('debug', message);
  }
  info(message: string): void {
    this.write('info', message);
  }
  warn(message: string): void {
    this.write('warn', message);
  }
  error(error: string | Error): void {
    this.write('error', typeof error === 'string' ? error : error.message);
  }
  append(value: string): void {
    this.shown.push(`raw ${value}`);
  }
  appendLine(value: string): void {
    this.shown.push(`raw ${value}`);
  }
  replace(value: string): void {
    this.shown.splice(0, this.shown.length, `raw ${value}`);
  }
  clear(): void {
    this.shown.length = 0;
  }
  show(): void {
    this.shows++;
  }
  hide(): void {}
  dispose(): void {
    this.disposed = true;
  }

  private write(method: string, message: string): void {
    if (this.level !== LogLevel.Off && METHOD_LEVEL.get(method)! >= this.level) this.shown.push(`${method} ${message}`);
  }
}
