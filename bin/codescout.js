#!/usr/bin/env node
// The `codescout` command: the esbuild bundle of src/cli/main.ts (built by `npm ci` / `npm run build`).
// A command that opens an index first starts the thread that reads it ahead (src/cli/start.ts, a
// bundle of Node's modules only), so that the thread boots while the larger bundle is compiled;
// without that bundle (a partial build) the CLI starts the thread itself, later.
const argv = process.argv.slice(2);
let started;
try {
  started = require("../dist/cli-start.js").startAheadThread(argv);
} catch {
  started = undefined;
}
require("../dist/cli.js").runCli(argv, started);
