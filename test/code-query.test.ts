/**
 * The lexical query made of code (search/code-query.ts): which of a chunk's words related code
 * and find similar search.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { codeQueryTerms } from '../src/engine/search/code-query';
import { rankingOptions } from '../src/engine/search/ranker';
import { fuzzParams } from './helpers/fuzz';

const idf = (n: number, df: number) => Math.log(1 + (n - df + 0.5) / (df + 0.5));

test('few enough words are all searched, in order of first use; more are cut to the heaviest by count × idf', () => {
  const df = new Map([['return', 900], ['self', 800], ['parse', 20], ['config', 50], ['retry', 5], ['absent', 0]]);
  const frequency = (t: string) => df.get(t) ?? 0;
  const tokens = ['self', 'parse', 'return', 'self', 'config', 'retry', 'return', 'return', 'absent'];
  assert.deepEqual(codeQueryTerms(tokens, frequency, 1000, 0), ['self', 'parse', 'return', 'config', 'retry', 'absent'], '0: all of them');
  assert.deepEqual(codeQueryTerms(tokens, frequency, 1000, 6), ['self', 'parse', 'return', 'config', 'retry', 'absent'], 'no more than the limit: all of them');
  // retry 1 × idf(5) > parse 1 × idf(20) > config 1 × idf(50) > self 2 × idf(800) (0.45) > return 3 × idf(900) (0.32); absent matches nothing
  assert.deepEqual(codeQueryTerms(tokens, frequency, 1000, 3), ['retry', 'parse', 'config']);
  assert.deepEqual(codeQueryTerms(tokens, frequency, 1000, 5), ['retry', 'parse', 'config', 'self', 'return'], 'a word no document holds is left out');
  // equal weights: the word first used first
  assert.deepEqual(codeQueryTerms(['b', 'a', 'c', 'a', 'b'], (t) => (t === 'c' ? 1 : 10), 1000, 2), ['b', 'a']);
  assert.deepEqual(codeQueryTerms(['a', 'b', 'c', 'a', 'b'], (t) => (t === 'c' ? 1 : 10), 1000, 2), ['a', 'b']);
  // a word used often enough outweighs a rarer one used once
  assert.deepEqual(codeQueryTerms(['line', 'line', 'line', 'line', 'line', 'line', 'cmd', 'x'], (t) => (t === 'line' ? 100 : t === 'cmd' ? 60 : 900), 1000, 1), ['line']);
});

test('the chosen words are the heaviest, at most the limit, each once, whatever the code and the index', () => {
  const word = fc.constantFrom('return', 'if', 'self', 'parse', 'config', 'retry', 'x', 'constructor', '__proto__', 'toString', '数据');
  fc.assert(
    fc.property(
      fc.array(word, { maxLength: 60 }),
      fc.dictionary(word, fc.nat(1000)),
      fc.integer({ min: 1000, max: 2000 }),
      fc.nat(12),
      (tokens, dfs, n, max) => {
        const frequency = (t: string) => (Object.hasOwn(dfs, t) ? dfs[t] : 0);
        const chosen = codeQueryTerms(tokens, frequency, n, max);
        const distinct: string[] = [...new Set<string>(tokens)];
        assert.equal(new Set(chosen).size, chosen.length, 'each word once');
        if (max === 0 || distinct.length <= max) {
          assert.deepEqual(chosen, distinct);
          return;
        }
        assert.ok(chosen.length <= max);
        const count = (t: string) => tokens.filter((x) => x === t).length;
        const weight = (t: string) => count(t) * idf(n, frequency(t));
        for (const t of chosen) assert.ok(distinct.includes(t) && frequency(t) > 0);
        for (let i = 1; i < chosen.length; i++) assert.ok(weight(chosen[i - 1]) >= weight(chosen[i]), 'heaviest first');
        const held = distinct.filter((t) => frequency(t) > 0);
        assert.equal(chosen.length, Math.min(max, held.length), 'as many as the limit allows');
        const lightest = Math.min(...chosen.map(weight));
        for (const t of held) if (!chosen.includes(t)) assert.ok(weight(t) <= lightest, `${t} left out, heavier than a word kept`);
        assert.deepEqual(codeQueryTerms(tokens, frequency, n, max), chosen, 'the same choice again');
      },
    ),
    fuzzParams(300),
  );
});

test('the limit is a ranking option: a whole number, 0 for none', () => {
  assert.equal(rankingOptions().codeQueryTerms, 60);
  assert.equal(rankingOptions({ codeQueryTerms: 0 }).codeQueryTerms, 0);
  assert.throws(() => rankingOptions({ codeQueryTerms: 2.5 }), /codeQueryTerms must be a whole number/);
  assert.throws(() => rankingOptions({ codeQueryTerms: -1 }), /finite number ≥ 0/);
});
