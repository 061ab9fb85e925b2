/**
 * `Code Scout: Search Code`: a QuickPick with live results as you type (one search in flight at a
 * time), a preview of the active result that keeps focus in the picker, Enter to open, and a
 * button that sends the results to the sidebar. Also shows fixed result lists (related, similar).
 */
import { filterProblem, NO_FOLDER_TEXT } from './sidebar/empty-states';
import * as vscode from 'vscode';
import { Search, type FolderHit, type QueryResult } from '../protocol/protocol';
import type { EngineClient } from './engine-client';
import type { IndexController } from './index-controller';
import type { LatencySamples } from './latency';
import { labelText } from './display-text';
import { LatestOnly } from './latest-only';
import { openLocation, previewLocation } from './navigation';
import { parseQuery, searchParams } from './query-syntax';
import { hitItem, type HitItem } from './result-text';
import { resultTitle } from './result-title';
import { nothingIndexed } from './status-view';

/** Where a result list can be sent (the sidebar). */
export interface ResultSink {
  showResults(query: string, result: QueryResult): void;
}

export interface SearchMetrics {
  /** from the last keystroke to its results on screen (including the wait for a search still in flight) */
  timeToFirstResult: LatencySamples;
  /** from sending the query to its results on screen */
  searchLatency: LatencySamples;
}

const TO_SIDEBAR: vscode.QuickInputButton = { iconPath: new vscode.ThemeIcon('layout-sidebar-left'), tooltip: 'Show these results in the Code Scout sidebar' };

export class SearchPick {
  constructor(
    private readonly engine: EngineClient,
    private readonly controller: IndexController,
    private readonly sidebar: ResultSink,
    private readonly metrics: SearchMetrics,
    /** where an error in showing an answer is logged (the log channel) */
    private readonly logError: (message: string) => void,
  ) {}

  /** Opens the live search, starting from `initial` (e.g. the editor's selection). */
  show(initial = ''): void {
    const picker = new HitPicker(this.controller, 'Search code by meaning or by name — filters: lang:py path:src/**');
    const pick = picker.pick;
    /** when the value now in the box was typed: time to first result counts from there */
    let typedAt = 0;
    let last: { query: string; result: QueryResult } | undefined;

    // One search in flight at a time, sent as soon as the one before it is answered: no debounce to
    // wait out, and the engine is never sent more than one search by this picker however fast the
    // user types. Only the answer for the value now in the box is shown (latest-only.ts).
    const searches = new LatestOnly<string, { sentAt: number; result: QueryResult }>(
      async (value) => {
        const sentAt = performance.now();
        const result = await this.engine.request(Search, searchParams(parseQuery(value), this.controller.editorSettings.maxResults));
        return { sentAt, result };
      },
      (value, outcome) => {
        pick.busy = false;
        if (!outcome.ok) {
          last = undefined; // the list is empty: the sidebar button has nothing of it to show
          pick.items = [];
          pick.title = labelText(`Code Scout: ${outcome.error instanceof Error ? outcome.error.message : String(outcome.error)}`);
          return;
        }
        const { sentAt, result } = outcome.result;
        last = { query: value, result };
        picker.setHits(result.hits, true);
        pick.title = labelText(resultTitle(result, parseQuery(value), nothingIndexed(this.controller.workspaceState())));
        if (result.hits.length) {
          const now = performance.now();
          this.metrics.searchLatency.record(now - sentAt);
          this.metrics.timeToFirstResult.record(now - typedAt);
        }
      },
      Object.is,
      (error) => {
        this.logError(`showing the palette's results failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
        try {
          // the list may be the previous query's: say so, where the picker is still there to say it
          pick.busy = false;
          pick.title = labelText('Code Scout: showing the results failed (see the Code Scout log)');
        } catch {
          // the picker is gone: the log has it
        }
      },
    );

    let scheduled: string | undefined;
    const schedule = (value: string) => {
      if (value === scheduled) return; // setting the initial value may echo back as a change
      scheduled = value;
      typedAt = performance.now();
      const query = parseQuery(value);
      const invalid = query.text.trim() ? filterProblem(query) : undefined;
      if (!query.text.trim() || invalid || this.controller.workspaceState().folderCount === 0) {
        // answered here, at once: a search in flight is no longer wanted, and the list shown is none's
        searches.drop();
        last = undefined;
        pick.busy = false;
        pick.items = [];
        pick.title = query.text.trim() ? labelText(`Code Scout — ${invalid ?? NO_FOLDER_TEXT}`) : undefined;
        return;
      }
      pick.busy = true;
      searches.set(value);
    };
    pick.onDidChangeValue(schedule);
    pick.onDidTriggerButton(() => {
      if (!last) return;
      this.sidebar.showResults(last.query, last.result);
      pick.hide();
    });
    // an answer that arrives after the picker closed is neither shown nor timed (before the picker is disposed)
    picker.onHide(() => searches.drop());
    pick.value = initial;
    pick.show();
    if (initial) schedule(initial);
  }

  /** A fixed list of hits (related code, similar code), with the same preview and open behaviour. */
  showList(title: string, query: string, result: QueryResult): void {
    const picker = new HitPicker(this.controller, 'Type to filter');
    const pick = picker.pick;
    pick.title = labelText(title);
    pick.matchOnDescription = true;
    picker.setHits(result.hits, false);
    pick.onDidTriggerButton(() => {
      this.sidebar.showResults(query, result);
      pick.hide();
    });
    pick.show();
  }

}

/** A QuickPick of hits: previews the active hit without taking focus, opens the accepted one. */
class HitPicker {
  readonly pick = vscode.window.createQuickPick<HitItem>();
  /** the item a new list activates by itself: no preview until the user moves */
  private autoActive: HitItem | undefined;
  /** run when the picker hides, before it is disposed (a disposed event source need not call later listeners) */
  private readonly hidden: (() => void)[] = [];

  constructor(
    private readonly controller: IndexController,
    placeholder: string,
  ) {
    const pick = this.pick;
    pick.placeholder = placeholder;
    pick.matchOnDescription = false;
    pick.matchOnDetail = false;
    pick.buttons = [TO_SIDEBAR];
    pick.onDidChangeActive(([item]) => {
      if (item && item !== this.autoActive) void previewLocation(item.hit);
    });
    pick.onDidAccept(() => {
      const [item] = pick.selectedItems.length ? pick.selectedItems : pick.activeItems;
      if (!item) return;
      pick.hide();
      void openLocation(item.hit);
    });
    pick.onDidHide(() => {
      for (const handle of this.hidden.splice(0)) handle();
      pick.dispose();
    });
  }

  /** Runs `handle` when the picker hides, before it is disposed. */
  onHide(handle: () => void): void {
    this.hidden.push(handle);
  }

  /** `live` lists are ranked by the engine and never filtered by the QuickPick. */
  setHits(hits: FolderHit[], live: boolean): void {
    const items = hits.map((h) => hitItem(h, this.controller.folderLabel(h.root), live));
    this.autoActive = items[0];
    this.pick.items = items;
  }
}
