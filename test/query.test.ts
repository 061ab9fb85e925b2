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
