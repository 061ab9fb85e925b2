/**
 * The agent tools' backend in the extension: every call goes through the extension's engine
 * client to the engine process that already serves the editor, never a second index. Folder
 * statuses are the ones the extension already tracks (index-controller.ts).
 */
import type { AgentBackend } from '../agent/backend';
import type { StatusReport } from '../engine/engine';
import {
  DefinitionsNamed,
  Related,
  Search,
  Similar,
  Status,
  type DefinitionEntry,
  type FolderStatus,
  type NamedParams,
  type QueryParams,
  type QueryResult,
  type RelatedParams,
  type RelatedResult,
} from '../protocol/protocol';
import type { RequestParam, RequestType } from 'vscode-jsonrpc/node';

/** What the backend needs of the engine client (engine-client.ts EngineClient). */
export interface EngineRequests {
  /** starts the engine process unless it runs; resolves once it is configured */
  start(): Promise<unknown>;
  request<P, R>(type: RequestType<P, R, void>, params: RequestParam<P>): Promise<R>;
}

/** What the backend needs of the index controller: the latest status of every folder. */
export interface FolderStatuses {
  folders(): FolderStatus[];
}

/** A cancellation token (vscode.CancellationToken satisfies it). */
export interface Cancellation {
  readonly isCancellationRequested: boolean;
  onCancellationRequested(listener: () => void): { dispose(): void };
}

/** A backend call abandoned because its tool invocation was cancelled. */
export class CallCancelledError extends Error {
  constructor() {
    super('the tool call was cancelled');
  }
}

/** One tool invocation's view of the engine: its calls stop waiting once `token` is cancelled. */
export class EngineBackend implements AgentBackend {
  constructor(
    private readonly engine: EngineRequests,
    private readonly controller: FolderStatuses,
    private readonly token?: Cancellation,
  ) {}

  async statuses(): Promise<FolderStatus[]> {
    // a stopped engine (indexOnOpen off, or not yet started) has no statuses until it is configured
    if (this.token?.isCancellationRequested) throw new CallCancelledError();
    await this.unlessCancelled(this.engine.start());
    return this.controller.folders();
  }

  search(p: QueryParams): Promise<QueryResult> {
    return this.call(Search, p);
  }

  similar(p: QueryParams): Promise<QueryResult> {
    return this.call(Similar, p);
  }

  related(p: RelatedParams): Promise<RelatedResult | null> {
    return this.call(Related, p);
  }

  definitionsNamed(p: NamedParams): Promise<DefinitionEntry[]> {
    return this.call(DefinitionsNamed, p);
  }

  report(root: string): Promise<StatusReport> {
    return this.call(Status, { root });
  }

  private call<P, R>(type: RequestType<P, R, void>, params: RequestParam<P>): Promise<R> {
    if (this.token?.isCancellationRequested) return Promise.reject(new CallCancelledError());
    return this.unlessCancelled(this.engine.request(type, params));
  }

  /**
   * The answer, or a CallCancelledError as soon as the invocation is cancelled. The engine
   * finishes the request anyway (its requests are short and have no cancellation); its late
   * answer is dropped.
   */
  private unlessCancelled<T>(answer: Promise<T>): Promise<T> {
    const token = this.token;
    if (!token) return answer;
    if (token.isCancellationRequested) return Promise.reject(new CallCancelledError());
    return new Promise<T>((resolve, reject) => {
      const listener = token.onCancellationRequested(() => reject(new CallCancelledError()));
      answer.then(resolve, reject).finally(() => listener.dispose());
    });
  }
}
