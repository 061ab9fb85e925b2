import type { SourceText } from './source';

/**
 * Markdown split into sections at ATX headings (`#` … `######`), ignoring `#` lines inside
 * fenced code blocks. A heading with no text under it joins the next section, whose header
 * then carries both headings. Text before the first heading is a section without a heading.
 */

export interface Section {
  /** the section's heading text, without the `#` marks */
  heading?: string;
  /** the heading line(s) that open the section (empty without a heading) */
  header: string;
  /** 0-based inclusive line range, without trailing blank lines */
  first: number;
  last: number;
}

const HEADING = /^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$/;
const FENCE = /^ {0,3}(`{3,}|~{3,})/;

interface Heading {
  line: number;
  text: string;
}

export function markdownSections(source: SourceText): Section[] {
  const headings = findHeadings(source);
  const sections: Section[] = [];
  const preambleEnd = headings.length > 0 ? headings[0].line - 1 : source.lineCount - 1;
  const preamble = withoutTrailingBlankLines(source, 0, preambleEnd);
  if (preamble !== undefined) sections.push({ header: '', first: 0, last: preamble });

  let pending: Heading[] = [];
  headings.forEach((heading, i) => {
    const end = i + 1 < headings.length ? headings[i + 1].line - 1 : source.lineCount - 1;
    const last = withoutTrailingBlankLines(source, heading.line, end) ?? heading.line;
    pending.push(heading);
    if (last === heading.line && i + 1 < headings.length) return; // a bare heading: carried into the next section
    sections.push({
      heading: heading.text,
      header: pending.map((h) => source.line(h.line).trim()).join('\n'),
      first: pending[0].line,
      last,
    });
    pending = [];
  });
  return sections;
}

function findHeadings(source: SourceText): Heading[] {
  const headings: Heading[] = [];
  let fence: string | undefined;
  for (let line = 0; line < source.lineCount; line++) {
    const text = source.line(line);
    const marker = FENCE.exec(text)?.[1];
    if (fence) {
      if (marker && marker[0] === fence[0] && marker.length >= fence.length && text.trim() === marker) fence = undefined;
      continue;
    }
    if (marker) {
      fence = marker;
      continue;
    }
    const heading = HEADING.exec(text);
    if (heading) headings.push({ line, text: (heading[2] ?? '').trim() });
  }
  return headings;
}

function withoutTrailingBlankLines(source: SourceText, first: number, last: number): number | undefined {
  while (last >= first && source.line(last).trim() === '') last--;
  return last >= first ? last : undefined;
}
