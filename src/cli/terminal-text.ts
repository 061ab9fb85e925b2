/**
 * Text from files (names, code) and from the command line made safe to print on a terminal:
 * a file name or a line of code must not clear the screen, set the window title or split a
 * `path:line` line in two. JSON output needs none of this (JSON escapes control characters).
 */
import { escapeMatches } from '../engine/visible-text';

/**
 * Characters that are escaped: C0 controls except tab (newline and ESC included), DEL, C1
 * controls, the Unicode line and paragraph separators, and the bidirectional embedding,
 * override and isolate controls (which can make text read in another order than it is stored).
 */
const UNSAFE = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const NAMED = new Map<string, string>([
  ['\n', '\\n'],
  ['\r', '\\r'],
  ['\u001b', '\\e'],
]);

/**
 * `text` with every unsafe character written visibly instead: `\n`, `\r`, `\e` (ESC), `\xHH`
 * for the other controls up to U+00FF, `\u{HHHH}` above. Printable text, tabs included, is
 * unchanged; an ESC sequence loses its ESC and prints as plain characters.
 */
export function terminalSafe(text: string): string {
  return escapeMatches(text, UNSAFE, NAMED);
}

/** At most `max` characters of a value quoted in a message; longer values end in `…`. */
export function shortened(text: string, max = 80): string {
  if (text.length <= max) return text;
  let end = max - 1;
  if (/[\ud800-\udbff]/.test(text.charAt(end - 1))) end--; // not half of a surrogate pair
  return `${text.slice(0, end)}…`;
}
