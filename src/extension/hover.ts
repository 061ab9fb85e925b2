/**
 * "Related code" hovers on the name of a function or method: at its definition, or at a
 * call site that the language's definition provider resolves to an indexed definition. The
 * engine answers from its cached neighbours (no model inference), and a hover that cannot be
 * answered quickly is dropped rather than left waiting.
 */
import * as vscode from 'vscode';
import { Related, type RelatedResult } from '../protocol/protocol';
import { isHeaderLine } from './definition-header';
import type { EngineClient } from './engine-client';
import type { IndexController } from './index-controller';
import { kindIcon } from './kind-icons';
import type { LatencySamples } from './latency';
import type { CodeLocation } from './navigation';

/** The command hover links run; it takes one CodeLocation. */
export const OPEN_LOCATION_COMMAND = 'codescout.internal.openLocation';
const LINKS = 3;
/** A hover waits this long for the engine at most. */
const ENGINE_DEADLINE_MS = 300;
const IDENTIFIER = /[\p{L}_$][\p{L}\p{N}_$]*/u;

/** Where hover time goes: all of it, and the part spent waiting for the engine's answers. */
export interface HoverMetrics {
  /** hovers that showed related code: provideHover start to answer */
  hover: LatencySamples;
  /** the same hovers: time spent waiting for the engine (the rest is the language's definition provider) */
  hoverEngine: LatencySamples;
}

/** Definition-provider answers kept per document version and token, so a repeated hover skips the language server. */
const RESOLVED_ENTRIES = 256;

export class RelatedHoverProvider implements vscode.HoverProvider {
  private readonly resolved = new Map<string, vscode.Location[]>();

  constructor(
    private readonly engine: EngineClient,
    private readonly controller: IndexController,
    private readonly metrics: HoverMetrics,
  ) {}

  async provideHover(document: vscode.TextDocument, position: vscode.Position, token: vscode.CancellationToken): Promise<vscode.Hover | undefined> {
    if (!this.controller.editorSettings.hoverEnabled || !this.engine.isRunning) return undefined;
    const range = document.getWordRangeAtPosition(position, IDENTIFIER);
    if (!range) return undefined; // whitespace, punctuation
    const started = performance.now();
    const timing = { engineMs: 0 };
    const name = document.getText(range);
    const answer =
      (await this.atDefinition(document, position.line, name, timing)) ??
      (token.isCancellationRequested ? undefined : await this.atCallSite(document, range, name, timing));
    if (!answer?.results.length || token.isCancellationRequested) return undefined;
    const hover = new vscode.Hover(relatedMarkdown(answer, (root) => this.controller.folderLabel(root)), range);
    this.metrics.hover.record(performance.now() - started);
    this.metrics.hoverEngine.record(timing.engineMs);
    return hover;
  }

  /** The hovered name is the name of the definition whose header is on this line. */
  private async atDefinition(document: vscode.TextDocument, line: number, name: string, timing: Timing): Promise<RelatedResult | undefined> {
    const answer = await this.related(document.uri, line + 1, name, timing);
    return answer && isHeaderLine(document.lineAt(line).text, answer.source.signature) ? answer : undefined;
  }

  /** The hovered name resolves, through the language's definition provider, to an indexed definition of that name. */
  private async atCallSite(document: vscode.TextDocument, token: vscode.Range, name: string, timing: Timing): Promise<RelatedResult | undefined> {
    for (const definition of await this.definitions(document, token)) {
      const answer = await this.related(definition.uri, definition.range.start.line + 1, name, timing);
      if (answer) return answer;
    }
    return undefined;
  }

  private async definitions(document: vscode.TextDocument, token: vscode.Range): Promise<vscode.Location[]> {
    const key = `${document.uri.toString()}@${document.version}:${token.start.line}:${token.start.character}`;
    const known = this.resolved.get(key);
    if (known) return known;
    const found = await withDeadline(
      vscode.commands.executeCommand<(vscode.Location | vscode.LocationLink)[] | undefined>('vscode.executeDefinitionProvider', document.uri, token.start),
    ).catch(() => undefined); // no definition provider for this language, or it failed: no call-site hovers
    const locations = (found ?? []).map((d) => ('targetUri' in d ? new vscode.Location(d.targetUri, d.targetSelectionRange ?? d.targetRange) : d));
    if (found) {
      if (this.resolved.size >= RESOLVED_ENTRIES) this.resolved.delete(this.resolved.keys().next().value!);
      this.resolved.set(key, locations);
    }
    return locations;
  }

  private async related(uri: vscode.Uri, line: number, name: string, timing: Timing): Promise<RelatedResult | undefined> {
    const at = this.controller.locate(uri);
    if (!at) return undefined;
    const started = performance.now();
    try {
      return (await withDeadline(this.engine.request(Related, { root: at.root, path: at.path, line, top: LINKS, name }))) ?? undefined;
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

/** The hover's text: up to three related definitions as command links that open them. */
export function relatedMarkdown(answer: RelatedResult, folderLabel: (root: string) => string | undefined): vscode.MarkdownString {
  const md = new vscode.MarkdownString('', true);
  md.isTrusted = { enabledCommands: [OPEN_LOCATION_COMMAND] };
  md.appendMarkdown('**Related code** · Code Scout\n\n');
  for (const hit of answer.results.slice(0, LINKS)) {
    const at: CodeLocation = { root: hit.root, path: hit.path, startLine: hit.startLine, endLine: hit.endLine };
    const link = `command:${OPEN_LOCATION_COMMAND}?${encodeURIComponent(JSON.stringify([at]))}`;
    const label = folderLabel(hit.root);
    md.appendMarkdown(`- $(${kindIcon(hit.kind)}) [${escapeMarkdown(hit.name)}](${link} "Open ${escapeMarkdown(hit.path)}")`);
    md.appendMarkdown(` — ${escapeMarkdown(`${label ? `${label}/` : ''}${hit.path}:${hit.startLine}`)}\n`);
  }
  return md;
}

function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>"]/g, '\\$&');
}

function withDeadline<T>(work: Thenable<T>): Promise<T | undefined> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => resolve(undefined), ENGINE_DEADLINE_MS);
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
