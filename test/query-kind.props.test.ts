/**
 * How a query is read for names (src/engine/search/query-kind.ts), on any text a user or an agent
 * may send: taking out the marks around a type's name only ever removes characters, and reading the
 * names never throws, whatever the brackets, angle brackets and marks.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { attributeClassNames, queryShape, withoutTypeMarks } from '../src/engine/search/query-kind';

/** Text made mostly of the characters these rules look at, with words and spaces between. */
const codeish = fc
  .array(fc.oneof(fc.constantFrom('<', '>', '[', ']', '(', ')', '*', '&', '-', '=', ',', '.', '::', ' ', '"', 'Vec', 'T', 'u8', 'Key', 'attribute', 'é', '😀'), fc.string({ maxLength: 4 })), { maxLength: 60 })
  .map((parts) => parts.join(''));

/** Whether `small` is `big` with some characters (UTF-16 code units) taken out, in order. */
function isSubsequence(small: string, big: string): boolean {
  let at = 0;
  for (let i = 0; i < small.length; i++) {
    at = big.indexOf(small[i], at);
    if (at === -1) return false;
    at++;
  }
  return true;
}

test('taking out type marks only removes characters, and marks not attached to a name stay', () => {
  fc.assert(
    fc.property(codeish, (text) => {
      const out = withoutTypeMarks(text);
      assert.ok(isSubsequence(out, text), `${JSON.stringify(text)} → ${JSON.stringify(out)}`);
      // what is left of angle brackets after a space is never touched
      if (!/[\p{L}\p{N}_$\]>]</u.test(text)) assert.equal((out.match(/</g) ?? []).length, (text.match(/</g) ?? []).length);
    }),
    { numRuns: 2000 },
  );
});

test('reading names never throws, every name is a compact name, and attribute names come with their source name', () => {
  fc.assert(
    fc.property(fc.oneof(codeish, fc.string({ maxLength: 200 })), (text) => {
      const shape = queryShape(text);
      for (const n of shape.names) {
        assert.match(n.name, /^[\p{Ll}\p{Lo}\p{Lm}\p{Lt}\p{N}\p{M}]*$/u, n.name);
        assert.ok(n.name.length > 0);
      }
      // a name attributeClassNames adds is the `…Attribute` class of a name it was given or found, or a
      // name the text applies in brackets (`[attribute]` names `attribute`)
      const given = shape.names.filter((n) => !n.name.endsWith('attribute'));
      const extra = attributeClassNames(text, given);
      const known = new Set([...given, ...extra].map((n) => n.name));
      for (const n of extra) {
        const alias = n.name.endsWith('attribute') && n.typed.endsWith('Attribute') && known.has(n.name.slice(0, -'attribute'.length));
        assert.ok(alias || text.includes('['), `${JSON.stringify(text)}: ${n.name}`);
      }
    }),
    { numRuns: 2000, examples: [['[attribute]'], ['[Attribute] of JsonProperty'], ['[FooAttribute] attribute']] },
  );
});

test('long adversarial queries are read (no catastrophic backtracking: a time-out far above the few ms they take would end the test)', { timeout: 60_000 }, () => {
  const cases = ['a<'.repeat(1000), `${'A<'.repeat(500)}${'>'.repeat(500)}`, `[${' '.repeat(1998)}`, '*'.repeat(2000), `x${'<-'.repeat(999)}>`, `[${'a.'.repeat(999)}`];
  for (const text of cases) {
    assert.ok(isSubsequence(withoutTypeMarks(text), text));
    assert.ok(Array.isArray(queryShape(text).names));
    assert.ok(Array.isArray(attributeClassNames(text, [])));
  }
});
