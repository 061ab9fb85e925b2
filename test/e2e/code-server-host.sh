#!/bin/sh
# The "VS Code executable" handed to @vscode/test-electron's runTests: it runs the compiled
# launcher (test/e2e/launcher.ts), which starts code-server and a headless browser instead.
exec node "$(dirname "$0")/../../out/test/e2e/launcher.js" "$@"
