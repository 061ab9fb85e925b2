/**
 * The few values of the `vscode` module that the engine client and the sidebar's host side use
 * (EventEmitter; the window's messages, which answer with the buttons a test queues, and the
 * clipboard, which it records; `Uri.joinPath`; commands, which it records and does not run), registered as `require('vscode')` so that
 * src/extension/engine-client.ts and src/extension/sidebar/sidebar-view.ts run in a plain Node
 * test. Load the module under test after {@link installVscodeStub}, with require().
 */
import Module from 'node:module';

export interface VscodeStub {
  /** the messages shown, as `level: text` */
  readonly messages: string[];
  /** what was written to the clipboard, in order */
  readonly clipboard: string[];
  /** the workspace's folders (`workspace.workspaceFolders`) and its settings by section (`workspace.getConfiguration(section).get(key)`), for a test to set */
  readonly workspace: { workspaceFolders: { uri: { fsPath: string; scheme: string }; name: string; index: number }[]; settings: Map<string, Map<string, unknown>> };
  /** progress notifications (`window.withProgress`): how many were opened and how many have ended */
  readonly progress: { opened: number; closed: number };
  /** `window.activeTextEditor`, for a test to set (the editor events never fire) */
  readonly editors: { active: unknown };
  /** buttons for the next messages to answer with, for a test to queue: a message takes the first when it offers it */
  readonly choices: string[];
  /** the commands run through `commands.executeCommand`, by id */
  readonly commandsRun: string[];
}

class EventEmitter<T> {
  private readonly listeners = new Set<(value: T) => void>();
  readonly event = (listener: (value: T) => void) => {
    this.listeners.add(listener);
    return { dispose: () => void this.listeners.delete(listener) };
  };
  fire(value: T): void {
    for (const listener of [...this.listeners]) listener(value);
  }
  dispose(): void {
    this.listeners.clear();
  }
}

let installed: VscodeStub | undefined;

export function installVscodeStub(): VscodeStub {
  if (installed) return installed;
  const messages: string[] = [];
  const choices: string[] = [];
  const commandsRun: string[] = [];
  const shown = (level: string) => (text: string, ...buttons: string[]) => {
    messages.push(`${level}: ${text}`);
    return Promise.resolve(choices.length && buttons.includes(choices[0]) ? choices.shift() : undefined);
  };
  const clipboard: string[] = [];
  const workspace: VscodeStub['workspace'] = { workspaceFolders: [], settings: new Map() };
  const progress = { opened: 0, closed: 0 };
  const editors: VscodeStub['editors'] = { active: undefined };
  const withProgress = (_options: unknown, task: (report: unknown, token: unknown) => Promise<unknown>) => {
    progress.opened++;
    const done = task({ report() {} }, { onCancellationRequested: () => ({ dispose() {} }) });
    void done.finally(() => progress.closed++);
    return done;
  };
  const exports = {
    EventEmitter,
    LogLevel: { Off: 0, Trace: 1, Debug: 2, Info: 3, Warning: 4, Error: 5 },
    ProgressLocation: { SourceControl: 1, Window: 10, Notification: 15 },
    workspace: {
      get workspaceFolders() {
        return workspace.workspaceFolders;
      },
      getConfiguration: (section: string) => ({ get: (key: string) => workspace.settings.get(section)?.get(key) }),
      registerTextDocumentContentProvider: () => ({ dispose() {} }),
    },
    window: {
      showErrorMessage: shown('error'),
      showWarningMessage: shown('warning'),
      showInformationMessage: shown('info'),
      setStatusBarMessage: () => ({ dispose() {} }),
      withProgress,
      get activeTextEditor() {
        return editors.active;
      },
      onDidChangeTextEditorSelection: () => ({ dispose() {} }),
      onDidChangeActiveTextEditor: () => ({ dispose() {} }),
    },
    env: { clipboard: { writeText: async (text: string) => void clipboard.push(text) } },
    commands: { executeCommand: async (id: string) => void commandsRun.push(id) },
    Uri: { joinPath: (base: { fsPath: string }, ...parts: string[]) => ({ fsPath: [base.fsPath, ...parts].join('/') }), from: (parts: { scheme: string; path: string }) => ({ ...parts }) },
  };
  const loader = Module as unknown as { _resolveFilename(request: string, ...rest: unknown[]): string };
  const resolve = loader._resolveFilename;
  loader._resolveFilename = function (request: string, ...rest: unknown[]) {
    return request === 'vscode' ? 'vscode' : resolve.call(this, request, ...rest);
  };
  const module = new Module('vscode');
  module.exports = exports;
  module.loaded = true;
  require.cache.vscode = module;
  return (installed = { messages, clipboard, workspace, progress, editors, choices, commandsRun });
}
