/**
 * Property tests of the chunker (fast-check): for every language it parses, and for Markdown and
 * plain text, on arbitrary strings and bytes and on mutated real source, chunkFile never throws
 * and its chunks are well formed (checkChunks says exactly what that means).
 *
 * `npm run fuzz` runs many more cases (see helpers/fuzz.ts). The chunkers are made once for the
 * file: grammars are loaded once per process and parsers once per chunker and language.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { extname, join } from 'node:path';
import fc from 'fast-check';
import { Chunker, languageForFile, languageForPath } from '../src/engine/chunks';
import { BRACE_BODY_ELISION, LANGUAGES, type LanguageSpec } from '../src/engine/chunks/languages';
import type { Chunk, ChunkKind, LanguageId } from '../src/engine/types';
import { fuzzParams } from './helpers/fuzz';

/** Fixtures are read from the source tree: this file runs as out/test/chunks.props.test.js. */
const ROOT = join(__dirname, '..', '..');
const SAMPLE_DIRS = [join(ROOT, 'test', 'fixtures', 'chunks'), join(ROOT, 'test', 'e2e', 'fixture-workspace'), join(ROOT, 'test', 'fixtures', 'repo')];

const TYPE_KINDS: ReadonlySet<ChunkKind> = new Set(['class', 'struct', 'interface', 'trait', 'impl', 'enum']);

/** The chunker configurations under test: the defaults, and small limits that make every fallback happen. */
interface Config {
  name: string;
  chunker: Chunker;
  maxChars: number;
  maxChunks: number;
}

const configs: Config[] = [];
/** Parse failures reported by the chunkers: a throw inside extraction would show up here. */
const parseErrors: string[] = [];

before(async () => {
  const onParseError = (path: string, reason: string): void => void parseErrors.push(`${path}: ${reason}`);
  configs.push({ name: 'default', chunker: await Chunker.create({ onParseError }), maxChars: 2000, maxChunks: 20_000 });
  configs.push({
    name: 'small',
    chunker: await Chunker.create({ maxChunkChars: 60, maxNestingDepth: 2, maxChunksPerFile: 12, onParseError }),
    maxChars: 60,
    maxChunks: 12,
  });
  configs.push({
    name: 'tiny',
    chunker: await Chunker.create({ maxChunkChars: 1, maxNestingDepth: 1, maxChunksPerFile: 1, onParseError }),
    maxChars: 1,
    maxChunks: 1,
  });
});

after(() => {
  for (const { chunker } of configs) chunker.dispose();
});

/** Every file under the sample folders, by path, read as the scanner reads it (UTF-8). */
function sampleFiles(): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile() && (languageForPath(entry.name) !== undefined || /\.txt$/.test(entry.name))) {
        files.set(path, readFileSync(path, 'utf8'));
      }
    }
  };
  for (const dir of SAMPLE_DIRS) walk(dir);
  return files;
}

const SAMPLES = sampleFiles();

/** A relative path and real source for each language, Markdown and plain text included. */
interface Sample {
  path: string;
  text: string;
  language: LanguageId;
}

function samplesOf(language: LanguageId, extensions: readonly string[]): Sample[] {
  const found: Sample[] = [];
  for (const [path, text] of SAMPLES) {
    if (extensions.includes(extname(path).slice(1).toLowerCase())) found.push({ path: `src/${path.split('/').pop()}`, text, language });
  }
  return found;
}

const SAMPLES_BY_LANGUAGE: { language: LanguageId; extensions: readonly string[]; samples: Sample[] }[] = [
  ...LANGUAGES.map((spec) => ({ language: spec.id as LanguageId, extensions: spec.extensions, samples: samplesOf(spec.id, spec.extensions) })),
  { language: 'markdown', extensions: ['md'], samples: samplesOf('markdown', ['md']) },
  { language: 'text', extensions: ['txt'], samples: samplesOf('text', ['txt']) },
];

