import type { IndexSummary, SearchHit, StatusReport } from '../engine/engine';
import type { Progress } from '../engine/types';
import type { Skipped } from '../engine/files/scan';

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
    `${s.mode === 'hybrid' ? 'hybrid' : 'lexical-only'}`,
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

export function formatStatus(s: StatusReport, verbose: boolean): string {
  const lines = [
    `folder:    ${s.root}`,
    `index:     ${s.indexDir} (${formatBytes(s.indexBytes)})`,
    `model:     ${s.model ? `${s.model.id} (${s.model.dimension}-d)` : 'none — lexical-only search (words, not meaning)'}`,
    `files:     ${s.files}`,
    `chunks:    ${s.chunks}`,
    `languages: ${Object.entries(s.languages).sort((a, b) => b[1] - a[1]).map(([l, n]) => `${l} ${n}`).join(', ') || '—'}`,
    `updated:   ${s.updatedAt ?? 'never'}`,
    `staleness: ${s.stale.added + s.stale.changed + s.stale.removed === 0 ? 'up to date' : `${s.stale.added} new, ${s.stale.changed} changed, ${s.stale.removed} removed since the last index`}`,
  ];
  const reasons = Object.entries(s.skippedByReason);
  lines.push(`skipped:   ${reasons.length ? reasons.map(([r, n]) => `${r} ${n}`).join(', ') : 'none'}`);
  const shown = verbose ? s.skipped : s.skipped.filter((k) => k.reason !== 'unsupported' && k.reason !== 'excluded-dir');
  let text = lines.join('\n') + '\n' + formatSkipped(shown.slice(0, verbose ? Infinity : 50));
  if (!verbose && shown.length > 50) text += `  … ${shown.length - 50} more (--verbose lists all)\n`;
  return text;
}

/** One line per skipped path: `  path  reason (detail)`. */
export function formatSkipped(skipped: Skipped[]): string {
  return skipped.map((k) => `  ${k.path}  ${k.reason}${k.detail ? ` (${k.detail})` : ''}\n`).join('');
}

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}
