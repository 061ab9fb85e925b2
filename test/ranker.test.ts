/**
 * The ranking stage (src/engine/search/ranker.ts and its parts): query shapes, path priors,
 * definitions of named symbols, demotion of noise, diversity across files, option checks, and
 * the date-fns case of the issue end to end (lexical-only, so no model is needed).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChunkRecord } from '../src/engine/catalog';
import { Engine } from '../src/engine/engine';
import { parseQuery } from '../src/engine/search/query';
import { phraseNames, queryShape, withoutTypeMarks } from '../src/engine/search/query-kind';
import { isHeaderWindow, noiseKind, askedNoise, supersededFolders, supersededFolderOf, askedSuperseded } from '../src/engine/search/path-priors';
import { DEFAULT_RANKING, rankCandidates, rankingOptions, type RankInput, type RankingOptions } from '../src/engine/search/ranker';
import { lexicalQueryTokens } from '../src/engine/index/lexical-fields';
import { partsOfDefinition, specialized, touching } from '../src/engine/search/definitions';
import fc from 'fast-check';
import { TempDirs, writeIn } from './helpers/workspace';

const temp = new TempDirs();
after(() => temp.cleanup());

test('symbol queries: identifiers and qualified names; natural language spots the names inside', () => {
  assert.deepEqual(queryShape('Sinatra::Base'), { kind: 'symbol', names: [{ name: 'base', typed: 'Base', qualifier: 'sinatra', strong: true }] });
  assert.deepEqual(queryShape('http.Client'), { kind: 'symbol', names: [{ name: 'client', typed: 'Client', qualifier: 'http', strong: true }] });
  assert.deepEqual(queryShape(' render_template '), { kind: 'symbol', names: [{ name: 'rendertemplate', typed: 'rendertemplate', strong: true }] });
  assert.equal(queryShape('add business days').kind, 'natural');
  assert.deepEqual(queryShape('add business days').names.filter((n) => !n.phrase), []);
  const nl = queryShape('how does Flask call error_handler() for HTTPException?');
  assert.equal(nl.kind, 'natural');
  assert.deepEqual(
    nl.names.filter((n) => !n.phrase).map((n) => [n.name, n.strong]),
    [
      ['flask', false],
      ['errorhandler', true],
      ['httpexception', true],
    ],
  );
  // a possessive names the thing it follows
  assert.deepEqual(queryShape("how does Flask's app context work").names.filter((n) => !n.phrase), [{ name: 'flask', typed: 'Flask', strong: false }]);
  assert.deepEqual(queryShape('where is BaseModel’s validator run').names.filter((n) => !n.phrase), [{ name: 'basemodel', typed: 'BaseModel', strong: true }]);
});

test('parts of a definition: the runs of chunks with its key whose lines touch; each run is one definition, whichever part asks', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.integer({ min: 1, max: 60 }), fc.integer({ min: 0, max: 12 })), { minLength: 1, maxLength: 8 }), (spans) => {
      const file = spans.map(([start, length], i) => ({ ...chunk('a.c', 'open_file'), id: 1000 + i, startLine: start, endLine: start + length }));
      const other = { ...chunk('a.c', 'close_file'), id: 999, startLine: 1, endLine: 100 }; // another key, over all of them
      const all = [...file, other];
      // two chunks are one definition when a chain of touching chunks of the key joins them
      const joined = (a: ChunkRecord, b: ChunkRecord): boolean => {
        const reached = new Set([a.id]);
        for (let grew = true; grew; ) {
          grew = false;
          for (const c of file) if (!reached.has(c.id) && file.some((r) => reached.has(r.id) && touching(r, c))) reached.add(c.id), (grew = true);
        }
        return reached.has(b.id);
      };
      for (const a of file) {
        const parts = partsOfDefinition(a, all);
        assert.ok(!parts.has(other.id));
        for (const b of file) assert.equal(parts.has(b.id), joined(a, b), `${a.startLine}-${a.endLine} / ${b.startLine}-${b.endLine}`);
      }
    }),
  );
});

test('a name with combining marks (Devanagari, Thai, a decomposed é) is one identifier, and its definition ranks first', () => {
  for (const name of ['गणना', 'คำนวณ', 'cafe\u0301']) {
    const shape = queryShape(name);
    assert.equal(shape.kind, 'symbol', name);
    assert.deepEqual(shape.names.map((n) => n.name), [name.toLowerCase()], name);
    const caller = chunk('report.py', 'report', 'function', `def report(): ${name}()`);
    const definition = chunk('calc.py', name);
    // the caller has the stronger word match; the definition is what a name asks for
    assert.deepEqual(rank([caller, definition], [[caller, 9], [definition, 4]], name).map((c) => c.name), [name, 'report'], name);
  }
});

test('names spelt by adjacent words of a question: two or three words, singular too, never across punctuation or stop words', () => {
  const names = (q: string) => phraseNames(q).map((n) => n.name);
  assert.deepEqual(names('JSON array operations'), ['jsonarray', 'jsonarrayoperations', 'jsonarrayoperation', 'arrayoperations', 'arrayoperation']);
  assert.deepEqual(names('exclusion strategies'), ['exclusionstrategies', 'exclusionstrategy']);
  assert.deepEqual(names("how does Flask's app context work"), ['flaskapp', 'flaskappcontext', 'appcontext', 'appcontextwork', 'contextwork']);
  assert.deepEqual(names('check if file exists'), ['fileexists', 'fileexist']);
  assert.deepEqual(names('key-value store, fast'), ['keyvalue', 'keyvaluestore', 'valuestore']);
  assert.deepEqual(names('parse http2 frames'), ['parsehttp2', 'parsehttp2frames', 'parsehttp2frame', 'http2frames', 'http2frame']);
  assert.deepEqual(names('the 2 of them'), []);
  assert.deepEqual(names('error handler'), ['errorhandler']);
  // every phrase name is weak and has no spelling of its own; a name the query already spells is not repeated
  const shape = queryShape('how does Flask pick an errorHandler for error handler lookups');
  assert.ok(shape.names.filter((n) => n.phrase).every((n) => n.typed === '' && !n.strong));
  assert.equal(shape.names.filter((n) => n.name === 'errorhandler').length, 1);
});

test('a definition whose name the question spells in words ranks up; phraseNameWeight 0 turns it off', () => {
  const factory = chunk('src/main/java/com/google/gson/JsonArray.java', 'JsonArray', 'class', 'public final class JsonArray');
  const other = chunk('src/main/java/com/google/gson/JsonElement.java', 'getAsJsonArray', 'method', 'public JsonArray getAsJsonArray()');
  const lexical: [ChunkRecord, number][] = [[other, 9], [factory, 6]];
  assert.deepEqual(rank([factory, other], lexical, 'array operations of json', { pathBoost: 0 }).map((c) => c.name), ['getAsJsonArray', 'JsonArray']);
  assert.deepEqual(rank([factory, other], lexical, 'JSON array operations', { pathBoost: 0 }).map((c) => c.name), ['JsonArray', 'getAsJsonArray']);
  assert.deepEqual(rank([factory, other], lexical, 'JSON array operations', { pathBoost: 0, phraseNameWeight: 0 }).map((c) => c.name), ['getAsJsonArray', 'JsonArray']);
});

test('a question that speaks of attributes also names each name with the suffix C# drops: [JsonProperty] is JsonPropertyAttribute', () => {
  const strongNames = (q: string) => queryShape(q).names.filter((n) => !n.phrase).map((n) => `${n.typed}/${n.name}/${n.strong}`);
  assert.deepEqual(strongNames('JsonProperty and JsonObject attribute for controlling serialization'), [
    'JsonProperty/jsonproperty/true',
    'JsonObject/jsonobject/true',
    'JsonPropertyAttribute/jsonpropertyattribute/true',
    'JsonObjectAttribute/jsonobjectattribute/true',
  ]);
  // written as C# applies it, with or without arguments: the applied name is code, so its class is a strong name
  assert.deepEqual(strongNames('what does [Key] do on a member'), ['Key/key/false', 'KeyAttribute/keyattribute/true']);
  assert.deepEqual(strongNames('how does [JsonProperty("id")] work'), ['JsonProperty/jsonproperty/true', 'JsonPropertyAttribute/jsonpropertyattribute/true']);
  assert.deepEqual(strongNames('[Required] validation'), ['Required/required/true', 'RequiredAttribute/requiredattribute/true']);
  // an index after a name, or a Markdown link, is not an attribute
  assert.deepEqual(strongNames('function returning Optional[User] from UserRepository'), ['UserRepository/userrepository/true']);
  assert.deepEqual(strongNames('see [Foo](https://example.com) for UserRepository'), ['UserRepository/userrepository/true']);
  assert.deepEqual(strongNames('items[i] of MyList'), ['MyList/mylist/true']);
  assert.deepEqual(strongNames('[JsonConverter] and [JsonIgnore] on one property'), [
    'JsonConverter/jsonconverter/true',
    'JsonIgnore/jsonignore/true',
    'JsonConverterAttribute/jsonconverterattribute/true',
    'JsonIgnoreAttribute/jsonignoreattribute/true',
  ]);
  // not without attributes; a name already ending so is not doubled; a qualifier is kept
  assert.deepEqual(strongNames('JsonProperty serialization order'), ['JsonProperty/jsonproperty/true']);
  assert.deepEqual(strongNames('the JsonIgnoreAttribute attribute'), ['JsonIgnoreAttribute/jsonignoreattribute/true']);
  assert.deepEqual(
    queryShape('Newtonsoft.Json.JsonRequired attribute').names.filter((n) => !n.phrase).map((n) => [n.name, n.qualifier]),
    [['jsonrequired', 'newtonsoftjson'], ['jsonrequiredattribute', 'newtonsoftjson']],
  );
  // a symbol query is not a question: no attribute names
  assert.deepEqual(queryShape('JsonProperty').names.map((n) => n.name), ['jsonproperty']);
});

test("a type written as code writes it names its type: generic arguments, array brackets, pointer and reference marks", () => {
  const shape = (q: string) => {
    const s = queryShape(q);
    return `${s.kind}:${s.names.filter((n) => !n.phrase).map((n) => (n.qualifier ? `${n.qualifier}/${n.typed}` : n.typed)).join(',')}`;
  };
  assert.equal(shape('Vec<u8>'), 'symbol:Vec');
  assert.equal(shape('Result<T, E>'), 'symbol:Result');
  assert.equal(shape('Map<String, List<Integer>>'), 'symbol:Map');
  assert.equal(shape('Vec<Vec<u8>>[]'), 'symbol:Vec');
  assert.equal(shape('std::vector<int>'), 'symbol:std/vector');
  assert.equal(shape('HashMap<K, V>::entry'), 'symbol:hashmap/entry');
  assert.equal(shape('String[]'), 'symbol:String');
  assert.equal(shape('uv_loop_t*'), 'symbol:uvloopt');
  assert.equal(shape('Option<&str>'), 'symbol:Option');
  assert.equal(shape('how does ZodType<Output> parse input'), 'natural:ZodType');
  assert.equal(shape('when is **kwargs passed to MyHandler'), 'natural:MyHandler');
  assert.equal(shape('Box<dyn Fn(i32) -> i32>'), 'symbol:Box');
  // marks not attached to a name stay, and so does a question mark; so do comparisons written without spaces
  assert.equal(withoutTypeMarks('when retryCount<maxRetries and delay>0'), 'when retryCount<maxRetries and delay>0');
  assert.equal(withoutTypeMarks('if (a.length<b.length && c>d)'), 'if (a.length<b.length && c>d)');
  assert.equal(withoutTypeMarks('a<=b and c>=d'), 'a<=b and c>=d');
  assert.equal(withoutTypeMarks('the <div> element'), 'the <div> element');
  assert.equal(withoutTypeMarks('a < b and c > d'), 'a < b and c > d');
  assert.equal(withoutTypeMarks('read & write files, R&D'), 'read & write files, R&D');
  assert.equal(withoutTypeMarks('why is parse slow?'), 'why is parse slow?');
  // unbalanced or deeply nested: nothing is lost but the marks
  assert.equal(withoutTypeMarks('Foo<Bar'), 'Foo<Bar');
  assert.equal(withoutTypeMarks(`A${'<B'.repeat(20)}${'>'.repeat(20)}`).startsWith('A'), true);
});

test('the attribute class a question names by its short name ranks as its definition', () => {
  const settings = chunk('Serialization/JsonProperty.cs', 'JsonProperty', 'class', 'public class JsonProperty');
  const attribute = chunk('JsonPropertyAttribute.cs', 'JsonPropertyAttribute', 'class', 'public sealed class JsonPropertyAttribute : Attribute');
  const user = chunk('Serialization/DefaultContractResolver.cs', 'SetPropertySettingsFromAttributes', 'method');
  const lexical: [ChunkRecord, number][] = [[settings, 9], [user, 8], [attribute, 3]];
  const names = (q: string) => rank([settings, attribute, user], lexical, q, { pathBoost: 0 }, [settings, attribute]).map((c) => c.name);
  // both are definitions of what the question names; the attribute class now ranks above a mere use
  assert.deepEqual(names('JsonProperty attribute for controlling serialization'), ['JsonProperty', 'JsonPropertyAttribute', 'SetPropertySettingsFromAttributes']);
  assert.deepEqual(names('JsonProperty for controlling serialization'), ['JsonProperty', 'SetPropertySettingsFromAttributes', 'JsonPropertyAttribute']);
});

test("the word 'constructor' (an Object.prototype key) is an ordinary query word", () => {
  const q = parseQuery('constructor of a class');
  assert.deepEqual(q.languages, []);
  assert.ok(q.lexicalTokens.length > 0);
});

test('noise by path: tests, examples, vendored, generated, stubs; real modules named like them are not', () => {
  assert.equal(noiseKind('tests/test_app.py'), 'test');
  assert.equal(noiseKind('src/test/java/com/x/FooTest.java'), 'test');
  assert.equal(noiseKind('pkg/server_test.go'), 'test');
  assert.equal(noiseKind('src/addBusinessDays/test.ts'), 'test'); // date-fns keeps each function's tests beside it
  assert.equal(noiseKind('src/contest.ts'), undefined);
  assert.equal(noiseKind('src/addBusinessDays/index.test.ts'), 'test');
  assert.equal(noiseKind('examples/basic.rs'), 'example');
  assert.equal(noiseKind('third_party/zlib/inflate.c'), 'vendored');
  assert.equal(noiseKind('api/v1/service.pb.go'), 'generated');
  assert.equal(noiseKind('types/index.d.ts'), 'stub');
  assert.equal(noiseKind('src/flask/testing.py'), undefined);
  assert.equal(noiseKind('src/app.py'), undefined);
  assert.equal(noiseKind('docs/tutorial/dependencies.md'), 'docs');
  assert.equal(noiseKind('README.rst'), 'docs');
  assert.equal(noiseKind('src/markdown.py'), undefined);
  assert.deepEqual([...askedNoise(lexicalQueryTokens('where is the dependency injection documentation'))], ['docs']);
  assert.deepEqual([...askedNoise(lexicalQueryTokens('tests for addBusinessDays'))], ['test']);
  assert.deepEqual([...askedNoise(lexicalQueryTokens('add business days'))], []);
});

test('import and licence header windows of code files are told from code and prose', () => {
  const w = (snippet: string, startLine = 1, language: ChunkRecord['language'] = 'typescript') => ({ kind: 'window' as const, language, snippet, startLine });
  assert.ok(isHeaderWindow(w("import { addDays } from '../addDays';", 1)));
  assert.ok(isHeaderWindow(w('from __future__ import annotations', 1, 'python')));
  assert.ok(isHeaderWindow(w('#include <stdio.h>', 3, 'c')));
  assert.ok(isHeaderWindow(w('/* Copyright (c) Joyent */', 1, 'c')));
  assert.ok(!isHeaderWindow(w('/* a comment in the middle */', 40, 'c')));
  assert.ok(!isHeaderWindow(w('const x = addDays(date, 1);', 1)));
  assert.ok(!isHeaderWindow(w('import this section of the guide', 1, 'markdown')));
  assert.ok(!isHeaderWindow({ kind: 'function', language: 'typescript', snippet: 'import x from "y"', startLine: 1 }));
});

