/**
 * The engine end to end on the fixture repository (test/fixtures/repo) with the tiny real
 * embedding model: what gets indexed, hybrid search, filters, related code, lexical-only mode,
 * persistence, recovery from a damaged index, and incremental updates.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdir, readFile, rename, rm, truncate, unlink, utimes, writeFile } from 'node:fs/promises';
import { closeSync, constants, existsSync, openSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { Engine, type EngineOptions, type IndexSummary, type SearchHit, type SearchOptions } from '../src/engine/engine';
import { InvalidFilterError } from '../src/engine/search/filters';
import { IndexStorage } from '../src/engine/index/workspace-store';
import { asChunkedUnder, asWrittenBeforeContentRules, recordedChunking, sameEntry, snapshotIndex } from './helpers/index-snapshot';
import { CHUNKING_VERSION } from '../src/engine/chunks/languages';
import { formatStatus } from '../src/engine/status-text';
import {
  buildFixtureModel,
  copyFixtureRepo,
  FIXTURE_REPO,
  IGNORED_BY_GITIGNORE,
  lineOf,
  TempDirs,
  TOO_LARGE_FILE,
  writeIn,
} from './helpers/workspace';

/** Files of the fixture that are indexed: eight source files in four languages, the README and the re-included example. */
const INDEXED_FILE_COUNT = 10;
const PARSER = 'src/parser/config_parser.py';
const BUTTON = 'src/render/button.rs';

const temp = new TempDirs();
let modelDir: string;

before(async () => {
  modelDir = (await buildFixtureModel(await temp.make('model'))).dir;
});
after(() => temp.cleanup());

/** A fresh copy of the fixture repository and an empty index folder for it. */
async function freshWorkspace(): Promise<{ repo: string; indexDir: string }> {
  const dir = await temp.make('engine');
  const repo = await copyFixtureRepo(path.join(dir, 'repo'));
  return { repo, indexDir: await temp.make('index') };
}

interface Opened {
  engine: Engine;
  logs: string[];
}

/** Opens the engine with the tiny model (unless `options` says otherwise), collecting its notices. */
async function open(repo: string, indexDir: string, options: EngineOptions = {}): Promise<Opened> {
  const logs: string[] = [];
  const engine = await Engine.open(repo, { indexDir, model: modelDir, log: (m) => logs.push(m), ...options });
  return { engine, logs };
}

/** Opens and refreshes; the caller closes. */
async function indexed(repo: string, indexDir: string, options: EngineOptions = {}): Promise<Opened & { summary: IndexSummary }> {
  const opened = await open(repo, indexDir, options);
  return { ...opened, summary: await opened.engine.refresh() };
}

/** A fixed set of questions whose answers must survive closing, reopening and rebuilding. */
const PROBE_QUERIES: [string, SearchOptions][] = [
  ['parse config', {}],
  ['read file from disk', { top: 5 }],
  ['retry error', { languages: ['rust'] }],
  ['grammar ast', { paths: ['src/**'] }],
];

async function probe(engine: Engine): Promise<unknown[]> {
  const answers: unknown[] = [];
  for (const [query, options] of PROBE_QUERIES) answers.push(await engine.search(query, options));
  answers.push(await engine.related(BUTTON, lineOf(FIXTURE_REPO, BUTTON, 'let (r, g, b)')));
  return answers;
}

function names(hits: SearchHit[]): string[] {
  return hits.map((h) => h.name);
}

function overlaps(a: { path: string; startLine: number; endLine: number }, b: typeof a): boolean {
  return a.path === b.path && a.startLine <= b.endLine && b.startLine <= a.endLine;
}

describe('the fixture repository, indexed with the tiny model', () => {
  let repo: string;
  let engine: Engine;
  let summary: IndexSummary;

  before(async () => {
    const ws = await freshWorkspace();
    repo = ws.repo;
    ({ engine, summary } = await indexed(repo, ws.indexDir));
  });
  after(() => engine.close());

  test('indexes source and prose files and reports every skipped file with its reason', async () => {
    assert.equal(summary.mode, 'hybrid');
    assert.equal(summary.files, INDEXED_FILE_COUNT);
    assert.equal(summary.filesParsed, INDEXED_FILE_COUNT);
    assert.equal(summary.chunksEmbedded, summary.chunks);

    const status = await engine.status();
    assert.equal(status.files, INDEXED_FILE_COUNT);
    assert.equal(status.chunks, summary.chunks);
    assert.deepEqual(Object.keys(status.languages).sort(), ['go', 'markdown', 'python', 'rust', 'typescript']);
    const reasonOf = new Map(status.skipped.map((s) => [s.path, s.reason]));
    assert.equal(reasonOf.get('notes/meeting-notes.txt'), 'binary');
    assert.equal(reasonOf.get('web/widgets.js'), 'minified');
    assert.equal(reasonOf.get(TOO_LARGE_FILE), 'too-large');
    assert.equal(reasonOf.get('build'), 'excluded-dir');
    assert.equal(reasonOf.get('assets/logo.png'), 'unsupported');
    for (const reason of ['binary', 'minified', 'too-large', 'excluded-dir'] as const) {
      assert.equal(status.skippedByReason[reason], 1, reason);
    }
    assert.deepEqual(status.stale, { added: 0, changed: 0, removed: 0 });
  });

  test('the summary says where the indexing thread spent its time, within the run', async () => {
    const parts = Object.entries(summary.time);
    assert.deepEqual(parts.map(([k]) => k).sort(), ['embed', 'index', 'scan', 'waitingForParse', 'write']);
    for (const [part, seconds] of parts) assert.ok(Number.isFinite(seconds) && seconds >= 0, `${part}: ${seconds}`);
    assert.ok(summary.time.embed > 0, 'every chunk was embedded');
    assert.ok(summary.time.write > 0, 'the index was saved');
    const total = parts.reduce((sum, [, seconds]) => sum + seconds, 0);
    assert.ok(total <= summary.seconds + 1e-3, `${total} s of parts in a ${summary.seconds} s run`);
  });

  test('honours .gitignore and .codescoutignore, including a negated pattern', async () => {
    const status = await engine.status();
    const mentioned = (p: string) => status.skipped.some((s) => s.path === p || p.startsWith(`${s.path}/`));
    for (const ignored of [...IGNORED_BY_GITIGNORE, 'examples/legacy_import.py']) {
      assert.ok(!mentioned(ignored), `${ignored} is ignored, not reported as skipped`);
    }
    const legacy = await engine.search('import legacy inventory rows', { top: 50 });
    assert.ok(!legacy.some((h) => h.path === 'examples/legacy_import.py'), 'excluded by .codescoutignore');
    const keys = await engine.search('private signing keys', { top: 50 });
    assert.ok(!keys.some((h) => h.path.startsWith('secrets/')), 'excluded by .gitignore');
    // examples/ is demoted as likely noise by the ranking stage, never removed: the re-included file is found
    const quickstart = await engine.search('run the quickstart');
    assert.ok(quickstart.some((h) => h.path === 'examples/quickstart.py'), 're-included by !examples/quickstart.py');
    assert.ok(quickstart.some((h) => h.name === 'run_quickstart'));
  });

  test('a natural-language query finds the function first, by words and meaning', async () => {
    const hits = await engine.search('parse the config syntax');
    assert.equal(hits[0].name, 'parse_config');
    assert.equal(hits[0].path, PARSER);
    assert.equal(hits[0].kind, 'function');
    assert.equal(hits[0].language, 'python');
    assert.equal(hits[0].matchedBy, 'both');
    const files = await engine.search('read a file from disk');
    assert.equal(files[0].name, 'load_file');
    const auth = await engine.search('check the password and open a session');
    assert.equal(auth[0].name, 'login');
  });

  test('a query sharing no word with the code is answered by meaning alone', async () => {
    // Neither "grammar" nor "ast" occurs in the fixture; the tiny model puts them next to "parse".
    const hits = await engine.search('grammar ast');
    assert.ok(hits.length > 0);
    assert.ok(hits.every((h) => h.matchedBy === 'vector'), JSON.stringify(hits.map((h) => h.matchedBy)));
    assert.deepEqual(names(hits.slice(0, 2)).sort(), ['parse_config', 'tokenize_line']);
  });

  test('results carry the lines of the definition in the file, 1-based and inclusive', async () => {
    const [parse] = await engine.search('parse config', { top: 1 });
    assert.equal(parse.startLine, lineOf(repo, PARSER, 'def parse_config('));
    assert.equal(parse.endLine, lineOf(repo, PARSER, '    return settings'));
    const render = (await engine.search('render the button view', { languages: ['rust'] })).find((h) => h.name === 'render');
    assert.ok(render, 'the render method is found');
    assert.equal(render.kind, 'method');
    assert.equal(render.container, 'Button');
    assert.equal(render.startLine, lineOf(repo, BUTTON, 'pub fn render('));
    assert.equal(render.endLine, lineOf(repo, BUTTON, 'format!(') + 1);
  });

  test('filters by language, by id or by extension', async () => {
    const unfiltered = await engine.search('retry error');
    // both retry functions rank near the top, among results in other languages that the filters drop
    const topLanguages = new Set(unfiltered.slice(0, 3).map((h) => h.language));
    assert.ok(topLanguages.has('typescript') && topLanguages.has('rust'), JSON.stringify(unfiltered.slice(0, 3)));
    assert.ok(new Set(unfiltered.map((h) => h.language)).size > 2);
    const ts = await engine.search('retry error', { languages: ['ts'] });
    assert.equal(ts[0].name, 'retryRequest');
    assert.ok(ts.every((h) => h.language === 'typescript'));
    const rust = await engine.search('retry error', { languages: ['rust'] });
    assert.equal(rust[0].name, 'retry_with_backoff');
    assert.ok(rust.every((h) => h.language === 'rust'));
    const py = await engine.search('read file from disk', { languages: ['py'] });
    assert.ok(py.length > 0);
    assert.ok(py.every((h) => h.language === 'python'));
    // any extension of the language table, and common names, name a language too
    assert.deepEqual(await engine.search('read file from disk', { languages: ['pyi'] }), py);
    assert.deepEqual(await engine.search('retry error', { languages: ['mts'] }), ts);
    assert.ok((await engine.search('retry error', { languages: ['golang'] })).every((h) => h.language === 'go'));
  });

  test('filters by path glob', async () => {
    const unfiltered = await engine.search('inventory service', { top: 50 });
    assert.ok(unfiltered.some((h) => !h.path.startsWith('src/')), 'the README and the example match too');
    const src = await engine.search('inventory service', { top: 50, paths: ['src/**'] });
    assert.ok(src.length > 0);
    assert.ok(src.every((h) => h.path.startsWith('src/')), JSON.stringify(src.map((h) => h.path)));
    const errors = await engine.search('retry error', { paths: ['src/errors/**'] });
    assert.equal(errors[0].name, 'retry_with_backoff');
    assert.ok(errors.every((h) => h.path === 'src/errors/retry.rs'));
    // '[!s]' is a negated class, as in git's and the shell's globs: every top-level name but those starting with 's'
    const notSrc = await engine.search('inventory service', { top: 50, paths: ['[!s]*/**', '[!s]*'] });
    assert.ok(notSrc.length > 0 && notSrc.every((h) => !h.path.startsWith('s')), JSON.stringify(notSrc.map((h) => h.path)));
    assert.deepEqual(
      new Set(notSrc.map((h) => h.path)),
      new Set(unfiltered.filter((h) => !h.path.startsWith('s')).map((h) => h.path)),
      'exactly what the unfiltered search found outside them',
    );
    // a glob that starts with '!' leaves out what it matches, beside the others or alone
    const srcButErrors = await engine.search('inventory service retry error', { top: 50, paths: ['src/**', '!src/errors/**'] });
    const srcAll = await engine.search('inventory service retry error', { top: 50, paths: ['src/**'] });
    assert.ok(srcAll.some((h) => h.path.startsWith('src/errors/')), 'the errors folder matches without the negation');
    assert.deepEqual(srcButErrors.map((h) => h.path), srcAll.filter((h) => !h.path.startsWith('src/errors/')).map((h) => h.path));
    const allButSrc = await engine.search('inventory service', { top: 50, paths: ['!src/**'] });
    assert.deepEqual(new Set(allButSrc.map((h) => h.path)), new Set(unfiltered.filter((h) => !h.path.startsWith('src/')).map((h) => h.path)));
  });

  test('related code: the nearest definitions by words and meaning, never the source itself', async () => {
    const parse = await engine.related(PARSER, lineOf(repo, PARSER, 'settings = {}'));
    assert.equal(parse.source.name, 'parse_config');
    assert.equal(parse.results[0].name, 'tokenize_line');
    assert.ok(parse.results.every((h) => !overlaps(h, parse.source)));
    // related code fuses the source's words with its embedding (RankingOptions.relatedLexicalWeight)
    assert.equal(parse.results[0].matchedBy, 'both');

    const render = await engine.related(BUTTON, lineOf(repo, BUTTON, 'let (r, g, b)'));
    assert.equal(render.source.name, 'render');
    // the struct whose fields render draws, then its sibling method
    assert.deepEqual(names(render.results.slice(0, 2)), ['Button', 'click']);
    // the enclosing `impl Button` holds the source: it is not a neighbour either
    assert.ok(render.results.every((h) => !overlaps(h, render.source)), JSON.stringify(render.results.map((h) => h.name)));
    assert.equal((await engine.related(BUTTON, render.source.startLine, { top: 3 })).results.length, 3);
  });

  test('related code at a location with no indexed code is a clear error', async () => {
    await assert.rejects(engine.related('README.md', 9999), /no indexed code at README\.md:9999/);
    await assert.rejects(engine.related('src/missing.py', 1), /no indexed code/);
  });
});

