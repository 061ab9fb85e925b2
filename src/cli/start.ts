/**
 * What the `codescout` command (bin/codescout.js) does before it loads the CLI bundle: a command
 * that opens an index (index, search, related) has its files read and its folder scanned on a
 * thread of its own (engine/one-shot.ts), and that thread is started here. Node boots a thread in
 * about 0.1 s on 2 cores, and compiling the 2 MB bundle takes about as long, so the two now happen
 * side by side instead of one after the other. Bundled alone (dist/cli-start.js): it loads nothing
 * but Node's own modules.
 *
 * The command line is only guessed at here (any argument that names such a command); the CLI reads
 * it properly and stops a thread it does not use (main.ts `runCli`).
 */
import { AheadThread } from '../engine/ahead-thread';

/** The commands that open an index and refresh it before they answer. */
const OPENS_AN_INDEX = new Set(['index', 'search', 'related']);

/** The read-ahead thread, started when `argv` (the arguments after the script) may be a command that opens an index. */
export function startAheadThread(argv: readonly string[]): AheadThread | undefined {
  return argv.some((arg) => OPENS_AN_INDEX.has(arg)) ? AheadThread.start() : undefined;
}
