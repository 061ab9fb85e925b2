/**
 * Every workspace folder the engine process serves, keyed by absolute root path: opens,
 * reopens and closes folder indexes as the editor's configuration changes, and fans queries
 * out over the folders.
 */
import { mergeEmptyBecause, type EmptyBecause } from '../engine/search/filters';
import { isDeepStrictEqual } from 'node:util';
import type { AgentBackend } from '../agent/backend';
import type { StatusReport } from '../engine/engine';
import type {
  ConfigureParams,
  DefinitionEntry,
  DefinitionsParams,
  DefinitionsResult,
  FolderHit,
  FolderStatus,
  NamedParams,
  QueryParams,
  QueryResult,
  RelatedParams,
  RelatedResult,
} from '../protocol/protocol';
import { FolderIndex, type FolderEvents } from './folder-index';

export class UnknownFolderError extends Error {
  constructor(root: string) {
    super(`the engine process does not serve the folder ${root}`);
  }
}

/** Also the agent tools' backend (src/agent/backend.ts), in the engine process and in `codescout mcp`. */
export class Workspace implements AgentBackend {
  private readonly folders = new Map<string, FolderIndex>();
  /** configure calls run one after another */
  private configuring: Promise<unknown> = Promise.resolve();
  /** configure calls not yet done: folders may be missing from the map meanwhile (closed, to be reopened) */
  private configures = 0;

  constructor(private readonly events: FolderEvents) {}

  /**
   * Serves exactly `params.folders`: new folders are opened, removed ones closed, and folders
   * whose options changed are closed and reopened (an open Engine's options are fixed). A
   * reopened folder that was being indexed is indexed again; with `indexOnOpen`, so is a kept
   * folder that no refresh was asked for (the setting was just turned on).
   */
  configure(params: ConfigureParams): Promise<FolderStatus[]> {
    this.configures++;
    const run = this.configuring.then(() => this.apply(params)).finally(() => this.configures--);
    this.configuring = run.catch(() => undefined);
    return run;
  }

  private async apply(params: ConfigureParams): Promise<FolderStatus[]> {
    const wanted = new Map(params.folders.map((f) => [f.root, f]));
    const reopen = new Set<string>();
    const closing: Promise<void>[] = [];
    for (const [root, folder] of this.folders) {
      const spec = wanted.get(root);
      if (spec && isDeepStrictEqual(spec.options, folder.options)) {
        folder.name = spec.name;
        // indexing on open was turned on: the folders opened without it are indexed now, as on open
        if (params.indexOnOpen && !folder.askedToRefresh) folder.requestRefresh('open');
        continue;
      }
      if (spec && folder.followsChanges) reopen.add(root);
      this.folders.delete(root);
      closing.push(folder.close());
    }
    await Promise.all(closing);
    for (const spec of params.folders) {
      if (this.folders.has(spec.root)) continue;
      this.folders.set(spec.root, new FolderIndex(spec, this.events, params.indexOnOpen || reopen.has(spec.root)));
    }
    return [...this.folders.values()].map((f) => f.status());
  }

  /**
   * Refreshes the selected folders; a folder whose index could not be opened is opened again
   * first. After a configure in progress: a folder it closes to reopen is not served meanwhile,
   * and a Reindex sent right after a settings change was lost for it.
   */
  async reindex(root?: string): Promise<void> {
    await this.configuring;
    for (const folder of this.select(root)) {
      if (!folder.openFailed) {
        folder.requestRefresh('user');
        continue;
      }
      const spec = { root: folder.root, name: folder.name, options: folder.options };
      this.folders.set(folder.root, new FolderIndex(spec, this.events, true));
      folder.close().catch((err: Error) => this.events.log(`closing the index of ${folder.root} failed: ${err.message}`, 'warn'));
    }
  }

  get(root: string): FolderIndex {
    const folder = this.folders.get(root);
    if (!folder) throw new UnknownFolderError(root);
    return folder;
  }

  /** Stops the selected folders' refreshes (FolderIndex.cancel), after a configure in progress (see {@link reindex}). */
  async cancel(root?: string): Promise<void> {
    await this.configuring;
    for (const folder of this.select(root)) folder.cancel();
  }

  /** The named folder, or every folder. */
  select(root?: string): FolderIndex[] {
    return root === undefined ? [...this.folders.values()] : [this.get(root)];
  }

  /**
   * Searches the selected folders and merges their hits by score. A search that some folder
   * corrected reports the first such folder's text (folders correct against their own index, so
   * they may differ; see QueryResult.searchedFor).
   */
  async query(kind: 'search' | 'similar', p: QueryParams): Promise<QueryResult> {
    const folders = this.select(p.root);
    const answers = await Promise.allSettled(folders.map((f) => f[kind](p)));
    const hits: FolderHit[] = [];
    const failures: QueryResult['failures'] = [];
    const answered: FolderStatus[] = [];
    let searchedFor: string | undefined;
    let weak = true;
    const empty: (EmptyBecause | undefined)[] = [];
    answers.forEach((a, i) => {
      if (a.status === 'fulfilled') {
        hits.push(...a.value.hits);
        searchedFor ??= a.value.searchedFor;
        // a folder with hits that are not weak makes the whole answer strong
        if (a.value.hits.length && !a.value.weak) weak = false;
        empty.push(a.value.emptyBecause);
        answered.push(folders[i].status());
      } else {
        failures.push({ root: folders[i].root, message: (a.reason as Error).message });
      }
    });
    hits.sort((a, b) => b.score - a.score);
    const emptyBecause = mergeEmptyBecause(empty);
    return {
      hits: hits.slice(0, p.top),
      partial: answered.some((s) => s.partial),
      lexicalOnly: answered.length > 0 && answered.every((s) => s.mode === 'lexical-only'),
      failures,
      ...(kind === 'search' && searchedFor !== undefined ? { searchedFor } : {}),
      ...(kind === 'search' && weak && hits.length ? { weak: true as const } : {}),
      ...(kind === 'search' && !hits.length && emptyBecause ? { emptyBecause } : {}),
    };
  }

  /** Whether a folder is being opened or refreshed, or the folders are being configured. */
  get busy(): boolean {
    return this.configures > 0 || [...this.folders.values()].some((f) => f.busy);
  }

  /** Whether every folder's index is ready (FolderIndex.ready). */
  get ready(): boolean {
    return [...this.folders.values()].every((f) => f.ready);
  }

  /** The status of every folder, in the order they were opened. */
  async statuses(): Promise<FolderStatus[]> {
    return [...this.folders.values()].map((f) => f.status());
  }

  search(p: QueryParams): Promise<QueryResult> {
    return this.query('search', p);
  }

  similar(p: QueryParams): Promise<QueryResult> {
    return this.query('similar', p);
  }

  related(p: RelatedParams): Promise<RelatedResult | null> {
    return this.get(p.root).related(p);
  }

  definitions(p: DefinitionsParams): Promise<DefinitionsResult> {
    return this.get(p.root).definitions(p.path, p.top);
  }

  /** The definitions named `p.name` in the selected folders; a folder that cannot answer has none. */
  async definitionsNamed(p: NamedParams): Promise<DefinitionEntry[]> {
    const answers = await Promise.allSettled(this.select(p.root).map((f) => f.definitionsNamed(p.name, p.top)));
    return answers.flatMap((a) => (a.status === 'fulfilled' ? a.value : []));
  }

  report(root: string): Promise<StatusReport> {
    return this.get(root).report();
  }

  async close(): Promise<void> {
    const folders = [...this.folders.values()];
    this.folders.clear();
    await Promise.all(folders.map((f) => f.close()));
  }
}
