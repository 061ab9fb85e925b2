// @ts-check
/**
 * The Code Scout sidebar, running inside the webview. It talks to the extension only through
 * postMessage (see src/extension/sidebar/messages.ts) and builds every result with DOM APIs
 * and textContent: code from the workspace is never parsed as HTML.
 *
 * The widgets are @vscode-elements/elements' web components (vscode-textfield, vscode-tree, …),
 * loaded as a module before this script runs its first update; this script only creates them and
 * sets attributes, so it works the same before and after they are defined.
 *
 * Results are grouped by file as in VS Code's Search view. Keys: Enter opens a result (or folds a
 * file), Ctrl/Cmd+Enter opens it to the side, Ctrl/Cmd+C copies its location, arrows move and
 * fold, Escape goes back to the search box, Shift+F10 or the context menu key opens the menu of
 * result actions (package.json contributes `webview/context`).
 */
(function () {
  // @ts-ignore -- provided by VS Code inside webviews
  const vscode = acquireVsCodeApi();
  const SEARCH_DELAY_MS = 250;
  /** why a result matched, by the extension's MatchReason (a Map: a name from a message never finds Object.prototype) */
  const REASONS = new Map([
    ['words', 'matched the words of the query'],
    ['meaning', 'matched the meaning of the query'],
    ['both', 'matched the words and the meaning of the query'],
  ]);
  /** codicon per kind of definition */
  const KIND_ICONS = new Map([
    ['function', 'symbol-function'],
    ['method', 'symbol-method'],
    ['constructor', 'symbol-method'],
    ['class', 'symbol-class'],
    ['struct', 'symbol-structure'],
    ['interface', 'symbol-interface'],
    ['trait', 'symbol-interface'],
    ['enum', 'symbol-enum'],
    ['module', 'symbol-namespace'],
    ['namespace', 'symbol-namespace'],
    ['type', 'symbol-class'],
    ['section', 'symbol-key'],
    ['window', 'symbol-snippet'],
  ]);
  const LEVELS = new Set(['ready', 'busy', 'warning', 'error']);
  /** the status actions the extension may offer (src/extension/status-view.ts STATUS_ACTIONS) */
  const COMMANDS = new Set(['openFolder', 'reindex', 'cancel', 'showStatus', 'restartEngine', 'openSettings', 'showLog']);
  /** ids the extension gives results (src/extension/sidebar/messages.ts) */
  const RESULT_ID = /^[a-z]\d{1,9}$/;

  const query = byId('query');
  const language = byId('language');
  const pathFilter = byId('path');
  const status = byId('status');
  const statusText = byId('status-text');
  const statusActions = byId('status-actions');
  const statusAnnounce = byId('status-announce');
  const progress = byId('progress');
  const summary = byId('results-summary');
  const resultsCount = byId('results-count');
  const collapseAll = byId('collapse-all');
  const results = byId('results');
  const resultsCorrection = byId('results-correction');
  const resultsNotice = byId('results-notice');
  const resultsAnnounce = byId('results-announce');
  const related = byId('related');
  const relatedNotice = byId('related-notice');
  const relatedSource = byId('related-source');

  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let searchTimer;
  /** the languages the dropdown offers, so a status with the same ones leaves an open dropdown alone */
  /** @type {string | undefined} */
  let shownLanguages;
  /** the status actions shown, so that a status with the same ones leaves their buttons (and a click or the focus on one) alone */
  /** @type {string | undefined} */
  let shownActions;

  const saved = vscode.getState();
  if (isObject(saved)) {
    setValue(query, stringOr(own(saved, 'query'), ''));
    setValue(pathFilter, stringOr(own(saved, 'path'), ''));
    setLanguages([], stringOr(own(saved, 'language'), ''));
  }
  showNotice(resultsNotice, valueOf(query) ? '' : 'Type to search the workspace. Filters: lang:py path:src/**', 'hint');
  showNotice(relatedNotice, 'Place the cursor in a function to see related code.', 'hint');

  query.addEventListener('input', scheduleSearch);
  pathFilter.addEventListener('input', scheduleSearch);
  language.addEventListener('change', search);
  collapseAll.addEventListener('click', () => {
    for (const file of results.children) file.removeAttribute('open');
  });
  for (const box of [query, pathFilter]) {
    box.addEventListener('keydown', (e) => {
      const key = /** @type {KeyboardEvent} */ (e).key;
      if (key === 'Enter') {
        e.preventDefault();
        search();
      } else if (key === 'ArrowDown') {
        e.preventDefault();
        focusFirst(results.children.length ? results : related);
      }
    });
  }
  for (const tree of [results, related]) {
    // a click or Enter on a result selects it: open it
    tree.addEventListener('vsc-tree-select', (e) => {
      const detail = /** @type {CustomEvent} */ (e).detail;
      const item = Array.isArray(detail) ? detail[0] : undefined;
      if (item instanceof HTMLElement && item.dataset.id) vscode.postMessage({ type: 'open', id: item.dataset.id, side: false });
    });
  }
  // before the tree's own key handling (which stops Enter from going further)
  document.addEventListener('keydown', onKey, true);

  window.addEventListener('message', (event) => {
    const m = hostMessage(event.data);
    if (!m) {
      console.warn('Code Scout sidebar: ignored a message that is not one the extension sends', describe(event.data));
      return;
    }
    switch (m.type) {
      case 'status':
        return showStatus(m);
      case 'searching':
        results.setAttribute('aria-busy', 'true');
        return showNotice(resultsNotice, 'Searching…', 'loading');
      case 'results':
        // only lists this page did not ask for: the box may have moved on from a search it sent
        if (m.setQuery && m.query !== valueOf(query)) setValue(query, m.query);
        results.removeAttribute('aria-busy');
        showCorrection(m.searchedFor);
        showCount(m);
        showList(results, resultsNotice, m, m.empty ?? (m.query ? `No results for “${m.query}”.` : 'Type to search the workspace.'), m.query);
        // a screen reader hears that the results came: their count, and what the notice says
        resultsAnnounce.textContent = [summary.hidden ? '' : `${resultsCount.textContent}.`, resultsNotice.hidden ? '' : resultsNotice.textContent].filter(Boolean).join(' ');
        return;
      case 'relatedLoading':
        related.setAttribute('aria-busy', 'true');
        return showNotice(relatedNotice, 'Finding related code…', 'loading');
      case 'related':
        related.removeAttribute('aria-busy');
        relatedSource.textContent = m.source ? `to ${m.source}` : '';
        return showList(related, relatedNotice, m, m.source ? 'Nothing related found.' : 'Place the cursor in a function to see related code.', '');
    }
  });
  vscode.postMessage({ type: 'ready' });

  function search() {
    clearTimeout(searchTimer);
    const message = { type: 'search', query: valueOf(query), language: valueOf(language), path: valueOf(pathFilter) };
    vscode.setState({ query: message.query, language: message.language, path: message.path });
    vscode.postMessage(message);
  }

  function scheduleSearch() {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(search, SEARCH_DELAY_MS);
  }

  /** @param {Extract<HostMessage, { type: 'status' }>} m */
  function showStatus(m) {
    statusText.textContent = m.text;
    status.className = `status ${m.level}`;
    // the live region speaks when the state changes, not at each percent of an indexing run
    if (status.dataset.kind !== m.kind) statusAnnounce.textContent = m.text;
    status.dataset.kind = m.kind;
    // status messages come up to ten times a second while indexing: buttons rebuilt each time would
    // lose a click that spans one and the keyboard focus on them, so they change only with the actions
    const actionsKey = m.actions.map((a) => `${a.command}\n${a.label}`).join('\n');
    if (actionsKey !== shownActions) {
      shownActions = actionsKey;
      const hadFocus = statusActions.contains(document.activeElement) ? /** @type {HTMLElement} */ (document.activeElement).dataset.command : undefined;
      statusActions.replaceChildren(
        ...m.actions.map((a) => {
          const button = element('vscode-button', '', a.label);
          button.setAttribute('secondary', '');
          button.dataset.command = a.command;
          button.addEventListener('click', () => vscode.postMessage({ type: 'command', command: a.command }));
          return button;
        }),
      );
      // a button that stays (same command) keeps the focus
      const again = hadFocus && [...statusActions.children].find((b) => /** @type {HTMLElement} */ (b).dataset.command === hadFocus);
      if (again) /** @type {HTMLElement} */ (again).focus();
    }
    progress.hidden = !m.indexing;
    setLanguages(m.languages, valueOf(language));
  }

  /** @param {string[]} languages @param {string} selected */
  function setLanguages(languages, selected) {
    const names = [...new Set([...languages, ...(selected ? [selected] : [])])].sort();
    const key = names.join('\n');
    if (key !== shownLanguages) {
      shownLanguages = key;
      language.replaceChildren(option('', 'All languages'), ...names.map((l) => option(l, l)));
    }
    if (valueOf(language) !== selected) setValue(language, selected);
  }

  /**
   * "12 results in 5 files" above the list, with Collapse All; hidden when there are none.
   * @param {ResultList} m
   */
  function showCount(m) {
    const count = m.groups.reduce((n, g) => n + g.items.length, 0);
    summary.hidden = count === 0;
    resultsCount.textContent = `${count} ${count === 1 ? 'result' : 'results'} in ${m.groups.length} ${m.groups.length === 1 ? 'file' : 'files'}`;
  }

  /**
   * @typedef {{ text: string, match: boolean }} TextPart
   * @typedef {{ line: number, parts: TextPart[] }} PreviewRow
   * @typedef {{ id: string, name: string, kind: string, container?: string, line: number, location: string,
   *   language: string, reason: string, preview: PreviewRow[], changed?: true }} ResultView
   * @typedef {{ path: string, name: string, dir: string, items: ResultView[] }} FileGroup
   * @typedef {{ groups: FileGroup[], partial: boolean, notice?: string, weak?: string, empty?: string, error?: string }} ResultList
   * @typedef {{ label: string, command: string }} StatusAction
   * @typedef {{ type: 'status', kind: string, text: string, level: string, indexing: boolean, canReindex: boolean, actions: StatusAction[], languages: string[] }
   *   | { type: 'searching' } | { type: 'relatedLoading' }
   *   | ({ type: 'results', query: string, searchedFor?: string, setQuery: boolean } & ResultList)
   *   | ({ type: 'related', source: string | null } & ResultList)} HostMessage
   * @param {HTMLElement} tree @param {HTMLElement} notice
   * @param {ResultList} m
   * @param {string} emptyText
   * @param {string} queryText
   */
  function showList(tree, notice, m, emptyText, queryText) {
    tree.replaceChildren(...m.groups.map(fileItem));
    // vscode-tree makes its first item the Tab stop only while it has no active item, and the
    // one it had left with the old list: without this the new list cannot be reached with Tab
    const first = tree.firstElementChild;
    if (first) /** @type {any} */ (first).active = true;
    if (m.error) return showNotice(notice, m.error, 'error');
    const lines = [];
    if (m.partial) lines.push('The index is still being built: results cover only the part indexed so far.');
    if (m.weak) lines.push(`No strong match for “${queryText}”: ${m.weak}, and the code below is only the nearest in meaning.`);
    if (m.notice) lines.push(m.notice);
    if (!m.groups.length) lines.push(emptyText);
    showNotice(notice, lines.join(' '), m.partial ? 'partial' : m.weak ? 'weak' : m.empty ? 'empty' : 'hint');
  }

  /** @param {FileGroup} g */
  function fileItem(g) {
    const item = element('vscode-tree-item', 'file');
    item.setAttribute('branch', '');
    item.setAttribute('open', '');
    item.title = g.path;
    item.setAttribute('aria-label', `${g.path}, ${g.items.length} ${g.items.length === 1 ? 'result' : 'results'}`);
    item.dataset.vscodeContext = JSON.stringify({ webviewSection: 'file', preventDefaultContextMenuItems: true, resultId: g.items[0]?.id });
    for (const slot of ['icon-branch', 'icon-branch-opened']) item.append(icon('file', slot));
    item.append(element('span', 'file-name', g.name));
    if (g.dir) {
      const dir = element('span', 'file-dir', g.dir);
      dir.slot = 'description';
      item.append(dir);
    }
    const count = element('vscode-badge', 'count', String(g.items.length));
    count.setAttribute('variant', 'counter');
    count.slot = 'decoration';
    item.append(count, ...g.items.map(resultItem));
    return item;
  }

  /** @param {ResultView} r */
  function resultItem(r) {
    const item = element('vscode-tree-item', 'result');
    item.dataset.id = r.id;
    // the native context menu of webviews: package.json `webview/context`, `webviewSection == result`
    item.dataset.vscodeContext = JSON.stringify({ webviewSection: 'result', preventDefaultContextMenuItems: true, resultId: r.id });
    const reason = REASONS.get(r.reason) ?? '';
    const changed = r.changed ? ', file changed since indexed: its lines may have moved' : '';
    const described = `${r.name}, ${r.kind}${r.container ? ` in ${r.container}` : ''}, ${r.location}${reason ? `, ${reason}` : ''}${changed}`;
    item.title = described;
    item.setAttribute('aria-label', described);
    item.append(icon(KIND_ICONS.get(r.kind) ?? 'symbol-misc', 'icon-leaf'));

    const body = element('div', 'result-body');
    const head = element('div', 'head');
    head.append(element('span', 'name', r.name), element('span', 'kind', r.kind));
    if (r.container) head.append(element('span', 'container', r.container));
    if (r.changed) head.append(element('span', 'changed', 'changed since indexed'));
    const preview = element('div', 'preview');
    for (const row of r.preview) {
      const line = element('div', 'line');
      const code = element('span', 'code');
      for (const part of row.parts) code.append(part.match ? element('mark', '', part.text) : document.createTextNode(part.text));
      line.append(element('span', 'ln', String(row.line)), code);
      preview.append(line);
    }
    body.append(head, preview);
    item.append(body, actionButton('split-horizontal', 'Open to the Side (Ctrl+Enter)', 'open', r.id), actionButton('copy', 'Copy Location (Ctrl+C)', 'copy', r.id));
    return item;
  }

  /**
   * A small icon button in the item's actions slot (shown on hover and focus, as in VS Code's trees).
   * @param {string} name @param {string} label @param {'open' | 'copy'} action @param {string} id
   */
  function actionButton(name, label, action, id) {
    const button = element('vscode-toolbar-button', 'action');
    button.setAttribute('icon', name);
    button.setAttribute('label', label);
    button.title = label;
    button.slot = 'actions';
    button.addEventListener('click', (e) => {
      e.stopPropagation(); // not a click on the row, which opens the result
      vscode.postMessage(action === 'open' ? { type: 'open', id, side: true } : { type: 'copy', id });
    });
    return button;
  }

  /** @param {Event} e */
  function onKey(e) {
    const k = /** @type {KeyboardEvent} */ (e);
    const target = /** @type {HTMLElement} */ (k.target);
    const item = target && typeof target.closest === 'function' ? target.closest('vscode-tree-item') : null;
    if (!(item instanceof HTMLElement)) return;
    const id = item.dataset.id;
    const ctrl = k.ctrlKey || k.metaKey;
    if (k.key === 'Escape') {
      query.focus();
    } else if (id && ctrl && k.key === 'Enter') {
      vscode.postMessage({ type: 'open', id, side: true });
    } else if (id && ctrl && (k.key === 'c' || k.key === 'C') && !String(window.getSelection?.() ?? '')) {
      vscode.postMessage({ type: 'copy', id });
    } else return;
    k.preventDefault();
    k.stopPropagation();
  }

  /** @param {HTMLElement} tree */
  function focusFirst(tree) {
    const first = tree.children[0];
    if (first instanceof HTMLElement) first.focus();
  }

  /**
   * "Showing results for <b>corrected query</b>" when the engine corrected a word, hidden otherwise.
   * @param {unknown} searchedFor
   */
  function showCorrection(searchedFor) {
    const text = typeof searchedFor === 'string' ? searchedFor : '';
    resultsCorrection.replaceChildren(...(text ? ['Showing results for ', element('b', '', text)] : []));
    resultsCorrection.hidden = !text;
  }

  /** @param {HTMLElement} notice @param {string} text @param {string} kind */
  function showNotice(notice, text, kind) {
    notice.textContent = text;
    notice.className = `notice ${kind}`;
    notice.hidden = !text;
  }

  /** @param {string} tag @param {string} className @param {string} [text] */
  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  /** @param {string} name @param {string} slot */
  function icon(name, slot) {
    const node = element('vscode-icon', '');
    node.setAttribute('name', name);
    node.slot = slot;
    return node;
  }

  /** @param {string} value @param {string} label */
  function option(value, label) {
    const node = element('vscode-option', '', label);
    node.setAttribute('value', value);
    return node;
  }

  /**
   * A widget's value: the property once the web component is defined, the attribute before.
   * @param {HTMLElement} widget
   */
  function valueOf(widget) {
    const v = /** @type {{ value?: unknown }} */ (/** @type {unknown} */ (widget)).value;
    return typeof v === 'string' ? v : (widget.getAttribute('value') ?? '');
  }

  /** @param {HTMLElement} widget @param {string} value */
  function setValue(widget, value) {
    /** @type {{ value?: unknown }} */ (/** @type {unknown} */ (widget)).value = value;
    widget.setAttribute('value', value);
  }

  /**
   * The message if it has the shape of one the extension sends (HostMessage in
   * src/extension/sidebar/messages.ts), with only the fields used here; undefined otherwise.
   * Nothing from a message is used before it is checked here.
   * @param {unknown} data
   * @returns {HostMessage | undefined}
   */
  function hostMessage(data) {
    if (!isObject(data)) return undefined;
    switch (own(data, 'type')) {
      case 'status': {
        const kind = own(data, 'kind');
        const text = own(data, 'text');
        const level = own(data, 'level');
        const indexing = own(data, 'indexing');
        const canReindex = own(data, 'canReindex');
        const languages = own(data, 'languages');
        const actions = own(data, 'actions');
        if (typeof kind !== 'string' || typeof text !== 'string' || typeof level !== 'string' || !LEVELS.has(level)) return undefined;
        if (typeof indexing !== 'boolean' || typeof canReindex !== 'boolean') return undefined;
        if (!Array.isArray(languages) || !languages.every((l) => typeof l === 'string')) return undefined;
        if (!Array.isArray(actions)) return undefined;
        /** @type {StatusAction[]} */
        const checked = [];
        for (const a of actions) {
          if (!isObject(a)) return undefined;
          const label = own(a, 'label');
          const command = own(a, 'command');
          if (typeof label !== 'string' || typeof command !== 'string' || !COMMANDS.has(command)) return undefined;
          checked.push({ label, command });
        }
        return { type: 'status', kind, text, level, indexing, canReindex, actions: checked, languages };
      }
      case 'searching':
        return typeof own(data, 'query') === 'string' ? { type: 'searching' } : undefined;
      case 'relatedLoading':
        return { type: 'relatedLoading' };
      case 'results': {
        const list = resultList(data);
        const q = own(data, 'query');
        const searchedFor = own(data, 'searchedFor');
        const setQuery = own(data, 'setQuery');
        if (!list || typeof q !== 'string' || (setQuery !== undefined && typeof setQuery !== 'boolean')) return undefined;
        // a searchedFor that is not text is left out, not the list
        return { type: 'results', query: q, searchedFor: typeof searchedFor === 'string' ? searchedFor : undefined, setQuery: setQuery === true, ...list };
      }
      case 'related': {
        const list = resultList(data);
        const source = own(data, 'source');
        if (!list || (source !== null && typeof source !== 'string')) return undefined;
        return { type: 'related', source, ...list };
      }
      default:
        return undefined;
    }
  }

  /**
   * @param {object} data
   * @returns {ResultList | undefined}
   */
  function resultList(data) {
    const groups = own(data, 'groups');
    const partial = own(data, 'partial');
    const notice = own(data, 'notice');
    const error = own(data, 'error');
    const weak = own(data, 'weak');
    const empty = own(data, 'empty');
    if (!Array.isArray(groups) || typeof partial !== 'boolean') return undefined;
    if (!optionalString(notice) || !optionalString(error) || !optionalString(empty) || !optionalString(weak)) return undefined;
    /** @type {FileGroup[]} */
    const checked = [];
    for (const g of groups) {
      const group = fileGroup(g);
      if (!group) return undefined;
      checked.push(group);
    }
    return { groups: checked, partial, notice, error, weak: weak || undefined, empty };
  }

  /**
   * @param {unknown} g
   * @returns {FileGroup | undefined}
   */
  function fileGroup(g) {
    if (!isObject(g)) return undefined;
    const path = own(g, 'path');
    const name = own(g, 'name');
    const dir = own(g, 'dir');
    const items = own(g, 'items');
    if (typeof path !== 'string' || typeof name !== 'string' || typeof dir !== 'string' || !Array.isArray(items)) return undefined;
    /** @type {ResultView[]} */
    const views = [];
    for (const item of items) {
      const view = resultView(item);
      if (!view) return undefined;
      views.push(view);
    }
    return { path, name, dir, items: views };
  }

  /**
   * @param {unknown} item
   * @returns {ResultView | undefined}
   */
  function resultView(item) {
    if (!isObject(item)) return undefined;
    const id = own(item, 'id');
    const name = own(item, 'name');
    const kind = own(item, 'kind');
    const container = own(item, 'container');
    const line = own(item, 'line');
    const location = own(item, 'location');
    const language = own(item, 'language');
    const reason = own(item, 'reason');
    const preview = own(item, 'preview');
    const changed = own(item, 'changed');
    if (typeof id !== 'string' || !RESULT_ID.test(id)) return undefined;
    if (changed !== undefined && changed !== true) return undefined;
    if (typeof name !== 'string' || typeof kind !== 'string' || typeof location !== 'string' || typeof language !== 'string') return undefined;
    if (!optionalString(container) || typeof reason !== 'string' || !REASONS.has(reason)) return undefined;
    if (typeof line !== 'number' || !Number.isInteger(line) || !Array.isArray(preview)) return undefined;
    /** @type {PreviewRow[]} */
    const rows = [];
    for (const row of preview) {
      if (!isObject(row)) return undefined;
      const n = own(row, 'line');
      const parts = own(row, 'parts');
      if (typeof n !== 'number' || !Number.isInteger(n) || !Array.isArray(parts)) return undefined;
      /** @type {TextPart[]} */
      const checkedParts = [];
      for (const part of parts) {
        if (!isObject(part)) return undefined;
        const text = own(part, 'text');
        const match = own(part, 'match');
        if (typeof text !== 'string' || typeof match !== 'boolean') return undefined;
        checkedParts.push({ text, match });
      }
      rows.push({ line: n, parts: checkedParts });
    }
    return { id, name, kind, container, line, location, language, reason, preview: rows, ...(changed ? { changed } : {}) };
  }

  /**
   * A plain object (not null, not an array).
   * @param {unknown} value
   * @returns {value is Record<string, unknown>}
   */
  function isObject(value) {
    return typeof value === 'object' && value !== null && !Array.isArray(value);
  }

  /**
   * The object's own property `key`; undefined when it has none (never one from its prototype).
   * @param {object} value @param {string} key
   * @returns {unknown}
   */
  function own(value, key) {
    return Object.prototype.hasOwnProperty.call(value, key) ? /** @type {Record<string, unknown>} */ (value)[key] : undefined;
  }

  /** @param {unknown} value */
  function optionalString(value) {
    return value === undefined || typeof value === 'string';
  }

  /** @param {unknown} value @param {string} fallback */
  function stringOr(value, fallback) {
    return typeof value === 'string' ? value : fallback;
  }

  /**
   * A short description of a rejected message for the log (its type, not its contents).
   * @param {unknown} data
   */
  function describe(data) {
    if (!isObject(data)) return data === null ? 'null' : Array.isArray(data) ? 'an array' : typeof data;
    const type = own(data, 'type');
    return typeof type === 'string' ? `type ${JSON.stringify(type.slice(0, 40))}` : 'an object without a type';
  }

  /** @param {string} id */
  function byId(id) {
    const node = document.getElementById(id);
    if (!node) throw new Error(`the sidebar markup has no #${id}`);
    return node;
  }
})();
