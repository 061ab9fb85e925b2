/**
 * `codescout` — the command-line face of the engine. Its contract (arguments, output
 * shapes, exit codes) is documented in docs/cli.md; tests, benchmarks, scripts and other
 * editors rely on it.
 *
 * Exit codes: 0 success, 1 runtime failure, 2 bad usage. Errors are one line on stderr;
 * `--verbose` adds the stack trace and per-file skip details.
 */
import { fstatSync } from 'node:fs';
import type { Engine, SearchOptions } from '../engine/engine';
import { AheadThread } from '../engine/ahead-thread';
import { defaultIndexDir } from '../engine/paths';
import { checkedLanguages, checkedQuery, LIMITS, parseCommandLine, USAGE, type Invocation } from './args';
import { EXIT_FAILURE, oneLine, report, UsageError } from './errors';
import { formatHitsText, formatSkipped, formatStatus, formatSummary, ProgressBar } from './format';
import { prepareIndexFolder } from './index-folder';
import { LineTooLongError, linesOf } from './stdin-lines';
import { whyNoCode } from './why-no-code';

/** The exit code of a run stopped by Ctrl-C (128 + SIGINT), after it saved its work. */
const INTERRUPTED = 130;

/** What the command is doing, for an error that names no path ("updating the index at … failed: the disk is full"). */
let doing: string | undefined;

