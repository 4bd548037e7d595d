#!/usr/bin/env bash
# Rebuilds probe.wasm (the tests only read the committed file): probe.c with
# Debian's clang (wasm32, no libc), embedded with world.wit and the WASI
# 0.2.4 WIT of wit/testdata/wasi/deps, made a component by wasm-tools
# (cargo install wasm-tools --locked, or WASM_TOOLS=path; tested with 1.263.0).
set -euo pipefail
cd "$(dirname "$0")"
WASM_TOOLS=${WASM_TOOLS:-wasm-tools}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/wit"
cp world.wit "$tmp/wit/"
cp -r ../../../wit/testdata/wasi/deps "$tmp/wit/deps"
clang --target=wasm32-wasi -O2 -nostdlib -ffreestanding -fno-builtin -Wl,--no-entry -Wl,--strip-all -o "$tmp/probe.core.wasm" probe.c
"$WASM_TOOLS" component embed "$tmp/wit" --world probe "$tmp/probe.core.wasm" -o "$tmp/probe.embed.wasm"
"$WASM_TOOLS" component new "$tmp/probe.embed.wasm" -o probe.wasm
"$WASM_TOOLS" validate --features all probe.wasm
