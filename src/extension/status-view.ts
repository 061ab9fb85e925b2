/**
 * What the status bar item, its tooltip and the sidebar's state line say, from the workspace,
 * the folders' states and the engine process's state. Each state has its own words and the
 * actions that make sense in it (issue: honest states). Pure, so every state can be tested.
 */
import type { FolderStatus } from '../protocol/protocol';

/** The engine process, as the extension sees it. */
export type EngineState = 'stopped' | 'starting' | 'running' | 'restarting' | 'failed';

export type StatusLevel = 'ready' | 'busy' | 'warning' | 'error';

/** The state the workspace is in, from the user's point of view. */
export type StatusKind =
  /** no folder is open: nothing to index */
  | 'no-folder'
  /** folders are open but indexing on open is off and nothing was indexed yet */
  | 'not-indexed'
  | 'starting'
  | 'opening'
  /** a first index, a Reindex, or an index opened stale being brought up to date */
  | 'indexing'
  | 'ready'
  /** ready, and the last Reindex the user asked for found nothing to do */
  | 'up-to-date'
  /** ready, but no embedding model could be loaded: words only */
  | 'no-model'
  | 'stale'
  | 'error'
  | 'restarting'
  | 'engine-failed';

/** An action a state offers; `command` is one of {@link STATUS_ACTIONS}. */
export interface StatusAction {
  label: string;
  command: StatusCommand;
}

/** The commands a state may offer (the sidebar runs only these). */
export const STATUS_ACTIONS = ['openFolder', 'reindex', 'cancel', 'showStatus', 'restartEngine', 'openSettings', 'showLog'] as const;
export type StatusCommand = (typeof STATUS_ACTIONS)[number];

export interface StatusView {
  kind: StatusKind;
  /** status bar text, with codicons */
  text: string;
  /** the same without codicons */
  plain: string;
  /** the sidebar's state line: a sentence */
  message: string;
  tooltip: string;
  level: StatusLevel;
  indexing: boolean;
  /** Reindex makes sense: a folder is open and no index is being built */
  canReindex: boolean;
  actions: StatusAction[];
}

export interface WorkspaceState {
  /** local folders open in the workspace (statuses may not have arrived yet) */
  folderCount: number;
  folders: readonly FolderStatus[];
  engine: EngineState;
  /** the `codescout.indexOnOpen` setting */
  indexOnOpen: boolean;
  /** a Reindex was asked for and its refresh has not begun: a folder not brought up to date is about to be */
  reindexPending?: boolean;
}

const NO_MODEL = 'No embedding model could be loaded: search matches words, not meaning.';

const OPEN_FOLDER: StatusAction = { label: 'Open Folder…', command: 'openFolder' };
const REINDEX: StatusAction = { label: 'Reindex', command: 'reindex' };
const INDEX_NOW: StatusAction = { label: 'Index Workspace', command: 'reindex' };
const CANCEL: StatusAction = { label: 'Cancel', command: 'cancel' };
const DETAILS: StatusAction = { label: 'Show Status', command: 'showStatus' };
const RESTART: StatusAction = { label: 'Restart Engine', command: 'restartEngine' };
const SHOW_LOG: StatusAction = { label: 'Show Log', command: 'showLog' };

