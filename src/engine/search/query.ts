import type { LanguageId } from '../types';
import { lexicalQueryTokens } from '../index/lexical-fields';

/**
 * Reading a plain-language query. People name the language they mean ("read a csv file in
 * python"), but code rarely names its own language, so as a search word the name only
 * rewards the odd function that mentions it. Language names are taken out of the words the
 * lexical index sees (the embedding model still reads the whole query: it was trained with
 * language names) and reported, so that the caller can prefer that language.
 */

/** Lower-case query words that name a language. A Map: query words must never meet `Object.prototype`. */
const LANGUAGE_WORDS: ReadonlyMap<string, LanguageId> = new Map<string, LanguageId>([
  ['python', 'python'],
  ['typescript', 'typescript'],
  ['javascript', 'javascript'],
  ['golang', 'go'],
  ['rust', 'rust'],
  ['java', 'java'],
  ['c++', 'cpp'],
  ['cpp', 'cpp'],
  ['c#', 'csharp'],
  ['csharp', 'csharp'],
  ['ruby', 'ruby'],
  ['php', 'php'],
]);

/**
 * The longest query the engine searches, in characters (Unicode code points). Longer queries are
 * refused with a {@link QueryTooLongError} rather than searched slowly: no one types more, the
 * embedding model reads only its first few hundred tokens, and spelling correction costs time per
 * word. Engine option `maxQueryChars` overrides it.
 */
export const MAX_QUERY_CHARS = 2000;

/** A query longer than the engine's limit ({@link MAX_QUERY_CHARS} unless configured). */
export class QueryTooLongError extends Error {
  override readonly name = 'QueryTooLongError';

  constructor(
    /** the query's length in characters (code points) */
    readonly length: number,
    /** the limit it exceeds */
    readonly max: number,
  ) {
    super(`the query is too long: ${length} characters, at most ${max} are searched`);
  }
}

/** Throws {@link QueryTooLongError} when `text` has more than `max` characters (code points). */
export function checkQueryLength(text: string, max: number = MAX_QUERY_CHARS): void {
  if (text.length <= max) return; // a code point is one or two UTF-16 units
  let length = 0;
  for (const _ of text) length++;
  if (length > max) throw new QueryTooLongError(length, max);
}

export interface ParsedQuery {
  /** stemmed, identifier-split words for the lexical index */
  lexicalTokens: string[];
  /** languages the query names */
  languages: LanguageId[];
}

export function parseQuery(text: string): ParsedQuery {
  const languages = new Set<LanguageId>();
  // a word as identifiers have them (`JAVA_HOME`, `get_php_version`: no language is named there)
  const rest = text.replace(/[\p{L}\p{M}\p{N}_#+]+/gu, (word) => {
    const language = LANGUAGE_WORDS.get(word.toLowerCase());
    if (!language) return word;
    languages.add(language);
    return ' ';
  });
  const lexicalTokens = lexicalQueryTokens(rest);
  // A query that is only a language name ("python") still searches for that word.
  return { lexicalTokens: lexicalTokens.length ? lexicalTokens : lexicalQueryTokens(text), languages: [...languages] };
}
