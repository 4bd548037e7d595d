#!/usr/bin/env bash
# Rebuilds the components component_test.go instantiates (the tests only
# read the committed .wasm files):
#   logging.wasm              logging.c compiled by Debian's clang (no libc) and made
#                             a component of world logging (logging.wit) by wasm-tools,
#                             against the wasi:logging WIT the platform ships
#                             (wit/deps/logging)
#   logging-unversioned.wasm  the same importing wasi:logging/logging without a
#                             version (the WIT's package line without its version)
# Needs clang with the wasm32 target and wasm-tools (cargo install
# wasm-tools --locked, or WASM_TOOLS=path); tested with wasm-tools 1.263.0.
set -euo pipefail
cd "$(dirname "$0")"
WASM_TOOLS=${WASM_TOOLS:-wasm-tools}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

mkdir -p "$tmp/wit/deps" "$tmp/old/deps"
cp logging.wit "$tmp/wit/"
cp -r ../../../../wit/deps/logging "$tmp/wit/deps/"
clang --target=wasm32-wasi -O2 -nostdlib -Wall -Wl,--no-entry -Wl,--strip-all -o "$tmp/logging.core.wasm" logging.c
"$WASM_TOOLS" component embed "$tmp/wit" --world logging "$tmp/logging.core.wasm" -o "$tmp/logging.embed.wasm"
"$WASM_TOOLS" component new "$tmp/logging.embed.wasm" -o logging.wasm

sed 's/wasi:logging\/logging@0.1.0-draft/wasi:logging\/logging/' logging.wit > "$tmp/old/logging.wit"
cp -r ../../../../wit/deps/logging "$tmp/old/deps/"
sed -i 's/^package wasi:logging@0.1.0-draft;/package wasi:logging;/' "$tmp/old/deps/logging/world.wit"
clang --target=wasm32-wasi -O2 -nostdlib -Wall -DUNVERSIONED -Wl,--no-entry -Wl,--strip-all -o "$tmp/old.core.wasm" logging.c
"$WASM_TOOLS" component embed "$tmp/old" --world logging "$tmp/old.core.wasm" -o "$tmp/old.embed.wasm"
"$WASM_TOOLS" component new "$tmp/old.embed.wasm" -o logging-unversioned.wasm

for f in logging.wasm logging-unversioned.wasm; do
  "$WASM_TOOLS" validate --features all "$f"
done
