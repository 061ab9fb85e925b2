/**
 * How results read in the editor's own widgets, built from repository content made safe for
 * each (see display-text.ts): palette QuickPick items, and the Markdown of the related-code
 * hover with its command links. Pure, so both can be tested without the editor.
 */
import type * as vscode from 'vscode';
import type { FolderHit, RelatedLink } from '../protocol/protocol';
import { codeLine, commandUri, labelText, markdownText } from './display-text';
import { kindIcon } from './kind-icons';
import type { CodeLocation } from './workspace-path';

/** The command hover links run; it takes one CodeLocation. */
export const OPEN_LOCATION_COMMAND = 'codescout.internal.openLocation';
/** Related links a hover shows. */
export const HOVER_LINKS = 3;

export interface HitItem extends vscode.QuickPickItem {
  hit: FolderHit;
}

/**
 * A QuickPick item: kind icon and name; container and `path:line`; the first line of code.
 * `alwaysShow` keeps an engine-ranked list from being filtered again by the QuickPick.
 */
export function hitItem(hit: FolderHit, folderLabel: string | undefined, alwaysShow: boolean): HitItem {
  const where = `${folderLabel ? `${folderLabel}/` : ''}${hit.path}:${hit.startLine}`;
  return {
    hit,
    label: `$(${kindIcon(hit.kind)}) ${labelText(hit.name)}`,
    description: labelText(hit.container ? `${hit.container} · ${where}` : where),
    detail: labelText(codeLine((hit.snippet || hit.signature).trim())),
    alwaysShow,
  };
}

/**
 * The hover's Markdown (for a MarkdownString with theme icons, trusted to run only
 * OPEN_LOCATION_COMMAND): a heading, then up to HOVER_LINKS related definitions, one list item
 * each, as command links that open them.
 */
export function relatedMarkdownValue(links: readonly RelatedLink[], folderLabel: (root: string) => string | undefined): string {
  let md = '**Related code** · Code Scout\n\n';
  for (const hit of links.slice(0, HOVER_LINKS)) {
    const at: CodeLocation = { root: hit.root, path: hit.path, startLine: hit.startLine, endLine: hit.endLine };
    const label = folderLabel(hit.root);
    const title = markdownText(`Open ${hit.path}`); // its `"` are escaped too
    md += `- $(${kindIcon(hit.kind)}) [${markdownText(hit.name)}](${commandUri(OPEN_LOCATION_COMMAND, [at])} "${title}")`;
    md += ` — ${markdownText(`${label ? `${label}/` : ''}${hit.path}:${hit.startLine}`)}\n`;
  }
  return md;
}
