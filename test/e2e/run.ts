/**
 * Runs the end-to-end suite in a real VS Code (code-server) through @vscode/test-electron's runTests.
 *
 *   node out/test/e2e/run.js [--vsix <file>] [--screenshots <dir>] [--keep]
 *
 * Without --vsix the extension is loaded from this repository (extensionDevelopmentPath = repo root,
 * built by `node esbuild.mjs`). With --vsix the package is installed into the fresh extensions folder
 * with `code-server --install-extension`, as a user would install it, and a manifest-only development
 * extension (packaged-host/) stands in for the development path the runner requires.
 *
 * Each run gets fresh user-data, extensions, index-cache and workspace folders (a copy of
 * fixture-workspace/, since tests edit it) under one temporary folder, removed afterwards unless the
 * run failed or --keep is given. Two windows run one after the other: the main suite (suite/index.ts)
 * on the fixture folder, then the states suite (suite/states-index.ts) on a workspace that starts
 * with no folder and indexing on open off, to which it adds a fresh copy of the fixture.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { runTests } from '@vscode/test-electron';
import { USER_SETTINGS } from './profile';
import { readTools } from './tools';

const REPO_ROOT = resolve(__dirname, '..', '..', '..');
const E2E_SOURCES = join(REPO_ROOT, 'test', 'e2e');
const INSTALL_TIMEOUT_MS = 120_000;
interface RunOptions {
  vsix?: string;
  screenshots?: string;
  keep: boolean;
}

function options(): RunOptions {
  const { values } = parseArgs({
    options: {
      vsix: { type: 'string' },
      screenshots: { type: 'string' },
      keep: { type: 'boolean', default: false },
    },
  });
  return {
    vsix: values.vsix && resolve(values.vsix),
    screenshots: values.screenshots && resolve(values.screenshots),
    keep: values.keep ?? false,
  };
}

/** Files of two small functions each added to the states suite's folder, so that indexing it lasts long enough to be seen. */
const STATES_EXTRA_FILES = 600;

function writeManyFunctions(dir: string, files: number): void {
  mkdirSync(dir, { recursive: true });
  for (let i = 0; i < files; i++) {
    const lines = [
      `def scale_reading_${i}(value, factor=${i + 2}):`,
      `    """Scale sensor reading number ${i} by its calibration factor."""`,
      `    return value * factor + ${i}`,
      '',
      '',
      `def label_reading_${i}(value):`,
      `    """Describe reading ${i} for the dashboard."""`,
      `    return "reading ${i}: " + str(round(value, ${i % 4}))`,
      '',
    ];
    writeFileSync(join(dir, `module_${i}.py`), lines.join('\n'));
  }
}

/** Installs the .vsix into the extensions folder with the code-server that runs the tests. */
function installVsix(vsix: string, extensionsDir: string, userDataDir: string): void {
  const tools = readTools();
  execFileSync(
    tools.node,
    [tools.codeServer, '--extensions-dir', extensionsDir, '--user-data-dir', userDataDir, '--install-extension', vsix],
    { stdio: 'inherit', timeout: INSTALL_TIMEOUT_MS },
  );
}

async function main(): Promise<number> {
  const opts = options();
  readTools(); // fail early, with the install command, when the tools are missing
  const runDir = mkdtempSync(join(tmpdir(), 'codescout-e2e-'));
  const dirs = {
    userData: join(runDir, 'user-data'),
    extensions: join(runDir, 'extensions'),
    cache: join(runDir, 'cache'),
    workspace: join(runDir, 'workspace'),
    artifacts: join(runDir, 'artifacts'),
  };
  for (const dir of Object.values(dirs)) mkdirSync(dir, { recursive: true });
  cpSync(join(E2E_SOURCES, 'fixture-workspace'), dirs.workspace, { recursive: true });
  mkdirSync(join(dirs.userData, 'User'));
  writeFileSync(join(dirs.userData, 'User', 'settings.json'), JSON.stringify(USER_SETTINGS, null, 2));
  console.log(`[e2e] run folder: ${runDir}${opts.vsix ? `; extension from ${opts.vsix}` : '; extension from the repository'}`);

  let failed = true;
  try {
    if (opts.vsix) installVsix(opts.vsix, dirs.extensions, dirs.userData);
    const extensionDevelopmentPath = opts.vsix ? join(E2E_SOURCES, 'packaged-host') : REPO_ROOT;
    const env = {
      CODESCOUT_E2E_ARTIFACTS: dirs.artifacts,
      ...(opts.screenshots ? { CODESCOUT_E2E_SCREENSHOTS: opts.screenshots } : {}),
    };
    // the main suite: a window on the fixture folder, indexed on open
    await runTests({
      vscodeExecutablePath: join(E2E_SOURCES, 'code-server-host.sh'),
      extensionDevelopmentPath,
      extensionTestsPath: join(__dirname, 'suite', 'index.js'),
      launchArgs: [dirs.workspace, `--user-data-dir=${dirs.userData}`, `--extensions-dir=${dirs.extensions}`],
      extensionTestsEnv: { ...env, CODESCOUT_CACHE_DIR: dirs.cache },
    });
    // the states suite: a workspace with no folder and indexing on open off, a folder added later
    const states = join(runDir, 'states');
    cpSync(join(E2E_SOURCES, 'fixture-workspace'), join(states, 'folder'), { recursive: true });
    writeManyFunctions(join(states, 'folder', 'many'), STATES_EXTRA_FILES);
    const workspaceFile = join(states, 'states.code-workspace');
    writeFileSync(workspaceFile, JSON.stringify({ folders: [], settings: { 'codescout.indexOnOpen': false } }, null, 2));
    await runTests({
      vscodeExecutablePath: join(E2E_SOURCES, 'code-server-host.sh'),
      extensionDevelopmentPath,
      extensionTestsPath: join(__dirname, 'suite', 'states-index.js'),
      launchArgs: [workspaceFile, `--user-data-dir=${dirs.userData}`, `--extensions-dir=${dirs.extensions}`],
      extensionTestsEnv: { ...env, CODESCOUT_CACHE_DIR: join(states, 'cache'), CODESCOUT_E2E_FOLDER: join(states, 'folder') },
    });
    failed = false;
    return 0;
  } catch (err) {
    console.error('[e2e] failed:', err instanceof Error ? err.message : err);
    return 1;
  } finally {
    if (failed || opts.keep) console.log(`[e2e] kept ${runDir} (code-server log: ${join(dirs.artifacts, 'code-server.log')})`);
    else rmSync(runDir, { recursive: true, force: true });
  }
}

main().then((code) => process.exit(code));
