import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Chunker, DEFAULT_MAX_CHUNK_CHARS, DEFAULT_MAX_NESTING_DEPTH, defaultChunkerPaths, languageForFile, languageForPath } from '../src/engine/chunks';
import type { Chunk, ChunkKind } from '../src/engine/types';

/** Fixtures are read from the source tree: this file runs as out/test/chunks.test.js. */
const FIXTURES = join(__dirname, '..', '..', 'test', 'fixtures', 'chunks');

let chunker: Chunker;
before(async () => {
  chunker = await Chunker.create();
});
after(() => chunker.dispose());

async function chunkFixture(file: string): Promise<Chunk[]> {
  return chunker.chunkFile(file, readFileSync(join(FIXTURES, file), 'utf8'));
}

/** The single chunk with this name and, when given, container (null: none). */
function only(chunks: Chunk[], name: string, container?: string | null): Chunk {
  const found = chunks.filter((c) => c.name === name && (container === undefined || c.container === (container ?? undefined)));
  assert.equal(found.length, 1, `expected one chunk ${container ?? ''}::${name}, found ${found.length}: ${summary(chunks)}`);
  return found[0];
}

function summary(chunks: Chunk[]): string {
  return chunks.map((c) => `${c.kind} ${c.container ? `${c.container}::` : ''}${c.name}`).join(', ');
}

/** Asserts the listed fields of a chunk; `lines` is [startLine, endLine]. */
function expectChunk(
  chunk: Chunk,
  expected: { kind: ChunkKind; container?: string; signature?: string; doc?: string; lines?: [number, number] },
): void {
  assert.equal(chunk.kind, expected.kind, `kind of ${chunk.name}`);
  assert.equal(chunk.container, expected.container, `container of ${chunk.name}`);
  if (expected.signature !== undefined) assert.equal(chunk.signature, expected.signature, `signature of ${chunk.name}`);
  if ('doc' in expected) assert.equal(chunk.doc, expected.doc, `doc of ${chunk.name}`);
  if (expected.lines) assert.deepEqual([chunk.startLine, chunk.endLine], expected.lines, `lines of ${chunk.name}`);
}

test('languageForPath maps extensions to the twelve languages and Markdown', () => {
  const cases: Record<string, string | undefined> = {
    'a.ts': 'typescript', 'a.mts': 'typescript', 'a.cts': 'typescript', 'a.tsx': 'tsx',
    'a.js': 'javascript', 'a.jsx': 'javascript', 'a.mjs': 'javascript', 'a.cjs': 'javascript',
    'a.py': 'python', 'a.pyi': 'python', 'a.go': 'go', 'a.rs': 'rust', 'A.java': 'java',
    'a.c': 'c', 'a.h': 'c', 'a.cc': 'cpp', 'a.cpp': 'cpp', 'a.cxx': 'cpp', 'a.hpp': 'cpp', 'a.hh': 'cpp', 'a.hxx': 'cpp',
    'a.cs': 'csharp', 'a.rb': 'ruby', 'a.php': 'php', 'README.md': 'markdown', 'src/Dir.v2/MAIN.PY': 'python',
    'notes.txt': undefined, 'script.sh': undefined, 'Makefile': undefined,
  };
  for (const [path, language] of Object.entries(cases)) assert.equal(languageForPath(path), language, path);
});

test('defaultChunkerPaths finds the runtime and the grammars of this checkout', () => {
  const { grammarDir, runtimeWasm } = defaultChunkerPaths();
  assert.ok(existsSync(runtimeWasm), runtimeWasm);
  assert.ok(existsSync(join(grammarDir, 'tree-sitter-python.wasm')), grammarDir);
});

test('Python: functions, classes, decorated and nested definitions, docstrings', async () => {
  const chunks = await chunkFixture('sample.py');
  assert.ok(chunks.every((c) => c.language === 'python'));
  expectChunk(only(chunks, 'tokenize'), {
    kind: 'function',
    signature: 'def tokenize(source: str) -> list[Token]:',
    doc: 'Splits source text into tokens.\nWhitespace is skipped.',
    lines: [18, 22],
  });
  expectChunk(only(chunks, 'Token'), { kind: 'class', signature: '@dataclass class Token:', doc: 'A lexical token with its kind and text.', lines: [8, 13] });
  expectChunk(only(chunks, 'Parser'), { kind: 'class', doc: 'Recursive-descent parser over a token list.', lines: [25, 43] });
  expectChunk(only(chunks, '__init__'), { kind: 'constructor', container: 'Parser', doc: undefined, lines: [28, 30] });
  const current = only(chunks, 'current');
  expectChunk(current, {
    kind: 'method',
    container: 'Parser',
    signature: '@property def current(self) -> Token | None:',
    doc: 'The token under the cursor, or None at the end.',
    lines: [32, 35],
  });
  assert.ok(current.text.startsWith('@property\n    def current(self)'));
  expectChunk(only(chunks, 'precedence'), { kind: 'method', container: 'Parser', lines: [37, 39] });
  expectChunk(only(chunks, 'Error'), { kind: 'class', container: 'Parser', signature: 'class Error(Exception):' });
  expectChunk(only(chunks, 'describe'), { kind: 'method', container: 'Parser.Error' });
  expectChunk(only(chunks, 'fetch_source'), {
    kind: 'function',
    signature: 'async def fetch_source( url: str, timeout: float = 10.0, ) -> str:',
    doc: 'Downloads a program.\n\nThe body is decoded as UTF-8.',
    lines: [46, 54],
  });
  // The module docstring and imports are not in any definition: they get a window.
  const head = chunks.find((c) => c.kind === 'window');
  assert.ok(head && head.startLine === 1 && head.text.includes('import re'));
});

test('a lone CR ends a line (old Mac files): each definition is found, at the lines an editor shows, with the file\'s own byte offsets', async () => {
  const text = 'def first(a):\r    return a\r\rdef second(b):\r    return b\r';
  const chunks = await chunker.chunkFile('cr.py', text);
  assert.deepEqual(
    chunks.map((c) => [c.name, c.startLine, c.endLine, text.slice(c.startByte, c.endByte)]),
    [
      ['first', 1, 2, 'def first(a):\r    return a'],
      ['second', 4, 5, 'def second(b):\r    return b'],
    ],
  );
  // a doc comment above a C# namespace, CR-separated (found by the property test of code-like soup)
  const [module] = await chunker.chunkFile('dir/file.cs', '// c\rnamespace def ');
  assert.deepEqual([module.kind, module.name, module.startLine, module.endLine], ['module', 'def', 2, 2]);
});

test('Go: functions, methods with their receiver type as container, type declarations', async () => {
  const chunks = await chunkFixture('sample.go');
  expectChunk(only(chunks, 'Get'), {
    kind: 'method',
    container: 'Store',
    signature: 'func (s *Store) Get(key string) ([]byte, error)',
    doc: 'Get returns the value stored under key.',
    lines: [39, 47],
  });
  expectChunk(only(chunks, 'Len'), { kind: 'method', container: 'Store', lines: [49, 49] });
  expectChunk(only(chunks, 'New'), { kind: 'function', doc: 'New returns an empty store.', signature: 'func New() *Store' });
  expectChunk(only(chunks, 'Store'), { kind: 'struct', signature: 'type Store struct', doc: 'Store is a concurrency-safe map.', lines: [13, 16] });
  expectChunk(only(chunks, 'Getter'), { kind: 'interface', signature: 'type Getter interface' });
  expectChunk(only(chunks, 'Key'), { kind: 'type', doc: 'Key names an entry.', lines: [25, 25] });
  expectChunk(only(chunks, 'Pair'), { kind: 'struct', doc: 'Pair is a key and its value.', lines: [27, 30] });
  expectChunk(only(chunks, 'Map'), { kind: 'function', signature: 'func Map[T any, U any](xs []T, f func(T) U) []U' });
});

test('Rust: impl blocks contain their methods once; traits, attributes, modules', async () => {
  const chunks = await chunkFixture('sample.rs');
  const impls = chunks.filter((c) => c.kind === 'impl');
  assert.deepEqual(impls.map((c) => [c.name, c.signature]), [
    ['Ring', 'impl<T: Clone> Ring<T>'],
    ['RingError', 'impl fmt::Display for RingError'],
  ]);
  expectChunk(only(chunks, 'new'), {
    kind: 'method',
    container: 'Ring',
    signature: 'pub fn new(capacity: usize) -> Self',
    doc: 'Creates a ring with room for `capacity` items.',
    lines: [30, 32],
  });
  expectChunk(only(chunks, 'push'), { kind: 'method', container: 'Ring', lines: [34, 39] });
  expectChunk(only(chunks, 'fmt'), { kind: 'method', container: 'RingError' });
  expectChunk(only(chunks.filter((c) => c.kind === 'struct'), 'Ring'), {
    kind: 'struct',
    signature: '#[derive(Debug, Clone)] pub struct Ring<T>',
    doc: 'A fixed-capacity ring buffer.',
    lines: [6, 10],
  });
  expectChunk(only(chunks, 'Drain'), { kind: 'trait', doc: 'Anything that can be drained.' });
  expectChunk(only(chunks, 'is_drained'), { kind: 'method', container: 'Drain' });
  expectChunk(only(chunks.filter((c) => c.kind === 'enum'), 'RingError'), { kind: 'enum', lines: [13, 16] });
  expectChunk(only(chunks, 'tests'), { kind: 'module', signature: 'mod tests' });
  expectChunk(only(chunks, 'pushes'), { kind: 'function', container: 'tests', signature: '#[test] fn pushes()' });
  expectChunk(only(chunks, 'checksum'), { kind: 'function', lines: [58, 60] });
});

