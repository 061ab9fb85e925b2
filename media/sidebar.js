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
  const BOTH = { label: 'words + meaning', title: 'Matched both the words and the meaning of the query' };
  /** Badges by a result's reason; a Map, so that a reason from a message never meets Object.prototype. */
  const REASONS = new Map([
    ['words', { label: 'words', title: 'Matched the words of the query' }],
    ['meaning', { label: 'meaning', title: 'Matched the meaning of the query' }],
    ['both', BOTH],
  ]);

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
  if (saved) {
    query.value = saved.query ?? '';
    pathFilter.value = saved.path ?? '';
    setLanguages([], saved.language ?? '');
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
    const m = event.data;
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
   * @param {HTMLElement} list @param {HTMLElement} notice
   * @param {{ items: ResultView[], partial: boolean, notice?: string, error?: string }} m
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
    const reason = REASONS.get(r.reason) ?? BOTH;
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

  /** @param {string} id */
  function byId(id) {
    const node = document.getElementById(id);
    if (!node) throw new Error(`the sidebar markup has no #${id}`);
    return node;
  }
})();
