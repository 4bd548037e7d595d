#!/usr/bin/env bash
# Rebuilds the `run` test guests. Needs Debian's clang lld wasi-libc
# libclang-rt-dev-wasm32 and wabt. --strip-debug drops wasi-libc's DWARF but
# keeps the name section, so stack traces name functions.
set -euo pipefail
cd "$(dirname "$0")"
clang --target=wasm32-wasi -O2 -Wl,--strip-debug -o cmd.wasm cmd.c
clang --target=wasm32-wasi -mexec-model=reactor -O2 -Wl,--strip-debug -o reactor.wasm reactor.c
for f in *.wat; do
  wat2wasm "$f" -o "${f%.wat}.wasm"
done
