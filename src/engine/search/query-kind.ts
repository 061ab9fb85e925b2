/**
 * What kind of query this is, for the ranking stage (ranker.ts). A developer either names
 * something (`TCPConnector`, `render_template`, `Sinatra::Base`, `http.Client`) or describes it
 * in words ("websocket endpoint implementation"), often with names inside ("how does Flask pick
 * an error handler"). The two kinds want different mixes of word and meaning evidence, and a
 * named thing should rank its own definition first.
 */

/** `code`: the query is code itself (related code, find similar), not typed by a person. */
export type QueryKind = 'symbol' | 'natural' | 'code';

export interface QueryShape {
  kind: QueryKind;
  /**
   * Names the query mentions, each as its compact form (lowercase letters and digits only) of the
   * last segment, with the qualifier before it if any: `Rack::Response` → {name 'response', qualifier 'rack'};
   * `typed` is that last segment as the query spelt it, less separators ({@link spelt}: `Response`),
   * since identifiers are case-sensitive: `Timeout` names the class, not the method `timeout`.
   */
  names: { name: string; typed: string; qualifier?: string; strong: boolean }[];
}

/** One identifier, optionally qualified by `::`, `.`, `\`, `#` or `->` (`a.b`, `Sinatra::Base`, `Foo#bar`). */
const QUALIFIED = /^[\p{L}_$][\p{L}\p{N}_$]*(?:(?:::|\.|\\|#|->)[\p{L}_$][\p{L}\p{N}_$]*)*(?:\(\))?$/u;
const SEPARATOR = /::|\.|\\|#|->/;

/** Looks like code, not a word: camelCase/PascalCase humps, snake_case, a qualifier, or a call `()`. */
function codeLike(word: string): boolean {
  return (
    /\p{Ll}\p{Lu}/u.test(word) || // camelCase, PascalCase with two humps
    /\p{Lu}{2,}\p{Ll}/u.test(word) || // HTTPServer
    /[\p{L}\p{N}]_[\p{L}\p{N}]/u.test(word) ||
    SEPARATOR.test(word.replace(/\.$/, '')) ||
    word.endsWith('()')
  );
}

/** A name as spelt, less separators (`$ZodError` → `ZodError`, `render_template` → `rendertemplate`): case kept. */
export function spelt(s: string): string {
  return s.replace(/[^\p{L}\p{N}]+/gu, '');
}

/** A name in compact form: lowercase letters and digits only (`render_template` → `rendertemplate`). Remembered. */
export function compact(s: string): string {
  let out = compactMemo.get(s);
  if (out === undefined) {
    out = s.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, '');
    if (compactMemo.size >= COMPACT_MEMO_LIMIT) compactMemo.clear();
    compactMemo.set(s, out);
  }
  return out;
}

const COMPACT_MEMO_LIMIT = 100_000;
const compactMemo = new Map<string, string>();

function nameOf(word: string, strong: boolean): QueryShape['names'][number] | undefined {
  const parts = word.replace(/\(\)$/, '').split(SEPARATOR).filter(Boolean);
  const typed = spelt(parts.at(-1) ?? '');
  const name = compact(typed);
  if (!name) return undefined;
  const qualifier = parts.length > 1 ? compact(parts.slice(0, -1).join('')) : undefined;
  return qualifier ? { name, typed, qualifier, strong } : { name, typed, strong };
}

/**
 * A query of one identifier-shaped word is a symbol query; anything else is natural language,
 * whose code-like words (and capitalised words after the first, which are usually class names
 * in developers' prose: "how does Flask route") are the names it mentions. Capitalised words
 * count as weak names, code-like words as strong ones.
 */
export function queryShape(text: string): QueryShape {
  const trimmed = text.trim();
  if (trimmed && !/\s/.test(trimmed) && QUALIFIED.test(trimmed)) {
    const n = nameOf(trimmed, true);
    return { kind: 'symbol', names: n ? [n] : [] };
  }
  const names: QueryShape['names'] = [];
  // a possessive ("Flask's", "BaseModel’s") names the word before it
  const words = trimmed.split(/\s+/).map((w) => w.replace(/^[^\p{L}_$]+|[^\p{L}\p{N}_$)]+$/gu, '').replace(/['’]s$/u, ''));
  words.forEach((w, i) => {
    if (!w || !QUALIFIED.test(w)) return;
    const strong = codeLike(w);
    const capitalised = i > 0 && /^\p{Lu}/u.test(w);
    if (!strong && !capitalised) return;
    const n = nameOf(w, strong);
    if (n && n.name.length > 1) names.push(n);
  });
  return { kind: 'natural', names };
}
