/**
 * Running the `codescout` command (bin/codescout.js) or another node script as a child process,
 * as the CLI, crash and MCP tests do: what it wrote (decoded as UTF-8), how it ended, how long it took.
 */
import { execFileSync, spawn, type ChildProcessByStdio } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import * as path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { PACKAGE_ROOT } from './workspace';

/** The `codescout` command. */
export const CLI = path.join(PACKAGE_ROOT, 'bin', 'codescout.js');

/** How a process ended and what it wrote. */
export interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** '' where stdout went to {@link RunOptions.stdoutFd} */
  stdout: string;
  /** '' where stderr went to {@link RunOptions.stderrFd} */
  stderr: string;
  /** milliseconds from the start to the end */
  ms: number;
}

export interface RunOptions {
  /** the child's working folder (default: this process's) */
  cwd?: string;
  /** the child's environment (default: process.env) */
  env?: NodeJS.ProcessEnv;
  /** the user and group the child runs as (default: this process's) */
  uid?: number;
  gid?: number;
  /**
   * Written to stdin, which is then closed (default ''); an error writing it (the child ended
   * without reading) is ignored. Ignored when {@link keepStdinOpen} is set.
   */
  input?: string;
  /** Leaves stdin open for the caller to write to or close through `child.stdin`. */
  keepStdinOpen?: boolean;
  /** Sends {@link killSignal} this long after the start: a guard against hangs, or a deliberate kill. */
  killAfterMs?: number;
  /** Sends {@link killSignal} once, as soon as this returns true (polled every {@link pollMs}). */
  killWhen?: () => boolean;
  /** how often {@link killWhen} is polled, in ms (default 1) */
  pollMs?: number;
  /** the signal of {@link killAfterMs} and {@link killWhen} (default SIGKILL) */
  killSignal?: NodeJS.Signals;
  /** Called with all of stderr so far each time the child writes to it. */
  onStderr?: (text: string) => void;
  /** Shell commands (limits such as `ulimit -f 1`) that /bin/sh runs before it execs node. */
  shell?: string;
  /** file descriptors for the child's stdout or stderr instead of pipes */
  stdoutFd?: number;
  stderrFd?: number;
}

export interface Started {
  /** the child; stdout and stderr are null where a file descriptor was given for them */
  child: ChildProcessByStdio<Writable, Readable, Readable>;
  /** resolves when the child has ended and its output is closed; rejects if it could not start */
  done: Promise<Run>;
}

/** Starts `node script args…`. */
export function startNode(script: string, args: string[], opts: RunOptions = {}): Started {
  const started = performance.now();
  const stdio = ['pipe', opts.stdoutFd ?? 'pipe', opts.stderrFd ?? 'pipe'] as const;
  const how = { cwd: opts.cwd, env: opts.env ?? process.env, uid: opts.uid, gid: opts.gid, stdio: [...stdio] };
  const child = (
    opts.shell === undefined
      ? spawn(process.execPath, [script, ...args], how)
      : spawn('/bin/sh', ['-c', `${opts.shell}; exec "$0" "$@"`, process.execPath, script, ...args], how)
  ) as ChildProcessByStdio<Writable, Readable, Readable>;
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
    opts.onStderr?.(stderr);
  });
  const signal = opts.killSignal ?? 'SIGKILL';
  const timer = opts.killAfterMs === undefined ? undefined : setTimeout(() => child.kill(signal), opts.killAfterMs);
  const { killWhen } = opts;
  const poll =
    killWhen &&
    setInterval(() => {
      if (!killWhen()) return;
      clearInterval(poll);
      child.kill(signal);
    }, opts.pollMs ?? 1);
  const done = new Promise<Run>((resolve, reject) => {
    child.on('error', (err) => {
      clearTimeout(timer);
      clearInterval(poll);
      reject(err);
    });
    child.on('close', (code, exitSignal) => {
      clearTimeout(timer);
      clearInterval(poll);
      resolve({ code, signal: exitSignal, stdout, stderr, ms: performance.now() - started });
    });
  });
  if (!opts.keepStdinOpen) child.stdin.on('error', () => undefined).end(opts.input ?? '');
  return { child, done };
}

/** Runs `node script args…` to its end. */
export function runNode(script: string, args: string[], opts: RunOptions = {}): Promise<Run> {
  return startNode(script, args, opts).done;
}

/** Runs `codescout args…` to its end. */
export function runCli(args: string[], opts: RunOptions = {}): Promise<Run> {
  return runNode(CLI, args, opts);
}

/**
 * Builds dist/ (esbuild.mjs) when one of `bundles` (paths under dist/, e.g. 'cli.js') is missing or
 * older than a source file, as `npm test` does before the tests run.
 */
export function ensureBundles(...bundles: string[]): void {
  const sources = readdirSync(path.join(PACKAGE_ROOT, 'src'), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => statSync(path.join(PACKAGE_ROOT, 'src', f)).mtimeMs);
  const newest = Math.max(...sources);
  const fresh = (bundle: string) => {
    const file = path.join(PACKAGE_ROOT, 'dist', bundle);
    return existsSync(file) && statSync(file).mtimeMs >= newest;
  };
  if (bundles.every(fresh)) return;
  execFileSync(process.execPath, ['esbuild.mjs'], { cwd: PACKAGE_ROOT, stdio: 'pipe' });
}
