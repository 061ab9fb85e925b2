/**
 * Writing characters visibly, as escapes: the one way the CLI (cli/terminal-text.ts) and the
 * editor (extension/display-text.ts) show control, separator and bidirectional characters of
 * file names and code. Each chooses which characters to escape and which have short names
 * (`\n`); the rest are `\xHH` up to U+00FF and `\u{HHHH}` above, as in a quoted string.
 */

/** `text` with every character `unsafe` (a global pattern) matches written as an escape. */
export function escapeMatches(text: string, unsafe: RegExp, named: ReadonlyMap<string, string>): string {
  return text.replace(unsafe, (c) => named.get(c) ?? escapeCode(c.codePointAt(0)!));
}

function escapeCode(code: number): string {
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`;
}
