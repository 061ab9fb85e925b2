/**
 * The first `end` UTF-16 code units of `text`, one fewer when the last would be the first half of
 * a surrogate pair: a cut text (a capped signature, snippet or doc comment) never ends in half a
 * character, which would print as a replacement character or an escape.
 */
export function headOf(text: string, end: number): string {
  const head = text.slice(0, end);
  const last = head.charCodeAt(head.length - 1);
  return last >= 0xd800 && last <= 0xdbff ? head.slice(0, -1) : head;
}

/**
 * A string equal to `s` that does not keep a larger string alive. V8 makes a slice of 13 or more
 * characters (a match, `slice`, `split`) a view of the string it was cut from, so a short word
 * that a long-lived table keeps (a memo's key, an index term) would keep the whole text it came
 * from, a chunk or a file, in memory. Shorter slices are copies already. For what a table keeps,
 * once; not for every word read.
 */
export function detached(s: string): string {
  return s.length < 13 ? s : Buffer.from(s, 'utf16le').toString('utf16le');
}
