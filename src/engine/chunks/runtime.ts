import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Language, Parser } from 'web-tree-sitter';
import { distFileCandidates, packageRoot } from '../paths';

/**
 * The tree-sitter wasm runtime and grammars: where they are, and loading them once per process.
 *
 * Layouts: the shipped bundle is dist/cli.js with dist/web-tree-sitter.wasm beside it; the tsc
 * output runs from out/src/engine/chunks/ with the runtime in node_modules. Grammars are in
 * <package root>/grammars/ in both.
 */

const RUNTIME_WASM = 'web-tree-sitter.wasm';

export interface RuntimePaths {
  /** folder holding tree-sitter-<language>.wasm */
  grammarDir: string;
  /** path of web-tree-sitter.wasm */
  runtimeWasm: string;
}

/** The grammar folder and runtime wasm of this installation. */
export function defaultChunkerPaths(): RuntimePaths {
  return { grammarDir: defaultGrammarDir(), runtimeWasm: defaultRuntimeWasm() };
}

export function defaultGrammarDir(): string {
  return join(packageRoot(), 'grammars');
}

/** web-tree-sitter.wasm: beside this module (bundle), in node_modules, or in the package's dist/. */
export function defaultRuntimeWasm(): string {
  const candidates = distFileCandidates(RUNTIME_WASM);
  try {
    candidates.splice(1, 0, require.resolve(`web-tree-sitter/${RUNTIME_WASM}`)); // before the package's dist/ copy
  } catch {
    // not installed beside us: the bundle layout
  }
  const found = candidates.find((path) => existsSync(path));
  if (!found) throw new Error(`cannot find ${RUNTIME_WASM}; looked at ${candidates.join(', ')}`);
  return found;
}

let runtimeReady: Promise<void> | undefined;

/**
 * Initialises the wasm runtime. It is process-wide: the first call's path wins and later calls
 * share its result; a failed initialisation is retried by the next call.
 */
export function initRuntime(runtimeWasm: string): Promise<void> {
  if (!runtimeReady) {
    const ready = Parser.init({ locateFile: () => runtimeWasm }).catch((err: unknown) => {
      runtimeReady = undefined;
      throw new Error(`cannot initialise tree-sitter from ${runtimeWasm}: ${errorMessage(err)}`);
    });
    runtimeReady = ready;
  }
  return runtimeReady;
}

/** Loaded grammars by path. Languages live as long as the process (web-tree-sitter cannot free them). */
const grammars = new Map<string, Promise<Language>>();

/** Loads a grammar once; a failed load is retried by the next call. */
export function loadGrammar(path: string): Promise<Language> {
  let language = grammars.get(path);
  if (!language) {
    language = Language.load(path).catch((err: unknown) => {
      grammars.delete(path);
      throw new Error(`cannot load grammar ${path}: ${errorMessage(err)}`);
    });
    grammars.set(path, language);
  }
  return language;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
