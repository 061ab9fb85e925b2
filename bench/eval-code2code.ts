/**
 * Code→code: does related code (Engine.related) find the same task written in another language?
 *
 *   npm run eval -- --set code2code [--lexical-only] [--rank relatedLexicalWeight=W]
 *
 * The task list (bench/code2code.json) pairs definitions of the Python standard library's
 * pure-Python modules with their counterparts in the Java class library. The corpus is built
 * from this machine's files, never committed: /usr/lib/python3.*\/ (every top-level module and the
 * listed packages) and a JDK's lib/src.zip (every file of the listed files' folders, up to
 * JAVA_PER_FOLDER of them, as distractors), written to the eval cache. Each side of a task is a
 * query, whose answer is any definition of the other side: MRR (rank of the first answer in the
 * top 20, definitions counted once) and Recall@10.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Engine } from '../src/engine/engine';
import { packageRoot } from '../src/engine/paths';
import { indexCacheDir, noData, type EngineTweaks } from './eval-common';

interface Site {
  path: string;
  name: string;
  container?: string;
}
interface Task {
  task: string;
  python: Site[];
  java: Site[];
}

const JAVA_PER_FOLDER = 80;
const TOP = 20;

export interface Code2CodeData {
  tasks: Task[];
  pythonLib: string;
  javaSrcZip: string;
}

/** The task list and this machine's sources, or undefined (with a plain message) when either side is missing. */
export function findCode2CodeData(): Code2CodeData | undefined {
  const tasks = (JSON.parse(readFileSync(join(packageRoot(), 'bench', 'code2code.json'), 'utf8')) as { tasks: Task[] }).tasks;
  const pythonLib = ['/usr/lib/python3.13', '/usr/lib/python3.12', '/usr/lib/python3.11', '/usr/lib/python3.10']
    .filter((d) => existsSync(join(d, 'heapq.py')))
    .at(0);
  let javaSrcZip: string | undefined;
  if (existsSync('/usr/lib/jvm')) {
    for (const jdk of readdirSync('/usr/lib/jvm').sort().reverse()) {
      const zip = join('/usr/lib/jvm', jdk, 'lib', 'src.zip');
      if (existsSync(zip)) {
        javaSrcZip = zip;
        break;
      }
    }
  }
  if (!pythonLib || !javaSrcZip) {
    noData('code→code sources', !pythonLib ? '/usr/lib/python3.*' : '/usr/lib/jvm/*/lib/src.zip');
    return undefined;
  }
  return { tasks, pythonLib, javaSrcZip };
}

/** Writes the corpus (python/… and java/…) into `folder` from this machine's files. */
function buildCorpus(data: Code2CodeData, folder: string): void {
  const py = join(folder, 'python');
  mkdirSync(py, { recursive: true });
  for (const f of readdirSync(data.pythonLib)) if (f.endsWith('.py')) copyFileSync(join(data.pythonLib, f), join(py, f));
  for (const t of data.tasks) {
    for (const s of t.python) {
      mkdirSync(dirname(join(py, s.path)), { recursive: true });
      copyFileSync(join(data.pythonLib, s.path), join(py, s.path));
    }
  }
  const listing = execFileSync('unzip', ['-Z1', data.javaSrcZip], { encoding: 'utf8', maxBuffer: 64 << 20 }).split('\n');
  const wanted = new Set(data.tasks.flatMap((t) => t.java.map((s) => s.path)));
  const folders = new Set([...wanted].map((p) => dirname(p)));
  const picked: string[] = [...wanted];
  for (const f of folders) {
    const inFolder = listing.filter((p) => p.endsWith('.java') && dirname(p) === f && !wanted.has(p)).sort();
    picked.push(...inFolder.slice(0, JAVA_PER_FOLDER));
  }
  const java = join(folder, 'java');
  mkdirSync(java, { recursive: true });
  execFileSync('unzip', ['-q', '-o', data.javaSrcZip, ...picked, '-d', java], { maxBuffer: 64 << 20 });
}

export interface Code2CodeReport {
  mode: string;
  queries: number;
  mrr: number;
  recallAt10: number;
  perQuery: { task: string; from: string; rank: number }[];
  files: number;
  chunks: number;
}

export async function evaluateCode2Code(opts: Code2CodeData & { model?: string | null; engine?: EngineTweaks }): Promise<Code2CodeReport> {
  const key = createHash('sha256').update(JSON.stringify(opts.tasks)).update(opts.pythonLib).update(opts.javaSrcZip).digest('hex').slice(0, 12);
  const work = join(indexCacheDir(opts.model), `code2code-${key}`);
  const folder = join(work, 'corpus');
  if (!existsSync(join(work, 'corpus-written'))) {
    buildCorpus(opts, folder);
    writeFileSync(join(work, 'corpus-written'), '');
  }
  const engine = await Engine.open(folder, { indexDir: join(work, 'index'), model: opts.model, ...opts.engine });
  try {
    const summary = await engine.refresh();
    const sites = engine.definitions();
    const find = (side: string, s: Site) =>
      sites.filter((d) => d.path === `${side}/${s.path}` && d.name === s.name && (!s.container || (d.container ?? '').split('.').includes(s.container)));
    const perQuery: Code2CodeReport['perQuery'] = [];
    for (const t of opts.tasks) {
      for (const [from, to] of [['python', 'java'], ['java', 'python']] as const) {
        const source = t[from].flatMap((s) => find(from, s)).at(0);
        if (!source) throw new Error(`code2code: no definition ${from}/${t[from][0].path} ${t[from][0].name} in the corpus`);
        const answers = t[to].map((s) => ({ ...s, path: `${to}/${s.path}` }));
        if (!answers.some((a) => find(to, { ...a, path: a.path.slice(to.length + 1) }).length)) {
          throw new Error(`code2code: no definition ${to}/${t[to][0].path} ${t[to][0].name} in the corpus`);
        }
        const { results } = await engine.related(source.path, source.startLine, { top: TOP });
        const rank = results.findIndex((r) => answers.some((a) => a.path === r.path && a.name === r.name && (!a.container || (r.container ?? '').split('.').includes(a.container)))) + 1;
        perQuery.push({ task: t.task, from, rank });
      }
    }
    const n = perQuery.length;
    return {
      mode: summary.mode,
      queries: n,
      mrr: perQuery.reduce((s, q) => s + (q.rank ? 1 / q.rank : 0), 0) / n,
      recallAt10: perQuery.filter((q) => q.rank > 0 && q.rank <= 10).length / n,
      perQuery,
      files: summary.files,
      chunks: summary.chunks,
    };
  } finally {
    await engine.close();
  }
}

export function formatCode2Code(r: Code2CodeReport): string {
  return (
    `code→code (related, Python stdlib ↔ Java class library): ${r.queries} queries, ${r.chunks} chunks, ${r.mode}\n` +
    `MRR@${TOP} ${r.mrr.toFixed(3)}  Recall@10 ${r.recallAt10.toFixed(3)}\n` +
    r.perQuery.map((q) => `  ${q.rank ? String(q.rank).padStart(2) : ' -'}  ${q.from.padEnd(6)} ${q.task}`).join('\n')
  );
}
