/**
 * "Related code" hovers on the name of a function or method: at its definition, and, with the
 * setting `codescout.hover.callSites` (off by default), where it is used. The definitions of visible files, with their related code, are cached in the
 * extension host (DefinitionCache), so a hover at a definition or at a use of a definition of
 * the same file answers without a request. Other uses go to the language's definition
 * provider, and when it does not answer within a few milliseconds, to the index's
 * definitions of that name; the engine answers from stored neighbours (never the model), and
 * a hover it cannot answer quickly is dropped rather than left waiting.
 */
import * as vscode from 'vscode';
import { DefinitionsNamed, Related, type DefinitionEntry, type RelatedLink } from '../protocol/protocol';
import type { DefinitionCache } from './definition-cache';
import type { EngineClient } from './engine-client';
import { containing, definitionHere, inCommentOrString, isMemberAccess, onlyNamed, resolveByName } from './hover-lookup';
import type { FolderLocation, IndexController } from './index-controller';
import type { LatencySamples } from './latency';
import { HOVER_LINKS, OPEN_LOCATION_COMMAND, relatedMarkdownValue } from './result-text';

/** A hover waits this long for the engine at most. */
const ENGINE_DEADLINE_MS = 300;
/** A hover waits this long for the language's definition provider before it resolves the name from the index. */
const DEFINITION_PROVIDER_WAIT_MS = 10;
const IDENTIFIER = /[\p{L}_$][\p{L}\p{N}_$]*/u;

/** Where hover time goes: all of it, and the part spent waiting for the engine's answers. */
export interface HoverMetrics {
  /** hovers that showed related code: provideHover start to answer */
  hover: LatencySamples;
  /** the same hovers: time spent waiting for the engine (the rest is mostly the language's definition provider) */
  hoverEngine: LatencySamples;
}

/** Definition-provider answers kept per document version and token, so a repeated hover skips the language server. */
const RESOLVED_ENTRIES = 256;

export class RelatedHoverProvider implements vscode.HoverProvider {
  private readonly resolved = new Map<string, vscode.Location[]>();

  constructor(
    private readonly engine: EngineClient,
    private readonly controller: IndexController,
    private readonly definitions: DefinitionCache,
    private readonly metrics: HoverMetrics,
  ) {}

  async provideHover(document: vscode.TextDocument, position: vscode.Position, token: vscode.CancellationToken): Promise<vscode.Hover | undefined> {
    if (!this.controller.editorSettings.hoverEnabled || !this.engine.isRunning) return undefined;
    const range = document.getWordRangeAtPosition(position, IDENTIFIER);
    if (!range) return undefined; // whitespace, punctuation
    const started = performance.now();
    const timing = { engineMs: 0 };
    const links = await this.relatedTo(document, range, timing);
    if (!links?.length || token.isCancellationRequested) return undefined;
    const hover = new vscode.Hover(relatedMarkdown(links, (root) => this.controller.folderLabel(root)), range);
    this.metrics.hover.record(performance.now() - started);
    this.metrics.hoverEngine.record(timing.engineMs);
    return hover;
  }

  /** The related code of the definition the word at `range` names, if it names one. */
  private async relatedTo(document: vscode.TextDocument, range: vscode.Range, timing: Timing): Promise<RelatedLink[] | undefined> {
    const name = document.getText(range);
    const lineText = document.lineAt(range.start.line).text;
    const at = this.controller.locate(document.uri);
    const here = at && (await this.fileDefinitions(at, timing));
    const own = here && definitionHere(here, range.start.line + 1, name, lineText);
    if (own) return own.related;
    // a use of a name is resolved through the language's definition provider or the index by
    // name, within deadlines: often right, not always shown, so only when the user asks for it
    if (!this.controller.editorSettings.hoverCallSites) return undefined;
    if (inCommentOrString(lineText, range.start.character, document.languageId)) return undefined;
    // `x.name` depends on the type of x: only the language knows which definition it is
    const member = isMemberAccess(lineText, range.start.character);
    const local = !member && here ? onlyNamed(here, name) : undefined;
    if (local) return local.related;
    return this.atUse(document, range, name, member ? undefined : at, timing);
  }