test('related code never blocks on an indexed file that a named pipe has since replaced', async () => {
  const { repo, indexDir } = await freshWorkspace();
  const engine = await Engine.open(repo, { indexDir, model: null });
  try {
    await engine.refresh();
    const line = lineOf(repo, PARSER, 'settings = {}');
    const file = path.join(repo, PARSER);
    await unlink(file);
    execFileSync('mkfifo', [file]);
    const answer = engine.related(PARSER, line);
    // A blocked open waits for a writer: if it is still waiting after a long while, be that
    // writer (open and close the pipe) so that the test ends, and fail.
    let blocked = false;
    const timer = new Promise<void>((resolve) => setTimeout(resolve, 5000).unref());
    await Promise.race([answer.catch(() => undefined), timer.then(() => (blocked = true))]);
    if (blocked) closeSync(openSync(file, constants.O_WRONLY | constants.O_NONBLOCK));
    const related = await answer;
    assert.equal(blocked, false, 'related code waited on the named pipe');
    assert.equal(related.source.name, 'parse_config');
  } finally {
    await engine.close();
  }
});

test('a word match outside the vector candidates is reported as matched by words (lexical)', async () => {
  const { repo, indexDir } = await freshWorkspace();
  // Over two hundred parsing functions fill the vector side's candidate list for "parse …", so
  // the one function that contains "zanzibar" (and is about networks) is found by its words only.
  for (let file = 0; file < 4; file++) {
    let text = '';
    for (let i = 0; i < 60; i++) {
      text += `def parse_rule_${file}_${i}(tokens):\n    """Parse the tokens with the parser and its grammar."""\n    return tokens[${i}:]\n\n\n`;
    }
    await writeIn(repo, `src/rules/rules_${file}.py`, text);
  }
  await writeIn(
    repo,
    'src/net/zanzibar.go',
    'package net\n\n// ZanzibarClient sends the http request to the server and reads the response.\nfunc ZanzibarClient(url string) string {\n\treturn url\n}\n',
  );
  const { engine } = await indexed(repo, indexDir);
  try {
    const hits = await engine.search('parse zanzibar');
    const zanzibar = hits.find((h) => h.name === 'ZanzibarClient');
    assert.ok(zanzibar, JSON.stringify(names(hits)));
    assert.equal(zanzibar.matchedBy, 'lexical');
    assert.ok(hits.some((h) => h.matchedBy === 'both'));
  } finally {
    await engine.close();
  }
});

test('a language named in the query is preferred, not required', async () => {
  const { repo, indexDir } = await freshWorkspace();
  const { engine } = await indexed(repo, indexDir, { model: null });
  try {
    const top = async (q: string) => (await engine.search(q, { top: 3 })).map((h) => `${h.name}:${h.language}`);
    assert.equal((await top('retry in typescript'))[0], 'retryRequest:typescript');
    assert.equal((await top('retry in rust'))[0], 'retry_with_backoff:rust');
    // the other language's match is still listed (below the named language's chunks, which weigh ×3, RankingOptions.languageBoost)
    const five = (await engine.search('retry in rust', { top: 5 })).map((h) => `${h.name}:${h.language}`);
    assert.ok(five.includes('retryRequest:typescript'), JSON.stringify(five));
  } finally {
    await engine.close();
  }
});

test('lexical-only mode (no model) indexes, searches by words and finds related code by shared words', async () => {
  const { repo, indexDir } = await freshWorkspace();
  const { engine, logs, summary } = await indexed(repo, indexDir, { model: null });
  try {
    assert.ok(logs.some((m) => /lexical-only/.test(m)), JSON.stringify(logs));
    assert.equal(summary.mode, 'lexical-only');
    assert.equal(summary.files, INDEXED_FILE_COUNT);
    assert.equal(summary.chunksEmbedded, 0);
    assert.equal(engine.mode, 'lexical-only');

    const hits = await engine.search('password session');
    assert.equal(hits[0].name, 'login');
    assert.ok(hits.every((h) => h.matchedBy === 'lexical'));
    assert.deepEqual(await engine.search('grammar ast'), [], 'no shared word, no meaning: nothing matches');

    const related = await engine.related(PARSER, lineOf(repo, PARSER, 'settings = {}'));
    assert.equal(related.source.name, 'parse_config');
    assert.equal(related.results[0].name, 'tokenize_line');
    assert.ok(related.results.every((h) => h.matchedBy === 'lexical' && !overlaps(h, related.source)));

    const status = await engine.status();
    assert.equal(status.model, null);
    assert.equal(status.mode, 'lexical-only');
    assert.equal(status.chunks, summary.chunks);
  } finally {
    await engine.close();
  }
});

test('lexical-only related code reads a file once for all its definitions, and afresh once it is re-indexed', async () => {
  const { repo, indexDir } = await freshWorkspace();
  const { engine } = await indexed(repo, indexDir, { model: null });
  const file = path.join(repo, PARSER);
  const original = await readFile(file, 'utf8');
  try {
    const first = await engine.related(PARSER, lineOf(repo, PARSER, 'settings = {}'));
    // the file vanishes: the second definition's words still come from the bytes already read,
    // not from the name-and-signature fallback, so its answer is what it was with the file present
    const tokenizeLine = lineOf(repo, PARSER, 'def tokenize_line(');
    const expected = await engine.related(PARSER, tokenizeLine);
    await unlink(file);
    const again = await engine.related(PARSER, tokenizeLine);
    assert.deepEqual(again, expected);
    assert.equal(first.source.name, 'parse_config');
    // re-indexed with new content, the new bytes are read
    await writeFile(file, original.replace('def tokenize_line(', 'def split_words_of_line('));
    await engine.refresh();
    const renamed = await engine.related(PARSER, lineOf(repo, PARSER, 'def split_words_of_line('));
    assert.equal(renamed.source.name, 'split_words_of_line');
  } finally {
    await engine.close();
  }
});

