#!/usr/bin/env bash
# Rebuilds the hand-written limits test modules (the Go guests in kv/,
# http/ and msg/ are built on the fly by the tests). Needs wabt (wat2wasm).
set -euo pipefail
cd "$(dirname "$0")"
for f in *.wat; do
  wat2wasm "$f" -o "${f%.wat}.wasm"
done
