import { posix } from 'node:path';
import type { Chunk, ChunkKind, LanguageId } from '../types';
import { capSignature, headerContentEnd, TYPE_KINDS, type Definition } from './definitions';
import { BRACE_BODY_ELISION, type LanguageSpec } from './languages';
import { markdownSections } from './markdown';
import { outlinePieces } from './outline';
import type { SourceText } from './source';
import { lineWindows, packedWindows, splitWithHeader, uncoveredRuns, type HeadedSpan, type LineRange, type Piece } from './windows';

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
 *
 * Limits (ChunkLimits): definitions are already cut at the chunker's nesting depth (see
 * definitions.ts). A file whose chunks would be more than `maxChunks` is chunked again one
 * nesting level shallower, down to top-level definitions only, then as line windows, and last as
 * fewer windows longer than `maxChars` (packedWindows): each fallback's chunks hold every line
 * the dropped chunks held, so no limit takes text out of the index.
 */

/** Fewest word characters for a whole file without definitions to be indexed. */
const MIN_FILE_WORD_CHARS = 1;
/** Fewest word characters for the loose code between definitions to get a window. */
const MIN_GAP_WORD_CHARS = 16;

/** The bounds on one file's chunks. */
export interface ChunkLimits {
  /** longest chunk text, in characters (a single longer line is a chunk of its own) */
  maxChars: number;
  /** most chunks of one file; a whole number of at least 1 */
  maxChunks: number;
}

/** What a chunk says about the definition it comes from, before ranges and text. */
type Identity = Pick<Chunk, 'path' | 'language' | 'kind' | 'name' | 'container' | 'signature' | 'doc'>;

/**
 * Chunks of a parsed file: one per definition (outlined or split when long), plus windows over
 * the code between; with fewer nesting levels, or as line windows, when they would be too many.
 * `definitions` are in source order, each after its parent.
 */
export function definitionChunks(
  path: string,
  spec: LanguageSpec,
  source: SourceText,
  definitions: readonly Definition[],
  limits: ChunkLimits,
): Chunk[] {
  let deepest = 0;
  for (const def of definitions) deepest = Math.max(deepest, def.depth);
  const held = heldByEnclosingFunction(source, definitions, limits.maxChars);
  const made: MadeChunks = new Map();
  for (let depth = deepest; depth >= 1; depth--) {
    const chunks = chunksUpToDepth(path, spec, source, definitions, held, made, depth, limits);
    if (chunks) return chunks;
  }
  // no definitions: the whole file is loose code, indexed however short (a barrel of re-exports)
  return windowChunks(path, spec.id, source, definitions.length === 0 ? MIN_FILE_WORD_CHARS : MIN_GAP_WORD_CHARS, limits);
}

/**
 * The chunks made for each definition, shared by the tries at decreasing depths: a definition's
 * chunks differ only between the try in which it is the deepest (its members are not chunks,
 * its outline keeps them whole) and the others. Keyed by 2 × index, plus 1 when it has members.
 */
type MadeChunks = Map<number, Chunk[]>;

/**
 * The chunks of the definitions at most `maxDepth` deep and the windows between them, in order;
 * undefined as soon as they are more than `limits.maxChunks`.
 */
function chunksUpToDepth(
  path: string,
  spec: LanguageSpec,
  source: SourceText,
  definitions: readonly Definition[],
  held: readonly boolean[],
  made: MadeChunks,
  maxDepth: number,
  limits: ChunkLimits,
): Chunk[] | undefined {
  const { maxChars, maxChunks } = limits;
  const language = spec.id;
  const members = membersByParent(definitions, maxDepth);
  const chunks: Chunk[] = [];
  const covered: LineRange[] = [];
  for (const [index, def] of definitions.entries()) {
    if (def.depth > maxDepth || held[index]) continue;
    const firstLine = source.lineOf(def.textStart);
    covered.push({ first: firstLine, last: def.kind === 'module' ? headerLastLine(source, def) : source.lastLineOf(def.start, def.end) });
    const ownMembers = members.get(index) ?? [];
    const key = 2 * index + (ownMembers.length > 0 ? 1 : 0);
    let own = made.get(key);
    if (!own) {
      own = chunksOfDefinition(path, spec, source, def, ownMembers, maxChars);
      made.set(key, own);
    }
    chunks.push(...own);
    if (chunks.length > maxChunks) return undefined;
  }
  for (const run of uncoveredRuns(source, covered, MIN_GAP_WORD_CHARS)) {
    chunks.push(...windows(path, language, source, run.first, run.last, maxChars));
    if (chunks.length > maxChunks) return undefined;
  }
  return chunks.sort((a, b) => a.startByte - b.startByte || b.endByte - a.endByte);
}

/** The chunks of one definition; `members` are its direct members that are chunks of their own. */
function chunksOfDefinition(
  path: string,
  spec: LanguageSpec,
  source: SourceText,
  def: Definition,
  members: readonly Definition[],
  maxChars: number,
): Chunk[] {
  const identity: Identity = {
    path, language: spec.id, kind: def.kind, name: def.name, container: def.container, signature: def.signature, doc: def.doc,
  };
  const headerLast = headerLastLine(source, def);
  const lead = leadText(source, def, maxChars);
  if (def.kind === 'module') return [toChunk(identity, source, moduleHeaderPiece(source, def, lead, headerLast, maxChars))];
  const span: HeadedSpan = { lead, start: def.start, end: def.end, header: headerText(source, def, headerLast, maxChars) };
  return numbered(identity, source, definitionPieces(source, spec, def, members, span, maxChars));
}

