#!/usr/bin/env bash
# Rebuilds the committed test guests of wasmhive.h (testdata/*.wasm, run by
# header_test.go), byte for byte the same on every run. Needs Debian's clang
# lld wasi-libc libclang-rt-dev-wasm32.
set -euo pipefail
cd "$(dirname "$0")/testdata"
for c in kv msg http cfglog; do
  clang --target=wasm32-wasi -O2 -Wall -Wextra -Werror -mexec-model=reactor -I.. \
    -Wl,--strip-debug -o "$c.wasm" "$c.c"
done
