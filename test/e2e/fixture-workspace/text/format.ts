/** Text formatting helpers for plain-text reports. */

/** Upper-cases the first letter of a word. */
export function capitalize(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}

/** Splits text into words at spaces, underscores and hyphens. */
export function splitWords(text: string): string[] {
  return text.split(/[\s_-]+/).filter((word) => word.length > 0);
}

/** Turns a title into a URL slug: lower-case words joined by hyphens. */
export function slugify(title: string): string {
  return splitWords(title).map((word) => word.toLowerCase()).join('-');
}

/** Converts snake_case or kebab-case text to camelCase. */
export function toCamelCase(text: string): string {
  const [first = '', ...rest] = splitWords(text);
  return first.toLowerCase() + rest.map((word) => capitalize(word.toLowerCase())).join('');
}

/** Converts a phrase to Title Case. */
export function toTitleCase(text: string): string {
  return splitWords(text).map(capitalize).join(' ');
}

/** Shortens text to at most `max` characters, ending it with an ellipsis. */
export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}…`;
}

/** Pads text with spaces on the left up to `width` characters. */
export function padLeft(text: string, width: number): string {
  return ' '.repeat(Math.max(0, width - text.length)) + text;
}

/** Pads text with spaces on the right up to `width` characters. */
export function padRight(text: string, width: number): string {
  return text + ' '.repeat(Math.max(0, width - text.length));
}

/** Centers text in a field of `width` characters. */
export function centerText(text: string, width: number): string {
  const left = Math.floor(Math.max(0, width - text.length) / 2);
  return padRight(padLeft(text, text.length + left), width);
}

/** Wraps text into lines of at most `width` characters, breaking at spaces. */
export function wrapText(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  return line ? [...lines, line] : lines;
}

/** Indents every line by `spaces` spaces. */
export function indentLines(lines: string[], spaces: number): string[] {
  return lines.map((line) => padLeft('', spaces) + line);
}

/** Formats a byte count as a human-readable size such as "1.5 MB". */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let size = bytes;
  let unit = 0;
  while (size >= 1024 && unit < units.length - 1) {
    size /= 1024;
    unit++;
  }
  return `${size.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

/** Formats an integer with commas between groups of thousands. */
export function formatThousands(value: number): string {
  return Math.round(value).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** The width of each column of a table: the length of its longest cell. */
export function columnWidths(rows: string[][]): number[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return widths;
}

/** Renders rows as a plain-text table with aligned columns. */
export function renderTable(rows: string[][]): string {
  const widths = columnWidths(rows);
  return rows.map((row) => row.map((cell, i) => padRight(cell, widths[i])).join('  ').trimEnd()).join('\n');
}

/** A report heading in Title Case, underlined with equals signs. */
export function formatHeading(title: string): string {
  const heading = toTitleCase(title);
  return `${heading}\n${'='.repeat(heading.length)}`;
}

/** A report section: heading, wrapped and indented description, and the total size. */
export function formatSection(title: string, description: string, sizes: number[]): string {
  const body = indentLines(wrapText(truncate(description, 500), 72), 2);
  const total = formatBytes(sizes.reduce((sum, size) => sum + size, 0));
  return [formatHeading(title), ...body, `Total: ${total} in ${formatThousands(sizes.length)} files`].join('\n');
}
