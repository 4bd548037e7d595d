#!/usr/bin/env bash
# Rebuilds dbg.wasm, a `run` test guest with DWARF (-g). Needs Debian's clang
# lld wasi-libc libclang-rt-dev-wasm32.
set -euo pipefail
cd "$(dirname "$0")"
clang --target=wasm32-wasi -O1 -g -fdebug-prefix-map="$PWD"=/src -o dbg.wasm dbg.c
