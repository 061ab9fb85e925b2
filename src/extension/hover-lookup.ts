/**
 * How a hover decides, without the editor, which indexed definition a word names: the
 * definition whose header it is, a definition of the same file, or the one definition of that
 * name; and whether the word is code at all rather than a comment or a string.
 */
import type { DefinitionEntry } from '../protocol/protocol';
import { isHeaderLine } from './definition-header';

/** The definition named `name` whose header is `lineText`, at 1-based `line` (the innermost, if nested). */
export function definitionHere(definitions: readonly DefinitionEntry[], line: number, name: string, lineText: string): DefinitionEntry | undefined {
  const here = containing(definitions, line, name);
  return here && isHeaderLine(lineText, here.signature) ? here : undefined;
}

/** The innermost definition named `name` whose lines contain 1-based `line`. */
export function containing(definitions: readonly DefinitionEntry[], line: number, name: string): DefinitionEntry | undefined {
  let best: DefinitionEntry | undefined;
  for (const d of definitions) {
    if (d.name !== name || line < d.startLine || d.endLine < line) continue;
    if (!best || d.endLine - d.startLine < best.endLine - best.startLine) best = d;
  }
  return best;
}

/** The only definition named `name` among `definitions`; none when there are several (which one a word means is then the language's call). */
export function onlyNamed(definitions: readonly DefinitionEntry[], name: string): DefinitionEntry | undefined {
  const named = definitions.filter((d) => d.name === name);
  return named.length === 1 ? named[0] : undefined;
}

/**
 * The definition a name means when only the index can say, from the definitions of that
 * name: the only one in the folder `root`, or else the only one anywhere; none when it is ambiguous.
 */
export function resolveByName(entries: readonly DefinitionEntry[], root: string): DefinitionEntry | undefined {
  const inFolder = entries.filter((e) => e.root === root);
  const candidates = inFolder.length ? inFolder : entries;
  return candidates.length === 1 ? candidates[0] : undefined;
}

/** Receivers that name the enclosing class or module, so that `self.name` is as plain as `name`. */
const OWN_RECEIVERS = new Set(['this', 'self', 'cls', 'super']);

/**
 * Whether the word at `column` is a member of something other than the enclosing class
 * (`value.name`, `pkg::name`), whose definition depends on a type only the language knows.
 */
export function isMemberAccess(lineText: string, column: number): boolean {
  const before = lineText.slice(0, column).trimEnd();
  const separator = before.endsWith('?.') || before.endsWith('::') || before.endsWith('->') ? 2 : before.endsWith('.') ? 1 : 0;
  if (!separator) return false;
  const receiver = /[\p{L}\p{N}_$]+$/u.exec(before.slice(0, before.length - separator).trimEnd())?.[0];
  return !receiver || !OWN_RECEIVERS.has(receiver);
}

/** Languages whose line comments start with `#` (and have no `//` comments). */
const HASH_COMMENTS = new Set(['python', 'ruby', 'shellscript', 'perl', 'r', 'julia', 'coffeescript', 'makefile', 'dockerfile', 'yaml', 'toml', 'elixir', 'nim']);
/** Languages with both. */
const BOTH_COMMENTS = new Set(['php']);
/** Languages whose backquoted strings hold code in `${…}`. */
const TEMPLATE_LITERALS = new Set(['javascript', 'javascriptreact', 'typescript', 'typescriptreact', 'vue', 'svelte']);
/** Languages where `'` starts a lifetime or label as well as a character, so it is not taken as a quote. */
const NO_SINGLE_QUOTES = new Set(['rust']);

/**
 * Whether column `column` of `lineText` is in a comment or a string literal, judged from that
 * line alone: line comments, block comments opened and closed on the line, the `*` lines of a
 * block comment, quotes, and the code in template literals' `${…}`. A string or comment that
 * began on an earlier line is not seen.
 */
export function inCommentOrString(lineText: string, column: number, languageId: string): boolean {
  const hash = HASH_COMMENTS.has(languageId) || BOTH_COMMENTS.has(languageId);
  const slashes = !HASH_COMMENTS.has(languageId);
  const quotes = NO_SINGLE_QUOTES.has(languageId) ? '"`' : '"\'`';
  const trimmed = lineText.trimStart();
  if (slashes && (trimmed.startsWith('*') || trimmed.startsWith('/*'))) {
    const close = lineText.indexOf('*/');
    if (close < 0 || column < close) return true;
  }
  const templates = TEMPLATE_LITERALS.has(languageId);
  let quote: string | undefined;
  let block = false;
  /** open `${…}` of template literals: the depth of `{` inside each */
  const interpolations: number[] = [];
  for (let i = 0; i < column && i < lineText.length; i++) {
    const c = lineText[i];
    const pair = lineText.slice(i, i + 2);
    if (block) {
      if (pair === '*/') {
        block = false;
        i++;
      }
    } else if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = undefined;
      else if (quote === '`' && templates && pair === '${') {
        quote = undefined; // code again until the matching }
        interpolations.push(0);
        i++;
      }
    } else if (interpolations.length && (c === '{' || c === '}')) {
      const depth = interpolations.length - 1;
      if (c === '{') interpolations[depth]++;
      else if (interpolations[depth] > 0) interpolations[depth]--;
      else {
        interpolations.pop();
        quote = '`';
      }
    } else if (quotes.includes(c)) {
      quote = c;
    } else if ((slashes && pair === '//') || (hash && c === '#')) {
      return true;
    } else if (slashes && pair === '/*') {
      block = true;
      i++;
    }
  }
  return block || quote !== undefined;
}
