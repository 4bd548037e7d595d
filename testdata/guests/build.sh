#!/usr/bin/env bash
# Rebuilds the committed C and WAT test guests (the .wasm files beside their
# sources). Go guests are built on the fly by tests (internal/testguest).
# Needs Debian's clang lld wasi-libc libclang-rt-dev-wasm32 wabt.
set -euo pipefail
cd "$(dirname "$0")"
for script in */build.sh; do
  echo "== $script"
  bash "$script"
done