test('switching to lexical-only and back reuses the index: the words as they are, the vectors from the cache', async () => {
  const { repo, indexDir } = await freshWorkspace();
  const hybrid = await indexed(repo, indexDir);
  const answers = await probe(hybrid.engine);
  await hybrid.engine.close();

  // lexical-only over the hybrid index: nothing to parse, and nothing changed, so nothing is written
  const lexical = await indexed(repo, indexDir, { model: null });
  await lexical.engine.close();
  assert.equal(lexical.summary.filesParsed, 0);
  assert.equal(lexical.summary.chunks, hybrid.summary.chunks);
  assert.equal(lexical.summary.mode, 'lexical-only');

  const same = await indexed(repo, indexDir);
  try {
    assert.deepEqual(same.logs, [], 'the hybrid index is intact');
    assert.equal(same.summary.filesParsed, 0);
    assert.equal(same.summary.chunksEmbedded, 0);
    assert.deepEqual(await probe(same.engine), answers);
  } finally {
    await same.engine.close();
  }

  // an edit while lexical-only: that save has no vectors; the model's next run adds them back from the cache
  await writeIn(repo, 'src/extra.py', 'def brand_new_helper():\n    return 1\n');
  const edited = await indexed(repo, indexDir, { model: null });
  await edited.engine.close();
  assert.equal(edited.summary.filesParsed, 1);

  const back = await indexed(repo, indexDir);
  try {
    assert.ok(back.logs.some((m) => /without a model/.test(m) && /1 file to parse and embed again/.test(m)), JSON.stringify(back.logs));
    assert.equal(back.summary.filesParsed, 1, 'only the file indexed without the model');
    assert.equal(back.summary.chunksEmbedded, back.summary.chunks - hybrid.summary.chunks);
    assert.equal((await back.engine.search('grammar ast'))[0].matchedBy, 'vector');
    assert.deepEqual(names(await back.engine.search('parse config')).slice(0, 3), names(answers[0] as SearchHit[]).slice(0, 3));
  } finally {
    await back.engine.close();
  }
});

test('related code asked while a refresh indexes its file again leaves out its source, whatever ids its chunks have now', async () => {
  const { repo, indexDir } = await freshWorkspace();
  const { engine } = await indexed(repo, indexDir);
  try {
    const file = 'src/storage/file_store.py';
    const line = lineOf(repo, file, 'def load_file');
    const before = await engine.related(file, line, { top: 5 });
    assert.ok(before.results.every((h) => h.name !== 'load_file'));
    // the file grows at its end: its chunks keep their lines but get new ids when it is indexed again,
    // here while the related code waits for its source's text (as a save's refresh may)
    await writeFile(path.join(repo, file), readFileSync(path.join(repo, file), 'utf8') + '\n\ndef appended_helper():\n    return 1\n');
    const inner = engine as unknown as { chunkText(c: unknown): Promise<string> };
    const chunkText = inner.chunkText.bind(engine);
    let refreshed = 0;
    inner.chunkText = async (c) => {
      refreshed = (await engine.refresh()).filesParsed;
      return chunkText(c);
    };
    const during = await engine.related(file, line, { top: 5 });
    assert.equal(refreshed, 1, 'the file was indexed again meanwhile');
    assert.equal(during.source.name, 'load_file');
    assert.ok(during.results.every((h) => !(h.path === file && h.name === 'load_file')), JSON.stringify(during.results.map((h) => `${h.path}:${h.name}`)));
  } finally {
    await engine.close();
  }
});

test('find similar leaves out the code it compares, also when a refresh indexes its file again while it embeds', async () => {
  const { repo, indexDir } = await freshWorkspace();
  const { engine } = await indexed(repo, indexDir);
  try {
    const file = 'src/storage/file_store.py';
    const line = lineOf(repo, file, 'def load_file');
    const text = readFileSync(path.join(repo, file), 'utf8').split('\n').slice(line - 1, line + 2).join('\n');
    const selection = { path: file, startLine: line, endLine: line + 2 };
    const inSelection = (h: SearchHit) => h.path === file && h.startLine <= selection.endLine && selection.startLine <= h.endLine;
    assert.ok((await engine.similar(text, { top: 5 })).some(inSelection), 'without exclude, the selection is an answer');
    const apart = await engine.similar(text, { top: 5, exclude: selection });
    assert.equal(apart.length, 5);
    assert.ok(!apart.some(inSelection), JSON.stringify(apart.map((h) => `${h.path}:${h.startLine}`)));
    // the file grows at its end and is indexed again while the code is embedded: its chunks get new ids
    await writeFile(path.join(repo, file), readFileSync(path.join(repo, file), 'utf8') + '\n\ndef appended_helper():\n    return 1\n');
    const embedder = (engine as unknown as { embedder: { embedDocuments(texts: string[]): Promise<Float32Array[]> } }).embedder;
    const embedDocuments = embedder.embedDocuments.bind(embedder);
    let refreshed = 0;
    embedder.embedDocuments = async (texts) => {
      embedder.embedDocuments = embedDocuments; // once: the refresh embeds with it too
      refreshed = (await engine.refresh()).filesParsed;
      return embedDocuments(texts);
    };
    const during = await engine.similar(text, { top: 5, exclude: selection });
    assert.equal(refreshed, 1, 'the file was indexed again meanwhile');
    assert.ok(!during.some(inSelection), JSON.stringify(during.map((h) => `${h.path}:${h.startLine}`)));
  } finally {
    await engine.close();
  }
});

test('a lexical-only index opened with a model: a file gone meanwhile is counted as removed, the others are embedded again', async () => {
  const { repo, indexDir } = await freshWorkspace();
  const lexical = await indexed(repo, indexDir, { model: null });
  await lexical.engine.close();
  await rm(path.join(repo, 'src/storage/file_store.py'));
  const opened = await indexed(repo, indexDir);
  try {
    assert.equal(opened.summary.filesRemoved, 1, 'the file gone from the folder');
    assert.equal(opened.summary.filesParsed, lexical.summary.files - 1, 'the others, embedded again');
    assert.equal(opened.summary.files, lexical.summary.files - 1);
    assert.equal((await opened.engine.status()).redo.embed, undefined);
  } finally {
    await opened.engine.close();
  }
});

