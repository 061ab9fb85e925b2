/**
 * The pure parts of a search answer's presentation: what makes a list a weak match
 * (search/match-strength.ts), which lines of a result a preview shows (text/preview.ts), and the
 * path globs a search accepts (search/filters.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isWeakMatch } from '../src/engine/search/match-strength';
import { checkPathGlobs, InvalidFilterError, mergeEmptyBecause, pathFilter, pathGlobProblem, type EmptyBecause } from '../src/engine/search/filters';
import picomatch from 'picomatch';
import { GLOB_OPTIONS } from '../src/engine/files/globs';
import { MAX_LINE_CHARS, previewLines, queryTerms } from '../src/engine/text/preview';
import { DEFAULT_RANKING, rankingOptions } from '../src/engine/search/ranker';
import { fuzzParams } from './helpers/fuzz';

test('a list is weak only when no word matched and the nearest code is below the threshold', () => {
  const v = (...scores: number[]) => scores.map((score, id) => ({ id, score }));
  assert.equal(isWeakMatch({ lexical: [], named: [], vector: v(0.2, 0.1) }, 0.35), true);
  assert.equal(isWeakMatch({ lexical: [], named: [], vector: v(0.2, 0.5) }, 0.35), false, 'the best similarity counts, wherever it is');
  assert.equal(isWeakMatch({ lexical: [{ id: 1, score: 0.1 }], named: [], vector: v(0.1) }, 0.35), false, 'a word match is never weak');
  assert.equal(isWeakMatch({ lexical: [], named: [3], vector: v(0.1) }, 0.35), false, 'a named definition is never weak');
  assert.equal(isWeakMatch({ lexical: [], named: [], vector: v(0.1) }, 0), false, 'threshold 0 turns it off');
  assert.equal(DEFAULT_RANKING.weakMatchSimilarity, 0.35);
  assert.throws(() => rankingOptions({ weakMatchSimilarity: 1.5 }), /weakMatchSimilarity must be between 0 and 1/);
});

test('preview lines: the first line, then lines with query words, then the next lines; dedented, blank lines never', () => {
  const lines = ['    def parse_config(text):', '', '        """Read settings."""', '        values = {}', '        for line in text.splitlines():', '            key, value = line.split("=")', '        return values'];
  assert.deepEqual(previewLines(lines, 10, queryTerms('split line'), 3), [
    { line: 10, text: 'def parse_config(text):' },
    { line: 14, text: '    for line in text.splitlines():' },
    { line: 15, text: '        key, value = line.split("=")' },
  ]);
  assert.deepEqual(previewLines(lines, 10, [], 3).map((l) => l.line), [10, 12, 13], 'without matches, the lines after the first (not the blank one)');
  assert.deepEqual(previewLines(lines, 1, ['zzz'], 1), [{ line: 1, text: 'def parse_config(text):' }]);
  assert.deepEqual(previewLines([], 1, ['x'], 3), []);
  const long = previewLines(['x'.repeat(500)], 1, [], 3)[0]!.text;
  assert.equal(long.length, MAX_LINE_CHARS);
  assert.ok(long.endsWith('…'));
});

test('preview lines: a property — at most max lines, increasing line numbers inside the range, the first line always, each text a line of the code', () => {
  fc.assert(
    fc.property(
      fc.array(fc.string({ maxLength: 40 }), { minLength: 1, maxLength: 30 }),
      fc.integer({ min: 1, max: 10_000 }),
      fc.array(fc.string({ minLength: 1, maxLength: 6 }), { maxLength: 4 }),
      fc.integer({ min: 1, max: 6 }),
      (lines, first, terms, max) => {
        const shown = previewLines(lines, first, terms, max);
        assert.ok(shown.length >= 1 && shown.length <= max);
        assert.equal(shown[0]!.line, first);
        for (let i = 1; i < shown.length; i++) assert.ok(shown[i]!.line > shown[i - 1]!.line);
        for (const row of shown) {
          assert.ok(row.line >= first && row.line < first + lines.length);
          const source = lines[row.line - first]!;
          if (row.line !== first) assert.ok(source.trim() !== '', 'a blank line was chosen');
          const text = row.text.endsWith('…') ? row.text.slice(0, -1) : row.text;
          assert.ok(source.includes(text.trimEnd()), `${JSON.stringify(row.text)} is not from ${JSON.stringify(source)}`);
        }
      },
    ),
    fuzzParams(200),
  );
});

test('path globs: a malformed one is named with what is wrong, a good one passes', () => {
  assert.equal(pathGlobProblem('src/**'), undefined);
  assert.equal(pathGlobProblem('**/*.{ts,js}'), undefined);
  assert.match(pathGlobProblem('[unclosed')!, /^is not a valid glob: a '\[' has no closing '\]' \(write \\\[ for a literal '\['\)$/);
  assert.match(pathGlobProblem('a{b') ?? '', /a '\{' has no closing '\}'/);
  assert.equal(pathGlobProblem('/etc/**'), 'is not relative to the folder');
  assert.equal(pathGlobProblem('C:\\src\\**'), 'is not relative to the folder');
  assert.match(pathGlobProblem('') ?? '', /is empty/);
  // a '}' nothing opened, as a lone ']' or ')' already was; one inside a class, or escaped, is a literal
  assert.match(pathGlobProblem('src/}') ?? '', /^is not a valid glob: a '\}' has no opening '\{' \(write \\\} for a literal '\}'\)$/);
  assert.equal(pathGlobProblem('src/[}]x'), undefined);
  assert.equal(pathGlobProblem('src/\\}'), undefined);
  // each '*' in one name multiplies the work of matching a long name that almost matches: at most 3
  assert.match(pathGlobProblem('*a*a*a*a*a*a*a*a*a*a*a*a*b') ?? '', /has 13 wildcards in one name .*; at most 3 are allowed/);
  assert.match(pathGlobProblem('**/*a*b*c*') ?? '', /has 4 wildcards/);
  // an extglob group that repeats counts as a '*' does: these took seconds to match one name
  assert.match(pathGlobProblem('**/+([a-z])+([a-z])+([a-z])+([a-z])x') ?? '', /has 4 wildcards/);
  assert.match(pathGlobProblem('+(a)*(a)?(a)@(a)b') ?? '', /has 4 wildcards/);
  // a '}' inside a class (after an escape, a '!' or a leading ']') or inside an extglob is a literal one
  for (const glob of ['[\\]}]', '[!]}]', '[]}]', '@(a|})']) assert.equal(pathGlobProblem(glob), undefined, glob);
  assert.equal(pathGlobProblem('**/*a*b*c'), undefined, 'three in a name, and a globstar, are fine');
  assert.equal(pathGlobProblem('**/a\\*b\\*c\\*d*'), undefined, 'escaped stars are literal ones');
  assert.throws(() => checkPathGlobs(['src/**', '(x']), (err: unknown) => err instanceof InvalidFilterError && err.glob === '(x');
  // a negation is checked as the glob after its '!'
  assert.equal(pathGlobProblem('!src/gen/**'), undefined);
  assert.equal(pathGlobProblem('!/etc/**'), 'is not relative to the folder');
  assert.match(pathGlobProblem('!') ?? '', /leaves out nothing/);
  assert.match(pathGlobProblem('![x') ?? '', /a '\[' has no closing/);
  assert.equal(pathGlobProblem('!(gen)/**'), undefined, 'an extglob group, not a negation');
  assert.doesNotThrow(() => checkPathGlobs(undefined));
});