export function statusView(w: WorkspaceState): StatusView {
  const { folders, engine } = w;
  if (w.folderCount === 0) {
    return view('no-folder', '$(search)', 'no folder', 'No folder is open. Open a folder to search its code.', 'Code Scout: no folder is open. Open a folder to search its code.', 'ready', [OPEN_FOLDER]);
  }
  if (engine === 'failed') {
    return view('engine-failed', '$(error)', 'engine stopped', 'The Code Scout engine stopped after repeated crashes.', 'The Code Scout engine stopped after repeated crashes. Click for actions.', 'error', [RESTART, SHOW_LOG]);
  }
  if (engine === 'restarting') return view('restarting', '$(sync~spin)', 'restarting', 'The engine is restarting…', 'The Code Scout engine is restarting.', 'busy', []);
  if (folders.length === 0) {
    if (engine === 'stopped' && !w.indexOnOpen) return notIndexedView(w, undefined);
    return view('starting', '$(sync~spin)', 'starting', 'Starting the engine…', 'Code Scout: starting the engine.', 'busy', []);
  }

  const details = folders.map(folderLine);
  const noModel = folders.some((f) => f.mode === 'lexical-only' && f.state !== 'opening');
  if (noModel) details.push(NO_MODEL);
  const tooltip = details.join('\n');

  // a refresh for a few saved or changed files is not "indexing": the index stays complete
  const building = folders.filter(isBuilding);
  if (building.length) {
    const percent = Math.floor(building.reduce((sum, f) => sum + (f.progress?.percent ?? 0), 0) / building.length);
    const partial = building.some((f) => f.partial);
    const message = `Indexing ${percent}%${partial ? ': results cover the part indexed so far.' : '.'}`;
    return { ...view('indexing', '$(sync~spin)', `indexing ${percent}%`, message, tooltip, 'busy', [CANCEL]), indexing: true, canReindex: false };
  }
  if (folders.some((f) => f.state === 'error')) {
    const first = folders.find((f) => f.state === 'error')!;
    return view('error', '$(error)', 'error', `The index of ${first.name} could not be used: ${first.lastError ?? 'unknown error'}.`, tooltip, 'error', [REINDEX, SHOW_LOG]);
  }
  if (folders.some((f) => f.state === 'opening')) return view('opening', '$(sync~spin)', 'opening', 'Opening the index…', tooltip, 'busy', []);
  if (folders.some((f) => f.state === 'stale') && w.reindexPending) {
    // the engine opened the index and the asked-for refresh is on its way: not a warning for that instant
    return { ...view('indexing', '$(sync~spin)', 'indexing 0%', 'Indexing 0%.', tooltip, 'busy', [CANCEL]), indexing: true, canReindex: false };
  }
  // the engine runs (a search or an agent started it) but nothing was ever indexed: not "may be out of date"
  if (folders.every(neverIndexed)) return notIndexedView(w, tooltip);
  if (folders.some((f) => f.state === 'stale')) {
    const stale = folders.filter((f) => f.state === 'stale');
    if (stale.every(neverIndexed)) {
      const names = stale.map((f) => f.name).join(', ');
      return view('stale', '$(warning)', 'not all indexed', `Not indexed yet: ${names}. Run Reindex to index ${stale.length === 1 ? 'it' : 'them'}.`, tooltip, 'warning', [REINDEX]);
    }
    const why = stale.every((f) => f.refreshes > 0) ? 'indexing was cancelled' : 'it was not brought up to date this session';
    return view('stale', '$(warning)', 'stale', `The index may be out of date: ${why}.`, tooltip, 'warning', [REINDEX]);
  }
  const definitions = folders.reduce((sum, f) => sum + f.contents.definitions, 0);
  const size = `${count(definitions)} ${definitions === 1 ? 'function' : 'functions'}`;
  if (noModel) return view('no-model', '$(search)', `${size}, words only`, `${NO_MODEL} ${cap(size)} indexed.`, tooltip, 'warning', [DETAILS]);
  if (folders.every(upToDate)) return view('up-to-date', '$(check)', size, `Index is up to date: ${size}.`, tooltip, 'ready', [REINDEX]);
  return view('ready', '$(search)', size, `${cap(size)} indexed.`, tooltip, 'ready', [REINDEX]);
}

/**
 * A workspace with nothing indexed: before the engine started (indexing on open off), or since
 * (`folderLines`, the tooltip's lines for the folders it reports).
 */
