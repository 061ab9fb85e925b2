import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { deflateRawSync } from 'node:zlib';
import { type Candidate, checkLargeCorpus, CorpusUnavailableError, dpkgFiles, excludedForEvaluation, selectFiles, zipEntries } from '../bench/corpus-large';

const c = (path: string, bytes = 10, origin = `/usr/share/x/${path}`): Candidate => ({ path, origin, bytes });

test('selectFiles keeps the extensions asked for, of 1 byte to the file cap, outside skipped folders', () => {
  const picked = selectFiles(
    [
      c('a.py'),
      c('b.txt'),
      c('empty.py', 0),
      c('huge.py', 2_000_000),
      c('pkg/vendor/v.py'),
      c('pkg/testdata/t.py'),
      c('pkg/node_modules/m.py'),
      c('pkg/ok.PY'),
      c('vendor.py'), // a file named like a skipped folder is kept
    ],
    { extensions: ['py'], maxBytes: Infinity },
  );
  assert.deepEqual(
    picked.map((p) => p.path),
    ['a.py', 'pkg/ok.PY', 'vendor.py'],
  );
});

test('selectFiles leaves out the evaluation repositories of issue 8 by their installed path', () => {
  const picked = selectFiles(
    [
      c('Monolog/Logger.php', 10, '/usr/share/php/Monolog/Logger.php'),
      c('GuzzleHttp/Client.php', 10, '/usr/share/php/GuzzleHttp/Client.php'),
      c('GuzzleHttp/Psr7/Uri.php', 10, '/usr/share/php/GuzzleHttp/Psr7/Uri.php'),
      c('Symfony/Component/Console/Application.php', 10, '/usr/share/php/Symfony/Component/Console/Application.php'),
    ],
    { extensions: ['php'], maxBytes: Infinity },
  );
  assert.deepEqual(
    picked.map((p) => p.path),
    ['GuzzleHttp/Psr7/Uri.php', 'Symfony/Component/Console/Application.php'],
  );
  assert.ok(excludedForEvaluation('/usr/lib/python3/dist-packages/flask/app.py'));
  assert.ok(excludedForEvaluation('/usr/share/cargo/registry/tokio-1.24.2/src/lib.rs'));
  assert.ok(excludedForEvaluation('/usr/share/gocode/src/github.com/gin-gonic/gin/gin.go'));
  assert.ok(excludedForEvaluation('/usr/share/nodejs/zod/lib/index.js'));
  assert.ok(excludedForEvaluation('/usr/lib/ruby/vendor_ruby/rack/request.rb'));
  assert.ok(!excludedForEvaluation('/usr/lib/ruby/vendor_ruby/rack/test.rb'));
  assert.ok(!excludedForEvaluation('/usr/lib/python3.11/json/decoder.py'));
  assert.ok(!excludedForEvaluation('/usr/share/cargo/registry/serde_json-1.0.91/src/lib.rs'));
});

test('selectFiles takes whole files up to the byte cap, independent of the input order, sorted by path', () => {
  const all = Array.from({ length: 40 }, (_, i) => c(`d${i % 4}/f${i}.go`, 100 + i));
  const a = selectFiles(all, { extensions: ['go'], maxBytes: 1000 });
  const b = selectFiles([...all].reverse(), { extensions: ['go'], maxBytes: 1000 });
  assert.deepEqual(a, b);
  const total = a.reduce((n, x) => n + x.bytes, 0);
  assert.ok(total <= 1000 && total > 1000 - 140, `total ${total}`);
  assert.deepEqual(a.map((x) => x.path), [...a.map((x) => x.path)].sort());
  // a larger cap takes a superset: the order does not depend on the cap
  const more = new Set(selectFiles(all, { extensions: ['go'], maxBytes: 2000 }).map((x) => x.path));
  for (const x of a) assert.ok(more.has(x.path), x.path);
  // the same path twice (two packages shipping it) is one file
  assert.equal(selectFiles([c('x.go', 5, '/b/x.go'), c('x.go', 5, '/a/x.go')], { extensions: ['go'], maxBytes: Infinity }).length, 1);
});

