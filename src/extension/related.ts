/**
 * Related code: the sidebar's Related section follows the cursor (debounced, only while the
 * sidebar is visible); `Show Related Code` shows the function at the cursor's neighbours in
 * the sidebar and a QuickPick; `Find Similar to Selection` searches code like the selection.
 */
import { selectedLines } from './selection-lines';
import * as vscode from 'vscode';
import { Related, Similar, type RelatedResult } from '../protocol/protocol';
import type { EngineClient } from './engine-client';
import type { IndexController } from './index-controller';
import type { SearchPick } from './search-pick';
import type { SidebarView } from './sidebar/sidebar-view';

const FOLLOW_DELAY_MS = 300;
const RELATED_TOP = 10;

export class RelatedCode implements vscode.Disposable {
  private timer: NodeJS.Timeout | undefined;
  /** the definition the Related section shows, to skip lookups while the cursor stays inside it */
  private shown: { uri: string; startLine: number; endLine: number } | undefined;
  private sequence = 0;
  private readonly subscriptions: vscode.Disposable[];

  constructor(
    private readonly engine: EngineClient,
    private readonly controller: IndexController,
    private readonly sidebar: SidebarView,
    private readonly picker: SearchPick,
  ) {
    this.subscriptions = [
      vscode.window.onDidChangeTextEditorSelection((e) => this.schedule(e.textEditor)),
      vscode.window.onDidChangeActiveTextEditor((editor) => editor && this.schedule(editor)),
      sidebar.onDidChangeVisibility((visible) => {
        this.shown = undefined;
        const editor = vscode.window.activeTextEditor;
        if (visible && editor) this.schedule(editor);
      }),
      controller.onDidChange(() => (this.shown = undefined)), // the index changed: neighbours may have too
      // the cursor's moves while the engine started were not followed: the section said "Place the
      // cursor in a function" with the cursor in one, until it moved
      engine.onDidChangeState((state) => {
        if (state !== 'running') return;
        this.shown = undefined;
        const editor = vscode.window.activeTextEditor;
        if (editor) this.schedule(editor);
      }),
    ];
  }

  /** `Code Scout: Show Related Code`: the sidebar's Related section and a QuickPick. */
  async showAtCursor(): Promise<void> {
    const editor = vscode.window.activeTextEditor;
    if (!editor) return void vscode.window.showInformationMessage('Code Scout: open a file and place the cursor in a function.');
    const answer = await this.lookup(editor.document.uri, editor.selection.active.line + 1);
    if (!answer) return void vscode.window.showInformationMessage('Code Scout: no indexed function at the cursor.');
    this.sidebar.showRelated(answer);
    this.sidebar.reveal();
    this.picker.showList(`Code related to ${answer.source.name}`, answer.source.name, {
      hits: answer.results,
      partial: answer.partial,
      lexicalOnly: false,
      failures: [],
    });
  }

  /** `Code Scout: Find Similar to Selection`: code like the selected text, in a QuickPick and the sidebar. */
  async findSimilar(): Promise<void> {
    const editor = vscode.window.activeTextEditor;
    const text = editor?.document.getText(editor.selection).trim();
    if (!editor || !text) return void vscode.window.showInformationMessage('Code Scout: select some code first.');
    const at = this.controller.locate(editor.document.uri);
    // the selection itself is indexed: the engine leaves out the code that overlaps it, so that it
    // takes none of the places asked for. Not in an editor with unsaved changes, whose lines need
    // not be the indexed ones (other code would be left out, and the selection not). A selection
    // that ends at the start of a line (a triple click, Shift+Down) does not hold that line.
    const exclude = at && !editor.document.isDirty ? { root: at.root, path: at.path, ...selectedLines(editor.selection.start, editor.selection.end) } : undefined;
    const result = await this.engine.request(Similar, { text, top: this.controller.editorSettings.maxResults, ...(exclude && { exclude }) });
    this.sidebar.showResults('', result, true);
    this.picker.showList(`Code Scout — ${result.hits.length} results similar to the selection`, '', result);
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.subscriptions.forEach((s) => s.dispose());
  }

  private schedule(editor: vscode.TextEditor): void {
    if (!this.sidebar.visible || !this.engine.isRunning) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.follow(editor), FOLLOW_DELAY_MS);
  }

  private async follow(editor: vscode.TextEditor): Promise<void> {
    if (editor !== vscode.window.activeTextEditor) return;
    const uri = editor.document.uri.toString();
    const line = editor.selection.active.line + 1;
    const shown = this.shown;
    if (shown && shown.uri === uri && shown.startLine <= line && line <= shown.endLine) return;
    const id = ++this.sequence;
    this.sidebar.relatedLoading();
    try {
      const answer = await this.lookup(editor.document.uri, line);
      if (id !== this.sequence) return;
      this.shown = answer ? { uri, startLine: answer.source.startLine, endLine: answer.source.endLine } : undefined;
      this.sidebar.showRelated(answer);
    } catch (err) {
      if (id === this.sequence) this.sidebar.showRelated(undefined, `Related code is unavailable: ${(err as Error).message}`);
    }
  }

  private async lookup(uri: vscode.Uri, line: number): Promise<RelatedResult | undefined> {
    const at = this.controller.locate(uri);
    if (!at) return undefined;
    return (await this.engine.request(Related, { root: at.root, path: at.path, line, top: RELATED_TOP })) ?? undefined;
  }
}
