import { headOf } from '../text/slice';
import type { Node, Query, QueryMatch, Tree } from 'web-tree-sitter';
import type { ChunkKind } from '../types';
import { QUERY_OPTIONS, type TreeContext } from './context';
import { commentDoc, commentsWithin, leadingComments, type CommentSpan } from './docs';
import { declaredName } from './c-declarators';
import type { LanguageSpec } from './languages';
import type { SourceText } from './source';

/**
 * Definitions found in a syntax tree, as plain data (string indices into the source), so the
 * tree can be deleted right after extraction. See languages.ts for the query capture convention.
 */

export interface Definition {
  kind: ChunkKind;
  name: string;
  /** enclosing containers, outermost first, joined with '.' */
  container?: string;
  /** string-index range of the definition, including its wrappers and attributes; end exclusive */
  start: number;
  end: number;
  /** where the chunk text begins: the first leading doc comment, else `start` */
  textStart: number;
  /** where the header ends: the body's start, or the end of the first line when there is no body */
  headerEnd: number;
  /** whether the definition has a body (a block, a class body, …) after its header */
  hasBody: boolean;
  /** the header collapsed to one trimmed line */
  signature: string;
  doc?: string;
  /** index of the innermost enclosing definition in the same list */
  parent?: number;
  /** how many definitions enclose this one, itself included: 1 at the top level */
  depth: number;
}

/** Kinds whose members are methods: the containers whose long chunks are outlines. */
export const TYPE_KINDS: ReadonlySet<ChunkKind> = new Set(['class', 'struct', 'interface', 'trait', 'impl', 'enum']);
/** Kinds that name the container of what they enclose. */
const CONTAINER_KINDS: ReadonlySet<ChunkKind> = new Set([...TYPE_KINDS, 'module']);
const DEFINITION_KINDS: ReadonlySet<string> = new Set<ChunkKind>([
  ...CONTAINER_KINDS, 'function', 'method', 'constructor', 'destructor', 'type',
]);
/** Node types of `::`-qualified names, with `scope` and `name` fields (C++, Ruby). */
const QUALIFIED_NAME_TYPES: ReadonlySet<string> = new Set(['qualified_identifier', 'scope_resolution']);

/** Longest signature, in characters. */
const MAX_SIGNATURE_CHARS = 200;

/** A matched definition before containment is resolved. */
interface Candidate {
  kind: ChunkKind;
  name: string;
  /** qualifiers from the name or an explicit @container capture */
  qualifiers: string[];
  start: number;
  end: number;
  /**
   * where the definition's own node starts, after its attributes (or the declarator's start in a
   * list): the comments between `start` and here that run up to it are doc comments too
   */
  nodeStart: number;
  /**
   * for a later declarator of a list (`var n = 1, f = function …`), where the declaration starts:
   * its start when no definition and nothing long comes before it in the list
   * ({@link startLaterDeclarators})
   */
  declarationStart?: number;
  /**
   * set when it starts there: a doc comment above the declaration may be the first variable's, so
   * it is in the chunk's text but not its `doc`
   */
  startsAtDeclaration?: boolean;
  /**
   * where the header's own line starts: the line of the name, not before `start`. What comes
   * before it (decorators, attributes, `template<…>`, the declarators before it in a list) leads
   * the signature only when it fits, and comments there do not end the header
   */
  ownStart: number;
  /** how far the definition contains others: past `end` for a namespace declared without a body */
  scopeEnd: number;
  headerEnd: number;
  hasBody: boolean;
  docstring?: string;
  /** identity used to drop a second match of the same definition */
  key: string;
}

/**
 * Runs the language's query over the tree and returns its definitions in source order, outer
 * ones first. Definitions nested deeper than `maxDepth` (more than that many definitions
 * enclosing them, themselves included) are left out: their enclosing definitions hold them.
 */
