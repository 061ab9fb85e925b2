import type { IndexSummary, SearchHit } from '../engine/engine';
import type { Progress } from '../engine/types';

export { formatSkipped, formatStatus } from '../engine/status-text';

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
    const line = `[${'█'.repeat(filled)}${'░'.repeat(width - filled)}] ${label}${p.message ? ' ' + p.message : ''}`;
    this.out.write(`\r\x1b[2K${line.slice(0, (this.out.columns || 100) - 1)}`);
    this.drawn = true;
  }

  done(): void {
    if (this.drawn) this.out.write('\r\x1b[2K');
    this.drawn = false;
  }
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
  return `codescout: ${parts.join(', ')} — index at ${indexDir}`;
}

export function formatHitsText(title: string, hits: SearchHit[]): string {
  const lines = [`# ${title}`];
  if (!hits.length) lines.push('  (no results)');
  for (const h of hits) {
    const where = `${h.path}:${h.startLine}`;
    const container = h.container ? `${h.container}.` : '';
    lines.push(`${where}  ${container}${h.name} (${h.kind})  [${h.matchedBy}] ${h.score.toFixed(3)}`);
    if (h.snippet) lines.push(`    ${h.snippet}`);
  }
  return lines.join('\n') + '\n\n';
}
