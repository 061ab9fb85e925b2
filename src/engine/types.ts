/**
 * Shared data shapes of the engine. The data flows
 *   files (scan) → chunks (tree-sitter) → vectors (embedder) → index (HNSW + lexical) → search (results)
 * and each stage lives in the folder of the same name under src/engine/.
 * Nothing under src/engine may import 'vscode'.
 */

export type LanguageId =
  | 'typescript'
  | 'tsx'
  | 'javascript'
  | 'python'
  | 'go'
  | 'rust'
  | 'java'
  | 'c'
  | 'cpp'
  | 'csharp'
  | 'ruby'
  | 'php'
  | 'markdown'
  | 'text';

export type ChunkKind =
  | 'function'
  | 'method'
  | 'constructor'
  | 'destructor'
  | 'class'
  | 'interface'
  | 'struct'
  | 'enum'
  | 'trait'
  | 'impl'
  | 'module'
  | 'type'
  /** a run of lines from a file with no definitions, an unsupported language, or Markdown */
  | 'window';

/** One searchable piece of a file. */
export interface Chunk {
  /** POSIX path relative to the workspace root */
  path: string;
  language: LanguageId;
  kind: ChunkKind;
  /** the definition's name; for line windows, the file name plus the line range */
  name: string;
  /** enclosing class / impl / receiver type / namespace / module, if any (dotted for nesting) */
  container?: string;
  /** the header of the definition, e.g. `def parse(self, text: str) -> Tree:` (one line, trimmed) */
  signature: string;
  /** the doc comment or docstring, with comment markers stripped */
  doc?: string;
  /** UTF-8 byte offsets into the file, end exclusive */
  startByte: number;
  endByte: number;
  /** 1-based, inclusive */
  startLine: number;
  endLine: number;
  /**
   * the text that is embedded and indexed: the source of the range; windows of a long function repeat
   * its header; a long class's text is its outline, with the bodies of its members (chunks of their own) elided
   */
  text: string;
  /** set when a long definition was split into windows */
  part?: { index: number; count: number };
}

/** Why a file was not indexed. */
export type SkipReason =
  /** a dependency, VCS or build-output folder excluded by default */
  | 'excluded-dir'
  /** a file type that is neither source code nor prose (images, data, archives, …) */
  | 'unsupported'
  | 'binary'
  | 'too-large'
  | 'minified'
  | 'generated'
  | 'not-utf8'
  | 'unreadable'
  /** a FIFO, socket or device: never opened */
  | 'special'
  /** a file or folder name that is not valid UTF-8 */
  | 'not-utf8-name'
  /** a symbolic link to a place outside the workspace folder: not followed */
  | 'outside-workspace'
  /** a symbolic link to a file or folder already indexed under another path */
  | 'duplicate'
  | 'symlink-loop'
  | 'parse-error';

export interface Progress {
  phase: 'scan' | 'parse' | 'embed' | 'write';
  done: number;
  total: number;
  message?: string;
}

/** Cooperative cancellation: checked between files and batches. */
export interface CancelSignal {
  readonly cancelled: boolean;
}

/** Files larger than this are skipped as too large unless a caller sets its own limit. */
export const DEFAULT_MAX_FILE_BYTES = 1024 * 1024;
