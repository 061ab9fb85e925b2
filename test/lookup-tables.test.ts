/**
 * A static guard against plain objects used as lookup tables (see test/prototype-keys.test.ts for
 * the behaviour it protects). Every source file of the engine, CLI, server, protocol, extension
 * and webview script is parsed with the TypeScript compiler, and these constructs are reported:
 *
 * - `Record<string, …>` and `{ [key: string]: … }` types: an object whose keys are any string;
 * - `TABLE[key]`, where TABLE is an object literal of the same file and `key` is not a literal;
 * - `key in object` with a key that is not a literal (`in` finds inherited properties too);
 * - `hasOwnProperty` (an object can shadow it; `Object.hasOwn` cannot be fooled).
 *
 * Each one must be listed in ALLOWED with the reason it is safe; a new one fails the test until it
 * is turned into a `Map` (or an `Object.create(null)` object) or reviewed and listed. A listed
 * construct that no longer exists fails too, so the list stays true.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import ts from 'typescript';
import { PACKAGE_ROOT } from './helpers/workspace';

type Rule = 'string-keyed type' | 'object-literal table lookup' | 'in operator' | 'hasOwnProperty';

interface Finding {
  file: string;
  rule: Rule;
  /** the construct's source text, whitespace collapsed */
  text: string;
}

interface Allowed extends Finding {
  why: string;
}

/** Reviewed constructs, each with the reason no outside string can reach Object.prototype through it. */
const ALLOWED: readonly Allowed[] = [
  {
    file: 'src/agent/tools.ts', rule: 'string-keyed type', text: 'Record<string, unknown>',
    why: "JSON objects handed to MCP clients and VS Code (an answer's structured content, a tool's JSON Schema): built from literals of known fields, never looked up by a key from outside",
  },
  {
    file: 'src/agent/tools.ts', rule: 'string-keyed type', text: 'Record<string, number>',
    why: 'index_status counts by language and by skip reason: Object.create(null) objects filled from Object.entries of the status, copied out with a spread, never read by key',
  },
  {
    file: 'src/engine/engine.ts', rule: 'string-keyed type', text: 'Record<string, number>',
    why: 'StatusReport.languages / skippedByReason / IndexContents.languages: output shapes of counts, built with Object.fromEntries from a Map (own properties only) and read only with Object.entries/Object.keys',
  },
  {
    file: 'src/engine/catalog-legacy.ts', rule: 'string-keyed type', text: 'Record<string, FileRecord>',
    why: 'the JSON shape of format 1 catalogs: read back only with Object.entries into a Map',
  },
  {
    file: 'src/engine/index/store.ts', rule: 'string-keyed type', text: 'Record<string, ManifestFile>',
    why: "the manifest's on-disk shape: read with Object.entries / Object.values and looked up only after Object.hasOwn (IndexGeneration.has/entry)",
  },
  {
    file: 'src/engine/index/store.ts', rule: 'string-keyed type', text: 'Record<string, unknown>',
    why: 'isRecord/manifestProblem: a JSON value whose fixed keys (files, meta) are checked, never looked up by an outside string',
  },
  {
    file: 'src/engine/vectors/read-json.ts', rule: 'string-keyed type', text: 'Record<string, unknown>',
    why: 'a parsed JSON file; callers read fixed keys through model-config Fields (Object.hasOwn) or hand it to @huggingface/tokenizers, which keeps its vocabulary in a Map',
  },
  {
    file: 'src/engine/vectors/huggingface-tokenizer.ts', rule: 'string-keyed type', text: 'Record<string, unknown>',
    why: 'tokenizer.json / tokenizer_config.json as parsed: only the fixed keys padding and pad_token are read',
  },
  {
    file: 'src/engine/search/ranker.ts', rule: 'object-literal table lookup', text: 'o[key]',
    why: 'rankingOptions(): key is a keyof RankingOptions, either from a fixed list or narrowed by isRankingKey (a Set of the option names)',
  },
  {
    file: 'src/engine/vectors/model-config.ts', rule: 'string-keyed type', text: 'Record<string, unknown>',
    why: 'codescout-model.json as parsed: Fields reads only its own keys (Object.hasOwn) and rejects unknown ones',
  },
  {
    file: 'src/engine/vectors/identifier-tokenizer.ts', rule: 'string-keyed type', text: 'Record<string, unknown>',
    why: 'validate(): reads the fixed keys of the tokenizer file; the vocabulary itself goes into a Map',
  },
  {
    file: 'src/engine/vectors/tokenizer.ts', rule: 'string-keyed type', text: 'Record<string, unknown>',
    why: "TokenizerSpec.options: only listed with Object.keys (every loader rejects any option)",
  },
  {
    file: 'src/engine/vectors/tokenizer.ts', rule: 'string-keyed type', text: 'Record<string, TokenizerLoader>',
    why: 'a `satisfies` check on TOKENIZER_LOADERS, whose lookups are listed below',
  },
  {
    file: 'src/engine/vectors/tokenizer.ts', rule: 'object-literal table lookup', text: 'TOKENIZER_LOADERS[spec.kind]',
    why: 'loadTokenizer checks spec.kind with isTokenizerKind (Object.hasOwn) on the line before, as model-config does when it reads the kind',
  },
  {
    file: 'src/engine/vectors/onnx-embedder.ts', rule: 'string-keyed type', text: 'Record<string, ort.Tensor>',
    why: 'the feeds of a model run, created with Object.create(null), keyed by the names the model declares',
  },
  {
    file: 'src/engine/vectors/onnx-embedder.ts', rule: 'string-keyed type', text: 'Record<string, ort.OnnxValue>',
    why: 'disposeAll(): only iterates Object.values',
  },
  {
    file: 'src/cli/format.ts', rule: 'object-literal table lookup', text: 'PHASE_LABEL[p.phase]',
    why: "p.phase is the engine's own Progress phase (a closed union), never outside text",
  },
  {
    file: 'src/engine/own-fields.ts', rule: 'string-keyed type', text: 'readonly [key: string]: unknown',
    why: 'ownFields: the one reader of objects from outside (requests, webview messages, command arguments, the index lock file); it reads a key only after Object.hasOwn',
  },
  {
    file: 'media/sidebar.js', rule: 'hasOwnProperty', text: 'hasOwnProperty',
    why: "the webview script's own-field reader (Object.prototype.hasOwnProperty.call, the form that cannot be shadowed): fields inherited from a prototype read as absent",
  },
];

