/**
 * Whether a `.h` header holds C++ rather than C. C++ projects name their headers `.h` as often as
 * `.hpp` (fmt, abseil, LLVM, Qt), and the C grammar reads a template, a namespace or a class as
 * errors, which left those headers' definitions in line windows. languages.ts
 * (`languageForFile`) asks this of every `.h` file the chunker reads.
 */

/** How much of a header is read to tell C++ from C: its start. */
export const HEADER_SNIFF_CHARS = 64 * 1024;

/** Words a C++ declaration may put between `class` and the name: an export macro, `__declspec(…)`, `[[…]]`, `alignas(…)`. */
const CLASS_PREFIX = String.raw`(?:(?:[A-Z_][A-Z0-9_]*|__declspec\([^)]*\)|\[\[[^\]]*\]\]|alignas\([^)]*\))[ \t]+)*`;

/**
 * Lines only C++ has, at the start of a line (after an export macro such as `FMT_EXPORT`):
 * - `template <`, `export template`;
 * - a namespace, inline or not, its brace on the line or the next;
 * - an access specifier (`public:`);
 * - a class with a body or bases (its brace may be on the next line), or an `enum class`;
 * - `using namespace x`, `using X =`, `using std::string;`;
 * - an `#include <…>` of a header without an extension (`<vector>`, `<QString>`): C's all end in `.h`.
 */
const CPP_ONLY_LINE = new RegExp(
  String.raw`^[ \t]*(?:[A-Z_][A-Z0-9_]*[ \t]+)?(?:` +
    [
      String.raw`(?:export[ \t]+)?template[ \t]*<`,
      String.raw`(?:inline[ \t]+)?namespace(?:[ \t]+[\w:]+)?[ \t]*(?:\{|$)`,
      String.raw`(?:public|private|protected)[ \t]*:(?!:)`,
      String.raw`class[ \t]+${CLASS_PREFIX}[A-Za-z_]\w*(?:[ \t]+final)?[ \t]*(?:\{|:(?!:)|$)`,
      String.raw`enum[ \t]+class\b`,
      String.raw`using[ \t]+(?:namespace[ \t]+\w|[A-Za-z_][\w:]*[ \t]*(?:=|;))`,
      String.raw`#[ \t]*include[ \t]*<[A-Za-z_][\w/]*>`,
    ].join('|') +
    ')',
  'm',
);

/** A preprocessor line: `#if`, `#ifdef`, `#ifndef`, `#elif`, `#else` or `#endif`, with what follows. */
const CONDITIONAL = /^[ \t]*#[ \t]*(if|ifdef|ifndef|elif|else|endif)\b(.*)$/;

/**
 * The header's text without the lines a C compiler never reads as C: what `#if 0` and
 * `#ifdef __cplusplus` (or `#if defined(__cplusplus)`) guard, and the `#else` of `#ifndef
 * __cplusplus` (or `#if !defined(__cplusplus)`). A C header often adds C++ conveniences there (a
 * template, `#include <cstddef>`) for C++ readers; they do not make it C++. Conditions nest; any
 * other condition's branches are all read.
 */
export function cCompiledText(text: string): string {
  const kept: string[] = [];
  /** per open `#if`: whether its current branch is left out, and what its `#else` is */
  const open: { skip: boolean; otherwise: 'read' | 'skip' }[] = [];
  let skipped = 0;
  const set = (frame: { skip: boolean }, skip: boolean) => {
    skipped += Number(skip) - Number(frame.skip);
    frame.skip = skip;
  };
  for (const line of text.split('\n')) {
    const m = CONDITIONAL.exec(line);
    if (!m) {
      if (skipped === 0) kept.push(line);
      continue;
    }
    const [, directive, rest] = m;
    const condition = rest.replace(/\/\*.*?\*\/|\/\/.*$/g, '').trim();
    const top = open.at(-1);
    if (directive === 'if' || directive === 'ifdef' || directive === 'ifndef') {
      const kind = branchKind(directive, condition);
      const frame = { skip: false, otherwise: kind === 'c-only' ? ('skip' as const) : ('read' as const) };
      open.push(frame);
      set(frame, kind === 'cpp-only');
    } else if (directive === 'elif') {
      if (top) {
        set(top, branchKind('if', condition) === 'cpp-only');
        top.otherwise = 'read';
      }
    } else if (directive === 'else') {
      if (top) set(top, top.otherwise === 'skip');
    } else if (top) {
      set(top, false);
      open.pop();
    }
  }
  return kept.join('\n');
}

/** What C makes of a branch opened by `directive condition`: never compiled (`#if 0`, C++ only), compiled only by C, or either. */
function branchKind(directive: string, condition: string): 'cpp-only' | 'c-only' | 'either' {
  const cplusplus = /^(?:defined[ \t]*\(?[ \t]*__cplusplus[ \t]*\)?|__cplusplus(?:[ \t]*>=?[ \t]*\d+L?)?)$/;
  const notCplusplus = /^![ \t]*(?:defined[ \t]*\(?[ \t]*__cplusplus[ \t]*\)?|__cplusplus)$/;
  if (directive === 'ifdef') return condition === '__cplusplus' ? 'cpp-only' : 'either';
  if (directive === 'ifndef') return condition === '__cplusplus' ? 'c-only' : 'either';
  if (/^0+$/.test(condition)) return 'cpp-only';
  // a conjunction is C++ only when one of its parts is (`defined(__cplusplus) && __cplusplus >= 201103L`)
  const parts = condition.includes('||') ? [condition] : condition.split('&&').map((part) => part.trim().replace(/^\((.*)\)$/, '$1').trim());
  if (parts.some((part) => cplusplus.test(part))) return 'cpp-only';
  return parts.length === 1 && notCplusplus.test(condition) ? 'c-only' : 'either';
}

/** Whether a header's text has a line only C++ has, in its first {@link HEADER_SNIFF_CHARS} characters, outside what only C++ compiles. */
export function headerIsCpp(text: string): boolean {
  const start = (text.length > HEADER_SNIFF_CHARS ? text.slice(0, HEADER_SNIFF_CHARS) : text).replace(/^\uFEFF/, '');
  return CPP_ONLY_LINE.test(cCompiledText(start));
}
