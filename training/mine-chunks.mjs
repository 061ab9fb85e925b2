// Mines (doc comment, code) pairs with the project's own tree-sitter chunker, so that training sees
// code as the index does (chunker defaults: definitions over 2,000 characters are split, and so not
// mined; the index splits at 2,048 with the shipped model). Reads source paths (one per line) from FILE_LIST and writes one JSON
// line per documented, unsplit function/method/constructor chunk:
//   {"lang", "name", "doc", "code", "full", "path"}
// where `full` is the chunk text (doc comment included) and `code` the definition without its doc.
// Needs the compiled engine (npx tsc -p tsconfig.test.json → out/).
// Usage: node training/mine-chunks.mjs FILE_LIST OUT_JSONL
import { createReadStream, createWriteStream, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { Chunker } = require(path.join(repoRoot, 'out', 'src', 'engine', 'chunks', 'index.js'));

const MAX_FILE_BYTES = 1_000_000;
const FUNCTION_KINDS = new Set(['function', 'method', 'constructor']);

const [fileList, outPath] = process.argv.slice(2);
if (!fileList || !outPath) {
  console.error('usage: node mine-chunks.mjs FILE_LIST OUT_JSONL');
  process.exit(2);
}

const chunker = await Chunker.create();
const out = createWriteStream(outPath);
let files = 0;
let pairs = 0;
for await (const file of createInterface({ input: createReadStream(fileList) })) {
  if (!file || statSync(file).size > MAX_FILE_BYTES) continue;
  let text;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(readFileSync(file));
  } catch {
    continue; // not UTF-8
  }
  files++;
  const bytes = Buffer.from(text, 'utf8');
  for (const chunk of await chunker.chunkFile(file.replace(/^\/+/, ''), text)) {
    if (!chunk.doc || chunk.part || !FUNCTION_KINDS.has(chunk.kind)) continue;
    const code = bytes.subarray(chunk.startByte, chunk.endByte).toString('utf8');
    const record = { lang: chunk.language, name: chunk.name, doc: chunk.doc, code, full: chunk.text, path: file };
    out.write(JSON.stringify(record) + '\n');
    pairs++;
  }
}
chunker.dispose();
await new Promise((resolve, reject) => out.end((err) => (err ? reject(err) : resolve())));
console.log(`${fileList}: ${pairs} chunk pairs from ${files} files`);
