/**
 * V8's tiering of tree-sitter's WebAssembly. V8 runs a wasm function first as Liftoff code (compiled
 * fast, runs slower) and recompiles it with TurboFan, on background threads, once it has run for
 * a budget (V8's `--wasm-tiering-budget`: 1.8M in Node 20, 13M in Node 24; roughly bytes
 * executed). Parsing one source file spends that budget in a grammar's lexer and parser, so a
 * refresh of one saved file starts optimising compiles of 100 ms and more of CPU that nothing in
 * that refresh gains from; on two cores they delayed what came after it: the ONNX run that embeds
 * the file's new chunk took 70–160 ms instead of 1 ms (BENCHMARKS.md). With a budget about 500
 * times Node 20's, a refresh of a few files stays in Liftoff code, and a bulk parse still reaches
 * TurboFan early: 1,883 files of four languages parsed on one thread in the same time (3.9–4.1 s
 * against 4.0–4.4 s), where Liftoff alone (`--liftoff-only`) took 5.5–5.8 s.
 */
import { setFlagsFromString } from 'node:v8';

/** The tiering budget set for the process (see the module comment). */
export const WASM_TIERING_BUDGET = 1_000_000_000;

/** The budget as a command-line flag, for a process started by this project (server/launch.ts). */
export const WASM_TIERING_FLAG = `--wasm-tiering-budget=${WASM_TIERING_BUDGET}`;

let raised = false;

/**
 * Sets V8's wasm tiering budget to {@link WASM_TIERING_BUDGET}, once per process, unless the
 * process was started with a budget (the editor's engine process is: server/launch.ts). V8 flags
 * are process-wide: call it on the main thread before tree-sitter is first compiled and before
 * any parse worker starts (Engine.open does), so that no thread compiles wasm while it changes.
 */
export function raiseWasmTieringBudget(): void {
  if (raised) return;
  raised = true;
  if (process.execArgv.some((arg) => arg.startsWith('--wasm-tiering-budget'))) return;
  setFlagsFromString(WASM_TIERING_FLAG);
}
