import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import type * as ort from 'onnxruntime-node';
import type { CancelSignal } from '../types';
import { BagOfWords } from './bag-of-words';
import { CancelledError, type Embedder } from './embedder';
import { loadModelConfig, MODEL_CONFIG_FILE, type ModelConfig } from './model-config';
import { OnnxFormatError, readOnnxGraph } from './onnx-graph';
import { normalizeL2, pool } from './pooling';
import { loadTokenizer, type TextTokenizer } from './tokenizer';

export interface LoadEmbedderOptions {
  /** onnxruntime intra-op threads (default 1) */
  threads?: number;
  /** texts per model run (default 16) */
  batchSize?: number;
}

const DEFAULT_BATCH_SIZE = 16;
/** Length of the model-files digest in the embedder id. */
const DIGEST_CHARS = 12;
/**
 * A model file up to this size is read whole, to be hashed and checked for the exported bag of
 * words (bag-of-words.ts); a larger one (no bag of words is that large: the shipped model is 8.5 MB)
 * is only streamed through the hash, as before.
 */
const READ_WHOLE_MODEL_BYTES = 64 * 1024 * 1024;

/**
 * Loads the model folder `modelDir` (see README.md beside this file) into an {@link Embedder}
 * that runs on onnxruntime's CPU provider. Fails with a clear message when the folder's
 * config is invalid or does not match the model's inputs and output.
 *
 * The graph Code Scout's trainer exports (bag-of-words.ts) embeds search queries from its own
 * weights, without onnxruntime; its session is then created at the first document to embed, from
 * the bytes read here (those the embedder's id hashes, whatever the file holds by then), so a
 * process that only searches never loads onnxruntime. bag-of-words.ts checks what onnxruntime
 * and {@link bindModelIo} would (operator set, inputs' and output's types and shape), so such a
 * model is judged here too; a failure onnxruntime alone finds is reported by the first document.
 * Any other model's session is created here.
 */
export async function loadEmbedder(modelDir: string, opts: LoadEmbedderOptions = {}): Promise<Embedder> {
  const threads = positiveInteger('threads', opts.threads ?? 1);
  const batchSize = positiveInteger('batchSize', opts.batchSize ?? DEFAULT_BATCH_SIZE);
  const config = await loadModelConfig(modelDir);
  const onnxPath = path.resolve(modelDir, config.onnx);
  const [tokenizer, onnxBytes] = await Promise.all([loadTokenizer(modelDir, config.tokenizer), readSmallModel(onnxPath)]);
  // Everything that shapes a vector: weights, config (pooling, prefixes, …) and tokenizer.
  const digest = await sha256OfFiles([onnxBytes ?? onnxPath, path.join(modelDir, MODEL_CONFIG_FILE), path.resolve(modelDir, config.tokenizer.file)]);
  const id = `${config.id}@${digest.slice(0, DIGEST_CHARS)}`;
  const bag = onnxBytes && bagOfWords(onnxBytes, config);
  // every session is made from the bytes hashed, when they were read: a bag of words keeps them (its
  // table is a view into them) for the session it makes later; any other model makes its session now
  // and lets them go
  const sessionBytes = bag ? onnxBytes : undefined;
  const open = () => openSession(onnxPath, sessionBytes, threads, config);
  return new OnnxEmbedder(id, config, tokenizer, batchSize, open, bag ? undefined : await openSession(onnxPath, onnxBytes, threads, config), bag);
}

/** The model file's bytes, or undefined when it is larger than {@link READ_WHOLE_MODEL_BYTES}. */
async function readSmallModel(onnxPath: string): Promise<Buffer | undefined> {
  return (await stat(onnxPath)).size <= READ_WHOLE_MODEL_BYTES ? readFile(onnxPath) : undefined;
}

/** The exported bag of words in `bytes`, or undefined for any other model (or bytes this project cannot walk, left for onnxruntime to judge). */
function bagOfWords(bytes: Uint8Array, config: ModelConfig): BagOfWords | undefined {
  try {
    return BagOfWords.recognise(readOnnxGraph(bytes), config);
  } catch (err) {
    if (err instanceof OnnxFormatError) return undefined;
    throw err;
  }
}

/** An onnxruntime session with the graph inputs and output it is fed and read by, and the module that made it. */
interface Session {
  readonly ort: typeof ort;
  readonly session: ort.InferenceSession;
  readonly io: ModelIo;
}

/**
 * Loads onnxruntime (its native library, on first use in a process) and creates and checks the
 * model's session: from `bytes`, the file as it was read, when given; else from the file at `onnxPath`.
 */