test('Java: classes, constructors, methods, nested types, Javadoc', async () => {
  const chunks = await chunkFixture('Sample.java');
  expectChunk(only(chunks, 'Account', null), { kind: 'class', doc: 'A bank account with a running balance.', lines: [9, 45] });
  const constructor = only(chunks, 'Account', 'Account');
  expectChunk(constructor, {
    kind: 'constructor',
    container: 'Account',
    signature: 'public Account(String owner)',
    doc: 'Opens an empty account for {@code owner}.',
    lines: [14, 17],
  });
  assert.ok(constructor.text.startsWith('/** Opens an empty account'));
  expectChunk(only(chunks, 'deposit'), {
    kind: 'method',
    container: 'Account',
    doc: 'Deposits money.\n@param amount cents, must be positive',
    lines: [23, 28],
  });
  expectChunk(only(chunks, 'toString'), { kind: 'method', container: 'Account', signature: '@Override public String toString()' });
  expectChunk(only(chunks, 'Entry', 'Account'), { kind: 'class', container: 'Account', doc: 'A single ledger line.' });
  expectChunk(only(chunks, 'Entry', 'Account.Entry'), { kind: 'constructor', container: 'Account.Entry', lines: [39, 41] });
  expectChunk(only(chunks, 'Kind'), { kind: 'enum', container: 'Account' });
  expectChunk(only(chunks, 'Auditor'), { kind: 'interface' });
  expectChunk(only(chunks, 'Money'), { kind: 'class', signature: 'record Money(long cents, String currency)' });
});

test('C: functions returning pointers, structs, typedefs, enums, block-comment docs; .h is C', async () => {
  const chunks = await chunkFixture('sample.c');
  expectChunk(only(chunks, 'buffer_new'), {
    kind: 'function',
    signature: 'buffer_t *buffer_new(size_t cap)',
    doc: 'Allocates a buffer with the given capacity.\nReturns NULL when out of memory.',
    lines: [22, 29],
  });
  expectChunk(only(chunks, 'buffer_append'), {
    kind: 'function',
    signature: 'int buffer_append(buffer_t *b, const char *src, size_t n)',
    doc: 'Appends n bytes to the buffer.',
    lines: [32, 40],
  });
  expectChunk(only(chunks, 'buffer_free'), { kind: 'function', signature: 'static void buffer_free(buffer_t *b)' });
  expectChunk(only(chunks, 'buffer_t'), { kind: 'struct', doc: 'A growable byte buffer.', lines: [5, 9] });
  expectChunk(only(chunks, 'node'), { kind: 'struct', lines: [11, 14] });
  expectChunk(only(chunks, 'color'), { kind: 'enum' });

  const header = await chunkFixture('sample.h');
  expectChunk(only(header, 'max_int'), { kind: 'function', doc: 'Returns the larger of two ints.', lines: [5, 5] });
  assert.ok(header.every((c) => c.language === 'c'));
});

test('a .h header is C++ when a line says so (template, namespace, class, access, using, a header without extension), else C', async () => {
  const cpp = [
    'template <typename T>\nstruct box { T v; };\n',
    'namespace geo {\nint area(int w, int h) { return w * h; }\n}\n',
    'namespace {\nint hidden() { return 1; }\n}\n',
    'class Shape : public Base {\n public:\n  int sides() const { return 3; }\n};\n',
    'struct S {\n  private:\n  int x;\n};\n',
    'using namespace std;\nint f() { return 0; }\n',
    'using Bytes = unsigned char;\n',
    '#include <vector>\nint g() { return 1; }\n',
    // as real headers write them: braces on the next line, export macros, attributes, inline namespaces, a BOM
    'class Q_CORE_EXPORT QString\n{\npublic:\n};\n',
    'class [[nodiscard]] Status {\n};\n',
    'namespace absl\n{\n}\n',
    'inline namespace v11 {\n}\n',
    'FMT_EXPORT template <typename T> struct formatter;\n',
    'enum class Color { red };\n',
    'using std::string;\n',
    '#include <QString>\n',
    '\uFEFFnamespace x {\n}\n',
    // a C++ part that C compiles too is C++
    '#if defined(__cplusplus) || defined(FOO)\nclass A {};\n#endif\n',
  ];
  for (const text of cpp) assert.equal(languageForFile('include/a.h', text), 'cpp', text);
  const c = [
    // a C header that readies itself for C++ readers stays C
    '#ifdef __cplusplus\nextern "C" {\n#endif\nint uv_run(uv_loop_t* loop);\n#ifdef __cplusplus\n}\n#endif\n',
    '#include <stdio.h>\nstruct node { int value; };\n',
    '/*\n * template <T> in a comment, namespace { too\n */\nint max_int(int a, int b);\n',
    '// class Foo { is a comment\nint x;\n',
    'int class_count(void);\nstatic int public_api;\n',
    '',
    '#include <sys/types.h>\n#include <stdint.h>\nint x;\n',
    // what only a C++ compiler reads does not make a C header C++ (mimalloc adds an STL allocator so)
    '#ifdef __cplusplus\n#include <cstddef>\ntemplate<class T> struct mi_stl_allocator {};\n#endif\nvoid *mi_malloc(size_t n);\n',
    '#if defined(__cplusplus) && __cplusplus >= 201103L\ntemplate <class T> struct A {};\n#endif\nint b;\n',
    '#if 0\nclass Old {\n};\n#endif\nint c;\n',
    '#ifndef __cplusplus\ntypedef int bool_t;\n#else\nnamespace x {\n}\n#endif\n',
    '#ifdef __cplusplus\n#if 1\nclass A {};\n#endif\n#else\nint x;\n#endif\n',
  ];
  for (const text of c) assert.equal(languageForFile('include/a.h', text), 'c', text);
  // only .h is read: other extensions keep their language whatever they hold
  assert.equal(languageForFile('a.c', 'template <typename T> struct box {};\n'), 'c');
  assert.equal(languageForFile('a.hpp', 'int x;\n'), 'cpp');
  assert.equal(languageForFile('A.H', 'namespace x {}\n'), 'cpp');
  // the sniff reads the file's start only
  assert.equal(languageForFile('a.h', `${'int x;\n'.repeat(20_000)}template <typename T> struct late {};\n`), 'c');

  // chunked as C++: the template, the class and its method are definitions, not line windows
  const chunks = await chunker.chunkFile('fmt/base.h', [
    '#pragma once',
    '#include <string>',
    'namespace fmt {',
    '// A formatter for objects of type T.',
    'template <typename T, typename Char = char, typename Enable = void>',
    'struct formatter {',
    '  formatter() = delete;',
    '};',
    '',
    'template <typename Char>',
    'struct formatter<int,',
    '                 Char> {',
    '  formatter() : base_(0) {}',
    '  ~formatter() {}',
    '  auto format(int value) const -> int { return value; }',
    '};',
    '}  // namespace fmt',
    '',
  ].join('\n'));
  assert.ok(chunks.every((c) => c.language === 'cpp'), summary(chunks));
  expectChunk(only(chunks.filter((c) => c.kind === 'struct'), 'formatter'), {
    kind: 'struct',
    container: 'fmt',
    signature: 'template <typename T, typename Char = char, typename Enable = void> struct formatter',
    lines: [5, 8],
  });
  // a specialization is a definition of its own, named with its arguments on one line, and so are its methods
  expectChunk(only(chunks, 'formatter<int, Char>'), { kind: 'struct', container: 'fmt', signature: 'template <typename Char> struct formatter<int, Char>', lines: [10, 16] });
  expectChunk(only(chunks, 'format'), { kind: 'method', container: 'fmt.formatter<int, Char>', lines: [15, 15] });
  // a specialization's constructor and destructor are named after the template, without its arguments
  const inSpecialization = chunks.filter((c) => c.container === 'fmt.formatter<int, Char>');
  assert.deepEqual(inSpecialization.map((c) => [c.name, c.kind]), [['formatter', 'constructor'], ['~formatter', 'destructor'], ['format', 'method']]);
  // a comparison in its arguments is no bracket
  const compared = await chunker.chunkFile('big.hpp', 'template <> struct Big<(N > 1)> {\n  Big() : n_(0) {}\n  int n_;\n};\n');
  assert.deepEqual(compared.filter((c) => c.name === 'Big').map((c) => c.kind), ['constructor'], summary(compared));
});

test('C++: namespaces, in-class and out-of-line constructors, destructors and methods', async () => {
  const chunks = await chunkFixture('sample.cpp');
  expectChunk(only(chunks, 'geo'), { kind: 'module', signature: 'namespace geo', lines: [4, 45] });
  expectChunk(only(chunks, 'Polygon', 'geo'), { kind: 'class', container: 'geo', doc: 'A closed polygon.', lines: [14, 25] });
  expectChunk(only(chunks, 'Polygon', 'geo.Polygon'), {
    kind: 'constructor',
    container: 'geo.Polygon',
    signature: 'Polygon(std::vector<Point> pts) : points(std::move(pts))',
  });
  expectChunk(only(chunks, '~Polygon'), { kind: 'destructor', container: 'geo.Polygon', lines: [17, 17] });
  expectChunk(only(chunks, 'size'), { kind: 'method', container: 'geo.Polygon', doc: 'Number of vertices.' });
  expectChunk(only(chunks, 'area'), {
    kind: 'method',
    container: 'geo.Polygon',
    signature: 'double Polygon::area() const',
    doc: 'Shoelace formula.',
    lines: [28, 36],
  });
  expectChunk(only(chunks, 'clamp'), { kind: 'function', container: 'geo', signature: 'template <typename T> T clamp(T v, T lo, T hi)' });
  expectChunk(only(chunks, 'Point'), { kind: 'struct', container: 'geo', doc: 'A 2-D point.' });
  expectChunk(only(chunks, 'describe'), { kind: 'function', signature: 'std::string *describe(const geo::Polygon &p)' });
  expectChunk(only(chunks, 'Mesh', 'Mesh'), { kind: 'constructor', container: 'Mesh', lines: [58, 58] });
  expectChunk(only(chunks, '~Mesh'), {
    kind: 'destructor',
    container: 'Mesh',
    signature: 'Mesh::~Mesh()',
    doc: 'Releases the vertex buffers.',
    lines: [61, 61],
  });
  expectChunk(only(chunks, 'operator='), { kind: 'method', container: 'Mesh', lines: [63, 65] });
});