let nextId = 0;
function chunk(path: string, name: string, kind: ChunkRecord['kind'] = 'function', snippet = `function ${name}()`): ChunkRecord {
  return { id: nextId++, path, name, kind, language: 'typescript', signature: snippet, snippet, startByte: 0, endByte: 1, startLine: 1, endLine: 5 };
}

function rank(chunks: ChunkRecord[], lexical: [ChunkRecord, number][], query: string, options: Partial<RankingOptions> = {}, named: ChunkRecord[] = [], superseded?: ReadonlySet<string>) {
  const byId = new Map(chunks.map((c) => [c.id, c]));
  const input: RankInput = {
    lexical: lexical.map(([c, score]) => ({ id: c.id, score })),
    vector: [],
    named: named.map((c) => c.id),
    tokens: lexicalQueryTokens(query),
    shape: queryShape(query),
    preferred: new Set(),
    superseded,
    chunk: (id) => byId.get(id)!,
    top: 10,
  };
  return rankCandidates(input, rankingOptions(options)).map((h) => byId.get(h.id)!);
}

test('a chunk that defines the queried symbol ranks first, even when BM25 found it weak or not at all', () => {
  const users = chunk('src/cli.py', 'make_app');
  const flask = chunk('src/app.py', 'Flask', 'class', 'class Flask(App):');
  const proxy = chunk('src/globals.py', 'FlaskProxy', 'class');
  assert.deepEqual(rank([users, flask, proxy], [[users, 9], [proxy, 8], [flask, 2]], 'Flask').map((c) => c.name), ['Flask', 'make_app', 'FlaskProxy']);
  // off: BM25 order
  assert.deepEqual(rank([users, flask, proxy], [[users, 9], [proxy, 8], [flask, 2]], 'Flask', { definitionBoost: 0 }).map((c) => c.name), ['make_app', 'FlaskProxy', 'Flask']);
  // not retrieved by words at all, but named: a candidate all the same, level with the best match (ahead of FlaskProxy)
  const named = rank([users, flask, proxy], [[users, 9], [proxy, 8]], 'Flask', {}, [flask]).map((c) => c.name);
  assert.deepEqual(named, ['Flask', 'make_app', 'FlaskProxy']); // level with make_app: the tie goes by path, src/app.py before src/cli.py
  assert.deepEqual(rank([users, flask, proxy], [[users, 9], [proxy, 8]], 'Flask', { definitionBoost: 0 }, [flask]).map((c) => c.name), ['make_app', 'FlaskProxy', 'Flask']);
});