test('dpkgFiles reads a package list with or without an architecture, undefined when not installed', () => {
  const dir = mkdtempSync(join(tmpdir(), 'codescout-dpkg-'));
  try {
    writeFileSync(join(dir, 'node-x.list'), '/.\n/usr/share/nodejs/x\n/usr/share/nodejs/x/index.js\n');
    writeFileSync(join(dir, 'libpython3.11-stdlib:amd64.list'), '/usr/lib/python3.11/json/__init__.py\n');
    writeFileSync(join(dir, 'node-xy.list'), '/usr/share/nodejs/xy/index.js\n');
    assert.deepEqual(dpkgFiles('node-x', dir), ['/.', '/usr/share/nodejs/x', '/usr/share/nodejs/x/index.js']);
    assert.deepEqual(dpkgFiles('libpython3.11-stdlib', dir), ['/usr/lib/python3.11/json/__init__.py']);
    assert.equal(dpkgFiles('libpython3.11', dir), undefined);
    assert.equal(dpkgFiles('node-x', join(dir, 'missing')), undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** A zip archive of stored and deflated entries, written as zip(1) would (no data descriptors). */
function makeZip(files: { name: string; data: Buffer; deflate: boolean }[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const f of files) {
    const body = f.deflate ? deflateRawSync(f.data) : f.data;
    const name = Buffer.from(f.name);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(f.deflate ? 8 : 0, 8);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(f.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(f.deflate ? 8 : 0, 10);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(f.data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, body);
    centrals.push(central, name);
    offset += 30 + name.length + body.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(files.length, 8);
  end.writeUInt16LE(files.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

test('zipEntries lists files with their sizes and reads stored and deflated ones', () => {
  const text = Buffer.from('public final class A {\n  int f() { return 1; }\n}\n'.repeat(20));
  const zip = makeZip([
    { name: 'java.base/', data: Buffer.alloc(0), deflate: false },
    { name: 'java.base/A.java', data: text, deflate: true },
    { name: 'java.base/B.txt', data: Buffer.from('plain'), deflate: false },
  ]);
  const entries = zipEntries(zip);
  assert.deepEqual(entries.map((e) => [e.name, e.bytes]), [['java.base/A.java', text.length], ['java.base/B.txt', 5]]);
  assert.deepEqual(entries[0].read(), text);
  assert.equal(entries[1].read().toString(), 'plain');
  assert.throws(() => zipEntries(Buffer.from('not a zip at all, just some bytes')), /not a zip archive/);
  // ZIP64 leaves the end record's count saturated, and an encrypted entry sets flag bit 0: refused, not misread
  const zip64 = Buffer.from(zip);
  zip64.writeUInt16LE(0xffff, zip64.length - 22 + 10);
  assert.throws(() => zipEntries(zip64), /zip64/);
  const encrypted = Buffer.from(zip);
  const centralAt = encrypted.readUInt32LE(encrypted.length - 22 + 16);
  encrypted.writeUInt16LE(1, centralAt + 8);
  assert.throws(() => zipEntries(encrypted), /encrypted/);
});

test('a missing package is one error naming the apt-get install to run', () => {
  const source = (language: string, packages: string[]) => ({
    language,
    packages,
    from: { kind: 'files' as const, root: '/usr/share/none' },
    extensions: ['py'],
    maxBytes: 1,
  });
  assert.throws(
    () => checkLargeCorpus([source('python', ['codescout-no-such-package-b']), source('go', ['codescout-no-such-package-a'])]),
    (err: unknown) =>
      err instanceof CorpusUnavailableError &&
      err.message === 'the large corpus needs Debian packages that are not installed: run apt-get install codescout-no-such-package-a codescout-no-such-package-b',
  );
});
