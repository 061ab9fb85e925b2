/**
 * The sidebar's webview view (`codescout.sidebar`): search with filters, results, the index
 * status line with reindex and cancel, and the Related section. The webview may load only
 * media/, runs only the nonce-tagged script, and every message it sends is validated.
 */
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { Search, type FolderHit, type QueryResult, type RelatedResult } from '../../protocol/protocol';
import type { EngineClient } from '../engine-client';
import type { IndexController } from '../index-controller';
import { openLocation, revealInExplorer } from '../navigation';
import { parseQuery, searchParams, type ParsedQuery } from '../query-syntax';
import { nothingIndexed, statusView } from '../status-view';
import { sidebarHtml } from './html';
import { parseWebviewMessage, resultsMessage, type HostMessage, type ResultList, type WebviewMessage } from './messages';
import { groupByFile, queryTerms, resultView, shownPath } from './result-view';
import { emptyText, FOLDER_OPENED_TEXT, filterProblem, NO_FOLDER_TEXT, weakReason } from './empty-states';
import type { StatusCommand } from '../status-view';

/** Lines of code shown per result. */
const PREVIEW_LINES = 3;

/** The VS Code command behind each status action (status-view.ts STATUS_ACTIONS). */
const STATUS_COMMAND_IDS: ReadonlyMap<StatusCommand, string> = new Map<StatusCommand, string>([
  ['openFolder', 'workbench.action.files.openFolder'],
  ['reindex', 'codescout.reindex'],
  ['cancel', 'codescout.cancelIndexing'],
  ['showStatus', 'codescout.showStatus'],
  ['restartEngine', 'codescout.restartEngine'],
  ['openSettings', 'workbench.action.openSettings'],
  ['showLog', 'codescout.showLog'],
]);

export type ResultAction = 'open' | 'openToSide' | 'copy' | 'reveal';

export class SidebarView implements vscode.WebviewViewProvider, vscode.Disposable {
  static readonly viewId = 'codescout.sidebar';

  private view: vscode.WebviewView | undefined;
  /**
   * What the webview may open, by the ids it was given: those of the list each section shows now.
   * A list that replaces another takes the other's ids with it, so the ids of a search's results
   * stay good however often Related changes beside them (a bound on all ids once dropped them).
   */
  private shownTargets: { results: Map<string, FolderHit>; related: Map<string, FolderHit> } = { results: new Map(), related: new Map() };
  private nextId = 0;
  private searchSequence = 0;
  /** the answer "no folder is open", while it is the list shown */
  private noFolderAnswer: HostMessage | undefined;
  /** the last results and related lists, replayed when the webview (re)loads */
  private lastResults: HostMessage | undefined;
  private lastRelated: HostMessage | undefined;
  private readonly visibilityEmitter = new vscode.EventEmitter<boolean>();
  readonly onDidChangeVisibility = this.visibilityEmitter.event;
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(
    private readonly mediaRoot: vscode.Uri,
    private readonly engine: EngineClient,
    private readonly controller: IndexController,
    private readonly output: vscode.LogOutputChannel,
  ) {
    this.subscriptions.push(
      controller.onDidChange(() => this.postStatus()),
      engine.onDidChangeState(() => this.postStatus()),
    );
  }

