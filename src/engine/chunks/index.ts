/**
 * The chunking stage: source files → Chunks (see ../types.ts).
 *
 * Twelve languages are parsed with tree-sitter (web-tree-sitter, grammars as .wasm) and split by
 * definition; Markdown is split at headings; any other text into overlapping line windows.
 *
 * What a definition's chunk holds:
 *  - its byte and line range is the definition itself, from its first decorator, attribute or
 *    `export` to its end; its text is the doc comment right above it followed by that source;
 *  - a class, interface, struct, trait, impl or enum longer than maxChunkChars keeps its range but
 *    its text is its outline: its own code, with each member's doc and body left out (the member
 *    is a chunk of its own) and the body marked ` { … }`, ` ...` in Python, ` ... end` in Ruby;
 *    an outline still longer than maxChunkChars becomes windows that repeat the class header;
 *  - any other definition longer than maxChunkChars (a function, a type alias) becomes windows
 *    (`part`) that each repeat its header;
 *  - a namespace or module spans its members but its text is only its doc and header;
 *  - a function nested in a function that fits in one chunk is not a chunk of its own;
 *  - a definition nested more than maxNestingDepth deep (default 6) is not a chunk of its own:
 *    the chunks of the definitions around it hold its lines;
 *  - code between definitions (imports, top-level statements) becomes line windows.
 * A file never has more than maxChunksPerFile chunks (default 20,000): one with more is chunked
 * again with less nesting, then as line windows, then as fewer, longer windows (see ChunkerOptions).
 * No limit takes text out of the index: what a dropped chunk held is in the chunks that replace it.
 * Chunks come in order of startByte; of two that start together, the longer (enclosing) one first.
 *
 * Files: languages.ts (the language table and queries), definitions.ts (syntax tree → definitions),
 * context.ts (parents and siblings of nodes, found by query), docs.ts (doc comments),
 * windows.ts and markdown.ts (line splitting), outline.ts (class outlines),
 * assemble.ts (→ Chunks), source.ts (lines and UTF-8 offsets), runtime.ts (wasm runtime and
 * grammars), chunker.ts (API), pool.ts and worker.ts (parsing on worker threads).
 */
export {
  Chunker,
  DEFAULT_MAX_CHUNK_CHARS,
  DEFAULT_MAX_CHUNKS_PER_FILE,
  DEFAULT_MAX_NESTING_DEPTH,
  type ChunkerOptions,
} from './chunker';
export { languageForFile, languageForPath } from './languages';
export { defaultChunkerPaths, type RuntimePaths } from './runtime';