const ALL_SAMPLES = SAMPLES_BY_LANGUAGE.flatMap((l) => l.samples);

/** One file name per language, to chunk arbitrary text as that language. */
const PATHS: { path: string; language: LanguageId }[] = SAMPLES_BY_LANGUAGE.flatMap(({ language, extensions }) =>
  extensions.map((ext) => ({ path: `dir/file.${ext}`, language })),
);

function specOf(language: LanguageId): LanguageSpec | undefined {
  return LANGUAGES.find((spec) => spec.id === language);
}

/** 1-based line of each byte offset: the number of line feeds before it, plus one. */
function lineOfByte(bytes: Buffer): (offset: number) => number {
  const feeds: number[] = [];
  for (let i = bytes.indexOf(10); i !== -1; i = bytes.indexOf(10, i + 1)) feeds.push(i);
  return (offset) => {
    let lo = 0;
    let hi = feeds.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (feeds[mid] < offset) lo = mid + 1;
      else hi = mid;
    }
    return lo + 1;
  };
}

/**
 * The string index at each UTF-8 byte offset that starts a character (or ends the text), counted
 * as Buffer.byteLength does: a lone surrogate is 3 bytes (it is written as U+FFFD).
 */
function stringIndexOfByte(text: string): Map<number, number> {
  const map = new Map<number, number>();
  let byte = 0;
  for (let i = 0; i < text.length; ) {
    map.set(byte, i);
    const code = text.codePointAt(i) ?? 0;
    const units = code > 0xffff ? 2 : 1;
    byte += code < 0x80 ? 1 : code < 0x800 ? 2 : code <= 0xffff ? 3 : 4;
    i += units;
  }
  map.set(byte, text.length);
  return map;
}

/**
 * What chunkFile promises, checked for one file:
 *  - at most maxChunksPerFile chunks, each with the file's path and language;
 *  - byte ranges inside the file (0 ≤ startByte ≤ endByte ≤ its UTF-8 length), never covering a
 *    BOM, and on character boundaries;
 *  - lines: the file has (number of `\n`) + 1 lines (a lone `\r` does not end a line);
 *    1 ≤ startLine ≤ endLine ≤ that count; startLine is the line of startByte and endLine the
 *    line of the range's last byte (of startByte when the range is empty);
 *  - order: by startByte ascending, and of two chunks that start together the longer first;
 *  - text: a window of a text file is exactly the source of its range; a Markdown chunk and a
 *    function, method, constructor, destructor or type alias end with the source of their
 *    range (earlier text is the doc comment, or the repeated header of a part); a class-like
 *    chunk does too, or is an outline: the source of its range with member bodies replaced by
 *    the language's body elision and member docs left out, so its text after its last elision
 *    and last line break (less leading whitespace) ends the range; a module's
 *    text (its doc and header) ends with a start of its range;
 *  - names: non-empty strings; signatures strings; part index < count.
 */
