/**
 * The exported bag of words evaluated without onnxruntime (src/engine/vectors/bag-of-words.ts) and
 * the ONNX reader under it (onnx-graph.ts): its vectors are onnxruntime's for any token ids, for
 * random weights and for the shipped model; only the exported graph, with its config, is
 * recognised; any bytes give a graph or OnnxFormatError; and an embedder over such a model answers
 * queries without loading onnxruntime, which it loads for the first document.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import fc from 'fast-check';
import { onnx as proto } from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { BagOfWords } from '../src/engine/vectors/bag-of-words';
import { loadModelConfig, type ModelConfig } from '../src/engine/vectors/model-config';
import { loadEmbedder } from '../src/engine/vectors/onnx-embedder';
import { OnnxFormatError, readOnnxGraph } from '../src/engine/vectors/onnx-graph';
import { encodeModel, exportedBagModel } from './helpers/bag-model';
import { fuzzParams } from './helpers/fuzz';

const ROOT = path.join(__dirname, '..', '..');
const SHIPPED = path.join(ROOT, 'models', 'codescout-code-v1');

/** The config that goes with an exported graph of `dimension` (as export.py writes it). */
const configFor = (dimension: number): ModelConfig => ({
  format: 1,
  id: 'bag-test',
  description: '',
  onnx: 'model.onnx',
  dimension,
  maxTokens: 512,
  pooling: 'none',
  normalize: true,
  queryPrefix: '',
  documentPrefix: '',
  tokenizer: { kind: 'identifier', file: 'tokenizer.json', options: {} },
  inputs: { ids: 'input_ids', mask: 'attention_mask', typeIds: 'token_type_ids' },
  output: 'sentence_embedding',
});

/** onnxruntime's vector for one text of `ids`, no padding. */
async function onnxVector(session: ort.InferenceSession, ids: readonly number[]): Promise<Float32Array> {
  const dims = [1, ids.length];
  const results = await session.run({
    input_ids: new ort.Tensor('int64', BigInt64Array.from(ids, BigInt), dims),
    attention_mask: new ort.Tensor('int64', new BigInt64Array(ids.length).fill(1n), dims),
  });
  return results.sentence_embedding.data as Float32Array;
}

function assertClose(actual: Float32Array, expected: Float32Array, tolerance: number, what: string): void {
  assert.equal(actual.length, expected.length, what);
  let worst = 0;
  for (let d = 0; d < actual.length; d++) worst = Math.max(worst, Math.abs(actual[d] - expected[d]));
  assert.ok(worst <= tolerance, `${what}: differs from onnxruntime by ${worst}`);
}

test("the exported graph with random weights gives onnxruntime's vector for any token ids", async () => {
  for (const [rows, dimension, seed] of [[40, 8, 1], [300, 24, 2], [7, 1, 3]] as const) {
    const model = exportedBagModel(rows, dimension, seed);
    const bag = BagOfWords.recognise(readOnnxGraph(model.bytes), configFor(dimension));
    assert.ok(bag, `recognised (${rows} × ${dimension})`);
    assert.equal(bag.vocabularySize, rows);
    const session = await ort.InferenceSession.create(model.bytes);
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(fc.nat({ max: rows - 1 }), { minLength: 1, maxLength: 80 }), async (ids) => {
          assertClose(bag.embed(ids), await onnxVector(session, ids), 2e-6, `ids ${ids.join(',')}`);
        }),
        fuzzParams(60),
      );
    } finally {
      await session.release();
    }
  }
});

test("the shipped model is recognised, and its vectors are onnxruntime's", async () => {
  const bytes = await readFile(path.join(SHIPPED, 'model.onnx'));
  const config = await loadModelConfig(SHIPPED);
  const bag = BagOfWords.recognise(readOnnxGraph(bytes), config);
  assert.ok(bag, 'recognised');
  assert.equal(bag.dimension, config.dimension);
  const session = await ort.InferenceSession.create(bytes);
  try {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.nat({ max: bag.vocabularySize - 1 }), { minLength: 1, maxLength: 40 }), async (ids) => {
        assertClose(bag.embed(ids), await onnxVector(session, ids), 2e-6, `ids ${ids.join(',')}`);
      }),
      fuzzParams(40),
    );
    // a text as long as the model's window, and ids at both ends of the table
    const long = Array.from({ length: config.maxTokens }, (_, i) => (i * 7919) % bag.vocabularySize);
    assertClose(bag.embed(long), await onnxVector(session, long), 2e-6, 'a full window');
    const ends = [0, bag.vocabularySize - 1];
    assertClose(bag.embed(ends), await onnxVector(session, ends), 2e-6, 'the first and last rows');
  } finally {
    await session.release();
  }
  assert.throws(() => bag.embed([bag.vocabularySize]), RangeError, 'an id past the table');
  assert.throws(() => bag.embed([-1]), RangeError);
  assert.throws(() => bag.embed([1.5]), RangeError);
  assert.throws(() => bag.embed([]), RangeError);
});

