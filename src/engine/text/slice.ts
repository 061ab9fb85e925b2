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
