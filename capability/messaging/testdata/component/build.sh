#!/usr/bin/env bash
# Rebuilds messaging.wasm, the component component_test.go instantiates (the tests
# only read the committed messaging.wasm): messaging.c compiled by Debian's clang (no libc)
# and made a component of world messaging (messaging.wit) by wasm-tools, against the
# wasmcloud:messaging WIT the platform ships (wit/deps/messaging).
# Needs clang with the wasm32 target and wasm-tools (cargo install
# wasm-tools --locked, or WASM_TOOLS=path); tested with wasm-tools 1.263.0.
set -euo pipefail
cd "$(dirname "$0")"
WASM_TOOLS=${WASM_TOOLS:-wasm-tools}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

mkdir -p "$tmp/wit/deps"
cp messaging.wit "$tmp/wit/"
cp -r ../../../../wit/deps/messaging "$tmp/wit/deps/"
clang --target=wasm32-wasi -O2 -nostdlib -Wall -Wl,--no-entry -Wl,--strip-all -o "$tmp/messaging.core.wasm" messaging.c
"$WASM_TOOLS" component embed "$tmp/wit" --world messaging "$tmp/messaging.core.wasm" -o "$tmp/messaging.embed.wasm"
"$WASM_TOOLS" component new "$tmp/messaging.embed.wasm" -o messaging.wasm
"$WASM_TOOLS" validate --features all messaging.wasm
