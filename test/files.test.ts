import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { scanWorkspace, type ScanResult } from '../src/engine/files/scan';
import { classifyContent, CONTENT_RULES_VERSION, contentRulesFingerprint, hasGeneratedMarker, headerComments, isIndexableName, readSourceFile } from '../src/engine/files/text-files';
import { LINE_LANGUAGES } from '../src/engine/chunks/line-languages';
import { languageForFile, languageForPath } from '../src/engine/chunks/languages';
import { isLanguageName, languageIds, languageSelection, selects } from '../src/engine/language-names';
import { createHash } from 'node:crypto';
import { formatStatus } from '../src/engine/status-text';
import { pathInside, typedRelPath, userCacheDir } from '../src/engine/paths';
import type { StatusReport } from '../src/engine/engine';

/** Creates a folder tree from a { relativePath: content } map. */
function makeTree(files: Record<string, string | Buffer>): string {
  const root = mkdtempSync(join(tmpdir(), 'codescout-scan-'));
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, rel)), { recursive: true });
    writeFileSync(join(root, rel), content);
  }
  return root;
}

test('nested .gitignore, .git/info/exclude and default excluded folders', async (t) => {
  const root = makeTree({
    '.gitignore': '*.log\nsecret/\n',
    '.git/info/exclude': 'local-notes.md\n',
    '.git/HEAD': 'ref: refs/heads/main\n',
    'src/app.ts': 'export const a = 1;\n',
    'src/debug.log': 'log line\n',
    'src/.gitignore': 'generated_*.ts\n!keep.log\n',
    'src/keep.log': 'kept\n',
    'src/generated_api.ts': 'export {}\n',
    'src/deep/generated_more.ts': 'export {}\n',
    'secret/key.ts': 'export {}\n',
    'local-notes.md': '# notes\n',
    'node_modules/lib/index.js': 'module.exports = 1;\n',
    'README.md': '# readme\n',
  });
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const result = await scanWorkspace(root);
  assert.deepEqual(result.files.map((f) => f.path), ['README.md', 'src/app.ts']);
  // keep.log is un-ignored by src/.gitignore but .log is not an indexable type
  assert.deepEqual(
    result.skipped.map((s) => `${s.path}:${s.reason}`),
    ['node_modules:excluded-dir', 'src/keep.log:unsupported'],
  );
  // secret/, local-notes.md, src/debug.log, 2 generated_*.ts, and the two .gitignore files themselves
  assert.equal(result.ignoredCount, 7);
});

test('.codescoutignore wins over .gitignore, negations included', async (t) => {
  const root = makeTree({
    '.gitignore': 'build/\ndocs/\n',
    '.codescoutignore': '!build/\nbuild/tmp/\n!docs/\ndocs/*.md\n!docs/guide.md\nsrc/vendor_*.ts\n',
    'build/gen.ts': 'export {}\n',
    'build/tmp/x.ts': 'export {}\n',
    'docs/a.md': '# a\n',
    'docs/guide.md': '# guide\n',
    'src/main.ts': 'export {}\n',
    'src/vendor_lib.ts': 'export {}\n',
  });
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const result = await scanWorkspace(root);
  assert.deepEqual(result.files.map((f) => f.path), ['build/gen.ts', 'docs/guide.md', 'src/main.ts']);
});

test('a nested .codescoutignore applies relative to its folder', async (t) => {
  const root = makeTree({
    'pkg/.codescoutignore': 'fixtures/\n',
    'pkg/fixtures/big.ts': 'export {}\n',
    'pkg/index.ts': 'export {}\n',
    'fixtures/top.ts': 'export {}\n',
  });
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const result = await scanWorkspace(root);
  assert.deepEqual(result.files.map((f) => f.path), ['fixtures/top.ts', 'pkg/index.ts']);
});

test('size cap, include and exclude globs', async (t) => {
  const root = makeTree({
    'a.ts': 'x'.repeat(100),
    'big.ts': 'x'.repeat(5000),
    'lib/b.py': 'pass\n',
    'lib/test_b.py': 'pass\n',
  });
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const result = await scanWorkspace(root, { maxFileBytes: 1000, exclude: ['**/test_*'] });
  assert.deepEqual(result.files.map((f) => f.path), ['a.ts', 'lib/b.py']);
  assert.deepEqual(result.skipped, [{ path: 'big.ts', reason: 'too-large', detail: '5000 bytes' }]);
  const only = await scanWorkspace(root, { include: ['lib/**'] });
  assert.deepEqual(only.files.map((f) => f.path), ['lib/b.py', 'lib/test_b.py']);
});

test('a file left out by its name or the include globs is not stat\'ed: only the files taken are', async (t) => {
  const root = makeTree({
    'a.ts': 'export const a = 1;\n',
    'lib/b.py': 'pass\n',
    'lib/c.py': 'pass\n',
    'logo.png': Buffer.from([0x89, 0x50]),
    'data/d.json': '{}',
    'data/e.json': '{}',
    '.editorconfig': 'root = true\n',
    'notes.xyz': 'x',
  });
  t.after(() => rmSync(root, { recursive: true, force: true }));
  // scan.ts calls fs.lstatSync through the module object: counted here (sync calls only)
  const fs = require('node:fs') as { lstatSync: typeof import('node:fs').lstatSync };
  const original = fs.lstatSync;
  const statted: string[] = [];
  fs.lstatSync = ((path: string, ...rest: unknown[]) => (statted.push(path.slice(root.length + 1)), (original as (...args: unknown[]) => unknown)(path, ...rest))) as typeof fs.lstatSync;
  t.after(() => (fs.lstatSync = original));
  const result = await scanWorkspace(root);
  assert.deepEqual(result.files.map((f) => f.path), ['a.ts', 'lib/b.py', 'lib/c.py']);
  assert.deepEqual(result.skipped, [
    { path: 'data/d.json', reason: 'unsupported' },
    { path: 'data/e.json', reason: 'unsupported' },
    { path: 'logo.png', reason: 'unsupported' },
    { path: 'notes.xyz', reason: 'unsupported' },
  ]);
  assert.deepEqual(statted.sort(), ['a.ts', 'lib/b.py', 'lib/c.py']);
  statted.length = 0;
  const only = await scanWorkspace(root, { include: ['lib/**'] });
  assert.deepEqual(only.files.map((f) => f.path), ['lib/b.py', 'lib/c.py']);
  assert.deepEqual(statted.sort(), ['lib/b.py', 'lib/c.py']);
});

