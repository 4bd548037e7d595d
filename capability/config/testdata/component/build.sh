#!/usr/bin/env bash
# Rebuilds config.wasm, the component component_test.go instantiates (the tests
# only read the committed config.wasm): config.c compiled by Debian's clang (no libc)
# and made a component of world config (config.wit) by wasm-tools, against the
# wasi:config WIT the platform ships (wit/deps/config).
# Needs clang with the wasm32 target and wasm-tools (cargo install
# wasm-tools --locked, or WASM_TOOLS=path); tested with wasm-tools 1.263.0.
set -euo pipefail
cd "$(dirname "$0")"
WASM_TOOLS=${WASM_TOOLS:-wasm-tools}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

mkdir -p "$tmp/wit/deps"
cp config.wit "$tmp/wit/"
cp -r ../../../../wit/deps/config "$tmp/wit/deps/"
clang --target=wasm32-wasi -O2 -nostdlib -Wall -Wl,--no-entry -Wl,--strip-all -o "$tmp/config.core.wasm" config.c
"$WASM_TOOLS" component embed "$tmp/wit" --world config "$tmp/config.core.wasm" -o "$tmp/config.embed.wasm"
"$WASM_TOOLS" component new "$tmp/config.embed.wasm" -o config.wasm
"$WASM_TOOLS" validate --features all config.wasm
