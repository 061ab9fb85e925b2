/**
 * Reads the graph of an ONNX model file: its operator sets, nodes, initializers, inputs and
 * outputs, as far as bag-of-words.ts needs them to recognise the graph that Code Scout's trainer
 * exports. Not a general ONNX reader: a tensor whose values are not in `raw_data` (or lie in an
 * external file) is listed without values, attributes keep their type and integers only, and
 * everything else is skipped.
 *
 * The file is protocol buffers (onnx.proto3): a sequence of fields, each a key (field number and
 * wire type, as a varint) and a value: a varint, 8 or 4 bytes, or a length and that many bytes.
 * Malformed bytes (a length past the end, a wire type protocol buffers does not use, a varint of
 * more than ten bytes) throw {@link OnnxFormatError}.
 */

/** The bytes are not an ONNX model this reader can walk. */
export class OnnxFormatError extends Error {
  override readonly name = 'OnnxFormatError';
}

/** ONNX `TensorProto.DataType` values this project reads. */
export const ONNX_FLOAT = 1;
export const ONNX_INT8 = 3;
export const ONNX_INT64 = 7;
export const ONNX_BOOL = 9;

export interface OnnxTensor {
  readonly name: string;
  /** `TensorProto.DataType` */
  readonly dataType: number;
  readonly dims: readonly number[];
  /** the little-endian values, a view into the file's bytes; undefined when the tensor keeps them elsewhere */
  readonly raw: Uint8Array | undefined;
}

/** `AttributeProto.AttributeType` values this project reads. */
export const ONNX_ATTRIBUTE_INT = 2;
export const ONNX_ATTRIBUTE_INTS = 7;

export interface OnnxAttribute {
  /** `AttributeProto.AttributeType` (0 when the file gives none) */
  readonly type: number;
  /** its integer (`i`), or integers (`ints`); other kinds of value are not read */
  readonly value: number | readonly number[];
}

export interface OnnxNode {
  readonly opType: string;
  /** `domain` ("" is the default ONNX operator set) */
  readonly domain: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attributes: ReadonlyMap<string, OnnxAttribute>;
}

/** A declared graph input or output: its name, and for a tensor its element type and shape (a size, a symbolic name, or undefined for neither). */
export interface OnnxValueInfo {
  readonly name: string;
  readonly elemType: number | undefined;
  readonly shape: readonly (number | string | undefined)[] | undefined;
}

export interface OnnxGraph {
  /** operator set domain → version, as the model imports them */
  readonly opsets: ReadonlyMap<string, number>;
  readonly nodes: readonly OnnxNode[];
  readonly initializers: ReadonlyMap<string, OnnxTensor>;
  /** how many sparse initializers the graph has (they are not read) */
  readonly sparseInitializers: number;
  /** the graph's declared inputs and outputs, in order */
  readonly inputs: readonly OnnxValueInfo[];
  readonly outputs: readonly OnnxValueInfo[];
}

const VARINT = 0;
const FIXED64 = 1;
const BYTES = 2;
const FIXED32 = 5;

/** Field numbers of onnx.proto3. */
const MODEL_GRAPH = 7;
const MODEL_OPSET_IMPORT = 8;
const OPSET_DOMAIN = 1;
const OPSET_VERSION = 2;
const GRAPH_NODE = 1;
const GRAPH_INITIALIZER = 5;
const GRAPH_SPARSE_INITIALIZER = 15;
const GRAPH_INPUT = 11;
const GRAPH_OUTPUT = 12;
const NODE_INPUT = 1;
const NODE_OUTPUT = 2;
const NODE_OP_TYPE = 4;
const NODE_ATTRIBUTE = 5;
const NODE_DOMAIN = 7;
const ATTRIBUTE_NAME = 1;
const ATTRIBUTE_I = 3;
const ATTRIBUTE_INTS = 8;
const ATTRIBUTE_TYPE = 20;
const TENSOR_DIMS = 1;
const TENSOR_DATA_TYPE = 2;
const TENSOR_NAME = 8;
const TENSOR_RAW_DATA = 9;
const TENSOR_DATA_LOCATION = 14;
/** `TensorProto.DataLocation.EXTERNAL`: the values lie in another file */
const EXTERNAL = 1;
const VALUE_INFO_NAME = 1;
const VALUE_INFO_TYPE = 2;
const TYPE_TENSOR = 1;
/** TypeProto's `value` oneof: tensor_type, sequence_type, map_type, sparse_tensor_type, optional_type (the last one given is the type) */
const TYPE_ONEOF = new Set([1, 4, 5, 8, 9]);
const TENSOR_TYPE_ELEM_TYPE = 1;
const TENSOR_TYPE_SHAPE = 2;
const SHAPE_DIM = 1;
const DIM_VALUE = 1;
const DIM_PARAM = 2;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** One field of a message: its number, and its value as a number (varint) or bytes (length-delimited). */
interface Field {
  readonly number: number;
  readonly varint: number;
  readonly bytes: Uint8Array | undefined;
}

