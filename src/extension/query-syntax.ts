import type { QueryParams } from '../protocol/protocol';

/**
 * The search box's filter syntax, shared by the palette search and the sidebar:
 *
 *   retry with backoff lang:py path:src/**
 *
 * `lang:L` keeps one language (an id such as `python`, an extension such as `py`, or a language
 * indexed by lines such as `kotlin` or `sh`: engine/language-names.ts; several with `lang:py,ts`
 * or repeated tokens). `path:GLOB` keeps paths matching a root-relative
 * glob; quote globs with spaces: `path:"my docs/**"`. Everything else is the query. A token
 * with an empty value (`lang:` while typing) is ignored.
 */
export interface ParsedQuery {
  text: string;
  languages: string[];
  paths: string[];
}

/** The engine's search request for a parsed query (the palette and the sidebar send the same). */
export function searchParams(query: ParsedQuery, top: number): QueryParams {
  return { text: query.text, top, languages: query.languages, paths: query.paths };
}

const TOKEN = /(\S+?):"([^"]*)"?|(\S+)/g;

export function parseQuery(input: string): ParsedQuery {
  const words: string[] = [];
  const languages: string[] = [];
  const paths: string[] = [];
  for (const m of input.matchAll(TOKEN)) {
    const [whole, quotedKey, quotedValue, plain] = m;
    const colon = plain?.indexOf(':') ?? -1;
    const key = (quotedKey ?? (colon > 0 ? plain.slice(0, colon) : '')).toLowerCase();
    const value = quotedValue ?? (colon > 0 ? plain.slice(colon + 1) : '');
    if (key === 'lang') languages.push(...value.split(',').filter(Boolean));
    else if (key === 'path') {
      if (value) paths.push(value);
    } else words.push(whole);
  }
  return { text: words.join(' '), languages, paths };
}
