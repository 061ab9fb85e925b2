import { posix } from 'node:path';
import type { Chunk, ChunkKind, LanguageId } from '../types';
import { capSignature, headerContentEnd, TYPE_KINDS, type Definition } from './definitions';
import { BRACE_BODY_ELISION, type LanguageSpec } from './languages';
import { markdownSections } from './markdown';
import { outlinePieces } from './outline';
import type { SourceText } from './source';
import { lineWindows, splitWithHeader, uncoveredRuns, type HeadedSpan, type LineRange, type Piece } from './windows';

/**
 * Turns definitions and line windows into Chunks: UTF-8 byte offsets, 1-based lines, names.
 *
 * Text and ranges: a definition's range (bytes and lines) is the definition itself, from its
 * first decorator / attribute / `export` to its end; its `text` additionally begins with the doc
 * comment right above it, so the doc is embedded with the code (a doc longer than half of the
 * budget contributes its opening lines; the `doc` field always has all of it). A namespace or module is a
 * container: its chunk text is only its doc and header, since its members are chunks of their own.
 * A class (interface, struct, trait, impl, enum) that fits in the budget has its whole source as
 * text; a longer one has its outline (outline.ts): its own code with each member's body elided,
 * as its members are chunks of their own. Only an outline that is still too long is split into
 * windows that repeat the class header; a long function is split into such windows directly.
 * Functions nested in a function are chunks only when the enclosing function is split into windows.
 * Code between definitions (imports, top-level statements) becomes line windows, so every line of
 * a file that carries content is in some chunk.
 */

/** Fewest word characters for a whole file without definitions to be indexed. */
const MIN_FILE_WORD_CHARS = 1;
/** Fewest word characters for the loose code between definitions to get a window. */
const MIN_GAP_WORD_CHARS = 16;

/** What a chunk says about the definition it comes from, before ranges and text. */
type Identity = Pick<Chunk, 'path' | 'language' | 'kind' | 'name' | 'container' | 'signature' | 'doc'>;

/** Chunks of a parsed file: one per definition (outlined or split when long), plus windows over the code between. */
export function definitionChunks(
  path: string,
  spec: LanguageSpec,
  source: SourceText,
  definitions: readonly Definition[],
  maxChars: number,
): Chunk[] {
  const language = spec.id;
  const members = membersByParent(definitions);
  const chunks: Chunk[] = [];
  const covered: LineRange[] = [];
  for (const [index, def] of definitions.entries()) {
    if (insideWholeFunction(source, definitions, def, maxChars)) continue;
    const identity: Identity = {
      path, language, kind: def.kind, name: def.name, container: def.container, signature: def.signature, doc: def.doc,
    };
    const headerLast = headerLastLine(source, def);
    const lead = leadText(source, def, maxChars);
    const firstLine = source.lineOf(def.textStart);
    if (def.kind === 'module') {
      chunks.push(toChunk(identity, source, moduleHeaderPiece(source, def, lead, headerLast)));
      covered.push({ first: firstLine, last: headerLast });
    } else {
      const span: HeadedSpan = { lead, start: def.start, end: def.end, header: headerText(source, def, headerLast, maxChars) };
      const pieces = definitionPieces(source, spec, def, members.get(index) ?? [], span, maxChars);
      chunks.push(...numbered(identity, source, pieces));
      covered.push({ first: firstLine, last: source.lastLineOf(def.start, def.end) });
    }
  }
  for (const run of uncoveredRuns(source, covered, MIN_GAP_WORD_CHARS)) {
    chunks.push(...windows(path, language, source, run.first, run.last, maxChars));
  }
  return chunks.sort((a, b) => a.startByte - b.startByte || b.endByte - a.endByte);
}

/** Line windows over a whole file (no definitions, an unparsed language, or a parse failure). */
export function fileWindowChunks(path: string, language: LanguageId, source: SourceText, maxChars: number): Chunk[] {
  return uncoveredRuns(source, [], MIN_FILE_WORD_CHARS).flatMap((run) => windows(path, language, source, run.first, run.last, maxChars));
}

/** Markdown: a chunk per heading section, long sections split with their heading repeated. */
export function markdownChunks(path: string, source: SourceText, maxChars: number): Chunk[] {
  return markdownSections(source).flatMap((section) => {
    if (section.heading === undefined) return windows(path, 'markdown', source, section.first, section.last, maxChars);
    const identity: Identity = {
      path, language: 'markdown', kind: 'window', name: section.heading, signature: capSignature(section.header.split('\n').pop() ?? ''),
    };
    const start = source.lineStart(section.first);
    const span = { lead: '', start, end: source.lineContentEnd(section.last), header: section.header };
    return numbered(identity, source, splitWithHeader(source, span, maxChars));
  });
}

function windows(path: string, language: LanguageId, source: SourceText, first: number, last: number, maxChars: number): Chunk[] {
  const base = posix.basename(path);
  return lineWindows(source, first, last, maxChars).map((piece) =>
    toChunk(
      { path, language, kind: 'window', name: `${base}:${piece.firstLine + 1}-${piece.lastLine + 1}`, signature: firstTextLine(piece.text) },
      source,
      piece,
    ),
  );
}

