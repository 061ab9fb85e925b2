/**
 * Code Scout's VS Code extension: the composition root. Activation only registers commands,
 * views and providers; the engine process starts right after activation when the workspace
 * is to be indexed on open, and otherwise on first use. All indexing and search run in the
 * engine process (src/server/), never on the extension host.
 */
import * as vscode from 'vscode';
import { EngineBackend } from './agent-backend';
import { AgentSocket } from './agent-socket';
import { EngineClient } from './engine-client';
import { FileWatcher } from './file-watcher';
import { DefinitionCache } from './definition-cache';
import { noticeText } from './display-text';
import { RelatedHoverProvider } from './hover';
import { IndexController } from './index-controller';
import { IndexingProgress } from './indexing-progress';
import { internalState, type AgentState, type Metrics } from './internal-state';
import { LatencySamples } from './latency';
import { RecordingLogChannel } from './log-channel';
import { registerLanguageModelTools } from './lm-tools';
import { registerMcpProvider } from './mcp-provider';
import { MCP_PROVIDER_ID, mcpServerCommand } from './mcp-server-command';
import { openLocation } from './navigation';
import { RelatedCode } from './related';
import { HOVER_LINKS, OPEN_LOCATION_COMMAND } from './result-text';
import { SearchPick } from './search-pick';
import { SidebarView } from './sidebar/sidebar-view';
import { StatusBar, STATUS_MENU_COMMAND } from './status-bar';
import { StatusDocument } from './status-document';
import { showStatusMenu } from './status-menu';
import { parseLocation } from './workspace-path';
import { ownFields } from '../engine/own-fields';
import { engineProcessArgs } from './settings';

let engine: EngineClient | undefined;
let agentSocket: AgentSocket | undefined;

export function activate(context: vscode.ExtensionContext): void {
  const started = performance.now();
  // a log channel: VS Code shows each line's level and time, and the user picks the level (the channel's gear, or
  // "Developer: Set Log Level…"); the engine process is told it, and the last lines are kept for internal state
  const output = new RecordingLogChannel(vscode.window.createOutputChannel('Code Scout', { log: true }));
  const controller = new IndexController(output);
  const socket = createAgentSocket(output);
  agentSocket = socket;
  const client = new EngineClient(
    vscode.Uri.joinPath(context.extensionUri, 'dist', 'server.js').fsPath,
    output,
    (c) => controller.setUp(c),
    () => [...engineProcessArgs(vscode.workspace.getConfiguration('codescout')), ...(socket?.engineArgs() ?? [])],
  );
  controller.attach(client);
  engine = client;
  const agent = registerAgentAccess(context, client, controller, socket, output);

  const metrics: Metrics = {
    activationMs: 0,
    hover: new LatencySamples(),
    hoverEngine: new LatencySamples(),
    timeToFirstResult: new LatencySamples(),
    searchLatency: new LatencySamples(),
  };
  const sidebar = new SidebarView(vscode.Uri.joinPath(context.extensionUri, 'media'), client, controller, output);
  const search = new SearchPick(client, controller, sidebar, metrics, (message) => output.error(message));
  const related = new RelatedCode(client, controller, sidebar, search);
  const statusDocument = new StatusDocument(client, controller);
  const watcher = new FileWatcher(controller, client);
  const definitions = new DefinitionCache(client, controller, HOVER_LINKS);
  const statusBar = new StatusBar(controller, client);
  const reconfigure = () =>
    controller.reconfigure().catch((err: Error) => output.error(`applying the settings failed: ${err.message}`));
  /** Runs a command, reporting its failure once instead of leaving a rejected promise. */
  const command = (id: string, run: (...args: unknown[]) => unknown) =>
    vscode.commands.registerCommand(id, async (...args: unknown[]) => {
      try {
        return await run(...args);
      } catch (err) {
        void vscode.window.showErrorMessage(noticeText(`Code Scout: ${(err as Error).message}`));
      }
    });

  context.subscriptions.push(
    output,
    controller,
    client,
    sidebar,
    related,
    statusDocument,
    watcher,
    definitions,
    statusBar,
    new IndexingProgress(controller),
    vscode.window.registerWebviewViewProvider(SidebarView.viewId, sidebar),
    vscode.languages.registerHoverProvider({ scheme: 'file' }, new RelatedHoverProvider(client, controller, definitions, metrics)),
    command('codescout.search', () => search.show(selectedWord())),
    command('codescout.showRelated', () => related.showAtCursor()),
    command('codescout.findSimilar', () => related.findSimilar()),
    command('codescout.reindex', () => reindexAndTell(controller)),
    command('codescout.showLog', () => output.show(true)),
    // the sidebar's result context menu (package.json webview/context): the argument is the row's data-vscode-context
    command('codescout.result.open', (arg) => sidebar.resultAction('open', resultIdOf(arg))),
    command('codescout.result.openToSide', (arg) => sidebar.resultAction('openToSide', resultIdOf(arg))),
    command('codescout.result.copyLocation', (arg) => sidebar.resultAction('copy', resultIdOf(arg))),
    command('codescout.result.revealInExplorer', (arg) => sidebar.resultAction('reveal', resultIdOf(arg))),
    command('codescout.cancelIndexing', () => controller.cancel()),
    command('codescout.showStatus', () => statusDocument.show()),
    command('codescout.restartEngine', () => client.restart()),
    command(STATUS_MENU_COMMAND, () => showStatusMenu(controller, client)),
    command(OPEN_LOCATION_COMMAND, (arg) => {
      const at = parseLocation(arg);
      // openLocation opens only places inside the workspace's folders
      if (at) return openLocation(at);
      void vscode.window.showWarningMessage('Code Scout: the link does not name a place to open.');
    }),
    command('codescout.internal.state', () => internalState(client, controller, metrics, agent, output, statusBar)),
    vscode.workspace.onDidChangeWorkspaceFolders(() => {
      watcher.sync();
      reconfigure();
    }),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('codescout') || e.affectsConfiguration('files.exclude')) reconfigure();
    }),
  );

  if (controller.editorSettings.indexOnOpen && vscode.workspace.workspaceFolders?.length) {
    setImmediate(() => client.start().catch((err: Error) => output.error(`starting the engine failed: ${err.message}`)));
  }
  metrics.activationMs = performance.now() - started;
}