function checkChunks(path: string, file: string, chunks: readonly Chunk[], config: Config): void {
  // the chunker reads a lone CR as a line break (old Mac files), as editors do: same length, same offsets
  const text = lineBreaksAsRead(file);
  const language = languageForFile(path, file) ?? 'text'; // as the chunker reads it: a .h header by what it holds
  const bytes = Buffer.from(text, 'utf8');
  const lineCount = (text.match(/\n/g)?.length ?? 0) + 1;
  const lineOf = lineOfByte(bytes);
  const indexOfByte = stringIndexOfByte(text);
  const minStart = text.startsWith('\uFEFF') ? 3 : 0;
  assert.ok(chunks.length <= config.maxChunks, `${chunks.length} chunks, more than ${config.maxChunks}`);
  let previous: Chunk | undefined;
  for (const chunk of chunks) {
    const where = `${chunk.kind} '${chunk.name}' at bytes ${chunk.startByte}-${chunk.endByte}, lines ${chunk.startLine}-${chunk.endLine}`;
    assert.equal(chunk.path, path, where);
    assert.equal(chunk.language, language, where);
    assert.ok(Number.isInteger(chunk.startByte) && Number.isInteger(chunk.endByte), where);
    assert.ok(minStart <= chunk.startByte && chunk.startByte <= chunk.endByte && chunk.endByte <= bytes.length, `${where}: outside the file (${bytes.length} bytes)`);
    assert.ok(1 <= chunk.startLine && chunk.startLine <= chunk.endLine && chunk.endLine <= lineCount, `${where}: outside the file (${lineCount} lines)`);
    assert.equal(chunk.startLine, lineOf(chunk.startByte), `${where}: start line`);
    assert.equal(chunk.endLine, lineOf(Math.max(chunk.startByte, chunk.endByte - 1)), `${where}: end line`);
    if (previous) {
      const ordered = previous.startByte < chunk.startByte || (previous.startByte === chunk.startByte && previous.endByte >= chunk.endByte);
      assert.ok(ordered, `${where}: out of order after bytes ${previous.startByte}-${previous.endByte}`);
    }
    previous = chunk;
    assert.equal(typeof chunk.name, 'string', where);
    assert.ok(chunk.name.length > 0, `${where}: empty name`);
    assert.equal(typeof chunk.signature, 'string', where);
    assert.equal(typeof chunk.text, 'string', where);
    if (chunk.part) assert.ok(0 <= chunk.part.index && chunk.part.index < chunk.part.count && chunk.part.count > 1, where);
    const start = indexOfByte.get(chunk.startByte);
    const end = indexOfByte.get(chunk.endByte);
    assert.ok(start !== undefined && end !== undefined, `${where}: a byte offset inside a character`);
    checkText(chunk, text.slice(start, end), where);
  }
}

/** `text` with each lone CR as the LF the chunker reads it as. */
function lineBreaksAsRead(text: string): string {
  return text.replace(/\r(?!\n)/g, '\n');
}

function checkText(chunk: Chunk, range: string, where: string): void {
  if (chunk.language === 'text') {
    assert.equal(chunk.text, range, `${where}: a text window is its range`);
  } else if (chunk.kind === 'module') {
    assert.ok(endsWithStartOf(chunk.text, range), `${where}: a module's text ends with its header`);
  } else if (TYPE_KINDS.has(chunk.kind) && !chunk.text.endsWith(range)) {
    const elision = specOf(chunk.language)?.bodyElision ?? BRACE_BODY_ELISION;
    const elided = chunk.text.lastIndexOf(elision);
    const tail = chunk.text.slice(Math.max(elided === -1 ? 0 : elided + elision.length, chunk.text.lastIndexOf('\n') + 1));
    // a member's doc is left out of the outline but the indentation before it stays, so the
    // member's first line may carry the doc's indentation instead of its own
    assert.ok(range.endsWith(tail.trimStart()), `${where}: neither its source nor an outline ending its range: ${JSON.stringify(chunk.text)}`);
  } else {
    assert.ok(chunk.text.endsWith(range), `${where}: text does not end with the source of its range`);
  }
}

/** Whether some line of `text` starts a suffix of `text` that `range` begins with (a module's header). */
function endsWithStartOf(text: string, range: string): boolean {
  for (let at = 0; at !== -1 && at <= text.length; at = text.indexOf('\n', at) === -1 ? -1 : text.indexOf('\n', at) + 1) {
    const tail = text.slice(at);
    if (tail !== '' && range.startsWith(tail)) return true;
  }
  return text === '' && range === '';
}

async function chunkAndCheck(config: Config, path: string, text: string): Promise<void> {
  const chunks = await config.chunker.chunkFile(path, text);
  checkChunks(path, text, chunks, config);
}

