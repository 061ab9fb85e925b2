/**
 * Stands in for the VS Code executable that @vscode/test-electron's `runTests` launches
 * (through code-server-host.sh), so the standard runner drives a real VS Code here:
 *
 * 1. starts code-server (VS Code's server, extension host and web workbench) on 127.0.0.1 at a free
 *    port, with the user-data and extensions folders runTests was given;
 * 2. opens the workbench in headless Debian chromium through playwright-core, passing the extension
 *    test parameters in the `payload` URL parameter (honoured with `enable-smoke-test-driver`);
 * 3. writes the workbench's log (codeAutomationLog) to a file and exits with the run's exit code
 *    (codeAutomationExit).
 *
 * While the tests run it serves the UI driver (ui-driver.ts), whose URL the tests find in
 * CODESCOUT_E2E_UI_DRIVER; test output comes through it too. Every exit path stops code-server's
 * process group and the browser.
 *
 * Environment: CODESCOUT_TOOLS_DIR (see tools.ts); CODESCOUT_E2E_ARTIFACTS, the folder for the
 * code-server and workbench logs and screenshots; CODESCOUT_E2E_SCREENSHOTS, the screenshots folder
 * (overrides the artifacts one); CODESCOUT_E2E_TIMEOUT_MS, the whole run's limit (default 8 minutes).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { procStatFields, STAT_PARENT } from '../../src/server/proc-stat';
import { readTools, type E2ETools } from './tools';
import { startUiDriver } from './ui-driver';
import { UI_DRIVER_ENV } from './ui-protocol';

const DEFAULT_RUN_TIMEOUT_MS = 8 * 60_000;
const SERVER_START_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 5_000;
const PARENT_POLL_MS = 1_000;
const BROWSER_START_TIMEOUT_MS = 60_000;
const CLEANUP_STEP_TIMEOUT_MS = 10_000;
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** What runTests passes: `--name=value` flags, plus the workspace folder (or a `.code-workspace` file) as the one positional argument. */
interface LaunchArgs {
  folder: string;
  extensionDevelopmentPath: string;
  extensionTestsPath: string;
  userDataDir: string;
  extensionsDir: string;
}

function parseArgs(argv: string[]): LaunchArgs {
  const flags = new Map<string, string>();
  const positional: string[] = [];
  for (const arg of argv) {
    const m = /^--([^=]+)=(.*)$/.exec(arg);
    if (m) flags.set(m[1], m[2]);
    else if (!arg.startsWith('--')) positional.push(arg);
  }
  const need = (name: string): string => {
    const value = flags.get(name);
    if (!value) throw new Error(`missing --${name}=… (the launcher expects runTests' arguments)`);
    return value;
  };
  if (positional.length !== 1) throw new Error(`expected one workspace folder argument, got ${positional.length}`);
  return {
    folder: positional[0],
    extensionDevelopmentPath: need('extensionDevelopmentPath'),
    extensionTestsPath: need('extensionTestsPath'),
    userDataDir: need('user-data-dir'),
    extensionsDir: need('extensions-dir'),
  };
}

/** Cleanup actions run once, newest first, on every exit path. */
class Cleanup {
  private readonly actions: Array<() => Promise<void>> = [];
  private running: Promise<void> | undefined;

  add(action: () => Promise<void>): void {
    this.actions.push(action);
  }

  /** Runs each action once, each bounded by CLEANUP_STEP_TIMEOUT_MS. */
  run(): Promise<void> {
    this.running ??= (async () => {
      for (const action of this.actions.reverse()) {
        const bound = new Promise<void>((resolve) => setTimeout(resolve, CLEANUP_STEP_TIMEOUT_MS).unref());
        await Promise.race([action().catch((err) => console.error('[e2e] cleanup:', err)), bound]);
      }
    })();
    return this.running;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Starts code-server in its own process group (so the extension host dies with it; see {@link stopProcessGroup} for the engine). */
function spawnCodeServer(tools: E2ETools, args: LaunchArgs, port: number, env: NodeJS.ProcessEnv, logFile: string): ChildProcess {
  const child = spawn(
    tools.node,
    [
      tools.codeServer,
      '--auth', 'none',
      '--bind-addr', `127.0.0.1:${port}`,
      '--user-data-dir', args.userDataDir,
      '--extensions-dir', args.extensionsDir,
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-workspace-trust',
      '--vscode-option', 'enable-smoke-test-driver',
      args.folder,
    ],
    { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const log = createWriteStream(logFile);
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  return child;
}

async function waitForServer(child: ChildProcess, port: number): Promise<void> {
  const deadline = Date.now() + SERVER_START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`code-server exited with code ${child.exitCode} while starting`);
    const healthy = await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.ok, () => false);
    if (healthy) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`code-server did not answer on 127.0.0.1:${port} within ${SERVER_START_TIMEOUT_MS} ms`);
}

/**
 * SIGTERM to the process group, SIGKILL after a grace period. The engine process is not in the
 * group on Linux (the extension starts it in a session of its own): it ends when its extension
 * host does, and is killed too if it has not within the grace period, so that nothing of this
 * run keeps working into the next.
 */
async function stopProcessGroup(child: ChildProcess): Promise<void> {
  const below = child.pid === undefined ? [] : descendants(child.pid);
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) killGroup(child, 'SIGKILL');
  else {
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    killGroup(child, 'SIGTERM');
    const timer = new Promise<void>((resolve) => setTimeout(resolve, STOP_GRACE_MS).unref());
    await Promise.race([exited, timer]);
    killGroup(child, 'SIGKILL'); // also reaps stragglers of the group (extension host)
  }
  const deadline = Date.now() + STOP_GRACE_MS;
  let left = below.filter(alive);
  while (left.length > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    left = left.filter(alive);
  }
  for (const pid of left) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone since
    }
  }
}

