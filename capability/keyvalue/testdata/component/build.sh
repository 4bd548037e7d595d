#!/usr/bin/env bash
# Rebuilds kv.wasm, the component component_test.go instantiates (the tests
# only read the committed kv.wasm): kv.c compiled by Debian's clang (no libc)
# and made a component of world kv (kv.wit) by wasm-tools, against the
# wasi:keyvalue WIT the platform ships (wit/deps/keyvalue).
# Needs clang with the wasm32 target and wasm-tools (cargo install
# wasm-tools --locked, or WASM_TOOLS=path); tested with wasm-tools 1.263.0.
set -euo pipefail
cd "$(dirname "$0")"
WASM_TOOLS=${WASM_TOOLS:-wasm-tools}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

mkdir -p "$tmp/wit/deps"
cp kv.wit "$tmp/wit/"
cp -r ../../../../wit/deps/keyvalue "$tmp/wit/deps/"
clang --target=wasm32-wasi -O2 -nostdlib -Wall -Wl,--no-entry -Wl,--strip-all -o "$tmp/kv.core.wasm" kv.c
"$WASM_TOOLS" component embed "$tmp/wit" --world kv "$tmp/kv.core.wasm" -o "$tmp/kv.embed.wasm"
"$WASM_TOOLS" component new "$tmp/kv.embed.wasm" -o kv.wasm
"$WASM_TOOLS" validate --features all kv.wasm