async function openSession(onnxPath: string, bytes: Uint8Array | undefined, threads: number, config: ModelConfig): Promise<Session> {
  let runtime: typeof ort;
  try {
    runtime = await import('onnxruntime-node');
  } catch (err) {
    throw new Error(`cannot load ONNX model ${onnxPath}: onnxruntime-node cannot be loaded (${(err as Error).message})`);
  }
  const session = await createSession(runtime, onnxPath, bytes, threads);
  try {
    return { ort: runtime, session, io: bindModelIo(session, config) };
  } catch (err) {
    await session.release();
    throw err;
  }
}

/**
 * Session options for a background indexer that must not hog the machine: `threads` intra-op
 * threads, one inter-op thread, sequential execution, full graph optimisation, and no
 * spin-waiting (idle threads sleep instead of burning a core). The node binding passes each
 * `extra` entry to the session as a config entry. Only errors are logged: the warnings real
 * exported models trigger (e.g. unused initializers) are noise to a user.
 */
export function sessionOptions(threads: number): ort.InferenceSession.SessionOptions {
  return {
    executionProviders: ['cpu'],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    logSeverityLevel: 3,
    extra: {
      'session.intra_op.allow_spinning': '0',
      'session.inter_op.allow_spinning': '0',
    },
  };
}

/** Whether this machine stores numbers little-endian (every platform the extension ships for does). */
const LITTLE_ENDIAN = os.endianness() === 'LE';

/** The graph inputs to feed (undefined: the model does not declare it) and the output to read. */
interface ModelIo {
  readonly ids: string;
  readonly mask: string | undefined;
  readonly typeIds: string | undefined;
  readonly output: string;
}

class OnnxEmbedder implements Embedder {
  readonly dimension: number;
  readonly maxTokens: number;
  private disposed = false;
  /** the session, once asked for (given open, or created at the first document to embed) */
  private session: Promise<Session> | undefined;
  /** model runs in progress: the session is released only after them */
  private readonly runs = new Set<Promise<unknown>>();

  constructor(
    readonly id: string,
    private readonly config: ModelConfig,
    private readonly tokenizer: TextTokenizer,
    private readonly batchSize: number,
    private readonly openSession: () => Promise<Session>,
    opened: Session | undefined,
    /** the exported bag of words, which embeds queries without the session */
    private readonly bag: BagOfWords | undefined,
  ) {
    this.dimension = config.dimension;
    this.maxTokens = config.maxTokens;
    if (opened) this.session = Promise.resolve(opened);
  }

  get words(): readonly string[] | undefined {
    return this.tokenizer.words;
  }

  embedDocuments(texts: string[], signal?: CancelSignal): Promise<Float32Array[]> {
    return this.embed(texts.map((text) => this.config.documentPrefix + text), signal);
  }

  async embedQuery(text: string): Promise<Float32Array> {
    if (this.bag) {
      this.checkNotDisposed();
      return this.finish(this.bag.embed(this.tokenize(this.config.queryPrefix + text)), 0);
    }
    const [vector] = await this.embed([this.config.queryPrefix + text]);
    return vector;
  }

  async dispose(): Promise<void> {
    if (!this.disposed) {
      this.disposed = true;
      const opening = this.session;
      this.session = undefined;
      const session = await opening?.catch(() => undefined); // one that failed to open holds nothing
      await Promise.allSettled([...this.runs]); // a run in progress ends on the session it started on
      await session?.session.release();
    }
  }

  private checkNotDisposed(): void {
    if (this.disposed) {
      throw new Error(`embedder ${this.id} has been disposed`);
    }
  }

  /** The session, created on first use; a creation that failed is tried again at the next use. None once disposed. */
  private sessionReady(): Promise<Session> {
    this.checkNotDisposed(); // a session created now would never be released
    if (this.session === undefined) {
      const opening = this.openSession();
      this.session = opening;
      opening.catch(() => {
        if (this.session === opening) this.session = undefined;
      });
    }
    return this.session;
  }

  /** Tokenizes all texts, runs them in batches of similar length and returns the vectors in input order. */
  private async embed(texts: string[], signal?: CancelSignal): Promise<Float32Array[]> {
    this.checkNotDisposed();
    const sequences = texts.map((text) => this.tokenize(text));
    const vectors = new Array<Float32Array>(texts.length);
    for (const batch of batchesByLength(sequences, this.batchSize)) {
      if (signal?.cancelled) {
        throw new CancelledError('embedding cancelled');
      }
      const session = await this.sessionReady();
      this.checkNotDisposed(); // disposed while the session was being created: it is released, not run
      const batchVectors = await this.run(session, batch.map((i) => sequences[i]));
      batch.forEach((textIndex, k) => {
        vectors[textIndex] = this.finish(batchVectors[k], textIndex);
      });
    }
    return vectors;
  }