test('symlink loops and unreadable folders are reported, not fatal', async (t) => {
  const root = makeTree({ 'src/a.ts': 'export {}\n', 'locked/b.ts': 'export {}\n' });
  t.after(() => {
    chmodSync(join(root, 'locked'), 0o755);
    rmSync(root, { recursive: true, force: true });
  });
  symlinkSync(join(root, 'src'), join(root, 'src', 'loop'));
  symlinkSync(join(root, 'missing'), join(root, 'dangling.ts'));
  chmodSync(join(root, 'locked'), 0o000);
  const result = await scanWorkspace(root);
  const asRoot = process.getuid?.() === 0; // root reads a 000 folder anyway
  assert.deepEqual(result.files.map((f) => f.path), asRoot ? ['locked/b.ts', 'src/a.ts'] : ['src/a.ts']);
  const reasons = Object.fromEntries(result.skipped.map((s) => [s.path, s.reason]));
  assert.equal(reasons['src/loop'], 'symlink-loop');
  assert.equal(reasons['dangling.ts'], 'unreadable');
  if (!asRoot) assert.equal(reasons['locked'], 'unreadable');
});

test('languages indexed by lines: each extension is indexed, parsed by no grammar, and belongs to one of them; no name is a parsed language', () => {
  const owner = new Map<string, string>();
  for (const language of LINE_LANGUAGES) {
    for (const ext of language.extensions) {
      assert.equal(isIndexableName(`file.${ext}`), true, ext);
      assert.equal(languageForPath(`file.${ext}`), undefined, `${ext} has a grammar: it is no line-chunked language`);
      assert.equal(owner.get(ext), undefined, `${ext} is ${owner.get(ext)}'s and ${language.name}'s`);
      owner.set(ext, language.name);
    }
    for (const name of [language.name, ...language.aliases]) {
      assert.deepEqual(languageIds(name), [], `${name} already names a parsed language`);
      assert.equal(isLanguageName(name), true, name);
      // a name keeps all of its language, even where it is also an extension (css: css, scss and less)
      const selection = languageSelection([name.toUpperCase()])!;
      assert.deepEqual([[...selection.extensions], [...selection.fileNames]], [language.extensions, language.fileNames], name);
    }
  }
  // the extensions the scan took before they had names (2026-12-06): none lost, none added
  const before = 'kt kts scala swift m mm lua pl pm r jl dart ex exs erl hs ml mli fs clj groovy gradle sh bash zsh fish ps1 sql vue svelte html css scss less proto graphql tf cmake zig nim v sv vhd asm s f90 pas elm hcl rst adoc';
  assert.deepEqual([...owner.keys()].sort(), before.split(' ').sort());
  // and the files taken by their whole name
  for (const name of ['Makefile', 'Dockerfile', 'Rakefile', 'Gemfile', 'CMakeLists.txt', 'Justfile']) assert.equal(isIndexableName(name), true, name);
  assert.deepEqual(LINE_LANGUAGES.flatMap((l) => l.fileNames).sort(), ['CMakeLists.txt', 'Dockerfile', 'Justfile', 'Makefile']);
});

test('a `.h` filter keeps C and C++ headers alike: a header is read as either (languageForFile); `c` keeps C only', () => {
  const cppHeader = 'template <typename T> struct box { T value; };\n';
  const cHeader = 'struct point { int x; int y; };\n';
  assert.equal(languageForFile('include/box.h', cppHeader), 'cpp');
  assert.equal(languageForFile('include/point.h', cHeader), 'c');
  for (const name of ['h', 'H']) {
    assert.deepEqual(languageIds(name), ['c', 'cpp'], name);
    const selection = languageSelection([name])!;
    assert.equal(selects(selection, languageForFile('include/box.h', cppHeader)!, 'include/box.h'), true);
    assert.equal(selects(selection, languageForFile('include/point.h', cHeader)!, 'include/point.h'), true);
    assert.equal(selects(selection, 'python', 'a.py'), false);
  }
  assert.deepEqual(languageIds('c'), ['c']);
  assert.equal(selects(languageSelection(['c'])!, 'cpp', 'include/box.h'), false);
  assert.deepEqual(languageIds('hpp'), ['cpp']);
});

test('content checks: binary, non-UTF-8, minified, generated, ordinary text', () => {
  const ok = classifyContent(Buffer.from('def f():\n    return 1\n'), 'a.py');
  assert.deepEqual(ok, { text: 'def f():\n    return 1\n' });
  assert.equal(skipOf(classifyContent(Buffer.from([0x41, 0x00, 0x42]), 'a.ts')), 'binary');
  assert.equal(skipOf(classifyContent(Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a]), 'latin1.py')), 'not-utf8');
  const minified = 'var a=1;'.repeat(2000);
  assert.equal(skipOf(classifyContent(Buffer.from(minified), 'bundle.js')), 'minified');
  assert.equal(skipOf(classifyContent(Buffer.from('export {}'), 'app.min.js')), 'generated');
  assert.equal(skipOf(classifyContent(Buffer.from('// Code generated by protoc. DO NOT EDIT.\npackage x\n'), 'x.go')), 'generated');
  // long prose lines are not minified code
  const prose = Array.from({ length: 40 }, () => 'word '.repeat(40)).join('\n');
  assert.ok('text' in classifyContent(Buffer.from(prose), 'README.md'));
});

