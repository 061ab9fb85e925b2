#!/usr/bin/env bash
# Trains Code Scout's embedded code-embedding model end to end (see README.md beside this file):
# installs the Debian packages, mines (doc, code) pairs, trains, exports ONNX with int8 weights,
# checks the export with onnxruntime-node, evaluates on CoSQA dev and rewrites the tokenizer parity fixtures.
#
#   bash training/run.sh            full run (~1 h on 2 cores), writes models/codescout-code-v1/
#   bash training/run.sh --smoke    a few hundred files per language and 1 epoch (< 2 min once the
#                                   packages are installed), writes training/.work-smoke/model/
# Extra arguments go to `python3 -m codescout_train.pipeline` (e.g. --fresh, --epochs 12).
set -euo pipefail
cd "$(dirname "$0")"

smoke=false
for arg in "$@"; do [ "$arg" = --smoke ] && smoke=true; done
if $smoke; then
  packages=smoke-packages.txt work=.work-smoke model=.work-smoke/model
else
  packages=debian-packages.txt work=.work model=../models/codescout-code-v1
fi

# The python3 on PATH may be another interpreter: PyTorch comes from Debian's python3-torch.
PYTHON=/usr/bin/python3
if ! dpkg-query -W -f='${Status}\n' $(grep -v '^#' "$packages") 2>/dev/null | grep -qv '^install ok installed$' \
   && [ "$(dpkg-query -W $(grep -v '^#' "$packages") 2>/dev/null | wc -l)" -eq "$(grep -vc '^#' "$packages")" ]; then
  echo "Debian packages: all of $packages installed"
else
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(grep -v '^#' "$packages") >/dev/null
fi

# Mining runs the project's own chunker from the compiled engine. tsc emits even when some other file
# fails to type-check, so only a missing chunker module stops the run.
(cd .. && npx tsc -p tsconfig.test.json >/dev/null) || true
if [ ! -f ../out/src/engine/chunks/index.js ]; then
  echo "run.sh: the engine did not compile (out/src/engine/chunks/index.js is missing)" >&2
  exit 1
fi

# The exclusion list's matching (codescout_train/exclusions.py) and the export's arithmetic are checked before anything is mined.
$PYTHON -m unittest -q codescout_train.test_exclusions codescout_train.test_model codescout_train.test_hard_negatives

mkdir -p "$work"
$PYTHON -m codescout_train.pipeline --work "$work" --out "$model" "$@"
node verify-onnx.mjs "$model" "$work/onnx-check.json"
if ! $smoke; then
  $PYTHON -m codescout_train.parity_fixture --model "$model" --out ../test/fixtures/tokenizer-parity
fi
