import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** The programs the end-to-end harness runs, as installed by scripts/e2e-tools.sh. */
export interface E2ETools {
  /** Node 24 binary (code-server 4.139 requires it). */
  node: string;
  /** code-server's entry script, run with `node`. */
  codeServer: string;
  /** Debian's chromium, driven by playwright-core. */
  chromium: string;
}

/** The tools folder: $CODESCOUT_TOOLS_DIR, default ~/.cache/codescout-tools (as in scripts/e2e-tools.sh). */
export function toolsDir(): string {
  return process.env.CODESCOUT_TOOLS_DIR || join(homedir(), '.cache', 'codescout-tools');
}

/** Reads the manifest scripts/e2e-tools.sh writes; fails with the command to run when the tools are missing. */
export function readTools(): E2ETools {
  const manifest = join(toolsDir(), 'tools.json');
  if (!existsSync(manifest)) {
    throw new Error(`end-to-end tools are not installed (no ${manifest}); run scripts/e2e-tools.sh`);
  }
  const tools = JSON.parse(readFileSync(manifest, 'utf8')) as E2ETools;
  for (const [name, path] of Object.entries(tools)) {
    if (!path || !existsSync(path)) throw new Error(`${name} is missing at "${path}"; run scripts/e2e-tools.sh`);
  }
  return tools;
}