/** The processes below `pid` (Linux, read from /proc; none where it cannot be read). */
function descendants(pid: number): number[] {
  const parentOf = new Map<number, number>();
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return [];
  }
  for (const name of names) {
    const id = Number(name);
    if (!Number.isInteger(id) || id <= 0) continue;
    const fields = procStatFields(id); // undefined: ended since it was listed
    if (fields !== undefined) parentOf.set(id, Number(fields[STAT_PARENT]));
  }
  const found: number[] = [];
  for (let frontier = new Set([pid]); frontier.size > 0; ) {
    const next = new Set<number>();
    for (const [id, parent] of parentOf) if (frontier.has(parent)) next.add(id);
    found.push(...next);
    frontier = next;
  }
  return found;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // the group is already gone
  }
}

function workbenchUrl(port: number, args: LaunchArgs): string {
  const remote = (path: string) => `vscode-remote://127.0.0.1:${port}${path}`;
  const payload = [
    ['extensionDevelopmentPath', remote(args.extensionDevelopmentPath)],
    ['extensionTestsPath', remote(args.extensionTestsPath)],
    ['skipWelcome', 'true'],
  ];
  // a .code-workspace file opens as a (multi-root) workspace: folders can then be added without a reload
  const open = args.folder.endsWith('.code-workspace') ? 'workspace' : 'folder';
  return `http://127.0.0.1:${port}/?${open}=${encodeURIComponent(args.folder)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
}

/**
 * Opens the workbench with the test parameters; resolves with the test run's exit code.
 * The workbench's log (codeAutomationLog) goes to `logFile`; test output reaches stdout via the UI driver.
 */
async function runInBrowser(browser: Browser, url: string, logFile: string, onPage: (page: Page) => void): Promise<number> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 860 } });
  onPage(page);
  const log = createWriteStream(logFile);
  const exitCode = new Promise<number>((resolve) => {
    void page.exposeFunction('codeAutomationExit', (code: number) => resolve(code));
  });
  await page.exposeFunction('codeAutomationLog', (level: string, args: unknown) => {
    const parts = Array.isArray(args) ? args : [args];
    log.write(`[${level}] ${parts.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ')}\n`);
  });
  page.on('pageerror', (err) => log.write(`[pageerror] ${err.message}\n`));
  await page.goto(url);
  return exitCode.finally(() => log.end());
}

/** Runs the cleanup and exits when signalled, or when runTests (our parent) goes away without a signal. */
function cleanUpOnAbandon(cleanup: Cleanup): void {
  let abandoned = false;
  const abandon = (why: string) => {
    if (abandoned) return;
    abandoned = true;
    console.error(`[e2e] ${why}; stopping code-server and the browser`);
    void cleanup.run().then(() => process.exit(130));
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(signal, () => abandon(`received ${signal}`));
  const parent = process.ppid;
  setInterval(() => process.ppid !== parent && abandon('the test runner exited'), PARENT_POLL_MS).unref();
}

/** Resolves with exit code 1 after `ms`, unless cancelled. */
function runTimeout(ms: number): { expired: Promise<number>; cancel: () => void } {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<number>((resolve) => {
    timer = setTimeout(() => {
      console.error(`[e2e] the test run did not finish within ${ms} ms`);
      resolve(1);
    }, ms);
  });
  return { expired, cancel: () => clearTimeout(timer) };
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const tools = readTools();
  const artifacts = process.env.CODESCOUT_E2E_ARTIFACTS || join(args.userDataDir, '..', 'artifacts');
  mkdirSync(artifacts, { recursive: true });
  const screenshots = process.env.CODESCOUT_E2E_SCREENSHOTS || join(artifacts, 'screenshots');
  const timeout = runTimeout(Number(process.env.CODESCOUT_E2E_TIMEOUT_MS) || DEFAULT_RUN_TIMEOUT_MS);

  const cleanup = new Cleanup();
  cleanUpOnAbandon(cleanup);
  let page: Page | undefined;
  try {
    const driver = await startUiDriver(() => page, screenshots);
    cleanup.add(() => driver.close());

    const port = await freePort();
    const logFile = join(artifacts, 'code-server.log');
    const server = spawnCodeServer(tools, args, port, { ...process.env, [UI_DRIVER_ENV]: driver.url }, logFile);
    cleanup.add(() => stopProcessGroup(server));
    await waitForServer(server, port);
    console.log(`[e2e] code-server on 127.0.0.1:${port} (logs: ${artifacts})`);

    const browser = await chromium.launch({ executablePath: tools.chromium, args: CHROMIUM_ARGS, timeout: BROWSER_START_TIMEOUT_MS });
    cleanup.add(() => browser.close());

    const run = runInBrowser(browser, workbenchUrl(port, args), join(artifacts, 'workbench.log'), (p) => (page = p));
    return await Promise.race([run, timeout.expired]);
  } finally {
    timeout.cancel();
    await cleanup.run();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error('[e2e] launcher failed:', err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
