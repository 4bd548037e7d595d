#!/usr/bin/env bash
# Rebuilds handler.wasm, the wasi:http/proxy component the tests serve
# (the tests only read the committed .wasm): handler.c (clang, no libc,
# the Canonical ABI by hand) embedded with wit/handler.wit, whose WASI
# 0.2.4 dependencies are the repository's wit/deps, and made a component
# by wasm-tools.
# Needs Debian's clang (wasm32-wasi) and wasm-tools (cargo install
# wasm-tools --locked, or WASM_TOOLS=path). Tested with clang 14.0.6 and
# wasm-tools 1.263.0.
set -euo pipefail
cd "$(dirname "$0")"
WASM_TOOLS=${WASM_TOOLS:-wasm-tools}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

mkdir -p "$tmp/wit/deps"
cp wit/handler.wit "$tmp/wit/"
for p in cli clocks filesystem http io random sockets; do
  cp -r "../../wit/deps/$p" "$tmp/wit/deps/$p"
done
clang --target=wasm32-wasi -O2 -nostdlib -Wl,--no-entry -Wl,--strip-all -o "$tmp/handler.core.wasm" handler.c
"$WASM_TOOLS" component embed "$tmp/wit" --world handler "$tmp/handler.core.wasm" -o "$tmp/handler.embed.wasm"
"$WASM_TOOLS" component new "$tmp/handler.embed.wasm" -o handler.wasm
"$WASM_TOOLS" validate --features all handler.wasm
