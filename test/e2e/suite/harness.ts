/**
 * A minimal sequential test runner for the extension host. node:test reports when its process exits,
 * which an extension host never does on the tests' behalf, and the VS Code test contract is simply
 * "the module's run() settles": resolved means passed, rejected means failed (exit code 1).
 */

interface TestOptions {
  /** default 60 s */
  timeoutMs?: number;
  /** when this test fails, the tests after it fail at once instead of waiting out their timeouts */
  prerequisite?: boolean;
}

interface TestCase extends Required<TestOptions> {
  name: string;
  fn: () => Promise<void>;
}

const cases: TestCase[] = [];

/** A test that did not run because a prerequisite failed (reported without a stack). */
class NotRun extends Error {}

/** Registers a test. Tests run in registration order; later ones may build on earlier ones' state. */
export function test(name: string, fn: () => Promise<void>, options: TestOptions = {}): void {
  cases.push({ name, fn, timeoutMs: options.timeoutMs ?? 60_000, prerequisite: options.prerequisite ?? false });
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Runs every registered test, printing TAP lines through `log` and calling `onFailure` (e.g. for a
 * screenshot) after each failed one; rejects when any failed.
 */
export async function runAll(log: (line: string) => Promise<unknown>, onFailure: (n: number) => Promise<unknown>): Promise<void> {
  await log(`TAP version 13\n1..${cases.length}`);
  let failed = 0;
  let failedPrerequisite: string | undefined;
  for (const [i, c] of cases.entries()) {
    const started = Date.now();
    try {
      if (failedPrerequisite) throw new NotRun(`not run: the prerequisite "${failedPrerequisite}" failed`);
      await withTimeout(c.fn(), c.timeoutMs, `"${c.name}"`);
      await log(`ok ${i + 1} - ${c.name} (${Date.now() - started} ms)`);
    } catch (err) {
      failed++;
      if (c.prerequisite) failedPrerequisite ??= c.name;
      const detail = err instanceof NotRun ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err);
      await log(`not ok ${i + 1} - ${c.name} (${Date.now() - started} ms)\n${detail.replace(/^/gm, '  # ')}`);
      if (!(err instanceof NotRun)) await onFailure(i + 1).catch((e: Error) => log(`  # after the failure: ${e.message}`));
    }
  }
  await log(`# pass ${cases.length - failed}\n# fail ${failed}`);
  if (failed > 0) throw new Error(`${failed} of ${cases.length} end-to-end tests failed`);
}