/**
 * The pieces of a definition's chunk: its whole source when it fits; else the outline of a class
 * (interface, struct, …), whose members are chunks of their own; else windows repeating its header.
 */
function definitionPieces(
  source: SourceText,
  spec: LanguageSpec,
  def: Definition,
  members: readonly Definition[],
  span: HeadedSpan,
  maxChars: number,
): Piece[] {
  if (!TYPE_KINDS.has(def.kind) || fitsWhole(span.lead, def, maxChars)) return splitWithHeader(source, span, maxChars);
  return outlinePieces(source, def, members, span, spec.bodyElision ?? BRACE_BODY_ELISION, maxChars);
}

/** Chunks for the pieces of one definition or section, numbered when there is more than one. */
function numbered(identity: Identity, source: SourceText, pieces: readonly Piece[]): Chunk[] {
  return pieces.map((piece, index) => toChunk(identity, source, piece, pieces.length > 1 ? { index, count: pieces.length } : undefined));
}

/** A module's chunk spans the module but holds only its doc and header: its members are chunks of their own. */
function moduleHeaderPiece(source: SourceText, def: Definition, lead: string, headerLast: number): Piece {
  return {
    start: def.start,
    end: def.end,
    firstLine: source.lineOf(def.start),
    lastLine: source.lastLineOf(def.start, def.end),
    text: lead + source.text.slice(def.start, source.lineContentEnd(headerLast)),
  };
}

function toChunk(identity: Identity, source: SourceText, piece: Piece, part?: { index: number; count: number }): Chunk {
  const { container, doc, ...rest } = identity;
  return {
    ...rest,
    ...(container !== undefined && { container }),
    ...(doc !== undefined && { doc }),
    startByte: source.byteOffset(piece.start),
    endByte: source.byteOffset(piece.end),
    startLine: piece.firstLine + 1,
    endLine: piece.lastLine + 1,
    text: piece.text,
    ...(part && { part }),
  };
}

/** The direct members of each definition that has any, by the definition's index. */
function membersByParent(definitions: readonly Definition[]): Map<number, Definition[]> {
  const members = new Map<number, Definition[]>();
  for (const def of definitions) {
    if (def.parent === undefined) continue;
    const siblings = members.get(def.parent);
    if (siblings) siblings.push(def);
    else members.set(def.parent, [def]);
  }
  return members;
}

/** Whether a definition's whole text, `lead` (its doc) included, fits in one chunk. */
function fitsWhole(lead: string, def: Definition, maxChars: number): boolean {
  return lead.length + def.end - def.start <= maxChars;
}

const FUNCTION_KINDS: ReadonlySet<ChunkKind> = new Set(['function', 'method', 'constructor', 'destructor']);

/**
 * A definition inside a function (a closure, a local helper) whose enclosing function fits in one
 * chunk adds nothing: that chunk already holds it. Inside a function split into windows it is kept.
 */
function insideWholeFunction(source: SourceText, definitions: readonly Definition[], def: Definition, maxChars: number): boolean {
  for (let p = def.parent; p !== undefined; p = definitions[p].parent) {
    const enclosing = definitions[p];
    if (FUNCTION_KINDS.has(enclosing.kind) && fitsWhole(leadText(source, enclosing, maxChars), enclosing, maxChars)) return true;
  }
  return false;
}

/**
 * What goes before a definition's source in its chunk text: its doc comment (and the line break
 * after it). A doc longer than half the budget is cut to its opening lines; `doc` keeps it whole.
 */
function leadText(source: SourceText, def: Definition, maxChars: number): string {
  const lead = source.text.slice(def.textStart, def.start);
  const budget = maxChars / 2;
  if (lead.length <= budget) return lead;
  let cut = 0;
  for (let next = lead.indexOf('\n'); next !== -1 && next + 1 <= budget; next = lead.indexOf('\n', next + 1)) cut = next + 1;
  return lead.slice(0, cut);
}

/** The line on which a definition's header ends: the last non-blank character before its body. */
function headerLastLine(source: SourceText, def: Definition): number {
  return source.lineOf(Math.max(headerContentEnd(source.text, def) - 1, def.start));
}

/** The header repeated by the windows of a long definition: its source lines, or the signature when those are long. */
function headerText(source: SourceText, def: Definition, headerLast: number, maxChars: number): string {
  const header = source.text.slice(def.start, source.lineContentEnd(headerLast)).trimEnd();
  return header.length <= maxChars / 4 ? header : def.signature;
}

/** A window's signature: its first line with a word on it (not a lone `}`), else its first non-blank line. */
function firstTextLine(text: string): string {
  const lines = text.split('\n');
  const line = lines.find((l) => /\w/.test(l)) ?? lines.find((l) => l.trim() !== '') ?? '';
  return capSignature(line.trim());
}
