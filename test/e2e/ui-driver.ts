import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Frame, Locator, Page } from 'playwright-core';
import type { UiRequest, UiResponse, UiScope } from './ui-protocol';

/** Polling interval while looking for an element in a scope. */
const POLL_MS = 100;
/** How long a single Playwright action may take before the request fails. */
const ACTION_TIMEOUT_MS = 10_000;

/** A running UI driver: an HTTP endpoint on 127.0.0.1 that performs UiRequests on the page. */
export interface UiDriver {
  url: string;
  close(): Promise<void>;
}

/**
 * Serves UiRequests (JSON POSTed to `url`) against the page that `getPage` returns once the workbench
 * is open. Screenshots are written to `screenshotsDir`.
 */
export async function startUiDriver(getPage: () => Page | undefined, screenshotsDir: string): Promise<UiDriver> {
  const server = createServer((req, res) => {
    void readJson(req)
      .then((request) => {
        const page = getPage();
        if (!page) throw new Error('the workbench page is not open yet');
        return perform(page, request as UiRequest, screenshotsDir);
      })
      .then(
        (value): UiResponse => ({ ok: true, value }),
        (err: unknown): UiResponse => ({ ok: false, error: err instanceof Error ? err.message : String(err) }),
      )
      .then((answer) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(answer));
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/`, close: () => closeServer(server) };
}

async function perform(page: Page, request: UiRequest, screenshotsDir: string): Promise<unknown> {
  switch (request.op) {
    case 'waitFor':
      return (await findFrame(page, request.scope, request.selector, request.timeoutMs)) !== undefined;
    case 'fill':
      await (await locate(page, request.scope, request.selector)).first().fill(request.text, { timeout: ACTION_TIMEOUT_MS });
      return true;
    case 'press':
      await page.keyboard.press(request.key);
      return true;
    case 'click':
      await (await locate(page, request.scope, request.selector)).nth(request.index).click({ timeout: ACTION_TIMEOUT_MS });
      return true;
    case 'texts': {
      const frame = await findFrame(page, request.scope, request.selector, 0);
      return frame ? await frame.locator(request.selector).allInnerTexts() : [];
    }
    case 'count': {
      const counts = await Promise.all(framesOf(page, request.scope).map((f) => f.locator(request.selector).count().catch(() => 0)));
      return counts.reduce((a, b) => a + b, 0);
    }
    case 'screenshot': {
      mkdirSync(screenshotsDir, { recursive: true });
      const path = join(screenshotsDir, `${request.name.replace(/[^\w.-]+/g, '_')}.png`);
      await page.screenshot({ path, timeout: ACTION_TIMEOUT_MS });
      return path;
    }
    case 'log':
      process.stdout.write(`${request.line}\n`);
      return true;
    case 'evaluate': {
      const frame = await findFrame(page, request.scope, request.selector, ACTION_TIMEOUT_MS);
      if (!frame) throw new Error(`no visible "${request.selector}" in the ${request.scope} within ${ACTION_TIMEOUT_MS} ms`);
      return frame.evaluate(request.expression);
    }
    case 'resizeSidebar':
      return resizeSidebar(page, request.width);
    case 'typeLatency':
      return typeLatency(page, request.text, request.intervalMs, request.timeoutMs);
  }
}

/**
 * Run in the page by typeLatency (plain JavaScript: this file is compiled without the DOM's types).
 * It keeps, in `window.__codescoutKeys`: the pending key's keydown time stamp, the latencies measured
 * and not yet taken, the waiter for the next one, and a MutationObserver on the focused editor's
 * lines, which takes the first change after a keydown. The editor renders in an animation frame,
 * so the change is painted right after the observer runs (the paint itself is not timed). Answers
 * false when no editor has the focus.
 */
const KEY_PROBE_INSTALL = `(() => {
  const lines = document.activeElement && document.activeElement.closest('.monaco-editor')
    && document.activeElement.closest('.monaco-editor').querySelector('.view-lines');
  if (!lines) return false;
  const probe = window.__codescoutKeys || (window.__codescoutKeys = { pending: undefined, results: [], waiter: undefined, observer: undefined, listening: false });
  probe.pending = undefined;
  probe.results = [];
  probe.waiter = undefined;
  if (!probe.listening) {
    document.addEventListener('keydown', (e) => { if (probe.pending === undefined) probe.pending = e.timeStamp; }, { capture: true });
    probe.listening = true;
  }
  if (probe.observer) probe.observer.disconnect();
  probe.observer = new MutationObserver(() => {
    const started = probe.pending;
    if (started === undefined) return;
    probe.pending = undefined;
    const ms = performance.now() - started;
    const waiter = probe.waiter;
    probe.waiter = undefined;
    if (waiter) waiter(ms); else probe.results.push(ms);
  });
  probe.observer.observe(lines, { childList: true, subtree: true, characterData: true });
  return true;
})()`;

/** The next key's latency, waiting up to `limit` ms (then null, and the key is forgotten). */
const keyProbeNext = (limit: number) => `new Promise((resolve) => {
  const probe = window.__codescoutKeys;
  const taken = probe.results.shift();
  if (taken !== undefined) return resolve(taken);
  const timer = setTimeout(() => { probe.waiter = undefined; probe.pending = undefined; resolve(null); }, ${limit});
  probe.waiter = (ms) => { clearTimeout(timer); resolve(ms); };
})`;

/** Each key's input-to-paint latency in the focused editor (see the protocol's `typeLatency`). */
async function typeLatency(page: Page, text: string, intervalMs: number, timeoutMs: number): Promise<(number | null)[]> {
  if (!(await page.evaluate(KEY_PROBE_INSTALL))) throw new Error('no focused editor to type into');
  const samples: (number | null)[] = [];
  try {
    for (const key of text) {
      // a late change of the key before (after its timeout) must not be taken for this one
      await page.evaluate('window.__codescoutKeys.results = []; window.__codescoutKeys.pending = undefined; window.__codescoutKeys.waiter = undefined');
      await page.keyboard.type(key);
      const ms = await page.evaluate(keyProbeNext(timeoutMs));
      samples.push(typeof ms === 'number' ? ms : null);
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  } finally {
    await page.evaluate('window.__codescoutKeys && window.__codescoutKeys.observer && window.__codescoutKeys.observer.disconnect()');
  }
  return samples;
}

/** Drags the vertical sash at the side bar's right edge so that the side bar becomes `width` pixels wide. */
async function resizeSidebar(page: Page, width: number): Promise<number> {
  const sidebar = page.locator('.part.sidebar').first();
  const box = await sidebar.boundingBox({ timeout: ACTION_TIMEOUT_MS });
  if (!box) throw new Error('the side bar is not visible');
  const edge = box.x + box.width;
  const sashes = await page.locator('.monaco-sash.vertical').evaluateAll((nodes) =>
    nodes.map((n) => {
      const r = n.getBoundingClientRect();
      return { x: r.x + r.width / 2, y: r.y + r.height / 2, h: r.height };
    }),
  );
  const sash = sashes.filter((s) => s.h > 0 && Math.abs(s.x - edge) < 6).sort((a, b) => Math.abs(a.x - edge) - Math.abs(b.x - edge))[0];
  if (!sash) throw new Error(`no sash at the side bar's edge (x ${edge})`);
  await page.mouse.move(sash.x, sash.y);
  await page.mouse.down();
  await page.mouse.move(box.x + width, sash.y, { steps: 8 });
  await page.mouse.up();
  return (await sidebar.boundingBox())?.width ?? 0;
}

/** The frames a scope covers: the main frame, or every other (webview) frame. */
function framesOf(page: Page, scope: UiScope): Frame[] {
  return scope === 'workbench' ? [page.mainFrame()] : page.frames().filter((f) => f !== page.mainFrame());
}

/** The first frame of the scope with a visible match of the selector, polling up to timeoutMs. */
async function findFrame(page: Page, scope: UiScope, selector: string, timeoutMs: number): Promise<Frame | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const frame of framesOf(page, scope)) {
      if (frame.isDetached()) continue;
      const visible = await frame.locator(selector).first().isVisible().catch(() => false);
      if (visible) return frame;
    }
    if (Date.now() >= deadline) return undefined;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/** The selector's matches in the first frame of the scope that shows one, waiting up to ACTION_TIMEOUT_MS. */
async function locate(page: Page, scope: UiScope, selector: string): Promise<Locator> {
  const frame = await findFrame(page, scope, selector, ACTION_TIMEOUT_MS);
  if (!frame) throw new Error(`no visible "${selector}" in the ${scope} within ${ACTION_TIMEOUT_MS} ms`);
  return frame.locator(selector);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}