/** `started`: the read-ahead thread the `codescout` command started before it loaded this bundle (start.ts), if it did. */
async function main(argv: string[], started: AheadThread | undefined): Promise<number> {
  let args: ReturnType<typeof parseCommandLine>;
  try {
    args = parseCommandLine(argv);
    if (args !== 'help') verboseAsked = args.verbose;
  } catch (err) {
    void started?.dispose(); // a usage error: nothing opens
    throw err;
  }
  // the commands that update the index before they answer: the folder is scanned, and the index
  // files read, on a thread of their own while the model loads (ahead-thread.ts AheadThread); started
  // before this bundle loaded, or now
  const oneShot = args !== 'help' && args.command !== 'status' && args.command !== 'mcp';
  if (!oneShot) void started?.dispose(); // started on a guess that this command line did not bear out
  if (args === 'help') {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  // an MCP server over stdio (or a relay to the editor's engine process): src/cli/mcp.ts
  if (args.command === 'mcp') return (await import('./mcp')).mcp(args);
  if (args.command === 'search' && args.query === undefined) {
    try {
      checkQueriesOnStdin();
    } catch (err) {
      void started?.dispose();
      throw err;
    }
  }
  const aheadThread = oneShot ? (started ?? AheadThread.start()) : undefined;
  let engine: Engine;
  try {
    // The engine (tree-sitter, onnxruntime, hnswlib) loads only once the command line is known to be good.
    const { Engine, LANGUAGE_IDS, isLanguageName } = await import('../engine/engine');
    checkedLanguages(args.languages, isLanguageName, LANGUAGE_IDS);
    const indexDir = args.indexDir ?? defaultIndexDir(args.root);
    doing = `creating the index folder ${indexDir}`;
    prepareIndexFolder(indexDir);
    doing = `opening the index at ${indexDir}`;
    engine = await Engine.open(args.root, {
      ...args.engine,
      // one command and exit: a saved graph is scanned in its file rather than read into memory (see VectorIndexOptions.graphLoading)
      vectorIndex: { graphLoading: 'on-demand' },
      oneShot,
      aheadThread,
      // `index` updates the index or fails saying why: it answers nothing from the saved state
      announceReadOnly: args.command !== 'index',
      indexDir,
      log: (message) => process.stderr.write(oneLine(message) + '\n'),
    });
  } finally {
    await aheadThread?.dispose(); // not taken: the command failed before the engine opened
  }
  try {
    return await run(engine, args);
  } finally {
    await engine.close();
  }
}

async function run(engine: Engine, args: Invocation): Promise<number> {
  const { json, verbose, top } = args;
  switch (args.command) {
    case 'index': {
      const summary = await refreshWithProgress(engine, true);
      if (verbose) process.stderr.write(formatSkipped(summary.skippedFiles));
      process.stderr.write(formatSummary(summary, engine.indexDir) + '\n');
      return summary.cancelled ? INTERRUPTED : 0;
    }
    case 'status': {
      doing = `reading the status of the index at ${engine.indexDir}`;
      const status = await engine.status();
      process.stdout.write(json ? JSON.stringify(status) + '\n' : formatStatus(status, verbose));
      return 0;
    }
    case 'search': {
      const options: SearchOptions = { top, languages: args.languages, paths: args.paths };
      // one query is searched while the refresh waits for the folder's scan; that answer is kept
      // when the refresh changed nothing, and the query searched again when it did
      const query = args.query;
      const early = query !== undefined ? answerAhead(engine, () => engine.searchAnswer(query, options)) : undefined;
      // the early question is done before anything else, also when the refresh stops or fails (the engine then closes)
      const refreshed = await refreshBeforeQuestion(engine).finally(() => early?.());
      if (refreshed.cancelled) return INTERRUPTED;
      doing = 'searching';
      const answer = async (query: string) => {
        const { hits: results, searchedFor } = (!refreshed.unsaved && (await early?.())) || (await engine.searchAnswer(query, options));
        process.stdout.write(
          json
            ? JSON.stringify({ query, ...(searchedFor && { searchedFor }), results }) + '\n'
            : formatHitsText(searchedFor ? `${query}  (searched for: ${searchedFor})` : query, results),
        );
      };
      if (args.query !== undefined) await answer(args.query);
      else {
        let lineNumber = 0;
        try {
          for await (const line of linesOf(process.stdin, MAX_STDIN_LINE_CHARS)) {
            lineNumber++;
            const query = line.trim();
            if (query) await answer(checkedQuery(query, `the query on line ${lineNumber} of stdin`));
          }
        } catch (err) {
          if (!(err instanceof LineTooLongError)) throw err;
          throw new UsageError(`line ${err.line} of stdin is longer than ${err.max} characters; a query is at most ${LIMITS.queryChars}`);
        }
      }
      return 0;
    }
    case 'related': {
      const { path, line } = args.location!;
      // asked while the refresh waits for the folder's scan, as a search is
      const early = answerAhead(engine, () => engine.related(path, line, { top }));
      const refreshed = await refreshBeforeQuestion(engine).finally(() => early());
      if (refreshed.cancelled) return INTERRUPTED;
      doing = 'finding related code';
      let answer;
      try {
        answer = (!refreshed.unsaved && (await early())) || (await engine.related(path, line, { top }));
      } catch (err) {
        if (!(err instanceof (await import('../engine/engine')).NothingIndexedError)) throw err;
        const why = await whyNoCode(engine, path, line, args.engine.maxFileBytes);
        throw why ? new Error(`${err.message}: ${why}`) : err;
      }
      if (json) process.stdout.write(JSON.stringify(answer) + '\n');
      else process.stdout.write(formatHitsText(`related to ${answer.source.name} (${path}:${line})`, answer.results));
      return 0;
    }
  }
}

/**
 * Asks the engine now, for an answer that is taken after the refresh that follows: the answer when
 * the index is still at the revision it was asked at (Engine.revision), else undefined (the refresh
 * changed the index, or the question failed: it is asked again, and an error it meets is reported
 * then, after the refresh, as without this).
 */
function answerAhead<T>(engine: Engine, ask: () => Promise<T>): () => Promise<T | undefined> {
  const revision = engine.revision;
  const answered = ask().catch(() => undefined);
  return async () => {
    const answer = await answered;
    return engine.revision === revision ? answer : undefined;
  };
}

/**
 * Queries are read from stdin: a folder there (`< some/dir`) reads as no input at all, so it is a
 * usage error rather than a search that answers nothing and exits 0.
 */
function checkQueriesOnStdin(): void {
  let folder = false;
  try {
    folder = fstatSync(0).isDirectory();
  } catch {
    return; // no stdin to look at (closed): reading it finds no query, as before
  }
  if (folder) throw new UsageError('standard input is a folder: give the query as words after the folder, or pipe queries one per line');
}

/**
 * The longest line of stdin kept to be read as a query: far more than a query may be (its white
 * space is trimmed before its length is checked), and a bound on what one line can cost.
 */
const MAX_STDIN_LINE_CHARS = 128_000;

/**
 * The refresh before a question (search, related). A save that fails (a full disk) leaves the
 * saved index as it was, and this process's index updated in memory as far as the refresh got:
 * the question is answered from that, the failure said in one line, rather than not answered.
 * `unsaved`: the index may have changed without a save, which Engine.revision does not count, so
 * an answer asked ahead of the refresh is not used.
 */
async function refreshBeforeQuestion(engine: Engine): Promise<{ cancelled: boolean; unsaved: boolean }> {
  try {
    const mustWrite = nothingToAnswerFrom(engine);
    return { cancelled: (await refreshWithProgress(engine, mustWrite, mustWrite ? 0 : undefined)).cancelled === true, unsaved: false };
  } catch (err) {
    if (!(err instanceof (await import('../engine/index/errors')).IndexWriteError)) throw err;
    process.stderr.write(oneLine(`${err.message}; answering from the index in memory, which this run could not save`) + '\n');
    return { cancelled: false, unsaved: true };
  }
}

/**
 * Whether a question has no index to be answered from: another process holds one that has nothing
 * saved yet (it is building the first, or rebuilding a damaged one), or a folder that cannot be
 * written has none. Answering would be "no results" where there is no index, which a script or an
 * agent cannot tell from a real one; so the question fails at once, as `index` fails when it cannot
 * write (IndexNotWritableError, exit 1). It does not wait: an editor holds the lock as long as its
 * index is open, long after it saved the first.
 */
function nothingToAnswerFrom(engine: Engine): boolean {
  return engine.readOnly && !engine.hasSavedIndex;
}

/** `requireWrite`: fail rather than skip when this process cannot update the index (see Engine.refresh). */
async function refreshWithProgress(engine: Engine, requireWrite = false, lockWaitMs?: number) {
  doing = `updating the index at ${engine.indexDir}`;
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
    return await engine.refresh({ onProgress: (p) => bar.update(p), signal, requireWrite, ...(lockWaitMs !== undefined && { lockWaitMs }) });
  } finally {
    process.off('SIGINT', onSigint);
    bar.done();
  }
}