/** Each established banner, in the header of a file of a language that uses it (texts written for these tests). */
const GENERATED_HEADERS: [string, string][] = [
  ['PetApi.ts', '/**\n * Swagger Petstore\n *\n * NOTE: This class is auto generated by OpenAPI Generator (https://openapi-generator.tech).\n * https://openapi-generator.tech\n * Do not edit the class manually.\n */\nexport class PetApi {}\n'],
  ['out.rs', '// File generated by build.rs. Do not edit.\npub const N: usize = 3;\n'],
  ['api.h', '// This header was generated by gen_headers.py; do not edit.\n#pragma once\n'],
  ['stub.pyi', '# This stub was generated by stubgen. DO NOT EDIT.\ndef f() -> int: ...\n'],
  ['lib_bg.js', '// Bindings generated by wasm-bindgen. Do not edit.\nexport function f() {}\n'],
  ['content.ts', '// Content generated by scripts/build.sh -- DO NOT EDIT\nexport const content = {};\n'],
  ['link.ld.c', '/* Linker script generated by make; do not edit */\nint x;\n'],
  ['api.go', '// Code generated by sqlgen v1.4.0. DO NOT EDIT.\n// source: queries.sql\n\npackage db\n'],
  ['types.go', '// Copyright 2024 The Example Authors.\n// Use of this source code is governed by a BSD-style license.\n\n// Code generated by stringer -type=Kind; DO NOT EDIT.\n\npackage kind\n'],
  ['Query.graphql.ts', '/**\n * @generated SignedSource<<0f3a9c1e77d2b4>>\n * @flow\n */\n\nexport const node = {};\n'],
  ['BUCK.py', '# @generated by the build graph exporter\n\nrules = []\n'],
  ['Settings.cs', '//------------------------------------------------------------------------------\n// <auto-generated>\n//     This code was generated by a tool.\n// </auto-generated>\n//------------------------------------------------------------------------------\n\nnamespace App.Properties {}\n'],
  ['Model.cs', '// <auto-generated />\n#nullable enable\nnamespace App { public class Model {} }\n'],
  ['service.pb.cc', '// Generated by the protocol buffer compiler.  DO NOT EDIT!\n// source: service.proto\n\n#include "service.pb.h"\n'],
  ['bindings.rs', '/* This file was automatically generated by gen-bindings 0.9. */\n\npub const VERSION: u32 = 3;\n'],
  ['Shared.java', '/**\n * Autogenerated by Thrift Compiler (0.20.0)\n *\n * DO NOT EDIT UNLESS YOU ARE SURE THAT YOU KNOW WHAT YOU ARE DOING\n */\npackage shared;\n'],
  ['fp/addDays/index.js', '// This file is generated automatically by `scripts/build/wrap.ts`. Please, don\'t change it.\n\nimport { addDays as fn } from "../../addDays.js";\nexport const addDays = convert(fn, 2);\n'],
  ['fp/index.ts', '// This file is generated automatically by `scripts/build/wrap.ts`. Please, don\'t change it.\nexport * from "./addDays/index.js";\n'],
  ['tables.py', '#!/usr/bin/env python3\n# -*- coding: utf-8 -*-\n# This file is automatically generated by make_tables.py\nTABLE = [1, 2, 3]\n'],
  ['schema.sql', '-- This file was generated from schema.yaml; edit that instead.\nCREATE TABLE t (id INTEGER);\n'],
  ['opcodes.h', '/*\n * Copyright (c) 2023 Example Corp.\n * SPDX-License-Identifier: MIT\n */\n/* generated by tools/opcodes.pl - do not modify */\n#ifndef OPCODES_H\n#define OPCODES_H\n#endif\n'],
  ['config.lua', '--[[\n  AUTO-GENERATED FILE. Regenerate with `make config`.\n]]\nreturn { debug = false }\n'],
  ['CHANGES.md', '<!-- This file is generated. Do not edit; run `npm run changelog`. -->\n# Changes\n\n- fixed a bug\n'],
  ['strict.js', '\'use strict\';\n// This file was generated by build-icons.js\nmodule.exports = {};\n'],
  ['wrapper.py', '"""\nAutomatically generated by SWIG (4.1.1).\n\nDo not make changes to this file unless you know what you are doing.\n"""\nimport _wrapper\n'],
  ['bom.ts', '\uFEFF// @generated\nexport const a = 1;\n'],
  ['forms.el', ';;; This is an automatically generated file -- do not edit\n(provide \'forms)\n'],
  // like azure-devops-node-api's clients
  ['GitApi.ts', '/*\n * ---------------------------------------------------------\n * Copyright(C) Example Corporation. All rights reserved.\n * ---------------------------------------------------------\n *\n * ---------------------------------------------------------\n * Generated file, DO NOT EDIT\n * ---------------------------------------------------------\n */\n\nimport * as rest from "./rest";\n'],
  ['Client.cs', '/* Generated file, DO NOT EDIT */\nnamespace Client {}\n'],
  ['model.rb', '# Generated code. Do not edit.\nclass Model; end\n'],
  // a JNI header written by javah
  ['com_example_Native.h', '/* DO NOT EDIT THIS FILE - it is machine generated */\n#include <jni.h>\n'],
  ['tables.c', '// DO NOT EDIT -- generated by tools/gen.py\nstatic const int t[] = {1};\n'],
  ['Lexer.java', '// DO NOT EDIT THIS FILE\n// The code in this file is generated from lexer.def by tools/lexgen.\npackage lexer;\n'],
  ['build.sh', '#!/bin/sh\n# Do not edit this file by hand; it is generated by configure.\nset -e\n'],
  ['consts.py', '# Autogenerated file. Do not edit.\nX = 1\n'],
  ['api.rs', '// This file is @generated by prost-build.\npub struct Api {}\n'],
  ['Schema.php', '<?php\n/** @generated */\nnamespace App;\n'],
  ['Signed.php', '<?php\n// @generated <<SignedSource::*O*zOeWoEQle#+L!plEphiEmie@IsG>>\n'],
];

