import { extname } from 'node:path';
import { headerIsCpp } from './header-language';
import type { LanguageId } from '../types';
import { pythonDocstring, type DocstringReader } from './docs';

/**
 * The table of parsed languages: file extensions, grammar file, and the tree-sitter query
 * that finds definitions. Queries are written for this project (not the grammars' tags.scm)
 * and follow one capture convention:
 *
 *   @definition.<kind>  the definition node; <kind> is a ChunkKind
 *                       (function, method, constructor, destructor, class, interface, struct,
 *                       enum, trait, impl, module, type)
 *   @name               its name (a `::`-qualified name puts the qualifier into the container)
 *   @declarator         instead of @name: a C or C++ declarator that holds the name somewhere
 *                       inside it (c-declarators.ts)
 *   @body               its body, optional: the signature is the text before it
 *   @container          an explicit container type, e.g. a Go method's receiver type
 *   @comment            every comment node, used to find doc comments
 *
 * Containment (methods in classes, classes in namespaces) is derived from source ranges,
 * so queries do not need to describe nesting.
 */

/** A language the chunker parses with tree-sitter. */
export type ParsedLanguageId = Exclude<LanguageId, 'markdown' | 'text'>;

export interface LanguageSpec {
  id: ParsedLanguageId;
  /** lower-case file extensions, without the dot */
  extensions: readonly string[];
  /** file name of the grammar in the grammar folder */
  grammar: string;
  query: string;
  /** parent node types that wrap exactly one definition and belong to it (decorators, `export`, `template<…>`) */
  wrapperTypes?: readonly string[];
  /**
   * wrapper types that may hold several definitions (`var a = function …, b = …`): a definition
   * that is the wrapper's first child starts where the wrapper does, so its keywords and doc comment
   * are its own; a later one does too when nothing long and no definition come before it
   * (definitions.ts `startLaterDeclarators`)
   */
  listWrapperTypes?: readonly string[];
  /** sibling node types directly before a definition that belong to it (Rust `#[attr]`) */
  attributeTypes?: readonly string[];
  /** method names that are constructors / destructors */
  constructorNames?: readonly string[];
  destructorNames?: readonly string[];
  /** C++: a method named after its class is a constructor, `~Name` a destructor */
  classNamedConstructors?: boolean;
  /** reads a docstring from a definition's body (Python) */
  docstring?: DocstringReader;
  /** what stands for a member's body in the outline of a long class; BRACE_BODY_ELISION when unset */
  bodyElision?: string;
}

/** The body elision of the brace languages: `void run() { … }`. */
export const BRACE_BODY_ELISION = ' { … }';

/** Arrow functions and function expressions bound to a name, shared by JavaScript and TypeScript. */
const FUNCTION_VALUE = `[
  (arrow_function body: (_) @body)
  (function_expression body: (_) @body)
  (generator_function body: (_) @body)
]`;

/**
 * A function wrapped in a call that returns the component it makes: React's `forwardRef` and
 * `memo`, MobX's `observer` (`const Button = React.forwardRef((props, ref) => …)`). A closed list:
 * a pattern for any call around a function would also take `debounce(…)` and `useCallback(…)`.
 */
function componentWrapper(capture: string, wrapped: string): string {
  return `(call_expression
    function: [(identifier) @${capture} (member_expression property: (property_identifier) @${capture})]
    arguments: (arguments . ${wrapped}))`;
}
const COMPONENT_WRAPPERS = '^(forwardRef|memo|observer)$';

