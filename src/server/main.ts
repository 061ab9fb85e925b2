/**
 * The engine process: a child of the extension host that owns the indexes and answers the
 * extension over JSON-RPC on stdin/stdout (src/protocol/protocol.ts), the way a language
 * server does. Keeping the engine here means a native crash (hnswlib, onnxruntime) or a long
 * inference never freezes or kills the extension host; the extension restarts this process.
 */
import { createMessageConnection, ResponseError, ErrorCodes, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import {
  Cancel,
  Configure,
  Definitions,
  DefinitionsNamed,
  FilesChanged,
  FolderStatusChanged,
  Log,
  Reindex,
  Related,
  Search,
  Shutdown,
  Similar,
  Status,
} from '../protocol/protocol';
import { UnknownFolderError, Workspace } from './workspace';

// stdout carries the protocol: anything else printed there would corrupt it.
console.log = console.info = console.error;

const connection = createMessageConnection(new StreamMessageReader(process.stdin), new StreamMessageWriter(process.stdout));

const workspace = new Workspace({
  status: (status) => void connection.sendNotification(FolderStatusChanged, status),
  log: (message) => void connection.sendNotification(Log, { message }),
});

/** Wraps a handler so that an unknown folder is a clear request error rather than an internal one. */
function answering<P, R>(handler: (params: P) => R | Promise<R>): (params: P) => Promise<R> {
  return async (params) => {
    try {
      return await handler(params);
    } catch (err) {
      if (err instanceof UnknownFolderError) throw new ResponseError(ErrorCodes.InvalidParams, err.message);
      throw err;
    }
  };
}

connection.onRequest(Configure, answering((p) => workspace.configure(p)));
connection.onRequest(Search, answering((p) => workspace.query('search', p)));
connection.onRequest(Similar, answering((p) => workspace.query('similar', p)));
connection.onRequest(Related, answering((p) => workspace.related(p)));
connection.onRequest(Definitions, answering((p) => workspace.definitions(p)));
connection.onRequest(DefinitionsNamed, answering((p) => workspace.definitionsNamed(p)));
connection.onRequest(Status, answering((p) => workspace.report(p.root)));
connection.onRequest(Reindex, answering((p) => workspace.reindex(p.root)));
connection.onRequest(
  Cancel,
  answering((p) => workspace.select(p.root).forEach((f) => f.cancel())),
);
connection.onNotification(FilesChanged, (p) => {
  try {
    workspace.get(p.root).filesChanged(p.paths);
  } catch (err) {
    if (!(err instanceof UnknownFolderError)) throw err; // a folder removed while its changes were in flight
  }
});

/** Like a language server's: closes every index (saving checkpoints) and answers; the process exits when its stdin closes. */
connection.onRequest(Shutdown, () => workspace.close());
// The extension host ended the connection, or went away: nothing is left to serve.
connection.onClose(() => {
  workspace.close().then(
    () => process.exit(0),
    (err: Error) => {
      console.error(`codescout engine: closing the indexes failed: ${err.message}`);
      process.exit(1);
    },
  );
});
connection.listen();
