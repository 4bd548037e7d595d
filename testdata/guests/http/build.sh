#!/usr/bin/env bash
# Rebuilds the committed C and WAT guests of the HTTP trigger and the instance pool.
# Needs Debian's clang lld wasi-libc libclang-rt-dev-wasm32 wabt.
set -euo pipefail
cd "$(dirname "$0")"
for c in wagi_hello wagi_echo wagi_bad wagi_memory; do
  clang --target=wasm32-wasi -O2 -o "$c.wasm" "$c.c"
done
clang --target=wasm32-wasi -O2 -mexec-model=reactor -o reactor.wasm reactor.c
clang --target=wasm32-wasi -O2 -mexec-model=reactor -o handler_c.wasm handler_c.c
wat2wasm bad_import.wat -o bad_import.wasm
