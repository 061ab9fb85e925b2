/**
 * The states suite's entry point (run.ts's second window, on a workspace that starts with no
 * folder): as suite/index.ts, with the tests of states.e2e.ts.
 */
import { runAll } from './harness';
import { ui } from './ui';
import './states.e2e';

export async function run(): Promise<void> {
  await runAll(ui.log, (n) => ui.screenshot(`failed-states-test-${n}`));
}
