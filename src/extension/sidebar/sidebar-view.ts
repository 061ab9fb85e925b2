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
import { openLocation } from '../navigation';
import { parseQuery, searchParams } from '../query-syntax';
import { statusView } from '../status-view';
import { sidebarHtml } from './html';
import { parseWebviewMessage, resultsMessage, type HostMessage, type ResultList, type WebviewMessage } from './messages';
import { queryTerms, resultView } from './result-view';

export class SidebarView implements vscode.WebviewViewProvider, vscode.Disposable {
  static readonly viewId = 'codescout.sidebar';

  private view: vscode.WebviewView | undefined;
  /** what the webview may open, by the ids it was given */
  private readonly targets = new Map<string, FolderHit>();
  private nextId = 0;
  private searchSequence = 0;
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
    private readonly output: vscode.OutputChannel,
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
    webview.options = { enableScripts: true, localResourceRoots: [this.mediaRoot] };
    webview.html = sidebarHtml({
      cspSource: webview.cspSource,
      nonce: randomBytes(18).toString('base64'),
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(this.mediaRoot, 'sidebar.js')).toString(),
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(this.mediaRoot, 'sidebar.css')).toString(),
    });
    webview.onDidReceiveMessage((raw: unknown) => {
      const message = parseWebviewMessage(raw);
      if (message) void this.handle(message);
      else this.output.appendLine('The sidebar sent a message that is not valid; it was ignored.');
    });
    view.onDidChangeVisibility(() => this.visibilityEmitter.fire(view.visible));
    view.onDidDispose(() => {
      this.view = undefined;
      this.visibilityEmitter.fire(false);
    });
    this.visibilityEmitter.fire(view.visible);
  }

  /** Shows a result list (from the palette search or Find Similar) and reveals the sidebar. */
  showResults(query: string, result: QueryResult): void {
    const list = this.resultList(result.hits, queryTerms(result.searchedFor ?? query), result);
    this.lastResults = resultsMessage(query, list, result.searchedFor, true);
    this.post(this.lastResults);
    this.reveal();
  }

  /** Shows the related code of a definition; `undefined` clears the section (no definition at the cursor). */
  showRelated(answer: RelatedResult | undefined, error?: string): void {
    const hits = answer?.results ?? [];
    const list = this.resultList(hits, [], { partial: answer?.partial ?? false, failures: [], lexicalOnly: false });
    this.lastRelated = { type: 'related', source: answer?.source.name ?? null, ...list, ...(error ? { error } : {}) };
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

  private async handle(message: WebviewMessage): Promise<void> {
    switch (message.type) {
      case 'ready':
        this.postStatus();
        if (this.lastResults) this.post(this.lastResults);
        if (this.lastRelated) this.post(this.lastRelated);
        return;
      case 'search':
        return this.search(message.query, message.language, message.path);
      case 'open': {
        const target = this.targets.get(message.id);
        if (target) await openLocation(target);
        return;
      }
      case 'reindex':
        return this.controller.reindex().catch((err: Error) => this.output.appendLine(`reindex failed: ${err.message}`));
      case 'cancel':
        return this.controller.cancel().catch((err: Error) => this.output.appendLine(`cancel failed: ${err.message}`));
    }
  }

  private async search(input: string, language: string, path: string): Promise<void> {
    const id = ++this.searchSequence;
    const query = parseQuery(input);
    if (language) query.languages.push(language);
    if (path.trim()) query.paths.push(path.trim());
    if (!query.text.trim()) {
      this.lastResults = resultsMessage(input, { items: [], partial: false });
      return this.post(this.lastResults);
    }
    this.post({ type: 'searching', query: input });
    let message: HostMessage;
    try {
      const result = await this.engine.request(Search, searchParams(query, this.controller.editorSettings.maxResults));
      // the corrected words are the ones the results contain
      const terms = queryTerms(result.searchedFor ?? query.text);
      message = resultsMessage(input, this.resultList(result.hits, terms, result), result.searchedFor);
    } catch (err) {
      message = resultsMessage(input, { items: [], partial: false, error: `Search failed: ${(err as Error).message}` });
    }
    if (id !== this.searchSequence) return; // a newer search is on its way
    this.lastResults = message;
    this.post(message);
  }

  private resultList(hits: FolderHit[], terms: string[], result: Omit<QueryResult, 'hits'>): ResultList {
    const notices: string[] = [];
    if (result.lexicalOnly) notices.push('No embedding model is installed: results match words, not meaning.');
    for (const f of result.failures) notices.push(`${this.controller.folderLabel(f.root) ?? f.root} could not answer: ${f.message}`);
    const items = hits.map((hit) => {
      const id = `r${++this.nextId}`;
      this.targets.set(id, hit);
      return resultView(id, hit, terms, this.controller.folderLabel(hit.root));
    });
    this.forgetStaleTargets();
    return { items, partial: result.partial, ...(notices.length ? { notice: notices.join(' ') } : {}) };
  }

  /** Keeps the id map bounded: only ids of recent lists stay openable. */
  private forgetStaleTargets(): void {
    const keep = 500;
    for (const id of this.targets.keys()) {
      if (this.targets.size <= keep) break;
      this.targets.delete(id);
    }
  }

  private postStatus(): void {
    const folders = this.controller.folders();
    const view = statusView(this.controller.workspaceState());
    const languages = [...new Set(folders.flatMap((f) => Object.keys(f.contents.languages)))];
    this.post({ type: 'status', text: view.plain, level: view.level, indexing: view.indexing, languages });
  }

  private post(message: HostMessage): void {
    void this.view?.webview.postMessage(message);
  }
}
