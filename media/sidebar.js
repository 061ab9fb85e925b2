// @ts-check
/**
 * The Code Scout sidebar, running inside the webview. It talks to the extension only through
 * postMessage (see src/extension/sidebar/messages.ts) and builds every result with DOM APIs
 * and textContent: code from the workspace is never parsed as HTML.
 */
(function () {
  // @ts-ignore -- provided by VS Code inside webviews
  const vscode = acquireVsCodeApi();
  const SEARCH_DELAY_MS = 250;
  /** why a result matched, by the extension's MatchReason (a Map: a name from a message never finds Object.prototype) */
  const REASONS = new Map([
    ['words', { label: 'words', title: 'Matched the words of the query' }],
    ['meaning', { label: 'meaning', title: 'Matched the meaning of the query' }],
    ['both', { label: 'words + meaning', title: 'Matched both the words and the meaning of the query' }],
  ]);
  const LEVELS = new Set(['ready', 'busy', 'warning', 'error']);
  /** ids the extension gives results (src/extension/sidebar/messages.ts) */
  const RESULT_ID = /^[a-z]\d{1,9}$/;

  const form = /** @type {HTMLFormElement} */ (byId('search-form'));
  const query = /** @type {HTMLInputElement} */ (byId('query'));
  const language = /** @type {HTMLSelectElement} */ (byId('language'));
  const pathFilter = /** @type {HTMLInputElement} */ (byId('path'));
  const status = byId('status');
  const statusText = byId('status-text');
  const reindex = /** @type {HTMLButtonElement} */ (byId('reindex'));
  const cancel = /** @type {HTMLButtonElement} */ (byId('cancel'));
  const results = byId('results');
  const resultsCorrection = byId('results-correction');
  const resultsNotice = byId('results-notice');
  const related = byId('related');
  const relatedNotice = byId('related-notice');
  const relatedSource = byId('related-source');

  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let searchTimer;
  /** the languages the <select> offers, so a status with the same ones leaves an open dropdown alone */
  /** @type {string | undefined} */
  let shownLanguages;

  const saved = vscode.getState();
  if (isObject(saved)) {
    query.value = stringOr(own(saved, 'query'), '');
    pathFilter.value = stringOr(own(saved, 'path'), '');
    setLanguages([], stringOr(own(saved, 'language'), ''));
  }
  showNotice(resultsNotice, query.value ? '' : 'Type to search the workspace. Filters: lang:py path:src/**', 'hint');
  showNotice(relatedNotice, 'Place the cursor in a function to see related code.', 'hint');

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    search();
  });
  query.addEventListener('input', scheduleSearch);
  pathFilter.addEventListener('input', scheduleSearch);
  language.addEventListener('change', search);
  reindex.addEventListener('click', () => vscode.postMessage({ type: 'reindex' }));
  cancel.addEventListener('click', () => vscode.postMessage({ type: 'cancel' }));
  query.addEventListener('keydown', (e) => {
    if (e.key === 'ArrowDown') {
      e.preventDefault();
      focusItem(allItems()[0]);
    }
  });
  for (const list of [results, related]) {
    list.addEventListener('keydown', onListKey);
    list.addEventListener('click', (e) => {
      const item = /** @type {HTMLElement} */ (e.target).closest('.result');
      if (item instanceof HTMLElement) open(item);
    });
  }

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
        if (m.setQuery && m.query !== query.value) query.value = m.query;
        results.removeAttribute('aria-busy');
        showCorrection(m.searchedFor);
        return showList(results, resultsNotice, m, m.query ? `No results for “${m.query}”.` : 'Type to search the workspace.');
      case 'relatedLoading':
        related.setAttribute('aria-busy', 'true');
        return showNotice(relatedNotice, 'Finding related code…', 'loading');
      case 'related':
        related.removeAttribute('aria-busy');
        relatedSource.textContent = m.source ? `to ${m.source}` : '';
        return showList(related, relatedNotice, m, m.source ? 'Nothing related found.' : 'Place the cursor in a function to see related code.');
    }
  });
  vscode.postMessage({ type: 'ready' });

  function search() {
    clearTimeout(searchTimer);
    vscode.setState({ query: query.value, language: language.value, path: pathFilter.value });
    vscode.postMessage({ type: 'search', query: query.value, language: language.value, path: pathFilter.value });
  }

  function scheduleSearch() {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(search, SEARCH_DELAY_MS);
  }

  /** @param {{ text: string, level: string, indexing: boolean, languages: string[] }} m */
  function showStatus(m) {
    statusText.textContent = m.text;
    status.className = `status ${m.level}`;
    cancel.hidden = !m.indexing;
    setLanguages(m.languages, language.value);
  }

  /** @param {string[]} languages @param {string} selected */
  function setLanguages(languages, selected) {
    const names = [...new Set([...languages, ...(selected ? [selected] : [])])].sort();
    const key = names.join('\n');
    if (key !== shownLanguages) {
      shownLanguages = key;
      language.replaceChildren(option('', 'All languages'), ...names.map((l) => option(l, l)));
    }
    if (language.value !== selected) language.value = selected;
  }

  /**
   * @typedef {{ items: ResultView[], partial: boolean, notice?: string, error?: string }} ResultList
   * @typedef {{ type: 'status', text: string, level: string, indexing: boolean, languages: string[] }
   *   | { type: 'searching' } | { type: 'relatedLoading' }
   *   | ({ type: 'results', query: string, searchedFor?: string, setQuery: boolean } & ResultList)
   *   | ({ type: 'related', source: string | null } & ResultList)} HostMessage
   * @param {HTMLElement} list @param {HTMLElement} notice
   * @param {ResultList} m
   * @param {string} emptyText
   */
  function showList(list, notice, m, emptyText) {
    list.replaceChildren(...m.items.map(resultItem));
    const first = list.querySelector('.result');
    if (first instanceof HTMLElement) first.tabIndex = 0;
    if (m.error) return showNotice(notice, m.error, 'error');
    const lines = [];
    if (m.partial) lines.push('The index is still being built: results cover only the part indexed so far.');
    if (m.notice) lines.push(m.notice);
    if (!m.items.length) lines.push(emptyText);
    showNotice(notice, lines.join(' '), m.partial ? 'partial' : 'hint');
  }

  /**
   * @typedef {{ text: string, match: boolean }} TextPart
   * @typedef {{ id: string, name: string, kind: string, container?: string, location: string,
   *   language: string, reason: 'words' | 'meaning' | 'both', code: TextPart[][] }} ResultView
   * @param {ResultView} r
   */
  function resultItem(r) {
    const li = element('li', 'result');
    li.setAttribute('role', 'option');
    li.tabIndex = -1;
    li.dataset.id = r.id;

    const head = element('div', 'head');
    head.append(element('span', 'name', r.name), element('span', 'kind', r.kind));
    if (r.container) head.append(element('span', 'container', r.container));
    const reason = REASONS.get(r.reason) ?? { label: r.reason, title: '' };
    const badge = element('span', `badge ${r.reason}`, reason.label);
    badge.title = reason.title;
    head.append(badge);

    const code = element('pre', 'code');
    for (const line of r.code) {
      const row = element('div', 'line');
      for (const part of line) row.append(part.match ? element('mark', '', part.text) : document.createTextNode(part.text));
      code.append(row);
    }
    li.append(head, element('div', 'location', r.location), code);
    li.setAttribute('aria-label', `${r.name}, ${r.kind}, ${r.location}, matched by ${reason.label}`);
    return li;
  }

  /** @param {KeyboardEvent} e */
  function onListKey(e) {
    const item = /** @type {HTMLElement} */ (e.target).closest('.result');
    if (!(item instanceof HTMLElement)) return;
    const items = allItems();
    const at = items.indexOf(item);
    switch (e.key) {
      case 'ArrowDown':
        focusItem(items[Math.min(items.length - 1, at + 1)]);
        break;
      case 'ArrowUp':
        if (at === 0) query.focus();
        else focusItem(items[at - 1]);
        break;
      case 'Home':
        focusItem(items[0]);
        break;
      case 'End':
        focusItem(items[items.length - 1]);
        break;
      case 'Enter':
      case ' ':
        open(item);
        break;
      case 'Escape':
        query.focus();
        break;
      default:
        return;
    }
    e.preventDefault();
  }

  /** Results, then related items, in the order they are shown. */
  function allItems() {
    return /** @type {HTMLElement[]} */ ([...document.querySelectorAll('.result')]);
  }

  /** @param {HTMLElement | undefined} item */
  function focusItem(item) {
    if (!item) return;
    for (const other of allItems()) other.tabIndex = other === item ? 0 : -1;
    item.focus();
  }

  /** @param {HTMLElement} item */
  function open(item) {
    vscode.postMessage({ type: 'open', id: item.dataset.id });
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

  /** @param {string} value @param {string} label */
  function option(value, label) {
    const node = document.createElement('option');
    node.value = value;
    node.textContent = label;
    return node;
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
        const text = own(data, 'text');
        const level = own(data, 'level');
        const indexing = own(data, 'indexing');
        const languages = own(data, 'languages');
        if (typeof text !== 'string' || typeof level !== 'string' || !LEVELS.has(level) || typeof indexing !== 'boolean') return undefined;
        if (!Array.isArray(languages) || !languages.every((l) => typeof l === 'string')) return undefined;
        return { type: 'status', text, level, indexing, languages };
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
    const items = own(data, 'items');
    const partial = own(data, 'partial');
    const notice = own(data, 'notice');
    const error = own(data, 'error');
    if (!Array.isArray(items) || typeof partial !== 'boolean') return undefined;
    if (!optionalString(notice) || !optionalString(error)) return undefined;
    /** @type {ResultView[]} */
    const views = [];
    for (const item of items) {
      const view = resultView(item);
      if (!view) return undefined;
      views.push(view);
    }
    return { items: views, partial, notice, error };
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
    const location = own(item, 'location');
    const language = own(item, 'language');
    const reason = own(item, 'reason');
    const code = own(item, 'code');
    if (typeof id !== 'string' || !RESULT_ID.test(id)) return undefined;
    if (typeof name !== 'string' || typeof kind !== 'string' || typeof location !== 'string' || typeof language !== 'string') return undefined;
    if (!optionalString(container) || typeof reason !== 'string' || !REASONS.has(reason)) return undefined;
    if (!Array.isArray(code)) return undefined;
    /** @type {TextPart[][]} */
    const lines = [];
    for (const line of code) {
      if (!Array.isArray(line)) return undefined;
      /** @type {TextPart[]} */
      const parts = [];
      for (const part of line) {
        if (!isObject(part)) return undefined;
        const text = own(part, 'text');
        const match = own(part, 'match');
        if (typeof text !== 'string' || typeof match !== 'boolean') return undefined;
        parts.push({ text, match });
      }
      lines.push(parts);
    }
    return { id, name, kind, container, location, language, reason: /** @type {ResultView['reason']} */ (reason), code: lines };
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
