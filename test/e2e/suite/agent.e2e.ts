/**
 * End-to-end tests of Code Scout's agent access in a real VS Code (code-server): the
 * language-model tools through `vscode.lm` as Copilot's agent mode or another extension calls
 * them, and the MCP server the extension registers, run as VS Code would run it. They follow
 * codescout.e2e.ts (activation and the initial index are its prerequisites).
 */
import * as assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { test } from './harness';
import { EXTENSION_ID, killEngine, lineOf, waitUntil } from './helpers';
import { ui } from './ui';

const SEARCH_TOOL = 'codescout_searchCode';
const RELATED_TOOL = 'codescout_relatedCode';

/** The parts of `codescout.internal.state` these tests read (src/extension/internal-state.ts). */
interface AgentExtensionState {
  folders: Array<{ state: string; partial: boolean }>;
  agent: {
    languageModelTools: string[];
    mcp: { provider: string; command: string; args: string[]; env: Record<string, string>; socket: string } | null;
  };
}

function state(): Thenable<AgentExtensionState> {
  return vscode.commands.executeCommand<AgentExtensionState>('codescout.internal.state');
}

function folderReady(timeoutMs: number) {
  return waitUntil('the fixture folder to be indexed', timeoutMs, async () => {
    const folder = (await state()).folders[0];
    return folder && folder.state === 'ready' && !folder.partial ? folder : undefined;
  });
}

/** The text parts of a tool result (each part crosses from the workbench as a LanguageModelTextPart). */
function resultText(result: vscode.LanguageModelToolResult): string {
  return result.content
    .map((part) => (typeof (part as { value?: unknown }).value === 'string' ? (part as { value: string }).value : ''))
    .join('');
}

/** The unindented lines of an answer after its first: one per result, `path:lines kind name …`. */
function resultHeaders(text: string): string[] {
  return text.split('\n').slice(1).filter((line) => /^\S+:\d+(-\d+)? /.test(line));
}

function invoke(name: string, input: object): Thenable<vscode.LanguageModelToolResult> {
  const invokeTool = vscode.lm.invokeTool;
  assert.ok(invokeTool, 'this VS Code has no vscode.lm.invokeTool');
  return invokeTool(name, { input, toolInvocationToken: undefined }, new vscode.CancellationTokenSource().token);
}

test('language-model tools: both are listed with the manifest\'s schemas', async () => {
  const tools = vscode.lm.tools;
  assert.ok(tools, 'this VS Code has no vscode.lm.tools');
  const manifest = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON as { contributes: { languageModelTools: { name: string; inputSchema: object }[] } };
  for (const name of [SEARCH_TOOL, RELATED_TOOL]) {
    const listed: vscode.LanguageModelToolInformation | undefined = tools.find((t) => t.name === name);
    assert.ok(listed, `${name} is not in vscode.lm.tools (${tools.map((t) => t.name).join(', ')})`);
    assert.deepEqual(listed.inputSchema, manifest.contributes.languageModelTools.find((t) => t.name === name)!.inputSchema);
  }
  assert.deepEqual((await state()).agent.languageModelTools, [SEARCH_TOOL, RELATED_TOOL]);
});

test('language-model tools: search code, invoked through vscode.lm.invokeTool, names the expected function first', async () => {
  await folderReady(60_000);
  const text = resultText(await invoke(SEARCH_TOOL, { query: 'parse a human readable duration like 1h30m' }));
  await ui.log(`# ${SEARCH_TOOL}: ${text.length} characters, first lines: ${JSON.stringify(text.split('\n').slice(0, 2))}`);
  const headers = resultHeaders(text);
  assert.ok(headers.length >= 1, `no results in: ${text}`);
  assert.match(headers[0], /^server\/duration\.go:\d+(-\d+)? \w+ ParseDuration\b/, `first result: ${headers[0]}`);
});

test('language-model tools: related code, by symbol and by location, lists the expected neighbours', async () => {
  const bySymbol = resultText(await invoke(RELATED_TOOL, { symbol: 'compute_file_checksum' }));
  assert.match(bySymbol.split('\n')[0], /related to tools\/checksum\.py:\d+-\d+ \w+ compute_file_checksum/, bySymbol);
  assert.ok(resultHeaders(bySymbol).some((h) => / verify_file_checksum\b/.test(h)), `related to compute_file_checksum: ${bySymbol}`);

  const line = (await lineOf('net/retry.ts', 'export async function retryWithBackoff')) + 1;
  const byLocation = resultText(await invoke(RELATED_TOOL, { location: `net/retry.ts:${line}` }));
  assert.ok(resultHeaders(byLocation).some((h) => / backoffDelay\b/.test(h)), `related to retryWithBackoff: ${byLocation}`);
});

test('language-model tools: a bad call fails with a message that says why', async () => {
  await assert.rejects(
    Promise.resolve(invoke(RELATED_TOOL, { symbol: 'no_such_function_in_the_fixture' })),
    (err: Error) => /No indexed definition is named "no_such_function_in_the_fixture"/.test(err.message),
  );
  // the tools keep answering afterwards
  const text = resultText(await invoke(SEARCH_TOOL, { query: 'checksum of a file' }));
  assert.ok(resultHeaders(text).some((h) => / compute_file_checksum\b/.test(h)), text);
});

