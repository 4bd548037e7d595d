#!/usr/bin/env bash
# Rebuilds the test modules from their text (wabt's wat2wasm, Debian's
# wabt 1.0.32); the output is the same on every run.
set -euo pipefail
cd "$(dirname "$0")"
for f in broken/*.wat; do
  wat2wasm -o "${f%.wat}.wasm" "$f"
done
