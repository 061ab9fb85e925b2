/**
 * The graph that Code Scout's trainer exports (training/codescout_train/export.py, `build_onnx`),
 * evaluated from its own weights: a neural bag of words whose vector for a text is the
 * softmax(token weight)-weighted sum of its tokens' embedding rows (int8, one float scale per
 * row), divided by its length. Embedding one search query this way is a table lookup of a few
 * rows, where onnxruntime first needs its native library loaded and a session created: about
 * 0.15 s of a CLI query's 1 s at 100k functions (2 cores), spent before its first vector.
 *
 * Only the exported graph is recognised: its operator set, declared inputs and output (names, types,
 * shapes), its nodes in order (operators, names, attributes with their types) and its six
 * initializers (types, shapes, values in the file), with the config that goes with it (`pooling`
 * "none", the same names, the dimension); any other model, or a later export that changes any of
 * that, is left to onnxruntime. The values of `masked_score` (a padded token's score: only texts
 * without padding are embedded here) and of the weights themselves are not judged. The arithmetic
 * is the graph's, in double precision where onnxruntime uses single, so a vector differs from
 * onnxruntime's by rounding only (test/bag-of-words.props.test.ts holds the two together).
 */
import type { ModelConfig } from './model-config';
import { ONNX_ATTRIBUTE_INT, ONNX_ATTRIBUTE_INTS, ONNX_BOOL, ONNX_FLOAT, ONNX_INT64, ONNX_INT8, type OnnxGraph, type OnnxTensor, type OnnxValueInfo } from './onnx-graph';

/** One node of the exported graph: operator, inputs, outputs, and its integer attributes (none for most). */
type ExpectedNode = readonly [opType: string, inputs: readonly string[], outputs: readonly string[], attributes?: ReadonlyArray<readonly [string, number | readonly number[]]>];

/** The operator set the exporter writes (opset 13 of the default domain), the only one imported. */
const OPSET = 13;
const IDS = 'input_ids';
const MASK = 'attention_mask';
const OUTPUT = 'sentence_embedding';

/** export.py's graph without its (optional, never shipped) context stage, in its order. */
const EXPORTED_NODES: readonly ExpectedNode[] = [
  ['Gather', ['embedding_int8', IDS], ['emb_i8']],
  ['Cast', ['emb_i8'], ['emb_raw'], [['to', ONNX_FLOAT]]],
  ['Gather', ['embedding_scale', IDS], ['emb_scale']],
  ['Mul', ['emb_raw', 'emb_scale'], ['emb']],
  ['Gather', ['token_weight', IDS], ['weights']],
  ['Cast', [MASK], ['mask_bool'], [['to', ONNX_BOOL]]],
  ['Cast', [MASK], ['mask_float'], [['to', ONNX_FLOAT]]],
  ['Where', ['mask_bool', 'weights', 'masked_score'], ['scores']],
  ['Softmax', ['scores'], ['softmax'], [['axis', 1]]],
  ['Mul', ['softmax', 'mask_float'], ['attn']],
  ['Unsqueeze', ['attn', 'axis_1'], ['attn_row']],
  ['MatMul', ['attn_row', 'emb'], ['pooled_row']],
  ['Squeeze', ['pooled_row', 'axis_1'], ['pooled']],
  ['ReduceL2', ['pooled'], ['norm_raw'], [['axes', [1]], ['keepdims', 1]]],
  ['Max', ['norm_raw', 'norm_eps'], ['norm']],
  ['Div', ['pooled', 'norm'], [OUTPUT]],
];

/** embedding_int8, embedding_scale, token_weight, masked_score, norm_eps, axis_1: no other */
const EXPORTED_INITIALIZERS = 6;

const sameList = (a: readonly unknown[], b: readonly unknown[]): boolean => a.length === b.length && a.every((value, i) => value === b[i]);

/** A declared tensor of `elemType` with `rank` axes (their sizes checked by the caller). */
const tensorOf = (info: OnnxValueInfo | undefined, name: string, elemType: number, rank: number): info is OnnxValueInfo =>
  info !== undefined && info.name === name && info.elemType === elemType && info.shape?.length === rank;
/** An input whose sizes are left open (symbolic or unsaid), so that any batch of any length fits it. */
const openSized = (info: OnnxValueInfo): boolean => info.shape!.every((size) => typeof size !== 'number');

/**
 * Whether `graph` is the exported one, for vectors of `dimension`: its operator set, its declared
 * inputs (int64 `[batch, tokens]`, sizes left open) and output (float `[batch, dimension]`), and its nodes in order
 * with their attributes (names, types and values), as export.py writes them and as onnxruntime and
 * the embedder's checks (onnx-embedder.ts `bindModelIo`) would accept them.
 */
