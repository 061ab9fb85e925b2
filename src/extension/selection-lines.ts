/**
 * The lines a selection covers, as the index numbers them (1-based, inclusive). Pure, so that it
 * is tested without VS Code.
 */

/** A position as VS Code gives it: 0-based line and character. */
export interface PositionLike {
  line: number;
  character: number;
}

/**
 * The 1-based first and last line of a selection from `start` to `end`. One that ends at the start
 * of a line (a triple click, Shift+Down over whole lines) does not hold that line; an empty one
 * holds the line it is on.
 */
export function selectedLines(start: PositionLike, end: PositionLike): { startLine: number; endLine: number } {
  const last = end.character === 0 && end.line > start.line ? end.line - 1 : end.line;
  return { startLine: start.line + 1, endLine: last + 1 };
}