function notIndexedView(w: WorkspaceState, folderLines: string | undefined): StatusView {
  const message = `This workspace is not indexed${w.indexOnOpen ? '' : ': indexing on open is off (setting Code Scout: Index On Open)'}.`;
  const hint = 'Run Reindex to index it (a search answers from what is indexed, here nothing).';
  const tooltip = folderLines === undefined ? `Code Scout: ${message} ${hint}` : `${folderLines}\n${hint}`;
  return view('not-indexed', '$(search)', 'not indexed', message, tooltip, 'ready', [INDEX_NOW]);
}

/**
 * A folder with no saved index that no refresh has run on this session: never indexed (indexing
 * on open is off, and no Reindex was asked for), as opposed to one indexed before, an empty
 * folder's index included, whose changes this session has not looked at.
 */
export function neverIndexed(f: FolderStatus): boolean {
  return f.state === 'stale' && f.refreshes === 0 && f.neverSaved === true;
}

/** Whether a search can find nothing because nothing is indexed: folders are open, and none was ever indexed. */
export function nothingIndexed(w: WorkspaceState): boolean {
  return w.folders.length > 0 && w.folders.every(neverIndexed);
}

/**
 * Whether Cancel Indexing would stop something: a folder is building its index (a first index, a
 * Reindex). A routine refresh after a save is not cancelled (server FolderIndex.cancel), so it is not offered for one.
 */
export function canCancelIndexing(folders: readonly FolderStatus[]): boolean {
  return folders.some(isBuilding);
}

/** Building an index the user waits for: a first index, a Reindex, or an opened index brought up to date; not a refresh for changed files. */
function isBuilding(f: FolderStatus): boolean {
  return f.state === 'indexing' && (f.partial || f.progress?.reason !== 'changes');
}

/** The last refresh was a Reindex the user asked for, and it found nothing to do. */
function upToDate(f: FolderStatus): boolean {
  const r = f.lastRefresh;
  return f.state === 'ready' && !!r && r.reason === 'user' && !r.cancelled && r.filesParsed === 0 && r.filesRemoved === 0;
}

/** One folder, in words: `repo: ready, 1,204 functions in 310 files`. */
export function folderLine(f: FolderStatus): string {
  const size = `${count(f.contents.definitions)} functions in ${count(f.contents.files)} files`;
  switch (f.state) {
    case 'opening':
      return `${f.name}: opening the index`;
    case 'indexing': {
      const p = f.progress;
      if (!isBuilding(f)) return `${f.name}: ready, ${size}; updating ${p && p.total > 0 ? `${count(p.total)} changed ${p.total === 1 ? 'file' : 'files'}` : 'changed files'}`;
      const step = p && p.total > 0 ? ` (${p.phase} ${count(p.done)}/${count(p.total)})` : p ? ` (${p.phase})` : '';
      return `${f.name}: indexing ${p?.percent ?? 0}%${step}, ${size} so far`;
    }
    case 'ready':
      // another process (the CLI, another window) builds or updates the index: this one takes it over once that is done
      if (f.otherWriter) return `${f.name}: another process is updating the index, ${size} saved so far; taken over once it is done`;
      return `${f.name}: ${upToDate(f) ? 'up to date' : 'ready'}, ${size}`;
    case 'stale':
      if (neverIndexed(f)) return `${f.name}: not indexed; run Reindex`;
      return `${f.name}: stale (${f.refreshes ? 'indexing was cancelled' : 'not indexed this session'}), ${size}; run Reindex`;
    case 'error':
      return `${f.name}: error: ${f.lastError ?? 'unknown'}`;
  }
}

function view(kind: StatusKind, icon: string, words: string, message: string, tooltip: string, level: StatusLevel, actions: StatusAction[]): StatusView {
  const canReindex = kind !== 'no-folder' && kind !== 'engine-failed' && kind !== 'restarting';
  return { kind, text: `${icon} Code Scout: ${words}`, plain: `Code Scout: ${words}`, message, tooltip, level, indexing: false, canReindex, actions };
}

function count(n: number): string {
  return n.toLocaleString('en-US');
}

function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