test("a lexical-only index opened with a model: its status counts what it holds and names the files the next update embeds; searches find them by words meanwhile", async () => {
  const { repo, indexDir } = await freshWorkspace();
  const lexical = await indexed(repo, indexDir, { model: null });
  await lexical.engine.close();
  assert.equal(lexical.summary.chunksEmbedded, 0);

  const opened = await open(repo, indexDir);
  try {
    assert.ok(opened.logs.some((m) => /without a model; its next update adds the vectors of .*\(\d+ files to parse and embed again/.test(m)), opened.logs.join(' | '));
    const before = await opened.engine.status();
    // what the index holds, not what would be left once the files to embed were taken out
    assert.equal(before.files, lexical.summary.files);
    assert.equal(before.chunks, lexical.summary.chunks);
    assert.deepEqual(before.stale, { added: 0, changed: 0, removed: 0 });
    assert.equal(before.redo.embed, lexical.summary.files, 'every file: no vector of this model in its cache');
    assert.match(formatStatus(before, false), new RegExp(`vectors: +another model \\(or none\\) made the index: its next update parses and embeds ${lexical.summary.files} files again`));
    // searched by words until then: the files are all there
    const words = await opened.engine.search('parse config');
    assert.ok(words.length > 0 && words.every((h) => h.matchedBy === 'lexical'), JSON.stringify(words.map((h) => h.matchedBy)));

    const summary = await opened.engine.refresh();
    assert.equal(summary.filesParsed, lexical.summary.files, 'each file parsed again');
    assert.equal(summary.filesRemoved, 0, 'none of them is counted as removed');
    assert.equal(summary.chunks, lexical.summary.chunks);
    assert.equal(summary.chunksEmbedded + summary.chunksFromCache, summary.chunks);
    const after = await opened.engine.status();
    assert.equal(after.redo.embed, undefined);
    assert.equal(after.chunks, lexical.summary.chunks);
    assert.doesNotMatch(formatStatus(after, false), /^vectors:/m);
    assert.ok((await opened.engine.search('grammar ast')).some((h) => h.matchedBy !== 'lexical'), 'vectors now');
  } finally {
    await opened.engine.close();
  }
  // what was saved is whole: a new engine finds nothing left to embed
  const again = await indexed(repo, indexDir);
  try {
    assert.deepEqual(again.logs, []);
    assert.equal(again.summary.filesParsed, 0);
    assert.equal((await again.engine.status()).redo.embed, undefined);
  } finally {
    await again.engine.close();
  }
});

test('an index folder that does not exist yet is created', async () => {
  const { repo } = await freshWorkspace();
  const indexDir = path.join(await temp.make('cache'), 'codescout', 'indexes', 'repo');
  const { engine, summary } = await indexed(repo, indexDir);
  try {
    assert.equal(summary.files, INDEXED_FILE_COUNT);
    assert.ok(existsSync(path.join(indexDir, 'manifest.json')));
    assert.equal((await engine.search('parse config'))[0].name, 'parse_config');
  } finally {
    await engine.close();
  }
});

test('the index persists: reopened, it answers the same without parsing or embedding anything', async () => {
  const { repo, indexDir } = await freshWorkspace();
  const first = await indexed(repo, indexDir);
  const answers = await probe(first.engine);
  const statusBefore = await first.engine.status();
  await first.engine.close();

  const second = await open(repo, indexDir);
  try {
    assert.deepEqual(second.logs, [], 'a sound index opens without notices');
    assert.deepEqual(await probe(second.engine), answers, 'answers straight from the stored index');
    const revision = second.engine.revision;
    const summary = await second.engine.refresh();
    assert.equal(second.engine.revision, revision, 'a refresh that changes nothing leaves the revision');
    assert.equal(summary.filesParsed, 0);
    assert.equal(summary.filesRemoved, 0);
    assert.equal(summary.chunksEmbedded, 0);
    assert.equal(summary.chunksFromCache, 0);
    assert.equal(summary.files, first.summary.files);
    assert.equal(summary.chunks, first.summary.chunks);
    assert.deepEqual(await probe(second.engine), answers);
    const status = await second.engine.status();
    assert.equal(status.chunks, statusBefore.chunks);
    assert.deepEqual(status.languages, statusBefore.languages);
  } finally {
    await second.engine.close();
  }
});

test('the revision changes with every refresh that changes what a search reads: a file added, changed or removed, a skip', async () => {
  const { repo, indexDir } = await freshWorkspace();
  const { engine } = await indexed(repo, indexDir);
  try {
    const changes: [string, () => Promise<unknown>][] = [
      ['added', () => writeIn(repo, 'src/zoo.py', 'def quokka_tally(animals):\n    return len(animals)\n')],
      ['changed', () => writeIn(repo, 'src/zoo.py', 'def wombat_census(animals):\n    return len(animals)\n')],
      ['now binary', () => writeFile(path.join(repo, 'src/zoo.py'), Buffer.from([0x64, 0x65, 0x66, 0, 1, 2]))],
      ['removed', () => rm(path.join(repo, 'src/zoo.py'))],
    ];
    for (const [what, change] of changes) {
      const revision = engine.revision;
      await change();
      await engine.refresh();
      assert.notEqual(engine.revision, revision, what);
      const again = engine.revision;
      await engine.refresh();
      assert.equal(engine.revision, again, `${what}, then nothing`);
    }
  } finally {
    await engine.close();
  }
});

test('an index rebuilt from the embedding cache alone answers exactly as the one the model embedded', async () => {
  const { repo, indexDir } = await freshWorkspace();
  const first = await indexed(repo, indexDir);
  assert.ok(first.summary.chunksEmbedded > 0);
  const answers = await probe(first.engine);
  await first.engine.close();
  // everything but the cache goes: the next refresh parses every file and takes every vector from the cache
  for (const name of readdirSync(indexDir)) if (!/^embeddings-.*\.cache$/.test(name)) await rm(path.join(indexDir, name), { recursive: true });
  const second = await indexed(repo, indexDir);
  try {
    assert.equal(second.summary.chunksEmbedded, 0);
    assert.equal(second.summary.chunksFromCache, first.summary.chunksEmbedded);
    assert.deepEqual(await probe(second.engine), answers, 'the same vectors, to the last bit: the scores too');
  } finally {
    await second.engine.close();
  }
});

test('a lexical-only index opened with a model whose embedding cache holds its vectors takes them from the cache (a file whose key is not a cache key is parsed again) and answers as the one the model embedded', async () => {
  const { repo, indexDir } = await freshWorkspace();
  const extra = 'def quokka_tally(animals):\n    return len(animals)\n';
  await writeIn(repo, 'src/zoo.py', extra);
  const first = await indexed(repo, indexDir);
  const answers = await probe(first.engine);
  await first.engine.close();
  // the index refreshed without a model (a file removed, so that it is saved): its chunks keep their embedding keys, its vectors are dropped
  await rm(path.join(repo, 'src/zoo.py'));
  const lexical = await indexed(repo, indexDir, { model: null });
  await lexical.engine.close();
  assert.equal(JSON.parse(readFileSync(path.join(indexDir, 'manifest.json'), 'utf8')).files['vectors.bin'], undefined, 'saved without vectors');
  // one chunk's recorded key is not a cache key (a catalog from elsewhere): its file is parsed again, and no lookup fails
  const storage = new IndexStorage(indexDir, repo, undefined);
  const state = await storage.load(() => {});
  const [oddPath, oddFile] = [...state.catalog.files].find(([, f]) => f.chunkIds.length > 0)!;
  state.catalog.chunks.get(oddFile.chunkIds[0])!.embeddingKey = 'abc';
  state.catalog.touchFile(oddPath, oddFile.size, oddFile.mtimeMs); // something to save
  state.committed = undefined; // a new generation, with that key
  await storage.save(state);
  await state.close();
  await writeIn(repo, 'src/zoo.py', extra);
  const second = await open(repo, indexDir);
  try {
    assert.ok(
      second.logs.some((m) => /its next update adds the vectors of .*\(1 file to parse and embed again, the rest from the embedding cache\)/.test(m)),
      `told where the vectors come from: ${second.logs.join(' | ')}`,
    );
    const summary = await second.engine.refresh();
    assert.equal(summary.chunksEmbedded, 0, 'nothing embedded again');
    assert.deepEqual(await probe(second.engine), answers, 'the same vectors, to the last bit');
  } finally {
    await second.engine.close();
  }
});

describe('a damaged index is reported, survived and rebuilt', () => {
  const TARGETS = ['catalog.bin', 'lexical.bin', 'vectors.bin', 'manifest.json'] as const;
  type Target = (typeof TARGETS)[number];
  const DAMAGES = ['flip bytes in', 'truncate', 'delete'] as const;
  type Damage = (typeof DAMAGES)[number];

  let repo: string;
  let pristine: string;
  let clean: unknown[];

  before(async () => {
    const ws = await freshWorkspace();
    repo = ws.repo;
    pristine = ws.indexDir;
    const { engine } = await indexed(repo, pristine);
    clean = await probe(engine);
    await engine.close();
  });

  /** The file that holds `target` in the committed generation. */
  function fileOf(indexDir: string, target: Target): string {
    if (target === 'manifest.json') return path.join(indexDir, target);
    const manifest = JSON.parse(readFileSync(path.join(indexDir, 'manifest.json'), 'utf8'));
    return path.join(indexDir, manifest.files[target].file);
  }

  /** Where to flip a byte: the middle of a data file; in the manifest, inside the catalog's checksum. */
  function flipOffset(file: string, bytes: Buffer): number {
    if (path.basename(file) !== 'manifest.json') return bytes.length >> 1;
    const manifest = JSON.parse(bytes.toString('utf8'));
    return bytes.indexOf(manifest.files['catalog.bin'].sha256) + 10;
  }

  async function damage(file: string, how: Damage): Promise<void> {
    if (how === 'delete') return unlink(file);
    const bytes = await readFile(file);
    if (how === 'truncate') return truncate(file, bytes.length >> 1);
    const at = flipOffset(file, bytes);
    bytes[at] ^= 0xff;
    await writeFile(file, bytes);
  }

  for (const target of TARGETS) {
    for (const how of DAMAGES) {
      test(`${how} ${target}`, async () => {
        const indexDir = await temp.make('damaged');
        await cp(pristine, indexDir, { recursive: true });
        await damage(fileOf(indexDir, target), how);

        const { engine, logs } = await open(repo, indexDir);
        try {
          assert.ok(
            logs.some((m) => /damaged/.test(m) && /rebuilt/.test(m)),
            `expected a notice that the index is damaged and will be rebuilt, got ${JSON.stringify(logs)}`,
          );
          const summary = await engine.refresh();
          assert.equal(summary.filesParsed, INDEXED_FILE_COUNT, 'rebuilt from the source files');
          assert.deepEqual(await probe(engine), clean);
        } finally {
          await engine.close();
        }
        const reopened = await open(repo, indexDir);
        try {
          assert.deepEqual(reopened.logs, [], 'the rebuilt index is sound');
        } finally {
          await reopened.engine.close();
        }
      });
    }
  }
});

describe('incremental updates', () => {
  let repo: string;
  let engine: Engine;
  let initial: IndexSummary;

  before(async () => {
    const ws = await freshWorkspace();
    repo = ws.repo;
    ({ engine, summary: initial } = await indexed(repo, ws.indexDir));
  });
  after(() => engine.close());

  test('a file touched but not changed is not parsed again', async () => {
    const file = path.join(repo, 'src/maths/vector.go');
    const later = new Date(Date.now() + 60_000);
    await utimes(file, later, later);
    const summary = await engine.refresh();
    assert.equal(summary.filesParsed, 0);
    assert.equal(summary.chunksEmbedded, 0);
    assert.equal(summary.chunks, initial.chunks);
    assert.deepEqual((await engine.status()).stale, { added: 0, changed: 0, removed: 0 });
  });

  test('an edit: only the edited file is parsed, only its changed chunk embedded, the new name is found', async () => {
    const file = path.join(repo, PARSER);
    const text = await readFile(file, 'utf8');
    const edited = text
      .replace('def parse_config(text):', 'def parse_settings(text):')
      .replace('Parse the config syntax', 'Parse the settings syntax');
    assert.notEqual(edited, text);
    await writeFile(file, edited);

    const summary = await engine.refresh();
    assert.equal(summary.filesParsed, 1);
    assert.equal(summary.filesRemoved, 0);
    assert.equal(summary.chunksEmbedded, 1, 'only parse_settings has new text');
    assert.ok(summary.chunksFromCache > 0, 'the file’s other chunks come from the cache');
    assert.equal(summary.chunks, initial.chunks);

    const hits = await engine.search('parse settings');
    assert.equal(hits[0].name, 'parse_settings');
    assert.equal(hits[0].startLine, lineOf(repo, PARSER, 'def parse_settings('));
    const all = await engine.search('parse config', { top: 100 });
    assert.ok(!all.some((h) => h.name === 'parse_config'), 'the old name is gone');
  });

  test('a delete: nothing is parsed and the file’s functions are gone', async () => {
    const chunksBefore = (await engine.status()).chunks;
    const present = await engine.search('http server request response', { top: 100 });
    assert.ok(present.some((h) => h.name === 'StartServer'));
    await unlink(path.join(repo, 'src/net/server.go'));

    const summary = await engine.refresh();
    assert.equal(summary.filesParsed, 0);
    assert.equal(summary.filesRemoved, 1);
    assert.equal(summary.files, INDEXED_FILE_COUNT - 1);
    assert.ok(summary.chunks < chunksBefore);
    const gone = await engine.search('http server request response', { top: 100 });
    assert.ok(!gone.some((h) => h.path === 'src/net/server.go' || h.name === 'StartServer' || h.name === 'HealthHandler'));
  });

  test('a rename: the file is parsed under its new path and its chunks come from the embedding cache', async () => {
    const chunksBefore = (await engine.status()).chunks;
    await mkdir(path.join(repo, 'src/ui'));
    await rename(path.join(repo, BUTTON), path.join(repo, 'src/ui/button_view.rs'));

    const summary = await engine.refresh();
    assert.equal(summary.filesParsed, 1);
    assert.equal(summary.filesRemoved, 1);
    assert.equal(summary.chunksEmbedded, 0);
    assert.ok(summary.chunksFromCache > 0);
    assert.equal(summary.chunks, chunksBefore);

    const hits = await engine.search('click the button', { top: 100 });
    assert.equal(hits[0].path, 'src/ui/button_view.rs');
    assert.ok(!hits.some((h) => h.path === BUTTON));
    const related = await engine.related('src/ui/button_view.rs', lineOf(repo, 'src/ui/button_view.rs', 'let (r, g, b)'));
    assert.deepEqual(names(related.results.slice(0, 2)), ['Button', 'click']);
  });
});

describe('one writer per index folder', () => {
  test('a second engine on the same index reads the saved state and does not write', async () => {
    const { repo, indexDir } = await freshWorkspace();
    const writer = await indexed(repo, indexDir);
    try {
      const reader = await open(repo, indexDir);
      try {
        assert.ok(reader.logs.some((m) => m.includes(`pid ${process.pid}`) && m.includes('updating this index')), reader.logs.join('\n'));
        await writeIn(repo, 'src/extra.py', 'def brand_new_helper():\n    return 1\n');
        const summary = await reader.engine.refresh();
        assert.equal(summary.filesParsed, 0);
        assert.equal(summary.chunks, writer.summary.chunks);
        assert.deepEqual(
          (await reader.engine.search('parse the configuration', { top: 3 })).map((h) => h.name),
          (await writer.engine.search('parse the configuration', { top: 3 })).map((h) => h.name),
        );
      } finally {
        await reader.engine.close();
      }
    } finally {
      await writer.engine.close();
    }
    // the writer is gone: the next engine writes, and picks up the new file
    const next = await indexed(repo, indexDir);
    try {
      assert.deepEqual(next.logs.filter((m) => m.includes('updating this index')), []);
      assert.equal(next.summary.filesParsed, 1);
    } finally {
      await next.engine.close();
    }
  });

  test('a live holder keeps the lock; a damaged lock is taken over once it is a few seconds old', async () => {
    const { IndexLock } = await import('../src/engine/index/lock');
    const dir = await temp.make('lock');
    const lockFile = path.join(dir, 'index.lock');
    await writeFile(lockFile, String(process.ppid)); // a live process
    assert.deepEqual(IndexLock.acquire(dir), { heldBy: process.ppid });
    await writeFile(lockFile, ''); // damaged (an interrupted write of an old version, say)
    // seconds old: held (a reader reads, a writer waits), not an error
    assert.deepEqual(IndexLock.acquire(dir), { heldBy: 0, unreadable: true });
    const old = new Date(Date.now() - 60_000);
    await utimes(lockFile, old, old);
    const lock = IndexLock.acquire(dir);
    assert.ok(lock instanceof IndexLock);
    assert.equal(JSON.parse(readFileSync(lockFile, 'utf8')).pid, process.pid);
    assert.deepEqual(IndexLock.acquire(dir), { heldBy: process.pid }, 'a second taker sees the holder');
    lock.release();
    assert.equal(existsSync(lockFile), false);
    assert.deepEqual(readdirSync(dir), [], 'no helper files are left behind');
  });

  test('a lock left by a process that no longer exists is taken over', async () => {
    const { repo, indexDir } = await freshWorkspace();
    await mkdir(indexDir, { recursive: true });
    await writeFile(path.join(indexDir, 'index.lock'), '2147483646'); // no such process
    const opened = await indexed(repo, indexDir);
    try {
      assert.deepEqual(opened.logs.filter((m) => m.includes('updating this index')), []);
      assert.equal(opened.summary.files, INDEXED_FILE_COUNT);
      assert.equal(JSON.parse(readFileSync(path.join(indexDir, 'index.lock'), 'utf8')).pid, process.pid);
    } finally {
      await opened.engine.close();
    }
    assert.equal(existsSync(path.join(indexDir, 'index.lock')), false);
  });
});

test('related code for a long definition leaves out its own windows; overloads stay apart in results', async () => {
  const dir = await temp.make('engine-long');
  const body = Array.from({ length: 220 }, (_, i) => `    total += order.items[${i % 7}].price * rate_${i % 5}`).join('\n');
  await writeIn(dir, 'orders.py', `def process_orders(order, rate_0, rate_1, rate_2, rate_3, rate_4):\n    total = 0\n${body}\n    return total\n\n\ndef refund_order(order):\n    return -order.total\n`);
  await writeIn(dir, 'Shapes.java', 'class Shapes {\n  double area(double radius) { return Math.PI * radius * radius; }\n  double area(double w, double h) { return w * h; }\n}\n');
  const { engine } = await indexed(dir, await temp.make('engine-long-index'));
  try {
    const late = await engine.related('orders.py', 150);
    assert.equal(late.source.name, 'process_orders');
    assert.ok(late.source.startLine > 1, 'the long function is indexed as several windows');
    assert.ok(!late.results.some((h) => h.name === 'process_orders'), JSON.stringify(late.results.map((h) => h.name)));
    const related = await engine.related('orders.py', 1);
    assert.equal(related.source.name, 'process_orders');
    assert.ok(!related.results.some((h) => h.name === 'process_orders'), JSON.stringify(related.results.map((h) => h.name)));
    const areas = (await engine.search('area', { top: 10 })).filter((h) => h.name === 'area');
    assert.equal(areas.length, 2, 'both overloads of area are listed');
  } finally {
    await engine.close();
  }
});

test("two definitions with the same name and signature (a C function's #ifdef and #else versions): related code for one lists the other, and a search lists both", async () => {
  const dir = await temp.make('engine-ifdef');
  await writeIn(
    dir,
    'plat.c',
    '#include <stdio.h>\n\n#ifdef _WIN32\nFILE *open_file(const char *path) {\n  return _wfopen_shim(path, "rb");\n}\n#else\n' +
      'FILE *open_file(const char *path) {\n  return fopen(path, "rb");\n}\n#endif\n\nint close_file(FILE *f) {\n  return fclose(f);\n}\n',
  );
  const { engine } = await indexed(dir, await temp.make('engine-ifdef-index'), { model: null });
  try {
    const related = await engine.related('plat.c', 9);
    assert.equal(related.source.startLine, 8);
    assert.deepEqual(related.results.filter((h) => h.name === 'open_file').map((h) => h.startLine), [4], 'the other version is related code');
    // and a search lists both versions, each at its own lines
    const found = (await engine.search('open_file', { top: 10 })).filter((h) => h.name === 'open_file');
    assert.deepEqual(found.map((h) => h.startLine).sort((a, b) => a - b), [4, 8]);
  } finally {
    await engine.close();
  }
});

describe('a refresh told which paths changed', () => {
  /** A lexical-only engine over `files` (and symbolic links), refreshed once; the caller closes. */
  async function small(files: Record<string, string>, links: [string, string][] = []): Promise<{ repo: string; engine: Engine }> {
    const dir = await temp.make('told');
    const repo = path.join(dir, 'repo');
    for (const [rel, text] of Object.entries(files)) {
      await mkdir(path.dirname(path.join(repo, rel)), { recursive: true });
      await writeFile(path.join(repo, rel), text);
    }
    for (const [at, target] of links) symlinkSync(target, path.join(repo, at));
    const engine = await Engine.open(repo, { indexDir: path.join(dir, 'index'), model: null, log: () => {} });
    await engine.refresh();
    return { repo, engine };
  }
  const found = async (engine: Engine, name: string) => (await engine.search(name)).filter((h) => h.name === name).map((h) => h.path);

  test('answers as a scan would where a told path does not name what the index holds', async () => {
    // a file indexed under a link's path; the watcher names the link's target
    let { repo, engine } = await small({ '.gitignore': 'gen/\n', 'gen/x.py': 'def alpha_old():\n    pass\n', 'a.py': 'def keep():\n    pass\n' }, [['x.py', 'gen/x.py']]);
    await writeFile(path.join(repo, 'gen', 'x.py'), 'def beta_new():\n    pass\n');
    assert.equal((await engine.refresh({ paths: ['gen/x.py'] })).filesParsed, 1);
    assert.deepEqual(await found(engine, 'beta_new'), ['x.py']);
    await engine.close();

    // a folder replaced by a file of its name: its files go
    ({ repo, engine } = await small({ 'lib.py/inner.py': 'def inner_gone():\n    pass\n', 'a.py': 'def keep():\n    pass\n' }));
    await rm(path.join(repo, 'lib.py'), { recursive: true });
    await writeFile(path.join(repo, 'lib.py'), 'def lib_file():\n    pass\n');
    const replaced = await engine.refresh({ paths: ['lib.py'] });
    assert.deepEqual([replaced.filesParsed, replaced.filesRemoved], [1, 1]);
    assert.deepEqual(await found(engine, 'inner_gone'), []);
    await engine.close();

    // a too-large file trimmed, another deleted: the skip report follows
    const big = 'x = 1\n'.repeat(200_000);
    ({ repo, engine } = await small({ 'big.py': big, 'huge.py': big, 'a.py': 'def keep():\n    pass\n' }));
    await writeFile(path.join(repo, 'big.py'), 'def now_small():\n    pass\n');
    await unlink(path.join(repo, 'huge.py'));
    const trimmed = await engine.refresh({ paths: ['big.py', 'huge.py'] });
    assert.deepEqual(trimmed.skippedFiles, []);
    assert.deepEqual(await found(engine, 'now_small'), ['big.py']);
    await engine.close();

    // git's own exclude file changed: its rules apply
    ({ repo, engine } = await small({ '.git/info/exclude': '', 'secret.py': 'def secret_fn():\n    pass\n', 'a.py': 'def keep():\n    pass\n' }));
    await writeFile(path.join(repo, '.git', 'info', 'exclude'), 'secret.py\n');
    assert.equal((await engine.refresh({ paths: ['.git/info/exclude'] })).filesRemoved, 1);
    assert.deepEqual(await found(engine, 'secret_fn'), []);
    await engine.close();
  });

  test('after taking over an index another process wrote, it scans: the changes made meanwhile were not all told', async () => {
    const { repo, engine: writer } = await small({ 'x.py': 'def x_old():\n    pass\n', 'y.py': 'def y_old():\n    pass\n' });
    const reader = await Engine.open(repo, { indexDir: writer.indexDir, model: null, log: () => {} });
    try {
      assert.equal(reader.readOnly, true);
      await writeFile(path.join(repo, 'x.py'), 'def x_new():\n    pass\n');
      assert.equal((await reader.refresh({ paths: ['x.py'] })).filesParsed, 0, 'read-only: nothing is indexed');
      await writer.close();
      await writeFile(path.join(repo, 'y.py'), 'def y_new():\n    pass\n');
      assert.equal((await reader.refresh({ paths: ['y.py'] })).filesParsed, 2, 'taken over: x.py is found too');
      assert.equal(reader.readOnly, false);
      assert.deepEqual(await found(reader, 'x_new'), ['x.py']);
    } finally {
      await reader.close();
    }
  });

  test('the revision moves when a read-only engine takes over an index another process changed, though it saves nothing itself', async () => {
    const { repo, engine: writer } = await small({ 'x.py': 'def x_old():\n    pass\n' });
    const reader = await Engine.open(repo, { indexDir: writer.indexDir, model: null, log: () => {} });
    try {
      assert.equal(reader.readOnly, true);
      const revision = reader.revision;
      assert.equal((await reader.refresh()).filesParsed, 0);
      assert.equal(reader.revision, revision, 'read-only, nothing changed');
      assert.deepEqual(await found(reader, 'x_new'), []);
      await writeFile(path.join(repo, 'x.py'), 'def x_new():\n    pass\n');
      assert.equal((await writer.refresh()).filesParsed, 1);
      await writer.close();
      assert.equal((await reader.refresh()).filesParsed, 0, 'the writer indexed it');
      assert.equal(reader.readOnly, false);
      assert.notEqual(reader.revision, revision, 'read again: what a search reads changed');
      assert.deepEqual(await found(reader, 'x_new'), ['x.py']);
    } finally {
      await reader.close();
    }
  });

  test('looks at those paths only when that is enough, and scans the folder when it is not', async () => {
    const { repo, indexDir } = await freshWorkspace();
    const { engine } = await indexed(repo, indexDir);
    try {
      await writeFile(path.join(repo, 'src', 'saved_here.py'), 'def tally_widget_orders(rows):\n    """Count the widget orders."""\n    return len(rows)\n');
      await writeFile(path.join(repo, 'src', 'not_named.py'), 'def unnamed_sprocket_total(rows):\n    return sum(rows)\n');
      const told = await engine.refresh({ paths: ['src/saved_here.py'] });
      assert.equal(told.filesParsed, 1);
      assert.equal((await engine.search('tally_widget_orders'))[0]?.name, 'tally_widget_orders');
      assert.ok(!(await engine.search('unnamed_sprocket_total')).some((h) => h.name === 'unnamed_sprocket_total'), 'a file it was not told of is not looked at');

      await unlink(path.join(repo, 'src', 'saved_here.py'));
      const deleted = await engine.refresh({ paths: ['src/saved_here.py'] });
      assert.deepEqual([deleted.filesParsed, deleted.filesRemoved], [0, 1]);
      assert.ok(!(await engine.search('tally_widget_orders')).some((h) => h.name === 'tally_widget_orders'));

      // an ignore file among the paths: only a scan can tell what changed, and it finds the other file too
      const ignoreFile = path.join(repo, '.codescoutignore');
      await writeFile(ignoreFile, `${existsSync(ignoreFile) ? await readFile(ignoreFile, 'utf8') : ''}\nsrc/not_named.py\n`);
      await writeFile(path.join(repo, 'src', 'found_by_scan.py'), 'def scanned_gadget_count(rows):\n    return len(rows)\n');
      const scanned = await engine.refresh({ paths: ['.codescoutignore'] });
      assert.equal(scanned.filesParsed, 1, 'the scan parses the new file; the ignored one never was');
      assert.equal((await engine.search('scanned_gadget_count'))[0]?.name, 'scanned_gadget_count');
      assert.ok(!(await engine.search('unnamed_sprocket_total')).some((h) => h.name === 'unnamed_sprocket_total'));
    } finally {
      await engine.close();
    }
  });
});

test('a language indexed by lines is filtered by its name or its extension, not as every text file', async () => {
  const { repo, indexDir } = await freshWorkspace();
  await writeIn(repo, 'scripts/deploy.sh', '#!/bin/sh\n# deploy the widgets\nrsync -a widgets/ host:/srv/widgets\n');
  await writeIn(repo, 'app/Widgets.kt', 'fun deployWidgets(host: String) {\n    println("deploy widgets to $host")\n}\n');
  await writeIn(repo, 'notes/widgets.txt', 'Notes on how we deploy the widgets.\n');
  await writeIn(repo, 'app/legacy.KTS', 'val deployWidgetsLegacy = true // deploy widgets\n');
  await writeIn(repo, 'CMakeLists.txt', '# deploy widgets\nadd_executable(widgets main.c)\n');
  await writeIn(repo, 'Makefile', 'deploy:\n\t./scripts/deploy.sh widgets\n');
  await writeIn(repo, 'Rakefile', 'task :deploy do\n  sh "deploy widgets"\nend\n');
  const { engine } = await indexed(repo, indexDir);
  try {
    const files = async (...languages: string[]) => [...new Set((await engine.search('deploy widgets', { languages, top: 50 })).map((h) => h.path))].sort();
    assert.deepEqual(await files('kotlin'), ['app/Widgets.kt', 'app/legacy.KTS']);
    assert.deepEqual(await files('kt'), ['app/Widgets.kt'], 'an extension is that extension only');
    assert.deepEqual(await files('shell'), ['scripts/deploy.sh']);
    assert.deepEqual(await files('SH'), ['scripts/deploy.sh']);
    assert.deepEqual(await files('txt'), ['notes/widgets.txt'], 'CMakeLists.txt is CMake, not text');
    assert.deepEqual(await files('cmake'), ['CMakeLists.txt'], 'the name cmake, also an extension, is the whole language');
    assert.deepEqual(await files('makefile'), ['Makefile']);
    assert.ok((await files('ruby')).includes('Rakefile'), 'a Rakefile is Ruby');
    assert.deepEqual(
      await files('text'),
      ['CMakeLists.txt', 'Makefile', 'Rakefile', 'app/Widgets.kt', 'app/legacy.KTS', 'notes/widgets.txt', 'scripts/deploy.sh'],
      'text is every file indexed by lines',
    );
    const mixed = await files('kotlin', 'python');
    assert.ok(mixed.includes('app/Widgets.kt') && mixed.some((p) => p.endsWith('.py')) && mixed.every((p) => /\.(kt|KTS|py)$/.test(p)), mixed.join(', '));
    const sql = await engine.searchAnswer('deploy widgets', { languages: ['sql'] });
    assert.deepEqual([sql.hits.length, sql.emptyBecause], [0, 'language']);
  } finally {
    await engine.close();
  }
});

test('search answers say why they are empty or weak: filters named, a malformed glob refused, no strong match', async () => {
  const { repo, indexDir } = await freshWorkspace();
  const { engine } = await indexed(repo, indexDir);
  try {
    const real = await engine.searchAnswer('parse config');
    assert.ok(real.hits.length > 0);
    assert.equal(real.weak, undefined, 'a query whose words are in the code is a strong match');
    assert.equal(typeof real.similarity, 'number', 'hybrid answers carry the best cosine similarity');
    assert.equal(real.emptyBecause, undefined);

    assert.equal((await engine.searchAnswer('parse config', { paths: ['nowhere/**'] })).emptyBecause, 'path');
    assert.equal((await engine.searchAnswer('parse config', { languages: ['java'] })).emptyBecause, 'language');
    const both = await engine.searchAnswer('parse config', { languages: ['rust'], paths: ['src/parser/**'] });
    assert.deepEqual([both.hits.length, both.emptyBecause], [0, 'filters'], 'Rust code exists and so does src/parser, but not together');
    // with the model there is always a nearest piece of code: a list, and nothing to explain
    const nearest = await engine.searchAnswer('zzqqxv', { paths: ['src/**'] });
    assert.ok(nearest.hits.length > 0, 'hybrid search always has the nearest code');
    assert.equal(nearest.emptyBecause, undefined);

    await assert.rejects(engine.searchAnswer('parse', { paths: ['[unclosed'] }), (err: unknown) => {
      assert.ok(err instanceof InvalidFilterError);
      assert.match(err.message, /the path filter "\[unclosed" is not a valid glob: a '\[' has no closing '\]'/);
      return true;
    });
  } finally {
    await engine.close();
  }
  // every answer is weak when the threshold is above any cosine and no word matches; none when words match
  const strict = await open(repo, indexDir, { ranking: { weakMatchSimilarity: 1 } });
  try {
    const nonsense = await strict.engine.searchAnswer('qqxvzz flibbertigibbetqq');
    assert.ok(nonsense.hits.length > 0, 'hybrid search always has the nearest code');
    assert.equal(nonsense.weak, true, JSON.stringify(nonsense.hits.map((h) => h.name)));
    assert.equal((await strict.engine.searchAnswer('parse config')).weak, undefined);
  } finally {
    await strict.engine.close();
  }
  // words only: a query no code contains finds nothing, and filters that match code do not explain that
  const lexical = await open(repo, indexDir, { model: null });
  try {
    const unexplained = await lexical.engine.searchAnswer('zzqqxv', { paths: ['src/**'] });
    assert.deepEqual([unexplained.hits.length, unexplained.emptyBecause, unexplained.weak], [0, undefined, undefined]);
    assert.equal((await lexical.engine.searchAnswer('zzqqxv', { paths: ['nowhere/**'] })).emptyBecause, 'path');
  } finally {
    await lexical.engine.close();
  }
});

test('an index read under older content rules reads every file again once: a file now recognised as generated leaves it, the others keep their chunks', async () => {
  const { repo, indexDir } = await freshWorkspace();
  // two versions of one file, byte for byte as long: hand-written, then with Go's generated-code banner
  const body = 'package gen\n\n// Hello answers a greeting.\nfunc Hello() string {\n\treturn "hello"\n}\n';
  const banner = '// Code generated by stringer; DO NOT EDIT.\n';
  const handWritten = `// ${'Written by hand and kept up to date'.padEnd(banner.length - 4, '.')}\n`;
  assert.equal(handWritten.length, banner.length);
  const file = path.join(repo, 'gen', 'hello.go');
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, handWritten + body);
  const when = new Date('2026-01-02T03:04:05Z'); // whole seconds: set again exactly below
  await utimes(file, when, when);
  const first = await indexed(repo, indexDir, { model: null });
  await first.engine.close();
  assert.equal(first.summary.files, INDEXED_FILE_COUNT + 1);

  // the banner arrives with the same size and modification time: a refresh by size and time cannot see it
  await writeFile(file, banner + body);
  await utimes(file, when, when);
  const unseen = await indexed(repo, indexDir, { model: null });
  assert.equal(unseen.summary.filesParsed, 0);
  const seen = await unseen.engine.search('Hello greeting');
  assert.ok(seen.some((h) => h.path === 'gen/hello.go'), `the index still holds the file as it was read: ${JSON.stringify(seen.map((h) => [h.path, h.name]))}`);
  await unseen.engine.close();

  asWrittenBeforeContentRules(path.dirname(findFile(indexDir, 'manifest.json')));

  // status says so before the update (the CLI's `status` and the editor's "Show Index Status")
  const pending = await open(repo, indexDir, { model: null });
  try {
    const report = await pending.engine.status();
    assert.deepEqual(report.redo, { read: true, chunk: false, chunkWaitsForModel: false });
    assert.match(formatStatus(report, false), /^rules: +the index was made under other rules for skipping binary, generated and minified files: its next update reads every file again$/m);
  } finally {
    await pending.engine.close();
  }
  const reread = await indexed(repo, indexDir, { model: null });
  try {
    assert.deepEqual((await reread.engine.status()).redo, { read: false, chunk: false, chunkWaitsForModel: false }, 'done: status says nothing more');
    assert.ok(reread.logs.some((m) => /was built with other rules for which files to skip/.test(m)), reread.logs.join('\n'));
    assert.equal(reread.summary.files, INDEXED_FILE_COUNT, 'the generated file left the index');
    assert.equal(reread.summary.skipped.generated, 1);
    assert.equal(reread.summary.filesParsed, 0, 'the other files were read, found unchanged, and kept');
    assert.ok(!(await reread.engine.search('Hello greeting')).some((h) => h.path === 'gen/hello.go'));
  } finally {
    await reread.engine.close();
  }
  // recorded: the next open neither says so nor reads the files again
  const after = await indexed(repo, indexDir, { model: null });
  try {
    assert.ok(!after.logs.some((m) => /other rules/.test(m)), after.logs.join('\n'));
    assert.equal(after.summary.files, INDEXED_FILE_COUNT);
  } finally {
    await after.engine.close();
  }
});