export function extractDefinitions(
  tree: Tree,
  query: Query,
  context: TreeContext,
  spec: LanguageSpec,
  source: SourceText,
  maxDepth: number,
): Definition[] {
  const comments: CommentSpan[] = [];
  const byKey = new Map<string, Candidate>();
  for (const match of query.matches(tree.rootNode, QUERY_OPTIONS)) {
    const comment = match.captures.find((c) => c.name === 'comment');
    if (comment) {
      comments.push({ start: comment.node.startIndex, end: comment.node.endIndex });
      continue;
    }
    const candidate = toCandidate(match, context, spec, source);
    if (!candidate) continue;
    const seen = byKey.get(candidate.key);
    if (!seen || candidate.end - candidate.start > seen.end - seen.start) byKey.set(candidate.key, candidate);
  }
  comments.sort((a, b) => a.start - b.start);
  const candidates = startLaterDeclarators([...byKey.values()], source.text).sort((a, b) => a.start - b.start || b.end - a.end);
  return resolveNesting(candidates, spec, maxDepth).map(({ candidate, kind, container, parent, depth }) => {
    const leading = leadingComments(comments, candidate.start, source);
    // comments between the attributes and the node (`#[derive(Debug)]` then `/// doc`), or the
    // decorators in it and the name's line (`@Override` then `/** doc */` then `public void run()`);
    // not a name after the body (`typedef struct { … } Name;`), whose body's last comment is no doc
    const anchor = candidate.ownStart <= candidate.headerEnd ? Math.max(candidate.nodeStart, candidate.ownStart) : candidate.nodeStart;
    const inner = anchor > candidate.start
      ? leadingComments(comments, anchor, source).filter((c) => c.start >= candidate.start && (anchor === candidate.nodeStart || !insideBrackets(source.text, candidate.start, c.start)))
      : [];
    const headerEnd = headerEndBeforeComments(candidate, comments, source);
    return {
      kind,
      name: candidate.name,
      container,
      start: candidate.start,
      end: candidate.end,
      textStart: leading.length > 0 ? leading[0].start : candidate.start,
      headerEnd,
      hasBody: candidate.hasBody,
      signature: signatureOf(source.text, candidate, headerEnd, comments),
      doc: candidate.docstring ?? commentDoc(candidate.startsAtDeclaration ? inner : [...leading, ...inner], source.text),
      parent,
      depth,
    };
  });
}

function toCandidate(match: QueryMatch, context: TreeContext, spec: LanguageSpec, source: SourceText): Candidate | undefined {
  let definition: Node | undefined;
  let kind: ChunkKind | undefined;
  let nameNode: Node | undefined;
  let body: Node | undefined;
  let containerNode: Node | undefined;
  for (const { name, node } of match.captures) {
    if (name.startsWith('definition.')) {
      const captured = name.slice('definition.'.length);
      if (!DEFINITION_KINDS.has(captured)) throw new Error(`query for ${spec.id} captures unknown kind '${captured}'`);
      definition = node;
      kind = captured as ChunkKind;
    } else if (name === 'name') nameNode ??= node;
    else if (name === 'declarator') nameNode ??= declaredName(node);
    else if (name === 'body') body ??= node;
    else if (name === 'container') containerNode ??= node;
  }
  if (!definition || !kind || !nameNode) return undefined;

  const { name, qualifiers } = splitQualifiedName(nameNode);
  // a name tree-sitter made up to recover from a syntax error (a MISSING node) is empty
  if (name.trim() === '') return undefined;
  if (containerNode) qualifiers.push(bareTypeName(containerNode.text));
  const outer = context.outermost(definition);
  // the first of several declarators starts at their declaration (`export const a = () => …, b = 1`)
  const list = outer === definition ? context.listStart(definition) : undefined;
  const start = list?.first ? list.start : context.attributesStart(outer);
  const end = outer.endIndex;
  return {
    kind,
    name: displayName(kind, name, definition, nameNode.startIndex, source.text),
    qualifiers,
    start,
    end,
    nodeStart: outer.startIndex,
    ownStart: Math.max(start, source.lineStart(source.lineOf(nameNode.startIndex))),
    declarationStart: list && !list.first ? list.start : undefined,
    scopeEnd: kind === 'module' && !body ? Math.max(end, context.bodilessScopeEnd(definition)) : end,
    // without a body, the header runs to the end of its name's line: attributes on lines above it
    // (`#[derive(…)]`, C#'s `[Serializable]`, in or before the node) are not the whole header
    headerEnd: body ? body.startIndex : Math.min(end, source.lineContentEnd(source.lineOf(Math.max(start, nameNode.startIndex)))),
    hasBody: body !== undefined,
    docstring: body && spec.docstring ? spec.docstring(body) : undefined,
    key: body ? `body:${body.startIndex}:${body.endIndex}` : `node:${start}:${end}:${name}`,
  };
}

/**
 * The header stops at a comment on its own line before the body (Ruby puts the comments above
 * a module's first member before the module's body).
 */