test('C#: namespaces, constructors, destructors, expression-bodied members, XML docs', async () => {
  const chunks = await chunkFixture('Sample.cs');
  expectChunk(only(chunks, 'Shop.Inventory'), { kind: 'module', signature: 'namespace Shop.Inventory' });
  expectChunk(only(chunks, 'Warehouse', 'Shop.Inventory'), {
    kind: 'class',
    container: 'Shop.Inventory',
    signature: 'public class Warehouse : IDisposable',
    doc: 'Tracks stock levels per SKU.',
    lines: [9, 35],
  });
  const inWarehouse = 'Shop.Inventory.Warehouse';
  expectChunk(only(chunks, 'Warehouse', inWarehouse), { kind: 'constructor', doc: 'Creates an empty warehouse.', lines: [14, 17], container: inWarehouse });
  expectChunk(only(chunks, '~Warehouse'), { kind: 'destructor', container: inWarehouse, signature: '~Warehouse()', lines: [19, 22] });
  expectChunk(only(chunks, 'Add'), { kind: 'method', container: inWarehouse, doc: 'Adds units of a SKU.' });
  expectChunk(only(chunks, 'Count'), { kind: 'method', container: inWarehouse, signature: 'public int Count(string sku)', lines: [30, 30] });
  expectChunk(only(chunks, 'IRestocker'), { kind: 'interface', container: 'Shop.Inventory' });
  expectChunk(only(chunks, 'Sku'), { kind: 'struct', container: 'Shop.Inventory' });
  expectChunk(only(chunks, 'Unit'), { kind: 'enum', container: 'Shop.Inventory' });
  expectChunk(only(chunks, 'Order'), { kind: 'class', container: 'Shop.Inventory' });
});

test('C#: properties, indexers and events with accessor bodies and operators are methods of their own; auto-properties stay in the class', async () => {
  const text = [
    'namespace Json.Linq', //                                 1
    '{',
    '    public class JToken',
    '    {',
    '        /// <summary>Gets the depth.</summary>', //        5
    '        public int Depth',
    '        {',
    '            get { return _parent == null ? 0 : _parent.Depth + 1; }',
    '        }',
    '        public string Path => BuildPath();', //            10
    '        public string Name { get; set; }',
    '        public object this[int index]',
    '        {',
    '            get { return _items[index]; }',
    '            set { _items[index] = value; }', //             15
    '        }',
    '        public static JToken operator +(JToken a, JToken b) { return a.Merge(b); }',
    '        public static explicit operator string(JToken t) => t.ToString();',
    '        public event EventHandler Changed { add { _changed += value; } remove { _changed -= value; } }',
    '        public void Read() { }', //                        20
    '    }',
    '}',
    '',
  ].join('\n');
  const chunks = await chunker.chunkFile('JToken.cs', text);
  const inToken = 'Json.Linq.JToken';
  expectChunk(only(chunks, 'Depth'), { kind: 'method', container: inToken, signature: 'public int Depth', doc: 'Gets the depth.', lines: [6, 9] });
  expectChunk(only(chunks, 'Path'), { kind: 'method', container: inToken, signature: 'public string Path', lines: [10, 10] });
  expectChunk(only(chunks, 'this[]'), { kind: 'method', container: inToken, signature: 'public object this[int index]', lines: [12, 16] });
  expectChunk(only(chunks, 'operator +'), { kind: 'method', container: inToken, signature: 'public static JToken operator +(JToken a, JToken b)', lines: [17, 17] });
  expectChunk(only(chunks, 'operator string'), { kind: 'method', container: inToken, lines: [18, 18] });
  expectChunk(only(chunks, 'Changed'), { kind: 'method', container: inToken, signature: 'public event EventHandler Changed', lines: [19, 19] });
  expectChunk(only(chunks, 'Read'), { kind: 'method', container: inToken });
  assert.ok(!chunks.some((c) => c.name === 'Name'), `an auto-property is not a chunk: ${summary(chunks)}`);
  assert.ok(only(chunks, 'JToken').text.includes('public string Name { get; set; }'), 'the class keeps its auto-property');
});

test('C and C++: a function returning a function pointer or an array pointer is named; conversion operators; `namespace a::b` nests', async () => {
  const c = await chunker.chunkFile('handlers.c', [
    'static void (*get_handler(int sig))(int)',
    '{',
    '    return handlers[sig];',
    '}',
    'int (*lookup(const char *name))[4] { return table; }',
    'int (plain)(void) { return 0; }',
    '',
  ].join('\n'));
  expectChunk(only(c, 'get_handler'), { kind: 'function', signature: 'static void (*get_handler(int sig))(int)', lines: [1, 4] });
  expectChunk(only(c, 'lookup'), { kind: 'function', lines: [5, 5] });
  expectChunk(only(c, 'plain'), { kind: 'function', lines: [6, 6] });

  const cpp = await chunker.chunkFile('value.cpp', [
    'namespace fmt::detail {',
    'class Value {',
    ' public:',
    '  operator int() const { return v_; }',
    '  explicit operator bool() const noexcept { return v_ != 0; }',
    '  int v_;',
    '};',
    '}',
    'Value::operator double() const { return v_; }',
    '',
  ].join('\n'));
  expectChunk(only(cpp, 'detail'), { kind: 'module', container: 'fmt', signature: 'namespace fmt::detail' });
  expectChunk(only(cpp, 'Value', 'fmt.detail'), { kind: 'class', container: 'fmt.detail' });
  expectChunk(only(cpp, 'operator int'), { kind: 'method', container: 'fmt.detail.Value', signature: 'operator int() const', lines: [4, 4] });
  expectChunk(only(cpp, 'operator bool'), { kind: 'method', container: 'fmt.detail.Value', lines: [5, 5] });
  expectChunk(only(cpp, 'operator double'), { kind: 'method', container: 'Value', signature: 'Value::operator double() const', lines: [9, 9] });
  // a conversion to a pointer or a qualified type is named with all of it: two conversions are two names
  const pointers = await chunker.chunkFile('ptr.cpp', 'Foo::operator int*() const { return 0; }\nFoo::operator int() const { return 0; }\nstruct S { operator const char*() const { return ""; } };\n');
  expectChunk(only(pointers, 'operator int*'), { kind: 'method', container: 'Foo', lines: [1, 1] });
  expectChunk(only(pointers, 'operator int'), { kind: 'method', container: 'Foo', lines: [2, 2] });
  expectChunk(only(pointers, 'operator const char*'), { kind: 'method', container: 'S', lines: [3, 3] });
  // a parameter list inside the type is the type's
  const callable = await chunker.chunkFile('fn.cpp', 'struct S {\n  operator std::function<void(int)>() const { return {}; }\n};\n');
  expectChunk(only(callable, 'operator std::function<void(int)>'), { kind: 'method', container: 'S', lines: [2, 2] });
});

test('Ruby: `class A::B::C` keeps every qualifier in its container', async () => {
  const chunks = await chunker.chunkFile('c.rb', 'class A::B::C\n  def run\n  end\nend\n');
  expectChunk(only(chunks, 'C'), { kind: 'class', container: 'A.B', signature: 'class A::B::C' });
  expectChunk(only(chunks, 'run'), { kind: 'method', container: 'A.B.C' });
});

test('Ruby: modules, classes, initialize, singleton methods, top-level defs', async () => {
  const chunks = await chunkFixture('sample.rb');
  expectChunk(only(chunks, 'Billing'), { kind: 'module', signature: 'module Billing', doc: 'Utilities for money handling.' });
  expectChunk(only(chunks, 'Invoice'), { kind: 'class', container: 'Billing', doc: 'An invoice with line items.', lines: [6, 30] });
  expectChunk(only(chunks, 'initialize'), {
    kind: 'constructor',
    container: 'Billing.Invoice',
    signature: 'def initialize(customer)',
    doc: 'Creates an empty invoice.',
    lines: [10, 13],
  });
  expectChunk(only(chunks, 'total'), { kind: 'method', container: 'Billing.Invoice', doc: 'Total in cents.' });
  expectChunk(only(chunks, 'from_json'), { kind: 'method', container: 'Billing.Invoice', signature: 'def self.from_json(text)' });
  expectChunk(only(chunks, 'to_s'), { kind: 'method', container: 'Billing.Invoice.LineItem' });
  expectChunk(only(chunks, 'helper'), { kind: 'function', lines: [33, 35] });
});

test('PHP: namespace, classes, constructor, traits, enums, functions', async () => {
  const chunks = await chunkFixture('sample.php');
  const ns = 'App\\Models';
  expectChunk(only(chunks, ns), { kind: 'module', lines: [3, 3] });
  expectChunk(only(chunks, 'User'), {
    kind: 'class',
    container: ns,
    signature: 'class User extends Model implements Authenticatable',
    doc: 'A registered user.',
    lines: [10, 26],
  });
  expectChunk(only(chunks, '__construct'), { kind: 'constructor', container: `${ns}.User`, lines: [14, 17] });
  expectChunk(only(chunks, 'displayName'), {
    kind: 'method',
    container: `${ns}.User`,
    signature: 'public function displayName(): string',
    doc: "The user's display name.",
  });
  expectChunk(only(chunks, 'Authenticatable'), { kind: 'interface', container: ns });
  expectChunk(only(chunks, 'HasRoles'), { kind: 'trait', container: ns });
  expectChunk(only(chunks, 'roles'), { kind: 'method', container: `${ns}.HasRoles` });
  expectChunk(only(chunks, 'Status'), { kind: 'enum', container: ns });
  expectChunk(only(chunks, 'format_price'), { kind: 'function', container: ns, doc: 'Formats a price in cents.', lines: [47, 50] });
});

