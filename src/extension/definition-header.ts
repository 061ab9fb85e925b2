/**
 * Whether `lineText` is the first line of a definition's header. The engine's signature is
 * the header with whitespace collapsed (cut with `…` when long), so a header line is a
 * prefix of it, or, for a one-line definition, starts with it. Comment lines and body lines
 * are neither.
 */
export function isHeaderLine(lineText: string, signature: string): boolean {
  const line = lineText.replace(/\s+/g, ' ').trim();
  const header = signature.endsWith('…') ? signature.slice(0, -1) : signature;
  return line.length > 0 && header.length > 0 && (header.startsWith(line) || line.startsWith(header));
}
