/**
 * `codescout` — the command-line face of the engine. Its contract (arguments, output
 * shapes, exit codes) is documented in docs/cli.md; tests, benchmarks, scripts and other
 * editors rely on it.
 *
 * Exit codes: 0 success, 1 runtime failure, 2 bad usage. Errors are one line on stderr;
 * `--verbose` adds the stack trace and per-file skip details.
 */
import { createInterface } from 'node:readline';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { resolve } from 'node:path';
import { statSync } from 'node:fs';
import { Engine, type EngineOptions, type SearchOptions } from '../engine/engine';
import { formatHitsText, formatSkipped, formatStatus, formatSummary, ProgressBar } from './format';

class UsageError extends Error {}

/** The exit code of a run stopped by Ctrl-C (128 + SIGINT), after it saved its work. */
const INTERRUPTED = 130;

const USAGE = `usage:
  codescout index   <folder> [--index-dir DIR]
  codescout search  <folder> [--top N] [--json] [--index-dir DIR] [--lang L] [--path GLOB] [--no-spelling] [query words…]
  codescout related <folder> <path>:<line> [--top N] [--json] [--index-dir DIR]
  codescout status  <folder> [--json] [--index-dir DIR]
common options: --model DIR | --lexical-only, --threads N, --max-file-bytes N, --verbose, --help
With no query words, search reads one query per line from stdin.`;

const OPTIONS = {
  'index-dir': { type: 'string' },
  top: { type: 'string' },
  json: { type: 'boolean' },
  lang: { type: 'string', multiple: true },
  path: { type: 'string', multiple: true },
  'no-spelling': { type: 'boolean' },
  model: { type: 'string' },
  'lexical-only': { type: 'boolean' },
  threads: { type: 'string' },
  'max-file-bytes': { type: 'string' },
  verbose: { type: 'boolean', short: 'v' },
  help: { type: 'boolean', short: 'h' },
} satisfies ParseArgsConfig['options'];

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  if (positionals.length === 0) throw new UsageError('missing command: index, search, related or status');
  const [command, folderArg, ...rest] = positionals;
  if (!['index', 'search', 'related', 'status'].includes(command)) throw new UsageError(`unknown command '${command}'`);
  if (!folderArg) throw new UsageError(`'${command}' needs a <folder>`);
  const root = resolve(folderArg);
  if (!isDirectory(root)) throw new UsageError(`not a folder: ${folderArg}`);
  if ((command === 'index' || command === 'status') && rest.length) {
    throw new UsageError(`unexpected argument '${rest[0]}'`);
  }
  const top = positiveInt(values.top, '--top') ?? 10;
  const related = command === 'related' ? parseLocation(rest) : undefined;

  const verbose = values.verbose ?? false;
  const engine = await Engine.open(root, engineOptions(values));
  try {
    switch (command) {
      case 'index': {
        const summary = await refreshWithProgress(engine, true);
        if (verbose) process.stderr.write(formatSkipped(summary.skippedFiles));
        process.stderr.write(formatSummary(summary, engine.indexDir) + '\n');
        return summary.cancelled ? INTERRUPTED : 0;
      }
      case 'status': {
        const status = await engine.status();
        process.stdout.write(values.json ? JSON.stringify(status) + '\n' : formatStatus(status, verbose));
        return 0;
      }
      case 'search': {
        if ((await refreshWithProgress(engine)).cancelled) return INTERRUPTED;
        const options: SearchOptions = { top, languages: values.lang, paths: values.path };
        const answer = async (query: string) => {
          const { hits: results, searchedFor } = await engine.searchAnswer(query, options);
          process.stdout.write(
            values.json
              ? JSON.stringify({ query, ...(searchedFor && { searchedFor }), results }) + '\n'
              : formatHitsText(searchedFor ? `${query}  (searched for: ${searchedFor})` : query, results),
          );
        };
        if (rest.length) await answer(rest.join(' '));
        else for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
          if (line.trim()) await answer(line.trim());
        }
        return 0;
      }
      case 'related': {
        if ((await refreshWithProgress(engine)).cancelled) return INTERRUPTED;
        const { path, line } = related!;
        const answer = await engine.related(path, line, { top });
        if (values.json) process.stdout.write(JSON.stringify(answer) + '\n');
        else process.stdout.write(formatHitsText(`related to ${answer.source.name} (${path}:${line})`, answer.results));
        return 0;
      }
    }
  } finally {
    await engine.close();
  }
  return 0;
}

function engineOptions(values: Values): EngineOptions {
  if (values.model && values['lexical-only']) throw new UsageError('--model and --lexical-only exclude each other');
  return {
    indexDir: values['index-dir'] ? resolve(values['index-dir']) : undefined,
    model: values['lexical-only'] ? null : values.model ? resolve(values.model) : undefined,
    threads: positiveInt(values.threads, '--threads'),
    maxFileBytes: positiveInt(values['max-file-bytes'], '--max-file-bytes'),
    spelling: !values['no-spelling'],
    log: (message) => process.stderr.write(`codescout: ${message}\n`),
  };
}

/** `requireWrite`: fail rather than skip when this process cannot update the index (see Engine.refresh). */
async function refreshWithProgress(engine: Engine, requireWrite = false) {
  const bar = new ProgressBar(process.stderr);
  let interrupted = false;
  const signal = { get cancelled() { return interrupted; } };
  const onSigint = () => {
    if (interrupted) process.exit(INTERRUPTED);
    interrupted = true;
    process.stderr.write('\ncodescout: stopping after the current batch (Ctrl-C again to quit now)\n');
  };
  process.on('SIGINT', onSigint);
  try {
    return await engine.refresh({ onProgress: (p) => bar.update(p), signal, requireWrite });
  } finally {
    process.off('SIGINT', onSigint);
    bar.done();
  }
}

function parseLocation(rest: string[]): { path: string; line: number } {
  if (rest.length !== 1) throw new UsageError("'related' needs exactly one <path>:<line>");
  const m = /^(.+):(\d+)$/.exec(rest[0]);
  if (!m || Number(m[2]) < 1) throw new UsageError(`expected <path>:<line> with a 1-based line, got '${rest[0]}'`);
  return { path: m[1], line: Number(m[2]) };
}

function positiveInt(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new UsageError(`${name} takes a whole number ≥ 1, got '${value}'`);
  return Number(value);
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

// A closed pipe (`codescout search … | head`) is a normal way for output to end.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    const usage = err instanceof UsageError;
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`codescout: ${message}${usage ? " (see 'codescout --help')" : ''}\n`);
    if (!usage && (process.argv.includes('--verbose') || process.argv.includes('-v'))) {
      process.stderr.write(`${(err as Error)?.stack ?? ''}\n`);
    }
    process.exitCode = usage ? 2 : 1;
  },
);
