/**
 * The names a user or an agent may give a language (`--lang`, a language named in a query, an
 * agent tool's `language`), and the language ids they stand for. Light on purpose: the extension
 * host and the agent tools use it without loading the engine.
 */
import { posix } from 'node:path';
import { EXTENSION_LANGUAGES, LANGUAGES, languageForPath } from './chunks/languages';
import { LINE_LANGUAGES, PARSED_LANGUAGE_FILE_NAMES, PLAIN_TEXT_EXTENSIONS } from './chunks/line-languages';
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
 * any extension of the language table (`py`, `pyi`, `mts`, …) or a common name (`golang`).
 * TypeScript includes TSX, whose grammar differs but whose code is TypeScript. An extension whose
 * files are told apart by what they hold stands for each of their languages (`h`: C and C++, since
 * a header with C++ in it is read as C++). Empty for a name that is none of these.
 */
export function languageIds(name: string): LanguageId[] {
  const lower = name.toLowerCase();
  const several = EXTENSION_LANGUAGES.get(lower);
  if (several !== undefined) return [...several];
  const extension = /^[^./\\]+$/.test(lower) ? languageForPath(`x.${lower}`) : undefined;
  const id = LANGUAGE_NAMES.get(lower) ?? extension ?? LANGUAGE_IDS.find((known) => known === lower);
  if (id === undefined) return [];
  return id === 'typescript' ? ['typescript', 'tsx'] : [id];
}

/** What each name a filter may give for a line-chunked language (chunks/line-languages.ts) keeps: the language's names keep its extensions and file names; an extension keeps that extension. */
const LINE_LANGUAGE_PARTS: ReadonlyMap<string, { extensions: readonly string[]; fileNames: readonly string[] }> = new Map([
  ...LINE_LANGUAGES.flatMap((l) => l.extensions.map((ext) => [ext, { extensions: [ext], fileNames: [] }] as const)),
  ...PLAIN_TEXT_EXTENSIONS.map((ext) => [ext, { extensions: [ext], fileNames: [] }] as const),
  // after the extensions: a name that is also an extension (`css`, `cmake`) is the whole language
  ...LINE_LANGUAGES.flatMap((l) => [l.name, ...l.aliases].map((name) => [name, { extensions: l.extensions, fileNames: l.fileNames }] as const)),
]);

/** Files known by their whole name (`Makefile`, `CMakeLists.txt`): a language's own, whatever their extension says. */
const NAMED_FILES: ReadonlySet<string> = new Set(LINE_LANGUAGES.flatMap((l) => l.fileNames));

/** The names of the line-chunked languages a filter may give (not their extensions), for messages. */
export const LINE_LANGUAGE_NAMES: readonly string[] = LINE_LANGUAGES.map((l) => l.name);

/**
 * What a language filter keeps: chunks in one of `ids`, and chunks in `text` (line windows) of a
 * file whose name is one of `fileNames` or whose extension is one of `extensions` (a line-chunked
 * language named by its name, such as `kotlin`, or by an extension, such as `kt` or `txt`). A file
 * known by its name (`CMakeLists.txt`) is kept only by its language, not by its extension.
 */
export interface LanguageSelection {
  ids: ReadonlySet<LanguageId>;
  extensions: ReadonlySet<string>;
  fileNames: ReadonlySet<string>;
}

/** Whether `name` is something a language filter understands: {@link languageIds}, or a line-chunked language or extension. */
export function isLanguageName(name: string): boolean {
  return languageIds(name).length > 0 || LINE_LANGUAGE_PARTS.has(name.toLowerCase());
}

/** The selection of a language filter's names; undefined when there are none. A name that is not one ({@link isLanguageName}) selects nothing. */
export function languageSelection(names: readonly string[] | undefined): LanguageSelection | undefined {
  if (!names?.length) return undefined;
  const ids = new Set<LanguageId>();
  const extensions = new Set<string>();
  const fileNames = new Set<string>();
  for (const name of names) {
    for (const id of languageIds(name)) ids.add(id);
    const parts = LINE_LANGUAGE_PARTS.get(name.toLowerCase());
    for (const ext of parts?.extensions ?? []) extensions.add(ext);
    for (const file of parts?.fileNames ?? []) fileNames.add(file);
  }
  return { ids, extensions, fileNames };
}

/** Whether a chunk in `language` of the file at `path` (POSIX) passes the filter. */
export function selects(selection: LanguageSelection, language: LanguageId, path: string): boolean {
  if (selection.ids.has(language)) return true;
  if (language !== 'text') return false;
  const name = posix.basename(path);
  const parsed = PARSED_LANGUAGE_FILE_NAMES.get(name);
  if (parsed !== undefined) return selection.ids.has(parsed);
  if (NAMED_FILES.has(name)) return selection.fileNames.has(name);
  // the extension as the scan reads it (files/text-files.ts isIndexableName)
  return selection.extensions.has(posix.extname(name).slice(1).toLowerCase());
}