/** Walks the fields of one message, `bytes`; `visit` is called for each. */
function forEachField(bytes: Uint8Array, visit: (field: Field) => void): void {
  let at = 0;
  const varint = (): number => {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (at >= bytes.length) throw new OnnxFormatError('a number runs past the end of the model file');
      const byte = bytes[at++];
      value += (byte & 0x7f) * scale; // exact below 2^53; larger values (negative int64) only compare unequal
      if (byte < 0x80) return value;
      scale *= 128;
    }
    throw new OnnxFormatError('a number in the model file is longer than ten bytes');
  };
  while (at < bytes.length) {
    const key = varint();
    const number = Math.floor(key / 8);
    const wire = key % 8;
    if (wire === VARINT) visit({ number, varint: varint(), bytes: undefined });
    else if (wire === BYTES) {
      const length = varint();
      if (length > bytes.length - at) throw new OnnxFormatError('a field runs past the end of the model file');
      visit({ number, varint: 0, bytes: bytes.subarray(at, at + length) });
      at += length;
    } else if (wire === FIXED64 || wire === FIXED32) {
      at += wire === FIXED64 ? 8 : 4;
      if (at > bytes.length) throw new OnnxFormatError('a field runs past the end of the model file');
    } else throw new OnnxFormatError(`the model file has a field of wire type ${wire}, which protocol buffers do not use`);
  }
}

const text = (bytes: Uint8Array | undefined): string => {
  if (bytes === undefined) throw new OnnxFormatError('a name in the model file is not a string');
  try {
    return utf8.decode(bytes);
  } catch {
    throw new OnnxFormatError('a name in the model file is not UTF-8');
  }
};

/** The integers of a repeated int64 field: packed (one length-delimited run) or one varint per field. */
function addIntegers(field: Field, to: number[]): void {
  if (field.bytes === undefined) {
    to.push(field.varint);
    return;
  }
  let at = 0;
  const packed = field.bytes;
  while (at < packed.length) {
    let value = 0;
    let scale = 1;
    let i = 0;
    for (; ; i++) {
      if (i >= 10 || at >= packed.length) throw new OnnxFormatError('a list of numbers in the model file is cut off');
      const byte = packed[at++];
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) break;
      scale *= 128;
    }
    to.push(value);
  }
}

function readTensor(bytes: Uint8Array): OnnxTensor {
  let name = '';
  let dataType = 0;
  const dims: number[] = [];
  let raw: Uint8Array | undefined;
  let external = false;
  forEachField(bytes, (field) => {
    if (field.number === TENSOR_NAME) name = text(field.bytes);
    else if (field.number === TENSOR_DATA_TYPE) dataType = field.varint;
    else if (field.number === TENSOR_DIMS) addIntegers(field, dims);
    else if (field.number === TENSOR_RAW_DATA && field.bytes !== undefined) raw = field.bytes;
    else if (field.number === TENSOR_DATA_LOCATION && field.bytes === undefined) external = field.varint === EXTERNAL;
  });
  return { name, dataType, dims, raw: external ? undefined : raw };
}

function readNode(bytes: Uint8Array): OnnxNode {
  let opType = '';
  let domain = '';
  const inputs: string[] = [];
  const outputs: string[] = [];
  const attributes = new Map<string, OnnxAttribute>();
  forEachField(bytes, (field) => {
    if (field.number === NODE_INPUT) inputs.push(text(field.bytes));
    else if (field.number === NODE_OUTPUT) outputs.push(text(field.bytes));
    else if (field.number === NODE_OP_TYPE) opType = text(field.bytes);
    else if (field.number === NODE_DOMAIN) domain = text(field.bytes);
    else if (field.number === NODE_ATTRIBUTE && field.bytes !== undefined) {
      let name = '';
      let type = 0;
      let single: number | undefined;
      const list: number[] = [];
      forEachField(field.bytes, (part) => {
        if (part.number === ATTRIBUTE_NAME) name = text(part.bytes);
        else if (part.number === ATTRIBUTE_TYPE && part.bytes === undefined) type = part.varint;
        else if (part.number === ATTRIBUTE_I && part.bytes === undefined) single = part.varint;
        else if (part.number === ATTRIBUTE_INTS) addIntegers(part, list);
      });
      attributes.set(name, { type, value: single ?? list });
    }
  });
  return { opType, domain, inputs, outputs, attributes };
}