test('the MCP server definition: registered, and VS Code\'s command line runs the packaged CLI\'s relay to a private socket', async () => {
  assert.equal(typeof vscode.lm.registerMcpServerDefinitionProvider, 'function', 'this VS Code has no MCP provider API');
  const { mcp } = (await state()).agent;
  assert.ok(mcp, 'the extension registered no MCP server definition provider');
  assert.equal(mcp.provider, 'codescout.mcp');
  const extension = vscode.extensions.getExtension(EXTENSION_ID)!;
  const cli = path.join(extension.extensionPath, 'dist', 'cli.js');
  assert.equal(mcp.command, process.execPath, 'the relay does not run on the extension host\'s Node');
  assert.deepEqual(mcp.args, [cli, 'mcp', '--attach', mcp.socket, '--wait']);
  assert.ok(existsSync(cli), `${cli} is not in the installed extension`);
  if (process.platform !== 'win32') {
    assert.equal(statSync(path.dirname(mcp.socket)).mode & 0o777, 0o700, 'the socket\'s folder is open to other users');
  }
});

/** One MCP session over a child process's stdio: newline-delimited JSON-RPC, as VS Code speaks it. */
class McpStdioSession {
  private buffer = '';
  private nextId = 1;
  private stderr = '';
  private readonly waiting = new Map<number, (message: { result?: unknown; error?: { message: string } }) => void>();

  constructor(private readonly child: ChildProcessWithoutNullStreams) {
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      this.buffer += chunk;
      let end: number;
      while ((end = this.buffer.indexOf('\n')) >= 0) {
        const line = this.buffer.slice(0, end).trim();
        this.buffer = this.buffer.slice(end + 1);
        if (!line) continue;
        const message = JSON.parse(line) as { id?: number; result?: unknown; error?: { message: string } };
        if (typeof message.id === 'number') this.waiting.get(message.id)?.(message);
      }
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (this.stderr += chunk));
  }

  async request<T>(method: string, params: object): Promise<T> {
    const id = this.nextId++;
    const answer = new Promise<{ result?: unknown; error?: { message: string } }>((resolve, reject) => {
      this.waiting.set(id, resolve);
      this.child.once('exit', (code) => reject(new Error(`the MCP server exited (${code}) before answering ${method}; stderr: ${this.stderr}`)));
    });
    this.child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', id, method, params })}\n`);
    const message = await answer;
    if (message.error) throw new Error(`${method}: ${message.error.message}`);
    return message.result as T;
  }

  notify(method: string): void {
    this.child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', method })}\n`);
  }

  close(): void {
    this.child.stdin.end();
    this.child.kill();
  }
}

test('the MCP server, started as VS Code starts it, answers a search from the running engine, and in the same session from the one started after it was killed', async () => {
  const { mcp } = (await state()).agent;
  assert.ok(mcp, 'no MCP server definition');
  await folderReady(60_000);
  const session = new McpStdioSession(spawn(mcp.command, mcp.args, { env: { ...process.env, ...mcp.env }, stdio: 'pipe' }));
  try {
    const init = await session.request<{ serverInfo: { name: string } }>('initialize', {
      protocolVersion: '2025-06-18',
      capabilities: {},
      clientInfo: { name: 'codescout-e2e', version: '0.0.0' },
    });
    assert.ok(init.serverInfo?.name, 'initialize answered no server name');
    session.notify('notifications/initialized');
    const { tools } = await session.request<{ tools: { name: string }[] }>('tools/list', {});
    assert.ok(['search_code', 'related_code'].every((n) => tools.some((t) => t.name === n)), `tools: ${tools.map((t) => t.name).join(', ')}`);
    const call = await session.request<{ content: { type: string; text: string }[]; isError?: boolean }>('tools/call', {
      name: 'search_code',
      arguments: { query: 'parse a human readable duration like 1h30m', limit: 3 },
    });
    const text = call.content.filter((c) => c.type === 'text').map((c) => c.text).join('');
    assert.ok(!call.isError, text);
    assert.match(resultHeaders(text)[0] ?? '', /^server\/duration\.go:\d+(-\d+)? \w+ ParseDuration\b/, text);

    // the engine process dies: the extension starts another on the same socket, and the MCP server
    // VS Code started (the relay) carries the same session over to it, without a new initialize
    await killEngine();
    await folderReady(60_000);
    const again = await session.request<{ content: { type: string; text: string }[]; isError?: boolean }>('tools/call', {
      name: 'search_code',
      arguments: { query: 'parse a human readable duration like 1h30m', limit: 3 },
    });
    const againText = again.content.filter((c) => c.type === 'text').map((c) => c.text).join('');
    assert.ok(!again.isError, againText);
    assert.match(resultHeaders(againText)[0] ?? '', /ParseDuration\b/, againText);
  } finally {
    session.close();
  }
}, { timeoutMs: 150_000 });
