/**
 * The lines of a result shown in a preview: the query words worth highlighting, and which lines of
 * a result's code to show (its first line, then the lines where query words occur), with their
 * shared indentation removed and long lines cut. Pure: the caller reads the file.
 */

/** Longest excerpt line; longer lines end in `…` (minified code, data tables). */
export const MAX_LINE_CHARS = 160;

export interface PreviewLine {
  /** 1-based line number in the file */
  line: number;
  text: string;
}

/** Query words worth highlighting: two or more letters or digits; `parse_config` gives parse and config. */
export function queryTerms(query: string): string[] {
  const words = query.toLowerCase().split(/[^\p{L}\p{N}_]+/u).flatMap((w) => w.split(/_+/));
  return [...new Set(words)].filter((t) => t.length >= 2);
}

/**
 * Up to `max` lines of a result whose first line is `firstLine`: the first line (the signature or
 * header), then the lines that contain a query term, in file order; when fewer lines match, the
 * next non-blank lines after the first. Blank lines are never chosen.
 */
export function previewLines(lines: readonly string[], firstLine: number, terms: readonly string[], max: number): PreviewLine[] {
  if (max <= 0 || lines.length === 0) return [];
  const chosen = new Set<number>([0]);
  const lowered = terms.map((t) => t.toLowerCase());
  for (let i = 1; i < lines.length && chosen.size < max; i++) {
    const line = lines[i]!.toLowerCase();
    if (line.trim() && lowered.some((t) => line.includes(t))) chosen.add(i);
  }
  for (let i = 1; i < lines.length && chosen.size < max; i++) if (lines[i]!.trim()) chosen.add(i);
  const order = [...chosen].sort((a, b) => a - b);
  const texts = dedent(order.map((i) => lines[i]!)).map(cutLine);
  return order.map((i, k) => ({ line: firstLine + i, text: texts[k]! }));
}

/** The lines without the indentation they all share. */
export function dedent(lines: string[]): string[] {
  const indents = lines.filter((l) => l.trim() !== '').map((l) => /^[ \t]*/.exec(l)![0].length);
  const common = indents.length ? Math.min(...indents) : 0;
  return lines.map((l) => l.slice(Math.min(common, /^[ \t]*/.exec(l)![0].length)).replace(/\s+$/, ''));
}

/** A line cut to {@link MAX_LINE_CHARS}, ending in `…` when cut (never inside a surrogate pair). */
export function cutLine(line: string): string {
  if (line.length <= MAX_LINE_CHARS) return line;
  let end = MAX_LINE_CHARS - 1;
  if (/[\ud800-\udbff]/.test(line.charAt(end - 1))) end--;
  return `${line.slice(0, end)}…`;
}