test('TypeScript: arrow-function consts, class members, interfaces, types, enums, namespaces', async () => {
  const chunks = await chunkFixture('sample.ts');
  expectChunk(only(chunks, 'double'), {
    kind: 'function',
    signature: 'export const double = (n: number): number =>',
    doc: 'Doubles a number.',
    lines: [25, 25],
  });
  expectChunk(only(chunks, 'greet'), { kind: 'function', signature: 'const greet = function (name: string): string', lines: [27, 29] });
  expectChunk(only(chunks, 'loadConfig'), {
    kind: 'function',
    signature: 'export async function loadConfig(opts: ConfigOptions): Promise<Record<string, unknown>>',
    doc: 'Reads and parses a JSON config file.',
    lines: [19, 22],
  });
  expectChunk(only(chunks, 'Cache'), { kind: 'class', signature: 'export class Cache<K, V>', lines: [31, 44] });
  expectChunk(only(chunks, 'constructor'), { kind: 'constructor', container: 'Cache', lines: [34, 34] });
  expectChunk(only(chunks, 'get'), { kind: 'method', container: 'Cache', doc: 'Returns the cached value, if any.' });
  expectChunk(only(chunks, 'evict'), { kind: 'method', container: 'Cache', signature: 'evict = (key: K): void =>' });
  expectChunk(only(chunks, 'ConfigOptions'), { kind: 'interface', doc: 'Options accepted by {@link loadConfig}.' });
  expectChunk(only(chunks, 'Mode'), { kind: 'type', signature: "export type Mode = 'fast' | 'safe';" });
  expectChunk(only(chunks, 'Level'), { kind: 'enum' });
  expectChunk(only(chunks, 'Shape'), { kind: 'class', signature: 'export abstract class Shape' });
  expectChunk(only(chunks, 'Geometry'), { kind: 'module' });
  expectChunk(only(chunks, 'origin'), { kind: 'function', container: 'Geometry' });
});

test('TSX: components as functions and arrow consts', async () => {
  const chunks = await chunkFixture('sample.tsx');
  assert.ok(chunks.every((c) => c.language === 'tsx'));
  expectChunk(only(chunks, 'Counter'), { kind: 'function', doc: 'A button that counts clicks.', lines: [8, 11] });
  expectChunk(only(chunks, 'Label'), { kind: 'function', signature: 'export const Label = ({ text }: { text: string }) =>' });
  expectChunk(only(chunks, 'CounterProps'), { kind: 'interface' });
});

test('TypeScript and TSX: a decorated class member starts at its doc comment, its decorators in its signature, as in JavaScript', async () => {
  const text = [
    'export class UsersController {',
    '  /** Lists all users. */',
    '  @Get()',
    '  @UseGuards(AuthGuard)',
    '  findAll() {',
    '    return this.svc.findAll();',
    '  }',
    '',
    '  /** The user\'s name. */',
    '  @Input() name = "";',
    '}',
    '',
  ].join('\n');
  for (const file of ['users.controller.ts', 'users.controller.tsx', 'users.controller.js']) {
    const chunks = await chunker.chunkFile(file, text);
    expectChunk(only(chunks, 'findAll'), { kind: 'method', container: 'UsersController', signature: '@Get() @UseGuards(AuthGuard) findAll()', doc: 'Lists all users.', lines: [3, 7] });
  }
});

test('a definition without a body whose attribute is on the line above: its signature is the attribute and its first line, not the attribute alone', async () => {
  const rust = await chunker.chunkFile('marker.rs', '#[derive(Debug, Clone, Copy)]\npub struct Marker;\n\n#[doc(hidden)]\npub type Alias = std::collections::HashMap<String, u32>;\n');
  expectChunk(only(rust, 'Marker'), { kind: 'struct', signature: '#[derive(Debug, Clone, Copy)] pub struct Marker;', lines: [1, 2] });
  expectChunk(only(rust, 'Alias'), { kind: 'type', signature: '#[doc(hidden)] pub type Alias = std::collections::HashMap<String, u32>;', lines: [4, 5] });
  const csharp = await chunker.chunkFile('Rec.cs', 'namespace App;\n\n[Serializable]\npublic record Rec(int A, int B);\n');
  assert.match(only(csharp, 'Rec').signature, /^\[Serializable\] public record Rec\(int A, int B\);$/);
});

test('JavaScript: class methods, generators, arrow consts, assigned and object-literal functions', async () => {
  const chunks = await chunkFixture('sample.js');
  expectChunk(only(chunks, 'Poller'), { kind: 'class', signature: 'class Poller extends EventEmitter', doc: 'Polls a URL on an interval.', lines: [8, 23] });
  expectChunk(only(chunks, 'constructor'), { kind: 'constructor', container: 'Poller', lines: [9, 13] });
  expectChunk(only(chunks, 'start'), { kind: 'method', container: 'Poller', doc: 'Starts polling.', signature: 'start()' });
  expectChunk(only(chunks, 'create'), { kind: 'method', container: 'Poller', signature: 'static create(url)' });
  expectChunk(only(chunks, 'ids'), { kind: 'function', signature: 'function* ids()' });
  expectChunk(only(chunks, 'sleep'), { kind: 'function', signature: 'const sleep = (ms) =>' });
  expectChunk(only(chunks, 'retry'), { kind: 'function', signature: 'module.exports.retry = async function (fn, times)', lines: [32, 40] });
  expectChunk(only(chunks, 'ping'), { kind: 'method' });
  expectChunk(only(chunks, 'Store'), { kind: 'class', signature: 'const Store = class', lines: [50, 54] });
  expectChunk(only(chunks, 'get'), { kind: 'method', container: 'Store', lines: [51, 53] });
  // top-level code after the last definition is indexed as a window
  assert.ok(chunks.some((c) => c.kind === 'window' && c.text.includes('module.exports = { Poller, ids, api };')));
});

test('JavaScript and TypeScript: each function of one declaration is its own definition, the first declarator from the declaration\'s keyword and doc comment; a lone one starts at its keyword', async () => {
  const text = [
    'var a = function () { return 1; }, b = function (x) { return x * 2; };',
    '/** Two at once. */',
    'export const c = () => 1, d = async (y) => { await y; };',
    '/** Sleeps. */',
    'export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));',
    '/** Old style. */',
    'var self = this, onLoad = function () {',
    '  return self;',
    '};',
    '/**',
    ' * Handles things.',
    ' */',
    'export const handle = () => {',
    '  return 1;',
    '}, helper = 2;',
    '',
  ].join('\n');
  for (const file of ['decl.js', 'decl.ts']) {
    const chunks = await chunker.chunkFile(file, text);
    expectChunk(only(chunks, 'a'), { kind: 'function', signature: 'var a = function ()', lines: [1, 1] });
    expectChunk(only(chunks, 'b'), { kind: 'function', signature: 'b = function (x)', lines: [1, 1] });
    expectChunk(only(chunks, 'c'), { kind: 'function', signature: 'export const c = () =>', doc: 'Two at once.', lines: [3, 3] });
    expectChunk(only(chunks, 'd'), { kind: 'function', signature: 'd = async (y) =>', lines: [3, 3] });
    expectChunk(only(chunks, 'sleep'), { kind: 'function', signature: 'export const sleep = (ms) =>', doc: 'Sleeps.', lines: [5, 5] });
    // a function after short declarators that are not definitions starts at the declaration: the
    // comment above stays beside what it documents in the chunk's text, but is not taken for the
    // function's doc (it may be the first variable's)
    const onLoad = only(chunks, 'onLoad');
    expectChunk(onLoad, { kind: 'function', signature: 'var self = this, onLoad = function ()', doc: undefined, lines: [7, 9] });
    assert.ok(onLoad.text.startsWith('/** Old style. */\nvar self = this, onLoad'), onLoad.text);
    assert.ok(!chunks.some((c) => c.kind === 'window' && c.text.includes('Old style.')), 'the doc comment is not left to a window');
    const handle = only(chunks, 'handle');
    expectChunk(handle, { kind: 'function', signature: 'export const handle = () =>', doc: 'Handles things.', lines: [13, 15] });
    assert.ok(handle.text.startsWith('/**\n * Handles things.'), handle.text);
  }
  // the definitions in an earlier declarator's value stay their own
  const module = await chunker.chunkFile('module.js', [
    'var Module = (function () {',
    '  function helper(a) {',
    '    return a + 1;',
    '  }',
    '  return { helper: helper };',
    '})(), init = function () {',
    '  return Module.helper(1);',
    '};',
    '',
  ].join('\n'));
  expectChunk(only(module, 'helper'), { kind: 'function', lines: [2, 4] });
  expectChunk(only(module, 'init'), { kind: 'function', signature: 'init = function ()', lines: [6, 8] });
  // a comment right above a later declarator documents it
  const later = await chunker.chunkFile('later.js', [
    'var count = 0,',
    '  /** Counts one more. */',
    '  bump = function () {',
    '    return ++count;',
    '  };',
    '',
  ].join('\n'));
  expectChunk(only(later, 'bump'), { kind: 'function', signature: 'var count = 0, bump = function ()', doc: 'Counts one more.', lines: [1, 5] });
  // a long value before it stays out of its chunk: the function starts at its name
  const config = ['/** Settings. */', 'export const config = {', ...Array.from({ length: 30 }, (_, i) => `  key${i}: ${i},`), '}, handler = (req) => {', '  return config[req];', '};', ''];
  const long = await chunker.chunkFile('long.js', config.join('\n'));
  expectChunk(only(long, 'handler'), { kind: 'function', signature: 'handler = (req) =>', doc: undefined, lines: [33, 35] });
  assert.ok(!only(long, 'handler').text.includes('key5'), 'the object is not the function\'s');
});

