#!/usr/bin/env bash
# Rebuilds hello.wasm from hello.c. Needs Debian's clang lld wasi-libc
# libclang-rt-dev-wasm32.
set -euo pipefail
cd "$(dirname "$0")"
clang --target=wasm32-wasi -O2 -Wl,--strip-debug -o hello.wasm hello.c
