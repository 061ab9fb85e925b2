/**
 * Whether a `.h` header holds C++ rather than C. C++ projects name their headers `.h` as often as
 * `.hpp` (fmt, abseil, LLVM), and the C grammar reads a template, a namespace or a class as
 * errors, which left those headers' definitions in line windows. chunks/languages.ts
 * (`languageForFile`) asks this of every `.h` file it chunks; it is part of the content rules
 * (text-files.ts `contentRulesFingerprint`), so that a changed rule has existing indexes read their
 * files again.
 */

/** How much of a header is read to tell C++ from C: its start. */
export const HEADER_SNIFF_CHARS = 64 * 1024;

/**
 * Lines only C++ has, at the start of a line: a template, a namespace, an access specifier, a class
 * with a body or bases, a `using` declaration, or a C++ standard header (no `.h`). A C header that
 * wraps itself in `extern "C"` for C++ readers has none of them; neither do comments, whose lines
 * start with `*` or `//`.
 */
export const CPP_ONLY_LINE =
  /^[ \t]*(?:template[ \t]*<|namespace(?:[ \t]+[\w:]+)?[ \t]*\{|(?:public|private|protected)[ \t]*:(?!:)|class[ \t]+[A-Za-z_]\w*(?:[ \t]+final)?[ \t]*(?:\{|:(?!:))|using[ \t]+(?:namespace[ \t]+\w|[A-Za-z_]\w*[ \t]*=)|#[ \t]*include[ \t]*<(?:algorithm|array|atomic|chrono|cstddef|cstdint|cstdio|cstdlib|cstring|functional|iostream|iterator|limits|map|memory|mutex|optional|set|sstream|string|string_view|thread|tuple|type_traits|unordered_map|unordered_set|utility|variant|vector)>)/m;

/** Whether a header's text has a line only C++ has in its first {@link HEADER_SNIFF_CHARS} characters. */
export function headerIsCpp(text: string): boolean {
  return CPP_ONLY_LINE.test(text.length > HEADER_SNIFF_CHARS ? text.slice(0, HEADER_SNIFF_CHARS) : text);
}
