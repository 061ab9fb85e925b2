/**
 * The lines of a stream (stdin's queries), without their line breaks (LF, CRLF, or a lone CR, as
 * node:readline splits them), never holding more than `maxLineChars` of one line: readline keeps a
 * whole line however long, and a binary file piped in as one line of hundreds of MB ran out of
 * string length inside readline, a crash with a stack trace. A longer line throws
 * {@link LineTooLongError} as soon as it is seen, after the lines before it were given.
 */
import { StringDecoder } from 'node:string_decoder';

export class LineTooLongError extends Error {
  override readonly name = 'LineTooLongError';
  constructor(
    /** 1-based */
    readonly line: number,
    readonly max: number,
  ) {
    super(`line ${line} is longer than ${max} characters`);
  }
}

export async function* linesOf(input: AsyncIterable<Buffer | string>, maxLineChars: number): AsyncGenerator<string> {
  const decoder = new StringDecoder('utf8');
  let line = '';
  let number = 1;
  /** the text so far ended with a CR: a LF that starts the next text ends the same line */
  let afterCR = false;
  const breaks = /\r\n|\r|\n/g;
  const split = function* (text: string): Generator<string> {
    let start = afterCR && text.startsWith('\n') ? 1 : 0;
    if (text.length > 0) afterCR = false;
    breaks.lastIndex = start;
    for (let m = breaks.exec(text); m !== null; m = breaks.exec(text)) {
      line += text.slice(start, m.index);
      if (line.length > maxLineChars) throw new LineTooLongError(number, maxLineChars);
      yield line;
      line = '';
      number++;
      start = breaks.lastIndex;
      if (m[0] === '\r' && start === text.length) afterCR = true;
    }
    line += text.slice(start);
    if (line.length > maxLineChars) throw new LineTooLongError(number, maxLineChars);
  };
  for await (const chunk of input) yield* split(typeof chunk === 'string' ? chunk : decoder.write(chunk));
  yield* split(decoder.end());
  if (line !== '') yield line;
}