test('the content rules are pinned to their version: a changed pattern, limit or threshold must raise CONTENT_RULES_VERSION', () => {
  const digest = createHash('sha256').update(contentRulesFingerprint()).digest('hex');
  // When this fails: if any decision of classifyContent changed, raise CONTENT_RULES_VERSION (existing indexes
  // then read every file again once), and pin the new digest with the new version.
  assert.deepEqual({ version: CONTENT_RULES_VERSION, digest }, { version: 3, digest: 'f33b9566138bfe48e6f813d712bb3774b7fbb78cf697a57a2a722d6748bea416' });
});

test('generated files: each established header banner marks a file generated', () => {
  for (const [name, text] of GENERATED_HEADERS) {
    assert.equal(skipOf(classifyContent(Buffer.from(text), name)), 'generated', name);
  }
});

/** Hand-written files that speak of generated code, or of not editing, outside their header. */
const HAND_WRITTEN: [string, string][] = [
  // like cobra's doc/util.go: "autogenerated" in the comment of a function
  ['doc/util.go', '// Copyright 2015 The Example Authors\n//\n// Licensed under the Apache License, Version 2.0.\n\npackage doc\n\nimport "strings"\n\n// hasSeeAlso reports whether a command has a parent, or a subcommand that is\n// neither deprecated nor the autogenerated help command.\nfunc hasSeeAlso(c *Command) bool {\n\treturn strings.TrimSpace(c.Name) != ""\n}\n'],
  // like ripgrep's complete/zsh.rs: the word in an ordinary comment after code
  ['complete/zsh.rs', '/*!\nProvides completions for ripgrep\'s CLI for the zsh shell.\n*/\n\nuse crate::flags::Flag;\n\n// Our zsh completion script is hand-written, not autogenerated from the flag\n// definitions, so keep the two in sync by hand.\nconst TEMPLATE: &str = include_str!("rg.zsh");\n'],
  ['gen.go', '// Command gen writes tables.go.\npackage main\n\nconst header = "// Code generated by gen. DO NOT EDIT.\\n"\n'],
  ['build.py', '"""Writes the wrappers under fp/."""\nimport sys\n\nBANNER = "# This file is generated automatically. DO NOT EDIT.\\n"\n# @generated goes in the header of every output file\n'],
  ['help.ts', '// Helpers for the autogenerated help command: DO NOT EDIT the flag order by hand.\nexport function help(): string {\n  return "";\n}\n'],
  ['notes.py', '# Notes on why this file is generated by hand instead\nx = 1\n'],
  ['main.c', '#include <stdio.h>\n/* Code generated by nothing. DO NOT EDIT. */\nint main(void) { return 0; }\n'],
  ['lib.rs', '#![allow(dead_code)]\n// @generated\npub fn f() {}\n'],
  ['iife.js', ';(function () {\n  // This file is generated by the build\n})();\n'],
];

test('generated files: "autogenerated" or "DO NOT EDIT" outside the header does not', () => {
  for (const [name, text] of HAND_WRITTEN) {
    assert.deepEqual(classifyContent(Buffer.from(text), name), { text }, name);
  }
});

/** Hand-written files whose header itself speaks of generated code, or of not editing, in no banner. */
const HAND_WRITTEN_HEADERS: [string, string][] = [
  ['wrappers.go', '// Wrappers generated by hand. Do not edit without review.\npackage wrappers\n'],
  ['mocks.go', '// Mocks generated by mockery live in mocks/. Do not edit those; regenerate them.\npackage mocks\n'],
  ['stubs.py', '# Stubs generated from the .proto files are imported below; do not edit the stubs directly.\nimport stubs\n'],
  ['wrap.ts', '// Generated code (from the protobuf compiler) is wrapped here by hand.\nexport {};\n'],
  ['builder.ts', '// Generated code, however, must go through the builder below.\nexport {};\n'],
  ['wrapper.go', '// Do not edit manually: the generated parts live in gen/, this file is the hand-written wrapper.\npackage wrapper\n'],
  ['protoc.ts', '// Helpers for the code generated by protoc. Do not edit without updating the tests.\nexport {};\n'],
  ['parser.ts', '// DO NOT EDIT the order of these cases: the generated parser depends on it.\nexport const cases = [];\n'],
  ['skip.ts', '// Generated files are skipped by the indexer; see text-files.ts.\nexport {};\n'],
  ['cache.go', '// Generated code from the templates is cached here, keyed by hash.\npackage cache\n'],
  ['detect.ts', '// Auto-generated code detection for the indexer.\nexport {};\n'],
  ['cleanup.py', '"""Autogenerated file cleanup utilities."""\nimport os\n'],
  ['handling.rb', '# Machine-generated file handling.\nmodule Handling; end\n'],
  ['protos.ts', '/** Utilities for code generated by protoc. Do not edit the generated code; edit the .proto. */\nexport {};\n'],
  ['lint.ts', '// @generated is the marker Buck puts in files; this linter checks for it.\nexport {};\n'],
];

test('generated files: a header that only speaks of generated code does not', () => {
  for (const [name, text] of HAND_WRITTEN_HEADERS) {
    assert.deepEqual(classifyContent(Buffer.from(text), name), { text }, name);
  }
});

/**
 * Headers of the largest size read (32 KB; one line, or 199 lines) made of what the banner
 * patterns look for around a sentence start — full stops, colons, spaces, tabs, other punctuation
 * — but holding no banner, in line and in block comments. Backtracking patterns took one to two
 * seconds on each; bounded ones take milliseconds. The timeout is no speed target (those live in
 * the benchmarks): it ends a run that such a regression would otherwise drag out.
 */