/** The declarators bound to a wrapped component, once or twice wrapped (`memo(forwardRef(…))`). */
function componentPatterns(): string {
  const once = componentWrapper('wrapper', FUNCTION_VALUE);
  const twice = componentWrapper('wrapper', componentWrapper('inner', FUNCTION_VALUE));
  return [once, twice]
    .map((value, i) => `([(lexical_declaration (variable_declarator name: (identifier) @name value: ${value}) @definition.function)
  (variable_declaration (variable_declarator name: (identifier) @name value: ${value}) @definition.function)]
  (#match? @wrapper "${COMPONENT_WRAPPERS}")${i === 1 ? ` (#match? @inner "${COMPONENT_WRAPPERS}")` : ''})`)
    .join('\n');
}

/** The ECMAScript patterns; `field` is the class-field pattern, which differs between the grammars. */
function ecmascriptQuery(field: string): string {
  return `
(function_declaration name: (identifier) @name body: (_) @body) @definition.function
(generator_function_declaration name: (identifier) @name body: (_) @body) @definition.function
(class_declaration name: (_) @name body: (class_body) @body) @definition.class
(method_definition name: (_) @name body: (_) @body) @definition.method
(lexical_declaration (variable_declarator name: (identifier) @name value: (class body: (class_body) @body)) @definition.class)
(lexical_declaration (variable_declarator name: (identifier) @name value: ${FUNCTION_VALUE}) @definition.function)
(variable_declaration (variable_declarator name: (identifier) @name value: ${FUNCTION_VALUE}) @definition.function)
${componentPatterns()}
(${field} value: ${FUNCTION_VALUE}) @definition.function
(expression_statement
  (assignment_expression
    left: [(identifier) @name (member_expression property: (property_identifier) @name)]
    right: ${FUNCTION_VALUE})) @definition.function
(pair key: (property_identifier) @name value: ${FUNCTION_VALUE}) @definition.function
(comment) @comment
`;
}

const TYPESCRIPT_QUERY = `${ecmascriptQuery('public_field_definition name: (property_identifier) @name')}
(abstract_class_declaration name: (_) @name body: (class_body) @body) @definition.class
(interface_declaration name: (_) @name body: (interface_body) @body) @definition.interface
(enum_declaration name: (_) @name body: (enum_body) @body) @definition.enum
(type_alias_declaration name: (_) @name) @definition.type
(internal_module name: (_) @name body: (statement_block) @body) @definition.module
(module name: (_) @name body: (statement_block) @body) @definition.module
`;

/**
 * `export`, and the declaration around a declarator that binds a function or class: `const f = () => …`
 * starts at `const` (and `export`), while each of `var a = function () {…}, b = …` is its own
 * definition, the first starting at `var`, and a later one after short variables too (listWrapperTypes).
 */
const ECMASCRIPT_DECLARATIONS = ['lexical_declaration', 'variable_declaration'];
const ECMASCRIPT_WRAPPERS = ['export_statement', ...ECMASCRIPT_DECLARATIONS];

/**
 * Definitions of C and C++. A function's name sits somewhere inside its declarator (under pointer,
 * reference, array and parenthesised declarators, or a second function declarator when it
 * returns a function pointer): the `@declarator` capture, resolved by c-declarators.ts.
 */
const C_QUERY = `
(function_definition declarator: (_) @declarator body: (compound_statement) @body) @definition.function
(struct_specifier name: (_) @name body: (field_declaration_list) @body) @definition.struct
(union_specifier name: (_) @name body: (field_declaration_list) @body) @definition.struct
(enum_specifier name: (_) @name body: (enumerator_list) @body) @definition.enum
(type_definition
  type: [(struct_specifier body: (field_declaration_list) @body) (union_specifier body: (field_declaration_list) @body)]
  declarator: (type_identifier) @name) @definition.struct
(type_definition type: (enum_specifier body: (enumerator_list) @body) declarator: (type_identifier) @name) @definition.enum
(comment) @comment
`;

const CPP_QUERY = `${C_QUERY}
(class_specifier name: (_) @name body: (field_declaration_list) @body) @definition.class
(namespace_definition name: (_) @name body: (declaration_list) @body) @definition.module
`;

export const LANGUAGES: readonly LanguageSpec[] = [
  {
    id: 'typescript',
    extensions: ['ts', 'mts', 'cts'],
    grammar: 'tree-sitter-typescript.wasm',
    query: TYPESCRIPT_QUERY,
    wrapperTypes: [...ECMASCRIPT_WRAPPERS, 'ambient_declaration'],
    listWrapperTypes: ECMASCRIPT_DECLARATIONS,
    // a class member's decorators are its siblings in this grammar (JavaScript's nests them in the member)
    attributeTypes: ['decorator'],
    constructorNames: ['constructor'],
  },
  {
    id: 'tsx',
    extensions: ['tsx'],
    grammar: 'tree-sitter-tsx.wasm',
    query: TYPESCRIPT_QUERY,
    wrapperTypes: [...ECMASCRIPT_WRAPPERS, 'ambient_declaration'],
    listWrapperTypes: ECMASCRIPT_DECLARATIONS,
    // a class member's decorators are its siblings in this grammar (JavaScript's nests them in the member)
    attributeTypes: ['decorator'],
    constructorNames: ['constructor'],
  },
  {
    id: 'javascript',
    extensions: ['js', 'jsx', 'mjs', 'cjs'],
    grammar: 'tree-sitter-javascript.wasm',
    query: ecmascriptQuery('field_definition property: (property_identifier) @name'),
    wrapperTypes: ECMASCRIPT_WRAPPERS,
    listWrapperTypes: ECMASCRIPT_DECLARATIONS,
    constructorNames: ['constructor'],
  },
  {
    id: 'python',
    extensions: ['py', 'pyi'],
    grammar: 'tree-sitter-python.wasm',
    query: `
(function_definition name: (identifier) @name body: (block) @body) @definition.function
(class_definition name: (identifier) @name body: (block) @body) @definition.class
(comment) @comment
`,
    wrapperTypes: ['decorated_definition'],
    constructorNames: ['__init__'],
    docstring: pythonDocstring,
    bodyElision: ' ...',
  },
  {
    id: 'go',
    extensions: ['go'],
    grammar: 'tree-sitter-go.wasm',
    query: `
(function_declaration name: (identifier) @name body: (block) @body) @definition.function
(method_declaration
  receiver: (parameter_list (parameter_declaration type: (_) @container))
  name: (field_identifier) @name
  body: (block) @body) @definition.method
(type_spec name: (type_identifier) @name type: (struct_type (field_declaration_list) @body)) @definition.struct
(type_spec name: (type_identifier) @name type: (interface_type)) @definition.interface
(type_spec
  name: (type_identifier) @name
  type: [(type_identifier) (qualified_type) (generic_type) (pointer_type) (slice_type) (array_type)
         (map_type) (channel_type) (function_type)]) @definition.type
(type_alias name: (type_identifier) @name) @definition.type
(comment) @comment
`,
    wrapperTypes: ['type_declaration'],
  },
  {
    id: 'rust',
    extensions: ['rs'],
    grammar: 'tree-sitter-rust.wasm',
    query: `
(function_item name: (identifier) @name body: (block) @body) @definition.function
(struct_item name: (type_identifier) @name body: (_)? @body) @definition.struct
(union_item name: (type_identifier) @name body: (field_declaration_list) @body) @definition.struct
(enum_item name: (type_identifier) @name body: (enum_variant_list) @body) @definition.enum
(trait_item name: (type_identifier) @name body: (declaration_list) @body) @definition.trait
(impl_item type: (_) @name body: (declaration_list) @body) @definition.impl
(mod_item name: (identifier) @name body: (declaration_list) @body) @definition.module
(type_item name: (type_identifier) @name) @definition.type
(macro_definition name: (identifier) @name) @definition.function
[(line_comment) (block_comment)] @comment
`,
    attributeTypes: ['attribute_item'],
  },
  {
    id: 'java',
    extensions: ['java'],
    grammar: 'tree-sitter-java.wasm',
    query: `
(class_declaration name: (identifier) @name body: (class_body) @body) @definition.class
(record_declaration name: (identifier) @name body: (class_body) @body) @definition.class
(interface_declaration name: (identifier) @name body: (interface_body) @body) @definition.interface
(annotation_type_declaration name: (identifier) @name body: (annotation_type_body) @body) @definition.interface
(enum_declaration name: (identifier) @name body: (enum_body) @body) @definition.enum
(method_declaration name: (identifier) @name body: (block) @body) @definition.method
(constructor_declaration name: (identifier) @name body: (constructor_body) @body) @definition.constructor
(compact_constructor_declaration name: (identifier) @name body: (block) @body) @definition.constructor
[(line_comment) (block_comment)] @comment
`,
  },
  {
    id: 'c',
    extensions: ['c', 'h'],
    grammar: 'tree-sitter-c.wasm',
    query: C_QUERY,
  },
  {
    id: 'cpp',
    extensions: ['cc', 'cpp', 'cxx', 'hpp', 'hh', 'hxx'],
    grammar: 'tree-sitter-cpp.wasm',
    query: CPP_QUERY,
    wrapperTypes: ['template_declaration'],
    classNamedConstructors: true,
  },
  {
    id: 'csharp',
    extensions: ['cs'],
    grammar: 'tree-sitter-c_sharp.wasm',
    query: `
(namespace_declaration name: (_) @name body: (declaration_list) @body) @definition.module
(file_scoped_namespace_declaration name: (_) @name) @definition.module
(class_declaration name: (identifier) @name body: (declaration_list) @body) @definition.class
(record_declaration name: (identifier) @name body: (declaration_list)? @body) @definition.class
(struct_declaration name: (identifier) @name body: (declaration_list) @body) @definition.struct
(interface_declaration name: (identifier) @name body: (declaration_list) @body) @definition.interface
(enum_declaration name: (identifier) @name body: (enum_member_declaration_list) @body) @definition.enum
(method_declaration name: (identifier) @name body: (_) @body) @definition.method
(constructor_declaration name: (identifier) @name body: (_) @body) @definition.constructor
(destructor_declaration name: (identifier) @name body: (_) @body) @definition.destructor
(local_function_statement name: (identifier) @name body: (_) @body) @definition.function
(property_declaration name: (identifier) @name accessors: (accessor_list (accessor_declaration body: (_))) @body) @definition.method
(property_declaration name: (identifier) @name value: (arrow_expression_clause) @body) @definition.method
(indexer_declaration parameters: (_) @name accessors: (accessor_list (accessor_declaration body: (_))) @body) @definition.method
(indexer_declaration parameters: (_) @name value: (arrow_expression_clause) @body) @definition.method
(event_declaration name: (identifier) @name accessors: (accessor_list (accessor_declaration body: (_))) @body) @definition.method
(operator_declaration operator: _ @name body: (_) @body) @definition.method
(conversion_operator_declaration type: (_) @name body: (_) @body) @definition.method
(comment) @comment
`,
  },
  {
    id: 'ruby',
    extensions: ['rb'],
    grammar: 'tree-sitter-ruby.wasm',
    query: `
(module name: (_) @name body: (_)? @body) @definition.module
(class name: (_) @name body: (_)? @body) @definition.class
(method name: (_) @name body: (_)? @body) @definition.function
(singleton_method name: (_) @name body: (_)? @body) @definition.function
(comment) @comment
`,
    constructorNames: ['initialize'],
    bodyElision: ' ... end',
  },
  {
    id: 'php',
    extensions: ['php'],
    grammar: 'tree-sitter-php.wasm',
    query: `
(namespace_definition name: (namespace_name) @name body: (compound_statement)? @body) @definition.module
(class_declaration name: (name) @name body: (declaration_list) @body) @definition.class
(interface_declaration name: (name) @name body: (declaration_list) @body) @definition.interface
(trait_declaration name: (name) @name body: (declaration_list) @body) @definition.trait
(enum_declaration name: (name) @name body: (enum_declaration_list) @body) @definition.enum
(method_declaration name: (name) @name body: (compound_statement) @body) @definition.method
(function_definition name: (name) @name body: (compound_statement) @body) @definition.function
(comment) @comment
`,
    constructorNames: ['__construct'],
    destructorNames: ['__destruct'],
  },
];

const MARKDOWN_EXTENSIONS = new Set(['md', 'markdown']);

const BY_EXTENSION = new Map<string, LanguageSpec>(
  LANGUAGES.flatMap((spec) => spec.extensions.map((ext) => [ext, spec] as const)),
);

/**
 * The language of a file, by its extension: one of the twelve parsed languages, or 'markdown'.
 * Undefined means the file is not one we parse; the caller decides whether to index it as text.
 */
export function languageForPath(path: string): LanguageId | undefined {
  const ext = extname(path).slice(1).toLowerCase();
  if (MARKDOWN_EXTENSIONS.has(ext)) return 'markdown';
  return BY_EXTENSION.get(ext)?.id;
}

/**
 * Extensions whose files are in one of several languages, told apart by what they hold
 * ({@link languageForFile}): a `.h` header is C or C++. A language filter that names such an
 * extension keeps all of them (language-names.ts).
 */
export const EXTENSION_LANGUAGES: ReadonlyMap<string, readonly LanguageId[]> = new Map([['h', ['c', 'cpp']]]);

/**
 * The version of how files are cut into chunks, raised when the chunks of a file whose content did
 * not change would now differ. An index records the version its files were chunked under; one
 * chunked under another version chunks every file again on its next update (indexer.ts), taking
 * the vectors of unchanged chunks from the embedding cache. 1: before it was recorded, every `.h`
 * header parsed as C; then {@link CHUNKING_CHANGES}.
 */
export const CHUNKING_VERSION = 5;

/** What each chunking version changed, for the message that says why every file is chunked again. */
export const CHUNKING_CHANGES: ReadonlyMap<number, string> = new Map([
  [2, 'a .h header holding C++ is read as C++'],
  [3, "a TypeScript member's decorators and doc comment are part of it, a definition's attributes no longer stand for its signature, short files without definitions are indexed"],
  [4, "C# properties, indexers, events and operators with bodies are chunks of their own, as are C++ conversion operators; C functions that return function pointers or arrays are named; each function of `var a = function …, b = …` is found, and components wrapped in forwardRef, memo or observer; `A::B::C` and `namespace a::b` keep every qualifier"],
  [5, "a Rust attribute or a class member's decorator above a doc comment (`#[inline]` then `/// doc`) stays with its item, a doc comment between an item's decorators, attributes or annotations and its name is its doc, a function declared after short variables (`var n = 0, f = function …`) keeps the declaration's keyword and the comment above, a long attribute no longer fills a signature, and the constructors of a C++ template specialisation are constructors"],
]);

/** The changes since chunking version `from`, in words (`older rules (since then: …)`). */
export function chunkingChangesSince(from: number): string {
  const changes: string[] = [];
  for (const [version, change] of CHUNKING_CHANGES) if (version > from) changes.push(change);
  return changes.join('; ');
}

/**
 * The language of a file, by its extension and, for an extension of {@link EXTENSION_LANGUAGES}
 * (a `.h` header), by what it holds: a header with a line only C++ has is C++
 * (header-language.ts), any other stays C.
 */
export function languageForFile(path: string, text: string): LanguageId | undefined {
  if (!EXTENSION_LANGUAGES.has(extname(path).slice(1).toLowerCase())) return languageForPath(path);
  return headerIsCpp(text) ? 'cpp' : 'c';
}

/** The table entry of a parsed language. */
export function languageSpec(id: LanguageId): LanguageSpec | undefined {
  return LANGUAGES.find((spec) => spec.id === id);
}
