import { join } from 'node:path';
import { Parser, Query, type Language } from 'web-tree-sitter';
import type { Chunk } from '../types';
import { definitionChunks, fileWindowChunks, markdownChunks, type ChunkLimits } from './assemble';
import { ContextQueries } from './context';
import { extractDefinitions, type Definition } from './definitions';
import { languageForFile, languageSpec, type LanguageSpec, type ParsedLanguageId } from './languages';
import { defaultGrammarDir, defaultRuntimeWasm, errorMessage, initRuntime, loadGrammar } from './runtime';
import { SourceText } from './source';

/** Default longest chunk text, in characters (the engine derives its own from the model's window). */
export const DEFAULT_MAX_CHUNK_CHARS = 2000;
/**
 * Default deepest definition that is a chunk of its own: 6 levels of definitions one inside the
 * other (say namespace, class, nested class, method, local function, closure). Real code rarely
 * goes past 5; deeper definitions are held by the chunks of those enclosing them.
 */
export const DEFAULT_MAX_NESTING_DEPTH = 6;
/**
 * Default most chunks of one file. A 9 MB compiler bundle (typescript.js) has about 22,000;
 * a file within the default size limit (1 MB) rarely has more than a few thousand.
 */
export const DEFAULT_MAX_CHUNKS_PER_FILE = 20_000;

export interface ChunkerOptions {
  /** folder holding the tree-sitter-<language>.wasm grammars */
  grammarDir: string;
  /** path of web-tree-sitter.wasm; the runtime is process-wide, so only the first Chunker's path is used */
  runtimeWasm?: string;
  /** longest chunk text, in characters; longer classes are outlined, longer functions and sections split into windows */
  maxChunkChars: number;
  /**
   * Deepest definition that is a chunk of its own, counting the definitions around it (a top-level
   * function is at depth 1, a method of a top-level class at 2). A definition nested deeper is
   * not a chunk: the chunks of the definitions enclosing it hold its lines. This keeps the work
   * linear in the file's size however deep the code nests (each level's chunks repeat its lines).
   * Default DEFAULT_MAX_NESTING_DEPTH.
   */
  maxNestingDepth: number;
  /**
   * Most chunks of one file. A parsed file with more is chunked again with one level of nesting
   * less, and so on down to top-level definitions only; a file with more chunks than this even
   * then, or a Markdown or text file with more, is split into line windows; and where even those
   * are too many, the windows grow past maxChunkChars (every line stays in a chunk, but the
   * embedding model sees only the start of each window). Default DEFAULT_MAX_CHUNKS_PER_FILE.
   */
  maxChunksPerFile: number;
  /** told when a file could not be parsed and was chunked into line windows instead */
  onParseError?: (relPath: string, reason: string) => void;
}

/**
 * Splits files into searchable chunks: parsed languages by definition (tree-sitter), Markdown by
 * heading, anything else by line windows. Parsers are made lazily, once per language (queries
 * once per process and language), and every syntax tree is deleted after use: the wasm heap never shrinks, so a leaked
 * tree is memory lost for the life of the process. Call dispose() when done.
 */
export class Chunker {
  private readonly parsers = new Map<ParsedLanguageId, Promise<LanguageParser>>();
  private disposed = false;

  private constructor(private readonly options: Readonly<ChunkerOptions>) {}

  /** Initialises the tree-sitter runtime; missing paths default to this installation's (see defaultChunkerPaths). */
  static async create(options: Partial<ChunkerOptions> = {}): Promise<Chunker> {
    const maxChunkChars = options.maxChunkChars ?? DEFAULT_MAX_CHUNK_CHARS;
    if (!(maxChunkChars > 0)) throw new Error(`maxChunkChars must be positive, got ${maxChunkChars}`);
    const maxNestingDepth = options.maxNestingDepth ?? DEFAULT_MAX_NESTING_DEPTH;
    if (!Number.isInteger(maxNestingDepth) || maxNestingDepth < 1) {
      throw new Error(`maxNestingDepth must be a whole number of at least 1, got ${maxNestingDepth}`);
    }
    const maxChunksPerFile = options.maxChunksPerFile ?? DEFAULT_MAX_CHUNKS_PER_FILE;
    if (!Number.isInteger(maxChunksPerFile) || maxChunksPerFile < 1) {
      throw new Error(`maxChunksPerFile must be a whole number of at least 1, got ${maxChunksPerFile}`);
    }
    const runtimeWasm = options.runtimeWasm ?? defaultRuntimeWasm();
    await initRuntime(runtimeWasm);
    return new Chunker({
      ...options,
      grammarDir: options.grammarDir ?? defaultGrammarDir(),
      runtimeWasm,
      maxChunkChars,
      maxNestingDepth,
      maxChunksPerFile,
    });
  }

