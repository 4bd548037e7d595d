#!/usr/bin/env bash
# Rebuilds the private directory test guest (C, wasi-libc).
set -euo pipefail
cd "$(dirname "$0")"
clang --target=wasm32-wasi -O2 -Wall -Wno-unused-result -o privatedir.wasm privatedir.c
