/**
 * What the evaluation sets of `npm run eval` share: where the development data is, and a
 * scratch cache of indexes so that repeated runs do not re-embed unchanged corpora.
 *
 * A cached index is reused only by the same index-building code and the same model: its key
 * hashes the compiled engine modules that build an index (everything under src/engine except
 * the search stage and engine.ts, whose changes do not alter an index) and the model's files'
 * sizes and mtimes. Any other change gets a fresh folder. The engine itself also verifies an
 * index on open and refreshes only changed files, so a stale corpus is re-indexed, not misread.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { EngineOptions } from '../src/engine/engine';
import { defaultModelDir, packageRoot } from '../src/engine/paths';

/** The development workspace's evaluation folder (`../shared/eval` beside the package), or `--shared DIR/eval`. */
export function evalRoot(sharedArg?: string): string {
  const shared = sharedArg ?? process.env.CODESCOUT_SHARED ?? join(packageRoot(), '..', 'shared');
  return resolve(shared, 'eval');
}

/** Says plainly that there is nothing to score (the caller exits 2). */
export function noData(what: string, where: string): void {
  process.stderr.write(
    `eval: no ${what} at ${where} — the evaluation data is part of the development workspace ` +
      `(../shared/eval, or --shared DIR), not of the project; nothing to score.\n`,
  );
}

function listFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...listFiles(p));
    else if (e.isFile()) out.push(p);
  }
  return out.sort();
}

/** The folder under which cached indexes of one (index code, model) pair live. */
export function indexCacheDir(model: string | null | undefined, cacheArg?: string): string {
  const base = cacheArg ?? process.env.CODESCOUT_EVAL_CACHE ?? join(tmpdir(), 'codescout-eval-cache');
  const hash = createHash('sha256');
  const engineDir = join(__dirname, '..', 'src', 'engine');
  for (const f of listFiles(engineDir)) {
    const rel = f.slice(engineDir.length + 1).replace(/\\/g, '/');
    if (rel.startsWith('search/') || rel === 'engine.js' || !rel.endsWith('.js')) continue;
    hash.update(rel).update(readFileSync(f));
  }
  const modelDir = model === null ? undefined : (model ?? defaultModelDir());
  if (modelDir && existsSync(modelDir)) {
    for (const f of listFiles(modelDir)) {
      const st = statSync(f);
      hash.update(`${f}\0${st.size}\0${st.mtimeMs}`);
    }
  } else hash.update('lexical-only');
  return join(base, hash.digest('hex').slice(0, 16));
}

/** The engine options every set is scored with: what the caller sets on top of the CLI's defaults. */
export type EngineTweaks = Omit<EngineOptions, 'indexDir' | 'model' | 'log'>;
