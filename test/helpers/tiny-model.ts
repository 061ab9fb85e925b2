/**
 * Builds a tiny but real embedding-model folder (ONNX graph + Hugging Face tokenizer +
 * codescout-model.json) for tests of every stage that needs an embedder.
 *
 * The model looks each token up in a fixed embedding table and zeroes padded positions:
 *   last_hidden_state[b, s, :] = table[input_ids[b, s]] * attention_mask[b, s]
 * so the expected pooled vector of any text can be computed by hand from `embeddingTable`.
 * Words of one topic (parsing, files, network, …) share a direction in the table, so texts
 * about the same topic end up as nearest neighbours.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { onnx } from 'onnx-proto';
import { MODEL_CONFIG_FILE, type Pooling } from '../../src/engine/vectors/model-config';
import { seededRandom } from './random';

export interface TinyModelOptions {
  /** vector length (default 8); topics map to axes `topicIndex % dimension` */
  dimension?: number;
  /** default 'mean'; 'none' builds a graph that sums over the sequence, output `[batch, dim]` */
  pooling?: Pooling;
  /** default true */
  normalize?: boolean;
  /** default 64 */
  maxTokens?: number;
  queryPrefix?: string;
  documentPrefix?: string;
  /** wrap every text in [CLS] … [SEP] (default true); their table rows are zero */
  specialTokens?: boolean;
  /** declare and consume a `token_type_ids` input (default false) */
  tokenTypeIds?: boolean;
  /** a vocabulary word whose table row is NaN, to test the embedder's guard */
  nanWord?: string;
  /**
   * make the output's vector size known only after a run (the table becomes an overridable
   * graph input of shape [vocab, dim], so onnxruntime cannot infer the size up front)
   */
  symbolicDimension?: boolean;
}

export interface TinyModel {
  dir: string;
  /** token id → token */
  vocab: readonly string[];
  /** token id → that token's row of the model's embedding table */
  embeddingTable: readonly Float32Array[];
}

export const TINY_MODEL_ID = 'tiny-test-model';

/** Special tokens, at ids 0–3. */
export const SPECIAL_TOKENS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]'] as const;

/** Words that share a direction in the embedding table, one group per topic. */
export const TOPICS: Readonly<Record<string, readonly string[]>> = {
  parsing: ['parse', 'parser', 'parsing', 'tokenize', 'tokenizer', 'token', 'tokens', 'syntax', 'grammar', 'ast', 'lexer'],
  files: ['file', 'files', 'read', 'write', 'disk', 'path', 'directory', 'folder', 'save', 'load', 'stream'],
  network: ['http', 'request', 'response', 'server', 'client', 'url', 'fetch', 'socket', 'network'],
  maths: ['add', 'sum', 'number', 'numbers', 'matrix', 'vector', 'multiply', 'compute', 'math'],
  auth: ['user', 'password', 'login', 'auth', 'session', 'permission', 'credentials'],
  errors: ['error', 'errors', 'exception', 'throw', 'fail', 'retry', 'assert'],
  ui: ['button', 'click', 'render', 'view', 'display', 'color', 'style'],
};

/** Frequent words with small vectors in no particular direction. */
const COMMON_WORDS = [
  'the', 'a', 'an', 'of', 'to', 'and', 'in', 'for', 'with', 'is', 'it', 'this', 'function', 'return',
  'def', 'class', 'const', 'let', 'new', 'if', 'else', 'from', 'import',
];

/** Amplitudes of the table's deterministic noise: around a topic's axis, for common words, for [UNK]. */
const TOPIC_NOISE = 0.15;
const COMMON_AMPLITUDE = 0.1;
const UNKNOWN_AMPLITUDE = 0.05;

