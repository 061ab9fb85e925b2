/**
 * The editor benchmark's extension-host side (bench/editor.ts starts it in code-server): what a user
 * feels while Code Scout indexes a large workspace. Not a test: it asserts nothing about speed, it
 * measures and writes the figures to CODESCOUT_BENCH_OUT (JSON), and prints a summary.
 *
 * 1. While the first (cold) index runs: rounds of typing into an open editor (each key's
 *    input-to-render latency, measured in the page) and of palette searches (the extension's own
 *    time to first result, from the keystroke; its typing debounce included).
 * 2. When the index has reached a share of the workspace (CODESCOUT_BENCH_KILL_AT, default 0.4 of
 *    the files) and has run CODESCOUT_BENCH_KILL_AFTER_MS (default 25 s, past the engine's first
 *    checkpoint): `kill -9` of the engine process. Then: how long until a new engine runs, until a
 *    palette search shows results again (retried every 2 s), and whether indexing resumes from the last commit (the files the
 *    resumed refresh parses, against the workspace's files). Rounds go on while it indexes.
 * 3. Throughout, every 100 ms: each engine process's memory (resident, and its peak) and the
 *    folder's status while it ran (EngineWatch). The process that completes a large index asks to
 *    be replaced (server/restart-after-indexing.ts): its memory when last seen, when its successor
 *    ran, and the successor's memory after the idle rounds.
 * 4. The same rounds with the editor idle, for the baseline.
 *
 * Typing goes into an unsaved editor, which is reverted at the end: the workspace is not changed.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { sep } from 'node:path';
import * as vscode from 'vscode';
import { PALETTE_QUERIES } from '../../../bench/palette-queries';
import { percentile } from '../../../src/extension/latency';
import { EXTENSION_ID, waitUntil } from '../suite/helpers';
import { ui } from '../suite/ui';

const QUICK_INPUT = '.quick-input-widget input';
const KEYS = 'abcdefghijklmnopqrst';
/** Between keys: a brisk typist's pace. */
const KEY_INTERVAL_MS = 90;
/** Queries of the palette rounds (shared with bench/engine-while-indexing.ts). */
const QUERIES = PALETTE_QUERIES;
const IDLE_ROUNDS = 8;
/** Waits for a palette search's result rows before it counts as unanswered. */
const SEARCH_TIMEOUT_MS = 30_000;
/** After the kill, searches are retried this often until one shows results. */
const AFTER_KILL_SEARCH_TIMEOUT_MS = 2_000;
/** No kill before the index has run this long: its first checkpoint comes after 15 s (engine/indexer.ts). */
const DEFAULT_KILL_AFTER_MS = 25_000;

interface FolderState {
  state: string;
  percent: number | null;
  files: number;
  chunks: number;
  partial: boolean;
  lastRefresh: { reason: string; filesParsed: number; filesRemoved: number; chunksEmbedded: number; cancelled: boolean } | null;
}
interface State {
  engine: { state: string; pid: number | null; restarts: number; replacements: number };
  folders: FolderState[];
  metrics: { timeToFirstResult: { samples: number[] }; searchLatency: { samples: number[] } };
  log: { lines: unknown[] };
}

const state = () => vscode.commands.executeCommand<State>('codescout.internal.state');
const folder = async () => (await state()).folders[0];
const elapsed = (since: number) => Math.round(performance.now() - since);

interface Round {
  /** ms since the benchmark started */
  at: number;
  /** the folder's state and progress when the round began */
  folder: { state: string; percent: number | null; files: number };
  /** each key's latency (ms); null for a key whose change the page did not see within 5 s */
  keys: (number | null)[];
  /** time to first result (ms), or null when no result came within SEARCH_TIMEOUT_MS */
  search: { query: string; firstResultMs: number | null; engineMs: number | null; shown?: string };
}