test('a C++ specialisation of the template a symbol query names gains part of the definition boost, below the template', () => {
  const user = chunk('src/format.cc', 'print_all', 'function', 'void print_all()');
  const spec = chunk('src/chrono.h', 'formatter<month, Char>', 'struct', 'template <typename Char> struct formatter<month, Char>');
  const template = chunk('src/base.h', 'formatter', 'struct', 'template <typename T, typename Char> struct formatter');
  const lexical: [ChunkRecord, number][] = [[user, 9], [spec, 6], [template, 5]];
  assert.deepEqual(rank([user, spec, template], lexical, 'formatter', { fileDecay: 1 }).map((c) => c.name), ['formatter', 'formatter<month, Char>', 'print_all']);
  // 0: the specialisation is no definition of `formatter`
  assert.deepEqual(rank([user, spec, template], lexical, 'formatter', { specializationMatch: 0 }).map((c) => c.name), ['formatter', 'print_all', 'formatter<month, Char>']);
  assert.equal(specialized('formatter<month, Char>'), 'formatter');
  assert.equal(specialized('fmt::formatter<std::tm>'), 'fmtformatter');
  for (const name of ['formatter', 'operator<=>', 'operator<', 'operator std::vector<int>', 'Ns::operator<<T>', '<T>', 'operator()<T>', '~Foo<T>', '']) assert.equal(specialized(name), undefined, name);
  // `tuple<>` is a specialisation, though its compact form is the template's: part of the boost, not all
  const empty = chunk('src/tuple.h', 'tuple<>', 'struct', 'template <> struct tuple<>');
  const tuple = chunk('src/tuple.h', 'tuple', 'struct', 'template <typename... T> struct tuple');
  assert.deepEqual(rank([empty, tuple], [[empty, 9], [tuple, 8]], 'tuple', { fileDecay: 1 }).map((c) => c.name), ['tuple', 'tuple<>']);
  // and with specializationMatch 0 no boost at all, as for any specialisation: the words alone put it first
  const words = rank([empty, tuple], [[empty, 9], [tuple, 7]], 'tuple', { fileDecay: 1, definitionBoost: 0 });
  const noSpecialisations = rank([empty, tuple], [[empty, 9], [tuple, 7]], 'tuple', { fileDecay: 1, specializationMatch: 0 });
  assert.deepEqual(words.map((c) => c.name), ['tuple<>', 'tuple']);
  assert.deepEqual(noSpecialisations.map((c) => c.name), ['tuple', 'tuple<>']);
});