test('an index chunked under another chunking version chunks every file again once, taking every vector from the embedding cache, and answers as before', async () => {
  const { repo, indexDir } = await freshWorkspace();
  const first = await indexed(repo, indexDir);
  assert.ok(first.summary.chunksEmbedded > 0);
  const answers = await probe(first.engine);
  await first.engine.close();
  const manifestDir = path.dirname(findFile(indexDir, 'manifest.json'));
  assert.equal(recordedChunking(manifestDir), CHUNKING_VERSION);
  for (const older of [undefined, CHUNKING_VERSION - 1]) {
    asChunkedUnder(manifestDir, older);
    // a words-only run leaves the chunks as they are, so that the new ones get their vectors' keys from the model's run
    const words = await indexed(repo, indexDir, { model: null });
    try {
      assert.ok(words.logs.some((m) => /were cut into chunks by older rules .*; the next update with the model \S+ chunks every file again/.test(m)), words.logs.join('\n'));
      assert.equal(words.summary.filesParsed, 0);
      assert.equal(words.engine.refreshesPathsAlone, false, 'a refresh of a few paths scans the folder while the chunks wait');
      const report = await words.engine.status();
      assert.deepEqual(report.redo, { read: false, chunk: true, chunkWaitsForModel: true }, 'still to do, by the model');
      assert.match(formatStatus(report, false), /^rules: +the files were cut into chunks under other rules: the next update with the model chunks every file again/m);
    } finally {
      await words.engine.close();
    }
    const pending = await open(repo, indexDir);
    try {
      const report = await pending.engine.status();
      assert.deepEqual(report.redo, { read: false, chunk: true, chunkWaitsForModel: false });
      assert.match(formatStatus(report, false), /^rules: +the files were cut into chunks under other rules: its next update chunks every file again/m);
    } finally {
      await pending.engine.close();
    }
    const again = await indexed(repo, indexDir);
    try {
      assert.deepEqual((await again.engine.status()).redo, { read: false, chunk: false, chunkWaitsForModel: false }, 'done: status says nothing more');
      assert.doesNotMatch(formatStatus(await again.engine.status(), false), /^rules:/m);
      assert.ok(again.logs.some((m) => /were cut into chunks by older rules .*; its next update chunks every file again/.test(m)), again.logs.join('\n'));
      assert.equal(again.summary.filesParsed, INDEXED_FILE_COUNT, `chunked under ${older ?? 1}: every file is chunked again`);
      assert.equal(again.summary.chunksEmbedded, 0, 'no chunk is embedded again');
      assert.equal(again.summary.chunksFromCache, first.summary.chunksEmbedded);
      assert.equal(again.summary.files, INDEXED_FILE_COUNT);
      assert.deepEqual(await probe(again.engine), answers);
    } finally {
      await again.engine.close();
    }
    assert.equal(recordedChunking(manifestDir), CHUNKING_VERSION, 'recorded');
    const settled = await indexed(repo, indexDir);
    try {
      assert.ok(!settled.logs.some((m) => /cut into chunks/.test(m)), settled.logs.join('\n'));
      assert.equal(settled.summary.filesParsed, 0, 'the next update chunks nothing again');
      assert.equal(settled.engine.refreshesPathsAlone, true);
    } finally {
      await settled.engine.close();
    }
  }
});