test('attributes and decorators before a doc comment stay with their item; the comments are its doc, not its signature', async () => {
  const rust = await chunker.chunkFile('attrs.rs', [
    '#[inline]',
    '/// Adds two numbers.',
    'pub fn add(a: i32, b: i32) -> i32 {',
    '    a + b',
    '}',
    '',
    '#[derive(Debug)]',
    '// a plain comment',
    '#[serde(rename_all = "camelCase")]',
    '/// A point in the plane.',
    'pub struct Point {',
    '    x: i32,',
    '}',
    '',
    '/// A data structure that can be serialized.',
    '#[cfg_attr(',
    '    not(no_diagnostic_namespace),',
    '    diagnostic::on_unimplemented(',
    '        // keeps the crate\'s own path out of the message',
    '        message = "the trait bound `{Self}: serde::Serialize` is not satisfied",',
    '        note = "for local types consider adding `#[derive(serde::Serialize)]` to your `{Self}` type",',
    '    )',
    ')]',
    'pub trait Serialize {',
    '    fn serialize(&self);',
    '}',
    '',
  ].join('\n'));
  // an attribute too long to lead the signature leaves it to the item's own header
  expectChunk(only(rust, 'Serialize'), { kind: 'trait', signature: 'pub trait Serialize', doc: 'A data structure that can be serialized.', lines: [16, 26] });
  const add = only(rust, 'add');
  expectChunk(add, { kind: 'function', signature: '#[inline] pub fn add(a: i32, b: i32) -> i32', doc: 'Adds two numbers.', lines: [1, 5] });
  assert.ok(add.text.startsWith('#[inline]\n/// Adds two numbers.\npub fn add'), add.text);
  expectChunk(only(rust, 'Point'), {
    kind: 'struct',
    signature: '#[derive(Debug)] #[serde(rename_all = "camelCase")] pub struct Point',
    doc: 'A point in the plane.',
    lines: [7, 13],
  });
  const ts = await chunker.chunkFile('widget.ts', [
    'class Widget {',
    '  @Input()',
    '  /** The label shown on top. */',
    '  label(): string {',
    "    return 'x';",
    '  }',
    '}',
    '',
  ].join('\n'));
  expectChunk(only(ts, 'label'), { kind: 'method', container: 'Widget', signature: '@Input() label(): string', doc: 'The label shown on top.', lines: [2, 6] });
  // decorators and annotations that are part of their item's node, then a doc comment, then the name's line
  const cases: { file: string; text: string; name: string; kind: ChunkKind; container?: string; signature: string; doc: string; lines: [number, number] }[] = [
    { file: 'D.java', text: 'class D {\n  @Override\n  /** Runs the task once. */\n  public void run() {}\n\n  @Deprecated // old\n  public void stop() {}\n}\n', name: 'run', kind: 'method', container: 'D', signature: '@Override public void run()', doc: 'Runs the task once.', lines: [2, 4] },
    { file: 'c.ts', text: "@Component({ selector: 'app' })\n/** The app's root component. */\nexport class AppComponent {}\n", name: 'AppComponent', kind: 'class', signature: "@Component({ selector: 'app' }) export class AppComponent", doc: "The app's root component.", lines: [1, 3] },
    { file: 'p.py', text: '@app.route("/")\n# The index page.\ndef index():\n    return "hi"\n', name: 'index', kind: 'function', signature: '@app.route("/") def index():', doc: 'The index page.', lines: [1, 4] },
    { file: 't.cpp', text: 'template <typename T>\n// Converts x to T.\nT convert(int x) { return T(x); }\n', name: 'convert', kind: 'function', signature: 'template <typename T> T convert(int x)', doc: 'Converts x to T.', lines: [1, 3] },
    { file: 'E.cs', text: '[Serializable]\n/// <summary>An entry.</summary>\npublic class Entry { }\n', name: 'Entry', kind: 'class', signature: '[Serializable] public class Entry', doc: 'An entry.', lines: [1, 3] },
  ];
  for (const { file, text, name, ...expected } of cases) expectChunk(only(await chunker.chunkFile(file, text), name), expected);
  // a comment after code on the annotation's line is no doc
  expectChunk(only(await chunker.chunkFile('D.java', cases[0].text), 'stop'), { kind: 'method', container: 'D', signature: '@Deprecated public void stop()', doc: undefined, lines: [6, 7] });
  // a comment among a header's parameters or a decorator's arguments, above the name's line, is no doc
  const inHeader = await chunker.chunkFile('server.go', 'package s\n\nfunc (\n\ts *Server,\n\t// the receiver\n) Handle() {}\n');
  expectChunk(only(inHeader, 'Handle'), { kind: 'method', container: 'Server', doc: undefined });
  const inDecorator = await chunker.chunkFile('app.ts', '@Component({\n  selector: "a",\n  // inline\n}) export class App {}\n');
  expectChunk(only(inDecorator, 'App'), { kind: 'class', doc: undefined });
  // a name after the body: the body's last comment is no doc
  const typedefs = await chunker.chunkFile('point.h', '/** A point. */\ntypedef struct {\n  int x;\n  /* reserved */\n} Point;\n\ntypedef enum {\n  A,\n  /* add new values above */\n} Kind;\n');
  expectChunk(only(typedefs, 'Point'), { kind: 'struct', doc: 'A point.', lines: [2, 5] });
  expectChunk(only(typedefs, 'Kind'), { kind: 'enum', doc: undefined, lines: [7, 10] });
});

test('JavaScript and TypeScript: components wrapped in forwardRef, memo or observer are definitions; other calls around a function are not', async () => {
  const text = [
    '/** A button. */',
    'export const Button = React.forwardRef((props, ref) => {',
    '  return h("button", { ref, ...props });',
    '});',
    'const Row = memo(function Row({ item }) {',
    '  return h("li", null, item.name);',
    '});',
    'export const Store = observer(() => h("div"));',
    'const save = debounce(() => flush(), 300);',
    'export const Field = memo(forwardRef((props, ref) => {',
    '  return h("input", { ref });',
    '}));',
    'const later = debounce(memo(() => 1));',
    '',
  ].join('\n');
  for (const file of ['ui.js', 'ui.ts', 'ui.tsx']) {
    const chunks = await chunker.chunkFile(file, text);
    expectChunk(only(chunks, 'Button'), { kind: 'function', signature: 'export const Button = React.forwardRef((props, ref) =>', doc: 'A button.', lines: [2, 4] });
    expectChunk(only(chunks, 'Row'), { kind: 'function', signature: 'const Row = memo(function Row({ item })', lines: [5, 7] });
    expectChunk(only(chunks, 'Store'), { kind: 'function', lines: [8, 8] });
    assert.ok(!chunks.some((c) => c.name === 'save'), `debounce(…) is not a definition: ${summary(chunks)}`);
    expectChunk(only(chunks, 'Field'), { kind: 'function', signature: 'export const Field = memo(forwardRef((props, ref) =>', lines: [10, 12] });
    assert.ok(!chunks.some((c) => c.name === 'later'), `debounce(memo(…)) is not a component: ${summary(chunks)}`);
  }
  const typed = await chunker.chunkFile('ui.tsx', 'export const Input = forwardRef<HTMLInputElement, Props>((props, ref) => <input ref={ref} />);\n');
  expectChunk(only(typed, 'Input'), { kind: 'function', signature: 'export const Input = forwardRef<HTMLInputElement, Props>((props, ref) =>' });
});

test('every fixture: no duplicate chunks, byte ranges and lines agree with the source', async () => {
  for (const file of readdirSync(FIXTURES)) {
    const text = readFileSync(join(FIXTURES, file), 'utf8');
    const bytes = Buffer.from(text, 'utf8');
    const chunks = await chunker.chunkFile(file, text);
    assert.ok(chunks.length > 0, file);
    const seen = new Set<string>();
    for (const chunk of chunks) {
      const key = `${chunk.startByte}-${chunk.endByte}-${chunk.name}`;
      assert.ok(!seen.has(key), `${file}: duplicate chunk ${key}`);
      seen.add(key);
      const range = bytes.subarray(chunk.startByte, chunk.endByte).toString('utf8');
      if (chunk.kind !== 'module') assert.ok(chunk.text.endsWith(range), `${file}: text of ${chunk.name} ends with its range`);
      const linesBefore = bytes.subarray(0, chunk.startByte).toString('utf8').split('\n').length;
      assert.equal(chunk.startLine, linesBefore, `${file}: start line of ${chunk.name}`);
      assert.equal(chunk.endLine, chunk.startLine + (range.match(/\n/g)?.length ?? 0), `${file}: end line of ${chunk.name}`);
      assert.equal(chunk.path, file);
    }
  }
});

test('UTF-8 byte offsets are right after non-ASCII text', async () => {
  const text = '// héllo 😀 wörld — ünïcödé\nfunction f(x) {\n  return "ß";\n}\nconst g = () => "√";\n';
  const bytes = Buffer.from(text, 'utf8');
  const chunks = await chunker.chunkFile('unicode.js', text);
  const f = only(chunks, 'f');
  assert.equal(f.startByte, Buffer.byteLength('// héllo 😀 wörld — ünïcödé\n'));
  assert.equal(bytes.subarray(f.startByte, f.endByte).toString('utf8'), 'function f(x) {\n  return "ß";\n}');
  assert.equal(f.doc, 'héllo 😀 wörld — ünïcödé');
  const g = only(chunks, 'g');
  assert.equal(bytes.subarray(g.startByte, g.endByte).toString('utf8'), 'const g = () => "√";');
  assert.equal(g.startLine, 5);
});

