/**
 * How VS Code reads text the extension gives it, for tests: labels with icons, and the inline
 * tokens of Markdown (parsed with marked, the parser VS Code's hovers use).
 */
import type { Token } from 'marked';

/**
 * How VS Code shows a label with icons (renderLabelWithIcons): `$(name)` and `$(name~modifier)`
 * become icons, and a backslash before one shows it as text, without the backslash.
 */
export function renderLabel(text: string): { shown: string; icons: string[] } {
  const icons: string[] = [];
  const shown = text.replace(/(\\)?\$\(([A-Za-z0-9-]+(?:~[A-Za-z]+)?)\)/g, (_m, escaped: string | undefined, name: string) => {
    if (escaped) return `$(${name})`;
    icons.push(name);
    return '';
  });
  return { shown, icons };
}

/** The visible text of inline Markdown tokens; anything but text and escapes (a link, emphasis, HTML, code) fails. */
export function inlineText(tokens: Token[] | undefined, where: string): string {
  return (tokens ?? [])
    .map((t) => {
      if (t.type === 'escape') return t.text;
      if (t.type === 'text') return 'tokens' in t && t.tokens?.length ? inlineText(t.tokens, where) : t.text;
      throw new Error(`${where}: Markdown made a ${t.type} token out of ${JSON.stringify(t.raw)}`);
    })
    .join('');
}

