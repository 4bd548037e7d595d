#!/usr/bin/env bash
# Rebuilds the hand-written keyvalue test modules (the Go guest main.go is
# built on the fly by the tests). Needs wabt (wat2wasm).
set -euo pipefail
cd "$(dirname "$0")"
for f in *.wat; do
  wat2wasm "$f" -o "${f%.wat}.wasm"
done