  /** Token ids of one text; a text that yields no tokens is read as a single padding token. */
  private tokenize(text: string): number[] {
    const ids = this.tokenizer.encode(text, this.maxTokens);
    return ids.length > 0 ? ids : [this.tokenizer.padId];
  }

  /** One model run over sequences padded to the longest; returns the pooled vectors. */
  private async run({ ort: runtime, session, io }: Session, sequences: number[][]): Promise<Float32Array[]> {
    const lengths = sequences.map((sequence) => sequence.length);
    const width = Math.max(...lengths);
    const feeds = this.feeds(runtime, io, sequences, width);
    let results: ort.InferenceSession.ReturnType | undefined;
    try {
      const running = session.run(feeds, [io.output]);
      this.runs.add(running);
      try {
        results = await running;
      } finally {
        this.runs.delete(running);
      }
      const output = results[io.output] as ort.Tensor;
      this.checkOutput(io, output, [sequences.length, width]);
      return pool({ data: output.data as Float32Array, dims: output.dims }, this.config.pooling, lengths);
    } finally {
      disposeAll(feeds);
      if (results) {
        disposeAll(results);
      }
    }
  }

  private feeds(runtime: typeof ort, io: ModelIo, sequences: number[][], width: number): Record<string, ort.Tensor> {
    const batch = sequences.length;
    const ids = new BigInt64Array(batch * width).fill(BigInt(this.tokenizer.padId));
    const mask = new BigInt64Array(batch * width);
    if (LITTLE_ENDIAN) {
      // an int64 in [0, 2^31) is its int32 in the low word and 0 in the high one: no BigInt per token
      const ids32 = new Int32Array(ids.buffer, ids.byteOffset, ids.length * 2);
      const mask32 = new Int32Array(mask.buffer, mask.byteOffset, mask.length * 2);
      for (let b = 0; b < batch; b++) {
        const sequence = sequences[b];
        const row = 2 * b * width;
        for (let t = 0; t < sequence.length; t++) {
          const id = sequence[t];
          if ((id | 0) === id && id >= 0) {
            ids32[row + 2 * t] = id;
            ids32[row + 2 * t + 1] = 0;
          } else {
            ids[b * width + t] = BigInt(id); // any other id as before (a fraction throws)
          }
          mask32[row + 2 * t] = 1;
        }
      }
    } else {
      sequences.forEach((sequence, b) => {
        sequence.forEach((id, t) => {
          ids[b * width + t] = BigInt(id);
          mask[b * width + t] = 1n;
        });
      });
    }
    const dims = [batch, width];
    // keyed by the model's own input names: an object without a prototype, so no name meets Object.prototype
    const feeds: Record<string, ort.Tensor> = Object.create(null);
    feeds[io.ids] = new runtime.Tensor('int64', ids, dims);
    if (io.mask !== undefined) {
      feeds[io.mask] = new runtime.Tensor('int64', mask, dims);
    }
    if (io.typeIds !== undefined) {
      feeds[io.typeIds] = new runtime.Tensor('int64', new BigInt64Array(batch * width), dims);
    }
    return feeds;
  }

  /** `inputShape` is the `[batch, seq]` shape of the fed ids. */
  private checkOutput(io: ModelIo, output: ort.Tensor, inputShape: readonly number[]): void {
    const where = `model ${this.id}: output "${io.output}"`;
    if (output.type !== 'float32') {
      throw new Error(`${where} holds ${output.type} values; only float32 outputs are supported`);
    }
    checkOutputShape(where, output.dims, this.config, inputShape);
  }

  /** Rejects non-finite values and normalises if the model asks for it. */
  private finish(vector: Float32Array, textIndex: number): Float32Array {
    if (!vector.every(Number.isFinite)) {
      throw new Error(
        `model ${this.id} produced NaN or Infinity for text #${textIndex} of the call; ` +
          'the model file is likely broken or unsuited to this input',
      );
    }
    if (this.config.normalize) {
      normalizeL2(vector);
    }
    return vector;
  }
}

/**
 * Groups the indices of `sequences` into batches of at most `batchSize`, shortest first,
 * so that each batch pads as little as possible.
 */
function batchesByLength(sequences: readonly number[][], batchSize: number): number[][] {
  const order = sequences.map((_, i) => i).sort((a, b) => sequences[a].length - sequences[b].length);
  const batches: number[][] = [];
  for (let start = 0; start < order.length; start += batchSize) {
    batches.push(order.slice(start, start + batchSize));
  }
  return batches;
}

/**
 * Resolves which graph inputs to feed and which output to read, and checks them against
 * the model's declared inputs and outputs.
 */
