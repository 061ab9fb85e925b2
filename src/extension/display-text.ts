/**
 * Text from the repository (names, paths, code) and from the engine (messages that quote
 * them) made safe for the places VS Code gives meaning to: labels render `$(icon)` syntax,
 * hovers are Markdown, command links carry JSON in a URI, and notifications turn
 * `[label](command:…)` into links. Each function keeps the text readable and literal.
 */
import { escapeMatches } from '../engine/visible-text';

/**
 * VS Code's icon syntax in labels: `$(name)` or `$(name~modifier)` (ThemeIcon's name and
 * modifier expressions); a backslash before it (`\$(name)`) shows it as text.
 */
const ICON = /\$\([A-Za-z0-9-]+(?:~[A-Za-z]+)?\)/g;

/**
 * Shows `$(name)` as text in a QuickPick label, description, detail or title, as VS Code's own
 * `escapeIcons` does: a backslash before the icon syntax. Unlike it, an icon the text already
 * escaped gets its own backslash too, so `\$(x)` in a file still shows as `\$(x)`.
 */
export function escapeIcons(text: string): string {
  return text.replace(ICON, '\\$&');
}

/**
 * Characters that would break a one-line label or a Markdown list item, or reorder what is
 * shown (bidirectional controls): C0 and C1 controls, DEL, line and paragraph separators,
 * and the bidirectional embedding, override and isolate marks.
 */
const INVISIBLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/g;
const NAMED = new Map([
  ['\n', '\\n'],
  ['\r', '\\r'],
  ['\t', '\\t'],
]);

/** One line of text: controls become visible escapes (`\n`, `\x1b`, `\u{202e}`), as in a quoted file name. */
export function oneLine(text: string): string {
  return escapeMatches(text, INVISIBLE, NAMED);
}

/** A line of code: tabs are spaces, other controls visible escapes. */
export function codeLine(text: string): string {
  return oneLine(text.replace(/\t/g, '  '));
}

/** Text of a QuickPick item or title: one line, icons shown as text. */
export function labelText(text: string): string {
  return escapeIcons(oneLine(text));
}

/**
 * Literal text inside Markdown that supports theme icons (a hover): one line; icon syntax
 * escaped for the label renderer, then every ASCII punctuation character escaped for Markdown
 * (CommonMark lets any of them be escaped), so no emphasis, link, autolink, HTML, entity or
 * list marker can start inside it. The icon's backslash is escaped with the rest, so Markdown
 * leaves `\$(x)` for the icon renderer, which shows it as text (VS Code's appendText does the same).
 */
export function markdownText(text: string): string {
  return escapeIcons(oneLine(text)).replace(/[!-/:-@[-`{-~]/g, '\\$&');
}

/**
 * A `command:` URI with `args` as its JSON argument list, for a Markdown link. Every character
 * outside letters, digits and `-_.` is percent-encoded (encodeURIComponent leaves `()!'*~`,
 * and a `)` would end the Markdown link early).
 */
export function commandUri(command: string, args: readonly unknown[]): string {
  const query = encodeURIComponent(JSON.stringify(args)).replace(/[!'()*~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `command:${command}?${query}`;
}

/**
 * A notification's message: one line, and no `[label](target)` link syntax, which VS Code's
 * notifications turn into links (commands included). A word joiner (U+2060, invisible)
 * between `]` and `(` keeps the text as it reads.
 */
export function noticeText(text: string): string {
  return oneLine(text).replace(/\]\s*\(/g, (m) => `${m.slice(0, -1)}\u2060(`);
}
