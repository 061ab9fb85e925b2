/**
 * The names a user or an agent may give a language (`--lang`, a language named in a query, an
 * agent tool's `language`), and the language ids they stand for. Light on purpose: the extension
 * host and the agent tools use it without loading the engine.
 */
import { LANGUAGES, languageForPath } from './chunks/languages';
import { LINE_LANGUAGES, PLAIN_TEXT_EXTENSIONS } from './chunks/line-languages';
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

/** The extensions of the line-chunked languages (chunks/line-languages.ts) by each name a filter may give: the language's names and each extension. */
const LINE_LANGUAGE_EXTENSIONS: ReadonlyMap<string, readonly string[]> = new Map<string, readonly string[]>([
  ...LINE_LANGUAGES.flatMap((l) => [l.name, ...l.aliases].map((name) => [name, l.extensions] as const)),
  ...LINE_LANGUAGES.flatMap((l) => l.extensions.map((ext) => [ext, [ext]] as const)),
  ...PLAIN_TEXT_EXTENSIONS.map((ext) => [ext, [ext]] as const),
]);

/** The names of the line-chunked languages a filter may give (not their extensions), for messages. */
export const LINE_LANGUAGE_NAMES: readonly string[] = LINE_LANGUAGES.map((l) => l.name);

/**
 * What a language filter keeps: chunks in one of `ids`, and chunks in `text` (line windows) of a
 * file whose extension is one of `extensions` (a line-chunked language named by its name, such as
 * `kotlin`, or by an extension, such as `kt` or `txt`).
 */
export interface LanguageSelection {
  ids: ReadonlySet<LanguageId>;
  extensions: ReadonlySet<string>;
}

/** Whether `name` is something a language filter understands: {@link languageIds}, or a line-chunked language or extension. */
export function isLanguageName(name: string): boolean {
  return languageIds(name).length > 0 || LINE_LANGUAGE_EXTENSIONS.has(name.toLowerCase());
}

/** The selection of a language filter's names; undefined when there are none. A name that is not one ({@link isLanguageName}) selects nothing. */
export function languageSelection(names: readonly string[] | undefined): LanguageSelection | undefined {
  if (!names?.length) return undefined;
  const ids = new Set<LanguageId>();
  const extensions = new Set<string>();
  for (const name of names) {
    for (const id of languageIds(name)) ids.add(id);
    for (const ext of LINE_LANGUAGE_EXTENSIONS.get(name.toLowerCase()) ?? []) extensions.add(ext);
  }
  return { ids, extensions };
}

/** Whether a chunk in `language` of the file at `path` passes the filter. */
export function selects(selection: LanguageSelection, language: LanguageId, path: string): boolean {
  if (selection.ids.has(language)) return true;
  if (language !== 'text' || selection.extensions.size === 0) return false;
  const name = path.slice(path.lastIndexOf('/') + 1);
  const dot = name.lastIndexOf('.');
  return dot > 0 && selection.extensions.has(name.slice(dot + 1).toLowerCase());
}