const HOSTILE_HEADERS: string[] = ['. ', ': ', '! ', '.\t', ':      ', '. * ', '! "', '. -- ', '.: !', ': _ '].flatMap((unit) =>
  [1, 199].flatMap((lines) => {
    const line = unit.repeat(Math.floor((lines === 1 ? 32_760 : 160) / unit.length));
    return [
      Array.from({ length: lines }, () => `// ${line}`).join('\n') + '\n',
      `/*\n${Array.from({ length: lines }, () => ` * ${line}`).join('\n')}\n */\n`,
    ];
  }),
);

test('generated files: a header of punctuation at the largest size read is classified, not backtracked over', { timeout: 20_000 }, async () => {
  for (const text of HOSTILE_HEADERS) {
    await new Promise(setImmediate); // lets the timeout end the test between inputs
    assert.equal(hasGeneratedMarker(text), false, JSON.stringify(text.slice(0, 20)));
  }
  // and a banner after such a line is still found
  assert.equal(hasGeneratedMarker(`// ${'. '.repeat(1000)}\n// This file is generated. Do not edit.\n`), true);
  assert.equal(hasGeneratedMarker(`// Tables${'. '.repeat(1000)}This file is generated. Do not edit.\n`), true);
});

test('the header is the leading comment lines, delimiters stripped', () => {
  assert.deepEqual(headerComments('#!/bin/sh\n\n# one\n#two\nrun\n# three\n'), ['one', 'two']);
  assert.deepEqual(headerComments('/**\n * a\n * b */ code();\n// c\n'), ['', 'a', 'b']);
  assert.deepEqual(headerComments('"use strict";\n// a\n\'use client\'\n// b\nx();\n'), ['a', 'b']);
  assert.deepEqual(headerComments('<?php\n/* a */\nnamespace X;\n'), ['a']);
  assert.deepEqual(headerComments('"""Doc."""\nimport os\n'), ['Doc.']);
  assert.deepEqual(headerComments('\uFEFF-- a\n--[[ b\nc ]]\n; d\n% e\nselect 1;\n'), ['a', 'b', 'c', 'd', 'e']);
  assert.deepEqual(headerComments('#include <x.h>\n// a\n'), []);
  assert.deepEqual(headerComments('--i;\n'), []);
  assert.deepEqual(headerComments('package x\n// a\n'), []);
  // a line past the header's line limit is not read, however long the comment block
  assert.equal(headerComments('// x\n'.repeat(500)).length, 200);
});

function skipOf(r: ReturnType<typeof classifyContent>): string | undefined {
  return 'skip' in r ? r.skip : undefined;
}

/** `path reason` for every skip, and the detail where there is one; a path is reported once. */
function skips(result: ScanResult): Map<string, string> {
  const map = new Map(result.skipped.map((s) => [s.path, s.detail ? `${s.reason} (${s.detail})` : s.reason]));
  assert.equal(map.size, result.skipped.length, `a path is reported twice: ${JSON.stringify(result.skipped)}`);
  return map;
}

// A blocked open() of a FIFO never returns: the time-outs below turn such a hang into a failure.
test('FIFOs and sockets are never opened, and are reported as special', { timeout: 20_000 }, async (t) => {
  const root = makeTree({ 'src/a.ts': 'export {}\n', '.git/info/HEAD': 'x\n' });
  t.after(() => rmSync(root, { recursive: true, force: true }));
  for (const fifo of ['.gitignore', '.codescoutignore', '.git/info/exclude', 'src/.gitignore', 'src/pipe.ts', 'pipe']) {
    execFileSync('mkfifo', [join(root, fifo)]);
  }
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(join(root, 'src', 'sock.py'), resolve));
  t.after(() => server.close());
  const result = await scanWorkspace(root);
  assert.deepEqual(result.files.map((f) => f.path), ['src/a.ts']);
  assert.deepEqual([...skips(result)], [
    ['.codescoutignore', 'special (named pipe)'],
    ['.git/info/exclude', 'special (named pipe)'],
    ['.gitignore', 'special (named pipe)'],
    ['pipe', 'special (named pipe)'],
    ['src/.gitignore', 'special (named pipe)'],
    ['src/pipe.ts', 'special (named pipe)'],
    ['src/sock.py', 'special (socket)'],
  ]);
});

test('a FIFO or device put where a scanned file was is not read', { timeout: 20_000 }, async (t) => {
  const root = makeTree({});
  t.after(() => rmSync(root, { recursive: true, force: true }));
  execFileSync('mkfifo', [join(root, 'swapped.ts')]);
  assert.deepEqual(readSourceFile(join(root, 'swapped.ts'), 'swapped.ts'), { skip: 'special', detail: 'named pipe' });
  // /dev/zero never ends: reading it would never finish either
  assert.deepEqual(readSourceFile('/dev/zero', 'zero.ts'), { skip: 'special', detail: 'character device' });
});

test('a file that grew past the size limit after the scan is skipped as too large when it is read, not read whole', async (t) => {
  const root = makeTree({ 'grown.ts': 'export const a = 1;\n' });
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const scan = await scanWorkspace(root, { maxFileBytes: 1000 });
  assert.deepEqual(scan.files.map((f) => f.path), ['grown.ts'], 'small when scanned');
  writeFileSync(join(root, 'grown.ts'), 'export const a = 1;\n'.repeat(250)); // 5,000 bytes
  assert.deepEqual(readSourceFile(join(root, 'grown.ts'), 'grown.ts', 1000), { skip: 'too-large', detail: '5000 bytes' });
  assert.ok('text' in readSourceFile(join(root, 'grown.ts'), 'grown.ts', 5000), 'at the limit it is read');
  assert.ok('text' in readSourceFile(join(root, 'grown.ts'), 'grown.ts'), 'no limit: read');
});

