/**
 * The embedding model's own speed, tokenising included, on one thread and nothing else running in
 * the process: every file under DIR cut into texts of 1,200 characters, embedded in calls of 256,
 * RUNS times; prints each run's CPU and wall time and their medians.
 *
 *   npx tsc -p tsconfig.test.json && node out/bench/embed-speed.js --dir DIR [--model DIR] [--runs 3]
 *
 * DIR: any source folder, e.g. the large corpus (`npm run bench -- --corpus large` builds it;
 * bench/corpus-large.ts buildLargeCorpus). The cold-index benchmark's "model throughput" is the
 * same work timed inside a refresh, where the parse workers and the graph thread share the cores.
 */

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { defaultModelDir } from '../src/engine/paths';
import { loadEmbedder } from '../src/engine/vectors/onnx-embedder';

const TEXT_CHARS = 1200;
const CALL = 256;

function textsOf(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) textsOf(path, out);
    else if (entry.isFile()) {
      const text = readFileSync(path, 'utf8');
      for (let i = 0; i < text.length; i += TEXT_CHARS) out.push(text.slice(i, i + TEXT_CHARS));
    }
  }
  return out;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { dir: { type: 'string' }, model: { type: 'string' }, runs: { type: 'string', default: '3' } } });
  if (!values.dir) throw new Error('--dir DIR is required');
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs wants a whole number ≥ 1, got "${values.runs}"`);
  const modelDir = values.model ?? defaultModelDir();
  if (!modelDir) throw new Error('no model: pass --model DIR');
  const texts = textsOf(values.dir);
  const embedder = await loadEmbedder(modelDir, {});
  try {
    const cpu: number[] = [];
    const wall: number[] = [];
    for (let run = 0; run < runs; run++) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      for (let i = 0; i < texts.length; i += CALL) await embedder.embedDocuments(texts.slice(i, i + CALL));
      const c = process.cpuUsage(c0);
      wall.push((performance.now() - t0) / 1000);
      cpu.push((c.user + c.system) / 1e6);
      console.log(`run ${run + 1}: ${texts.length} texts, CPU ${cpu[run].toFixed(2)} s, wall ${wall[run].toFixed(2)} s`);
    }
    console.log(`${embedder.id}: median CPU ${median(cpu).toFixed(2)} s, wall ${median(wall).toFixed(2)} s, ${Math.round(texts.length / median(wall))} texts/s; RSS ${Math.round(process.memoryUsage().rss / 1e6)} MB after, ${Math.round(process.resourceUsage().maxRSS / 1e3)} MB at peak`);
  } finally {
    await embedder.dispose();
  }
}

main().catch((err) => {
  console.error(`embed-speed: ${(err as Error).message}`);
  process.exit(1);
});
