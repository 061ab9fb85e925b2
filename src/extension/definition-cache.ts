/**
 * The definitions of the files shown in editors, with their related code, kept in the
 * extension host so that hovers answer without a request. The engine computes them for each
 * visible file once its folder is indexed, again after the folder's index changes (a new
 * generation), and they are dropped when the engine process stops or restarts.
 */
import * as vscode from 'vscode';
import { Definitions, type DefinitionEntry } from '../protocol/protocol';
import type { EngineClient } from './engine-client';
import type { FolderLocation, IndexController } from './index-controller';

/** Files kept; the least recently fetched go first. */
const FILES_KEPT = 200;

interface CachedFile {
  generation: number;
  definitions: DefinitionEntry[];
}

export class DefinitionCache implements vscode.Disposable {
  private readonly files = new Map<string, CachedFile>();
  /** requests in flight, by generation and file: a hover and a prefetch share one */
  private readonly pending = new Map<string, Promise<DefinitionEntry[]>>();
  private readonly subscriptions: vscode.Disposable[];

  /** @param top related links per definition */
  constructor(
    private readonly engine: EngineClient,
    private readonly controller: IndexController,
    private readonly top: number,
  ) {
    this.subscriptions = [
      vscode.window.onDidChangeVisibleTextEditors(() => this.prefetchVisible()),
      controller.onDidChange(() => this.prefetchVisible()),
      engine.onDidChangeState(() => {
        this.files.clear(); // generations count from zero in a new process
        this.pending.clear();
      }),
    ];
  }

  /** The file's definitions if they are cached for its folder's current index. */
  peek(at: FolderLocation): DefinitionEntry[] | undefined {
    const cached = this.files.get(fileKey(at));
    return cached && cached.generation === this.generation(at.root) ? cached.definitions : undefined;
  }

  /** The file's definitions: cached, or asked of the engine (one request per file at a time). */
  get(at: FolderLocation): Promise<DefinitionEntry[]> {
    const known = this.peek(at);
    if (known) return Promise.resolve(known);
    const key = `${this.generation(at.root)}\0${fileKey(at)}`;
    let request = this.pending.get(key);
    if (!request) {
      request = this.fetch(at).finally(() => this.pending.delete(key));
      this.pending.set(key, request);
    }
    return request;
  }

  dispose(): void {
    this.subscriptions.forEach((s) => s.dispose());
  }

  /** Asks for the definitions of every visible file in a folder whose index is complete. */
  private prefetchVisible(): void {
    if (!this.engine.isRunning || !this.controller.editorSettings.hoverEnabled) return;
    for (const editor of vscode.window.visibleTextEditors) {
      const at = this.controller.locate(editor.document.uri);
      const folder = at && this.controller.status(at.root);
      if (!at || folder?.state !== 'ready' || folder.partial || this.peek(at)) continue;
      this.get(at).catch(() => undefined); // a hover asks again, and the status bar reports engine failures
    }
  }

  private async fetch(at: FolderLocation): Promise<DefinitionEntry[]> {
    const answer = await this.engine.request(Definitions, { root: at.root, path: at.path, top: this.top });
    if (answer.settled && answer.generation === this.generation(at.root)) {
      const key = fileKey(at);
      this.files.delete(key);
      this.files.set(key, { generation: answer.generation, definitions: answer.definitions });
      if (this.files.size > FILES_KEPT) this.files.delete(this.files.keys().next().value!);
    }
    return answer.definitions;
  }

  private generation(root: string): number | undefined {
    return this.controller.status(root)?.generation;
  }
}

function fileKey(at: FolderLocation): string {
  return `${at.root}\0${at.path}`;
}
