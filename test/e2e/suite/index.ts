/**
 * The extension-tests entry point (extensionTestsPath): VS Code's extension host loads this module
 * and calls run(); the run passes when the promise resolves. Output goes to the launcher's stdout;
 * a failed test leaves a screenshot (failed-test-<n>.png) in the run's screenshots folder.
 */
import * as vscode from 'vscode';
import { runAll } from './harness';
import { ui } from './ui';
import './codescout.e2e';
import './agent.e2e';

/** Prints the latencies the extension measured during the run (for BENCHMARKS.md). */
async function logMetrics(): Promise<void> {
  const state = await vscode.commands.executeCommand<{ metrics?: unknown }>('codescout.internal.state');
  await ui.log(`# metrics: ${JSON.stringify(state?.metrics)}`);
}

export async function run(): Promise<void> {
  try {
    await runAll(ui.log, (n) => ui.screenshot(`failed-test-${n}`));
  } finally {
    await logMetrics().catch((err: Error) => ui.log(`# metrics unavailable: ${err.message}`));
  }
}