test('a query that names a class ranks the class above its constructor, which shares its name', () => {
  const ctor = chunk('src/GsonBuilder.java', 'GsonBuilder', 'constructor', 'public GsonBuilder()');
  ctor.container = 'GsonBuilder';
  const cls = chunk('src/GsonBuilder.java', 'GsonBuilder', 'class', 'public final class GsonBuilder');
  const other = chunk('src/Gson.java', 'newBuilder', 'method', 'public GsonBuilder newBuilder()');
  // words alone prefer the short constructor
  const lexical: [ChunkRecord, number][] = [[ctor, 9], [cls, 8], [other, 5]];
  assert.deepEqual(rank([ctor, cls, other], lexical, 'GsonBuilder').map((c) => c.kind), ['class', 'constructor', 'method']);
  // 1: the same boost for both, and the words decide
  assert.deepEqual(rank([ctor, cls, other], lexical, 'GsonBuilder', { constructorMatch: 1 }).map((c) => c.kind), ['constructor', 'class', 'method']);
});

test("a C++ specialisation's constructor is a specialisation's definition, below the template's own constructor", () => {
  const template = chunk('src/base.h', 'formatter', 'struct', 'template <typename T, typename Char> struct formatter');
  const spec = chunk('src/std.h', 'formatter<std::thread::id, Char>', 'struct', 'template <typename Char> struct formatter<std::thread::id, Char>');
  // `formatter() {}` inside `struct formatter<Tuple, Char>`: named as the template, defined for some arguments
  const ctor = chunk('src/ranges.h', 'formatter', 'constructor', 'FMT_CONSTEXPR formatter() {}');
  ctor.container = 'formatter<Tuple, Char>';
  // the template's own constructor keeps the constructor's share of the whole boost
  const own = chunk('src/core.h', 'formatter', 'constructor', 'formatter() = default;');
  own.container = 'formatter';
  const chunks = [ctor, own, template, spec];
  // words alone: the specialisation's constructor first
  const lexical: [ChunkRecord, number][] = [[ctor, 9], [own, 8.5], [spec, 7], [template, 6]];
  assert.deepEqual(rank(chunks, lexical, 'formatter', { fileDecay: 1, definitionBoost: 0 }), [ctor, own, spec, template]);
  // the boost: all of it for the template, half for its own constructor and for a specialisation,
  // a quarter for a specialisation's constructor (both at once)
  assert.deepEqual(rank(chunks, lexical, 'formatter', { fileDecay: 1 }), [template, own, spec, ctor]);
  // with no boost for specialisations, it gets none at all, like its class
  assert.deepEqual(rank(chunks, lexical, 'formatter', { fileDecay: 1, specializationMatch: 0 }), [template, own, ctor, spec]);
  assert.deepEqual(rank([ctor, template], [[ctor, 9], [template, 1]], 'formatter', { fileDecay: 1, specializationMatch: 0 }), [template, ctor]);
});