/** Writes a tiny model folder into `dir` (created if needed) and returns its vocabulary and table. */
export async function buildTinyModel(dir: string, opts: TinyModelOptions = {}): Promise<TinyModel> {
  const dimension = opts.dimension ?? 8;
  const maxTokens = opts.maxTokens ?? 64;
  const pooling = opts.pooling ?? 'mean';
  const vocab = [...SPECIAL_TOKENS, ...Object.values(TOPICS).flat(), ...COMMON_WORDS];
  const embeddingTable = buildEmbeddingTable(vocab, dimension);
  if (opts.nanWord !== undefined) {
    rowOf(vocab, embeddingTable, opts.nanWord).fill(NaN);
  }

  await mkdir(dir, { recursive: true });
  const model = buildOnnxModel(embeddingTable, dimension, {
    pooling,
    tokenTypeIds: opts.tokenTypeIds ?? false,
    symbolicDimension: opts.symbolicDimension ?? false,
  });
  await writeFile(path.join(dir, 'model.onnx'), onnx.ModelProto.encode(model).finish());
  await writeJson(path.join(dir, 'tokenizer.json'), tokenizerJson(vocab, opts.specialTokens ?? true));
  await writeJson(path.join(dir, 'tokenizer_config.json'), {
    model_max_length: maxTokens,
    pad_token: '[PAD]',
    unk_token: '[UNK]',
    cls_token: '[CLS]',
    sep_token: '[SEP]',
  });
  await writeJson(path.join(dir, MODEL_CONFIG_FILE), {
    format: 1,
    id: TINY_MODEL_ID,
    description: 'Tiny lookup-table model built by the tests',
    onnx: 'model.onnx',
    dimension,
    maxTokens,
    pooling,
    normalize: opts.normalize ?? true,
    queryPrefix: opts.queryPrefix ?? '',
    documentPrefix: opts.documentPrefix ?? '',
    tokenizer: { kind: 'huggingface', file: 'tokenizer.json' },
    output: pooling === 'none' ? 'sentence_embedding' : 'last_hidden_state',
  });
  return { dir, vocab, embeddingTable };
}

/** Rewrites the model folder's codescout-model.json through `edit`, e.g. to make it invalid. */
export async function editModelConfig(dir: string, edit: (config: Record<string, unknown>) => void): Promise<void> {
  const file = path.join(dir, MODEL_CONFIG_FILE);
  const config = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
  edit(config);
  await writeJson(file, config);
}

/** The table row of `word`; throws for words outside the vocabulary. */
export function rowOf(vocab: readonly string[], table: readonly Float32Array[], word: string): Float32Array {
  const id = vocab.indexOf(word);
  if (id < 0) {
    throw new Error(`"${word}" is not in the tiny model's vocabulary`);
  }
  return table[id];
}

function buildEmbeddingTable(vocab: readonly string[], dimension: number): Float32Array[] {
  const random = seededRandom(0x5eed);
  const noise = (amplitude: number) => (random() * 2 - 1) * amplitude;
  const topicOf = new Map(Object.values(TOPICS).flatMap((words, topic) => words.map((w) => [w, topic] as const)));
  return vocab.map((token) => {
    const row = new Float32Array(dimension);
    const topic = topicOf.get(token);
    if (topic !== undefined) {
      row.forEach((_, d) => (row[d] = noise(TOPIC_NOISE)));
      row[topic % dimension] = 1;
    } else if (COMMON_WORDS.includes(token)) {
      row.forEach((_, d) => (row[d] = noise(COMMON_AMPLITUDE)));
    } else if (token === '[UNK]') {
      row.forEach((_, d) => (row[d] = noise(UNKNOWN_AMPLITUDE)));
    }
    return row;
  });
}

interface GraphOptions {
  pooling: Pooling;
  tokenTypeIds: boolean;
  symbolicDimension: boolean;
}

const FLOAT = onnx.TensorProto.DataType.FLOAT;
const INT64 = onnx.TensorProto.DataType.INT64;
const INT = onnx.AttributeProto.AttributeType.INT;

/**
 * input_ids, attention_mask [batch, seq] int64 (and token_type_ids, if asked)
 *   → Gather(table) * mask (+ token_type_ids, all zero in practice)
 *   → last_hidden_state [batch, seq, dim], or for pooling 'none' its sum over seq:
 *     sentence_embedding [batch, dim].
 */
