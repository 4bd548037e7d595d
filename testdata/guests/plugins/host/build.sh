#!/usr/bin/env bash
# Rebuilds the hand-written Extism host test plugins. Needs wabt (wat2wasm).
set -euo pipefail
cd "$(dirname "$0")"
for f in *.wat; do
  wat2wasm "$f" -o "${f%.wat}.wasm"
done
