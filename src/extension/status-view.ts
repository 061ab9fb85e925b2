/**
 * What the status bar item and the sidebar's status line say, from the folders' states and
 * the engine process's state. Pure, so every state can be tested.
 */
import type { FolderStatus } from '../protocol/protocol';

/** The engine process, as the extension sees it. */
export type EngineState = 'stopped' | 'starting' | 'running' | 'restarting' | 'failed';

export type StatusLevel = 'ready' | 'busy' | 'warning' | 'error';

export interface StatusView {
  /** status bar text, with codicons */
  text: string;
  /** the same without codicons, for the sidebar */
  plain: string;
  tooltip: string;
  level: StatusLevel;
  indexing: boolean;
}

const LEXICAL_ONLY = 'No embedding model is installed: search matches words, not meaning.';

export function statusView(folders: readonly FolderStatus[], engine: EngineState): StatusView {
  if (engine === 'failed') {
    return view('$(error)', 'engine stopped', 'The Code Scout engine stopped after repeated crashes. Click for actions.', 'error', false);
  }
  if (engine === 'restarting') {
    return view('$(sync~spin)', 'restarting', 'The Code Scout engine is restarting.', 'busy', false);
  }
  if (folders.length === 0) {
    return view('$(search)', engine === 'stopped' ? 'idle' : 'starting', 'Code Scout: open a folder to index it.', 'ready', false);
  }
  const details = folders.map(folderLine);
  if (folders.some((f) => f.mode === 'lexical-only' && f.state !== 'opening')) details.push(LEXICAL_ONLY);
  const tooltip = details.join('\n');

  const indexing = folders.filter((f) => f.state === 'indexing');
  if (indexing.length) {
    const percent = Math.floor(indexing.reduce((sum, f) => sum + (f.progress?.percent ?? 0), 0) / indexing.length);
    return view('$(sync~spin)', `indexing ${percent}%`, tooltip, 'busy', true);
  }
  if (folders.some((f) => f.state === 'error')) return view('$(error)', 'error', tooltip, 'error', false);
  if (folders.some((f) => f.state === 'opening')) return view('$(sync~spin)', 'opening', tooltip, 'busy', false);
  if (folders.some((f) => f.state === 'stale')) return view('$(warning)', 'stale', tooltip, 'warning', false);
  const definitions = folders.reduce((sum, f) => sum + f.contents.definitions, 0);
  return view('$(search)', `${count(definitions)} ${definitions === 1 ? 'function' : 'functions'}`, tooltip, 'ready', false);
}

/** One folder, in words: `repo: ready, 1,204 functions in 310 files`. */
export function folderLine(f: FolderStatus): string {
  const size = `${count(f.contents.definitions)} functions in ${count(f.contents.files)} files`;
  switch (f.state) {
    case 'opening':
      return `${f.name}: opening the index`;
    case 'indexing': {
      const p = f.progress;
      const step = p && p.total > 0 ? ` (${p.phase} ${count(p.done)}/${count(p.total)})` : p ? ` (${p.phase})` : '';
      return `${f.name}: indexing ${p?.percent ?? 0}%${step}, ${size} so far`;
    }
    case 'ready':
      return `${f.name}: ready, ${size}`;
    case 'stale':
      return `${f.name}: stale (${f.refreshes ? 'indexing was cancelled' : 'not indexed this session'}), ${size}; run Reindex`;
    case 'error':
      return `${f.name}: error: ${f.lastError ?? 'unknown'}`;
  }
}

function view(icon: string, words: string, tooltip: string, level: StatusLevel, indexing: boolean): StatusView {
  return { text: `${icon} Code Scout: ${words}`, plain: `Code Scout: ${words}`, tooltip, level, indexing };
}

function count(n: number): string {
  return n.toLocaleString('en-US');
}
