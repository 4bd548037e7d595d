#!/usr/bin/env bash
# Rebuilds the committed C, WAT and AssemblyScript test guests (the .wasm
# files beside their sources) by running every build.sh below this folder,
# however deep (node_modules/ excluded). Go guests are built on the fly by
# tests (internal/testguest).
# Needs Debian's clang lld wasi-libc libclang-rt-dev-wasm32 wabt, and node
# and npm for the scripts that use npm (they are skipped, with a message,
# when npm is not installed).
set -euo pipefail
cd "$(dirname "$0")"
scripts=()
while IFS= read -r script; do
  scripts+=("$script")
done < <(find . -name node_modules -prune -o -mindepth 2 -name build.sh -print | sort)
for script in "${scripts[@]}"; do
  script=${script#./}
  if grep -qw npm "$script" && ! command -v npm >/dev/null; then
    echo "== $script: skipped (needs npm, which is not installed)" >&2
    continue
  fi
  echo "== $script"
  bash "$script"
done
