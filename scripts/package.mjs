// Packages the extension as a per-platform .vsix with @vscode/vsce.
//
//   node scripts/package.mjs [--target <vsce target>] [--out <file.vsix>]     (npm run package -- …)
//
// The target defaults to this machine's platform (linux-x64 here). The JS is bundled by esbuild
// (dist/), so from node_modules the VSIX needs only what the bundle loads at run time: the native
// addons (esbuild externals) and the few modules they require. .vscodeignore excludes node_modules
// and re-includes exactly those files, except onnxruntime-node's binaries, which come one folder per
// platform: this script adds the target's folder as one more negated pattern ("!…" wins in vsce),
// writes the combined rules to a temporary file and runs `vsce package --target <t> --ignoreFile <f>`.
// No staging copy and no network: vsce lists the installed production dependencies with
// `npm list --production` and filters their files through the rules.
//
// hnswlib-node is compiled from source by node-gyp for the machine that ran `npm ci`, so its addon
// only fits that platform; the script reads the addon's binary header and refuses a mismatch.
// Package other targets on a machine of that platform (e.g. a CI matrix). For the machine's own
// platform, the script then unpacks the VSIX and loads both addons from it, to prove it complete.
import { execFileSync } from 'node:child_process';
import { closeSync, createWriteStream, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, readSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { pipeline } from 'node:stream/promises';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(ROOT, 'package.json'));

/** vsce target -> Node's process.platform / process.arch (the folder names onnxruntime-node uses). */
const TARGETS = {
  'linux-x64': { os: 'linux', arch: 'x64' },
  'linux-arm64': { os: 'linux', arch: 'arm64' },
  'darwin-x64': { os: 'darwin', arch: 'x64' },
  'darwin-arm64': { os: 'darwin', arch: 'arm64' },
  'win32-x64': { os: 'win32', arch: 'x64' },
  'win32-arm64': { os: 'win32', arch: 'arm64' },
};

function options() {
  const { values } = parseArgs({ options: { target: { type: 'string' }, out: { type: 'string' } } });
  const target = values.target ?? `${process.platform}-${process.arch}`;
  if (!(target in TARGETS)) throw new Error(`unsupported target "${target}"; one of: ${Object.keys(TARGETS).join(', ')}`);
  const { name, version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  return { target, out: resolve(values.out ?? join(ROOT, `${name}-${target}-${version}.vsix`)) };
}

function packageDir(name) {
  return dirname(require.resolve(`${name}/package.json`));
}

/** The platform a native binary was built for, read from its ELF / Mach-O / PE header. */
function binaryPlatform(file) {
  const header = Buffer.alloc(4096);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, header, 0, header.length, 0);
  } finally {
    closeSync(fd);
  }
  const known = (os, arch) => ({ os, arch: arch ?? 'unknown' });
  if (header.readUInt32BE(0) === 0x7f454c46) return known('linux', { 0x3e: 'x64', 0xb7: 'arm64' }[header.readUInt16LE(18)]);
  if (header.readUInt32LE(0) === 0xfeedfacf) return known('darwin', { 0x01000007: 'x64', 0x0100000c: 'arm64' }[header.readUInt32LE(4)]);
  if (header.toString('latin1', 0, 2) === 'MZ') {
    const pe = header.readUInt32LE(0x3c); // offset of "PE\0\0"; the machine field follows it
    return known('win32', { 0x8664: 'x64', 0xaa64: 'arm64' }[header.readUInt16LE(pe + 4)]);
  }
  return known('unknown');
}

/** Fails unless the target's native binaries are installed and built for it. */
function checkNativeBinaries(target) {
  const want = TARGETS[target];
  const ortDir = join(packageDir('onnxruntime-node'), 'bin');
  const napiDirs = readdirSync(ortDir).filter((d) => existsSync(join(ortDir, d, want.os, want.arch)));
  if (napiDirs.length === 0) throw new Error(`onnxruntime-node ships no binaries for ${target}`);
  const addon = join(packageDir('hnswlib-node'), 'build', 'Release', 'addon.node');
  if (!existsSync(addon)) throw new Error(`hnswlib-node's addon is not built (${addon}); run npm ci`);
  const built = binaryPlatform(addon);
  if (built.os !== want.os || built.arch !== want.arch) {
    throw new Error(
      `hnswlib-node's addon was built for ${built.os}-${built.arch}, not ${target}: it is compiled from source, ` +
        `so package ${target} on a ${target} machine`,
    );
  }
}

/** .vscodeignore plus a negated pattern (negations win in vsce) for the target's onnxruntime binaries. */
function ignoreRules(target) {
  const { os, arch } = TARGETS[target];
  const base = readFileSync(join(ROOT, '.vscodeignore'), 'utf8');
  return `${base.trimEnd()}\n\n# Added by scripts/package.mjs for ${target}\n!node_modules/onnxruntime-node/bin/napi-v*/${os}/${arch}/**\n`;
}

/** Extracts the VSIX's extension/ folder into `dir` (yauzl: vsce's own zip reader). */
async function extractExtension(vsix, dir) {
  const yauzl = createRequire(require.resolve('@vscode/vsce/package.json'))('yauzl');
  const zip = await yauzl.openPromise(vsix); // closes itself after the last entry
  for await (const entry of zip.eachEntry()) {
    if (!entry.fileName.startsWith('extension/') || entry.fileName.endsWith('/')) continue;
    const target = join(dir, entry.fileName.slice('extension/'.length));
    mkdirSync(dirname(target), { recursive: true });
    await pipeline(await zip.openReadStreamPromise(entry), createWriteStream(target));
  }
}

/** Loads both native addons from the packaged files, with this Node, as the extension's engine will. */
async function checkPackagedAddons(vsix, scratch) {
  const dir = join(scratch, 'unpacked');
  await extractExtension(vsix, dir);
  const probe = `
    const ort = require('onnxruntime-node');
    if (typeof ort.InferenceSession.create !== 'function') throw new Error('onnxruntime-node did not load');
    const { HierarchicalNSW } = require('hnswlib-node');
    const index = new HierarchicalNSW('cosine', 2);
    index.initIndex(1);
    index.addPoint([1, 0], 0);`;
  execFileSync(process.execPath, ['-e', probe], { cwd: dir, stdio: 'inherit' });
  console.log('packaged native addons load: onnxruntime-node, hnswlib-node');
}

async function main() {
  const { target, out } = options();
  checkNativeBinaries(target);
  const scratch = mkdtempSync(join(tmpdir(), 'codescout-package-'));
  try {
    const ignoreFile = join(scratch, 'vscodeignore');
    writeFileSync(ignoreFile, ignoreRules(target));
    const vsce = join(packageDir('@vscode/vsce'), 'vsce');
    execFileSync(
      process.execPath,
      [vsce, 'package', '--target', target, '--ignoreFile', ignoreFile, '--out', out,
        '--allow-missing-repository', '--skip-license', '--no-rewrite-relative-links'],
      { cwd: ROOT, stdio: 'inherit' },
    );
    if (target === `${process.platform}-${process.arch}`) await checkPackagedAddons(out, scratch);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

try {
  await main();
} catch (err) {
  console.error(`npm run package: ${err.message}`);
  process.exitCode = 1;
}
