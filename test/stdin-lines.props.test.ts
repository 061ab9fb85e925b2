/**
 * The lines of stdin (src/cli/stdin-lines.ts): split at LF, CRLF and a lone CR wherever the
 * stream's chunks fall (a CRLF split between two chunks is one line break), as node:readline
 * splits them, and a line over the limit is an error once it is seen, after the lines before it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { LineTooLongError, linesOf } from '../src/cli/stdin-lines';
import { fuzzParams } from './helpers/fuzz';

async function collect(lines: AsyncIterable<string>): Promise<string[]> {
  const all: string[] = [];
  for await (const line of lines) all.push(line);
  return all;
}

/** `text` cut at `cuts` (offsets into its UTF-8 bytes, so that a character may be split between chunks). */
function chunksOf(text: string, cuts: number[]): Buffer[] {
  const bytes = Buffer.from(text, 'utf8');
  const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let from = 0;
  for (const to of [...at, bytes.length]) {
    chunks.push(bytes.subarray(from, to));
    from = to;
  }
  return chunks.filter((c) => c.length > 0);
}

test('lines are split as readline splits them, wherever the chunks fall', async () => {
  const piece = fc.oneof(fc.constantFrom('\n', '\r\n', '\r', 'é', '😀', ' '), fc.string({ maxLength: 6 }));
  await fc.assert(
    fc.asyncProperty(fc.array(piece, { maxLength: 30 }), fc.array(fc.nat(200), { maxLength: 8 }), async (pieces, cuts) => {
      const text = pieces.join('');
      const expected = await collect(createInterface({ input: Readable.from([text]), crlfDelay: Infinity }));
      assert.deepEqual(await collect(linesOf(Readable.from(chunksOf(text, cuts)), 1000)), expected, JSON.stringify(text));
    }),
    fuzzParams(300),
  );
});

test('a line over the limit throws once it is seen, after the lines before it, without reading on', async () => {
  const seen: string[] = [];
  let chunksRead = 0;
  async function* endless(): AsyncGenerator<Buffer> {
    yield Buffer.from('one\ntwo\n');
    for (;;) {
      chunksRead++;
      yield Buffer.alloc(1024, 'x');
    }
  }
  await assert.rejects(
    (async () => {
      for await (const line of linesOf(endless(), 4096)) seen.push(line);
    })(),
    (err: unknown) => err instanceof LineTooLongError && err.line === 3 && err.max === 4096,
  );
  assert.deepEqual(seen, ['one', 'two']);
  assert.ok(chunksRead <= 5, `${chunksRead} chunks read`);
  // at the limit exactly, the line is given
  assert.deepEqual(await collect(linesOf(Readable.from(['a'.repeat(10), '\nb']), 10)), ['a'.repeat(10), 'b']);
});
