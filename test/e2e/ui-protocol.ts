/**
 * The UI driver's request types: in-host tests (suite/ui.ts) ask the launcher (ui-driver.ts),
 * which holds the Playwright page, to act on the workbench or a webview.
 *
 * `scope: 'workbench'` targets the main page; `scope: 'webview'` targets the first webview frame
 * (webview views are nested iframes) that has an element matching the selector.
 */
export type UiScope = 'workbench' | 'webview';

export type UiRequest =
  /** Waits until the selector matches a visible element; answers true, or false after timeoutMs. */
  | { op: 'waitFor'; scope: UiScope; selector: string; timeoutMs: number }
  /** Replaces the text of the first matching input, as if typed. */
  | { op: 'fill'; scope: UiScope; selector: string; text: string }
  /** Presses a key (Playwright key name, e.g. 'Enter', 'Escape') on whatever has the focus. */
  | { op: 'press'; key: string }
  /** Clicks the index-th match of the selector. */
  | { op: 'click'; scope: UiScope; selector: string; index: number }
  /** The innerText of every match of the selector. */
  | { op: 'texts'; scope: UiScope; selector: string }
  /** How many elements match the selector, visible or not, over every frame of the scope. */
  | { op: 'count'; scope: UiScope; selector: string }
  /** Saves a PNG of the page as <screenshots dir>/<name>.png; answers the file path. */
  | { op: 'screenshot'; name: string }
  /** Prints a line of test output on the launcher's stdout (the workbench's own log goes to a file). */
  | { op: 'log'; line: string }
  /**
   * Evaluates a JavaScript expression in the first frame of the scope that shows the selector,
   * and answers its (JSON-serialisable) value: measurements of the rendered page (widths, styles).
   */
  | { op: 'evaluate'; scope: UiScope; selector: string; expression: string }
  /** Drags the sash beside the primary side bar until the side bar is `width` CSS pixels wide; answers the width reached. */
  | { op: 'resizeSidebar'; width: number }
  /**
   * Types `text` into the focused editor one key at a time, `intervalMs` apart, and answers each key's
   * latency in ms: from the keydown event's time stamp (when the browser took the input) to the
   * editor's lines changing (the render, just before its paint). A key whose change was not seen within
   * `timeoutMs` (the editor lost the focus, say) answers null.
   */
  | { op: 'typeLatency'; text: string; intervalMs: number; timeoutMs: number };

/** The driver's answer: the op's value, or the error it raised. */
export type UiResponse = { ok: true; value: unknown } | { ok: false; error: string };

/** Environment variable through which the launcher tells in-host tests the driver's URL. */
export const UI_DRIVER_ENV = 'CODESCOUT_E2E_UI_DRIVER';
