/**
 * The sidebar webview's document: static markup only, a strict Content Security Policy that
 * runs nothing but the nonce-tagged script from media/, and no inline handlers or styles.
 * Results are added by media/sidebar.js with DOM APIs.
 */
export interface SidebarAssets {
  /** the webview's `cspSource` */
  cspSource: string;
  nonce: string;
  scriptUri: string;
  styleUri: string;
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
<link rel="stylesheet" href="${attr(a.styleUri)}">
<title>Code Scout</title>
</head>
<body>
<form id="search-form" role="search">
  <input id="query" type="search" placeholder="Search code, e.g. retry with backoff" aria-label="Search code" autocomplete="off" spellcheck="false">
  <div class="filters">
    <select id="language" aria-label="Language filter"><option value="">All languages</option></select>
    <input id="path" type="text" placeholder="Path glob, e.g. src/**" aria-label="Path filter" autocomplete="off" spellcheck="false">
  </div>
</form>
<div id="status" class="status" role="status" aria-live="polite">
  <span id="status-text"></span>
  <span class="actions">
    <button id="reindex" type="button" title="Index the workspace again">Reindex</button>
    <button id="cancel" type="button" title="Stop indexing">Cancel</button>
  </span>
</div>
<section id="results-section" aria-label="Search results">
  <div id="results-correction" class="correction" hidden></div>
  <div id="results-notice" class="notice" hidden></div>
  <ul id="results" class="results" role="listbox" aria-label="Search results"></ul>
</section>
<section id="related-section" aria-labelledby="related-title">
  <h2 id="related-title">Related <span id="related-source"></span></h2>
  <div id="related-notice" class="notice" hidden></div>
  <ul id="related" class="results" role="listbox" aria-labelledby="related-title"></ul>
</section>
<script nonce="${attr(a.nonce)}" src="${attr(a.scriptUri)}"></script>
</body>
</html>`;
}

/** Escapes a value for a double-quoted HTML attribute. */
function attr(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