/** Chunks a file with every configuration; a failure names the configuration. */
async function checkAllConfigs(path: string, text: string): Promise<void> {
  for (const config of configs) {
    try {
      await chunkAndCheck(config, path, text);
    } catch (err) {
      throw new Error(`${config.name} chunker, ${path}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}

// ---- arbitraries -------------------------------------------------------------------------------

/** Any UTF-16 code unit, lone surrogates included. */
const codeUnit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));

/** Fragments of code: keywords, brackets, line breaks of every kind, comments, NUL, BOM. */
const TOKENS = [
  'def ', 'class ', 'function ', 'fn ', 'func ', 'impl ', 'struct ', 'enum ', 'trait ', 'interface ', 'namespace ',
  'module ', 'end', 'export ', 'async ', 'public ', 'static ', 'void ', 'int ', 'template<typename T> ', 'type ',
  'const f = () => ', '@decorator\n', '#[derive(Debug)]\n', 'package main\n', '<?php ', 'mod m ', 'package ',
  'A::B::', '~', 'f', 'x', 'Foo', '(', ')', '{', '}', '[', ']', '<', '>', ':', ';', ',', '=', '=>', '->', '.',
  ' ', '  ', '    ', '\t', '\n', '\r\n', '\r', '\n\n', '#', '# c\n', '// c\n', '/* c */', '/** doc */\n', '"""doc"""',
  '"', "'", '`', '\\', '\0', '\uFEFF', 'é', '😀', '\u202e', '\ud800', 'return 1', 'pass', '...', ' { … }',
];
const codeSoup = fc.array(fc.constantFrom(...TOKENS), { maxLength: 120 }).map((parts) => parts.join(''));

/** A file path of some language, with the language it is chunked as. */
const anyPath = fc.constantFrom(...PATHS);

/** How a real source is damaged: applied in order to its UTF-8 bytes. */
type Mutation =
  | { op: 'truncate'; at: number }
  | { op: 'insert'; at: number; bytes: Uint8Array }
  | { op: 'flip'; at: number; mask: number }
  | { op: 'duplicateLine'; line: number }
  | { op: 'deleteLine'; line: number }
  | { op: 'longLine'; line: number; length: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
  fc.record({ op: fc.constant('flip' as const), at: fc.nat(), mask: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ op: fc.constant('duplicateLine' as const), line: fc.nat() }),
  fc.record({ op: fc.constant('deleteLine' as const), line: fc.nat() }),
  fc.record({ op: fc.constant('longLine' as const), line: fc.nat(), length: fc.integer({ min: 1000, max: 20_000 }) }),
);

/** Whole-file changes of encoding and line breaks. */
type Encoding = 'as-is' | 'crlf' | 'cr' | 'bom' | 'nul';
const encoding = fc.constantFrom<Encoding>('as-is', 'crlf', 'cr', 'bom', 'nul');

function applyMutation(bytes: Buffer, m: Mutation): Buffer {
  const at = bytes.length === 0 ? 0 : 'at' in m ? m.at % (bytes.length + 1) : 0;
  switch (m.op) {
    case 'truncate':
      return bytes.subarray(0, at);
    case 'insert':
      return Buffer.concat([bytes.subarray(0, at), m.bytes, bytes.subarray(at)]);
    case 'flip': {
      if (bytes.length === 0) return bytes;
      const copy = Buffer.from(bytes);
      copy[at % bytes.length] ^= m.mask;
      return copy;
    }
    default: {
      const lines = bytes.toString('latin1').split('\n');
      const i = m.line % lines.length;
      if (m.op === 'duplicateLine') lines.splice(i, 0, lines[i]);
      else if (m.op === 'deleteLine') lines.splice(i, 1);
      else lines.splice(i, 0, 'x'.repeat(m.length));
      return Buffer.from(lines.join('\n'), 'latin1');
    }
  }
}

function applyEncoding(text: string, e: Encoding): string {
  switch (e) {
    case 'crlf':
      return text.replace(/\r?\n/g, '\r\n');
    case 'cr':
      return text.replace(/\r?\n/g, '\r');
    case 'bom':
      return `\uFEFF${text}`;
    case 'nul':
      return text.replace(/ /g, (space, offset: number) => (offset % 7 === 0 ? '\0' : space));
    default:
      return text;
  }
}

// ---- properties --------------------------------------------------------------------------------

test('every language the chunker supports has a real sample to mutate', () => {
  for (const { language, samples } of SAMPLES_BY_LANGUAGE) assert.ok(samples.length > 0, `no sample for ${language}`);
  assert.ok(ALL_SAMPLES.length >= 14);
});

test('the real samples, as they are, give well-formed chunks in every configuration', async () => {
  for (const sample of ALL_SAMPLES) await checkAllConfigs(sample.path, sample.text);
});

for (const { language, samples } of SAMPLES_BY_LANGUAGE) {
  test(`${language}: mutated real source (truncated, bytes inserted or flipped, lines duplicated, deleted or made long; CRLF, CR, BOM, NUL) never throws and gives well-formed chunks`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...samples), fc.array(mutation, { minLength: 1, maxLength: 4 }), encoding, async (sample, mutations, enc) => {
        let bytes: Buffer = Buffer.from(sample.text, 'utf8');
        for (const m of mutations) bytes = applyMutation(bytes, m);
        await checkAllConfigs(sample.path, applyEncoding(bytes.toString('utf8'), enc));
      }),
      { ...fuzzParams(8), includeErrorInReport: true },
    );
  });
}

