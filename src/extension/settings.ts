/**
 * The extension's settings (package.json contributes.configuration), read into the shapes
 * the engine process and the UI use. Pure: it sees configuration through `ConfigSource`,
 * which vscode.WorkspaceConfiguration satisfies.
 */
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { DEFAULT_MAX_FILE_BYTES } from '../engine/types';
import type { FolderOptions } from '../protocol/protocol';
import { DEFAULT_RESTART_AFTER_INDEXING } from '../server/restart-after-indexing';

export interface ConfigSource {
  get<T>(key: string): T | undefined;
}

export interface EditorSettings {
  maxResults: number;
  hoverEnabled: boolean;
  /** hovers at uses of a name too, not only at its definition */
  hoverCallSites: boolean;
  indexOnOpen: boolean;
}

export const DEFAULT_MAX_RESULTS = 20;

export function editorSettings(codescout: ConfigSource): EditorSettings {
  return {
    maxResults: integer(codescout.get('maxResults'), DEFAULT_MAX_RESULTS, 1, 200),
    hoverEnabled: codescout.get<boolean>('hover.enabled') !== false,
    hoverCallSites: codescout.get<boolean>('hover.callSites') === true,
    indexOnOpen: codescout.get<boolean>('indexOnOpen') !== false,
  };
}

/** The niceness the engine process takes when `codescout.lowerEnginePriority` is on (server/priority.ts). */
export const ENGINE_NICENESS = 10;

/** `codescout.restartEngineAboveMb`'s default: the engine's own (server/restart-after-indexing.ts). */
export const DEFAULT_RESTART_ABOVE_MB = DEFAULT_RESTART_AFTER_INDEXING.aboveBytes / (1024 * 1024);

/**
 * The engine process's command-line arguments that settings decide, read at every start of the
 * process: with `codescout.lowerEnginePriority` (default on), a lower scheduling priority, so that
 * indexing gives way to the editor; and `codescout.restartEngineAboveMb`, the memory above which
 * the process asks to be replaced after a large refresh (0: never).
 */
export function engineProcessArgs(codescout: ConfigSource): string[] {
  const nice = codescout.get<boolean>('lowerEnginePriority') === false ? [] : ['--nice', String(ENGINE_NICENESS)];
  const restartAboveMb = integer(codescout.get('restartEngineAboveMb'), DEFAULT_RESTART_ABOVE_MB, 0, 1024 * 1024);
  return [...nice, '--restart-above-mb', String(restartAboveMb)];
}

/**
 * How the folder at `root` is indexed: Code Scout's include/exclude globs plus every
 * `files.exclude` pattern that is switched on (patterns with a `when` condition are left
 * out: they depend on sibling files, which a glob cannot express).
 */
export function folderOptions(root: string, codescout: ConfigSource, files: ConfigSource): FolderOptions {
  return {
    include: globs(codescout.get('include')),
    exclude: [...globs(codescout.get('exclude')), ...switchedOn(files.get('exclude'))],
    maxFileBytes: integer(codescout.get('maxFileBytes'), DEFAULT_MAX_FILE_BYTES, 1, Number.MAX_SAFE_INTEGER),
    threads: integer(codescout.get('inferenceThreads'), 1, 1, 64),
    spelling: codescout.get<boolean>('correctSpelling') !== false,
    indexLocation: indexLocation(codescout.get('indexLocation'), root),
  };
}

/** `~` is the home folder; a relative location is taken relative to the workspace folder. */
function indexLocation(value: unknown, root: string): string {
  const text = typeof value === 'string' ? value.trim() : '';
  if (!text) return '';
  if (text === '~' || text.startsWith('~/')) return join(homedir(), text.slice(1));
  return isAbsolute(text) ? text : resolve(root, text);
}

/**
 * The patterns of a `files.exclude` object that are `true`. Its keys are the user's globs: only
 * its own entries count (never a name inherited from Object.prototype), and a value that is not
 * an object (a hand-edited setting) has none.
 */
function switchedOn(value: unknown): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [];
  return Object.entries(value)
    .filter(([glob, on]) => on === true && glob.trim() !== '')
    .map(([glob]) => glob);
}

function globs(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((g): g is string => typeof g === 'string' && g.trim() !== '').map((g) => g.trim()) : [];
}

function integer(value: unknown, fallback: number, min: number, max: number): number {
  return typeof value === 'number' && Number.isFinite(value) ? Math.min(max, Math.max(min, Math.round(value))) : fallback;
}
