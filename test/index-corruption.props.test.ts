/**
 * Property: whatever happens to one file of an index folder — truncated at any offset, bytes
 * flipped, replaced by garbage, deleted — the `codescout` command opens it without crashing,
 * says in one line that the index is damaged and will be rebuilt (when the damage matters; the
 * embedding cache is only a cache and recovers silently), rebuilds it, and answers exactly as a
 * clean index does. Each case runs the real CLI in a child process, so a native crash (the HNSW
 * loader, onnxruntime) shows up as a signal instead of killing the test runner.
 * Lexical-only and with the tiny real model. `npm run fuzz` runs many more cases.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { Engine, type EngineOptions } from '../src/engine/engine';
import { runCli, type Run } from './helpers/cli-process';
import { fuzzParams } from './helpers/fuzz';
import { buildFixtureModel, TempDirs } from './helpers/workspace';

const QUERIES = ['parse the configuration', 'read a file from disk', 'retry request'];

const temp = new TempDirs();
let repo: string;
let model: string;

interface Pristine {
  dir: string;
  args: string[];
  /** the answers of the clean index to {@link QUERIES}, as `search --json` prints them */
  answers: unknown[];
}
type Mode = 'lexical-only' | 'model' | 'graph' | 'graph-on-demand';
const pristine = new Map<Mode, Pristine>();
/** The model with an HNSW graph however few the vectors: its vectors are stored in the graph file alone. */
const GRAPH_OPTIONS = { vectorIndex: { exactSearchMaxVectors: 0 } };
/** The same, the graph used from its file as the CLI does (searches scan it). */
const ON_DEMAND_OPTIONS = { vectorIndex: { exactSearchMaxVectors: 0, graphLoading: 'on-demand' as const } };

before(async () => {
  model = (await buildFixtureModel(await temp.make('corrupt-model'))).dir;
  repo = path.join(await temp.make('corrupt-ws'), 'repo');
  const files: Record<string, string> = {
    'src/config.py': 'def parse_config(text):\n    """Parse the configuration."""\n    return dict(line.split("=") for line in text.splitlines())\n',
    'src/files.py': 'def read_file(path):\n    with open(path) as f:\n        return f.read()\n',
    'src/net.ts': 'export async function retryRequest(url: string, times = 3): Promise<Response> {\n  try {\n    return await fetch(url);\n  } catch (err) {\n    if (times === 0) throw err;\n    return retryRequest(url, times - 1);\n  }\n}\n',
    'README.md': '# Tools\n\nParsing the configuration and reading files from disk.\n',
  };
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(repo, rel)), { recursive: true });
    writeFileSync(path.join(repo, rel), text);
  }
  for (const [mode, options, args] of [
    ['lexical-only', { model: null }, ['--lexical-only']],
    ['model', { model }, ['--model', model]],
    ['graph', { model, ...GRAPH_OPTIONS }, []],
    ['graph-on-demand', { model, ...ON_DEMAND_OPTIONS }, []],
  ] as const) {
    const dir = await temp.make(`corrupt-${mode}`);
    const engine = await Engine.open(repo, { indexDir: dir, ...(options as EngineOptions) });
    try {
      await engine.refresh();
      const answers: unknown[] = [];
      for (const query of QUERIES) answers.push(JSON.parse(JSON.stringify(await engine.search(query))));
      pristine.set(mode, { dir, args: [...args], answers });
    } finally {
      await engine.close();
    }
  }
});
after(() => temp.cleanup());

type Damage =
  | { kind: 'truncate'; at: number }
  | { kind: 'flip'; flips: { at: number; xor: number }[] }
  | { kind: 'garbage'; bytes: Uint8Array }
  | { kind: 'delete' };

const damageArb: fc.Arbitrary<Damage> = fc.oneof(
  fc.record({ kind: fc.constant('truncate' as const), at: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }) }),
  fc.record({
    kind: fc.constant('flip' as const),
    flips: fc.array(fc.record({ at: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), xor: fc.integer({ min: 1, max: 255 }) }), { minLength: 1, maxLength: 4 }),
  }),
  fc.record({ kind: fc.constant('garbage' as const), bytes: fc.uint8Array({ minLength: 0, maxLength: 600 }) }),
  fc.record({ kind: fc.constant('delete' as const) }),
);

/**
 * Damages `file`; returns whether its meaning changed: always for a data file whose bytes
 * changed, but for the manifest only when it no longer parses to the same JSON (a flip inside
 * its whitespace, or cutting its final newline, leaves it the same).
 */