test('a name spelt as the query spells it outranks one that matches only without case (Timeout, not timeout)', () => {
  const method = chunk('src/client.py', 'timeout', 'method', 'def timeout(self):');
  const cls = chunk('src/config.py', 'Timeout', 'class', 'class Timeout:');
  // BM25 prefers the method; both define a name that matches `Timeout` without case
  const lexical: [ChunkRecord, number][] = [[method, 9], [cls, 7]];
  assert.deepEqual(rank([method, cls], lexical, 'Timeout').map((c) => c.name), ['Timeout', 'timeout']);
  assert.deepEqual(rank([method, cls], lexical, 'timeout').map((c) => c.name), ['timeout', 'Timeout']);
  // off (1): both get the whole boost, and BM25's order stands
  assert.deepEqual(rank([method, cls], lexical, 'Timeout', { definitionCaseMismatch: 1 }).map((c) => c.name), ['timeout', 'Timeout']);
  // separators are not case: `$ZodError` and `_ZodError` are spelt as `ZodError`
  const v4 = chunk('src/v4/errors.ts', '$ZodError', 'interface', 'export interface $ZodError');
  const fn = chunk('src/util.ts', 'zodError', 'function', 'function zodError()');
  assert.deepEqual(rank([v4, fn], [[fn, 9], [v4, 7]], 'ZodError').map((c) => c.name), ['$ZodError', 'zodError']);
  assert.deepEqual(queryShape('ZodError').names, [{ name: 'zoderror', typed: 'ZodError', strong: true }]);
});

test('symbol queries take less credit from file names than questions do: the definition decides', () => {
  // rack: a method `request` in auth/abstract/request.rb, the class in request.rb; both files are named like the query
  const method = chunk('lib/auth/request.rb', 'request', 'method', 'def request');
  const cls = chunk('lib/rack/request.rb', 'Request', 'class', 'class Request');
  const lexical: [ChunkRecord, number][] = [[method, 9], [cls, 6.3]];
  assert.deepEqual(rank([method, cls], lexical, 'Request').map((c) => c.name), ['Request', 'request']);
  assert.deepEqual(rank([method, cls], lexical, 'Request', { symbolPathBoost: 1 }).map((c) => c.name), ['request', 'Request']);
});

test("a symbol query shows a long definition at its header's window; a question shows its best window", () => {
  // fastapi's APIRouter: the class line and its docstring are one window, the constructor's header another
  const head: ChunkRecord = { ...chunk('routing.py', 'APIRouter', 'class', 'class APIRouter(routing.Router):'), startLine: 1005, endLine: 1030 };
  const tail: ChunkRecord = { ...head, id: nextId++, startLine: 1031, endLine: 1120 };
  const other = chunk('applications.py', 'include_router', 'method');
  const lexical: [ChunkRecord, number][] = [[tail, 9], [head, 6], [other, 5]];
  const shown = rank([head, tail, other], lexical, 'APIRouter', {}, [head, tail]);
  assert.deepEqual(shown.map((c) => `${c.path}:${c.startLine}`), ['routing.py:1005', 'applications.py:1']);
  const asked = rank([head, tail, other], lexical, 'how are routers included', {}, []);
  assert.equal(`${asked[0].path}:${asked[0].startLine}`, 'routing.py:1031');
});

test('superseded copies: an older version folder beside a newer one, or a version folder that snapshots its parent', () => {
  // zod: v3 beside v4 (and a deeper pair under packages/)
  assert.deepEqual([...supersededFolders(['v3/types.ts', 'v4/core/schemas.ts', 'packages/lib/v1/a.ts', 'packages/lib/v2/a.ts', 'README.md'])].sort(), ['packages/lib/v1', 'v3']);
  // pydantic: v1/ holds namesakes of most of the files around it
  assert.deepEqual([...supersededFolders(['pydantic/fields.py', 'pydantic/main.py', 'pydantic/types.py', 'pydantic/v1/fields.py', 'pydantic/v1/main.py', 'pydantic/v1/types.py', 'pydantic/v1/mypy.py'])], ['pydantic/v1']);
  // an API version folder that is not a copy of its parent (a REST service's `api/v1`), a lone version, or words: none
  assert.deepEqual([...supersededFolders(['api/v1/users.go', 'api/v1/orders.go', 'api/v1/auth.go', 'api/server.go'])], []);
  // versions that live side by side under an API, RPC or schema folder are never superseded
  assert.deepEqual([...supersededFolders(['api/v1/users.go', 'api/v2/users.go', 'staging/apis/autoscaling/v1/types.go', 'staging/apis/autoscaling/v2/types.go', 'proto/billing/v1/a.proto', 'proto/billing/v2/a.proto'])], []);
  assert.deepEqual([...supersededFolders(['v2/a.ts', 'v2/b.ts', 'v2/c.ts', 'index.ts'])], []);
  assert.deepEqual([...supersededFolders(['src/v8/a.cc', 'src/dev/b.cc', 'src/version.c'])], []);
  const old = new Set(['v3', 'pydantic/v1']);
  assert.equal(supersededFolderOf('v3/types.ts', old), 'v3');
  assert.equal(supersededFolderOf('pydantic/v1/fields.py', old), 'pydantic/v1');
  assert.equal(supersededFolderOf('v4/core/schemas.ts', old), undefined);
  assert.equal(supersededFolderOf('v3.ts', old), undefined);
  assert.ok(askedSuperseded(lexicalQueryTokens('v3 error types'), 'v3'));
  assert.ok(askedSuperseded(lexicalQueryTokens('compatibility error types'), 'v3'));
  assert.ok(askedSuperseded(lexicalQueryTokens('legacy validators'), 'pydantic/v1'));
  assert.ok(!askedSuperseded(lexicalQueryTokens('ZodError structure and issue formatting'), 'v3'));
});

test('a symbol typed without its exact spelling keeps the whole boost when no candidate is spelt that way', () => {
  // the class is the only definition of the name: `apirouter` and `ApiRouter` still find it first
  const cls = chunk('routing.py', 'APIRouter', 'class', 'class APIRouter(routing.Router):');
  const other = chunk('applications.py', 'include_router', 'method');
  const lexical: [ChunkRecord, number][] = [[other, 9], [cls, 3]];
  for (const q of ['APIRouter', 'apirouter', 'ApiRouter']) assert.equal(rank([cls, other], lexical, q, {}, [cls])[0].name, 'APIRouter', q);
  // prose capitalisation says little: a capitalised word of a question does not halve a namesake's boost
  const method = chunk('src/ser/impls.rs', 'serialize', 'method', 'fn serialize');
  const trait = chunk('src/ser/mod.rs', 'Serialize', 'trait', 'pub trait Serialize');
  const both: [ChunkRecord, number][] = [[method, 9], [trait, 8.5]];
  const q = 'standard library type Serialize implementations';
  assert.deepEqual(rank([method, trait], both, q, { pathBoost: 0 }).map((c) => c.name), rank([method, trait], both, q, { pathBoost: 0, definitionCaseMismatch: 1 }).map((c) => c.name));
});