test('an index without files made under another chunking version records the current one at its next update (its files were chunked again by the update after)', async () => {
  const repo = await temp.make('empty-rechunk');
  const indexDir = await temp.make('empty-rechunk-index');
  await (await indexed(repo, indexDir)).engine.close();
  const manifestDir = path.dirname(findFile(indexDir, 'manifest.json'));
  asChunkedUnder(manifestDir, undefined);
  await writeFile(path.join(repo, 'first.py'), 'def first():\n    return 1\n');
  const added = await indexed(repo, indexDir);
  try {
    assert.equal(added.summary.filesParsed, 1);
  } finally {
    await added.engine.close();
  }
  assert.equal(recordedChunking(manifestDir), CHUNKING_VERSION);
  const next = await indexed(repo, indexDir);
  try {
    assert.equal(next.summary.filesParsed, 0, 'nothing chunked again');
  } finally {
    await next.engine.close();
  }
});

test('while every file is chunked again, a file gone between the scan and its reading keeps its chunks, and the next update removes it', async () => {
  const { repo, indexDir } = await freshWorkspace();
  await (await indexed(repo, indexDir)).engine.close();
  const before = await snapshotIndex(repo, indexDir);
  assert.ok(before.files.get(BUTTON)?.chunks.length, `${BUTTON} is indexed`);
  const manifestDir = path.dirname(findFile(indexDir, 'manifest.json'));
  asChunkedUnder(manifestDir, undefined);
  // a one-shot engine (the CLI's) scans the folder as it opens: the file goes after that scan, before the refresh reads it
  const opened = await open(repo, indexDir, { oneShot: true });
  try {
    const scan = await (opened.engine as unknown as { ahead: { scan(): Promise<{ files: { path: string }[] } | undefined> } }).ahead.scan();
    assert.ok(scan?.files.some((f) => f.path === BUTTON), 'the scan made ahead holds the file');
    await rm(path.join(repo, BUTTON));
    const summary = await opened.engine.refresh();
    assert.equal(summary.filesParsed, INDEXED_FILE_COUNT - 1, 'every other file is chunked again');
    assert.equal(summary.filesRemoved, 0);
    assert.equal(summary.files, INDEXED_FILE_COUNT);
  } finally {
    await opened.engine.close();
  }
  assert.equal(recordedChunking(manifestDir), CHUNKING_VERSION, 'recorded all the same');
  const during = await snapshotIndex(repo, indexDir);
  assert.ok(sameEntry(during.files.get(BUTTON), before.files.get(BUTTON)), `${BUTTON} keeps its chunks: ${JSON.stringify(during.files.get(BUTTON))}`);
  const next = await indexed(repo, indexDir);
  try {
    assert.equal(next.summary.filesRemoved, 1, 'a scan finds it gone');
    assert.equal(next.summary.filesParsed, 0);
  } finally {
    await next.engine.close();
  }
});