  /**
   * Chunks one file. `relPath` (POSIX, relative to the workspace root) picks the language by
   * extension (a `.h` header by what it holds: languageForFile) and is copied into the chunks. A
   * file that fails to parse still yields line windows.
   */
  async chunkFile(relPath: string, text: string): Promise<Chunk[]> {
    if (this.disposed) throw new Error('Chunker.chunkFile called after dispose()');
    // A lone CR ends a line (old Mac files), as in editors and in the excerpts answers show: read
    // as one, so that such a file's definitions and line numbers are found as any file's. Same
    // length and same UTF-8 bytes elsewhere, so byte offsets are the file's own.
    const source = new SourceText(text.includes('\r') ? text.replace(/\r(?!\n)/g, '\n') : text);
    const limits: ChunkLimits = { maxChars: this.options.maxChunkChars, maxChunks: this.options.maxChunksPerFile };
    const language = languageForFile(relPath, text);
    if (language === 'markdown') return markdownChunks(relPath, source, limits);
    const spec = language && languageSpec(language);
    if (!spec) return fileWindowChunks(relPath, 'text', source, limits);
    let definitions: Definition[];
    try {
      definitions = await this.definitions(spec, source);
    } catch (err) {
      if (this.disposed) throw err;
      this.options.onParseError?.(relPath, errorMessage(err));
      return fileWindowChunks(relPath, spec.id, source, limits);
    }
    return definitionChunks(relPath, spec, source, definitions, limits);
  }

  /** Frees the parsers (compiled queries are kept for the process). Pending chunkFile calls may still finish; new ones throw. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const parser of this.parsers.values()) parser.then((p) => p.dispose(), () => undefined);
    this.parsers.clear();
  }

  private async definitions(spec: LanguageSpec, source: SourceText): Promise<Definition[]> {
    const parser = await this.parserFor(spec);
    if (this.disposed) throw new Error('the Chunker was disposed while a file was being chunked');
    return parser.definitions(source, this.options.maxNestingDepth);
  }

  private parserFor(spec: LanguageSpec): Promise<LanguageParser> {
    let parser = this.parsers.get(spec.id);
    if (!parser) {
      parser = compileLanguage(spec, join(this.options.grammarDir, spec.grammar)).then((compiled) => new LanguageParser(spec, compiled));
      parser.catch(() => this.parsers.delete(spec.id));
      this.parsers.set(spec.id, parser);
    }
    return parser;
  }
}

/** A grammar with its compiled queries. */
interface CompiledLanguage {
  language: Language;
  query: Query;
  context: ContextQueries;
}

/**
 * Compiled queries by language and grammar path. Like grammars (runtime.ts), they are made once
 * per process (per thread) and kept: compiling a query takes up to a second, and a query is
 * only read when used. A failed compilation is retried by the next call.
 */
const compiledLanguages = new Map<string, Promise<CompiledLanguage>>();

function compileLanguage(spec: LanguageSpec, grammarPath: string): Promise<CompiledLanguage> {
  const key = `${spec.id}:${grammarPath}`;
  let compiled = compiledLanguages.get(key);
  if (!compiled) {
    compiled = loadGrammar(grammarPath).then((language) => {
      let query: Query;
      try {
        query = new Query(language, spec.query);
      } catch (err) {
        throw new Error(`the ${spec.id} definition query does not compile: ${errorMessage(err)}`);
      }
      try {
        return { language, query, context: new ContextQueries(language, spec) };
      } catch (err) {
        query.delete();
        throw err;
      }
    });
    compiled.catch(() => compiledLanguages.delete(key));
    compiledLanguages.set(key, compiled);
  }
  return compiled;
}

/** One language's parser, with the language's compiled queries. */
class LanguageParser {
  private readonly parser = new Parser();

  constructor(
    private readonly spec: LanguageSpec,
    private readonly compiled: CompiledLanguage,
  ) {
    this.parser.setLanguage(compiled.language);
  }

  /** Parses the source and extracts its definitions; the tree is deleted before returning. */
  definitions(source: SourceText, maxDepth: number): Definition[] {
    const tree = this.parser.parse(source.parseText);
    if (!tree) throw new Error(`tree-sitter returned no tree for ${this.spec.id}`);
    try {
      const { query, context } = this.compiled;
      return extractDefinitions(tree, query, context.contextOf(tree), this.spec, source, maxDepth);
    } finally {
      tree.delete();
    }
  }

  dispose(): void {
    this.parser.delete();
  }
}
