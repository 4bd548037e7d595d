#!/usr/bin/env bash
# Signs examples/hello/hello.wasm with the real wascap crate, as `wash claims
# sign` does, with fresh keys (their seeds are thrown away), for the claims
# package's TestWascapFixture: hello.wascap.wasm by wascap 0.15 (wasmCloud
# 1.x, no capabilities) and hello.wascap013.wasm by wascap 0.13 (with caps).
# Each .account file records the issuer's public key. Needs cargo and
# crates.io (or the crates in cargo's cache): it builds compat/wascap.
set -euo pipefail
cd "$(dirname "$0")/../.."
# rustup's cargo first: Debian's, which may come first on PATH, is too old.
cargo=${CARGO:-$(command -v "${CARGO_HOME:-$HOME/.cargo}/bin/cargo" || command -v cargo)}
target=${CARGO_TARGET_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/wasmhive/wascap-compat-target}
"$cargo" build --release --locked --manifest-path compat/wascap/Cargo.toml --target-dir "$target" --offline 2>/dev/null ||
  "$cargo" build --release --locked --manifest-path compat/wascap/Cargo.toml --target-dir "$target"
tool=$target/release/wascap-compat
out=claims/testdata
issuer() { sed -E 's/.*"issuer":"([A-Z0-9]+)".*/\1/'; }
"$tool" sign --name hello --tag fixture --ver 0.1.0 --rev 1 \
  examples/hello/hello.wasm "$out/hello.wascap.wasm" | issuer >"$out/hello.wascap.account"
"$tool" sign --legacy --name hello --tag fixture --ver 0.1.0 --rev 1 \
  --cap wasmcloud:keyvalue --cap wasmcloud:httpclient \
  examples/hello/hello.wasm "$out/hello.wascap013.wasm" | issuer >"$out/hello.wascap013.account"
"$tool" verify "$out/hello.wascap.wasm" >/dev/null
"$tool" verify --legacy "$out/hello.wascap013.wasm" >/dev/null
