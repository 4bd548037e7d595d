#!/usr/bin/env bash
# Rebuilds the pipeline's guests, byte for byte the same on every run:
#   receiver.wasm     the HTTP receiver (receiver/receiver.c), version 1:
#                     Debian's clang lld wasi-libc libclang-rt-dev-wasm32,
#                     with pdk/c/wasmhive.h
#   receiver-v2.wasm  the same receiver built as version 2, to hot swap
#   kv-sender.wasm    the keyvalue sender (kv-sender/kv_sender.rs): Debian's
#                     rustc 1.63 and libstd-rust-dev-wasm32 (/usr/bin/rustc,
#                     not a rustup toolchain: it has the wasm32-wasi std)
set -euo pipefail
cd "$(dirname "$0")"
for v in 1 2; do
  out=receiver.wasm
  [ "$v" = 1 ] || out=receiver-v$v.wasm
  clang --target=wasm32-wasi -O2 -Wall -Wextra -mexec-model=reactor -I../../pdk/c \
    -DRECEIVER_VERSION="$v" -Wl,--export=handle_http -Wl,--strip-debug \
    -o "$out" receiver/receiver.c
done
/usr/bin/rustc --target wasm32-wasi --crate-type cdylib -O -C strip=debuginfo \
  -o kv-sender.wasm kv-sender/kv_sender.rs
