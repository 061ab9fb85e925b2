/**
 * What an agent waits for while the editor's engine process is replaced (RestartWanted, after a
 * large index): a real MCP client (the SDK's, over stdio) talks to `codescout mcp --attach` as VS
 * Code's does, and the benchmark plays the extension: it stops the engine as a replacement does
 * (Shutdown with `restarting`), then calls `search_code` at once, with no engine running, and
 * starts the new process on the same socket and index. The call is timed from the moment it is
 * made to its answer, which the relay gets from the new process once it listens (after its first
 * Configure) and the session is opened again.
 *
 *   node out/bench/agent-replacement.js --workspace DIR --index-dir DIR [--runs N]
 *
 * `--index-dir`: an index of the workspace (`codescout index DIR --index-dir INDEX`); the engine
 * opens it as the extension would (any file changed since is refreshed first). Prints each
 * replacement's figures and their medians.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from 'vscode-jsonrpc/node';
import { Configure, FolderStatusChanged, Shutdown } from '../src/protocol/protocol';
import { ENGINE_EXEC_ARGV } from '../src/server/launch';

const ROOT = join(__dirname, '..', '..');
const SERVER = join(ROOT, 'dist', 'server.js');
const CLI = join(ROOT, 'bin', 'codescout.js');
const QUERY = 'parse a json configuration file';
const READY_LIMIT_MS = 10 * 60_000;

const { values: args } = parseArgs({
  options: { workspace: { type: 'string' }, 'index-dir': { type: 'string' }, runs: { type: 'string', default: '3' } },
});

interface EngineProcess {
  child: ChildProcess;
  connection: MessageConnection;
  ready: Promise<void>;
}

function startEngine(socket: string, workspace: string, indexLocation: string): EngineProcess {
  const child = spawn(process.execPath, [...ENGINE_EXEC_ARGV, SERVER, '--agent-socket', socket, '--restart-above-mb', '0'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const connection = createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
  const options = { include: [], exclude: [], maxFileBytes: 1024 * 1024, threads: 1, spelling: true, indexLocation };
  const ready = new Promise<void>((resolve, reject) => {
    const late = setTimeout(() => reject(new Error(`the folder was not ready within ${READY_LIMIT_MS / 60_000} minutes`)), READY_LIMIT_MS);
    connection.onNotification(FolderStatusChanged, (s) => {
      if (s.state === 'ready') {
        clearTimeout(late);
        resolve();
      } else if (s.state === 'error') {
        clearTimeout(late);
        reject(new Error(`the folder could not be opened: ${JSON.stringify(s)}`));
      }
    });
    connection.listen();
    connection.sendRequest(Configure, { folders: [{ root: workspace, name: 'workspace', options }], indexOnOpen: true }).catch(reject);
  });
  ready.catch(() => undefined); // awaited by the caller; a failure before that is not unhandled
  return { child, connection, ready };
}

/** As the extension stops a process it replaces: Shutdown (restarting), then the end of its stdin; resolves at its exit. */
async function stopForReplacement(engine: EngineProcess): Promise<void> {
  const exited = new Promise((resolve) => engine.child.once('exit', resolve));
  await engine.connection.sendRequest(Shutdown, { restarting: true });
  engine.child.stdin!.end();
  await exited;
  engine.connection.dispose();
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

async function main(): Promise<void> {
  const workspace = args.workspace;
  const indexLocation = args['index-dir'];
  const runs = Number(args.runs);
  if (!workspace || !indexLocation) throw new Error('--workspace DIR and --index-dir DIR are required');
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs needs a whole number ≥ 1, not ${args.runs}`);
  const folder = mkdtempSync(join(tmpdir(), 'codescout-'));
  const socket = join(folder, 'mcp.sock');
  let engine = startEngine(socket, workspace, indexLocation);
  const client = new Client({ name: 'codescout-bench', version: '0' });
  try {
    await engine.ready;
    await client.connect(new StdioClientTransport({ command: process.execPath, args: [CLI, 'mcp', '--attach', socket], stderr: 'ignore' }));
    await client.callTool({ name: 'search_code', arguments: { query: QUERY } });
    console.log(`[bench:agent-replacement] ${workspace}, index ${indexLocation}; ${runs} replacement(s)`);
    const waits: number[] = [];
    const stops: number[] = [];
    for (let i = 1; i <= runs; i++) {
      const stopping = performance.now();
      await stopForReplacement(engine);
      stops.push(performance.now() - stopping);
      const asked = performance.now();
      const answer = client.callTool({ name: 'search_code', arguments: { query: QUERY } });
      engine = startEngine(socket, workspace, indexLocation);
      const result = (await answer) as { isError?: boolean; content: { text: string }[] };
      const waited = performance.now() - asked;
      const text = result.content.map((c) => c.text).join(' ');
      if (result.isError) throw new Error(`the call failed: ${text}`);
      // an answer from a folder not open yet would be no answer: the figure counts only one with results
      if (!/^\S+:\d+/m.test(text)) throw new Error(`the call was answered without results: ${text.slice(0, 300)}`);
      waits.push(waited);
      console.log(`replacement ${i}: old process stopped in ${stops.at(-1)!.toFixed(0)} ms; a call made then answered by the new one after ${waited.toFixed(0)} ms`);
      await engine.ready;
    }
    console.log(`medians: old process stopped in ${median(stops).toFixed(0)} ms; call answered after ${median(waits).toFixed(0)} ms`);
  } finally {
    await client.close().catch(() => undefined);
    await stopForReplacement(engine).catch(() => undefined);
    rmSync(folder, { recursive: true, force: true });
  }
}

main().catch((err: Error) => {
  console.error(`bench:agent-replacement: ${err.message}`);
  process.exitCode = 1;
});
