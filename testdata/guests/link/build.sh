#!/usr/bin/env bash
# Rebuilds the module-linking test guests. Needs wabt (wat2wasm).
set -euo pipefail
cd "$(dirname "$0")"
for f in *.wat; do
  wat2wasm "$f" -o "${f%.wat}.wasm"
done
