#!/usr/bin/env bash
# Rebuilds the `wasmhive inspect` test guests. Needs wabt (wat2wasm) and
# Debian's clang lld wasi-libc libclang-rt-dev-wasm32.
set -euo pipefail
cd "$(dirname "$0")"

# custom NAME PAYLOAD FILE: appends a custom section (both strings < 100 bytes).
custom() {
  local name=$1 payload=$2 file=$3
  local size=$(( 1 + ${#name} + ${#payload} ))
  printf "\\x00\\x$(printf %02x "$size")\\x$(printf %02x "${#name}")%s%s" "$name" "$payload" >>"$file"
}

wat2wasm --debug-names kinds.wat -o kinds.wasm
# An empty custom section, not last: wazero v1.12 rejects a module whose last
# section is an empty custom section (io.EOF reading its zero-byte payload).
custom empty "" kinds.wasm
custom wasmhive.note "inspect me" kinds.wasm
wat2wasm library.wat -o library.wasm
wat2wasm unstable.wat -o unstable.wasm
wat2wasm --enable-multi-memory --enable-memory64 --enable-threads memories.wat -o memories.wasm
wat2wasm --enable-exceptions tags.wat -o tags.wasm
clang --target=wasm32-wasi -O2 -Wl,--strip-debug -o hello.wasm hello.c
clang --target=wasm32-wasi -O2 -mexec-model=reactor -Wl,--strip-debug -o calc.wasm calc.c
