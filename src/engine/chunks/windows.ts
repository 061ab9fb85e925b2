import type { SourceText } from './source';

/**
 * Line-based splitting. Two shapes:
 *  - line windows over a run of lines (files without definitions, code between definitions):
 *    at most WINDOW_LINES lines and `maxChars` characters, consecutive windows overlapping a little;
 *  - a long definition (or Markdown section) split into windows that each repeat its header,
 *    so every piece still says what it belongs to.
 * Windows always hold whole lines; a single line longer than the budget forms a window of its own.
 */

export const WINDOW_LINES = 60;
export const WINDOW_OVERLAP_LINES = 10;

/**
 * A piece of text cut from the source; indices are string indices, lines 0-based inclusive:
 * `firstLine` holds `start`, `lastLine` the piece's last character (source.lastLineOf), so a
 * piece of more than one line never ends on an empty line (its range would stop before it).
 */
export interface Piece {
  start: number;
  end: number;
  firstLine: number;
  lastLine: number;
  text: string;
}

/** A region to split with its header repeated. */
export interface HeadedSpan {
  /** text put before the first piece, e.g. the doc comment above a definition */
  lead: string;
  start: number;
  end: number;
  /** repeated at the top of every piece after the first */
  header: string;
  /** lines (0-based) that end a piece only when no earlier line of it can, e.g. the first line of a two-line signature */
  keepWithNext?: (line: number) => boolean;
}

export interface LineRange {
  first: number;
  last: number;
}

/** Overlapping line windows over lines `first..last`. */
export function lineWindows(
  source: SourceText,
  first: number,
  last: number,
  maxChars: number,
  maxLines = WINDOW_LINES,
  overlapLines = WINDOW_OVERLAP_LINES,
): Piece[] {
  const ranges: LineRange[] = [];
  for (let start = first; start <= last; ) {
    const end = fillLines(source, start, last, maxChars, maxLines);
    ranges.push({ first: start, last: end });
    if (end === last) break;
    const overlap = Math.min(overlapLines, Math.floor((end - start + 1) / 4));
    start = end + 1 - overlap;
  }
  return ranges.map(({ first: a, last: b }) => {
    const start = source.lineStart(a);
    const end = source.lineContentEnd(b);
    return { start, end, firstLine: a, lastLine: b, text: source.text.slice(start, end) };
  });
}

/**
 * At most `maxChunks` consecutive windows over lines `first..last`, without overlap or a line
 * limit, each of at most `maxChars` characters where that makes few enough windows, else longer.
 * Filling each window greedily, two neighbours together are longer than the budget (the second's
 * first line did not fit in the first), so a budget of 2 × length / (maxChunks − 2) gives fewer
 * than maxChunks − 1 windows.
 */
export function packedWindows(source: SourceText, first: number, last: number, limits: { maxChars: number; maxChunks: number }): Piece[] {
  const length = source.lineContentEnd(last) - source.lineStart(first);
  const budget = limits.maxChunks <= 2 ? Infinity : Math.max(limits.maxChars, Math.ceil((2 * length) / (limits.maxChunks - 2)));
  return lineWindows(source, first, last, budget, Infinity, 0);
}

/**
 * Splits a span whose text (lead included) is longer than `maxChars` into consecutive windows.
 * The first window is the lead and the span's first lines; each later one is the header, a line
 * break, and its own lines. A span that fits is returned as one piece.
 */
export function splitWithHeader(source: SourceText, span: HeadedSpan, maxChars: number): Piece[] {
  const firstLine = source.lineOf(span.start);
  const lastLine = source.lastLineOf(span.start, span.end);
  if (span.lead.length + span.end - span.start <= maxChars) {
    return [{ start: span.start, end: span.end, firstLine, lastLine, text: span.lead + source.text.slice(span.start, span.end) }];
  }
  const pieces: Piece[] = [];
  for (let from = firstLine; from <= lastLine; ) {
    const isFirst = from === firstLine;
    const prefix = isFirst ? span.lead : `${span.header}\n`;
    const to = fillLines(source, from, lastLine, maxChars - prefix.length, Infinity, span.keepWithNext);
    const start = isFirst ? span.start : source.lineStart(from);
    const end = to === lastLine ? span.end : source.lineContentEnd(to);
    pieces.push({ start, end, firstLine: from, lastLine: to, text: prefix + source.text.slice(start, end) });
    from = to + 1;
  }
  return pieces;
}

/**
 * The last line of a window starting at `from`: as many lines as fit, and at least one;
 * backing off from lines `keepWithNext` ties to the next one when an earlier line can end the
 * window, and from empty lines (they go to the next window).
 */
function fillLines(
  source: SourceText,
  from: number,
  last: number,
  maxChars: number,
  maxLines: number,
  keepWithNext?: (line: number) => boolean,
): number {
  let used = lineLength(source, from);
  let to = from;
  while (to < last && to - from + 1 < maxLines) {
    const lineBreak = source.lineStart(to + 1) - source.lineContentEnd(to);
    const next = used + lineBreak + lineLength(source, to + 1);
    if (next > maxChars) break;
    used = next;
    to++;
  }
  if (keepWithNext && to !== last) {
    let end = to;
    while (end >= from && keepWithNext(end)) end--;
    if (end >= from) to = end;
  }
  while (to > from && lineLength(source, to) === 0) to--;
  return to;
}

function lineLength(source: SourceText, line: number): number {
  return source.lineContentEnd(line) - source.lineStart(line);
}

/**
 * Runs of lines not covered by any of `covered` (0-based inclusive ranges) that hold at least
 * `minWordChars` word characters (letters, digits, `_`); blank lines at a run's edges are trimmed.
 */
export function uncoveredRuns(source: SourceText, covered: readonly LineRange[], minWordChars: number): LineRange[] {
  const isCovered = new Uint8Array(source.lineCount);
  for (const { first, last } of covered) isCovered.fill(1, first, last + 1);
  const runs: LineRange[] = [];
  for (let line = 0; line < source.lineCount; ) {
    if (isCovered[line]) {
      line++;
      continue;
    }
    let end = line;
    while (end + 1 < source.lineCount && !isCovered[end + 1]) end++;
    const run = trimBlankLines(source, line, end);
    if (run && wordChars(source, run) >= minWordChars) runs.push(run);
    line = end + 1;
  }
  return runs;
}

function trimBlankLines(source: SourceText, first: number, last: number): LineRange | undefined {
  while (first <= last && source.line(first).trim() === '') first++;
  while (last >= first && source.line(last).trim() === '') last--;
  return first <= last ? { first, last } : undefined;
}

function wordChars(source: SourceText, { first, last }: LineRange): number {
  const text = source.text.slice(source.lineStart(first), source.lineContentEnd(last));
  return text.replace(/\W+/g, '').length;
}