function buildOnnxModel(table: readonly Float32Array[], dimension: number, opts: GraphOptions): onnx.IModelProto {
  const flat = new Float32Array(table.length * dimension);
  table.forEach((row, id) => flat.set(row, id * dimension));
  const tokenShape = ['batch', 'seq'];
  const inputs = [tensorInfo('input_ids', INT64, tokenShape), tensorInfo('attention_mask', INT64, tokenShape)];
  const nodes: onnx.INodeProto[] = [
    node('Gather', ['embeddings', 'input_ids'], ['token_vectors'], [{ name: 'axis', type: INT, i: 0 }]),
    ...maskColumn('attention_mask', 'mask_column'),
    node('Mul', ['token_vectors', 'mask_column'], ['masked_vectors']),
  ];
  let hidden = 'masked_vectors';
  if (opts.tokenTypeIds) {
    inputs.push(tensorInfo('token_type_ids', INT64, tokenShape));
    nodes.push(...maskColumn('token_type_ids', 'type_column'), node('Add', [hidden, 'type_column'], ['typed_vectors']));
    hidden = 'typed_vectors';
  }
  const pooled = opts.pooling === 'none';
  const outputName = pooled ? 'sentence_embedding' : 'last_hidden_state';
  nodes.push(
    pooled
      ? node('ReduceSum', [hidden, 'seq_axis'], [outputName], [{ name: 'keepdims', type: INT, i: 0 }])
      : node('Identity', [hidden], [outputName]),
  );
  const vectorSize = opts.symbolicDimension ? 'dim' : dimension;
  const outputShape = pooled ? ['batch', vectorSize] : ['batch', 'seq', vectorSize];
  return {
    irVersion: 8,
    opsetImport: [{ domain: '', version: 13 }],
    producerName: 'codescout-tests',
    graph: {
      name: 'tiny_embedder',
      node: nodes,
      initializer: [
        { name: 'embeddings', dataType: FLOAT, dims: [table.length, dimension], rawData: new Uint8Array(flat.buffer) },
        { name: 'last_axis', dataType: INT64, dims: [1], int64Data: [2] },
        ...(pooled ? [{ name: 'seq_axis', dataType: INT64, dims: [1], int64Data: [1] }] : []),
      ],
      input: opts.symbolicDimension ? [...inputs, tensorInfo('embeddings', FLOAT, ['vocab', 'dim'])] : inputs,
      output: [tensorInfo(outputName, FLOAT, outputShape)],
    },
  };
}

/** An int64 [batch, seq] input as float [batch, seq, 1], ready to broadcast over the vectors. */
function maskColumn(input: string, output: string): onnx.INodeProto[] {
  return [
    node('Cast', [input], [`${output}_float`], [{ name: 'to', type: INT, i: FLOAT }]),
    node('Unsqueeze', [`${output}_float`, 'last_axis'], [output]),
  ];
}

function node(opType: string, input: string[], output: string[], attribute: onnx.IAttributeProto[] = []): onnx.INodeProto {
  return { opType, input, output, attribute, name: output[0] };
}

function tensorInfo(name: string, elemType: number, shape: readonly (string | number)[]): onnx.IValueInfoProto {
  const dim = shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d }));
  return { name, type: { tensorType: { elemType, shape: { dim } } } };
}

function tokenizerJson(vocab: readonly string[], specialTokens: boolean): object {
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: SPECIAL_TOKENS.map((content, id) => ({
      id,
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: { type: 'Lowercase' },
    pre_tokenizer: { type: 'Whitespace' },
    post_processor: specialTokens ? { type: 'BertProcessing', cls: ['[CLS]', 2], sep: ['[SEP]', 3] } : null,
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: {
      type: 'WordPiece',
      unk_token: '[UNK]',
      continuing_subword_prefix: '##',
      max_input_chars_per_word: 100,
      vocab: Object.fromEntries(vocab.map((token, id) => [token, id])),
    },
  };
}

async function writeJson(file: string, value: unknown): Promise<void> {
  await writeFile(file, `${JSON.stringify(value, null, 2)}\n`);
}