test("only definitions of the name a symbol query asks for move to their header's window, keeping their evidence", () => {
  // a long function `run` whose later window calls retry_policy: shown where the words are, not at its header
  const head: ChunkRecord = { ...chunk('worker.py', 'run', 'function', 'def run(self):'), startLine: 100, endLine: 160 };
  const tail: ChunkRecord = { ...head, id: nextId++, startLine: 161, endLine: 220 };
  const def = chunk('policy.py', 'retry_policy', 'function', 'def retry_policy():');
  const shown = rank([head, tail, def], [[tail, 9], [head, 2], [def, 5]], 'retry_policy', {}, [def]);
  assert.deepEqual(shown.map((c) => `${c.path}:${c.startLine}`), ['policy.py:1', 'worker.py:161']);
  // the moved result keeps the ranked window's evidence
  const cls: ChunkRecord = { ...chunk('routing.py', 'APIRouter', 'class', 'class APIRouter:'), startLine: 1005, endLine: 1030 };
  const later: ChunkRecord = { ...cls, id: nextId++, startLine: 1031, endLine: 1120 };
  const byId = new Map([cls, later].map((c) => [c.id, c]));
  const input: RankInput = {
    lexical: [{ id: cls.id, score: 1 }],
    vector: [{ id: later.id, score: 0.9 }, { id: cls.id, score: 0.1 }],
    named: [cls.id, later.id],
    tokens: lexicalQueryTokens('APIRouter'),
    shape: queryShape('APIRouter'),
    preferred: new Set(),
    chunk: (id) => byId.get(id)!,
    top: 10,
  };
  const ranked = rankCandidates(input, rankingOptions({ symbolLexicalWeight: 0 }));
  assert.equal(ranked[0].id, cls.id);
  assert.equal(ranked[0].matchedBy, 'vector');
});

test('superseded copies are demoted, not removed, and kept whole when the query asks for old code', () => {
  const legacy = chunk('v3/ZodError.ts', 'ZodError', 'class', 'export class ZodError');
  const current = chunk('v4/core/errors.ts', 'ZodError', 'interface', 'export interface ZodError');
  const old = new Set(['v3']);
  const lexical: [ChunkRecord, number][] = [[legacy, 9], [current, 7]];
  assert.deepEqual(rank([legacy, current], lexical, 'error formatting', {}, [], old).map((c) => c.path), ['v4/core/errors.ts', 'v3/ZodError.ts']);
  assert.deepEqual(rank([legacy, current], lexical, 'v3 error formatting', {}, [], old).map((c) => c.path), ['v3/ZodError.ts', 'v4/core/errors.ts']);
  assert.deepEqual(rank([legacy, current], lexical, 'error formatting', { supersededPenalty: 1 }, [], old).map((c) => c.path), ['v3/ZodError.ts', 'v4/core/errors.ts']);
  assert.deepEqual(rank([legacy, current], lexical, 'error formatting').map((c) => c.path), ['v3/ZodError.ts', 'v4/core/errors.ts']);
});

test('tests are demoted, not removed, and kept whole when the query asks for tests', () => {
  const spec = chunk('src/addBusinessDays/index.test.ts', 'it');
  const impl = chunk('src/addBusinessDays/index.ts', 'addBusinessDays');
  const lexical: [ChunkRecord, number][] = [[spec, 10], [impl, 8]];
  // the noise penalty alone: no path words, no names spelt by the query's words
  const only = { pathBoost: 0, phraseNameWeight: 0 };
  assert.deepEqual(rank([spec, impl], lexical, 'add business days', only).map((c) => c.path), ['src/addBusinessDays/index.ts', 'src/addBusinessDays/index.test.ts']);
  assert.deepEqual(rank([spec, impl], lexical, 'add business days tests', only).map((c) => c.path), ['src/addBusinessDays/index.test.ts', 'src/addBusinessDays/index.ts']);
  assert.deepEqual(rank([spec, impl], lexical, 'add business days', { ...only, noisePenalty: 1 }).map((c) => c.path)[0], 'src/addBusinessDays/index.test.ts');
});

test('further chunks of one file decay, so the list reaches other files', () => {
  const a = [1, 2, 3].map((i) => chunk('a.ts', `a${i}`));
  const b = chunk('b.ts', 'b');
  const lexical: [ChunkRecord, number][] = [[a[0], 10], [a[1], 9.5], [a[2], 9], [b, 6]];
  assert.deepEqual(rank([...a, b], lexical, 'x', { fileDecay: 1, fileEvidence: 0 }).map((c) => c.name), ['a1', 'a2', 'a3', 'b']);
  assert.deepEqual(rank([...a, b], lexical, 'x', { fileDecay: 0.5, fileEvidence: 0 }).map((c) => c.name), ['a1', 'b', 'a2', 'a3']);
});

test('results of equal score are in the order of their place in the folder (path, then line), whichever was indexed first', () => {
  // copies of one function: the ids say which was indexed first, which an edit undone changes
  const later = chunk('src/b.ts', 'copy');
  const earlier = chunk('src/a.ts', 'copy');
  const second = { ...chunk('src/a.ts', 'copy2'), startLine: 20, endLine: 24 };
  const first = { ...chunk('src/a.ts', 'copy3'), startLine: 8, endLine: 12 };
  const all = [later, second, earlier, first];
  const options = { fileDecay: 1, fileEvidence: 0 };
  const expected = ['src/a.ts:1', 'src/a.ts:8', 'src/a.ts:20', 'src/b.ts:1'];
  for (const order of [all, [...all].reverse()]) {
    const ranked = rank(order, order.map((c) => [c, 5] as [ChunkRecord, number]), 'zzz', options);
    assert.deepEqual(ranked.map((c) => `${c.path}:${c.startLine}`), expected);
  }
});

