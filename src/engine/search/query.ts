import type { LanguageId } from '../types';
import { lexicalQueryTokens } from '../index/lexical-fields';

/**
 * Reading a plain-language query. People name the language they mean ("read a csv file in
 * python"), but code rarely names its own language, so as a search word the name only
 * rewards the odd function that mentions it. Language names are taken out of the words the
 * lexical index sees (the embedding model still reads the whole query: it was trained with
 * language names) and reported, so that the caller can prefer that language.
 */

const LANGUAGE_WORDS: ReadonlyMap<string, LanguageId> = new Map(Object.entries({
  python: 'python',
  typescript: 'typescript',
  javascript: 'javascript',
  golang: 'go',
  rust: 'rust',
  java: 'java',
  'c++': 'cpp',
  cpp: 'cpp',
  'c#': 'csharp',
  csharp: 'csharp',
  ruby: 'ruby',
  php: 'php',
} satisfies Record<string, LanguageId>));

export interface ParsedQuery {
  /** stemmed, identifier-split words for the lexical index */
  lexicalTokens: string[];
  /** languages the query names */
  languages: LanguageId[];
}

export function parseQuery(text: string): ParsedQuery {
  const languages = new Set<LanguageId>();
  const rest = text.replace(/[\p{L}\p{N}#+]+/gu, (word) => {
    const language = LANGUAGE_WORDS.get(word.toLowerCase());
    if (!language) return word;
    languages.add(language);
    return ' ';
  });
  const lexicalTokens = lexicalQueryTokens(rest);
  // A query that is only a language name ("python") still searches for that word.
  return { lexicalTokens: lexicalTokens.length ? lexicalTokens : lexicalQueryTokens(text), languages: [...languages] };
}