function headerEndBeforeComments(candidate: Candidate, comments: readonly CommentSpan[], source: SourceText): number {
  // comments before the name's line (between attributes, or an annotation and the modifiers) are not before the body
  for (const comment of commentsWithin(comments, candidate.ownStart, candidate.headerEnd)) {
    if (source.startsLine(comment.start)) return comment.start;
  }
  return candidate.headerEnd;
}

/**
 * Whether `to` lies inside brackets opened after `from` (a comment among a header's parameters,
 * `func (\n s *Server,\n // …\n) Handle()`, or a decorator's arguments): then it is no doc. Quotes
 * are not read, so a bracket in a string may hide a doc comment, never make one.
 */
function insideBrackets(text: string, from: number, to: number): boolean {
  let depth = 0;
  for (let i = from; i < to; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 0x28 || ch === 0x5b || ch === 0x7b) depth++; // ( [ {
    else if ((ch === 0x29 || ch === 0x5d || ch === 0x7d) && depth > 0) depth--; // ) ] }
  }
  return depth > 0;
}

/** The most characters (on one line) of the declaration before a later declarator that its chunk takes in. */
const MAX_DECLARATION_LEAD = 100;

/**
 * A later declarator of a list (`var count = 1, format = function …`) starts at the declaration,
 * with its keyword and the comment above, when no definition starts in the list before it and the
 * declarators before it are short ({@link MAX_DECLARATION_LEAD}); otherwise at its own name, so
 * that it does not take in those definitions (an IIFE's functions in an earlier value) or a long
 * value (an object of 300 lines), which the chunks around it hold. Changes the candidates in place.
 */
function startLaterDeclarators(candidates: Candidate[], text: string): Candidate[] {
  const later = candidates.filter((c) => c.declarationStart !== undefined);
  if (later.length === 0) return candidates;
  const starts = candidates.map((c) => c.start).sort((a, b) => a - b);
  for (const candidate of later) {
    const from = candidate.declarationStart as number;
    // the first start at or after the declaration's: is it this candidate's own?
    let lo = 0;
    let hi = starts.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (starts[mid] < from) lo = mid + 1;
      else hi = mid;
    }
    if (starts[lo] !== candidate.start || candidate.start - from > 4 * MAX_DECLARATION_LEAD) continue;
    if (oneLine(text.slice(from, candidate.start)).length > MAX_DECLARATION_LEAD) continue;
    candidate.start = from;
    candidate.startsAtDeclaration = true;
  }
  return candidates;
}

/** The text in [from, to) with the given spans (inside it) left out. */
function textWithout(text: string, from: number, to: number, spans: Iterable<CommentSpan>): string {
  let out = '';
  let at = from;
  for (const span of spans) {
    if (span.start < at || span.end > to) continue;
    out += `${text.slice(at, span.start)} `;
    at = span.end;
  }
  return out + text.slice(at, to);
}

/** Node types of a C++ name with template arguments (`formatter<int, Char>`, `swap<T>`). */
const TEMPLATE_NAME_TYPES: ReadonlySet<string> = new Set(['template_type', 'template_function']);

/**
 * `Foo::Bar::baz` → name `baz`, qualifiers [Foo, Bar]. A C++ specialization keeps its arguments
 * (`formatter<int, Char>`: each specialization, and the methods it holds, is a definition of its
 * own), on one line with single spaces: its name used to be the arguments' text, line breaks and all.
 */
function splitQualifiedName(node: Node): { name: string; qualifiers: string[] } {
  if (node.type === 'nested_namespace_specifier') return splitNestedNamespace(node);
  const qualifiers: string[] = [];
  let current = node;
  while (QUALIFIED_NAME_TYPES.has(current.type)) {
    const scope = current.childForFieldName('scope');
    const name = current.childForFieldName('name');
    if (!name) break;
    if (scope) qualifiers.push(...scopeParts(scope));
    current = name;
  }
  return { name: unqualifiedName(current), qualifiers };
}

/**
 * The parts of a qualifier: Ruby nests `A::B::C` to the left (the scope of `C` is `A::B`), C++
 * to the right, so a scope that is itself qualified is split too.
 */
function scopeParts(scope: Node): string[] {
  const parts: string[] = [];
  let current: Node | null = scope;
  while (current && QUALIFIED_NAME_TYPES.has(current.type)) {
    const name = current.childForFieldName('name');
    if (!name) break;
    parts.unshift(bareTypeName(name.text));
    current = current.childForFieldName('scope');
  }
  if (current) parts.unshift(bareTypeName(current.text));
  return parts;
}

