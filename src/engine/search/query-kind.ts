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
   * Names the query mentions, each as its compact form (lowercase letters, combining marks and digits only) of the
   * last segment, with the qualifier before it if any: `Rack::Response` → {name 'response', qualifier 'rack'};
   * `typed` is that last segment as the query spelt it, less separators ({@link spelt}: `Response`),
   * since identifiers are case-sensitive: `Timeout` names the class, not the method `timeout`.
   * `phrase`: the name is spelt by adjacent words of a question ("JSON array operations" → `jsonarray`,
   * as `JsonArray`), so it has no spelling of its own (`typed` is empty).
   */
  names: { name: string; typed: string; qualifier?: string; strong: boolean; phrase?: true }[];
}

/** One identifier, optionally qualified by `::`, `.`, `\`, `#` or `->` (`a.b`, `Sinatra::Base`, `Foo#bar`). */
const QUALIFIED = /^[\p{L}_$][\p{L}\p{M}\p{N}_$]*(?:(?:::|\.|\\|#|->)[\p{L}_$][\p{L}\p{M}\p{N}_$]*)*(?:\(\))?$/u;
const SEPARATOR = /::|\.|\\|#|->/;

/** Looks like code, not a word: camelCase/PascalCase humps, snake_case, a qualifier, or a call `()`. */
function codeLike(word: string): boolean {
  return (
    /\p{Ll}\p{Lu}/u.test(word) || // camelCase, PascalCase with two humps
    /\p{Lu}{2,}\p{Ll}/u.test(word) || // HTTPServer
    /[\p{L}\p{M}\p{N}]_[\p{L}\p{M}\p{N}]/u.test(word) ||
    SEPARATOR.test(word.replace(/\.$/, '')) ||
    word.endsWith('()')
  );
}

/** A name as spelt, less separators (`$ZodError` → `ZodError`, `render_template` → `rendertemplate`): case kept. */
export function spelt(s: string): string {
  return asciiLettersAndDigits(s) ?? s.replace(/[^\p{L}\p{M}\p{N}]+/gu, '');
}

/** A name in compact form: lowercase letters, combining marks and digits only (`render_template` → `rendertemplate`). Remembered. */
export function compact(s: string): string {
  const ascii = asciiLettersAndDigits(s);
  if (ascii !== undefined) return ascii.toLowerCase();
  let out = compactMemo.get(s);
  if (out === undefined) {
    out = s.toLowerCase().replace(/[^\p{L}\p{M}\p{N}]+/gu, '');
    if (compactMemo.size >= COMPACT_MEMO_LIMIT) compactMemo.clear();
    compactMemo.set(s, out);
  }
  return out;
}

/**
 * The letters and digits of an ASCII string (`s` itself when it has nothing else), undefined for
 * one with any other character. Most names are ASCII identifiers: this is the rules of
 * {@link spelt} and {@link compact} for them (in ASCII, `\p{L}` and `\p{N}` are `[A-Za-z0-9]`, and
 * lower-casing changes only `A-Z`) without a Unicode pattern, 3-4 times faster over 100k names.
 */
function asciiLettersAndDigits(s: string): string | undefined {
  let clean = true;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) return undefined;
    // c | 0x20 folds A-Z onto a-z
    if (!((c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a))) clean = false;
  }
  return clean ? s : s.replace(/[^A-Za-z0-9]+/g, '');
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
 * Generic arguments written after a name (`Vec<u8>`, `Result<T, E>`, `Box<dyn Fn(i32) -> i32>`),
 * innermost first: nested ones go in rounds. The closing `>` must not be followed by a name, a digit
 * or `=`, so that comparisons written without spaces (`retryCount<maxRetries and delay>0`) stay.
 */
const GENERIC_ARGUMENTS = /(?<=[\p{L}\p{M}\p{N}_$])<(?:[^<>-]|-(?!>)|->)*>(?![\p{L}\p{M}\p{N}_$=])/gu;
/** Array brackets after a name or a type (`String[]`, `int[][]`). */
const ARRAY_BRACKETS = /(?<=[\p{L}\p{M}\p{N}_$>\]])(?:\[\s*\])+/gu;
/** Pointer and reference marks after a name (`uv_loop_t*`, `T&&`), before a space, a separator or the end (not `?`, which ends questions). */
const TRAILING_MARKS = /(?<=[\p{L}\p{M}\p{N}_$])[*&]+(?=\s|$|::|\.|,|\))/gu;
/** Pointer and reference marks before a name (`&str`, `*mut T`'s `*`). */
const LEADING_MARKS = /(?<=^|[\s(,])[*&]+(?=[\p{L}_$])/gu;

/**
 * A query with the marks code puts around a type's name taken out, so that the name is seen: `Vec<u8>` is
 * the symbol `Vec`, "how does ZodType<Output> parse" names `ZodType`, `uv_loop_t*` is `uv_loop_t`,
 * `std::vector<int>` is `std::vector`. Only marks attached to a name are taken (a `<` after a space, as
 * in "the <div> element", stays); the lexical query keeps every word.
 */
export function withoutTypeMarks(text: string): string {
  let out = text;
  for (let round = 0, before = ''; round < 8 && out !== before; round++) {
    before = out;
    out = out.replace(GENERIC_ARGUMENTS, '');
  }
  return out.replace(ARRAY_BRACKETS, '').replace(TRAILING_MARKS, '').replace(LEADING_MARKS, '');
}

/**
 * A query of one identifier-shaped word is a symbol query; anything else is natural language,
 * whose code-like words (and capitalised words after the first, which are usually class names
 * in developers' prose: "how does Flask route") are the names it mentions. Capitalised words
 * count as weak names, code-like words as strong ones; names spelt by adjacent plain words
 * ({@link phraseNames}) follow, as weak phrase names.
 */
export function queryShape(text: string): QueryShape {
  const trimmed = withoutTypeMarks(text).trim();
  if (trimmed && !/\s/.test(trimmed) && QUALIFIED.test(trimmed)) {
    const n = nameOf(trimmed, true);
    return { kind: 'symbol', names: n ? [n] : [] };
  }
  const names: QueryShape['names'] = [];
  // a possessive ("Flask's", "BaseModel’s") names the word before it
  const words = trimmed.split(/\s+/).map((w) => w.replace(/^[^\p{L}_$]+|[^\p{L}\p{M}\p{N}_$)]+$/gu, '').replace(/['’]s$/u, ''));
  words.forEach((w, i) => {
    if (!w || !QUALIFIED.test(w)) return;
    const strong = codeLike(w);
    const capitalised = i > 0 && /^\p{Lu}/u.test(w);
    if (!strong && !capitalised) return;
    const n = nameOf(w, strong);
    if (n && n.name.length > 1) names.push(n);
  });
  names.push(...attributeClassNames(trimmed, names));
  names.push(...phraseNames(trimmed, new Set(names.map((n) => n.name))));
  return { kind: 'natural', names };
}

/** The word "attribute(s)". */
const ATTRIBUTE_WORD = /\battributes?\b/iu;
/**
 * A name in brackets as C# applies an attribute, `[JsonProperty]` or `[JsonProperty("id")]`: not an
 * index after a name (`Optional[User]`, `items[i]`) nor a Markdown link (`[Foo](url)`).
 */
const APPLIED_ATTRIBUTE = /(?<![\p{L}\p{M}\p{N}_$\]])\[\s*([\p{L}_][\p{L}\p{M}\p{N}_]*(?:\.[\p{L}_][\p{L}\p{M}\p{N}_]*)*)\s*(?:\(|\](?!\())/gu;

/**
 * C# names an attribute class without its `Attribute` suffix: `[JsonProperty]` applies the class
 * `JsonPropertyAttribute`, and developers call it "the JsonProperty attribute". So a question that
 * applies an attribute names it (a strong name: it is code), and one that speaks of attributes or
 * applies one also names, for each name it mentions, that name with the suffix, with the same strength
 * and spelling (`JsonProperty` → `JsonPropertyAttribute`). Other questions, and names that already end
 * so, add nothing.
 */
export function attributeClassNames(text: string, names: QueryShape['names']): QueryShape['names'] {
  const taken = new Set(names.map((n) => n.name));
  const out: QueryShape['names'] = [];
  /** the names applied as attributes: strong, whatever their words said */
  const applied = new Set<string>();
  for (const m of text.matchAll(APPLIED_ATTRIBUTE)) {
    const n = nameOf(m[1], true);
    if (!n || n.name.length < 2) continue;
    applied.add(n.name);
    if (taken.has(n.name)) continue;
    taken.add(n.name);
    out.push(n);
  }
  if (!applied.size && !ATTRIBUTE_WORD.test(text)) return [];
  for (const n of [...names, ...out]) {
    if (n.phrase || n.name.endsWith('attribute') || taken.has(`${n.name}attribute`)) continue;
    taken.add(`${n.name}attribute`);
    out.push({ ...n, name: `${n.name}attribute`, typed: `${n.typed}Attribute`, strong: n.strong || applied.has(n.name) });
  }
  return out;
}

/**
 * At most this many names are spelt from a question's phrases (the first ones): each is looked up
 * and checked against every candidate, and a long question (an agent may send 2,000 characters)
 * would otherwise spell hundreds.
 */
export const MAX_PHRASE_NAMES = 24;

/** Words that do not take part in a name spelt by a phrase. */
const PHRASE_STOP = new Set(
  'a an the of to in on for from with by and or not no if so but is are was be been how does do did what where which when why who whom this that these those it its into via as at than then'.split(' '),
);

/**
 * Names spelt by two or three adjacent words of a question: developers describe a class or function
 * by the words of its name ("JSON array operations" → `jsonarray`, "exclusion strategies" →
 * `exclusionstrategies` and, singular, `exclusionstrategy`). Words are letters, combining marks and digits only, and no
 * phrase crosses punctuation or a stop word. `known` (compact names already taken) are not repeated;
 * at most `limit`, in the order of the question.
 */
export function phraseNames(text: string, known: ReadonlySet<string> = new Set(), limit = MAX_PHRASE_NAMES): QueryShape['names'] {
  const out: QueryShape['names'] = [];
  const seen = new Set(known);
  const add = (name: string) => {
    if (seen.has(name) || out.length >= limit) return;
    seen.add(name);
    out.push({ name, typed: '', strong: false, phrase: true });
  };
  // runs of plain words: punctuation other than a hyphen between words ends a run
  for (const run of text.replace(/['’]s\b/gu, '').split(/[^\p{L}\p{M}\p{N}\s-]+|\s-+\s|-{2,}/u)) {
    const words = run.split(/[\s-]+/).filter(Boolean);
    for (let i = 0; i < words.length; i++) {
      for (let n = 2; n <= 3 && i + n <= words.length; n++) {
        const part = words.slice(i, i + n);
        if (part.some((w) => !/^\p{L}[\p{L}\p{M}\p{N}]*$/u.test(w) || PHRASE_STOP.has(w.toLowerCase()))) break;
        const name = compact(part.join(''));
        add(name);
        if (/ies$/.test(name)) add(`${name.slice(0, -3)}y`);
        else if (/[^su]s$/.test(name) && !/is$/.test(name)) add(name.slice(0, -1));
      }
    }
  }
  return out;
}
