#!/usr/bin/env node
// The `codescout` command: the esbuild bundle of src/cli/main.ts (built by `npm ci` / `npm run build`).
require("../dist/cli.js");
