/**
 * How the editor starts the engine process (server/main.ts): what the extension's client
 * (extension/engine-client.ts) passes to Node besides the script, kept here, apart from
 * `vscode`, so that the tests start the process as the editor does.
 */

import { WASM_TIERING_FLAG } from '../engine/chunks/wasm-tiering';

/**
 * V8 flags of the engine process: its young generation capped at 2 MB a semispace (V8 grows it to
 * 16 MB, and keeps the pages). An engine that had opened a 100k-function index and answered 60
 * queries held 364–366 MB instead of 388–408 MB (4 runs each, BENCHMARKS.md); its queries were
 * slower, 4.3–6.0 ms against 3.9–4.3 ms at the median and 15.5–24.9 against 10.9–16.6 ms at the
 * 95th percentile. VS Code starts its own Node helpers with V8 flags the same way
 * (tsserver's --max-old-space-size). And V8's wasm tiering budget for tree-sitter
 * (engine/chunks/wasm-tiering.ts), given at start rather than changed by the running process,
 * whose V8 an embedder (Electron) could have frozen flags in.
 */
export const ENGINE_EXEC_ARGV: readonly string[] = ['--max-semi-space-size=2', WASM_TIERING_FLAG];
