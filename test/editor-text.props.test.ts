/**
 * Properties of what the editor shows and opens, over arbitrary text: repository text is never
 * read as icons, Markdown or links, command URIs carry their argument exactly, and the
 * workspace check never lets a path out of its folder.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import fc from 'fast-check';
import { marked, type Token } from 'marked';
import { commandUri, labelText, markdownText, noticeText, oneLine } from '../src/extension/display-text';
import { checkLocation } from '../src/extension/workspace-path';
import { fuzzParams } from './helpers/fuzz';
import { inlineText, renderLabel } from './helpers/vscode-text';

/** Pieces that mean something to labels, Markdown, links, paths or terminals. */
const FRAGMENTS = [
  '$(', '$(alert)', '$(sync~spin)', '\\', '\\$(eye)', ')', '(', '[', ']', '](', '](command:x)', '*', '_', '`', '~', '#', '>', '<', '&', '&amp;', '&#36;',
  '<b>', '-', '+', '1.', '|', '!', '"', "'", ':', 'http://x.y', 'www.x.y', '\n', '\r', '\t', '\u0000', '\u001b[2J', '\u007f', '\u0085', '\u2028', '\u2029',
  '\u202e', '\u2066', '\ud800', '\udfff', '🙂', 'ש', '..', '/', '.', ' ', '  ', 'constructor', '__proto__', 'toString',
];

/** Arbitrary strings: any code units (lone surrogates included), mixed with the fragments above. */
const hostileText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 60 }),
  fc.array(fc.oneof(fc.constantFrom(...FRAGMENTS), fc.string({ maxLength: 4 })), { maxLength: 20 }).map((parts) => parts.join('')),
);

test('labels: any text shows as itself on one line, with no icon', () => {
  fc.assert(
    fc.property(hostileText, (text) => {
      const label = labelText(text);
      assert.deepEqual(renderLabel(label), { shown: oneLine(text), icons: [] });
      assert.doesNotMatch(label, /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/);
    }),
    fuzzParams(300),
  );
});

test('hover Markdown: any text is one item of plain text, shown as itself, with no icon, link or HTML', () => {
  fc.assert(
    fc.property(hostileText, (text) => {
      // between other text, as in a hover (where it follows `[` or `—`): whitespace at the start of a block is Markdown's
      const blocks = marked.lexer(`- x${markdownText(text)} end\n`).filter((t) => t.type !== 'space');
      assert.equal(blocks.length, 1);
      const list = blocks[0] as Token & { items?: (Token & { tokens: Token[] })[] };
      assert.equal(list.type, 'list');
      assert.equal(list.items?.length, 1);
      const inline = list.items![0].tokens.flatMap((t) => (t.type === 'text' && 'tokens' in t ? (t.tokens ?? []) : [t]));
      assert.deepEqual(renderLabel(inlineText(inline, JSON.stringify(text))), { shown: `x${oneLine(text)} end`, icons: [] });
    }),
    fuzzParams(200),
  );
});

test('command URIs: the argument comes back exactly, in characters no link or URI parser reads', () => {
  const location = fc.record({ root: hostileText, path: hostileText, startLine: fc.nat(), endLine: fc.nat() });
  fc.assert(
    fc.property(location, (at) => {
      const uri = commandUri('codescout.internal.openLocation', [at]);
      const query = uri.slice(uri.indexOf('?') + 1);
      assert.match(query, /^[A-Za-z0-9%._-]*$/);
      assert.deepEqual(JSON.parse(decodeURIComponent(query)), JSON.parse(JSON.stringify([at])));
    }),
    fuzzParams(200),
  );
});

test('notifications: no link syntax survives', () => {
  fc.assert(
    fc.property(hostileText, (text) => {
      assert.doesNotMatch(noticeText(text), /\]\s*\(/);
    }),
    fuzzParams(200),
  );
});

test('the workspace check: a path it accepts is inside its folder; it never throws', () => {
  const segment = fc.oneof(fc.constantFrom('..', '.', '', 'src', '..a', 'a..', '/', '\\', '~'), hostileText);
  const relPath = fc.oneof(hostileText, fc.array(segment, { maxLength: 6 }).map((s) => s.join('/')));
  const roots = ['/w/app', '/w/lib'];
  fc.assert(
    fc.property(relPath, fc.constantFrom(...roots, '/w', '/w/app/..', '/etc'), fc.integer({ min: -2, max: 5 }), (p, root, line) => {
      const checked = checkLocation({ root, path: p, startLine: line, endLine: line }, roots);
      if (!('file' in checked)) {
        assert.equal(typeof checked.refused, 'string');
        assert.doesNotMatch(checked.refused, /[\n\r]/);
        return;
      }
      assert.ok(roots.includes(root) && line >= 1);
      const rel = path.relative(root, checked.file);
      assert.ok(rel !== '' && rel !== '..' && !rel.startsWith('../') && !path.isAbsolute(rel), `${JSON.stringify(p)} → ${checked.file}`);
      assert.equal(path.resolve(checked.file), path.resolve(root, p), 'the place the path names');
    }),
    fuzzParams(500),
  );
});
