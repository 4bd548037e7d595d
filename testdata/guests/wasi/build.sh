#!/usr/bin/env bash
# Rebuilds the WASI preview 1 test guests (C, wasi-libc).
set -euo pipefail
cd "$(dirname "$0")"
clang --target=wasm32-wasi -O2 -Wall -Wno-unused-result -o checks.wasm checks.c
wat2wasm hello.wat -o hello.wasm
