/**
 * `codescout.internal.state`: a JSON snapshot for end-to-end tests and benchmarks — the
 * engine process (pid, state), every folder's index state, the measured latencies, and the
 * output channel's level and last lines.
 */
import type { RefreshReport } from '../protocol/protocol';
import type { EngineClient } from './engine-client';
import type { HoverMetrics } from './hover';
import type { IndexController } from './index-controller';
import type { LatencySummary } from './latency';
import type { LogLine, RecordingLogChannel } from './log-channel';
import type { McpServerCommand } from './mcp-server-command';
import type { SearchMetrics } from './search-pick';
import type { StatusBar } from './status-bar';

export interface Metrics extends HoverMetrics, SearchMetrics {
  /** time spent in activate(), measured in-process */
  activationMs: number;
}

/** What the extension offers coding agents. */
export interface AgentState {
  /** the registered language-model tools (none where VS Code lacks the API) */
  languageModelTools: string[];
  /** the registered MCP server definition provider and the server it defines; null where VS Code lacks the API */
  mcp: (McpServerCommand & { provider: string; socket: string }) | null;
}

export interface InternalState {
  activationMs: number;
  engine: { state: string; pid: number | null; restarts: number; replacements: number; lastError: string | null };
  folders: {
    root: string;
    name: string;
    state: string;
    percent: number | null;
    files: number;
    chunks: number;
    definitions: number;
    partial: boolean;
    mode: string;
    refreshes: number;
    /** what the last refresh did: its cause and counts */
    lastRefresh: RefreshReport | null;
    lastError: string | null;
  }[];
  metrics: { hover: LatencySummary; hoverEngine: LatencySummary; timeToFirstResult: LatencySummary; searchLatency: LatencySummary };
  agent: AgentState;
  /** the "Code Scout" output channel: its level, and the last lines it showed (oldest first) */
  log: { level: string; lines: LogLine[] };
  /** the status bar item: what it shows, the texts it showed (oldest first, the last 50), and how many it has shown in all */
  statusBar: { text: string; tooltip: string; history: string[]; shown: number };
}

export function internalState(engine: EngineClient, controller: IndexController, metrics: Metrics, agent: AgentState, log: RecordingLogChannel, statusBar: StatusBar): InternalState {
  return {
    activationMs: Number(metrics.activationMs.toFixed(2)),
    engine: { state: engine.state, pid: engine.pid ?? null, restarts: engine.restarts, replacements: engine.replacements, lastError: engine.lastError ?? null },
    folders: controller.folders().map((f) => ({
      root: f.root,
      name: f.name,
      state: f.state,
      percent: f.progress?.percent ?? null,
      files: f.contents.files,
      chunks: f.contents.chunks,
      definitions: f.contents.definitions,
      partial: f.partial,
      mode: f.mode,
      refreshes: f.refreshes,
      lastRefresh: f.lastRefresh ?? null,
      lastError: f.lastError ?? null,
    })),
    metrics: {
      hover: metrics.hover.summary(),
      hoverEngine: metrics.hoverEngine.summary(),
      timeToFirstResult: metrics.timeToFirstResult.summary(),
      searchLatency: metrics.searchLatency.summary(),
    },
    agent,
    log: { level: log.levelName, lines: log.ring.lines() },
    statusBar: { ...statusBar.shown, history: [...statusBar.shownTexts], shown: statusBar.shownCount },
  };
}