test('a BOM counts in byte offsets but not in text; CRLF line endings are handled', async () => {
  const text = '\uFEFF# Adds.\r\ndef add(a, b):\r\n    """Sum of\r\n    two numbers."""\r\n    return a + b\r\n';
  const chunks = await chunker.chunkFile('crlf.py', text);
  const add = only(chunks, 'add');
  expectChunk(add, { kind: 'function', signature: 'def add(a, b):', doc: 'Sum of\ntwo numbers.', lines: [2, 5] });
  assert.equal(add.startByte, 3 + Buffer.byteLength('# Adds.\r\n'));
  assert.ok(add.text.startsWith('# Adds.\r\ndef add'));

  const windows = await chunker.chunkFile('bom.txt', '\uFEFFfirst line\r\nsecond line\r\n');
  assert.equal(windows.length, 1);
  assert.equal(windows[0].text, 'first line\r\nsecond line');
  assert.equal(windows[0].startByte, 3);
});

test('empty and blank files have no chunks', async () => {
  for (const path of ['empty.ts', 'empty.md', 'empty.txt', 'blank.py']) {
    assert.deepEqual(await chunker.chunkFile(path, path === 'blank.py' ? '\n   \n\n' : ''), [], path);
  }
});

test('a parsed file without definitions is one window however short (a barrel of re-exports), as a text file is', async () => {
  for (const path of ['index.js', 'index.ts', 'mod.rs', 'notes.txt']) {
    const text = path === 'mod.rs' ? 'pub use a::b;\n' : "export * from './utils';\n";
    const chunks = await chunker.chunkFile(path, text);
    assert.deepEqual(chunks.map((c) => [c.kind, c.startLine, c.endLine, c.signature]), [['window', 1, 1, text.trim()]], path);
  }
  // loose code between definitions still needs a few words to get a window of its own
  const between = await chunker.chunkFile('gap.js', 'function a() {\n  return 1;\n}\nx;\nfunction b() {\n  return 2;\n}\n');
  assert.deepEqual(between.map((c) => c.name), ['a', 'b']);
});

test('a file with syntax errors still yields its well-formed definitions', async () => {
  const chunks = await chunker.chunkFile('broken.py', 'def ok():\n    return 1\n\ndef broken(:\n    pass\n\nclass Fine:\n    pass\n');
  expectChunk(only(chunks, 'ok'), { kind: 'function', lines: [1, 2] });
  expectChunk(only(chunks, 'Fine'), { kind: 'class', lines: [7, 8] });
});

test('a long definition is split into windows that each repeat its header', async () => {
  const body = Array.from({ length: 40 }, (_, i) => `  const v${i} = compute(${i}, 'a line of filler text');`).join('\n');
  const text = `import { compute } from './compute';\n\n/** Long. */\nexport function longOne(a: number,\n    b: string): void {\n${body}\n}\n`;
  const small = await Chunker.create({ maxChunkChars: 400 });
  try {
    const parts = (await small.chunkFile('long.ts', text)).filter((c) => c.name === 'longOne');
    assert.ok(parts.length > 3, `split into ${parts.length}`);
    const header = 'export function longOne(a: number,\n    b: string): void {';
    parts.forEach((part, index) => {
      assert.deepEqual(part.part, { index, count: parts.length });
      assert.equal(part.signature, 'export function longOne(a: number, b: string): void');
      assert.equal(part.doc, 'Long.');
      assert.ok(part.text.length <= 400, `part ${index} has ${part.text.length} chars`);
      assert.ok(part.text.startsWith(index === 0 ? `/** Long. */\n${header}` : `${header}\n  const v`), `part ${index}: ${part.text}`);
    });
    assert.equal(parts[0].startLine, 4);
    assert.equal(parts[parts.length - 1].endLine, 46);
    for (let i = 1; i < parts.length; i++) assert.equal(parts[i].startLine, parts[i - 1].endLine + 1);
    assert.equal(parts[0].startByte, text.indexOf('export function'));
    assert.equal(parts[parts.length - 1].endByte, text.lastIndexOf('}') + 1);
  } finally {
    small.dispose();
  }
});

test('with CRLF line endings, the windows of a long definition stay within maxChunkChars', async () => {
  const body = Array.from({ length: 200 }, (_, i) => `  step(${i});`).join('\r\n');
  const small = await Chunker.create({ maxChunkChars: 400 });
  try {
    const parts = await small.chunkFile('crlf.js', `function longOne(a) {\r\n${body}\r\n}\r\n`);
    assert.ok(parts.length > 3, `split into ${parts.length}`);
    for (const part of parts) assert.ok(part.text.length <= 400, `part ${part.part?.index} has ${part.text.length} chars`);
  } finally {
    small.dispose();
  }
});

/**
 * A generated class, longer than the default maxChunkChars, in one language: the file is
 * `prelude + doc + [open, ...members].join('\n\n') + close + '\n'`.
 */
interface LongClass {
  file: string;
  kind: ChunkKind;
  prelude?: string;
  /** the doc comment above the class, with its line break */
  doc: string;
  /** the class header and its own lines before the first member */
  open: string;
  /** what follows the last member, from its line break; '' in Python */
  close: string;
  /** member `i`, indented, with its doc comment and the given body statements */
  member(i: number, statements: string[]): string;
  /** how many lines the doc comment of a member has */
  memberDocLines: number;
  /** body statement `j` of member `i` */
  statement(i: number, j: number): string;
  /** how member `i` appears in the class outline */
  outlined(i: number): string;
}

const LONG_CLASSES: readonly LongClass[] = [
  {
    file: 'ledger.ts',
    memberDocLines: 1,
    kind: 'class',
    prelude: "import { Base } from './base';\n\n",
    doc: '/** Keeps accounts. */\n',
    open: 'export class Ledger extends Base {\n  private readonly entries: number[] = [];\n  static readonly LIMIT = 10;',
    close: '\n}',
    member: (i, body) => `  /** Method ${i}. */\n  method${i}(a: number): number {\n${body.join('\n')}\n    return a;\n  }`,
    statement: (i, j) => `    const step${i}_${j} = a * ${j} + ${i}; // a line of filler text`,
    outlined: (i) => `  method${i}(a: number): number { … }`,
  },
  {
    file: 'ledger.py',
    memberDocLines: 0,
    kind: 'class',
    prelude: 'from base import Base\n\n\n',
    doc: '',
    open: 'class Ledger(Base):\n    """Keeps accounts."""\n\n    LIMIT = 10',
    close: '',
    member: (i, body) => `    @staticmethod\n    def method${i}(a: int) -> int:\n        """Method ${i}."""\n${body.join('\n')}\n        return a`,
    statement: (i, j) => `        step${i}_${j} = a * ${j} + ${i}  # a line of filler text`,
    outlined: (i) => `    @staticmethod\n    def method${i}(a: int) -> int: ...`,
  },
  {
    file: 'Ledger.php',
    memberDocLines: 3,
    kind: 'class',
    prelude: '<?php\n\n',
    doc: '/**\n * Keeps accounts.\n */\n',
    open: 'class Ledger extends Base\n{\n    protected $entries = [];\n    const LIMIT = 10;',
    close: '\n}',
    member: (i, body) => `    /**\n     * Method ${i}.\n     */\n    public function method${i}(int $a): int\n    {\n${body.join('\n')}\n        return $a;\n    }`,
    statement: (i, j) => `        $step${i}_${j} = $a * ${j} + ${i}; // a line of filler text`,
    outlined: (i) => `    public function method${i}(int $a): int { … }`,
  },
  {
    file: 'Ledger.java',
    memberDocLines: 1,
    kind: 'class',
    doc: '/** Keeps accounts. */\n',
    open: 'public class Ledger extends Base {\n    private final int[] entries = new int[10];',
    close: '\n}',
    member: (i, body) => `    /** Method ${i}. */\n    @Override\n    public int method${i}(int a) {\n${body.join('\n')}\n        return a;\n    }`,
    statement: (i, j) => `        int step${i}_${j} = a * ${j} + ${i}; // a line of filler text`,
    outlined: (i) => `    @Override\n    public int method${i}(int a) { … }`,
  },
  {
    file: 'ledger.rb',
    memberDocLines: 1,
    kind: 'class',
    doc: '# Keeps accounts.\n',
    open: 'class Ledger < Base\n  LIMIT = 10\n  attr_reader :entries',
    close: '\nend',
    member: (i, body) => `  # Method ${i}.\n  def method${i}(a)\n${body.join('\n')}\n    a\n  end`,
    statement: (i, j) => `    step${i}_${j} = a * ${j} + ${i} # a line of filler text`,
    outlined: (i) => `  def method${i}(a) ... end`,
  },
  {
    file: 'ledger.rs',
    memberDocLines: 1,
    kind: 'impl',
    doc: '/// Keeps accounts.\n',
    open: 'impl Ledger {\n    const LIMIT: u32 = 10;',
    close: '\n}',
    member: (i, body) => `    /// Method ${i}.\n    pub fn method${i}(&self, a: u32) -> u32 {\n${body.join('\n')}\n        a\n    }`,
    statement: (i, j) => `        let step${i}_${j} = a * ${j} + ${i}; // a line of filler text`,
    outlined: (i) => `    pub fn method${i}(&self, a: u32) -> u32 { … }`,
  },
];

/** The generated file of a LongClass with `count` members of `statements` body statements each. */
function longClassSource(c: LongClass, count: number, statements: number): { text: string; members: string[]; classStart: number } {
  const members = Array.from({ length: count }, (_, i) => c.member(i, Array.from({ length: statements }, (_, j) => c.statement(i, j))));
  const head = `${c.prelude ?? ''}${c.doc}`;
  return { text: `${head}${[c.open, ...members].join('\n\n')}${c.close}\n`, members, classStart: head.length };
}

