/**
 * The graph that Code Scout's trainer exports (training/codescout_train/export.py `build_onnx`,
 * without its optional context stage), built here with small random weights, for the tests of
 * src/engine/vectors/bag-of-words.ts: the same nodes, names, attributes and initializers.
 */
import { onnx } from 'onnx-proto';
import { seededRandom } from './random';

const FLOAT = onnx.TensorProto.DataType.FLOAT;
const INT8 = onnx.TensorProto.DataType.INT8;
const INT64 = onnx.TensorProto.DataType.INT64;
const BOOL = onnx.TensorProto.DataType.BOOL;
const INT = onnx.AttributeProto.AttributeType.INT;
const INTS = onnx.AttributeProto.AttributeType.INTS;

export interface BagModel {
  rows: number;
  dimension: number;
  /** the encoded ONNX model */
  bytes: Uint8Array;
  /** the decoded message, to change before encoding again ({@link encodeModel}) */
  message: onnx.IModelProto;
}

const floatBytes = (values: number[]): Uint8Array => new Uint8Array(Float32Array.from(values).buffer);

/** The exported graph over a random table of `rows` × `dimension` (int8, a float scale per row) and random token weights. */
export function exportedBagModel(rows: number, dimension: number, seed: number): BagModel {
  const random = seededRandom(seed);
  const table = new Int8Array(rows * dimension).map(() => Math.round(random() * 254 - 127));
  const scales = Array.from({ length: rows }, () => 0.001 + random() * 0.02);
  const weights = Array.from({ length: rows }, () => random() * 6 - 3);
  const node = (opType: string, input: string[], output: string[], attribute: onnx.IAttributeProto[] = []): onnx.INodeProto => ({ opType, input, output, attribute });
  const tokens = (name: string): onnx.IValueInfoProto => ({ name, type: { tensorType: { elemType: INT64, shape: { dim: [{ dimParam: 'batch' }, { dimParam: 'tokens' }] } } } });
  const message: onnx.IModelProto = {
    irVersion: 8,
    opsetImport: [{ domain: '', version: 13 }],
    producerName: 'codescout-train',
    graph: {
      name: 'codescout_bag_of_words',
      node: [
        node('Gather', ['embedding_int8', 'input_ids'], ['emb_i8']),
        node('Cast', ['emb_i8'], ['emb_raw'], [{ name: 'to', type: INT, i: FLOAT }]),
        node('Gather', ['embedding_scale', 'input_ids'], ['emb_scale']),
        node('Mul', ['emb_raw', 'emb_scale'], ['emb']),
        node('Gather', ['token_weight', 'input_ids'], ['weights']),
        node('Cast', ['attention_mask'], ['mask_bool'], [{ name: 'to', type: INT, i: BOOL }]),
        node('Cast', ['attention_mask'], ['mask_float'], [{ name: 'to', type: INT, i: FLOAT }]),
        node('Where', ['mask_bool', 'weights', 'masked_score'], ['scores']),
        node('Softmax', ['scores'], ['softmax'], [{ name: 'axis', type: INT, i: 1 }]),
        node('Mul', ['softmax', 'mask_float'], ['attn']),
        node('Unsqueeze', ['attn', 'axis_1'], ['attn_row']),
        node('MatMul', ['attn_row', 'emb'], ['pooled_row']),
        node('Squeeze', ['pooled_row', 'axis_1'], ['pooled']),
        node('ReduceL2', ['pooled'], ['norm_raw'], [{ name: 'axes', type: INTS, ints: [1] }, { name: 'keepdims', type: INT, i: 1 }]),
        node('Max', ['norm_raw', 'norm_eps'], ['norm']),
        node('Div', ['pooled', 'norm'], ['sentence_embedding']),
      ],
      initializer: [
        { name: 'embedding_int8', dataType: INT8, dims: [rows, dimension], rawData: new Uint8Array(table.buffer) },
        { name: 'embedding_scale', dataType: FLOAT, dims: [rows, 1], rawData: floatBytes(scales) },
        { name: 'token_weight', dataType: FLOAT, dims: [rows], rawData: floatBytes(weights) },
        { name: 'masked_score', dataType: FLOAT, dims: [], rawData: floatBytes([-1e4]) },
        { name: 'norm_eps', dataType: FLOAT, dims: [], rawData: floatBytes([1e-6]) },
        { name: 'axis_1', dataType: INT64, dims: [1], rawData: new Uint8Array(BigInt64Array.from([1n]).buffer) },
      ],
      input: [tokens('input_ids'), tokens('attention_mask')],
      output: [{ name: 'sentence_embedding', type: { tensorType: { elemType: FLOAT, shape: { dim: [{ dimParam: 'batch' }, { dimValue: dimension }] } } } }],
    },
  };
  return { rows, dimension, bytes: encodeModel(message), message };
}

export function encodeModel(message: onnx.IModelProto): Uint8Array {
  return onnx.ModelProto.encode(message).finish();
}
