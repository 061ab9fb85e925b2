// Runs the exported model.onnx with onnxruntime-node (the engine's runtime) on the inputs in
// CHECK_FILE and compares with the outputs the training side computed for them.
// Usage: node training/verify-onnx.mjs MODEL_DIR CHECK_FILE
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';

const require = createRequire(import.meta.url);
const ort = require('onnxruntime-node');

const [modelDir, checkFile] = process.argv.slice(2);
if (!modelDir || !checkFile) {
  console.error('usage: node verify-onnx.mjs MODEL_DIR CHECK_FILE');
  process.exit(2);
}
const check = JSON.parse(readFileSync(checkFile, 'utf8'));
const session = await ort.InferenceSession.create(path.join(modelDir, 'model.onnx'));
const [batch, length] = [check.ids.length, check.ids[0].length];
const tensor = (rows) => new ort.Tensor('int64', BigInt64Array.from(rows.flat().map(BigInt)), [batch, length]);
const out = await session.run({ input_ids: tensor(check.ids), attention_mask: tensor(check.mask) });
const got = out.sentence_embedding;
const want = [batch, check.expected[0].length];
if (got.dims.join('x') !== want.join('x')) {
  console.error(`onnxruntime output ${got.dims.join('x')}, expected ${want.join('x')}`);
  process.exit(1);
}
let maxDiff = 0;
check.expected.flat().forEach((value, i) => { maxDiff = Math.max(maxDiff, Math.abs(value - got.data[i])); });
console.log(`onnxruntime output ${got.dims.join('x')}, max |difference| from training side: ${maxDiff.toExponential(2)}`);
// written so that a NaN anywhere fails too (Math.max with NaN is NaN, and NaN > x is false)
if (!(maxDiff <= 1e-4)) process.exit(1);