test('a file with several strong chunks outranks a lone chunk of the same strength; weak chunks do not count', () => {
  const lone = chunk('lone.ts', 'lone');
  const a = [1, 2, 3].map((i) => chunk('many.ts', `m${i}`));
  const weak = [1, 2, 3].map((i) => chunk('weak.ts', `w${i}`));
  const lexical: [ChunkRecord, number][] = [[lone, 10], [a[0], 9.5], [a[1], 8], [a[2], 7], [weak[0], 9], [weak[1], 1], [weak[2], 1]];
  const all = [lone, ...a, ...weak];
  assert.deepEqual(rank(all, lexical, 'x', { fileEvidence: 0, fileDecay: 1 }).slice(0, 3).map((c) => c.name), ['lone', 'm1', 'w1']);
  // normalised: lone 1, m 0.95 / 0.8 / 0.7, w1 0.9; m1 gains 0.2 × (0.8 + 0.7) = 0.3, m2 0.33, m3 0.35;
  // w1 gains nothing from its file's chunks under half the best
  const ranked = rank(all, lexical, 'x', { fileEvidence: 0.2, fileDecay: 1 }).map((c) => c.name);
  assert.deepEqual(ranked.slice(0, 5), ['m1', 'm2', 'm3', 'lone', 'w1']);
});

test('ranking options: defaults fill in, a bad value is a clear error', () => {
  assert.deepEqual(rankingOptions(), DEFAULT_RANKING);
  assert.equal(rankingOptions({ fileDecay: 0.25 }).fileDecay, 0.25);
  assert.throws(() => rankingOptions({ fileDecay: 2 }), /fileDecay must be between 0 and 1/);
  assert.throws(() => rankingOptions({ lexicalDepth: 0 }), /lexicalDepth must be a whole number/);
  assert.throws(() => rankingOptions({ nonsense: 1 } as unknown as Partial<RankingOptions>), /unknown ranking option "nonsense"/);
  assert.throws(() => rankingOptions({ pathBoost: Number.NaN }), /pathBoost must be a finite number/);
});

test('date-fns "add business days": addBusinessDays itself first, not an import line, a wrapper or a test', async () => {
  const root = await temp.make('datefns');
  const fn = (name: string, sign: string) =>
    `import { addDays } from "../addDays/index.js";\nimport { isSaturday } from "../isSaturday/index.js";\nimport { isSunday } from "../isSunday/index.js";\nimport { isWeekend } from "../isWeekend/index.js";\nimport { toDate } from "../toDate/index.js";\n\n` +
    `/**\n * Add the specified number of business days (mon - fri) to the given date, ignoring weekends.\n */\nexport function ${name}(date, amount) {\n  const result = toDate(date);\n  const startedOnWeekend = isWeekend(result);\n  let restDays = Math.abs(${sign}amount % 5);\n  while (restDays > 0) {\n    result.setDate(result.getDate() + 1);\n    if (!isWeekend(result)) restDays -= 1;\n  }\n  if (startedOnWeekend && isWeekend(result) && amount !== 0) {\n    if (isSaturday(result)) result.setDate(result.getDate() + (amount < 0 ? 2 : -1));\n    if (isSunday(result)) result.setDate(result.getDate() + (amount < 0 ? 1 : -2));\n  }\n  return result;\n}\n`;
  await writeIn(root, 'src/addBusinessDays/index.ts', fn('addBusinessDays', ''));
  await writeIn(root, 'src/subBusinessDays/index.ts', 'import { addBusinessDays } from "../addBusinessDays/index.js";\nimport { addDays } from "../addDays/index.js";\nimport { isWeekend } from "../isWeekend/index.js";\n\n/** Subtract the specified number of business days. */\nexport function subBusinessDays(date, amount) {\n  return addBusinessDays(date, -amount);\n}\n');
  await writeIn(root, 'src/fp/addBusinessDays/index.ts', 'import { addBusinessDays as fn } from "../../addBusinessDays/index.js";\nimport { convertToFP } from "../_lib/convertToFP/index.js";\n\nexport const addBusinessDays = convertToFP(fn, 2);\n');
  await writeIn(root, 'src/addBusinessDays/test.ts', 'import { describe, expect, it } from "vitest";\nimport { addBusinessDays } from "./index.js";\nimport { addDays } from "../addDays/index.js";\n\ndescribe("addBusinessDays", () => {\n  it("adds the given number of business days", () => {\n    const result = addBusinessDays(new Date(2014, 8, 1), 10);\n    expect(result).toEqual(new Date(2014, 8, 15));\n  });\n});\n');
  const engine = await Engine.open(root, { indexDir: await temp.make('datefns-index'), model: null });
  try {
    await engine.refresh();
    const hits = await engine.search('add business days', { top: 5 });
    assert.equal(hits[0].path, 'src/addBusinessDays/index.ts');
    assert.equal(hits[0].name, 'addBusinessDays');
    // the test file and the fp/ wrapper's import window come after the two real functions
    assert.deepEqual(hits.slice(0, 2).map((h) => h.name), ['addBusinessDays', 'subBusinessDays']);
    // the old ranking put an import window first
    const before = await Engine.open(root, {
      indexDir: await temp.make('datefns-index-plain'),
      model: null,
      ranking: { definitionBoost: 0, pathBoost: 0, noisePenalty: 1, headerPenalty: 1, fileDecay: 1, fileEvidence: 0 },
    });
    try {
      await before.refresh();
      const plain = await before.search('add business days', { top: 5 });
      assert.notDeepEqual(plain.map((h) => `${h.path}:${h.startLine}`), hits.map((h) => `${h.path}:${h.startLine}`));
    } finally {
      await before.close();
    }
  } finally {
    await engine.close();
  }
});

