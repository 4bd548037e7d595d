#!/usr/bin/env bash
# Rebuilds add.wasm, the large (~12 MB) componentize-js component of the
# cold-compile benchmark: add.js (exporting add) built for wit/add.wit's
# adder world. Needs node and npm (npm registry reachable); installs the
# pinned componentize-js under a temporary directory (nothing under this
# directory: node_modules is never committed).
set -euo pipefail
cd "$(dirname "$0")"
VERSION=0.23.0
tmp=${CJS_DIR:-$(mktemp -d)}
if [ ! -x "$tmp/node_modules/.bin/componentize-js" ]; then
  (cd "$tmp" && npm init -y >/dev/null && npm install --no-audit --no-fund "@bytecodealliance/componentize-js@$VERSION" >/dev/null)
fi
# wasi:http is disabled, as it was when the benchmark's figures began (wasmhive had no
# wasi:http then; it runs the default build now, see README.md), so that they compare.
"$tmp/node_modules/.bin/componentize-js" add.js --wit wit --world-name adder --disable http fetch-event -o add.wasm
ls -l add.wasm
