import { headerContentEnd, type Definition } from './definitions';
import { SourceText } from './source';
import { splitWithHeader, type HeadedSpan, type Piece } from './windows';

/**
 * The outline of a long container (class, interface, struct, trait, impl, enum): its source with
 * each member that has a body cut down to its header followed by the language's body elision
 * (` { … }`; ` ...` in Python; ` ... end` in Ruby), and without the member's doc comment. Both are
 * in the member's own chunk. What remains is the container's own code (its header, fields,
 * constants, comments) and one header per member. Members without a body stay as they are.
 *
 * Every line break of an outline is a line break of the source, so each outline line stands for
 * a run of whole source lines: its own, plus the elided lines of the member headers it holds.
 * That is how the windows of an outline too long for one chunk get their source ranges.
 */

interface Outline {
  text: string;
  /** the source string index of each line break in `text`, in order */
  breaks: number[];
  /** the outline lines that a member's header continues on the next line */
  headerLines: Set<number>;
}

/**
 * The pieces of a container's chunk, made from its outline: one piece spanning the container
 * when the outline (after `span.lead`) fits in `maxChars`, else consecutive windows that repeat
 * `span.header`, each spanning the source lines its outline lines stand for.
 * `members` are the container's direct members, in source order.
 */
export function outlinePieces(
  source: SourceText,
  container: Definition,
  members: readonly Definition[],
  span: Pick<HeadedSpan, 'lead' | 'header'>,
  bodyElision: string,
  maxChars: number,
): Piece[] {
  const outline = outlineOf(source, container, members, bodyElision);
  const keepWithNext = (line: number): boolean => outline.headerLines.has(line);
  const outlineSpan: HeadedSpan = { ...span, start: 0, end: outline.text.length, keepWithNext };
  const pieces = splitWithHeader(new SourceText(outline.text), outlineSpan, maxChars);
  return pieces.map((piece) => inSource(source, container, outline.breaks, piece));
}

/** The outline of `container`, whose direct members are `members`. */
function outlineOf(
  source: SourceText,
  container: Definition,
  members: readonly Definition[],
  bodyElision: string,
): Outline {
  const { text } = source;
  const parts: string[] = [];
  const breaks: number[] = [];
  const headerLines = new Set<number>();
  const keep = (from: number, to: number): void => {
    for (let i = text.indexOf('\n', from); i !== -1 && i < to; i = text.indexOf('\n', i + 1)) breaks.push(i);
    parts.push(text.slice(from, to));
  };
  let at = container.start;
  for (const member of members) {
    if (!member.hasBody) continue;
    keep(at, Math.max(at, member.textStart));
    const firstHeaderLine = breaks.length;
    keep(member.start, headerContentEnd(text, member));
    for (let line = firstHeaderLine; line < breaks.length; line++) headerLines.add(line);
    parts.push(bodyElision);
    at = member.end;
  }
  keep(at, container.end);
  return { text: parts.join(''), breaks, headerLines };
}

/** Maps a piece of the outline (lines 0-based in the outline) to the container's source. */
function inSource(source: SourceText, container: Definition, breaks: readonly number[], piece: Piece): Piece {
  const startsOutline = piece.firstLine === 0;
  const endsOutline = piece.lastLine === breaks.length;
  const start = startsOutline ? container.start : breaks[piece.firstLine - 1] + 1;
  const end = endsOutline ? container.end : source.lineContentEnd(source.lineOf(breaks[piece.lastLine]));
  return {
    start,
    end,
    firstLine: source.lineOf(start),
    lastLine: source.lastLineOf(start, end),
    text: piece.text,
  };
}