test('only the exported graph, with the config that goes with it, is recognised', () => {
  const model = exportedBagModel(20, 4, 7);
  const config = configFor(4);
  const recognised = (message = model.message, withConfig = config) => BagOfWords.recognise(readOnnxGraph(encodeModel(message)), withConfig) !== undefined;
  assert.ok(recognised(), 'the graph as exported');
  const changed = (edit: (graph: NonNullable<typeof model.message.graph>) => void) => {
    const copy = structuredClone(model.message);
    edit(copy.graph!);
    return copy;
  };
  const unrecognised: [string, typeof model.message][] = [
    ['another softmax axis', changed((g) => (g.node![8].attribute![0].i = 0))],
    ['an attribute more', changed((g) => g.node![0].attribute!.push({ name: 'axis', type: proto.AttributeProto.AttributeType.INT, i: 0 }))],
    ['another operator', changed((g) => (g.node![14].opType = 'Min'))],
    ['a node less', changed((g) => g.node!.pop())],
    ['a node of another domain', changed((g) => (g.node![3].domain = 'com.example'))],
    ['an input renamed', changed((g) => (g.input![1].name = 'mask'))],
    ['a missing initializer', changed((g) => g.initializer!.splice(1, 1))],
    ['a table of another type', changed((g) => (g.initializer![0].dataType = proto.TensorProto.DataType.FLOAT))],
    ['a table shorter than its dims', changed((g) => (g.initializer![0].rawData = (g.initializer![0].rawData as Uint8Array).subarray(1)))],
    ['scales of another shape', changed((g) => (g.initializer![1].dims = [20]))],
    ['values kept outside raw_data', changed((g) => {
      const weights = g.initializer![2];
      weights.floatData = Array.from(new Float32Array((weights.rawData as Uint8Array).slice().buffer));
      weights.rawData = new Uint8Array(0);
    })],
    ['an axis of 2', changed((g) => (g.initializer![5].rawData = new Uint8Array(BigInt64Array.from([2n]).buffer)))],
    ['an initializer more', changed((g) => g.initializer!.push({ name: 'unused', dataType: proto.TensorProto.DataType.FLOAT, dims: [], rawData: new Uint8Array(4) }))],
    ['values said to lie in another file', changed((g) => (g.initializer![2].dataLocation = proto.TensorProto.DataLocation.EXTERNAL))],
    ['a softmax axis given as a float', changed((g) => (g.node![8].attribute![0] = { name: 'axis', type: proto.AttributeProto.AttributeType.FLOAT, f: 1 }))],
    ['a softmax axis of another type, its integer set', changed((g) => (g.node![8].attribute![0] = { name: 'axis', type: proto.AttributeProto.AttributeType.FLOAT, i: 1 }))],
    ['reduced axes of another type, their integers set', changed((g) => (g.node![13].attribute![0].type = proto.AttributeProto.AttributeType.INT))],
    ['ids of a fixed size', changed((g) => (g.input![0].type!.tensorType!.shape!.dim![0] = { dimValue: 1 }))],
    ['ids declared a sequence after the tensor', changed((g) => (g.input![0].type!.sequenceType = { elemType: { tensorType: { elemType: proto.TensorProto.DataType.INT64 } } }))],
    ['a sparse initializer', changed((g) => (g.sparseInitializer = [{ values: { name: 'v', dataType: proto.TensorProto.DataType.FLOAT, dims: [1], rawData: new Uint8Array(4) }, indices: { name: 'i', dataType: proto.TensorProto.DataType.INT64, dims: [1], rawData: new Uint8Array(8) }, dims: [2] }]))],
    ['ids declared int32', changed((g) => (g.input![0].type!.tensorType!.elemType = proto.TensorProto.DataType.INT32))],
    ['ids of one axis', changed((g) => g.input![0].type!.tensorType!.shape!.dim!.pop())],
    ['an output of another declared size', changed((g) => (g.output![0].type!.tensorType!.shape!.dim![1] = { dimValue: 5 }))],
    ['an input more', changed((g) => g.input!.push(structuredClone(g.input![0])))],
  ];
  for (const [what, message] of unrecognised) assert.equal(recognised(message), false, what);
  // the operator set: the exporter's, alone
  assert.equal(recognised({ ...model.message, opsetImport: [{ domain: '', version: 18 }] }), false, 'opset 18');
  assert.equal(recognised({ ...model.message, opsetImport: [{ domain: '', version: 13 }, { domain: 'com.example', version: 1 }] }), false, 'a second operator set');
  assert.throws(() => readOnnxGraph(encodeModel({ ...model.message, opsetImport: [{ domain: '', version: 13 }, { domain: '', version: 13 }] })), OnnxFormatError, 'one operator set imported twice');
  // a data location given with the wrong wire type is not one (protocol buffers skip it): the values stay external
  const tensor = [0x42, 1, 0x78, 0x10, 1, 0x4a, 4, 0, 0, 0, 0, 0x70, 1, 0x72, 0]; // name "x", float, raw_data, data_location EXTERNAL, then field 14 as bytes
  const graph = [0x2a, tensor.length, ...tensor];
  const handMade = readOnnxGraph(Uint8Array.from([0x3a, graph.length, ...graph]));
  assert.equal(handMade.initializers.get('x')?.raw, undefined, 'still external');
  assert.equal(readOnnxGraph(Uint8Array.from([0x3a, 13, 0x2a, 11, ...tensor.slice(0, 11)])).initializers.get('x')?.raw?.length, 4, 'raw_data read when nothing says otherwise');
  assert.equal(recognised(model.message, { ...config, dimension: 8 }), false, 'another dimension');
  assert.equal(recognised(model.message, { ...config, pooling: 'mean' }), false, 'mean pooling');
  assert.equal(recognised(model.message, { ...config, output: 'last_hidden_state' }), false, 'another output');
  assert.equal(recognised(model.message, { ...config, inputs: { ...config.inputs, ids: 'ids' } }), false, 'another ids input');
  assert.ok(recognised(model.message, { ...config, output: undefined }), 'the first output, by default');
});