const SCANNED_ROOTS = ['src'];
const SCANNED_SCRIPTS = 'media';

function sourceFiles(): string[] {
  const files: string[] = [];
  for (const root of SCANNED_ROOTS) {
    for (const rel of readdirSync(path.join(PACKAGE_ROOT, root), { recursive: true, encoding: 'utf8' })) {
      if (rel.endsWith('.ts') && !rel.endsWith('.d.ts')) files.push(path.posix.join(root, rel.split(path.sep).join('/')));
    }
  }
  for (const name of readdirSync(path.join(PACKAGE_ROOT, SCANNED_SCRIPTS))) {
    if (name.endsWith('.js')) files.push(`${SCANNED_SCRIPTS}/${name}`);
  }
  return files.sort();
}

function isLiteralKey(node: ts.Expression): boolean {
  return ts.isStringLiteral(node) || ts.isNumericLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node);
}

/** The object literal under `as`, `satisfies` and parentheses, if the initializer is one. */
function objectLiteral(node: ts.Expression | undefined): ts.ObjectLiteralExpression | undefined {
  while (node && (ts.isAsExpression(node) || ts.isSatisfiesExpression(node) || ts.isParenthesizedExpression(node))) node = node.expression;
  return node && ts.isObjectLiteralExpression(node) ? node : undefined;
}

