/**
 * Just enough of a DOM to run media/sidebar.js in Node: the elements of the sidebar's markup
 * (found by their ids), the DOM calls the script makes, and the messages the extension posts.
 * Elements have no innerHTML: markup the script tried to parse would show up nowhere.
 */
import { runInNewContext } from 'node:vm';

export class FakeText {
  constructor(public textContent: string) {}
}

export class FakeElement {
  className = '';
  hidden = false;
  title = '';
  tabIndex = -1;
  value = '';
  slot = '';
  readonly dataset: Record<string, string> = {};
  readonly childNodes: (FakeElement | FakeText)[] = [];
  private readonly attributes = new Map<string, string>();
  private readonly listeners = new Map<string, ((event: unknown) => void)[]>();

  constructor(readonly tagName: string) {}

  get children(): FakeElement[] {
    return this.childNodes.filter((n): n is FakeElement => n instanceof FakeElement);
  }

  get textContent(): string {
    return this.childNodes.map((n) => n.textContent).join('');
  }

  set textContent(text: string) {
    this.childNodes.splice(0, this.childNodes.length, ...(text ? [new FakeText(text)] : []));
  }

  append(...nodes: (FakeElement | FakeText | string)[]): void {
    this.childNodes.push(...nodes.map((n) => (typeof n === 'string' ? new FakeText(n) : n)));
  }

  replaceChildren(...nodes: (FakeElement | FakeText | string)[]): void {
    this.childNodes.length = 0;
    this.append(...nodes);
  }

  setAttribute(name: string, value: string): void {
    this.attributes.set(name, String(value));
  }

  getAttribute(name: string): string | null {
    return this.attributes.get(name) ?? null;
  }

  removeAttribute(name: string): void {
    this.attributes.delete(name);
  }

  addEventListener(type: string, listener: (event: unknown) => void): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }

  /** Calls the listeners for `type`, as the user's input, change or submit would. */
  dispatch(type: string, fields: object = {}): void {
    const event = { type, target: this, preventDefault: () => undefined, stopPropagation: () => undefined, ...fields };
    for (const listener of this.listeners.get(type) ?? []) listener(event);
  }

  focus(): void {}

  closest(): null {
    return null;
  }

  /** `.class` selectors only: all the script uses. */
  querySelectorAll(selector: string): FakeElement[] {
    const className = selector.replace(/^\./, '');
    return this.children.flatMap((c) => [...(c.className.split(' ').includes(className) ? [c] : []), ...c.querySelectorAll(selector)]);
  }

  querySelector(selector: string): FakeElement | null {
    return this.querySelectorAll(selector)[0] ?? null;
  }
}

export interface SidebarPage {
  /** the elements of the markup, by id */
  byId(id: string): FakeElement;
  /** the messages the script sent to the extension (copied out of the script's realm, as postMessage does) */
  sent: unknown[];
  /** delivers a message from the extension to the script */
  post(message: unknown): void;
  /** what the script logged with console.warn or console.error */
  warnings: unknown[][];
}

/** Runs `script` against the elements with an id in `html` (with their class and hidden attribute), with `savedState` as the webview's saved state. */
export function runSidebar(html: string, script: string, savedState?: unknown): SidebarPage {
  const elements = new Map<string, FakeElement>();
  for (const [tag, name, attributes] of html.matchAll(/<([a-z0-9-]+)\b([^>]*)>/g)) {
    const id = /\sid="([^"]+)"/.exec(attributes)?.[1];
    if (!id) continue;
    const element = new FakeElement(name.toUpperCase());
    element.className = /\sclass="([^"]*)"/.exec(attributes)?.[1] ?? '';
    element.hidden = /\shidden[\s>]/.test(tag);
    elements.set(id, element);
  }
  const windowListeners: ((event: { data: unknown }) => void)[] = [];
  const sent: unknown[] = [];
  const warnings: unknown[][] = [];
  const document = {
    getElementById: (id: string) => elements.get(id) ?? null,
    createElement: (tag: string) => new FakeElement(tag.toUpperCase()),
    createTextNode: (text: string) => new FakeText(text),
    querySelectorAll: (selector: string) => [...elements.values()].flatMap((e) => e.querySelectorAll(selector)),
    addEventListener: () => undefined,
  };
  runInNewContext(script, {
    acquireVsCodeApi: () => ({ getState: () => savedState, setState: () => undefined, postMessage: (m: unknown) => sent.push(JSON.parse(JSON.stringify(m))) }),
    document,
    window: { addEventListener: (type: string, listener: (event: { data: unknown }) => void) => type === 'message' && windowListeners.push(listener) },
    HTMLElement: FakeElement,
    console: { warn: (...args: unknown[]) => warnings.push(args), error: (...args: unknown[]) => warnings.push(args) },
    setTimeout,
    clearTimeout,
  });
  return {
    byId(id) {
      const element = elements.get(id);
      if (!element) throw new Error(`no #${id} in the markup`);
      return element;
    },
    sent,
    warnings,
    post: (message) => windowListeners.forEach((l) => l({ data: message })),
  };
}