test('any bytes give a graph or OnnxFormatError, never another error', async () => {
  const head = (await readFile(path.join(SHIPPED, 'model.onnx'))).subarray(0, 4096);
  const model = exportedBagModel(12, 4, 9).bytes;
  const bytes = fc.oneof(
    fc.uint8Array({ maxLength: 300 }),
    fc.nat({ max: model.length }).map((end) => model.subarray(0, end)),
    fc.tuple(fc.nat({ max: model.length - 1 }), fc.integer({ min: 0, max: 255 })).map(([at, value]) => {
      const copy = model.slice();
      copy[at] = value;
      return copy;
    }),
    fc.nat({ max: head.length }).map((end) => head.subarray(0, end)),
  );
  fc.assert(
    fc.property(bytes, (input) => {
      try {
        const graph = readOnnxGraph(input);
        BagOfWords.recognise(graph, configFor(4)); // a graph read from damaged bytes is recognised or not, without an error
      } catch (err) {
        assert.ok(err instanceof OnnxFormatError, `${(err as Error).name}: ${(err as Error).message}`);
      }
    }),
    fuzzParams(300),
  );
  assert.throws(() => readOnnxGraph(new Uint8Array(0)), OnnxFormatError, 'no graph');
  assert.throws(() => readOnnxGraph(Uint8Array.from([0x3b])), OnnxFormatError, 'wire type 3');
  assert.throws(() => readOnnxGraph(Uint8Array.from([0x3a, 0x05, 0x01])), OnnxFormatError, 'a length past the end');
  // protocol buffers would merge two graphs, or take the last of two initializers of one name: refused instead
  const twice = new Uint8Array([...model, ...model]);
  assert.throws(() => readOnnxGraph(twice), OnnxFormatError, 'two graphs');
  const message = exportedBagModel(12, 4, 9).message;
  message.graph!.initializer!.push(structuredClone(message.graph!.initializer![3]));
  assert.throws(() => readOnnxGraph(encodeModel(message)), OnnxFormatError, 'two initializers of one name');
});