function matches(graph: OnnxGraph, dimension: number): boolean {
  if (graph.opsets.size !== 1 || graph.opsets.get('') !== OPSET) return false;
  const [ids, mask, extraInput] = graph.inputs;
  const [output, extraOutput] = graph.outputs;
  if (!tensorOf(ids, IDS, ONNX_INT64, 2) || !tensorOf(mask, MASK, ONNX_INT64, 2) || extraInput !== undefined) return false;
  if (!openSized(ids) || !openSized(mask)) return false;
  if (!tensorOf(output, OUTPUT, ONNX_FLOAT, 2) || output.shape![1] !== dimension || extraOutput !== undefined) return false;
  if (graph.nodes.length !== EXPORTED_NODES.length) return false;
  return EXPORTED_NODES.every(([opType, inputs, outputs, attributes = []], i) => {
    const node = graph.nodes[i];
    if (node.opType !== opType || node.domain !== '' || !sameList(node.inputs, inputs) || !sameList(node.outputs, outputs)) return false;
    if (node.attributes.size !== attributes.length) return false;
    return attributes.every(([name, value]) => {
      const actual = node.attributes.get(name);
      if (actual === undefined) return false;
      return typeof value === 'number'
        ? actual.type === ONNX_ATTRIBUTE_INT && actual.value === value
        : actual.type === ONNX_ATTRIBUTE_INTS && Array.isArray(actual.value) && sameList(actual.value, value as readonly number[]);
    });
  });
}

/** The tensor's values when it has `dataType`, `dims` and values of their size in the file; undefined otherwise. */
function values(tensor: OnnxTensor | undefined, dataType: number, dims: readonly number[], bytesPerValue: number): Uint8Array | undefined {
  if (tensor === undefined || tensor.dataType !== dataType || !sameList(tensor.dims, dims) || tensor.raw === undefined) return undefined;
  const count = dims.reduce((product, size) => product * size, 1);
  return tensor.raw.length === count * bytesPerValue ? tensor.raw : undefined;
}

/** Little-endian float32 values, copied (the file's bytes need not be aligned). */
function floats(raw: Uint8Array): Float32Array {
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const out = new Float32Array(raw.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(4 * i, true);
  return out;
}

export class BagOfWords {
  private constructor(
    /** rows of the embedding table: token ids run from 0 to this, excluded */
    readonly vocabularySize: number,
    readonly dimension: number,
    /** [vocabularySize × dimension], a view into the model file's bytes */
    private readonly table: Int8Array,
    private readonly scales: Float32Array,
    private readonly weights: Float32Array,
    private readonly normFloor: number,
  ) {}

  /**
   * The exported bag of words in `graph` (read from the file that `config` names), or undefined
   * when the graph is anything else or the config does not go with it. The model file's bytes are
   * kept (the table is a view into them).
   */
  static recognise(graph: OnnxGraph, config: ModelConfig): BagOfWords | undefined {
    if (config.pooling !== 'none' || config.inputs.ids !== IDS || config.inputs.mask !== MASK || (config.output ?? OUTPUT) !== OUTPUT) return undefined;
    if (!matches(graph, config.dimension) || graph.initializers.size !== EXPORTED_INITIALIZERS || graph.sparseInitializers > 0) return undefined;
    const tableTensor = graph.initializers.get('embedding_int8');
    const [rows, dimension] = tableTensor?.dims ?? [];
    if (rows === undefined || dimension !== config.dimension || rows < 1) return undefined;
    const table = values(tableTensor, ONNX_INT8, [rows, dimension], 1);
    const scales = values(graph.initializers.get('embedding_scale'), ONNX_FLOAT, [rows, 1], 4);
    const weights = values(graph.initializers.get('token_weight'), ONNX_FLOAT, [rows], 4);
    const maskedScore = values(graph.initializers.get('masked_score'), ONNX_FLOAT, [], 4);
    const normEps = values(graph.initializers.get('norm_eps'), ONNX_FLOAT, [], 4);
    const axis = values(graph.initializers.get('axis_1'), ONNX_INT64, [1], 8);
    if (!table || !scales || !weights || !maskedScore || !normEps || !axis) return undefined;
    if (!sameList([...axis], [1, 0, 0, 0, 0, 0, 0, 0])) return undefined;
    // masked_score, a padded position's score, is checked but never used: only texts without padding are embedded here
    const [normFloor] = floats(normEps);
    if (!Number.isFinite(normFloor) || normFloor < 0) return undefined;
    return new BagOfWords(rows, dimension, new Int8Array(table.buffer, table.byteOffset, table.length), floats(scales), floats(weights), normFloor);
  }

  /**
   * The graph's output for one text of token ids `ids` (every one a real token: attention mask 1):
   * the softmax of the tokens' weights, times their dequantised rows, summed, over its length
   * (at least the graph's floor). Throws on an id outside the table, as onnxruntime's Gather does.
   */
  embed(ids: readonly number[]): Float32Array {
    const { dimension, table, scales, weights } = this;
    if (ids.length === 0) throw new RangeError('a text of no tokens has no vector in the bag of words');
    for (const id of ids) {
      if (!Number.isInteger(id) || id < 0 || id >= this.vocabularySize) {
        throw new RangeError(`token id ${id} is outside the model's table of ${this.vocabularySize} rows`);
      }
    }
    let highest = -Infinity;
    for (const id of ids) highest = Math.max(highest, weights[id]);
    const shares = ids.map((id) => Math.exp(weights[id] - highest));
    const total = shares.reduce((sum, share) => sum + share, 0);
    const pooled = new Float64Array(dimension);
    ids.forEach((id, t) => {
      const share = shares[t] / total;
      const scale = scales[id];
      const row = id * dimension;
      for (let d = 0; d < dimension; d++) pooled[d] += share * Math.fround(table[row + d] * scale);
    });
    let squares = 0;
    for (let d = 0; d < dimension; d++) squares += pooled[d] * pooled[d];
    const norm = Math.max(Math.sqrt(squares), this.normFloor);
    const vector = new Float32Array(dimension);
    for (let d = 0; d < dimension; d++) vector[d] = pooled[d] / norm;
    return vector;
  }
}
