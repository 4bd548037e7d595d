#!/usr/bin/env bash
# Rebuilds the committed benchmark guest hello.wasm (a small C command).
# The Go hello (gohello/) is built on the fly by the benchmarks, and the big
# generated module (big/gen.go) by bench/cli-start.sh: at ~22 MB it is not
# committed.
set -euo pipefail
cd "$(dirname "$0")"
clang --target=wasm32-wasi -O2 -o hello.wasm hello.c