/** The findings of one file's source text. */
export function findLookupTables(file: string, text: string): Finding[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, file.endsWith('.js') ? ts.ScriptKind.JS : ts.ScriptKind.TS);
  const tables = new Set<string>();
  const collect = (node: ts.Node): void => {
    if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && objectLiteral(node.initializer)) tables.add(node.name.text);
    ts.forEachChild(node, collect);
  };
  collect(source);

  const findings: Finding[] = [];
  const report = (rule: Rule, node: ts.Node) => findings.push({ file, rule, text: node.getText(source).replace(/\s+/g, ' ') });
  const visit = (node: ts.Node): void => {
    if (ts.isTypeReferenceNode(node) && node.typeName.getText(source) === 'Record' && node.typeArguments?.[0]?.kind === ts.SyntaxKind.StringKeyword) {
      report('string-keyed type', node);
    } else if (ts.isIndexSignatureDeclaration(node) && node.parameters[0]?.type?.kind === ts.SyntaxKind.StringKeyword) {
      report('string-keyed type', node);
    } else if (ts.isElementAccessExpression(node) && ts.isIdentifier(node.expression) && tables.has(node.expression.text) && !isLiteralKey(node.argumentExpression)) {
      report('object-literal table lookup', node);
    } else if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.InKeyword && !isLiteralKey(node.left)) {
      report('in operator', node);
    } else if (ts.isIdentifier(node) && node.text === 'hasOwnProperty') {
      report('hasOwnProperty', node);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return findings;
}

const key = (f: Finding) => `${f.file}: ${f.rule}: ${f.text}`;

test('the checker reports each construct it is meant to find, and not their safe forms', () => {
  const found = findLookupTables(
    'example.ts',
    [
      'const WORDS: Record<string, number> = { a: 1 };',
      'const TABLE = { python: "py" } as const;',
      'type Index = { [name: string]: number };',
      'function f(word: string, o: object) {',
      '  return [TABLE[word], TABLE["python"], word in o, "a" in o, o.hasOwnProperty(word), Object.hasOwn(o, word)];',
      '}',
      'const SAFE = new Map<string, string>([["a", "b"]]);',
      'const counts: Record<"a" | "b", number> = { a: 1, b: 2 };',
      'function g(word: string) { return SAFE.get(word); }',
    ].join('\n'),
  );
  assert.deepEqual(found.map(key), [
    'example.ts: string-keyed type: Record<string, number>',
    'example.ts: string-keyed type: [name: string]: number',
    'example.ts: object-literal table lookup: TABLE[word]',
    'example.ts: in operator: word in o',
    'example.ts: hasOwnProperty: hasOwnProperty',
  ]);
  // the bug this guards against, as it was written
  assert.deepEqual(
    findLookupTables('query.ts', 'const LANGUAGE_WORDS: Record<string, LanguageId> = { python: "python" };\nconst l = LANGUAGE_WORDS[word.toLowerCase()];').map((f) => f.rule),
    ['string-keyed type', 'object-literal table lookup'],
  );
});

test('no plain object is a lookup table keyed by outside strings, except the reviewed ones', () => {
  const allowed = new Map(ALLOWED.map((a) => [key(a), a]));
  const used = new Set<string>();
  const unreviewed: string[] = [];
  for (const file of sourceFiles()) {
    for (const finding of findLookupTables(file, readFileSync(path.join(PACKAGE_ROOT, file), 'utf8'))) {
      const k = key(finding);
      if (allowed.has(k)) used.add(k);
      else unreviewed.push(k);
    }
  }
  assert.deepEqual(
    unreviewed,
    [],
    'use a Map (or Object.create(null)) for these, or review each and list it in ALLOWED with the reason it is safe',
  );
  assert.deepEqual(
    ALLOWED.map(key).filter((k) => !used.has(k)),
    [],
    'these ALLOWED entries match nothing any more: remove them',
  );
  for (const a of ALLOWED) assert.ok(a.why.length > 20, `${key(a)} needs a reason`);
});