/** C++17 `namespace a::b` (a nested namespace specifier): name `b`, qualifiers [a]. */
function splitNestedNamespace(node: Node): { name: string; qualifiers: string[] } {
  const parts: string[] = [];
  const collect = (n: Node): void => {
    for (const child of n.namedChildren) {
      if (child.type === 'nested_namespace_specifier') collect(child);
      else if (child.type === 'namespace_identifier') parts.push(child.text);
    }
  };
  collect(node);
  const name = parts.pop();
  return name === undefined ? { name: node.text, qualifiers: [] } : { name, qualifiers: parts };
}

/**
 * The name itself: a C++ specialization keeps its arguments on one line; a conversion operator is
 * `operator` and its type (`operator bool`), not its whole declarator.
 */
function unqualifiedName(node: Node): string {
  if (TEMPLATE_NAME_TYPES.has(node.type)) return node.text.replace(/\s+/g, ' ');
  if (node.type === 'operator_cast') {
    // up to its parameters: `operator const char*`, not `operator char`
    // in its declarator: a parameter list in the type (`std::function<void(int)>`) is the type's
    const [parameters] = node.childForFieldName('declarator')?.descendantsOfType('parameter_list') ?? [];
    const text = parameters ? node.text.slice(0, parameters.startIndex - node.startIndex) : node.text;
    return text.replace(/\s+/g, ' ').trim();
  }
  return node.text;
}

/** C# definitions named by a keyword: an operator by the keyword and its symbol or type, an indexer `this[]`. */
const OPERATOR_DEFINITION_TYPES: ReadonlySet<string> = new Set(['operator_declaration', 'conversion_operator_declaration']);
const INDEXER_DEFINITION_TYPE = 'indexer_declaration';

/**
 * Impl blocks are named by their bare type; a C# destructor's name keeps its `~`; a C# operator
 * is `operator +` or, converting, `operator string`; a C# indexer is `this[]`.
 */
function displayName(kind: ChunkKind, name: string, definition: Node, nameStart: number, text: string): string {
  if (kind === 'impl') return bareTypeName(name);
  if (kind === 'destructor' && !name.startsWith('~') && text[nameStart - 1] === '~') return `~${name}`;
  if (OPERATOR_DEFINITION_TYPES.has(definition.type)) return `operator ${name}`;
  if (definition.type === INDEXER_DEFINITION_TYPE) return 'this[]';
  return name;
}

/**
 * A type's bare name: without generic arguments, path, references or pointers
 * (`&'a mut std::vec::Vec<T>` → `Vec`, `*List[T]` → `List`). A type with no name of its own,
 * such as a slice `[T]`, keeps its text.
 */
export function bareTypeName(type: string): string {
  let depth = 0;
  let outside = '';
  for (const ch of type) {
    if (ch === '<' || ch === '[') depth++;
    else if (ch === '>' || ch === ']') depth = Math.max(0, depth - 1);
    else if (depth === 0) outside += ch;
  }
  const bare = withoutReferences(outside.split('::').pop() ?? outside);
  return bare !== '' ? bare : withoutReferences(type.replace(/\s+/g, ' '));
}