  get visible(): boolean {
    return !!this.view?.visible;
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    const webview = view.webview;
    // media/ (the sidebar's script and style) and dist/webview/ (the web components and the codicon font)
    const components = vscode.Uri.joinPath(this.mediaRoot, '..', 'dist', 'webview');
    webview.options = { enableScripts: true, localResourceRoots: [this.mediaRoot, components] };
    webview.html = sidebarHtml({
      cspSource: webview.cspSource,
      nonce: randomBytes(18).toString('base64'),
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(this.mediaRoot, 'sidebar.js')).toString(),
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(this.mediaRoot, 'sidebar.css')).toString(),
      elementsUri: webview.asWebviewUri(vscode.Uri.joinPath(components, 'elements.js')).toString(),
      codiconsUri: webview.asWebviewUri(vscode.Uri.joinPath(components, 'codicon.css')).toString(),
    });
    webview.onDidReceiveMessage((raw: unknown) => {
      const message = parseWebviewMessage(raw);
      if (message) this.handle(message).catch((err: Error) => this.output.error(`sidebar: ${message.type} failed: ${err.message}`));
      else this.output.warn('The sidebar sent a message that is not valid; it was ignored.');
    });
    view.onDidChangeVisibility(() => this.visibilityEmitter.fire(view.visible));
    view.onDidDispose(() => {
      this.view = undefined;
      this.visibilityEmitter.fire(false);
    });
    this.visibilityEmitter.fire(view.visible);
  }

  /**
   * Shows a result list (from the palette search, or with `similar` Find Similar's, whose query
   * is the selection, not words: the search box is emptied) and reveals the sidebar.
   */
  showResults(query: string, result: QueryResult, similar = false): void {
    // a sidebar search still in flight must not replace this list when it answers
    ++this.searchSequence;
    const parsed = parseQuery(query);
    const { list, targets } = this.resultList(result.hits, queryTerms(result.searchedFor ?? parsed.text), result, similar ? undefined : parsed);
    if (similar && result.hits.length) list.notice = ['Code like the selection.', list.notice].filter(Boolean).join(' ');
    else if (similar) list.empty = 'No other indexed code is like the selection.'; // it said: Type to search the workspace.
    this.lastResults = resultsMessage(query, list, result.searchedFor, true);
    this.shownTargets.results = targets;
    this.post(this.lastResults);
    this.reveal();
  }

  /** Shows the related code of a definition; `undefined` clears the section (no definition at the cursor). */
  showRelated(answer: RelatedResult | undefined, error?: string): void {
    const hits = answer?.results ?? [];
    const { list, targets } = this.resultList(hits, [], { partial: answer?.partial ?? false, failures: [], lexicalOnly: false });
    this.lastRelated = { type: 'related', source: answer?.source.name ?? null, ...list, ...(error ? { error } : {}) };
    this.shownTargets.related = targets;
    this.post(this.lastRelated);
  }

  relatedLoading(): void {
    this.post({ type: 'relatedLoading' });
  }

  /** Reveals the sidebar without moving focus out of the editor. */
  reveal(): void {
    if (this.view) this.view.show(true);
    else void vscode.commands.executeCommand(`${SidebarView.viewId}.focus`);
  }

  dispose(): void {
    this.subscriptions.forEach((s) => s.dispose());
    this.visibilityEmitter.dispose();
  }

  /** Runs a result action (open, open to the side, copy its location, reveal its file) on a result the sidebar shows; an unknown id does nothing. */
  async resultAction(action: ResultAction, id: unknown): Promise<void> {
    const target = typeof id === 'string' ? (this.shownTargets.results.get(id) ?? this.shownTargets.related.get(id)) : undefined;
    if (!target) return;
    switch (action) {
      case 'open':
        return openLocation(target);
      case 'openToSide':
        return openLocation(target, { side: true });
      case 'copy':
        await vscode.env.clipboard.writeText(`${shownPath(target, this.controller.folderLabel(target.root))}:${target.startLine}`);
        void vscode.window.setStatusBarMessage('Code Scout: location copied', 2000);
        return;
      case 'reveal':
        return revealInExplorer(target);
    }
  }

  private async handle(message: WebviewMessage): Promise<void> {
    switch (message.type) {
      case 'ready':
        this.postStatus();
        if (this.lastResults) this.post(this.lastResults);
        if (this.lastRelated) this.post(this.lastRelated);
        return;
      case 'search':
        return this.search(message.query, message.language, message.path);
      case 'open':
        return this.resultAction(message.side ? 'openToSide' : 'open', message.id);
      case 'copy':
        return this.resultAction('copy', message.id);
      case 'reveal':
        return this.resultAction('reveal', message.id);
      case 'command':
        return this.runStatusCommand(message.command);
      case 'reindex':
        return this.runStatusCommand('reindex');
      case 'cancel':
        return this.runStatusCommand('cancel');
    }
  }

  /** An action a status offered (status-view.ts STATUS_ACTIONS), by its fixed command. */
  private async runStatusCommand(command: StatusCommand): Promise<void> {
    const id = STATUS_COMMAND_IDS.get(command);
    if (!id) {
      this.output.warn(`sidebar: no command for the status action ${JSON.stringify(command)}`);
      return;
    }
    try {
      await vscode.commands.executeCommand(id, ...(command === 'openSettings' ? ['codescout'] : []));
    } catch (err) {
      this.output.error(`${command} failed: ${(err as Error).message}`);
    }
  }

  private async search(input: string, language: string, path: string): Promise<void> {
    const id = ++this.searchSequence;
    const query = parseQuery(input);
    if (language) query.languages.push(language);
    if (path.trim()) query.paths.push(path.trim());
    if (!query.text.trim()) {
      this.lastResults = resultsMessage(input, { groups: [], partial: false });
      return this.post(this.lastResults);
    }
    const invalid = filterProblem(query);
    if (invalid) {
      this.lastResults = resultsMessage(input, { groups: [], partial: false, error: invalid });
      return this.post(this.lastResults);
    }
    if (this.controller.workspaceState().folderCount === 0) {
      this.lastResults = this.noFolderAnswer = resultsMessage(input, { groups: [], partial: false, empty: NO_FOLDER_TEXT });
      return this.post(this.lastResults);
    }
    this.post({ type: 'searching', query: input });
    let message: HostMessage;
    let targets = new Map<string, FolderHit>();
    try {
      const result = await this.engine.request(Search, { ...searchParams(query, this.controller.editorSettings.maxResults), previewLines: PREVIEW_LINES });
      // the corrected words are the ones the results contain
      const terms = queryTerms(result.searchedFor ?? query.text);
      const answer = this.resultList(result.hits, terms, result, query);
      targets = answer.targets;
      message = resultsMessage(input, answer.list, result.searchedFor);
    } catch (err) {
      message = resultsMessage(input, { groups: [], partial: false, error: `Search failed: ${(err as Error).message}` });
    }
    if (id !== this.searchSequence) return; // a newer search is on its way: the list shown keeps its ids
    this.lastResults = message;
    this.shownTargets.results = targets;
    this.post(message);
  }

  /** A list to show, with the ids it gives its results (they become openable once it is shown). */
  private resultList(hits: FolderHit[], terms: string[], result: Omit<QueryResult, 'hits'>, query?: ParsedQuery): { list: ResultList; targets: Map<string, FolderHit> } {
    const notices: string[] = [];
    if (result.lexicalOnly) notices.push('No embedding model is installed: results match words, not meaning.');
    for (const f of result.failures) notices.push(`${this.controller.folderLabel(f.root) ?? f.root} could not answer: ${f.message}`);
    const targets = new Map<string, FolderHit>();
    const items = hits.map((hit) => {
      const id = `r${++this.nextId}`;
      targets.set(id, hit);
      const folder = this.controller.folderLabel(hit.root);
      return { view: resultView(id, hit, terms, folder), path: shownPath(hit, folder) };
    });
    const empty = query && !hits.length ? emptyText(result.emptyBecause, query, nothingIndexed(this.controller.workspaceState())) : undefined;
    const list: ResultList = {
      groups: groupByFile(items),
      partial: result.partial,
      ...(notices.length ? { notice: notices.join(' ') } : {}),
      ...(result.weak ? { weak: weakReason(query) } : {}),
      ...(empty ? { empty } : {}),
    };
    return { list, targets };
  }

  private postStatus(): void {
    const state = this.controller.workspaceState();
    const noFolder = this.noFolderAnswer;
    if (noFolder?.type === 'results' && noFolder === this.lastResults && state.folderCount > 0) {
      // "no folder is open" no longer holds; the search is not run again by itself (it would start indexing)
      this.noFolderAnswer = undefined;
      this.lastResults = resultsMessage(noFolder.query, { groups: [], partial: false, empty: FOLDER_OPENED_TEXT });
      this.post(this.lastResults);
    }
    const view = statusView(state);
    const languages = [...new Set(state.folders.flatMap((f) => Object.keys(f.contents.languages)))];
    this.post({
      type: 'status',
      kind: view.kind,
      text: view.message,
      level: view.level,
      indexing: view.indexing,
      canReindex: view.canReindex,
      actions: view.actions,
      languages,
    });
  }

  private post(message: HostMessage): void {
    void this.view?.webview.postMessage(message);
  }
}
