import type { Node } from 'web-tree-sitter';
import type { SourceText } from './source';

/**
 * Doc comments and docstrings. A definition's doc comment is the run of comments that ends
 * directly before it (no blank line between), each standing at the start of its line; a trailing
 * comment after code on the line above is not a doc comment. Markers (`//`, `///`, `#`, `/** … *\/`,
 * leading ` * `) and C# `<summary>` tags are stripped, and the text is dedented.
 */

/** Reads the docstring from a definition's body node, if the language has docstrings. */
export type DocstringReader = (body: Node) => string | undefined;

/** A comment's string-index range, end exclusive. */
export interface CommentSpan {
  start: number;
  end: number;
}

/**
 * The comments that document a definition starting at `defStart`, in source order.
 * `comments` must be sorted by start.
 */
export function leadingComments(comments: readonly CommentSpan[], defStart: number, source: SourceText): CommentSpan[] {
  const run: CommentSpan[] = [];
  let next = defStart;
  for (let i = lastEndingBefore(comments, defStart); i >= 0; i--) {
    const comment = comments[i];
    if (!adjacent(source.text, comment.end, next) || !source.startsLine(comment.start)) break;
    run.push(comment);
    next = comment.start;
  }
  return run.reverse();
}

/** The cleaned doc text of a run of comments, or undefined when it is empty. */
export function commentDoc(comments: readonly CommentSpan[], text: string): string | undefined {
  if (comments.length === 0) return undefined;
  // Some grammars (Rust's line comments) include the line break in the comment node: drop it, or
  // joining the lines would double every break.
  const lines = comments.map((c) => stripCommentMarkers(text.slice(c.start, c.end).replace(/\r?\n$/, '')));
  return tidy(lines.join('\n'), false);
}

/** Python: the first statement of the body, when it is a plain string literal. */
export function pythonDocstring(body: Node): string | undefined {
  let statement = body.firstNamedChild;
  while (statement?.type === 'comment') statement = statement.nextNamedSibling;
  if (statement?.type !== 'expression_statement' || statement.namedChildCount !== 1) return undefined;
  const literal = statement.firstNamedChild;
  if (literal?.type !== 'string') return undefined;
  const match = /^[rRuU]*("""|'''|"|')([\s\S]*)\1$/.exec(literal.text);
  return match ? tidy(match[2], true) : undefined;
}

/** The comments that start inside [from, to). `comments` must be sorted by start. */
export function* commentsWithin(comments: readonly CommentSpan[], from: number, to: number): Iterable<CommentSpan> {
  for (let i = lastEndingBefore(comments, from) + 1; i < comments.length && comments[i].start < to; i++) {
    if (comments[i].start >= from) yield comments[i];
  }
}

/** Only whitespace, with at most one line break, between `from` and `to`. */
function adjacent(text: string, from: number, to: number): boolean {
  const between = text.slice(from, to);
  return between.trim() === '' && between.indexOf('\n') === between.lastIndexOf('\n');
}

function lastEndingBefore(comments: readonly CommentSpan[], index: number): number {
  let lo = 0;
  let hi = comments.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (comments[mid].end <= index) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return found;
}

/** Removes the comment syntax of one comment node's text. */
export function stripCommentMarkers(raw: string): string {
  const block = /^\/\*[*!]?([\s\S]*?)\*\/$/.exec(raw);
  if (block) {
    return block[1]
      .split(/\r?\n/)
      .map((line) => line.replace(/^\s*\*(?!\/) ?/, ''))
      .join('\n');
  }
  return raw
    .split(/\r?\n/)
    .map((line) => line.replace(/^\s*(\/\/[/!]?|#+) ?/, ''))
    .join('\n');
}

/**
 * Drops C# summary tags, trailing spaces and blank edge lines, and removes common indentation;
 * like Python's inspect.cleandoc, a docstring's first line does not count towards the indentation.
 */
function tidy(doc: string, isDocstring: boolean): string | undefined {
  const lines = doc
    .replace(/<\/?summary>/g, '')
    .split(/\r?\n/)
    .map((line) => line.trimEnd());
  while (lines.length > 0 && lines[0] === '') lines.shift();
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  if (lines.length === 0) return undefined;
  const measured = isDocstring ? lines.slice(1) : lines;
  // a loop, not Math.min(...indents): spreading the lines of a huge doc overflows the call stack
  let indent = Infinity;
  for (const l of measured) if (l !== '') indent = Math.min(indent, l.length - l.trimStart().length);
  if (indent === Infinity) indent = 0;
  const first = isDocstring ? lines[0].trimStart() : lines[0].slice(indent);
  return [first, ...lines.slice(1).map((l) => l.slice(indent))].join('\n');
}
