import { DOTS_WASM_BASE64 } from './dots-wasm';

/** The signature of dots.wat's `dots`: offsets in the module's memory, in bytes. */
type Dots = (codes: number, stride: number, count: number, query: number, dimension: number, out: number) => void;

/** What this file uses of the runtime's WebAssembly (the project's type libraries do not declare it). */
interface Wasm {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => CompiledDots;
  Instance: new (module: CompiledDots, imports: object) => { exports: { memory: { buffer: ArrayBuffer; grow(pages: number): number }; dots: Dots } };
}
/** A compiled module of dots.wat. */
interface CompiledDots {
  readonly compiledDots?: never;
}

const wasm = (globalThis as { WebAssembly?: Wasm }).WebAssembly;

/** The compiled module, once a process; null where this runtime cannot run it (no WebAssembly, or no SIMD). */
let compiled: CompiledDots | null | undefined;

function dotsModule(): CompiledDots | null {
  if (compiled === undefined) {
    const bytes = Buffer.from(DOTS_WASM_BASE64, 'base64');
    compiled = wasm !== undefined && wasm.validate(bytes) ? new wasm.Module(bytes) : null;
  }
  return compiled;
}

/**
 * The exact scores of blocks of int8 vectors laid out at a fixed stride (the nodes of a graph
 * file), computed by dots.wat: each vector's codes' dot product with the query, two lanes at a
 * time, in the float64 operations and order of int8.ts `dot`, so that each score has the same
 * bits as the one `dotStored` gives (a property test checks it). About 2.5 times faster than the
 * loop in JavaScript: at 116k vectors of 256 dimensions, 14 against 37 ms (BENCHMARKS.md). Its
 * memory holds the query, the scores and one block, into which the caller reads the nodes.
 */
export class DotScanner {
  /** the block the caller fills: `nodes` nodes of `stride` bytes */
  readonly block: Uint8Array;
  private readonly scores: Float64Array;
  private readonly dots: Dots;
  private readonly queryAt: number;
  private readonly blockAt: number;
  private readonly outAt: number;

  private constructor(
    module: CompiledDots,
    private readonly dimension: number,
    private readonly nodes: number,
    private readonly stride: number,
  ) {
    const { memory, dots } = new wasm!.Instance(module, {}).exports;
    this.dots = dots;
    this.queryAt = 0;
    this.outAt = dimension * 8;
    this.blockAt = align(this.outAt + nodes * 8, 16);
    const needed = this.blockAt + nodes * stride;
    const pages = Math.ceil(needed / 65536) - memory.buffer.byteLength / 65536;
    if (pages > 0) memory.grow(pages); // before the views: growing detaches them
    this.block = new Uint8Array(memory.buffer, this.blockAt, nodes * stride);
    this.scores = new Float64Array(memory.buffer, this.outAt, nodes);
  }

  /**
   * A scanner for `nodes` nodes of `stride` bytes holding vectors of `dimension` int8 codes; none
   * where this runtime cannot run the module, or the dimension is not a multiple of 4 (the module
   * sums four codes at a time; int8.ts `dot` then scores them).
   */
  static create(dimension: number, nodes: number, stride: number): DotScanner | undefined {
    if (dimension <= 0 || dimension % 4 !== 0 || nodes <= 0 || stride <= 0) return undefined;
    const module = dotsModule();
    if (module === null) return undefined;
    try {
      return new DotScanner(module, dimension, nodes, stride);
    } catch {
      return undefined; // no memory for it (a limit on the process's address space, say): the caller scores in JavaScript
    }
  }

  /** Whether this scanner holds `nodes` nodes of `stride` bytes of vectors of `dimension` codes (see {@link create}). */
  fits(dimension: number, nodes: number, stride: number): boolean {
    return this.dimension === dimension && this.nodes === nodes && this.stride === stride;
  }

  /** Sets the query: `dimension` values, kept as float64 (exactly). */
  setQuery(query: Float32Array): void {
    if (query.length !== this.dimension) throw new RangeError(`query has ${query.length} dimensions, expected ${this.dimension}`);
    new Float64Array(this.block.buffer, this.queryAt, this.dimension).set(query);
  }

  /**
   * The dot products of the query with the first `count` nodes of the block, whose codes start
   * `codesOffset` bytes into each node; valid until the next call.
   */
  score(count: number, codesOffset: number): Float64Array {
    if (!(count >= 0 && count <= this.nodes) || codesOffset < 0 || codesOffset + this.dimension > this.stride) throw new RangeError('DotScanner.score: out of the block');
    this.dots(this.blockAt + codesOffset, this.stride, count, this.queryAt, this.dimension, this.outAt);
    return this.scores.subarray(0, count);
  }
}

function align(value: number, to: number): number {
  return Math.ceil(value / to) * to;
}