test('a device file in the workspace is reported as special', { timeout: 20_000 }, async (t) => {
  const root = makeTree({ 'a.ts': 'export {}\n' });
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const made = spawnSync('mknod', [join(root, 'null.ts'), 'c', '1', '3']);
  if (made.status !== 0) {
    // Creating a device needs CAP_MKNOD; without it this case cannot be set up here.
    t.skip(`mknod is not permitted here: ${made.stderr.toString().trim()}`);
    return;
  }
  const result = await scanWorkspace(root);
  assert.deepEqual(result.files.map((f) => f.path), ['a.ts']);
  assert.equal(skips(result).get('null.ts'), 'special (character device)');
});

test('a web of links without a cycle: each real file is taken once, under its own path', async (t) => {
  // d0 … d10; d<i> holds links a and b to d<i+1>: 2,047 paths lead to d10/f.ts
  const root = makeTree({ 'd10/f.ts': 'export const f = 1;\n' });
  t.after(() => rmSync(root, { recursive: true, force: true }));
  for (let i = 0; i < 10; i++) {
    mkdirSync(join(root, `d${i}`));
    for (const l of ['a', 'b']) symlinkSync(join(root, `d${i + 1}`), join(root, `d${i}`, l));
  }
  const result = await scanWorkspace(root);
  assert.deepEqual(result.files.map((f) => f.path), ['d10/f.ts']);
  assert.equal(result.skipped.length, 20);
  assert.deepEqual(skips(result).get('d0/a'), 'duplicate (same folder as d1)');
  assert.ok(result.skipped.every((s) => s.reason === 'duplicate'));
});

test('links inside the workspace: indexed once, under the real path, in a fixed order', async (t) => {
  const root = makeTree({ 'z/lib/util.ts': 'export {}\n', 'z/main.ts': 'export {}\n', 'notes/todo.md': '# todo\n' });
  t.after(() => rmSync(root, { recursive: true, force: true }));
  symlinkSync(join(root, 'z', 'lib'), join(root, 'a-lib')); // sorts before the real folder
  symlinkSync(join(root, 'z', 'main.ts'), join(root, 'a-main.ts'));
  symlinkSync('../z/main.ts', join(root, 'notes', 'main.ts')); // relative target
  // a link into an ignored folder is followed under the link's own path
  mkdirSync(join(root, 'node_modules', 'dep'), { recursive: true });
  writeFileSync(join(root, 'node_modules', 'dep', 'dep.ts'), 'export {}\n');
  symlinkSync(join(root, 'node_modules', 'dep'), join(root, 'dep'));
  // git's own folder is never entered, through a link neither
  mkdirSync(join(root, '.git'));
  writeFileSync(join(root, '.git', 'config.ts'), 'export {}\n');
  symlinkSync(join(root, '.git'), join(root, 'g'));
  const result = await scanWorkspace(root);
  assert.deepEqual(result.files.map((f) => f.path), ['dep/dep.ts', 'notes/todo.md', 'z/lib/util.ts', 'z/main.ts']);
  assert.deepEqual([...skips(result)], [
    ['a-lib', 'duplicate (same folder as z/lib)'],
    ['a-main.ts', 'duplicate (same file as z/main.ts)'],
    ['g', 'excluded-dir (link into .git)'],
    ['node_modules', 'excluded-dir'],
    ['notes/main.ts', 'duplicate (same file as z/main.ts)'],
  ]);
});

test('links leaving the workspace are not followed', async (t) => {
  const outside = makeTree({ 'secret.ts': 'export const password = 1;\n', 'more/x.ts': 'export {}\n' });
  const root = makeTree({ 'a.ts': 'export {}\n' });
  t.after(() => {
    rmSync(root, { recursive: true, force: true });
    rmSync(outside, { recursive: true, force: true });
  });
  symlinkSync(join(outside, 'secret.ts'), join(root, 'secret.ts'));
  symlinkSync(outside, join(root, 'outside'));
  symlinkSync('/', join(root, 'root'));
  symlinkSync('..', join(root, 'parent'));
  const result = await scanWorkspace(root);
  assert.deepEqual(result.files.map((f) => f.path), ['a.ts']);
  const reasons = skips(result);
  assert.equal(reasons.get('root'), 'outside-workspace (link to /)');
  assert.equal(reasons.get('secret.ts'), `outside-workspace (link to ${join(outside, 'secret.ts')})`);
  assert.equal(reasons.get('outside'), `outside-workspace (link to ${outside})`);
  assert.equal(reasons.get('parent'), `outside-workspace (link to ${dirname(root)})`);
  assert.equal(result.skipped.length, 4);
});

test('skip reasons: a non-UTF-8 name, a link loop, a broken link, a CR-only file', async (t) => {
  const root = makeTree({ 'ok.py': 'pass\n' });
  t.after(() => rmSync(root, { recursive: true, force: true }));
  writeFileSync(Buffer.from(join(root, 'caf\xe9.py'), 'latin1'), 'pass\n');
  mkdirSync(Buffer.from(join(root, 'd\xff'), 'latin1'));
  symlinkSync('b.ts', join(root, 'a.ts'));
  symlinkSync('a.ts', join(root, 'b.ts'));
  symlinkSync('missing.ts', join(root, 'dangling.ts'));
  const result = await scanWorkspace(root);
  assert.deepEqual(result.files.map((f) => f.path), ['ok.py']);
  assert.deepEqual([...skips(result)], [
    ['a.ts', 'symlink-loop'],
    ['b.ts', 'symlink-loop'],
    ['caf\ufffd.py', 'not-utf8-name (file name bytes "caf\\xe9.py")'],
    ['dangling.ts', 'unreadable (broken link)'],
    ['d\ufffd', 'not-utf8-name (folder name bytes "d\\xff")'],
  ]);
  // classic Mac OS line endings are lines, not one minified line
  const crOnly = Array.from({ length: 600 }, (_, i) => `x${i} = ${i}`).join('\r');
  assert.ok(crOnly.length > 4096);
  assert.deepEqual(classifyContent(Buffer.from(crOnly), 'mac.py'), { text: crOnly });
  assert.deepEqual(classifyContent(Buffer.from(crOnly.replaceAll('\r', '\r\n')), 'dos.py'), { text: crOnly.replaceAll('\r', '\r\n') });
});

