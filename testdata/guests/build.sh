#!/usr/bin/env bash
# Rebuilds every committed guest of the repository (the .wasm files beside
# their sources: test guests, examples, fixtures) by running every build.sh
# of the repository but this one, however deep (node_modules/ excluded). Go
# test guests are built on the fly by tests (internal/testguest); the Go
# kvcounter example is committed and rebuilt here.
# Needs Go, Debian's clang lld wasi-libc libclang-rt-dev-wasm32 wabt rustc
# libstd-rust-dev-wasm32, and node and npm for the scripts that use npm
# (they are skipped, with a message, when npm is not installed).
set -euo pipefail
cd "$(dirname "$0")/../.."
scripts=()
while IFS= read -r script; do
  scripts+=("$script")
done < <(find . -name node_modules -prune -o -name build.sh -print | grep -v '^./testdata/guests/build.sh$' | sort)
for script in "${scripts[@]}"; do
  script=${script#./}
  if grep -qw npm "$script" && ! command -v npm >/dev/null; then
    echo "== $script: skipped (needs npm, which is not installed)" >&2
    continue
  fi
  echo "== $script"
  bash "$script"
done
