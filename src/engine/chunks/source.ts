/**
 * A file's text with a line index and UTF-16 → UTF-8 offset conversion.
 *
 * web-tree-sitter, given a JavaScript string, reports node positions (startIndex, endIndex,
 * column) in UTF-16 code units, i.e. string indices. Chunks carry UTF-8 byte offsets into the
 * file, so every index is converted here. A leading byte order mark is part of the file (3 bytes)
 * but never part of a line's text.
 */

const BOM = '\uFEFF';
const NON_ASCII = /[^\x00-\x7f]/;

export class SourceText {
  /** string index of each line's first character; line 0 starts after a BOM */
  private readonly lineStarts: number[];
  /** UTF-8 offset of each line start; undefined when the text is ASCII (offsets equal indices) */
  private readonly lineStartBytes: number[] | undefined;

  constructor(readonly text: string) {
    this.lineStarts = [text.startsWith(BOM) ? BOM.length : 0];
    for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) this.lineStarts.push(i + 1);
    this.lineStartBytes = NON_ASCII.test(text) ? this.computeLineStartBytes() : undefined;
  }

  /** The text handed to the parser: the BOM, if any, becomes a space so that indices are unchanged. */
  get parseText(): string {
    return this.text.startsWith(BOM) ? ' ' + this.text.slice(BOM.length) : this.text;
  }

  get lineCount(): number {
    return this.lineStarts.length;
  }

  /** 0-based line of a string index (an index at a line's end belongs to that line). */
  lineOf(index: number): number {
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid] <= index) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** The last line a range [start, end) touches. */
  lastLineOf(start: number, end: number): number {
    return this.lineOf(Math.max(start, end - 1));
  }

  lineStart(line: number): number {
    return this.lineStarts[line];
  }

  /** Index just past a line's content, before its `\r\n` or `\n`. */
  lineContentEnd(line: number): number {
    let end = line + 1 < this.lineStarts.length ? this.lineStarts[line + 1] - 1 : this.text.length;
    if (end > this.lineStarts[line] && this.text.charCodeAt(end - 1) === 13 /* \r */) end--;
    return end;
  }

  /** A line's content without its line break. */
  line(line: number): string {
    return this.text.slice(this.lineStarts[line], this.lineContentEnd(line));
  }

  /** True when only whitespace stands between the start of the index's line and the index. */
  startsLine(index: number): boolean {
    const from = this.lineStarts[this.lineOf(index)];
    return this.text.slice(from, index).trim() === '';
  }

  /** The UTF-8 byte offset of a string index. */
  byteOffset(index: number): number {
    if (!this.lineStartBytes) return index;
    const line = this.lineOf(index);
    return this.lineStartBytes[line] + Buffer.byteLength(this.text.slice(this.lineStarts[line], index), 'utf8');
  }

  private computeLineStartBytes(): number[] {
    const bytes = [Buffer.byteLength(this.text.slice(0, this.lineStarts[0]), 'utf8')];
    for (let line = 1; line < this.lineStarts.length; line++) {
      const previous = this.text.slice(this.lineStarts[line - 1], this.lineStarts[line]);
      bytes.push(bytes[line - 1] + Buffer.byteLength(previous, 'utf8'));
    }
    return bytes;
  }
}