/** `--verbose` as the command line was read; undefined when it could not be read */
let verboseAsked: boolean | undefined;
/** Whether a failure's stack trace is shown: `--verbose` as parsed, else as written before any `--` (after it, `-v` is a query word) */
const verboseRun = (argv: readonly string[]) => verboseAsked ?? argv.slice(0, argv.includes('--') ? argv.indexOf('--') : argv.length).some((a) => a === '--verbose' || /^-[a-z]*v[a-z]*$/.test(a));

// A closed pipe (`codescout search … | head`) is a normal way for output to end; any other
// failure to write the output (a full disk, a closed terminal) is reported in one line.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  process.stderr.write(report(err, 'writing the results').line + '\n');
  process.exit(EXIT_FAILURE);
});

// Nowhere is left to report a failure to write to stderr (a full disk, a closed terminal): the
// run goes on, its results and exit code unchanged.
process.stderr.on('error', () => {});

/**
 * Runs the command line `argv` (the arguments after the script) and sets the process's exit code.
 * `started`: the read-ahead thread the `codescout` command started before it loaded this bundle
 * (bin/codescout.js, start.ts); one this command does not use is stopped.
 */
export function runCli(argv: string[], started?: AheadThread): Promise<void> {
  return main(argv, started).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      const { line, exitCode } = report(err, doing);
      process.stderr.write(line + '\n');
      if (!(err instanceof UsageError) && verboseRun(argv)) process.stderr.write(`${(err as Error)?.stack ?? ''}\n`);
      process.exitCode = exitCode;
    },
  );
}

// run as a script (`node dist/cli.js …`, as the editor runs its MCP relay); bin/codescout.js calls runCli itself
if (require.main === module) void runCli(process.argv.slice(2));
