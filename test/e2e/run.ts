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
 * run failed or --keep is given.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { runTests } from '@vscode/test-electron';
import { readTools } from './tools';

const REPO_ROOT = resolve(__dirname, '..', '..', '..');
const E2E_SOURCES = join(REPO_ROOT, 'test', 'e2e');
const INSTALL_TIMEOUT_MS = 120_000;
/** User settings of the test profile: a quiet workbench, and a dark theme for the screenshots. */
const USER_SETTINGS = {
  'workbench.colorTheme': 'Default Dark Modern',
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'chat.disableAIFeatures': true,
  'extensions.ignoreRecommendations': true,
  'telemetry.telemetryLevel': 'off',
};

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
    await runTests({
      vscodeExecutablePath: join(E2E_SOURCES, 'code-server-host.sh'),
      extensionDevelopmentPath: opts.vsix ? join(E2E_SOURCES, 'packaged-host') : REPO_ROOT,
      extensionTestsPath: join(__dirname, 'suite', 'index.js'),
      launchArgs: [dirs.workspace, `--user-data-dir=${dirs.userData}`, `--extensions-dir=${dirs.extensions}`],
      extensionTestsEnv: {
        CODESCOUT_CACHE_DIR: dirs.cache,
        CODESCOUT_E2E_ARTIFACTS: dirs.artifacts,
        ...(opts.screenshots ? { CODESCOUT_E2E_SCREENSHOTS: opts.screenshots } : {}),
      },
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
