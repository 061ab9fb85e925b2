import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { CancelledError, type Embedder } from '../src/engine/vectors/embedder';
import { loadModelConfig, MODEL_CONFIG_FILE } from '../src/engine/vectors/model-config';
import { loadEmbedder } from '../src/engine/vectors/onnx-embedder';
import { loadTokenizer } from '../src/engine/vectors/tokenizer';
import {
  buildTinyModel,
  editModelConfig,
  rowOf,
  SPECIAL_TOKENS,
  TINY_MODEL_ID,
  type TinyModel,
  type TinyModelOptions,
} from './helpers/tiny-model';

const [PAD, UNK, CLS, SEP] = [0, 1, 2, 3];
const TOLERANCE = 1e-5;

const tempDirs: string[] = [];
after(async () => {
  await Promise.all(tempDirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function tinyModel(opts: TinyModelOptions = {}): Promise<TinyModel> {
  const dir = await mkdtemp(path.join(tmpdir(), 'codescout-vectors-'));
  tempDirs.push(dir);
  return buildTinyModel(dir, opts);
}

/** Loads an embedder, hands it to `use` and disposes of it afterwards. */
async function withEmbedder<T>(
  model: TinyModel,
  use: (embedder: Embedder) => Promise<T>,
  opts?: { batchSize?: number },
): Promise<T> {
  const embedder = await loadEmbedder(model.dir, opts);
  try {
    return await use(embedder);
  } finally {
    await embedder.dispose();
  }
}

/** The token ids the tiny tokenizer should produce, worked out independently from the vocabulary. */
function expectedIds(model: TinyModel, text: string, specialTokens = true): number[] {
  const words = text.toLowerCase().split(/\s+/).filter((w) => w.length > 0);
  const ids = words.map((word) => (model.vocab.includes(word) ? model.vocab.indexOf(word) : UNK));
  return specialTokens ? [CLS, ...ids, SEP] : ids;
}

function meanOfRows(model: TinyModel, ids: readonly number[]): number[] {
  const dimension = model.embeddingTable[0].length;
  const sum = new Array<number>(dimension).fill(0);
  for (const id of ids) {
    model.embeddingTable[id].forEach((x, d) => (sum[d] += x));
  }
  return sum.map((x) => x / ids.length);
}

function normalized(vector: readonly number[]): number[] {
  const norm = Math.hypot(...vector);
  return vector.map((x) => x / norm);
}

function assertClose(actual: Float32Array, expected: ArrayLike<number>, what = 'vector'): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  actual.forEach((x, i) => {
    assert.ok(Math.abs(x - expected[i]) <= TOLERANCE, `${what}[${i}]: got ${x}, expected ${expected[i]}`);
  });
}

function assertUnitLength(vector: Float32Array): void {
  assert.ok(Math.abs(Math.hypot(...vector) - 1) <= TOLERANCE, `norm is ${Math.hypot(...vector)}`);
}

function cosine(a: Float32Array, b: Float32Array): number {
  return a.reduce((sum, x, i) => sum + x * b[i], 0);
}

// ---------------------------------------------------------------- model config

test('a valid model folder loads with the documented defaults filled in', async () => {
  const model = await tinyModel();
  await editModelConfig(model.dir, (config) => {
    for (const key of ['description', 'normalize', 'queryPrefix', 'documentPrefix', 'output']) {
      delete config[key];
    }
  });
  const config = await loadModelConfig(model.dir);
  assert.equal(config.id, TINY_MODEL_ID);
  assert.equal(config.normalize, true);
  assert.equal(config.queryPrefix, '');
  assert.equal(config.documentPrefix, '');
  assert.equal(config.output, undefined);
  assert.deepEqual(config.inputs, { ids: 'input_ids', mask: 'attention_mask', typeIds: 'token_type_ids' });
  assert.deepEqual(config.tokenizer, { kind: 'huggingface', file: 'tokenizer.json', options: {} });
});

const invalidConfigs: { name: string; edit: (config: Record<string, unknown>) => void; error: RegExp }[] = [
  { name: 'a missing required key', edit: (c) => delete c.onnx, error: /"onnx" is missing \(expected a string\)/ },
  { name: 'a wrongly typed value', edit: (c) => (c.dimension = '8'), error: /"dimension" must be a positive integer, got "8"/ },
  { name: 'a non-positive size', edit: (c) => (c.maxTokens = 0), error: /"maxTokens" must be a positive integer, got 0/ },
  {
    name: 'an unknown pooling',
    edit: (c) => (c.pooling = 'max'),
    error: /"pooling" must be one of "mean", "cls", "none", got "max"/,
  },
  {
    name: 'an unknown tokenizer kind',
    edit: (c) => (c.tokenizer = { kind: 'sentencepiece', file: 'tokenizer.json' }),
    error: /"tokenizer\.kind" must be one of "huggingface"(, "[a-z]+")*, got "sentencepiece"/,
  },
  {
    name: 'a tokenizer that is not an object',
    edit: (c) => (c.tokenizer = 'tokenizer.json'),
    error: /"tokenizer" must be an object/,
  },
  { name: 'an unknown format', edit: (c) => (c.format = 2), error: /"format" must be 1/ },
  { name: 'a misspelt key', edit: (c) => (c.documentPrefx = 'x'), error: /"documentPrefx" is not a known key/ },
  { name: 'a misspelt input key', edit: (c) => (c.inputs = { id: 'x' }), error: /"inputs\.id" is not a known key/ },
  { name: 'an id unfit for cache keys', edit: (c) => (c.id = 'my/model'), error: /"id" may hold only letters/ },
  { name: 'a missing .onnx file', edit: (c) => (c.onnx = 'absent.onnx'), error: /"onnx" names absent\.onnx, which is not in/ },
  {
    name: 'a missing tokenizer file',
    edit: (c) => (c.tokenizer = { kind: 'huggingface', file: 'absent.json' }),
    error: /"tokenizer\.file" names absent\.json, which is not in/,
  },
];

for (const { name, edit, error } of invalidConfigs) {
  test(`loadEmbedder rejects a config with ${name}`, async () => {
    const model = await tinyModel();
    await editModelConfig(model.dir, edit);
    await assert.rejects(loadEmbedder(model.dir), (err: Error) => {
      assert.equal(err.name, 'ModelConfigError');
      assert.match(err.message, error);
      assert.ok(err.message.includes(MODEL_CONFIG_FILE), `message names the file: ${err.message}`);
      return true;
    });
  });
}

test('loadEmbedder rejects a folder without codescout-model.json, or with broken JSON', async () => {
  const model = await tinyModel();
  const configPath = path.join(model.dir, MODEL_CONFIG_FILE);
  await writeFile(configPath, '{ "format": 1, ');
  await assert.rejects(loadEmbedder(model.dir), {
    name: 'ModelConfigError',
    message: /cannot read .*codescout-model\.json/,
  });
  await unlink(configPath);
  await assert.rejects(loadEmbedder(model.dir), {
    name: 'ModelConfigError',
    message: /is not a model folder: it has no codescout-model\.json/,
  });
});

test('loadEmbedder rejects config inputs and outputs the model does not have', async () => {
  const model = await tinyModel();
  await editModelConfig(model.dir, (c) => (c.inputs = { ids: 'token_ids' }));
  await assert.rejects(loadEmbedder(model.dir), /has no input "token_ids" \(its inputs: input_ids, attention_mask\)/);
  await editModelConfig(model.dir, (c) => (c.inputs = { mask: 'mask' }));
  await assert.rejects(
    loadEmbedder(model.dir),
    /needs inputs that codescout-model\.json does not map \("inputs"\): attention_mask/,
  );
  await editModelConfig(model.dir, (c) => {
    delete c.inputs;
    c.output = 'pooler_output';
  });
  await assert.rejects(loadEmbedder(model.dir), /has no output "pooler_output" \(its outputs: last_hidden_state\)/);
  await editModelConfig(model.dir, (c) => (c.pooling = 'none'));
  await editModelConfig(model.dir, (c) => delete c.output);
  await assert.rejects(
    loadEmbedder(model.dir),
    /output "last_hidden_state" has shape \[batch, seq, 8\], but pooling "none" needs 2 axes/,
  );
});

test('loadEmbedder rejects bad options', async () => {
  const model = await tinyModel();
  await assert.rejects(loadEmbedder(model.dir, { threads: 0 }), {
    name: 'RangeError',
    message: /threads must be a positive integer/,
  });
  await assert.rejects(loadEmbedder(model.dir, { batchSize: 1.5 }), {
    name: 'RangeError',
    message: /batchSize must be a positive integer/,
  });
});

// ---------------------------------------------------------------- tokenizer

test('the huggingface tokenizer lowercases, maps unknown words to [UNK] and adds special tokens', async () => {
  const model = await tinyModel();
  const tokenizer = await loadTokenizer(model.dir, { kind: 'huggingface', file: 'tokenizer.json', options: {} });
  const id = (word: string) => model.vocab.indexOf(word);
  assert.deepEqual(tokenizer.encode('Parse the FILE', 64), [CLS, id('parse'), id('the'), id('file'), SEP]);
  assert.deepEqual(tokenizer.encode('parse frobnicate', 64), [CLS, id('parse'), UNK, SEP]);
  assert.deepEqual(tokenizer.encode('', 64), [CLS, SEP]);
  assert.equal(tokenizer.padId, PAD);
  assert.equal(model.vocab[PAD], SPECIAL_TOKENS[0]);
});

test('the huggingface tokenizer truncates to maxTokens, special tokens included', async () => {
  const model = await tinyModel();
  const tokenizer = await loadTokenizer(model.dir, { kind: 'huggingface', file: 'tokenizer.json', options: {} });
  const text = 'read the file from the disk and parse its syntax';
  assert.deepEqual(tokenizer.encode(text, 5), expectedIds(model, 'read the file'));
  assert.deepEqual(tokenizer.encode(text, 2), [CLS, SEP]);
  assert.deepEqual(tokenizer.encode(text, 64), expectedIds(model, text));
  assert.throws(() => tokenizer.encode(text, 1), /maxTokens 1 leaves no room for the tokenizer's 2 special tokens/);

  const plain = await tinyModel({ specialTokens: false });
  const plainTokenizer = await loadTokenizer(plain.dir, { kind: 'huggingface', file: 'tokenizer.json', options: {} });
  assert.deepEqual(plainTokenizer.encode(text, 3), expectedIds(plain, 'read the file', false));
});

test('a tokenizer.json the library cannot read is a clear error', async () => {
  const model = await tinyModel();
  await writeFile(path.join(model.dir, 'tokenizer.json'), '{}');
  await assert.rejects(loadEmbedder(model.dir), /cannot build a tokenizer from .*tokenizer\.json: .*"model"/);
});

test('the huggingface tokenizer rejects options it does not know', async () => {
  const model = await tinyModel();
  await assert.rejects(
    loadTokenizer(model.dir, { kind: 'huggingface', file: 'tokenizer.json', options: { lowercase: true } }),
    /tokenizer kind "huggingface" takes no options, got: lowercase/,
  );
});

// ---------------------------------------------------------------- embedder

test('the embedder id is the config id plus a digest of the weights, config and tokenizer', async () => {
  const model = await tinyModel();
  const digest = createHash('sha256');
  for (const file of ['model.onnx', 'codescout-model.json', 'tokenizer.json']) digest.update(await readFile(path.join(model.dir, file)));
  const hex = digest.digest('hex');
  await withEmbedder(model, async (embedder) => {
    assert.equal(embedder.id, `${TINY_MODEL_ID}@${hex.slice(0, 12)}`);
    assert.equal(embedder.dimension, 8);
    assert.equal(embedder.maxTokens, 64);
  });
  const other = await tinyModel({ dimension: 4 });
  await withEmbedder(other, async (embedder) => assert.notEqual(embedder.id.split('@')[1], hex.slice(0, 12)));
  // a different query prefix alone (same weights, same tokenizer) must not reuse cached vectors
  const prefixed = await tinyModel({ queryPrefix: 'query: ' });
  await withEmbedder(prefixed, async (embedder) => assert.notEqual(embedder.id.split('@')[1], hex.slice(0, 12)));
});

test('mean pooling is the masked mean of the token rows, then L2-normalised', async () => {
  const model = await tinyModel();
  const texts = ['parse the syntax tree', 'read a file from disk', 'frobnicate http'];
  const vectors = await withEmbedder(model, (embedder) => embedder.embedDocuments(texts));
  assert.equal(vectors.length, texts.length);
  vectors.forEach((vector, i) => {
    assertClose(vector, normalized(meanOfRows(model, expectedIds(model, texts[i]))), texts[i]);
    assertUnitLength(vector);
  });
});

test('without normalize the raw masked mean is returned', async () => {
  const model = await tinyModel({ normalize: false });
  const text = 'write the file to disk';
  const [vector] = await withEmbedder(model, (embedder) => embedder.embedDocuments([text]));
  assertClose(vector, meanOfRows(model, expectedIds(model, text)));
});

test('CLS pooling takes the first token vector', async () => {
  const model = await tinyModel({ pooling: 'cls', specialTokens: false });
  const vectors = await withEmbedder(model, (embedder) => embedder.embedDocuments(['socket server request', 'matrix sum']));
  assertClose(vectors[0], normalized([...rowOf(model.vocab, model.embeddingTable, 'socket')]));
  assertClose(vectors[1], normalized([...rowOf(model.vocab, model.embeddingTable, 'matrix')]));
});

test('pooling "none" reads one vector per text straight from the model', async () => {
  const model = await tinyModel({ pooling: 'none' });
  const text = 'login with user password';
  const vector = await withEmbedder(model, (embedder) => embedder.embedQuery(text));
  // the graph sums the token rows; normalised, that is the normalised mean
  assertClose(vector, normalized(meanOfRows(model, expectedIds(model, text))));
});

test('batching returns the same vectors as one text at a time, in the original order', async () => {
  const model = await tinyModel();
  const texts = [
    'parse the grammar of the syntax with a lexer and a parser',
    'disk',
    'http request to the server',
    'render a button',
    'throw an error and retry the request to the server again',
    'sum',
    'read file',
  ];
  await withEmbedder(
    model,
    async (embedder) => {
      const batched = await embedder.embedDocuments(texts);
      for (const [i, text] of texts.entries()) {
        const [single] = await embedder.embedDocuments([text]);
        assertClose(batched[i], single, text);
        assertClose(batched[i], normalized(meanOfRows(model, expectedIds(model, text))), text);
      }
    },
    { batchSize: 3 },
  );
});

test('a padded sequence in a batch gets the same vector as unpadded', async () => {
  // normalize off: averaging over padded positions would change the vector's length
  const model = await tinyModel({ normalize: false });
  await withEmbedder(model, async (embedder) => {
    const [alone] = await embedder.embedDocuments(['parse file']);
    const longText = 'read the file from the disk then parse it and write it back';
    const [padded, long] = await embedder.embedDocuments(['parse file', longText]);
    assertClose(padded, alone);
    assertClose(padded, meanOfRows(model, expectedIds(model, 'parse file')));
    assertClose(long, meanOfRows(model, expectedIds(model, longText)));
  });
});

test('a model that declares token_type_ids is fed them', async () => {
  const model = await tinyModel({ tokenTypeIds: true });
  const text = 'tokenize the syntax';
  const vector = await withEmbedder(model, (embedder) => embedder.embedQuery(text));
  assertClose(vector, normalized(meanOfRows(model, expectedIds(model, text))));
});

test('the query prefix and the document prefix are applied', async () => {
  const model = await tinyModel({ queryPrefix: 'network ', documentPrefix: 'disk ' });
  await withEmbedder(model, async (embedder) => {
    const query = await embedder.embedQuery('parse');
    const [document] = await embedder.embedDocuments(['parse']);
    assertClose(query, normalized(meanOfRows(model, expectedIds(model, 'network parse'))));
    assertClose(document, normalized(meanOfRows(model, expectedIds(model, 'disk parse'))));
    assert.ok(cosine(query, document) < 0.99, 'query and document vectors differ');
  });
  const unprefixed = await tinyModel();
  await withEmbedder(unprefixed, async (embedder) => {
    const [document] = await embedder.embedDocuments(['parse']);
    assertClose(await embedder.embedQuery('parse'), document);
  });
});

test('texts about one topic are nearest neighbours in the tiny model', async () => {
  const model = await tinyModel();
  await withEmbedder(model, async (embedder) => {
    const [parsing, files, network] = await embedder.embedDocuments([
      'the parser builds an ast from tokens',
      'save the file to a folder on disk',
      'the client sends a request to the server',
    ]);
    const query = await embedder.embedQuery('tokenize syntax');
    assert.ok(cosine(query, parsing) > 0.9, 'query is close to the parsing text');
    assert.ok(cosine(query, parsing) > cosine(query, files) + 0.5, 'parsing beats files');
    assert.ok(cosine(query, parsing) > cosine(query, network) + 0.5, 'parsing beats network');
  });
});

test('a text that yields no tokens still gets a finite vector of the model dimension', async () => {
  const model = await tinyModel({ specialTokens: false });
  const [vector] = await withEmbedder(model, (embedder) => embedder.embedDocuments(['   ']));
  assert.equal(vector.length, 8);
  assert.ok(vector.every(Number.isFinite));
});

test('a config dimension that differs from the model output is a clear error', async () => {
  const model = await tinyModel();
  await editModelConfig(model.dir, (c) => (c.dimension = 16));
  await assert.rejects(
    loadEmbedder(model.dir),
    /output "last_hidden_state" has vectors of 8 floats, but codescout-model\.json says "dimension": 16/,
  );

  // a model whose declared output size is symbolic fails on the first run instead
  const open = await tinyModel({ symbolicDimension: true });
  await editModelConfig(open.dir, (c) => (c.dimension = 16));
  await withEmbedder(open, (embedder) =>
    assert.rejects(embedder.embedDocuments(['parse']), /has vectors of 8 floats, but codescout-model\.json says "dimension": 16/),
  );
});

test('a model that produces NaN is a clear error, never a NaN vector', async () => {
  const model = await tinyModel({ nanWord: 'parse' });
  await withEmbedder(model, async (embedder) => {
    await assert.rejects(
      embedder.embedDocuments(['read file', 'parse file']),
      /produced NaN or Infinity for text #1 of the call/,
    );
    await assert.rejects(embedder.embedQuery('Parse'), /produced NaN or Infinity/);
    const [fine] = await embedder.embedDocuments(['read file']);
    assert.ok(fine.every(Number.isFinite));
  });
});

test('embedDocuments stops with CancelledError when its signal is set', async () => {
  const model = await tinyModel();
  await withEmbedder(
    model,
    async (embedder) => {
      let batchesStarted = 0;
      const signal = {
        get cancelled() {
          batchesStarted++;
          return batchesStarted > 2;
        },
      };
      await assert.rejects(embedder.embedDocuments(['a', 'b', 'c', 'd'], signal), CancelledError);
      assert.equal(batchesStarted, 3, 'checked before each batch, stopped before the third');
    },
    { batchSize: 1 },
  );
});

test('a disposed embedder refuses work', async () => {
  const model = await tinyModel();
  const embedder = await loadEmbedder(model.dir);
  await embedder.dispose();
  await embedder.dispose();
  await assert.rejects(embedder.embedQuery('parse'), /has been disposed/);
});

test('spin-waiting is switched off in the onnxruntime session', async () => {
  // The session config entries are only visible in onnxruntime's verbose log, so a child
  // process creates a session with the embedder's options and verbose logging.
  const model = await tinyModel();
  const script = `
    const ort = require('onnxruntime-node');
    const { sessionOptions } = require(${JSON.stringify(require.resolve('../src/engine/vectors/onnx-embedder'))});
    ort.InferenceSession.create(process.argv[1], { ...sessionOptions(2), logSeverityLevel: 0 })
      .then((session) => session.release());
  `;
  const modelPath = path.join(model.dir, 'model.onnx');
  const { stdout, stderr } = await promisify(execFile)(process.execPath, ['-e', script, modelPath], {
    cwd: path.resolve(__dirname, '../..'),
    maxBuffer: 64 * 1024 * 1024,
  });
  const log = stdout + stderr;
  const configEntries = /config_options: \{([^}]*)\}/.exec(log)?.[1];
  assert.ok(configEntries !== undefined, 'onnxruntime logged its session config');
  assert.match(configEntries, /session\.intra_op\.allow_spinning: 0/);
  assert.match(configEntries, /session\.inter_op\.allow_spinning: 0/);
});