function damage(file: string, how: Damage): boolean {
  const bytes = readFileSync(file);
  if (how.kind === 'delete') {
    rmSync(file);
    return true;
  }
  let damaged: Buffer;
  if (how.kind === 'truncate') {
    damaged = bytes.subarray(0, Math.floor(how.at * bytes.length));
  } else if (how.kind === 'garbage') {
    damaged = Buffer.from(how.bytes);
  } else {
    damaged = Buffer.from(bytes);
    for (const { at, xor } of how.flips) damaged[Math.floor(at * damaged.length)] ^= xor;
  }
  writeFileSync(file, damaged);
  if (path.basename(file) !== 'manifest.json') return !damaged.equals(bytes);
  try {
    assert.deepEqual(JSON.parse(damaged.toString('utf8')), JSON.parse(bytes.toString('utf8')));
    return false;
  } catch {
    return true;
  }
}

function cli(args: string[], input: string): Promise<Run> {
  return runCli(args, { input, killAfterMs: 60_000 });
}

/**
 * The clean index's answers through the CLI, or (graph mode, which the CLI cannot ask for) through
 * an engine in this process; with the lines it printed or logged.
 */
async function searchDamaged(mode: Mode, dir: string): Promise<{ answers: unknown[]; lines: string[] }> {
  if (mode === 'graph' || mode === 'graph-on-demand') {
    const lines: string[] = [];
    const options = mode === 'graph' ? GRAPH_OPTIONS : ON_DEMAND_OPTIONS;
    const engine = await Engine.open(repo, { indexDir: dir, model, ...options, log: (message) => lines.push(`codescout: ${message}`) });
    try {
      await engine.refresh();
      const answers: unknown[] = [];
      for (const query of QUERIES) answers.push(JSON.parse(JSON.stringify(await engine.search(query))));
      return { answers, lines };
    } finally {
      await engine.close();
    }
  }
  const run = await cli(['search', repo, '--index-dir', dir, ...pristine.get(mode)!.args, '--json'], QUERIES.join('\n') + '\n');
  assert.equal(run.signal, null, `ended by a signal: ${run.stderr}`);
  assert.equal(run.code, 0, run.stderr);
  const answers = run.stdout.split('\n').filter((l) => l !== '').map((l) => (JSON.parse(l) as { results: unknown }).results);
  return { answers, lines: run.stderr.split('\n').filter((l) => l !== '') };
}

async function checkDamagedIndex(mode: Mode, fileIndex: number, how: Damage): Promise<void> {
  const clean = pristine.get(mode)!;
  const dir = path.join(await temp.make('corrupt-case'), 'index');
  cpSync(clean.dir, dir, { recursive: true });
  const files = readdirSync(dir).sort();
  const victim = files[fileIndex % files.length];
  const changed = damage(path.join(dir, victim), how);

  const { answers, lines } = await searchDamaged(mode, dir);
  const what = `${victim}, ${JSON.stringify(how)}: ${lines.join('\n')}`;
  for (const line of lines) assert.match(line, /^codescout: /, what);
  const damagedLines = lines.filter((l) => /damaged|format version/.test(l));
  assert.ok(damagedLines.length <= 1, `more than one line about the damage: ${what}`);
  if (changed && !victim.endsWith('.cache')) {
    assert.equal(damagedLines.length, 1, `the damage was not reported: ${what}`);
    // the change log extends a sound generation: only the changes it recorded are lost, and indexed again
    assert.match(damagedLines[0], /^changes\.g\d+\.log$/.test(victim) ? /change log .* is damaged .*; the files it recorded will be indexed again/ : /it will be rebuilt/, what);
  }
  assert.deepEqual(answers, clean.answers, `answers differ from a clean index's: ${what}`);
  rmSync(path.dirname(dir), { recursive: true, force: true });
}

describe('a damaged index folder is detected, rebuilt and answers as a clean one', () => {
  test('lexical-only', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(), damageArb, (fileIndex, how) => checkDamagedIndex('lexical-only', fileIndex, how)),
      fuzzParams(2),
    );
  });

  test('with the model (vectors and the embedding cache too)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(), damageArb, (fileIndex, how) => checkDamagedIndex('model', fileIndex, how)),
      fuzzParams(2),
    );
  });

  for (const mode of ['graph', 'graph-on-demand'] as const) {
    test(`with the model and an HNSW graph (the graph file, which alone holds the vectors, too)${mode === 'graph' ? '' : ', used from its file'}`, async () => {
      const graphFile = readdirSync(pristine.get(mode)!.dir).find((f) => /^graph\.g\d+\.hnsw$/.test(f));
      assert.ok(graphFile, 'the index has a graph file');
      await fc.assert(
        fc.asyncProperty(fc.nat(), damageArb, (fileIndex, how) => checkDamagedIndex(mode, fileIndex, how)),
        fuzzParams(2),
      );
      // every kind of damage to the graph file itself, whatever the fuzzer picked
      const files = readdirSync(pristine.get(mode)!.dir).sort();
      for (const how of [{ kind: 'delete' }, { kind: 'truncate', at: 0.5 }, { kind: 'flip', flips: [{ at: 0.6, xor: 1 }] }, { kind: 'garbage', bytes: new Uint8Array(100) }] as Damage[]) {
        await checkDamagedIndex(mode, files.indexOf(graphFile), how);
      }
    });
  }
});
