import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseQuery } from '../src/engine/search/query';

test('language names leave the lexical words and are reported', () => {
  const q = parseQuery('read a CSV file in Python');
  assert.deepEqual(q.languages, ['python']);
  assert.ok(!q.lexicalTokens.includes('python'));
  assert.ok(q.lexicalTokens.includes('csv') && q.lexicalTokens.includes('file'));
  assert.deepEqual(parseQuery('golang http server and c++ vector').languages, ['go', 'cpp']);
});

test('words that merely contain a language name, and a bare language name, are kept', () => {
  assert.deepEqual(parseQuery('pythonic iterator').languages, []);
  assert.ok(parseQuery('pythonic iterator').lexicalTokens.includes('pythonic'));
  // "go" is an English verb: only "golang" names the language
  assert.deepEqual(parseQuery('go to definition').languages, []);
  const bare = parseQuery('python');
  assert.deepEqual(bare.languages, ['python']);
  assert.deepEqual(bare.lexicalTokens, ['python']);
});

test('a language name inside an identifier names no language and stays searched (JAVA_HOME, get_php_version)', () => {
  for (const [query, word] of [['JAVA_HOME', 'java'], ['RUST_LOG level', 'rust'], ['get_php_version', 'php'], ['python_requires', 'python']]) {
    const q = parseQuery(query);
    assert.deepEqual(q.languages, [], query);
    assert.ok(q.lexicalTokens.some((t) => t.startsWith(word)), `${query}: ${JSON.stringify(q.lexicalTokens)}`);
  }
  // beside an identifier, the name still names its language
  assert.deepEqual(parseQuery('read JAVA_HOME in python').languages, ['python']);
});

test('spelled-out words and their code abbreviations meet in one index term', async () => {
  const { lexicalQueryTokens } = await import('../src/engine/index/lexical-fields');
  const query = lexicalQueryTokens('remove a key from a dictionary');
  const code = lexicalQueryTokens('def del_dict_key(d, k):');
  for (const term of ['del', 'dict', 'key']) {
    assert.ok(query.includes(term), `query ${JSON.stringify(query)} lacks ${term}`);
    assert.ok(code.includes(term), `code ${JSON.stringify(code)} lacks ${term}`);
  }
  assert.deepEqual(lexicalQueryTokens('strings'), lexicalQueryTokens('str'));
});

test('a query over the length limit is refused with a QueryTooLongError that says both numbers', async () => {
  const { checkQueryLength, MAX_QUERY_CHARS, QueryTooLongError } = await import('../src/engine/search/query');
  assert.equal(MAX_QUERY_CHARS, 2000);
  checkQueryLength('x'.repeat(MAX_QUERY_CHARS));
  // characters are code points: 2,000 emoji (4,000 UTF-16 units) are within the limit
  checkQueryLength('😀'.repeat(MAX_QUERY_CHARS));
  assert.throws(
    () => checkQueryLength('😀'.repeat(MAX_QUERY_CHARS + 1)),
    (err: unknown) =>
      err instanceof QueryTooLongError &&
      err.name === 'QueryTooLongError' &&
      err.length === MAX_QUERY_CHARS + 1 &&
      err.max === MAX_QUERY_CHARS &&
      err.message === `the query is too long: ${MAX_QUERY_CHARS + 1} characters, at most ${MAX_QUERY_CHARS} are searched`,
  );
  assert.throws(() => checkQueryLength('abcd', 3), QueryTooLongError);
  checkQueryLength('abc', 3);
});

test('the engine refuses an over-long query before searching, at its default or configured limit', async () => {
  const { mkdtemp, rm, writeFile } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const path = await import('node:path');
  const { Engine, MAX_QUERY_CHARS, QueryTooLongError } = await import('../src/engine/engine');
  const root = await mkdtemp(path.join(tmpdir(), 'codescout-query-limit-'));
  try {
    await writeFile(path.join(root, 'area.py'), 'def area(width, height):\n    return width * height\n');
    const engine = await Engine.open(root, { model: null, indexDir: path.join(root, '.index') });
    await engine.refresh();
    const fits = `area ${'x'.repeat(MAX_QUERY_CHARS - 5)}`;
    assert.equal((await engine.search(fits))[0]?.name, 'area');
    await assert.rejects(engine.search(`${fits}y`), QueryTooLongError);
    await assert.rejects(engine.searchAnswer('a'.repeat(1_000_000)), (err: unknown) => err instanceof QueryTooLongError && err.length === 1_000_000);
    assert.throws(() => engine.spell('a'.repeat(MAX_QUERY_CHARS + 1)), QueryTooLongError);
    await engine.close();

    const strict = await Engine.open(root, { model: null, indexDir: path.join(root, '.index'), maxQueryChars: 10 });
    assert.equal((await strict.search('area'))[0]?.name, 'area');
    await assert.rejects(strict.search('area width height'), (err: unknown) => err instanceof QueryTooLongError && err.max === 10);
    await strict.close();
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