/** The one file named `name` under `dir`. */
function findFile(dir: string, name: string): string {
  const found = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((p) => path.basename(p) === name);
  assert.equal(found.length, 1, `${name} under ${dir}: ${found.join(', ')}`);
  return path.join(dir, found[0]);
}

test('a catalog read from its file: the first name query at each revision looks up its names alone, the second builds the name index', async () => {
  const { repo, indexDir } = await freshWorkspace();
  await (await indexed(repo, indexDir, { model: null })).engine.close();
  const names = (engine: Engine) => (engine as unknown as { names?: object }).names;
  const engine = await Engine.open(repo, { indexDir, model: null });
  try {
    assert.equal((await engine.search('parse_config', { top: 1 }))[0]?.name, 'parse_config');
    assert.equal(names(engine), undefined, 'the first query: its names alone');
    // as the CLI asks before its refresh and, when that changed the index, again after it
    await writeFile(path.join(repo, 'src', 'added.py'), 'def parse_config_again(text):\n    return text\n');
    assert.equal((await engine.refresh()).filesParsed, 1);
    assert.equal((await engine.search('parse_config_again', { top: 1 }))[0]?.name, 'parse_config_again');
    assert.equal(names(engine), undefined, 'the first query since the change: its names alone');
    assert.equal((await engine.search('parse_config', { top: 1 }))[0]?.name, 'parse_config');
    assert.ok(names(engine), 'the second at one revision builds the index');
  } finally {
    await engine.close();
  }
});

