import { UI_DRIVER_ENV, type UiRequest, type UiResponse, type UiScope } from '../ui-protocol';

/** Sends one request to the launcher's UI driver and returns its value (throws the driver's error). */
async function send<T>(request: UiRequest, timeoutMs = 60_000): Promise<T> {
  const url = process.env[UI_DRIVER_ENV];
  if (!url) throw new Error(`${UI_DRIVER_ENV} is not set: the suite must run under test/e2e/launcher.ts`);
  const res = await fetch(url, { method: 'POST', body: JSON.stringify(request), signal: AbortSignal.timeout(timeoutMs) });
  const answer = (await res.json()) as UiResponse;
  if (!answer.ok) throw new Error(`UI driver, ${request.op}: ${answer.error}`);
  return answer.value as T;
}

/** UI-level actions and queries on the workbench page (Playwright, in the launcher process). */
export const ui = {
  waitFor: (scope: UiScope, selector: string, timeoutMs = 10_000) => send<boolean>({ op: 'waitFor', scope, selector, timeoutMs }),
  fill: (scope: UiScope, selector: string, text: string) => send<true>({ op: 'fill', scope, selector, text }),
  press: (key: string) => send<true>({ op: 'press', key }),
  click: (scope: UiScope, selector: string, index = 0) => send<true>({ op: 'click', scope, selector, index }),
  texts: (scope: UiScope, selector: string) => send<string[]>({ op: 'texts', scope, selector }),
  count: (scope: UiScope, selector: string) => send<number>({ op: 'count', scope, selector }),
  screenshot: (name: string) => send<string>({ op: 'screenshot', name }),
  log: (line: string) => send<true>({ op: 'log', line }),
  evaluate: <T>(scope: UiScope, selector: string, expression: string) => send<T>({ op: 'evaluate', scope, selector, expression }),
  resizeSidebar: (width: number) => send<number>({ op: 'resizeSidebar', width }),
  typeLatency: (text: string, intervalMs: number, timeoutMs = 5_000) =>
    send<(number | null)[]>({ op: 'typeLatency', text, intervalMs, timeoutMs }, [...text].length * (timeoutMs + intervalMs + 1_000) + 10_000),
};