test('a folder walks in the same order whether its names are listed as text or, one not being UTF-8, as bytes', async (t) => {
  // two links to one ignored folder: the file is taken under the link walked first, by its name's bytes
  for (const withBadName of [false, true]) {
    const root = makeTree({ '.gitignore': 'hidden/\n', 'hidden/a.ts': 'export {}\n' });
    t.after(() => rmSync(root, { recursive: true, force: true }));
    symlinkSync('hidden', join(root, '\u{1f600}'));
    symlinkSync('hidden', join(root, '\uff5a'));
    if (withBadName) writeFileSync(Buffer.from(join(root, 'x\xff.py'), 'latin1'), 'pass\n');
    const result = await scanWorkspace(root);
    assert.deepEqual(result.files.map((f) => f.path), ['\uff5a/a.ts'], `with a non-UTF-8 name: ${withBadName}`);
  }
  // a valid name holding U+FFFD is listed by bytes and taken as it is
  const replacement = makeTree({ 'a\ufffdb.ts': 'export {}\n', 'c.ts': 'export {}\n' });
  t.after(() => rmSync(replacement, { recursive: true, force: true }));
  assert.deepEqual((await scanWorkspace(replacement)).files.map((f) => f.path), ['a\ufffdb.ts', 'c.ts']);
});

/**
 * Permission errors. Root reads everything whatever the mode bits say, so when the tests run as
 * root the scan runs in a child process as the unprivileged user `nobody`; otherwise in this one.
 */
test('unreadable folders, files and ignore files are reported, and the scan goes on', async (t) => {
  const root = makeTree({
    'a.ts': 'export {}\n',
    'locked/b.ts': 'export {}\n',
    'listonly/c.ts': 'export {}\n',
    'sub/.gitignore': '*.ts\n',
    'sub/d.ts': 'export {}\n',
  });
  chmodSync(root, 0o755);
  chmodSync(join(root, 'locked'), 0o000);
  chmodSync(join(root, 'listonly'), 0o644); // names can be listed, entries not reached
  chmodSync(join(root, 'sub', '.gitignore'), 0o000);
  t.after(() => {
    for (const d of ['locked', 'listonly']) chmodSync(join(root, d), 0o755);
    rmSync(root, { recursive: true, force: true });
  });
  let result: ScanResult;
  if (process.getuid?.() === 0) {
    const script = `require(${JSON.stringify(require.resolve('../src/engine/files/scan'))}).scanWorkspace(${JSON.stringify(root)})` +
      '.then((r) => process.stdout.write(JSON.stringify(r)), (e) => { console.error(e); process.exit(3); })';
    const child = spawnSync(process.execPath, ['-e', script], { uid: 65534, gid: 65534, encoding: 'utf8' });
    assert.equal(child.status, 0, child.stderr);
    result = JSON.parse(child.stdout) as ScanResult;
  } else {
    result = await scanWorkspace(root);
  }
  assert.deepEqual(result.files.map((f) => f.path), ['a.ts', 'sub/d.ts']);
  assert.deepEqual([...skips(result)], [
    ['listonly/c.ts', 'unreadable (EACCES)'],
    ['locked', 'unreadable (EACCES)'],
    ['sub/.gitignore', 'unreadable (EACCES)'],
  ]);
});

test('a workspace folder that cannot be listed is an error that says so, not a scan of no files', async (t) => {
  const root = makeTree({ 'a.ts': 'export {}\n' });
  chmodSync(root, 0o700); // its owner's only: another user cannot list it
  t.after(() => {
    chmodSync(root, 0o755); // listable again, then removed
    rmSync(root, { recursive: true, force: true });
  });
  const script = `require(${JSON.stringify(require.resolve('../src/engine/files/scan'))}).scanWorkspace(${JSON.stringify(root)})` +
    '.then((r) => process.stdout.write(JSON.stringify(r)), (e) => { process.stdout.write(e.name + ": " + e.message); })';
  // as another user: root reads everything whatever the mode bits say
  const asOther = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : undefined;
  if (asOther === undefined) chmodSync(root, 0o000);
  const child = spawnSync(process.execPath, ['-e', script], { ...asOther, encoding: 'utf8' });
  assert.equal(child.status, 0, child.stderr);
  assert.equal(child.stdout, `WorkspaceFolderError: cannot scan the folder ${root}: it cannot be read (EACCES); the index is kept as it was`);
});

