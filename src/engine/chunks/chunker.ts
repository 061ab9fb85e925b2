import { join } from 'node:path';
import { Parser, Query, type Language } from 'web-tree-sitter';
import type { Chunk } from '../types';
import { definitionChunks, fileWindowChunks, markdownChunks } from './assemble';
import { extractDefinitions, type Definition } from './definitions';
import { languageForPath, languageSpec, type LanguageSpec, type ParsedLanguageId } from './languages';
import { defaultGrammarDir, defaultRuntimeWasm, errorMessage, initRuntime, loadGrammar } from './runtime';
import { SourceText } from './source';

/** Default longest chunk text, in characters (the engine derives its own from the model's window). */
export const DEFAULT_MAX_CHUNK_CHARS = 2000;

export interface ChunkerOptions {
  /** folder holding the tree-sitter-<language>.wasm grammars */
  grammarDir: string;
  /** path of web-tree-sitter.wasm; the runtime is process-wide, so only the first Chunker's path is used */
  runtimeWasm?: string;
  /** longest chunk text, in characters; longer classes are outlined, longer functions and sections split into windows */
  maxChunkChars: number;
  /** told when a file could not be parsed and was chunked into line windows instead */
  onParseError?: (relPath: string, reason: string) => void;
}

/**
 * Splits files into searchable chunks: parsed languages by definition (tree-sitter), Markdown by
 * heading, anything else by line windows. Parsers and compiled queries are made lazily, once per
 * language, and every syntax tree is deleted after use: the wasm heap never shrinks, so a leaked
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
    const runtimeWasm = options.runtimeWasm ?? defaultRuntimeWasm();
    await initRuntime(runtimeWasm);
    return new Chunker({ ...options, grammarDir: options.grammarDir ?? defaultGrammarDir(), runtimeWasm, maxChunkChars });
  }

  /**
   * Chunks one file. `relPath` (POSIX, relative to the workspace root) picks the language by
   * extension and is copied into the chunks. A file that fails to parse still yields line windows.
   */
  async chunkFile(relPath: string, text: string): Promise<Chunk[]> {
    if (this.disposed) throw new Error('Chunker.chunkFile called after dispose()');
    const source = new SourceText(text);
    const maxChars = this.options.maxChunkChars;
    const language = languageForPath(relPath);
    if (language === 'markdown') return markdownChunks(relPath, source, maxChars);
    const spec = language && languageSpec(language);
    if (!spec) return fileWindowChunks(relPath, 'text', source, maxChars);
    let definitions: Definition[];
    try {
      definitions = await this.definitions(spec, source);
    } catch (err) {
      if (this.disposed) throw err;
      this.options.onParseError?.(relPath, errorMessage(err));
      return fileWindowChunks(relPath, spec.id, source, maxChars);
    }
    return definitionChunks(relPath, spec, source, definitions, maxChars);
  }

  /** Frees the parsers and queries. Pending chunkFile calls may still finish; new ones throw. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const parser of this.parsers.values()) parser.then((p) => p.dispose(), () => undefined);
    this.parsers.clear();
  }

  private async definitions(spec: LanguageSpec, source: SourceText): Promise<Definition[]> {
    const parser = await this.parserFor(spec);
    if (this.disposed) throw new Error('the Chunker was disposed while a file was being chunked');
    return parser.definitions(source);
  }

  private parserFor(spec: LanguageSpec): Promise<LanguageParser> {
    let parser = this.parsers.get(spec.id);
    if (!parser) {
      parser = loadGrammar(join(this.options.grammarDir, spec.grammar)).then((language) => new LanguageParser(spec, language));
      parser.catch(() => this.parsers.delete(spec.id));
      this.parsers.set(spec.id, parser);
    }
    return parser;
  }
}

/** One language's parser and compiled query. */
class LanguageParser {
  private readonly parser = new Parser();
  private readonly query: Query;

  constructor(
    private readonly spec: LanguageSpec,
    language: Language,
  ) {
    this.parser.setLanguage(language);
    try {
      this.query = new Query(language, spec.query);
    } catch (err) {
      this.parser.delete();
      throw new Error(`the ${spec.id} definition query does not compile: ${errorMessage(err)}`);
    }
  }

  /** Parses the source and extracts its definitions; the tree is deleted before returning. */
  definitions(source: SourceText): Definition[] {
    const tree = this.parser.parse(source.parseText);
    if (!tree) throw new Error(`tree-sitter returned no tree for ${this.spec.id}`);
    try {
      return extractDefinitions(tree, this.query, this.spec, source);
    } finally {
      tree.delete();
    }
  }

  dispose(): void {
    this.query.delete();
    this.parser.delete();
  }
}
