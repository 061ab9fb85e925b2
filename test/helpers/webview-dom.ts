/**
 * Just enough of a DOM to run media/sidebar.js in Node: the elements of the sidebar's markup
 * (found by their ids), the DOM calls the script makes, and the messages the extension posts.
 * Elements have no innerHTML: markup the script tried to parse would show up nowhere.
 */
import { runInNewContext } from 'node:vm';

export class FakeText {
  parent: FakeElement | null = null;
  constructor(public textContent: string) {}
}

/** The page's focus: the element last focused (document.activeElement), shared by a page's elements. */
interface FocusState {
  active: FakeElement | null;
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
  parent: FakeElement | null = null;
  /** set by the page that made this element */
  focusState: FocusState = { active: null };
  private readonly attributes = new Map<string, string>();
  private readonly listeners = new Map<string, ((event: unknown) => void)[]>();

  constructor(readonly tagName: string) {}

  get firstElementChild(): FakeElement | null {
    return this.children[0] ?? null;
  }

  get children(): FakeElement[] {
    return this.childNodes.filter((n): n is FakeElement => n instanceof FakeElement);
  }

  get textContent(): string {
    return this.childNodes.map((n) => n.textContent).join('');
  }

  set textContent(text: string) {
    this.replaceChildren(...(text ? [text] : []));
  }

  append(...nodes: (FakeElement | FakeText | string)[]): void {
    for (const n of nodes) {
      const node = typeof n === 'string' ? new FakeText(n) : n;
      node.parent = this;
      this.childNodes.push(node);
    }
  }

  /** Removes the children (a focused one takes the focus with it, to the body, as in a browser) and appends `nodes`. */
  replaceChildren(...nodes: (FakeElement | FakeText | string)[]): void {
    const focused = this.focusState.active;
    if (focused && this.childNodes.some((c) => c instanceof FakeElement && c.contains(focused))) this.focusState.active = null;
    for (const n of this.childNodes) n.parent = null;
    this.childNodes.length = 0;
    this.append(...nodes);
  }

  /** Whether `node` is this element or inside it. */
  contains(node: unknown): boolean {
    for (let n = node instanceof FakeElement || node instanceof FakeText ? node : null; n; n = n.parent) if (n === this) return true;
    return false;
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

  focus(): void {
    this.focusState.active = this;
  }

  /** `tag` selectors only (what the script asks for): this element or its nearest ancestor with that tag. */
  closest(selector: string): FakeElement | null {
    for (let n: FakeElement | null = this; n; n = n.parent) if (n.tagName === selector.toUpperCase()) return n;
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
  /** the element that has the focus (document.activeElement), or null for the body */
  focused(): FakeElement | null;
  /** a keydown on `target`, through the document's listeners (capture phase, as the script listens), then the target's own */
  key(target: FakeElement, key: string, modifiers?: { ctrlKey?: boolean; metaKey?: boolean; shiftKey?: boolean }): { defaultPrevented: boolean };
}

/** Runs `script` against the elements with an id in `html` (with their class and hidden attribute), with `savedState` as the webview's saved state. */
export function runSidebar(html: string, script: string, savedState?: unknown): SidebarPage {
  const elements = new Map<string, FakeElement>();
  const focusState: FocusState = { active: null };
  const make = (tag: string) => {
    const element = new FakeElement(tag.toUpperCase());
    element.focusState = focusState;
    return element;
  };
  for (const [tag, name, attributes] of html.matchAll(/<([a-z0-9-]+)\b([^>]*)>/g)) {
    const id = /\sid="([^"]+)"/.exec(attributes)?.[1];
    if (!id) continue;
    const element = make(name);
    element.className = /\sclass="([^"]*)"/.exec(attributes)?.[1] ?? '';
    element.hidden = /\shidden[\s>]/.test(tag);
    elements.set(id, element);
  }
  const windowListeners: ((event: { data: unknown }) => void)[] = [];
  const sent: unknown[] = [];
  const warnings: unknown[][] = [];
  const documentListeners: ((event: unknown) => void)[] = [];
  const document = {
    getElementById: (id: string) => elements.get(id) ?? null,
    createElement: make,
    createTextNode: (text: string) => new FakeText(text),
    querySelectorAll: (selector: string) => [...elements.values()].flatMap((e) => e.querySelectorAll(selector)),
    addEventListener: (type: string, listener: (event: unknown) => void) => type === 'keydown' && documentListeners.push(listener),
    get activeElement() {
      return focusState.active;
    },
  };
  runInNewContext(script, {
    acquireVsCodeApi: () => ({ getState: () => savedState, setState: () => undefined, postMessage: (m: unknown) => sent.push(JSON.parse(JSON.stringify(m))) }),
    document,
    window: {
      addEventListener: (type: string, listener: (event: { data: unknown }) => void) => type === 'message' && windowListeners.push(listener),
      getSelection: () => '',
    },
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
    focused: () => focusState.active,
    key(target, key, modifiers = {}) {
      let stopped = false;
      const event = {
        type: 'keydown',
        key,
        target,
        ctrlKey: false,
        metaKey: false,
        shiftKey: false,
        ...modifiers,
        defaultPrevented: false,
        preventDefault() {
          event.defaultPrevented = true;
        },
        stopPropagation() {
          stopped = true;
        },
      };
      for (const listener of documentListeners) listener(event);
      if (!stopped) target.dispatch('keydown', event);
      return { defaultPrevented: event.defaultPrevented };
    },
  };
}