/** 1-based line of a string index. */
function lineAt(text: string, index: number): number {
  return text.slice(0, index).split('\n').length;
}

/** The chunk with the smallest line range containing `line`, as the engine's enclosing-chunk lookup picks it. */
function innermostAt(chunks: Chunk[], line: number): Chunk | undefined {
  const containing = chunks.filter((c) => c.startLine <= line && line <= c.endLine);
  return containing.sort((a, b) => a.endLine - a.startLine - (b.endLine - b.startLine))[0];
}

function assertNoDuplicates(chunks: Chunk[]): void {
  const keys = chunks.map((c) => `${c.kind} ${c.name} ${c.startByte}-${c.endByte} ${c.part?.index ?? ''}`);
  assert.equal(new Set(keys).size, keys.length, `duplicate chunks: ${keys.join(', ')}`);
}

for (const c of LONG_CLASSES) {
  test(`${c.file}: a long ${c.kind} is one outline chunk, its methods are chunks with their full source`, async () => {
    const count = 8;
    const { text, members, classStart } = longClassSource(c, count, 6);
    assert.ok(text.length - classStart > 2500, 'the class is longer than maxChunkChars');
    const chunks = await chunker.chunkFile(c.file, text);
    assertNoDuplicates(chunks);

    const outlined = chunks.filter((chunk) => chunk.name === 'Ledger');
    assert.equal(outlined.length, 1, summary(chunks));
    const outline = outlined[0];
    expectChunk(outline, { kind: c.kind, doc: 'Keeps accounts.', lines: [lineAt(text, classStart), lineAt(text, text.length - 1)] });
    assert.equal(outline.part, undefined);
    assert.deepEqual([outline.startByte, outline.endByte], [classStart, text.length - 1]);
    assert.equal(outline.text, c.doc + [c.open, ...Array.from({ length: count }, (_, i) => c.outlined(i))].join('\n\n') + c.close);

    for (let i = 0; i < count; i++) {
      const method = only(chunks, `method${i}`);
      const memberStart = text.indexOf(members[i]);
      assert.equal(method.kind, 'method');
      assert.equal(method.text, members[i].trimStart(), `method${i} keeps its doc and whole source`);
      assert.equal(method.endByte, memberStart + members[i].length);
      assert.deepEqual([method.startLine, method.endLine], [lineAt(text, memberStart) + c.memberDocLines, lineAt(text, method.endByte)]);
      assert.equal(innermostAt(chunks, lineAt(text, text.indexOf(c.statement(i, 3)))), method, `a body line of method${i} maps to it`);
    }
    const fieldLine = lineAt(text, classStart) + 1;
    assert.equal(innermostAt(chunks, fieldLine), outline, 'a line of the class itself maps to the class');
  });
}

for (const c of LONG_CLASSES.filter((lc) => ['ledger.ts', 'ledger.py'].includes(lc.file))) {
  test(`${c.file}: the outline of a class with hundreds of members is split into windows that repeat its header`, async () => {
    const count = 300;
    const { text, classStart } = longClassSource(c, count, 2);
    const chunks = await chunker.chunkFile(c.file, text);
    assertNoDuplicates(chunks);
    assert.equal(chunks.filter((chunk) => chunk.kind === 'method').length, count);

    const parts = chunks.filter((chunk) => chunk.name === 'Ledger');
    assert.ok(parts.length > 3, `split into ${parts.length}`);
    const header = c.open.split('\n')[0];
    parts.forEach((part, index) => {
      assert.deepEqual(part.part, { index, count: parts.length });
      assert.ok(part.text.length <= 2000, `part ${index} has ${part.text.length} chars`);
      assert.ok(part.text.startsWith(`${index === 0 ? c.doc : ''}${header}\n`), `part ${index}: ${part.text.slice(0, 80)}`);
      assert.ok(!part.text.includes('step'), `part ${index} holds no body statement`);
    });

    // The windows partition the class's lines, and each member's outline (a multi-line header is
    // not split) is in exactly one window, whose range covers the member with its doc comment.
    assert.deepEqual([parts[0].startByte, parts[0].startLine], [classStart, lineAt(text, classStart)]);
    const last = parts[parts.length - 1];
    assert.deepEqual([last.endByte, last.endLine], [text.length - 1, lineAt(text, text.length - 1)]);
    for (let i = 1; i < parts.length; i++) {
      assert.equal(parts[i].startLine, parts[i - 1].endLine + 1);
      assert.ok(parts[i].startByte > parts[i - 1].endByte);
    }
    for (let i = 0; i < count; i++) {
      const holders = parts.filter((part) => `${part.text}\n`.includes(`\n${c.outlined(i)}\n`));
      assert.equal(holders.length, 1, `method${i} is outlined in ${holders.length} windows`);
      const method = only(chunks, `method${i}`);
      assert.ok(holders[0].startLine <= method.startLine - c.memberDocLines && method.endLine <= holders[0].endLine, `range of the window of method${i}`);
    }
  });
}

test('a doc comment longer than half the budget contributes only its opening lines to the text', async () => {
  const docLines = Array.from({ length: 30 }, (_, i) => ` * Remark number ${i} about this function.`);
  const text = `/**\n${docLines.join('\n')}\n */\nfunction documented() {\n  return 1;\n}\n`;
  const small = await Chunker.create({ maxChunkChars: 400 });
  try {
    const chunk = only(await small.chunkFile('doc.js', text), 'documented');
    assert.equal(chunk.part, undefined);
    assert.ok(chunk.text.length <= 400, `${chunk.text.length} chars`);
    assert.ok(chunk.text.startsWith('/**\n * Remark number 0 about this function.\n'));
    assert.ok(chunk.text.endsWith('\nfunction documented() {\n  return 1;\n}'));
    assert.equal(chunk.doc?.split('\n').length, 30);
  } finally {
    small.dispose();
  }
});

test('functions nested in a function are chunks only when the enclosing function is split', async () => {
  const text = 'function outer(items) {\n  const inc = (x) => x + 1;\n  return items.map(inc);\n}\n';
  assert.deepEqual((await chunker.chunkFile('nested.js', text)).map((c) => c.name), ['outer']);
  const small = await Chunker.create({ maxChunkChars: 40 });
  try {
    const chunks = await small.chunkFile('nested.js', text);
    expectChunk(only(chunks, 'inc'), { kind: 'function', signature: 'const inc = (x) =>', lines: [2, 2] });
    assert.ok(chunks.filter((c) => c.name === 'outer').length > 1);
  } finally {
    small.dispose();
  }
});

test('Markdown is split at headings, not at # lines inside code fences', async () => {
  const chunks = await chunkFixture('README.md');
  assert.deepEqual(
    chunks.map((c) => [c.name, c.startLine, c.endLine, c.kind, c.language]),
    [
      ['Sample project', 1, 3, 'window', 'markdown'],
      ['Install', 5, 12, 'window', 'markdown'],
      ['Usage', 14, 16, 'window', 'markdown'],
      ['Options', 18, 20, 'window', 'markdown'],
    ],
  );
  assert.equal(only(chunks, 'Install').signature, '## Install');
});

test('Markdown: a bare heading joins the next section; long sections repeat their headings', async () => {
  const paragraph = Array.from({ length: 30 }, (_, i) => `Sentence number ${i} of the long section.`).join('\n');
  const text = `Preamble text before any heading.\n\n# Guide\n## Setup\n${paragraph}\n`;
  const small = await Chunker.create({ maxChunkChars: 300 });
  try {
    const chunks = await small.chunkFile('docs/guide.md', text);
    assert.equal(chunks[0].name, 'guide.md:1-1');
    const setup = chunks.filter((c) => c.name === 'Setup');
    assert.equal(setup.length, chunks.length - 1);
    assert.ok(setup.length > 1);
    assert.equal(setup[0].startLine, 3);
    for (const part of setup) assert.ok(part.text.startsWith('# Guide\n## Setup\n'), part.text);
  } finally {
    small.dispose();
  }
});

test('unknown file types become overlapping line windows bounded by maxChunkChars', async () => {
  const notes = await chunkFixture('notes.txt');
  assert.deepEqual(notes.map((c) => [c.name, c.kind, c.language, c.startLine, c.endLine]), [['notes.txt:1-2', 'window', 'text', 1, 2]]);

  const lines = Array.from({ length: 150 }, (_, i) => `echo "step ${i}"`);
  const chunks = await chunker.chunkFile('scripts/run.sh', lines.join('\n'));
  assert.ok(chunks.length >= 3);
  assert.equal(chunks[0].startLine, 1);
  assert.equal(chunks[chunks.length - 1].endLine, 150);
  for (let i = 1; i < chunks.length; i++) {
    assert.ok(chunks[i].startLine <= chunks[i - 1].endLine, 'windows overlap');
    assert.ok(chunks[i].startLine > chunks[i - 1].startLine, 'windows advance');
  }
  for (const chunk of chunks) {
    assert.ok(chunk.endLine - chunk.startLine + 1 <= 60);
    assert.ok(chunk.text.length <= 2000);
    assert.equal(chunk.text, lines.slice(chunk.startLine - 1, chunk.endLine).join('\n'));
    assert.equal(chunk.name, `run.sh:${chunk.startLine}-${chunk.endLine}`);
  }
});