test('path filter: a path passes when it matches a glob that is not a negation (any path, with none) and no negation', () => {
  const paths = fc.constantFrom('src/a.ts', 'src/gen/b.ts', 'src/gen/deep/c.ts', 'lib/d.ts', 'e.ts', 'gen/f.ts', 'src/!x.ts');
  const globs = fc.constantFrom('src/**', 'src/gen/**', 'lib/**', '*.ts', '**/*.ts', 'gen/**', 'src/\\!x.ts');
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.boolean(), globs), { minLength: 1, maxLength: 4 }), paths, (given, path) => {
      const filter = pathFilter(given.map(([negated, g]) => (negated ? `!${g}` : g)));
      const kept = given.filter(([negated]) => !negated).map(([, g]) => g);
      const left = given.filter(([negated]) => negated).map(([, g]) => g);
      const expected = (kept.length === 0 || kept.some((g) => picomatch(g, GLOB_OPTIONS)(path))) && !left.some((g) => picomatch(g, GLOB_OPTIONS)(path));
      assert.equal(filter(path), expected, `${JSON.stringify(given)} ${path}`);
    }),
  );
  // an extglob group is a glob of its own, not a negation
  assert.equal(pathFilter(['!(src)/**'])('lib/d.ts'), true);
  assert.equal(pathFilter(['!(src)/**'])('src/a.ts'), false);
});

test('several folders: an empty answer is explained only when every folder was emptied by a filter; different filters together are "filters"', () => {
  assert.equal(mergeEmptyBecause(['path', 'path']), 'path');
  assert.equal(mergeEmptyBecause(['path', 'language']), 'filters', 'one folder has no such path, the other no such language');
  assert.equal(mergeEmptyBecause(['language', undefined]), undefined, 'a folder with nothing for another reason');
  assert.equal(mergeEmptyBecause([]), undefined, 'no folder answered');
  const reason = fc.constantFrom<EmptyBecause | undefined>('path', 'language', 'filters', undefined);
  fc.assert(
    fc.property(fc.array(reason, { maxLength: 6 }), (reasons) => {
      const merged = mergeEmptyBecause(reasons);
      if (reasons.length === 0 || reasons.includes(undefined)) return merged === undefined;
      return new Set(reasons).size === 1 ? merged === reasons[0] : merged === 'filters';
    }),
    fuzzParams(200),
  );
});
