/**
 * vscode-jsonrpc publishes its Node entry point only through package.json "exports"
 * ('vscode-jsonrpc/node'), which the project's `moduleResolution: node` does not read.
 * This maps the import to the same declarations; at run time Node and esbuild resolve the
 * "exports" entry as usual.
 */
declare module 'vscode-jsonrpc/node' {
  export * from 'vscode-jsonrpc/lib/node/main';
}