test('when a grammar cannot be loaded, the file falls back to windows and the error is reported', async () => {
  const errors: string[] = [];
  const broken = await Chunker.create({ grammarDir: join(FIXTURES, 'no-such-dir'), onParseError: (path, reason) => errors.push(`${path}: ${reason}`) });
  try {
    const chunks = await broken.chunkFile('a.py', 'def f():\n    return 1\n');
    assert.deepEqual(chunks.map((c) => [c.kind, c.language, c.startLine, c.endLine]), [['window', 'python', 1, 2]]);
    assert.equal(errors.length, 1);
    assert.match(errors[0], /^a\.py: cannot load grammar .*tree-sitter-python\.wasm/);
  } finally {
    broken.dispose();
  }
});

test('all languages load concurrently; chunkFile after dispose is rejected', async () => {
  const own = await Chunker.create();
  const files = readdirSync(FIXTURES);
  const results = await Promise.all(files.map((f) => own.chunkFile(f, readFileSync(join(FIXTURES, f), 'utf8'))));
  results.forEach((chunks, i) => assert.ok(chunks.some((c) => c.kind !== 'window') || /\.(md|txt)$/.test(files[i]), files[i]));
  own.dispose();
  await assert.rejects(own.chunkFile('a.py', 'x = 1\n'), /after dispose/);
});

test('parsing the same large file many times does not grow the wasm heap', async () => {
  const text = Array.from({ length: 200 }, (_, i) => `/** Doc ${i}. */\nexport function f${i}(a: number): number {\n  return a * ${i};\n}\n`).join('\n');
  for (let i = 0; i < 5; i++) await chunker.chunkFile('gen.ts', text); // let the heap reach its working size
  const before = process.memoryUsage().external;
  for (let i = 0; i < 200; i++) await chunker.chunkFile('gen.ts', text);
  const growth = process.memoryUsage().external - before;
  // A leaked tree of this file costs ~0.4 MB of wasm memory, which never shrinks: 200 leaks are ~80 MB.
  assert.ok(growth < 32 * 1024 * 1024, `wasm/external memory grew by ${(growth / 1048576).toFixed(1)} MB`);
});

test('chunks a large real file (typescript.js) and reports throughput', async (t) => {
  const path = join(__dirname, '..', '..', 'node_modules', 'typescript', 'lib', 'typescript.js');
  const text = readFileSync(path, 'utf8');
  const started = process.hrtime.bigint();
  const chunks = await chunker.chunkFile('typescript.js', text);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const megabytes = Buffer.byteLength(text) / 1e6;
  t.diagnostic(`typescript.js: ${megabytes.toFixed(1)} MB, ${chunks.length} chunks in ${seconds.toFixed(2)} s = ${(megabytes / seconds).toFixed(2)} MB/s`);
  assert.ok(chunks.filter((c) => c.kind === 'function').length > 10000);
  assert.ok(chunks.some((c) => c.name === 'createScanner' && c.kind === 'function'));
});

test('consecutive line comments form one doc with single line breaks (Rust includes the break in the node)', async () => {
  const chunker = await Chunker.create();
  try {
    const source = '/// First line\n/// second line.\n///\n/// Para two.\npub fn f() {}\n';
    const [rust] = await chunker.chunkFile('a.rs', source);
    assert.equal(rust.doc, 'First line\nsecond line.\n\nPara two.');
    const [go] = await chunker.chunkFile('a.go', 'package a\n\n// First line\n// second line.\nfunc F() {}\n');
    assert.equal(go.doc, 'First line\nsecond line.');
  } finally {
    chunker.dispose();
  }
});

/** `levels` functions, each declared inside the one before: JavaScript braces, or Python indentation (one space a level). */
function nestedFunctions(language: 'js' | 'py', levels: number): string {
  const lines: string[] = [];
  for (let i = 0; i < levels; i++) lines.push(language === 'js' ? `function f${i}(a) {` : `${' '.repeat(i)}def f${i}(a):`);
  lines.push(language === 'js' ? 'return a + 1;' : `${' '.repeat(levels)}return a + 1`);
  if (language === 'js') for (let i = 0; i < levels; i++) lines.push('}');
  return `${lines.join('\n')}\n`;
}

/** Lines (1-based) with a word character that no chunk's line range holds. */
function uncoveredLines(text: string, chunks: readonly Chunk[]): number[] {
  const covered = new Uint8Array(text.split('\n').length + 2);
  for (const c of chunks) covered.fill(1, c.startLine, c.endLine + 1);
  return text.split('\n').flatMap((line, i) => (/\w/.test(line) && !covered[i + 1] ? [i + 1] : []));
}

/**
 * Nesting cases. Python needs one more column of indentation per level, so 2,000 levels are 2 MB
 * (10,000 would be 50 MB); tree-sitter-python's indentation scanner gives up after about 500
 * levels and parses the deeper lines as a flat run of functions in an error, so the depth of
 * those is not the level in their name.
 */
const NESTING_CASES = [
  { language: 'js', levels: 2000, parsedNesting: true },
  { language: 'js', levels: 10_000, parsedNesting: true },
  { language: 'py', levels: 400, parsedNesting: true },
  { language: 'py', levels: 2000, parsedNesting: false },
] as const;

for (const { language, levels, parsedNesting } of NESTING_CASES) {
  test(`${levels} nested ${language} functions: definitions ${DEFAULT_MAX_NESTING_DEPTH} deep at most, chunks and their text linear in the file`, async () => {
    const text = nestedFunctions(language, levels);
    const chunks = await chunker.chunkFile(`deep.${language}`, text);
    const definitions = chunks.filter((c) => c.kind !== 'window');
    const depthOf = (name: string): number => Number(name.slice(1)) + 1;
    assert.ok(definitions.length > 0);
    if (parsedNesting) {
      for (const c of definitions) assert.ok(depthOf(c.name) <= DEFAULT_MAX_NESTING_DEPTH, `${c.name} is ${depthOf(c.name)} deep`);
    }
    // Each level of definitions that are chunks holds (nearly) the whole file, in windows of at
    // least half the budget; before the bound every one of the `levels` did (20,453 chunks for
    // 2,000 levels of JavaScript, 40 MB of text for its 40 KB).
    const perLevel = Math.ceil(text.length / (DEFAULT_MAX_CHUNK_CHARS / 2));
    assert.ok(chunks.length <= (DEFAULT_MAX_NESTING_DEPTH + 1) * perLevel, `${chunks.length} chunks`);
    const chars = chunks.reduce((sum, c) => sum + c.text.length, 0);
    assert.ok(chars <= (DEFAULT_MAX_NESTING_DEPTH + 1) * text.length, `${chars} characters of chunk text for a ${text.length}-character file`);
    assert.deepEqual(uncoveredLines(text, chunks), []);
  });
}

test('maxNestingDepth and maxChunksPerFile: deeper definitions and too many chunks fall back to enclosing chunks and windows', async () => {
  const text = nestedFunctions('js', 10_000);
  const shallow = await Chunker.create({ maxNestingDepth: 2 });
  const few = await Chunker.create({ maxChunksPerFile: 50 });
  const one = await Chunker.create({ maxChunksPerFile: 1 });
  try {
    const names = new Set((await shallow.chunkFile('deep.js', text)).filter((c) => c.kind !== 'window').map((c) => c.name));
    assert.deepEqual([...names].sort(), ['f0', 'f1']);
    const fewChunks = await few.chunkFile('deep.js', text);
    assert.ok(fewChunks.length <= 50, `${fewChunks.length} chunks`);
    assert.deepEqual(uncoveredLines(text, fewChunks), []);
    const [whole, ...rest] = await one.chunkFile('deep.js', text);
    assert.equal(rest.length, 0);
    assert.deepEqual([whole.startLine, whole.endLine, whole.text], [1, 20_001, text.trimEnd()]);
    await assert.rejects(Chunker.create({ maxChunksPerFile: 0 }), /maxChunksPerFile must be a whole number of at least 1/);
    await assert.rejects(Chunker.create({ maxNestingDepth: 1.5 }), /maxNestingDepth must be a whole number of at least 1/);
  } finally {
    shallow.dispose();
    few.dispose();
    one.dispose();
  }
});

test('regressions found by the property tests (test/chunks.props.test.ts)', async () => {
  const small = await Chunker.create({ maxChunkChars: 3 });
  const errors: string[] = [];
  const own = await Chunker.create({ onParseError: (path, reason) => errors.push(`${path}: ${reason}`) });
  try {
    // a window whose last line was empty claimed that line, though its range stops before it
    assert.deepEqual(
      (await small.chunkFile('a.txt', 'aa\n\nbb')).map((c) => [c.name, c.startLine, c.endLine, c.text]),
      [['a.txt:1-1', 1, 1, 'aa'], ['a.txt:2-3', 2, 3, '\nbb']],
    );
    // a module's text ran to the end of its header's line: past the module, into the code after it
    const php = await own.chunkFile('a.php', '<?php namespace App; function f() { return 1; }\n');
    assert.equal(only(php, 'App').text, 'namespace App;');
    // a name tree-sitter made up to recover from an error (a MISSING node) is empty: no chunk
    const java = await own.chunkFile('A.java', 'class A {\n  void (int x) {\n    return;\n  }\n}\n');
    assert.ok(java.every((c) => c.name !== ''), summary(java));
    // an empty Markdown heading named its section ''
    assert.deepEqual((await own.chunkFile('a.md', '#\ntext under an empty heading\n')).map((c) => c.name), ['a.md:1-2']);
    // the indentation of a doc of 150,000 lines was found with Math.min(...lines): a stack overflow
    // that made the whole file a parse failure, chunked as windows
    const doc = 'x\n'.repeat(150_000);
    const py = await own.chunkFile('doc.py', `def f():\n    """\n${doc}    """\n    return 1\n`);
    const parts = py.filter((c) => c.name === 'f' && c.kind === 'function');
    assert.ok(parts.length > 1);
    assert.equal(parts[0].doc?.split('\n').length, 150_000);
    assert.deepEqual(errors, []);
  } finally {
    small.dispose();
    own.dispose();
  }
});