export async function deactivate(): Promise<void> {
  await engine?.dispose();
  agentSocket?.dispose(); // after the engine, which listened on it, has ended
}

/** This session's agent socket; none when its private folder cannot be made (then no MCP server is registered). */
function createAgentSocket(output: vscode.LogOutputChannel): AgentSocket | undefined {
  try {
    return AgentSocket.create();
  } catch (err) {
    output.warn(`The MCP server is not available: ${(err as Error).message}`);
    return undefined;
  }
}

/**
 * Language-model tools and the MCP server definition, both answered by this extension's
 * engine process: the tools through the engine client, MCP sessions on the agent socket.
 */
function registerAgentAccess(
  context: vscode.ExtensionContext,
  client: EngineClient,
  controller: IndexController,
  socket: AgentSocket | undefined,
  output: vscode.LogOutputChannel,
): AgentState {
  const languageModelTools = registerLanguageModelTools((token) => new EngineBackend(client, controller, token), output, context.subscriptions);
  if (!socket) return { languageModelTools, mcp: null };
  const cli = vscode.Uri.joinPath(context.extensionUri, 'dist', 'cli.js').fsPath;
  const server = mcpServerCommand(process.execPath, cli, socket.path);
  const version = String(context.extension.packageJSON.version);
  const registered = registerMcpProvider({ ...server, version }, () => client.start(), output, context.subscriptions);
  return { languageModelTools, mcp: registered ? { provider: MCP_PROVIDER_ID, socket: socket.path, ...server } : null };
}

/** The result id of a webview context menu's argument (the row's data-vscode-context), if it has one. */
function resultIdOf(arg: unknown): unknown {
  return ownFields(arg)?.('resultId');
}

/**
 * Reindex, from the palette or a button: when it finds nothing to do, says "the index is up to
 * date" rather than nothing (the status bar and sidebar say it too, from the folders' last refresh).
 */
async function reindexAndTell(controller: IndexController): Promise<void> {
  const folders = await controller.reindexAndWait();
  if (folders.length && folders.every((f) => f.lastRefresh && !f.lastRefresh.cancelled && f.lastRefresh.filesParsed === 0 && f.lastRefresh.filesRemoved === 0)) {
    void vscode.window.showInformationMessage('Code Scout: the index is up to date.');
  }
}

/** A one-line selection to start the search with. */
function selectedWord(): string {
  const editor = vscode.window.activeTextEditor;
  const text = editor?.document.getText(editor.selection) ?? '';
  return text.includes('\n') ? '' : text.trim();
}
