import type { IndexSummary, SearchHit, StatusReport } from '../engine/engine';
import type { Skipped } from '../engine/files/scan';
import { formatSkipped as formatSkippedText, formatStatus as formatStatusText } from '../engine/status-text';
import type { Progress } from '../engine/types';
import { terminalSafe } from './terminal-text';

/*
 * Text output for a terminal. Everything that comes from files or from the command line (paths,
 * names, code, the query) goes through terminalSafe: no escape sequence reaches the terminal and
 * a newline in a file name cannot split a `path:line` line. JSON output is printed exact.
 */

const PHASE_LABEL: Record<Progress['phase'], string> = {
  scan: 'scanning',
  parse: 'indexing',
  embed: 'embedding',
  write: 'saving',
};

/** A live progress bar on a terminal; on a pipe, one line per phase. */
export class ProgressBar {
  private lastPhase?: string;
  private lastDraw = 0;
  private drawn = false;

  constructor(private readonly out: NodeJS.WriteStream) {}

  update(p: Progress): void {
    if (!this.out.isTTY) {
      // On a pipe: one line when real work starts, nothing for a quick up-to-date check.
      if (p.phase === 'parse' && p.done === 0 && this.lastPhase !== 'parse') {
        this.out.write(`codescout: indexing ${p.total} new or changed files…\n`);
      }
      this.lastPhase = p.phase;
      return;
    }
    const now = Date.now();
    if (now - this.lastDraw < 80 && p.done < p.total) return;
    this.lastDraw = now;
    const width = 28;
    const ratio = p.total ? Math.min(1, p.done / p.total) : 0;
    const filled = Math.round(ratio * width);
    const label = `${PHASE_LABEL[p.phase]} ${p.done}/${p.total}`;
    const line = `[${'█'.repeat(filled)}${'░'.repeat(width - filled)}] ${label}${p.message ? ' ' + terminalSafe(p.message) : ''}`;
    this.out.write(`\r\x1b[2K${line.slice(0, (this.out.columns || 100) - 1)}`);
    this.drawn = true;
  }

  done(): void {
    if (this.drawn) this.out.write('\r\x1b[2K');
    this.drawn = false;
  }
}

/** `codescout status` as text. */
export function formatStatus(s: StatusReport, verbose: boolean): string {
  const languages = new Map(Object.entries(s.languages).map(([l, n]) => [terminalSafe(l), n]));
  return formatStatusText(
    {
      ...s,
      root: terminalSafe(s.root),
      indexDir: terminalSafe(s.indexDir),
      model: s.model && { ...s.model, id: terminalSafe(s.model.id) },
      languages: Object.fromEntries(languages),
      skipped: s.skipped.map(safeSkipped),
    },
    verbose,
  );
}

/** One line per skipped file, as `index --verbose` lists them. */
export function formatSkipped(skipped: Skipped[]): string {
  return formatSkippedText(skipped.map(safeSkipped));
}

function safeSkipped(k: Skipped): Skipped {
  return { ...k, path: terminalSafe(k.path), detail: k.detail === undefined ? undefined : terminalSafe(k.detail) };
}

export function formatSummary(s: IndexSummary, indexDir: string): string {
  const skipped = Object.values(s.skipped).reduce((a, b) => a + b, 0);
  const parts = [
    `${s.cancelled ? 'stopped early: ' : ''}indexed ${s.files} files (${s.filesParsed} parsed, ${s.filesRemoved} removed)`,
    `${s.chunks} chunks (${s.chunksEmbedded} embedded, ${s.chunksFromCache} from cache)`,
    `${skipped} skipped`,
    s.mode,
    `${s.seconds.toFixed(1)} s`,
  ];
  return `codescout: ${parts.join(', ')} — index at ${terminalSafe(indexDir)}`;
}

/** A titled list of hits: `path:line  container.name (kind)  [matchedBy] score`, then the snippet, indented. */
export function formatHitsText(title: string, hits: SearchHit[]): string {
  const lines = [`# ${terminalSafe(title)}`];
  if (!hits.length) lines.push('  (no results)');
  for (const h of hits) {
    const where = `${terminalSafe(h.path)}:${h.startLine}`;
    const container = h.container ? `${terminalSafe(h.container)}.` : '';
    lines.push(`${where}  ${container}${terminalSafe(h.name)} (${terminalSafe(h.kind)})  [${h.matchedBy}] ${h.score.toFixed(3)}`);
    if (h.snippet) lines.push(`    ${terminalSafe(h.snippet)}`);
  }
  return lines.join('\n') + '\n\n';
}
