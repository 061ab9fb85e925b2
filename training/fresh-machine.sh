#!/usr/bin/env bash
# Runs `bash training/run.sh` on a fresh machine and compares its model with the one in the repository.
#
#   sudo bash training/fresh-machine.sh [ROOT]      (ROOT: an empty folder, default /var/tmp/codescout-fresh)
#
# "Fresh machine" is a new Debian 12 root made with debootstrap, as a new machine of the project's
# kind starts: Debian's minimal base plus git, python3, make and g++, and this machine's Node.js and
# npm (registered with dpkg as installed, as they are on such a machine, so that apt does not replace
# them with Debian's older nodejs). Nothing of the training's Debian packages, no PyTorch, no
# node_modules. The repository's committed HEAD is cloned into it, with ../shared beside it; then
# `npm ci` and `bash training/run.sh` run inside it (timed), and the result is compared with the
# committed model: byte for byte, and by the CoSQA dev figures of training/.work/metrics.json.
# The new root keeps its output (ROOT/root/ci/main); nothing in this checkout is changed.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
root=${1:-/var/tmp/codescout-fresh}
shared=$(cd .. && pwd)/shared

[ "$(id -u)" = 0 ] || { echo "fresh-machine.sh: run as root (debootstrap, chroot)" >&2; exit 2; }
[ -f "$shared/eval/cosqa/corpus.json" ] || { echo "fresh-machine.sh: no ../shared/eval/cosqa (needed by training)" >&2; exit 2; }
if [ -e "$root" ] && [ -n "$(ls -A "$root" 2>/dev/null)" ]; then
  echo "fresh-machine.sh: $root is not empty; give an empty or new folder" >&2
  exit 2
fi

mounted=()
cleanup() { for m in "${mounted[@]}"; do umount -l "$m" 2>/dev/null || true; done; }
trap cleanup EXIT

log() { echo "[$(date -u +%H:%M:%S)] $*"; }

command -v debootstrap >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
log "debootstrap into $root"
mkdir -p "$root"
debootstrap --variant=minbase --include=ca-certificates,git,python3,make,g++ bookworm "$root" \
  http://deb.debian.org/debian >"$root.debootstrap.log" 2>&1

# The machine's apt sources, name resolution and certificate authorities (the registry is reached through them).
rm -f "$root/etc/apt/sources.list"
cp /etc/apt/sources.list.d/*.sources "$root/etc/apt/sources.list.d/" 2>/dev/null || cp /etc/apt/sources.list "$root/etc/apt/"
cp /etc/resolv.conf "$root/etc/resolv.conf"
cp -a /usr/local/share/ca-certificates/. "$root/usr/local/share/ca-certificates/" 2>/dev/null || true
cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt"

# Node.js and npm as this machine has them, known to dpkg as the package that provides them.
node_bin=$(command -v node)
npm_dir=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")
mkdir -p "$root/usr/lib/node_modules" "$root/usr/include"
cp "$node_bin" "$root/usr/bin/node"
cp -a "$npm_dir" "$root/usr/lib/node_modules/npm"
ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/bin/npm"
ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/bin/npx"
[ -d /usr/include/node ] && cp -a /usr/include/node "$root/usr/include/"
[ -f ~/.npmrc ] && cp ~/.npmrc "$root/root/.npmrc"
owner=$(dpkg -S "$node_bin" 2>/dev/null | cut -d: -f1 || true)
if [ -n "$owner" ]; then
  { echo; dpkg -s "$owner"; } >>"$root/var/lib/dpkg/status"
  cp /var/lib/dpkg/info/"$owner".list "$root/var/lib/dpkg/info/" 2>/dev/null || true
  log "registered $owner $(dpkg-query -W -f='${Version}' "$owner") with the new root's dpkg"
fi

for m in proc sys dev dev/pts; do mount --bind "/$m" "$root/$m"; mounted=("$root/$m" "${mounted[@]}"); done

mkdir -p "$root/root/ci"
git clone -q "$repo" "$root/root/ci/main"
cp -a "$shared" "$root/root/ci/shared"
commit=$(git -C "$root/root/ci/main" rev-parse --short HEAD)
log "clone of $commit; node $(chroot "$root" node --version), npm $(chroot "$root" npm --version 2>/dev/null), $(chroot "$root" dpkg -l | grep -c '^ii') Debian packages"

chroot "$root" bash -lc 'cd /root/ci/main && ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund >/dev/null 2>&1'
log "npm ci done; bash training/run.sh"
start=$(date +%s)
chroot "$root" bash -lc 'cd /root/ci/main && bash training/run.sh' 2>&1 | tee "$root.run.log"
elapsed=$(( $(date +%s) - start ))
log "training/run.sh took $((elapsed / 60)) min $((elapsed % 60)) s; $(chroot "$root" dpkg -l | grep -c '^ii') Debian packages now"

new=$root/root/ci/main
if cmp -s "$new/models/codescout-code-v1/model.onnx" models/codescout-code-v1/model.onnx; then
  log "model.onnx: identical to the committed one"
else
  log "model.onnx: differs from the committed one"
fi
/usr/bin/python3 - "$new/training/.work/metrics.json" training/.work/metrics.json <<'EOF'
import json, sys
fresh = json.load(open(sys.argv[1]))["cosqa_dev"]
try:
    here = json.load(open(sys.argv[2]))["cosqa_dev"]
except OSError:
    here = None
for name, m in fresh.items():
    line = f"CoSQA dev {name:>12}: MRR {m['mrr']:.3f}  R@1 {m['r@1']:.3f}  R@10 {m['r@10']:.3f}"
    if here and name in here:
        line += f"   (this checkout's last run: MRR {here[name]['mrr']:.3f})"
    print(line)
EOF
echo "The fresh run's model folder: $new/models/codescout-code-v1 (clean report: $new/training/.work/clean-report.json)"