function bindModelIo(session: ort.InferenceSession, config: ModelConfig): ModelIo {
  const declared = (name: string): string | undefined => (session.inputNames.includes(name) ? name : undefined);
  const io: ModelIo = {
    ids: config.inputs.ids,
    mask: declared(config.inputs.mask),
    typeIds: declared(config.inputs.typeIds),
    output: config.output ?? session.outputNames[0],
  };
  const where = `model ${config.id}`;
  if (declared(io.ids) === undefined) {
    throw new Error(
      `${where} has no input "${io.ids}" (its inputs: ${session.inputNames.join(', ')}); ` +
        'set "inputs.ids" in codescout-model.json',
    );
  }
  const fed = [io.ids, io.mask, io.typeIds];
  const unfed = session.inputNames.filter((name) => !fed.includes(name));
  if (unfed.length > 0) {
    throw new Error(`${where} needs inputs that codescout-model.json does not map ("inputs"): ${unfed.join(', ')}`);
  }
  for (const meta of session.inputMetadata) {
    if (meta.isTensor && meta.type !== 'int64') {
      throw new Error(`${where}: input "${meta.name}" takes ${meta.type}; only int64 inputs are supported`);
    }
  }
  const outputMeta = session.outputMetadata.find((meta) => meta.name === io.output);
  if (outputMeta === undefined) {
    throw new Error(`${where} has no output "${io.output}" (its outputs: ${session.outputNames.join(', ')})`);
  }
  if (outputMeta.isTensor && outputMeta.shape.length > 0) {
    checkOutputShape(`${where}: output "${io.output}"`, outputMeta.shape, config, []);
  }
  return io;
}

/**
 * Checks an output shape (sizes may be symbolic names) against the pooling's rank and the
 * configured dimension; `leading` are the expected sizes of the leading axes, where known.
 */
function checkOutputShape(
  where: string,
  shape: readonly (number | string)[],
  config: ModelConfig,
  leading: readonly number[],
): void {
  const rank = config.pooling === 'none' ? 2 : 3;
  const described = `[${shape.join(', ')}]`;
  if (shape.length !== rank) {
    throw new Error(`${where} has shape ${described}, but pooling "${config.pooling}" needs ${rank} axes`);
  }
  const last = shape[rank - 1];
  if (typeof last === 'number' && last !== config.dimension) {
    throw new Error(
      `${where} has vectors of ${last} floats, but codescout-model.json says "dimension": ${config.dimension}`,
    );
  }
  leading.forEach((size, axis) => {
    if (axis < rank - 1 && shape[axis] !== size) {
      throw new Error(`${where} has shape ${described}; expected axis ${axis} to be ${size}`);
    }
  });
}

/**
 * onnxruntime-node 1.30's native library starts a telemetry client (1DS) when its environment is
 * created, on the first session of a process: it queues events in a database under the user's
 * cache folder (`Microsoft/DeveloperTools/.onnxruntime`), leaves an empty `mat-debug-<pid>.log`
 * in the temporary folder, and reads `/proc/self/cmdline` into a recursion that overflows the
 * stack (SIGSEGV, nothing printed) once the command line is some 30 KB long. Code Scout sends
 * nothing off the machine, so it is turned off the way onnxruntime reads it: the environment
 * variable `ORT_DISABLE_TELEMETRY`, read when that environment is created. The node binding has
 * no API for it, and no session option reaches it. Setting `process.env` sets the variable of
 * the process (onnxruntime reads it with getenv) when called on the main thread, which is where
 * the CLI and the editor's engine process create sessions.
 */
export function disableOnnxRuntimeTelemetry(): void {
  process.env.ORT_DISABLE_TELEMETRY = '1';
}

async function createSession(runtime: typeof ort, onnxPath: string, bytes: Uint8Array | undefined, threads: number): Promise<ort.InferenceSession> {
  disableOnnxRuntimeTelemetry();
  try {
    return await (bytes ? runtime.InferenceSession.create(bytes, sessionOptions(threads)) : runtime.InferenceSession.create(onnxPath, sessionOptions(threads)));
  } catch (err) {
    throw new Error(`cannot load ONNX model ${onnxPath}: ${(err as Error).message}`);
  }
}

/** The SHA-256 of the files' contents one after the other; a file already read is given as its bytes. */
async function sha256OfFiles(files: (string | Uint8Array)[]): Promise<string> {
  const hash = createHash('sha256');
  for (const file of files) {
    if (typeof file !== 'string') hash.update(file);
    else for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  }
  return hash.digest('hex');
}

function disposeAll(values: Record<string, ort.OnnxValue>): void {
  for (const value of Object.values(values)) {
    value.dispose();
  }
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(`loadEmbedder: ${name} must be a positive integer, got ${value}`);
  }
  return value;
}