test('the name index built ahead (prepareNames, as the editor\'s engine does when idle) answers as the one a search builds', async () => {
  const { repo, indexDir } = await freshWorkspace();
  await (await indexed(repo, indexDir, { model: null })).engine.close();
  const names = (engine: Engine) => (engine as unknown as { names?: { index: { lookup(name: string, limit: number): readonly number[] } } }).names;
  /** What the engine's name index gives for some compact names (search/name-index.ts), as the ids it lists. */
  const lookups = (engine: Engine) => ['parseconfig', 'retryrequest', 'loadfile', 'configerror', 'retrywithbackoff', 'parseconfigagain'].map((name) => names(engine)!.index.lookup(name, 50));
  const queries = ['parse_config', 'retryRequest', 'RetryRequest', 'load file', 'retry_with_backoff in rust', 'parse_config'];
  // reopened, so that the catalog is read from its file: the first name query then looks up its names alone;
  // each engine on its own copy of the index, so that each writes its own (two on one folder: one only reads)
  const copy = path.join(await temp.make('index-copy'), 'index'); // inside a folder the test's cleanup removes
  await cp(indexDir, copy, { recursive: true });
  const plain = await Engine.open(repo, { indexDir, model: null });
  const prepared = await Engine.open(repo, { indexDir: copy, model: null });
  try {
    assert.equal(names(prepared), undefined);
    assert.equal(prepared.prepareNames(), true);
    const built = names(prepared);
    assert.ok(built, 'built ahead');
    assert.equal(prepared.prepareNames(), false);
    assert.equal(names(prepared), built, 'built once for a catalog');
    for (const query of queries) assert.deepEqual(await prepared.search(query, { top: 5 }), await plain.search(query, { top: 5 }), query);
    // the plain engine's second name query built its index: the same as the one built ahead
    assert.deepEqual(lookups(prepared), lookups(plain));
    assert.ok(lookups(prepared).slice(0, 2).every((ids) => ids.length > 0), 'the fixture defines parse_config and retryRequest');
    // a change after it was built reaches it as it reaches the one a search builds
    await writeFile(path.join(repo, 'src', 'added.py'), 'def parse_config_again(text):\n    return text\n');
    assert.equal((await prepared.refresh()).filesParsed, 1);
    assert.equal((await plain.refresh()).filesParsed, 1);
    assert.deepEqual(await prepared.search('parse_config_again', { top: 3 }), await plain.search('parse_config_again', { top: 3 }));
    assert.equal((await prepared.search('parse_config_again', { top: 1 }))[0]?.name, 'parse_config_again');
    assert.deepEqual(lookups(prepared), lookups(plain));
    assert.equal(lookups(prepared)[5].length, 1);
  } finally {
    await plain.close();
    await prepared.close();
  }
});

test('related at a file whose name holds a backslash (a name of its own on Linux) finds it, as search listed it', { skip: path.sep === '\\' ? 'a backslash separates names on Windows' : false }, async () => {
  const root = await temp.make('backslash');
  await writeFile(path.join(root, 'a\\b.py'), 'def in_backslash_file():\n    return 1\n\n\ndef other():\n    return 2\n');
  await writeFile(path.join(root, 'c.py'), 'def elsewhere():\n    return 3\n');
  const engine = await Engine.open(root, { indexDir: path.join(await temp.make('backslash-index'), 'index'), model: null });
  try {
    await engine.refresh();
    assert.ok((await engine.search('in_backslash_file')).some((h) => h.path === 'a\\b.py'));
    const related = await engine.related('a\\b.py', 1);
    assert.equal(related.source.name, 'in_backslash_file');
    assert.equal(related.source.path, 'a\\b.py');
  } finally {
    await engine.close();
  }
});

test('code used as a query searches its heaviest words only (RankingOptions.codeQueryTerms): related code and find similar, built and reopened', async () => {
  const repo = await temp.make('code-query');
  // the source shares two rare words with one file and its common words with many others; five of
  // its words are its own, which related code (the source no answer) must not spend its places on
  const common = 'value result index count items total';
  const source = `def blend(value, result, index, count, items, total):\n    zeta = [alpha_one, bravo_two, charlie_three]\n    return quaternion_slerp(value, result, index, count, items, total)\n`;
  await writeFile(path.join(repo, 'source.py'), source);
  await writeFile(path.join(repo, 'target.py'), 'def quaternion_slerp(a, b):\n    return a\n');
  for (let i = 0; i < 6; i++) await writeFile(path.join(repo, `common_${i}.py`), `def helper_${i}(${common.split(' ').join(', ')}):\n    return ${common.split(' ').join(' + ')}\n`);
  const names = (hits: SearchHit[]) => JSON.stringify(hits.map((h) => h.name));
  for (const [limit, commonFound] of [[0, true], [2, false]] as const) {
    const indexDir = await temp.make('index');
    const built = await indexed(repo, indexDir, { model: null, ranking: { codeQueryTerms: limit } });
    await built.engine.close();
    // built in memory, then read back (its postings not decoded until a search needs them)
    for (const opened of [await indexed(repo, await temp.make('index'), { model: null, ranking: { codeQueryTerms: limit } }), await open(repo, indexDir, { model: null, ranking: { codeQueryTerms: limit } })]) {
      const { engine } = opened;
      try {
        const related = await engine.related('source.py', 1);
        assert.equal(related.results[0]?.name, 'quaternion_slerp', `limit ${limit}: ${names(related.results)}`);
        assert.equal(related.results.some((h) => h.name.startsWith('helper_')), commonFound, `limit ${limit}: ${names(related.results)}`);
        // a selection of code (not a chunk of its own: its words are not left out of the counts)
        const similar = await engine.similar('quaternion_slerp(value, result, index, count, items, total)');
        assert.ok(similar.some((h) => h.name === 'quaternion_slerp'), `limit ${limit}: ${names(similar)}`);
        assert.equal(similar.some((h) => h.name.startsWith('helper_')), commonFound, `limit ${limit}: ${names(similar)}`);
      } finally {
        await engine.close();
      }
    }
  }
});