/** The one length-delimited field `number` of a message, or undefined; a message-typed field given twice is refused (protocol buffers would merge the two). */
function only(bytes: Uint8Array, number: number): Uint8Array | undefined {
  let found: Uint8Array | undefined;
  forEachField(bytes, (field) => {
    if (field.number !== number || field.bytes === undefined) return;
    if (found !== undefined) throw new OnnxFormatError(`a field of the model file is given twice (${number})`);
    found = field.bytes;
  });
  return found;
}

function readValueInfo(bytes: Uint8Array): OnnxValueInfo {
  let name = '';
  forEachField(bytes, (field) => {
    if (field.number === VALUE_INFO_NAME) name = text(field.bytes);
  });
  const tensor = (() => {
    const type = only(bytes, VALUE_INFO_TYPE);
    if (type === undefined) return undefined;
    let last = 0;
    forEachField(type, (field) => {
      if (TYPE_ONEOF.has(field.number)) last = field.number;
    });
    return last === TYPE_TENSOR ? only(type, TYPE_TENSOR) : undefined; // another kind of value: not a tensor
  })();
  if (tensor === undefined) return { name, elemType: undefined, shape: undefined };
  let elemType: number | undefined;
  forEachField(tensor, (field) => {
    if (field.number === TENSOR_TYPE_ELEM_TYPE && field.bytes === undefined) elemType = field.varint;
  });
  const shapeBytes = only(tensor, TENSOR_TYPE_SHAPE);
  let shape: (number | string | undefined)[] | undefined;
  if (shapeBytes !== undefined) {
    shape = [];
    forEachField(shapeBytes, (field) => {
      if (field.number !== SHAPE_DIM || field.bytes === undefined) return;
      let size: number | string | undefined;
      forEachField(field.bytes, (part) => {
        if (part.number === DIM_VALUE && part.bytes === undefined) size = part.varint;
        else if (part.number === DIM_PARAM) size = text(part.bytes);
      });
      shape!.push(size);
    });
  }
  return { name, elemType, shape };
}

/** The graph of the ONNX model file `bytes`; throws {@link OnnxFormatError} when the bytes cannot be walked or hold no graph. */
export function readOnnxGraph(bytes: Uint8Array): OnnxGraph {
  const graph = only(bytes, MODEL_GRAPH);
  if (graph === undefined) throw new OnnxFormatError('the model file has no graph');
  const opsets = new Map<string, number>();
  forEachField(bytes, (field) => {
    if (field.number !== MODEL_OPSET_IMPORT || field.bytes === undefined) return;
    let domain = '';
    let version = 0;
    forEachField(field.bytes, (part) => {
      if (part.number === OPSET_DOMAIN) domain = text(part.bytes);
      else if (part.number === OPSET_VERSION && part.bytes === undefined) version = part.varint;
    });
    if (opsets.has(domain)) throw new OnnxFormatError(`the model file imports the operator set "${domain}" twice`);
    opsets.set(domain, version);
  });
  const nodes: OnnxNode[] = [];
  const initializers = new Map<string, OnnxTensor>();
  const inputs: OnnxValueInfo[] = [];
  const outputs: OnnxValueInfo[] = [];
  let sparseInitializers = 0;
  forEachField(graph, (field) => {
    if (field.bytes === undefined) return;
    if (field.number === GRAPH_SPARSE_INITIALIZER) sparseInitializers++;
    if (field.number === GRAPH_NODE) nodes.push(readNode(field.bytes));
    else if (field.number === GRAPH_INITIALIZER) {
      const tensor = readTensor(field.bytes);
      if (initializers.has(tensor.name)) throw new OnnxFormatError(`the model file has two initializers named "${tensor.name}"`);
      initializers.set(tensor.name, tensor);
    } else if (field.number === GRAPH_INPUT) inputs.push(readValueInfo(field.bytes));
    else if (field.number === GRAPH_OUTPUT) outputs.push(readValueInfo(field.bytes));
  });
  return { opsets, nodes, initializers, sparseInitializers, inputs, outputs };
}