test('status says when ignore rules exclude every file', async (t) => {
  const root = makeTree({ '.gitignore': '*\n', 'a.ts': 'export {}\n', 'src/b.py': 'pass\n' });
  const empty = makeTree({ '.gitignore': '# nothing\n' });
  t.after(() => {
    rmSync(root, { recursive: true, force: true });
    rmSync(empty, { recursive: true, force: true });
  });
  const all = await scanWorkspace(root);
  assert.deepEqual(all.files, []);
  assert.equal(all.excludedByRules, 3); // .gitignore, a.ts, src/
  assert.equal((await scanWorkspace(empty)).excludedByRules, 0); // nothing to index, but not because of rules

  const report: StatusReport = {
    root, indexDir: '/idx', indexBytes: 0, model: null, mode: 'lexical-only', files: 0, chunks: 0, languages: {},
    updatedAt: null, stale: { added: 0, changed: 0, removed: 0 }, redo: { read: false, chunk: false, chunkWaitsForModel: false }, skippedByReason: {}, skipped: [],
    ignoreRules: { excluded: 3, excludeEverything: true },
  };
  assert.match(formatStatus(report, false), /^ignored: +ignore rules exclude every file \(3 files and folders left out by \.gitignore/m);
  const some = formatStatus({ ...report, files: 2, ignoreRules: { excluded: 3, excludeEverything: false } }, false);
  assert.doesNotMatch(some, /ignore rules exclude/);
});

test('an ignore file that is a symbolic link is not followed, as in git, and is reported', async (t) => {
  const root = makeTree({ 'rules.txt': '*.py\n', 'a.py': 'pass\n', 'b.ts': 'export {}\n' });
  t.after(() => rmSync(root, { recursive: true, force: true }));
  symlinkSync('rules.txt', join(root, '.gitignore'));
  const result = await scanWorkspace(root);
  assert.deepEqual(result.files.map((f) => f.path), ['a.py', 'b.ts', 'rules.txt']);
  assert.deepEqual([...skips(result)], [['.gitignore', 'unreadable (a symbolic link, not followed (as in git))']]);
});

test('a folder re-included by a later layer still gets the earlier layer\'s own patterns, as in git', async (t) => {
  // found by the property test against git: .git/info/exclude `**/` excludes every folder, the
  // .gitignore re-includes the top-level ones, and `**/` must still exclude the folders inside them
  const root = makeTree({ 'A.ts': 'export {}\n', 'b/a.ts': 'export {}\n', 'b/.h/b.ts': 'export {}\n', 'b/ab/c.ts': 'export {}\n' });
  t.after(() => rmSync(root, { recursive: true, force: true }));
  writeFileSync(join(root, '.gitignore'), '!/*/\n');
  mkdirSync(join(root, '.git', 'info'), { recursive: true });
  writeFileSync(join(root, '.git', 'info', 'exclude'), '**/\n');
  assert.deepEqual((await scanWorkspace(root)).files.map((f) => f.path), ['A.ts', 'b/a.ts']);
  // the same between .gitignore and .codescoutignore
  const scout = makeTree({
    '.gitignore': 'build/\n*.gen.ts\n',
    '.codescoutignore': '!build/\n',
    'build/main.ts': 'export {}\n',
    'build/api.gen.ts': 'export {}\n',
  });
  t.after(() => rmSync(scout, { recursive: true, force: true }));
  assert.deepEqual((await scanWorkspace(scout)).files.map((f) => f.path), ['build/main.ts']);
  // and in folders below the re-included one: the layer that excluded `build/` still matches only
  // its own patterns there, so `build/lib/` is not excluded through its parent
  const nested = makeTree({
    '.gitignore': 'build/\n*.gen.ts\n',
    '.codescoutignore': '!build/\n',
    'build/lib/util.ts': 'export {}\n',
    'build/lib/deep/more.ts': 'export {}\n',
    'build/lib/types.gen.ts': 'export {}\n',
  });
  t.after(() => rmSync(nested, { recursive: true, force: true }));
  assert.deepEqual((await scanWorkspace(nested)).files.map((f) => f.path), ['build/lib/deep/more.ts', 'build/lib/util.ts']);
});

test('pathInside: the root-relative POSIX path of what is strictly inside a folder, nothing for the rest', () => {
  const root = join(tmpdir(), 'ws');
  assert.equal(pathInside(root, join(root, 'src', 'a.ts')), 'src/a.ts');
  assert.equal(pathInside(root, join(root, '..notes')), '..notes', 'a name starting with two dots is inside');
  assert.equal(pathInside(root, root), undefined, 'the folder itself');
  assert.equal(pathInside(root, join(root, '..')), undefined);
  assert.equal(pathInside(root, join(root, '..', 'other', 'a.ts')), undefined);
  assert.equal(pathInside(root, join(tmpdir(), 'ws2', 'a.ts')), undefined, 'a sibling whose name starts like the root');
});

test('typedRelPath: a backslash separates names only where the system says so; elsewhere it is part of a name', () => {
  assert.equal(typedRelPath('src\\a.ts', '\\'), 'src/a.ts');
  assert.equal(typedRelPath('src\\a.ts', '/'), 'src\\a.ts', 'a file named "src\\a.ts" on Linux');
  assert.equal(typedRelPath('src/a.ts', '\\'), 'src/a.ts');
});

test('userCacheDir: a relative XDG_CACHE_HOME is ignored, as the XDG spec says (the index would move with the current folder)', { skip: process.platform === 'win32' || process.platform === 'darwin' ? 'XDG is for the other systems' : false }, () => {
  const saved = { xdg: process.env.XDG_CACHE_HOME, own: process.env.CODESCOUT_CACHE_DIR };
  delete process.env.CODESCOUT_CACHE_DIR;
  try {
    process.env.XDG_CACHE_HOME = 'relative/cache';
    assert.equal(userCacheDir(), join(homedir(), '.cache', 'codescout'));
    process.env.XDG_CACHE_HOME = '/srv/cache';
    assert.equal(userCacheDir(), '/srv/cache/codescout');
    // CODESCOUT_CACHE_DIR is ours: a relative one is the current folder's, said as an absolute path
    process.env.CODESCOUT_CACHE_DIR = 'rel/cache';
    assert.equal(userCacheDir(), join(process.cwd(), 'rel', 'cache'));
    process.env.CODESCOUT_CACHE_DIR = '/srv/own';
    assert.equal(userCacheDir(), '/srv/own');
  } finally {
    if (saved.xdg === undefined) delete process.env.XDG_CACHE_HOME;
    else process.env.XDG_CACHE_HOME = saved.xdg;
    if (saved.own === undefined) delete process.env.CODESCOUT_CACHE_DIR;
    else process.env.CODESCOUT_CACHE_DIR = saved.own;
  }
});
