#!/usr/bin/env bash
# Rebuilds the link benchmark's guests beside their sources, byte for byte
# the same on every run (Debian's clang, lld, wasi-libc and
# libclang-rt-dev-wasm32, with pdk/c/wasmhive.h):
#   callee.wasm  the link's target: exports bench:echo/api#echo
#   caller.wasm  the importer: exports run_link, run_host, run_plain
# -mbulk-memory makes run_plain's memcpy one memory.copy instruction (a
# copy at the engine's speed, as the host's copies are) instead of
# wasi-libc's byte-and-word loop, so that the plain call's baseline
# measures a call and a copy, not a slow copy.
set -euo pipefail
cd "$(dirname "$0")"
for g in callee caller; do
  clang --target=wasm32-wasi -O2 -Wall -Wextra -mexec-model=reactor -mbulk-memory -I../../../pdk/c \
    -Wl,--strip-debug -o "$g.wasm" "$g.c"
done