test('the engine demotes a superseded copy once its newer version appears, and finds definitions a question spells in words', async () => {
  const root = await temp.make('versions');
  const body = (extra: string) =>
    `/** Format the issues of a failed parse into one message per path. */\nexport function formatIssues(issues) {\n  return issues.map((i) => i.path.join(".") + ": " + i.message${extra}).join("\\n");\n}\n`;
  await writeIn(root, 'v3/errors.ts', body(''));
  await writeIn(root, 'lib/report.ts', 'export function report(text) {\n  console.log(text);\n}\n');
  const engine = await Engine.open(root, { indexDir: await temp.make('versions-index'), model: null });
  try {
    await engine.refresh();
    assert.equal((await engine.search('format issues of a failed parse', { top: 3 }))[0].path, 'v3/errors.ts');
    // v4 arrives (a path joins the index): v3 is now a superseded copy, and the next search knows it
    await writeIn(root, 'v4/core/errors.ts', body(' + " (" + i.code + ")"'));
    await engine.refresh();
    const hits = await engine.search('format issues of a failed parse', { top: 3 });
    assert.deepEqual(hits.slice(0, 2).map((h) => h.path), ['v4/core/errors.ts', 'v3/errors.ts']);
    // unless the query asks for the old version
    assert.equal((await engine.search('v3 format issues of a failed parse', { top: 3 }))[0].path, 'v3/errors.ts');
  } finally {
    await engine.close();
  }

  const gson = await temp.make('gson');
  await writeIn(gson, 'src/JsonElement.java', 'public abstract class JsonElement {\n  /** Convenience method to get this element as a JSON array, for array operations. */\n  public JsonArray getAsJsonArray() {\n    if (isJsonArray()) return (JsonArray) this;\n    throw new IllegalStateException("Not a JSON Array: " + this);\n  }\n}\n');
  await writeIn(gson, 'src/JsonArray.java', '/** A JSON array: an ordered list of elements. */\npublic final class JsonArray extends JsonElement {\n  private final ArrayList<JsonElement> elements;\n  public void add(JsonElement element) {\n    elements.add(element);\n  }\n}\n');
  const spelt = async (ranking: Partial<RankingOptions>) => {
    const e = await Engine.open(gson, { indexDir: await temp.make('gson-index'), model: null, ranking });
    try {
      await e.refresh();
      return (await e.search('JSON array operations', { top: 3 })).map((h) => h.name);
    } finally {
      await e.close();
    }
  };
  // the method that mentions "JSON array" and "array operations" stays first by its words; the class the
  // question spells comes next, ahead of JsonElement, only through its name
  const off = { pathBoost: 0, fileEvidence: 0 };
  assert.deepEqual((await spelt(off)).slice(0, 3), ['getAsJsonArray', 'JsonArray', 'JsonElement']);
  assert.deepEqual((await spelt({ ...off, phraseNameWeight: 0 })).slice(0, 3), ['getAsJsonArray', 'JsonElement', 'JsonArray']);
});

test('a search for a generic type as code writes it (ZodType<Output>) finds its definition first', async () => {
  const root = await temp.make('generic-type');
  // words alone put the notes first (they say ZodType and Output over and over), and two word candidates
  // are taken: the class comes in through the names the query mentions (level with the best word match,
  // which it wins by id: its file is indexed first), or not at all
  for (const n of [1, 2, 3]) await writeIn(root, `notes${n}.ts`, `export function notes${n}() {\n  return "${'ZodType Output ZodType output. '.repeat(20)}";\n}\n`);
  await writeIn(root, 'a-types.ts', 'export abstract class ZodType<Output = unknown, Input = Output> {\n  abstract _parse(input: Input): Output;\n}\n');
  const engine = await Engine.open(root, { indexDir: await temp.make('generic-type-index'), model: null, ranking: { lexicalDepth: 1 } });
  try {
    await engine.refresh();
    for (const query of ['ZodType<Output>', 'ZodType<Output, Input>[]', 'what does ZodType<Output> parse']) {
      assert.equal((await engine.search(query, { top: 2 }))[0]?.name, 'ZodType', query);
    }
  } finally {
    await engine.close();
  }
});

test('a name query finds the definition when first asked (only the names it asks are looked at) and asked again (the full index)', async () => {
  const root = await temp.make('names-asked');
  // BM25 alone ranks the notes first: they say "Timeout" over and over; the class says it once
  for (const n of [1, 2, 3]) await writeIn(root, `notes${n}.py`, `def notes${n}():\n    """${'Timeout timeout Timeout. '.repeat(20)}"""\n    return ${n}\n`);
  await writeIn(root, 'errors.py', 'class Timeout(Exception):\n    pass\n');
  await writeIn(root, 'b.py', 'def render_page(page):\n    return page\n');
  const indexDir = await temp.make('names-asked-index');
  const first = await Engine.open(root, { indexDir, model: null });
  await first.refresh();
  await first.close();
  // two word candidates only (the notes): the class comes in through the name index or not at all
  const engine = await Engine.open(root, { indexDir, model: null, ranking: { lexicalDepth: 1 } });
  try {
    const ask = async (query: string) => (await engine.search(query, { top: 2 })).map((h) => `${h.path}:${h.name}`);
    const named = (hits: string[]) => hits.filter((h) => !h.startsWith('notes'));
    assert.deepEqual(named(await ask('Timeout')), ['errors.py:Timeout'], 'the first ask, of a catalog read from its file');
    assert.deepEqual(named(await ask('Timeout')), ['errors.py:Timeout'], 'the second, through the full index');
    assert.deepEqual((await ask('render_page'))[0], 'b.py:render_page');
    await writeIn(root, 'errors.py', 'class Timeout(Exception):\n    pass\n\n\nclass Retry:\n    pass\n');
    await engine.refresh();
    assert.deepEqual((await ask('Retry'))[0], 'errors.py:Retry', 'after an edit');
  } finally {
    await engine.close();
  }
});

test('a definition of a named symbol that missed the lexical cut is weighed by its words too, as one that made it', async () => {
  const root = await temp.make('named-scored');
  // BM25 ranks the notes first: they say "field" over and over; a.py's Field says it once, b.py's three times
  for (const n of [1, 2, 3]) await writeIn(root, `notes${n}.py`, `def notes${n}():\n    """${'field Field. '.repeat(20)}"""\n    return ${n}\n`);
  await writeIn(root, 'a.py', 'def Field(default):\n    return default\n');
  await writeIn(root, 'b.py', 'def Field(default):\n    """The field of a default: a field."""\n    return default\n');
  const indexDir = await temp.make('named-scored-index');
  // three word candidates only (the notes: the depth is at least the results asked), so both Field
  // definitions come in through the name index
  const engine = await Engine.open(root, { indexDir, model: null, ranking: { lexicalDepth: 1, fileDecay: 1 } });
  try {
    await engine.refresh();
    const hits = (await engine.search('Field', { top: 3 })).map((h) => `${h.path}:${h.name}`);
    // with the name's boost alone the two would tie, and a.py come first by its path
    assert.deepEqual(hits.filter((h) => h.endsWith(':Field')), ['b.py:Field', 'a.py:Field']);
  } finally {
    await engine.close();
  }
});