/** Line windows over a whole file (no definitions, an unparsed language, or a parse failure). */
export function fileWindowChunks(path: string, language: LanguageId, source: SourceText, limits: ChunkLimits): Chunk[] {
  return windowChunks(path, language, source, MIN_FILE_WORD_CHARS, limits);
}

/** Markdown: a chunk per heading section, long sections split with their heading repeated; line windows when too many. */
export function markdownChunks(path: string, source: SourceText, limits: ChunkLimits): Chunk[] {
  const { maxChars, maxChunks } = limits;
  const chunks: Chunk[] = [];
  for (const section of markdownSections(source)) {
    if (section.heading === undefined) {
      chunks.push(...windows(path, 'markdown', source, section.first, section.last, maxChars));
    } else {
      // an empty heading (a lone `#`) names its section like a window
      const name = section.heading !== '' ? section.heading : windowName(path, section.first, section.last);
      const identity: Identity = {
        path, language: 'markdown', kind: 'window', name, signature: capSignature(section.header.split('\n').pop() ?? ''),
      };
      const start = source.lineStart(section.first);
      const span = { lead: '', start, end: source.lineContentEnd(section.last), header: section.header };
      chunks.push(...numbered(identity, source, splitWithHeader(source, span, maxChars)));
    }
    if (chunks.length > maxChunks) return fileWindowChunks(path, 'markdown', source, limits);
  }
  return chunks;
}

/**
 * Line windows over the whole file, trimmed of blank edge lines, when it has at least
 * `minWordChars` word characters. When they are more than `limits.maxChunks`, the file is cut
 * into consecutive windows without overlap that are long enough to be at most that many.
 */
function windowChunks(path: string, language: LanguageId, source: SourceText, minWordChars: number, limits: ChunkLimits): Chunk[] {
  const runs = uncoveredRuns(source, [], minWordChars);
  const chunks = runs.flatMap((run) => windows(path, language, source, run.first, run.last, limits.maxChars));
  if (chunks.length <= limits.maxChunks) return chunks;
  // With no line covered there is one run: the file without its blank edge lines.
  const { first } = runs[0];
  const { last } = runs[runs.length - 1];
  return packedWindows(source, first, last, limits).map((piece) => windowChunk(path, language, source, piece));
}

function windows(path: string, language: LanguageId, source: SourceText, first: number, last: number, maxChars: number): Chunk[] {
  return lineWindows(source, first, last, maxChars).map((piece) => windowChunk(path, language, source, piece));
}

function windowChunk(path: string, language: LanguageId, source: SourceText, piece: Piece): Chunk {
  const name = windowName(path, piece.firstLine, piece.lastLine);
  return toChunk({ path, language, kind: 'window', name, signature: firstTextLine(piece.text) }, source, piece);
}

/** A window's name: the file name and its 1-based line range. */
function windowName(path: string, firstLine: number, lastLine: number): string {
  return `${posix.basename(path)}:${firstLine + 1}-${lastLine + 1}`;
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
function moduleHeaderPiece(source: SourceText, def: Definition, lead: string, headerLast: number, maxChars: number): Piece {
  return {
    start: def.start,
    end: def.end,
    firstLine: source.lineOf(def.start),
    lastLine: source.lastLineOf(def.start, def.end),
    text: lead + source.text.slice(def.start, moduleHeaderEnd(source, def, headerLast, maxChars)),
  };
}

/**
 * Where a module's header text ends: at the end of its header's last line, but never past the
 * module (`namespace A; class B {}` on one line), nor far into its body when that line goes on
 * (a one-line file, or one whose only line breaks are lone CRs): then right after the header.
 */
function moduleHeaderEnd(source: SourceText, def: Definition, headerLast: number, maxChars: number): number {
  const end = Math.min(def.end, source.lineContentEnd(headerLast));
  return end - def.headerEnd > maxChars / 4 ? Math.max(def.start, headerContentEnd(source.text, def)) : end;
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

/** The direct members, at most `maxDepth` deep, of each definition that has any, by the definition's index. */
function membersByParent(definitions: readonly Definition[], maxDepth: number): Map<number, Definition[]> {
  const members = new Map<number, Definition[]>();
  for (const def of definitions) {
    if (def.parent === undefined || def.depth > maxDepth) continue;
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
 * Which definitions are held whole by an enclosing function's chunk. A definition inside a
 * function (a closure, a local helper) whose enclosing function fits in one chunk adds nothing:
 * that chunk already holds it. Inside a function split into windows it is kept. One pass:
 * every definition comes after its parent.
 */
function heldByEnclosingFunction(source: SourceText, definitions: readonly Definition[], maxChars: number): boolean[] {
  const held: boolean[] = [];
  for (const def of definitions) {
    const p = def.parent;
    if (p === undefined) {
      held.push(false);
      continue;
    }
    const enclosing = definitions[p];
    held.push(held[p] || (FUNCTION_KINDS.has(enclosing.kind) && fitsWhole(leadText(source, enclosing, maxChars), enclosing, maxChars)));
  }
  return held;
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