  /** A use of the name: where the language's definition provider says it is defined, or its only definition in the index. */
  private async atUse(document: vscode.TextDocument, range: vscode.Range, name: string, byName: FolderLocation | undefined, timing: Timing): Promise<RelatedLink[] | undefined> {
    const key = `${document.uri.toString()}@${document.version}:${range.start.line}:${range.start.character}`;
    const known = this.resolved.get(key);
    if (known) return this.atLocations(known, name, timing);
    // asked at the same time, so that a slow language server costs the hover no more than the wait
    const named = byName && this.named(name, byName, timing);
    const locations = await withDeadline(this.resolve(document, range.start, key), DEFINITION_PROVIDER_WAIT_MS);
    return locations ? this.atLocations(locations, name, timing) : named;
  }

  /** The language's definitions of the word at `position` (cached once known); none when the language has no provider or it failed. */
  private async resolve(document: vscode.TextDocument, position: vscode.Position, key: string): Promise<vscode.Location[]> {
    try {
      const found = await vscode.commands.executeCommand<(vscode.Location | vscode.LocationLink)[] | undefined>(
        'vscode.executeDefinitionProvider',
        document.uri,
        position,
      );
      const locations = (found ?? []).map((d) => ('targetUri' in d ? new vscode.Location(d.targetUri, d.targetSelectionRange ?? d.targetRange) : d));
      if (this.resolved.size >= RESOLVED_ENTRIES) this.resolved.delete(this.resolved.keys().next().value!);
      this.resolved.set(key, locations);
      return locations;
    } catch {
      return [];
    }
  }

  private async atLocations(locations: vscode.Location[], name: string, timing: Timing): Promise<RelatedLink[] | undefined> {
    for (const location of locations) {
      const at = this.controller.locate(location.uri);
      if (!at) continue;
      const line = location.range.start.line + 1;
      const cached = this.definitions.peek(at);
      const links = cached ? containing(cached, line, name)?.related : await this.related(at, line, name, timing);
      if (links) return links;
    }
    return undefined;
  }

  private async fileDefinitions(at: FolderLocation, timing: Timing): Promise<DefinitionEntry[] | undefined> {
    return this.definitions.peek(at) ?? (await this.waitForEngine(timing, () => this.definitions.get(at)));
  }

  private async related(at: FolderLocation, line: number, name: string, timing: Timing): Promise<RelatedLink[] | undefined> {
    const answer = await this.waitForEngine(timing, () => this.engine.request(Related, { root: at.root, path: at.path, line, top: HOVER_LINKS, name }));
    return answer?.results;
  }

  /** The one definition of `name` in the index (preferring the folder of `from`). */
  private async named(name: string, from: FolderLocation, timing: Timing): Promise<RelatedLink[] | undefined> {
    const entries = await this.waitForEngine(timing, () => this.engine.request(DefinitionsNamed, { name, top: HOVER_LINKS }));
    return entries && resolveByName(entries, from.root)?.related;
  }

  /** An engine answer within the deadline, or none; the time spent is the hover's engine time. */
  private async waitForEngine<T>(timing: Timing, ask: () => Thenable<T>): Promise<T | undefined> {
    const started = performance.now();
    try {
      return await withDeadline(ask(), ENGINE_DEADLINE_MS);
    } catch {
      return undefined; // a hover is not the place to report an engine failure: the status bar does
    } finally {
      timing.engineMs += performance.now() - started;
    }
  }
}

interface Timing {
  engineMs: number;
}

/** The hover's text: up to three related definitions as command links that open them (relatedMarkdownValue). */
export function relatedMarkdown(links: RelatedLink[], folderLabel: (root: string) => string | undefined): vscode.MarkdownString {
  const md = new vscode.MarkdownString(relatedMarkdownValue(links, folderLabel), true);
  md.isTrusted = { enabledCommands: [OPEN_LOCATION_COMMAND] };
  return md;
}

/** `work`'s value, or undefined when it takes longer than `ms`. */
function withDeadline<T>(work: Thenable<T>, ms: number): Promise<T | undefined> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => resolve(undefined), ms);
    work.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}
