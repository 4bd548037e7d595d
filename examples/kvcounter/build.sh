#!/usr/bin/env bash
# Rebuilds the three kvcounter guests, byte for byte the same on every run:
#   kvcounter.wasm            the Go handler (go/), what the app manifest runs:
#                             the Go toolchain of go.mod, -trimpath, no VCS stamp
#   c/kvcounter-c.wasm        the C twin: Debian's clang lld wasi-libc
#                             libclang-rt-dev-wasm32, with pdk/c/wasmhive.h
#   rust/kvcounter-rust.wasm  the Rust twin: Debian's rustc 1.63 and
#                             libstd-rust-dev-wasm32 (/usr/bin/rustc, not a
#                             rustup toolchain: it has the wasm32-wasi std)
set -euo pipefail
cd "$(dirname "$0")"
GOOS=wasip1 GOARCH=wasm CGO_ENABLED=0 go build -trimpath -buildvcs=false -buildmode=c-shared -o kvcounter.wasm ./go
(
  cd c
  clang --target=wasm32-wasi -O2 -Wall -Wextra -mexec-model=reactor -I../../../pdk/c \
    -Wl,--export=handle_http -Wl,--strip-debug -o kvcounter-c.wasm kvcounter.c
)
(
  cd rust
  /usr/bin/rustc --target wasm32-wasi --crate-type cdylib -O -C strip=debuginfo \
    -o kvcounter-rust.wasm kvcounter.rs
)