/** Focuses the benchmark's editor and types KEYS into it, answering each key's latency. */
async function typeRound(editor: vscode.TextEditor): Promise<(number | null)[]> {
  // while the window starts, something else may hold the focus for a moment: focus again and retry
  for (let attempt = 1; ; attempt++) {
    await vscode.window.showTextDocument(editor.document, { preview: false, preserveFocus: false });
    await vscode.commands.executeCommand('workbench.action.focusActiveEditorGroup');
    try {
      return await ui.typeLatency(KEYS, KEY_INTERVAL_MS);
    } catch (err) {
      if (attempt >= 20 || !/no focused editor/.test((err as Error).message)) throw err;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

/** One palette search: the extension's time to first result for it, or null. */
async function searchRound(query: string, timeoutMs = SEARCH_TIMEOUT_MS): Promise<Round['search']> {
  const before = (await state()).metrics.timeToFirstResult.samples;
  const seen = { length: before.length, last: before.at(-1) };
  void vscode.commands.executeCommand('codescout.search');
  if (!(await ui.waitFor('workbench', QUICK_INPUT))) throw new Error('the search QuickPick did not open');
  await ui.fill('workbench', QUICK_INPUT, query);
  let result: Round['search'] = { query, firstResultMs: null, engineMs: null };
  try {
    result = await waitUntil(`results for "${query}"`, timeoutMs, async () => {
      const { metrics } = await state();
      // the samples list keeps the last 1,000: a new sample shows as a longer list or, once full, a new tail
      const first = metrics.timeToFirstResult.samples;
      if (first.length === seen.length && first.at(-1) === seen.last) return undefined;
      return { query, firstResultMs: first.at(-1) ?? null, engineMs: metrics.searchLatency.samples.at(-1) ?? null };
    });
  } catch {
    // unanswered within the limit: recorded as null, with what the QuickPick said instead
    result.shown = (await ui.texts('workbench', '.quick-input-title')).join(' ');
  }
  await ui.press('Escape');
  return result;
}

async function round(editor: vscode.TextEditor, started: number, n: number): Promise<Round> {
  const f = await folder();
  const at = elapsed(started);
  const keys = await typeRound(editor);
  const search = await searchRound(QUERIES[n % QUERIES.length]);
  return { at, folder: { state: f.state, percent: f.percent, files: f.files }, keys, search };
}

function summary(label: string, rounds: Round[]): string {
  const typed = rounds.flatMap((r) => r.keys);
  const keys = typed.filter((k): k is number => k !== null).sort((a, b) => a - b);
  const searches = rounds.map((r) => r.search.firstResultMs).filter((v): v is number => v !== null).sort((a, b) => a - b);
  const q = (sorted: number[], p: number) => (sorted.length ? percentile(sorted, p).toFixed(1) : '–');
  const unanswered = rounds.length - searches.length;
  return `# ${label}: ${rounds.length} rounds; keystrokes n=${keys.length}${typed.length > keys.length ? ` (${typed.length - keys.length} not seen)` : ''} p50=${q(keys, 50)} p90=${q(keys, 90)} max=${q(keys, 100)} ms; palette search n=${searches.length} median=${q(searches, 50)} max=${q(searches, 100)} ms${unanswered ? `, ${unanswered} unanswered` : ''}`;
}

export async function run(): Promise<void> {
  const out = process.env.CODESCOUT_BENCH_OUT;
  if (!out) throw new Error('CODESCOUT_BENCH_OUT is not set: run the benchmark with bench/editor.ts');
  const killAt = Number(process.env.CODESCOUT_BENCH_KILL_AT ?? '0.4');
  const killAfterMs = Number(process.env.CODESCOUT_BENCH_KILL_AFTER_MS ?? DEFAULT_KILL_AFTER_MS);
  const typeInto = process.env.CODESCOUT_BENCH_FILE;
  const started = performance.now();
  const extension = vscode.extensions.getExtension(EXTENSION_ID);
  if (!extension) throw new Error(`${EXTENSION_ID} is not installed`);
  await extension.activate();

  const [uri] = typeInto
    ? [vscode.Uri.joinPath(vscode.workspace.workspaceFolders![0].uri, typeInto)]
    : await vscode.workspace.findFiles('**/*.{py,go,java,ts,js,rs,rb,php,c,cpp}', undefined, 1);
  if (!uri) throw new Error('no file to type into (set CODESCOUT_BENCH_FILE)');
  const editor = await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri), { preview: false });
  const end = editor.document.lineAt(editor.document.lineCount - 1).range.end;
  editor.selection = new vscode.Selection(end, end);
  await editor.edit((e) => e.insert(end, '\n# '));

  const first = await waitUntil('the workspace folder to appear in Code Scout', 120_000, folder);
  await ui.log(`# workspace: ${vscode.workspace.workspaceFolders![0].uri.fsPath}; typing into ${vscode.workspace.asRelativePath(uri)}; folder ${first.state}`);

  const watch = new EngineWatch(started);
  const indexing: Round[] = [];
  const afterKill: Round[] = [];
  let kill: Kill | undefined;
  let n = 0;
  let totalFiles: number | undefined;
  let indexingSince: number | undefined;
  let resumed: FolderState['lastRefresh'] | undefined;
  for (;;) {
    const f = await folder();
    if (f.state === 'ready' && !f.partial) {
      totalFiles = f.files;
      // the refresh that completed the index (after a kill, the resumed one), seen as it completed: later ones (the typing) would replace it
      resumed = f.lastRefresh;
      break;
    }
    indexingSince ??= f.state === 'indexing' ? performance.now() : undefined;
    if (!kill && f.percent !== null && f.percent >= killAt * 100 && indexingSince !== undefined && elapsed(indexingSince) >= killAfterMs) {
      kill = await killEngine(started, f);
      continue;
    }
    (kill ? afterKill : indexing).push(await round(editor, started, n++));
    if (elapsed(started) > 40 * 60_000) throw new Error('the workspace was not indexed within 40 minutes');
  }
  const indexedAt = elapsed(started);
  // the process that completed the index: the last one whose folder was complete and had parsed files
  const completedBy = [...watch.processes].reverse().find((p) => p.lastReady && (p.lastReady.lastRefresh?.filesParsed ?? 0) > 0);
  resumed = kill ? (completedBy?.lastReady?.lastRefresh ?? resumed) : resumed;
  // it asks to be replaced once idle: wait for its successor (a minute at most)
  const successor = await waitUntil('the engine to be replaced', 60_000, () => watch.processes.find((p) => p.pid !== completedBy?.pid && p.firstSeenMs >= (completedBy?.firstSeenMs ?? 0) && p.lastReady)).catch(() => undefined);
  const idle: Round[] = [];
  for (let i = 0; i < IDLE_ROUNDS; i++) idle.push(await round(editor, started, n++));
  await new Promise((resolve) => setTimeout(resolve, 300));
  watch.stop();
  const last = watch.processes.at(-1);
  const engineAtIndexed = completedBy ? { pid: completedBy.pid, rssMb: completedBy.rssMb, peakMb: completedBy.peakMb, lastSeenMs: completedBy.lastSeenMs } : null;
  const replacement = successor ? { pid: successor.pid, runningMs: successor.firstSeenMs, readyMs: successor.readySeenMs ?? null } : null;
  const engineAfterIdle = last ? { pid: last.pid, rssMb: last.rssMb, peakMb: last.peakMb } : null;

  await vscode.commands.executeCommand('workbench.action.files.revert');
  const result = {
    workspaceFiles: totalFiles,
    chunks: (await folder()).chunks,
    indexedAtMs: indexedAt,
    killAtShare: killAt,
    kill: kill ? { ...kill, resumedRefresh: resumed } : null,
    engineAtIndexed,
    replacement,
    engineAfterIdle,
    /** every engine process the watch saw */
    engineProcesses: watch.processes,
    indexing,
    afterKill,
    idle,
    /** the Code Scout log's last lines, for reading what happened */
    log: (await state()).log.lines,
  };
  writeFileSync(out, JSON.stringify(result, null, 1));
  await ui.log(summary('while indexing, before the kill', indexing));
  await ui.log(summary('while indexing, after the kill', afterKill));
  await ui.log(summary('idle', idle));
  if (kill) {
    await ui.log(`# kill -9 at ${kill.percent} % (${kill.atMs} ms): a new engine after ${kill.restartMs} ms; ` +
      `first answered search ${kill.searchAnsweredMs} ms after the kill; the resumed refresh parsed ${resumed?.filesParsed ?? '?'} of ${totalFiles} files`);
  } else {
    await ui.log(`# no kill -9: the index completed before it was past ${killAt * 100} % and ${killAfterMs} ms in (a larger workspace, or --kill-at, makes room for it)`);
  }
  await ui.log(
    `# the engine that completed the index (pid ${engineAtIndexed?.pid ?? '?'}): ${engineAtIndexed?.rssMb ?? '?'} MB resident when last seen ` +
      `(${engineAtIndexed?.lastSeenMs ?? '?'} ms), ${engineAtIndexed?.peakMb ?? '?'} MB at its peak; ` +
      (replacement ? `a new process (pid ${replacement.pid}) seen running at ${replacement.runningMs} ms; ` : 'not replaced within a minute; ') +
      `after the idle rounds: pid ${engineAfterIdle?.pid ?? '?'}, ${engineAfterIdle?.rssMb ?? '?'} MB resident, ${engineAfterIdle?.peakMb ?? '?'} MB at its peak`,
  );
  await ui.log(`# index complete ${indexedAt} ms after the window opened; figures in ${out}`);
}

/** What the kill did: when, and how the engine came back. */
interface Kill {
  /** ms since the benchmark started */
  atMs: number;
  percent: number | null;
  filesBefore: number;
  chunksBefore: number;
  pidBefore: number;
  pidAfter: number | null;
  restartMs: number;
  /** ms from the kill to the first palette search that showed results */
  searchAnsweredMs: number | null;
  searches: Array<Round['search'] & { atMs: number }>;
  stateAfterRestart: { state: string; percent: number | null; files: number };
}

/** kill -9 of the engine; answers when it runs again and a palette search has answered. */
async function killEngine(started: number, f: FolderState): Promise<Kill> {
  const before = (await state()).engine;
  if (!before.pid || before.state !== 'running') throw new Error(`no engine process to kill (${before.state})`);
  // the pid is the extension's word for it: make sure it is still the engine (dist/server.js) before killing it
  const commandLine = readFileSync(`/proc/${before.pid}/cmdline`, 'utf8').split('\0');
  if (!commandLine.some((arg) => arg.endsWith(`${sep}dist${sep}server.js`))) throw new Error(`process ${before.pid} is not the engine: ${commandLine.join(' ')}`);
  const killedAt = performance.now();
  process.kill(before.pid, 'SIGKILL');
  const after = await waitUntil('a new engine process', 120_000, async () => {
    const { engine } = await state();
    return engine.state === 'running' && engine.pid && engine.pid !== before.pid ? engine : undefined;
  });
  const restartMs = elapsed(killedAt);
  // the first palette search that answers after the kill, however long the engine takes to open the index
  let searchAnsweredMs: number | null = null;
  const searches: Kill['searches'] = [];
  while (searchAnsweredMs === null && elapsed(killedAt) < 10 * 60_000) {
    const s = await searchRound(QUERIES[searches.length % QUERIES.length], AFTER_KILL_SEARCH_TIMEOUT_MS);
    searches.push({ ...s, atMs: elapsed(killedAt) });
    if (s.firstResultMs !== null) searchAnsweredMs = elapsed(killedAt);
  }
  const resumedFrom = await folder();
  return {
    atMs: Math.round(killedAt - started),
    percent: f.percent,
    filesBefore: f.files,
    chunksBefore: f.chunks,
    pidBefore: before.pid,
    pidAfter: after.pid,
    restartMs,
    searchAnsweredMs,
    searches,
    stateAfterRestart: { state: resumedFrom.state, percent: resumedFrom.percent, files: resumedFrom.files },
  };
}


/** What the watch saw of one engine process. */
interface EngineSeen {
  pid: number;
  /** resident memory at the last look, and the process's peak (VmHWM) then, in MB */
  rssMb: number | null;
  peakMb: number | null;
  /** the last status of the folder while this process ran, and the last one that was ready */
  folder: FolderState | undefined;
  lastReady: FolderState | undefined;
  /** when this process was first and last seen running, and first seen with the folder ready, in ms since the benchmark started */
  firstSeenMs: number;
  readySeenMs?: number;
  lastSeenMs: number;
}

/**
 * Looks at the engine every 100 ms, in the background: each process's memory (from /proc) and the
 * folder's status while it ran. The round loop looks only between rounds (seconds apart), and the
 * engine replaces itself as soon as a large index is complete (server/restart-after-indexing.ts),
 * so what the process that completed the index held is known only from here.
 */
class EngineWatch {
  readonly processes: EngineSeen[] = [];
  private readonly timer: NodeJS.Timeout;
  private looking = false;

  constructor(private readonly started: number) {
    this.timer = setInterval(() => void this.look(), 100);
  }

  private async look(): Promise<void> {
    if (this.looking) return;
    this.looking = true;
    try {
      const { engine, folders } = await state();
      // while a process is replaced (or restarted) the folder's status is still the last one it sent
      let seen = engine.state === 'running' && engine.pid ? this.processes.find((p) => p.pid === engine.pid) : this.processes.at(-1);
      if (!seen) {
        if (engine.state !== 'running' || !engine.pid) return;
        seen = { pid: engine.pid, rssMb: null, peakMb: null, folder: undefined, lastReady: undefined, firstSeenMs: elapsed(this.started), lastSeenMs: 0 };
        this.processes.push(seen);
      }
      const memory = memoryOf(seen.pid);
      // an exited process not yet reaped (a zombie) has a status without memory lines: keep the last figures
      if (memory && memory.rssMb !== null) Object.assign(seen, memory);
      seen.folder = folders[0];
      if (folders[0]?.state === 'ready' && !folders[0].partial) {
        seen.lastReady = folders[0];
        seen.readySeenMs ??= elapsed(this.started);
      }
      seen.lastSeenMs = elapsed(this.started);
    } catch {
      // the process ended between the two reads: the next look sees its successor
    } finally {
      this.looking = false;
    }
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

/** A process's resident memory and its peak, in MB, from /proc; undefined when it has ended. */
function memoryOf(pid: number): { rssMb: number | null; peakMb: number | null } | undefined {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  const kb = (field: string) => {
    const found = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
    return found ? Math.round(Number(found[1]) / 1024) : null;
  };
  return { rssMb: kb('VmRSS'), peakMb: kb('VmHWM') };
}
