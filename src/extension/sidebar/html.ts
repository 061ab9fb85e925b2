/**
 * The sidebar webview's document: static markup only, a strict Content Security Policy that
 * runs nothing but the nonce-tagged scripts (the web components of @vscode-elements/elements and
 * media/sidebar.js), and no inline handlers or styles. Results are added by media/sidebar.js with
 * DOM APIs.
 */
export interface SidebarAssets {
  /** the webview's `cspSource` */
  cspSource: string;
  nonce: string;
  scriptUri: string;
  styleUri: string;
  /** @vscode-elements/elements' bundle (copied to dist/webview/ by esbuild.mjs) */
  elementsUri: string;
  /** the codicon font's stylesheet (@vscode/codicons), which vscode-icon needs under this id */
  codiconsUri: string;
}

export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `style-src ${cspSource}`,
    `font-src ${cspSource}`,
    `img-src ${cspSource}`,
    `script-src 'nonce-${nonce}'`,
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
}

export function sidebarHtml(a: SidebarAssets): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${attr(contentSecurityPolicy(a.cspSource, a.nonce))}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${attr(a.codiconsUri)}" id="vscode-codicon-stylesheet">
<link rel="stylesheet" href="${attr(a.styleUri)}">
<title>Code Scout</title>
</head>
<body>
<form id="search-form" role="search">
  <vscode-textfield id="query" type="search" placeholder="Search code, e.g. retry with backoff" aria-label="Search code" autocomplete="off" spellcheck="false">
    <vscode-icon slot="content-before" name="search" title="search"></vscode-icon>
  </vscode-textfield>
  <div class="filters">
    <vscode-single-select id="language" aria-label="Language filter" title="Language filter"><vscode-option value="">All languages</vscode-option></vscode-single-select>
    <vscode-textfield id="path" placeholder="Path glob, e.g. src/**" aria-label="Path filter" title="Path filter: a glob relative to the folder" autocomplete="off" spellcheck="false"></vscode-textfield>
  </div>
</form>
<div id="status" class="status">
  <span id="status-text"></span>
  <span id="status-actions" class="actions"></span>
</div>
<div id="status-announce" class="visually-hidden" role="status" aria-live="polite"></div>
<vscode-progress-bar id="progress" aria-label="Indexing" hidden></vscode-progress-bar>
<section id="results-section" aria-label="Search results">
  <div id="results-summary" class="summary" hidden>
    <span id="results-count"></span>
    <vscode-toolbar-button id="collapse-all" icon="collapse-all" label="Collapse All" title="Collapse All"></vscode-toolbar-button>
  </div>
  <div id="results-correction" class="correction" hidden></div>
  <div id="results-notice" class="notice" hidden></div>
  <div id="results-announce" class="visually-hidden" role="status" aria-live="polite"></div>
  <vscode-tree id="results" class="results" aria-label="Search results" indent-guides="onHover"></vscode-tree>
</section>
<section id="related-section" aria-labelledby="related-title">
  <h2 id="related-title">Related <span id="related-source"></span></h2>
  <div id="related-notice" class="notice" hidden></div>
  <vscode-tree id="related" class="results" aria-labelledby="related-title"></vscode-tree>
</section>
<script nonce="${attr(a.nonce)}" type="module" src="${attr(a.elementsUri)}"></script>
<script nonce="${attr(a.nonce)}" type="module" src="${attr(a.scriptUri)}"></script>
</body>
</html>`;
}

/** Escapes a value for a double-quoted HTML attribute. */
function attr(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
