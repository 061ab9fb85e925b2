/**
 * The names a user or an agent may give a language (`--lang`, a language named in a query, an
 * agent tool's `language`), and the language ids they stand for. Light on purpose: the extension
 * host and the agent tools use it without loading the engine.
 */
import { LANGUAGES, languageForPath } from './chunks/languages';
import type { LanguageId } from './types';

/** Language names people use that are neither a language id nor a file extension. */
const LANGUAGE_NAMES: ReadonlyMap<string, LanguageId> = new Map<string, LanguageId>([
  ['golang', 'go'],
  ['c++', 'cpp'],
  ['c#', 'csharp'],
]);

/** Every language a chunk can be in: the parsed languages, Markdown, and plain text. */
export const LANGUAGE_IDS: readonly LanguageId[] = [...LANGUAGES.map((spec) => spec.id), 'markdown', 'text'];

/**
 * The language ids a `--lang` value or a language named in a query stands for: an id (`python`),
 * any extension of the language table (`py`, `pyi`, `h`, `mts`, …) or a common name (`golang`).
 * TypeScript includes TSX, whose grammar differs but whose code is TypeScript. Empty for a name
 * that is none of these.
 */
export function languageIds(name: string): LanguageId[] {
  const lower = name.toLowerCase();
  const extension = /^[^./\\]+$/.test(lower) ? languageForPath(`x.${lower}`) : undefined;
  const id = LANGUAGE_NAMES.get(lower) ?? extension ?? LANGUAGE_IDS.find((known) => known === lower);
  if (id === undefined) return [];
  return id === 'typescript' ? ['typescript', 'tsx'] : [id];
}