test('arbitrary strings (any UTF-16 code units, lone surrogates included) as any language', async () => {
  await fc.assert(
    fc.asyncProperty(anyPath, fc.string({ unit: codeUnit, maxLength: 300 }), async ({ path }, text) => {
      await checkAllConfigs(path, text);
    }),
    { ...fuzzParams(40), includeErrorInReport: true },
  );
});

test('arbitrary bytes, decoded as UTF-8, as any language', async () => {
  await fc.assert(
    fc.asyncProperty(anyPath, fc.uint8Array({ maxLength: 400 }), async ({ path }, bytes) => {
      await checkAllConfigs(path, Buffer.from(bytes).toString('utf8'));
    }),
    { ...fuzzParams(40), includeErrorInReport: true },
  );
});

test('code-like soup (keywords, brackets, comments, every line break, NUL, BOM) as any language', async () => {
  await fc.assert(
    fc.asyncProperty(anyPath, codeSoup, encoding, async ({ path }, text, enc) => {
      await checkAllConfigs(path, applyEncoding(text, enc));
    }),
    { ...fuzzParams(60), includeErrorInReport: true },
  );
});

test('text and Markdown: every line with a word character is in some chunk, whatever the limits', async () => {
  const words = fc.array(fc.constantFrom('word', ' ', '\n', '\r\n', '\r', '# Heading\n', '```\n', '\n\n', 'x'.repeat(300), '\0'), {
    maxLength: 200,
  });
  await fc.assert(
    fc.asyncProperty(fc.constantFrom('notes.txt', 'README.md'), words, async (path, parts) => {
      const text = parts.join('');
      for (const config of configs) {
        const chunks = await config.chunker.chunkFile(path, text);
        checkChunks(path, text, chunks, config);
        lineBreaksAsRead(text).split('\n').forEach((line, i) => {
          if (!/\w/.test(line)) return;
          assert.ok(chunks.some((c) => c.startLine <= i + 1 && i + 1 <= c.endLine), `${config.name}: line ${i + 1} is in no chunk`);
        });
      }
    }),
    { ...fuzzParams(40), includeErrorInReport: true },
  );
});

test('the property tests saw no parse failures: every file was parsed, none fell back to windows', () => {
  assert.deepEqual(parseErrors.slice(0, 5), []);
});
