#!/usr/bin/env bash
# Rebuilds the memory test guests (memgrow: `run` grows to its cap; touch
# and spin: the engine's memory tests; wagi_hog: `serve` and `up` under
# their default memory cap). Needs wabt (wat2wasm) and Debian's clang lld
# wasi-libc libclang-rt-dev-wasm32.
set -euo pipefail
cd "$(dirname "$0")"
for f in *.wat; do
  wat2wasm "$f" -o "${f%.wat}.wasm"
done
clang --target=wasm32-wasi -O2 -Wl,--strip-debug -o wagi_hog.wasm wagi_hog.c
