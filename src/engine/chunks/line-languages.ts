/**
 * Source languages without a grammar here: their files are indexed as line windows, in the
 * language `text` (chunker.ts), and a language filter names them by these names or by their
 * extensions (language-names.ts). The one list of what they are: the scan takes their
 * extensions as indexable (files/text-files.ts).
 */
import type { LanguageId } from '../types';

export interface LineLanguage {
  /** the name a filter may give, lower-case */
  name: string;
  /** other names people use for it, lower-case */
  aliases: readonly string[];
  /** lower-case file extensions, without the dot */
  extensions: readonly string[];
  /** whole file names (as spelt) of files in this language, whatever their extension: `CMakeLists.txt` is CMake, not text */
  fileNames: readonly string[];
}

function language(name: string, extensions: readonly string[], aliases: readonly string[] = [], fileNames: readonly string[] = []): LineLanguage {
  return { name, aliases, extensions, fileNames };
}

export const LINE_LANGUAGES: readonly LineLanguage[] = [
  language('kotlin', ['kt', 'kts']),
  language('scala', ['scala']),
  language('swift', ['swift']),
  language('objective-c', ['m', 'mm'], ['objc', 'objective-c++']),
  language('lua', ['lua']),
  language('perl', ['pl', 'pm']),
  language('r', ['r']),
  language('julia', ['jl']),
  language('dart', ['dart']),
  language('elixir', ['ex', 'exs']),
  language('erlang', ['erl']),
  language('haskell', ['hs']),
  language('ocaml', ['ml', 'mli']),
  language('fsharp', ['fs'], ['f#']),
  language('clojure', ['clj']),
  language('groovy', ['groovy', 'gradle']),
  // `sh`, `bash` and `zsh` name the language, not only their extension: a filter for bash keeps .sh scripts too
  language('shell', ['sh', 'bash', 'zsh', 'fish'], ['shellscript', 'sh', 'bash', 'zsh']),
  language('powershell', ['ps1']),
  language('sql', ['sql']),
  language('vue', ['vue']),
  language('svelte', ['svelte']),
  language('html', ['html']),
  language('css', ['css', 'scss', 'less']),
  language('protobuf', ['proto']),
  language('graphql', ['graphql']),
  language('terraform', ['tf', 'hcl']),
  language('cmake', ['cmake'], [], ['CMakeLists.txt']),
  language('make', [], ['makefile'], ['Makefile']),
  language('dockerfile', [], ['docker'], ['Dockerfile']),
  language('just', [], ['justfile'], ['Justfile']),
  language('zig', ['zig']),
  language('nim', ['nim']),
  language('verilog', ['v', 'sv'], ['systemverilog']),
  language('vhdl', ['vhd']),
  language('assembly', ['asm', 's']),
  language('fortran', ['f90']),
  language('pascal', ['pas']),
  language('elm', ['elm']),
  // prose other than Markdown
  language('restructuredtext', ['rst']),
  language('asciidoc', ['adoc']),
];

/** Prose files indexed as `text` that are no language: plain text. */
export const PLAIN_TEXT_EXTENSIONS: readonly string[] = ['txt'];

/** Files of a parsed language known by their whole name (no extension picks the grammar): indexed by lines, and kept by a filter for that language. */
export const PARSED_LANGUAGE_FILE_NAMES: ReadonlyMap<string, LanguageId> = new Map<string, LanguageId>([
  ['Rakefile', 'ruby'],
  ['Gemfile', 'ruby'],
]);