function withoutReferences(type: string): string {
  return type.replace(/^[\s&*]*(?:'\w+\s+)?(?:(?:mut|dyn|const)\s+)*/, '').trim();
}

/**
 * The header on one line, capped: from the start of the name's line, led by what comes before it
 * (decorators, attributes, `template<…>`, the declarators before it in a list) when the whole
 * still fits in {@link MAX_SIGNATURE_CHARS}, without the comments among them. A long attribute
 * (serde's many-line `#[cfg_attr(…)]`, a stack of `@click.option(…)`) would otherwise fill the
 * signature and cut the name off. A body-less header loses its trailing `{`.
 */
function signatureOf(text: string, candidate: Candidate, headerEnd: number, comments: readonly CommentSpan[]): string {
  const own = Math.min(candidate.ownStart, headerEnd);
  let signature = oneLine(text.slice(own, headerEnd));
  if (own > candidate.start) {
    const lead = oneLine(textWithout(text, candidate.start, own, commentsWithin(comments, candidate.start, own)));
    if (signature === '') signature = lead;
    else if (lead !== '' && lead.length + 1 + signature.length <= MAX_SIGNATURE_CHARS) signature = `${lead} ${signature}`;
  }
  return capSignature(candidate.hasBody ? signature : signature.replace(/\s*\{$/, ''));
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** Where a definition's header text ends: at `headerEnd`, less the whitespace before it. */
export function headerContentEnd(text: string, def: Definition): number {
  let end = def.headerEnd;
  while (end > def.start && /\s/.test(text[end - 1])) end--;
  return end;
}

/** Cuts a one-line signature to MAX_SIGNATURE_CHARS, marking the cut with `…`. */
export function capSignature(line: string): string {
  return line.length > MAX_SIGNATURE_CHARS ? `${headOf(line, MAX_SIGNATURE_CHARS - 1)}…` : line;
}

interface Resolved {
  candidate: Candidate;
  kind: ChunkKind;
  container?: string;
  /** index of the innermost enclosing definition in the returned list */
  parent?: number;
  depth: number;
}

/** A definition that encloses those that follow it, while they start before its `scopeEnd`. */
interface Open {
  scopeEnd: number;
  kind: ChunkKind;
  /** its index in the returned list; undefined when it is nested too deep to be returned */
  index?: number;
  /** the dotted path of the innermost container enclosing what it encloses (itself, if a container) */
  path?: string;
}

/**
 * Derives containers and refines kinds from nesting: a function directly inside a type (or
 * qualified with one) is a method, and methods named like constructors or destructors are those.
 * `candidates` must be sorted by start, outer definitions first. Candidates more than `maxDepth`
 * deep are left out; the work per candidate does not grow with its depth.
 */
function resolveNesting(candidates: readonly Candidate[], spec: LanguageSpec, maxDepth: number): Resolved[] {
  /** the definitions enclosing the current one, innermost last */
  const open: Open[] = [];
  const resolved: Resolved[] = [];
  for (const candidate of candidates) {
    while (open.length > 0 && open[open.length - 1].scopeEnd <= candidate.start) open.pop();
    const parent: Open | undefined = open[open.length - 1];
    const depth = open.length + 1;
    if (depth > maxDepth) {
      open.push({ scopeEnd: candidate.scopeEnd, kind: candidate.kind });
      continue;
    }
    const containerParts = [parent?.path, ...candidate.qualifiers].filter((p): p is string => !!p);
    const container = containerParts.length > 0 ? containerParts.join('.') : undefined;
    const kind = refineKind(candidate, parent?.kind, container, spec);
    const path = CONTAINER_KINDS.has(kind) ? (container ? `${container}.${candidate.name}` : candidate.name) : parent?.path;
    open.push({ scopeEnd: candidate.scopeEnd, kind, index: resolved.length, path });
    resolved.push({ candidate, kind, container, parent: parent?.index, depth });
  }
  return resolved;
}

function refineKind(candidate: Candidate, parentKind: ChunkKind | undefined, container: string | undefined, spec: LanguageSpec): ChunkKind {
  let kind = candidate.kind;
  const inType = parentKind !== undefined && TYPE_KINDS.has(parentKind);
  if (kind === 'function' && (inType || candidate.qualifiers.length > 0)) kind = 'method';
  if (kind !== 'method') return kind;
  const { name } = candidate;
  if (spec.constructorNames?.includes(name)) return 'constructor';
  if (spec.destructorNames?.includes(name)) return 'destructor';
  if (spec.classNamedConstructors && container) {
    if (name.startsWith('~')) return 'destructor';
    if (name === className(container)) return 'constructor';
  }
  return kind;
}

/**
 * The class a container names, less its template arguments: the last of its `.`-joined parts
 * outside `<…>` and `(…)` (`fmt.formatter<std::tuple<A, B>, Char>` → `formatter`), so that the
 * constructors of a C++ specialisation are constructors too.
 */
function className(container: string): string {
  // `<` and `>` inside parentheses are comparisons (`Foo<(N > 1)>`), not brackets
  let angles = 0;
  let parens = 0;
  let end = container.length;
  for (let i = container.length - 1; i >= 0; i--) {
    const ch = container[i];
    if (ch === ')') parens++;
    else if (ch === '(') parens = Math.max(0, parens - 1);
    else if (parens > 0) continue;
    else if (ch === '>') angles++;
    else if (ch === '<' && angles > 0) {
      if (--angles === 0) end = i;
    } else if (ch === '.' && angles === 0) return container.slice(i + 1, end).trimEnd();
  }
  return container.slice(0, end).trimEnd();
}
