#!/usr/bin/env bash
# Checks wasmhive.h: compiles testdata/check.c (which calls every helper) as C11 and
# C++ with every warning an error, then checks the module imports each
# capability function of docs/capabilities.md under its module name. Builds
# nothing that is committed. Needs Debian's clang lld wasi-libc
# libclang-rt-dev-wasm32 wabt.
set -euo pipefail
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
flags=(--target=wasm32-wasi -O2 -Wall -Wextra -Werror)
clang "${flags[@]}" -I. -std=c11 -pedantic -mexec-model=reactor -o "$tmp/check.wasm" testdata/check.c
clang "${flags[@]}" -I. -x c++ -std=c++17 -fsyntax-only testdata/check.c
# "module.name (params) -> results" for every import.
imports=$(wasm-objdump -x "$tmp/check.wasm" | awk '
  /^ - type\[/ { t = $2; sub(/^type\[/, "", t); sub(/\]$/, "", t); s = $0; sub(/^ - type\[[0-9]+\] /, "", s); sig[t] = s }
  / <- / { n = $3; sub(/^sig=/, "", n); m = $NF; print m, sig[n] }' | sort)
want="wasmhive:config/store.get
wasmhive:config/store.get_all
wasmhive:http/outgoing.request
wasmhive:keyvalue/atomics.compare_and_swap
wasmhive:keyvalue/atomics.increment
wasmhive:keyvalue/batch.delete_many
wasmhive:keyvalue/batch.get_many
wasmhive:keyvalue/batch.set_many
wasmhive:keyvalue/store.delete
wasmhive:keyvalue/store.exists
wasmhive:keyvalue/store.get
wasmhive:keyvalue/store.list_keys
wasmhive:keyvalue/store.set
wasmhive:logging/logging.log
wasmhive:messaging/producer.publish
wasmhive:messaging/producer.request"
got=$(grep '^wasmhive:' <<<"$imports" | grep -v '^wasmhive:host/' | cut -d' ' -f1 || true)
if [ "$got" != "$want" ]; then
  echo "capability imports differ from docs/capabilities.md:" >&2
  diff <(echo "$want") <(echo "$got") >&2 || true
  exit 1
fi
if grep -q '^wasi_snapshot_preview1' <<<"$imports"; then
  echo "wasmhive.h made the module import WASI:" >&2
  grep '^wasi_snapshot_preview1' <<<"$imports" >&2
  exit 1
fi
# The signatures: every capability import takes i64 handles and returns one.
bad=$(grep '^wasmhive:' <<<"$imports" | grep -v '^wasmhive:host/' | grep -Ev ' \(((i64, )*i64)?\) -> i64$' || true)
if [ -n "$bad" ]; then
  echo "capability imports with another signature than i64 handles -> i64:" >&2
  echo "$bad" >&2
  exit 1
fi
echo "wasmhive.h: ok ($(grep -c . <<<"$got") capability imports)"
