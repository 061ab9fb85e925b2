/**
 * An index's status as plain text: the one wording that `codescout status` prints and the editor's
 * "Show Index Status" document shows. Pure formatting of {@link StatusReport}.
 */
import type { StatusReport } from './engine';
import type { Skipped } from './files/scan';

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
  if (s.redo.read) lines.push('rules:     the index was made under other rules for skipping binary, generated and minified files: its next update reads every file again');
  if (s.redo.chunk) {
    const when = s.redo.chunkWaitsForModel ? 'the next update with the model' : 'its next update';
    const which = s.redo.chunkResumes ? 'the files an earlier update did not' : 'every file';
    lines.push(`rules:     the files were cut into chunks under other rules: ${when} chunks ${which} again (vectors of unchanged code come from the embedding cache)`);
  }
  if (s.redo.embed) {
    const n = s.redo.embed;
    lines.push(`vectors:   another model (or none) made the index: its next update parses and embeds ${n} file${n === 1 ? '' : 's'} again for ${s.model?.id ?? 'the model'} (the other vectors come from the embedding cache); until then ${n === 1 ? 'it is' : 'they are'} searched by words`);
  }
  if (s.ignoreRules.excludeEverything) {
    const n = s.ignoreRules.excluded;
    lines.push(`ignored:   ignore rules exclude every file (${n} ${n === 1 ? 'file or folder' : 'files and folders'} left out by .gitignore, .codescoutignore, .git/info/exclude or exclude globs)`);
  }
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
