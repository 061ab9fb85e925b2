// Bundles the CLI, the chunk worker, the engine process and the extension, and copies
// the tree-sitter grammars (.wasm) from their npm packages into grammars/.
import * as esbuild from 'esbuild';
import { copyFileSync, mkdirSync, existsSync } from 'node:fs';
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
  // parsing runs on worker threads (src/engine/chunks/pool.ts looks for this file beside the bundle)
  { entryPoints: ['src/engine/chunks/worker.ts'], outfile: 'dist/chunk-worker.js' },
  // the engine process the extension starts (JSON-RPC over stdio)
  { entryPoints: ['src/server/main.ts'], outfile: 'dist/server.js' },
  // the extension host side; 'vscode' is provided by the host
  { entryPoints: ['src/extension/extension.ts'], outfile: 'dist/extension.js' },
];

copyGrammars();
copyWebviewAssets();
if (watch) {
  for (const e of entries) await (await esbuild.context({ ...common, ...e })).watch();
} else {
  await Promise.all(entries.map((e) => esbuild.build({ ...common, ...e })));
}