test('an embedder over the exported bag of words answers queries without onnxruntime, and loads it for the first document', async () => {
  // a child process, whose modules are its own: this one has loaded onnxruntime for the tests above
  const script = `
    const { loadEmbedder } = require(${JSON.stringify(require.resolve('../src/engine/vectors/onnx-embedder'))});
    const loaded = () => Object.keys(require.cache).some((file) => file.includes('onnxruntime-node'));
    (async () => {
      const embedder = await loadEmbedder(process.argv[1]);
      const query = await embedder.embedQuery('parse a json config file');
      const afterQuery = loaded();
      const [document] = await embedder.embedDocuments(['parse a json config file']);
      let worst = 0;
      for (let d = 0; d < query.length; d++) worst = Math.max(worst, Math.abs(query[d] - document[d]));
      console.log(JSON.stringify({ afterQuery, afterDocument: loaded(), worst, length: query.length }));
      await embedder.dispose();
    })();
  `;
  const { stdout } = await promisify(execFile)(process.execPath, ['-e', script, SHIPPED], { cwd: ROOT });
  const seen = JSON.parse(stdout) as { afterQuery: boolean; afterDocument: boolean; worst: number; length: number };
  assert.equal(seen.afterQuery, false, 'a query loads no onnxruntime');
  assert.equal(seen.afterDocument, true, 'a document does');
  assert.equal(seen.length, 256);
  // the same text as a query (no prefix for either) and as a document: the same vector, up to rounding
  assert.ok(seen.worst <= 2e-6, `query and document vectors differ by ${seen.worst}`);
});

/** Counts the sessions onnxruntime creates and releases in this process, failing the next `failures` creations. */
function countSessions(t: { after(fn: () => void): void }) {
  const counts = { created: 0, released: 0, failures: 0 };
  const create = ort.InferenceSession.create;
  const patched = async (...args: unknown[]) => {
    if (counts.failures > 0) {
      counts.failures--;
      throw new Error('no session today');
    }
    const session = await (create as (...a: unknown[]) => Promise<ort.InferenceSession>)(...args);
    counts.created++;
    const release = session.release.bind(session);
    session.release = async () => {
      counts.released++;
      return release();
    };
    return session;
  };
  (ort.InferenceSession as { create: unknown }).create = patched;
  t.after(() => ((ort.InferenceSession as { create: unknown }).create = create));
  return counts;
}

test('the session of a bag-of-words embedder is made at the first document from the bytes it was loaded from, tried again after a failure, and released once', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'codescout-bag-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await cp(SHIPPED, dir, { recursive: true });
  const sessions = countSessions(t);
  const embedder = await loadEmbedder(dir);
  assert.equal(sessions.created, 0, 'none at load');
  const before = await embedder.embedQuery('open a socket');
  // the file replaced by another model of the same shape after the load: the session is the loaded model's,
  // whose digest is the embedder's id, not the new file's
  const onnxFile = path.join(dir, 'model.onnx');
  const other = exportedBagModel(32048, 256, 5);
  await writeFile(onnxFile, other.bytes);
  // a creation that fails fails that embedding, saying why; queries go on; the next document tries again
  sessions.failures = 1;
  await assert.rejects(embedder.embedDocuments(['def f(): pass']), /cannot load ONNX model .*no session today/);
  assert.deepEqual(await embedder.embedQuery('open a socket'), before);
  const [vector] = await embedder.embedDocuments(['open a socket']);
  assertClose(vector, before, 2e-6, 'the document vector of the query text, by the model loaded');
  await embedder.embedDocuments(['read a file', 'write a file']);
  assert.equal(sessions.created, 1, 'one session, kept');
  await embedder.dispose();
  await embedder.dispose();
  assert.equal(sessions.released, 1, 'released once');
  await assert.rejects(embedder.embedQuery('open a socket'), /has been disposed/);
  await assert.rejects(embedder.embedDocuments(['x']), /has been disposed/);
  // disposed while its session is being created: released, and the documents refused
  const racing = await loadEmbedder(SHIPPED);
  const embedding = racing.embedDocuments(['open a socket']);
  await racing.dispose();
  await assert.rejects(embedding, /has been disposed/);
  assert.equal(sessions.created, sessions.released, 'every session made was released');
});

test('an embedder disposed between two batches of one call makes no session after it, and releases the one it had', async (t) => {
  const sessions = countSessions(t);
  // any model: the batches of one call
  const embedder = await loadEmbedder(SHIPPED, { batchSize: 2 });
  await embedder.embedDocuments(['warm']); // the session exists
  const texts = Array.from({ length: 10 }, (_, i) => `text number ${i} about files`);
  const embedding = embedder.embedDocuments(texts);
  setImmediate(() => void embedder.dispose()); // while the first batch's run is queued (onnxruntime runs it in an immediate queued after this one)
  await assert.rejects(embedding, /has been disposed/);
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(sessions.created, 1, 'no second session');
  assert.equal(sessions.released, 1);
});
