#!/usr/bin/env bash
# Rebuilds the WIT test material of component/wit_test.go (the tests only
# read the committed files):
#   cmd.wit reactor.wit types.wit   `wasm-tools component wit` of testdata/components/*.wasm
#                                   (nested.wasm has none: it exports a type)
#   types.embed.wasm                types.c (clang, no libc) with a component-type section
#                                   (wasm-tools component embed, world test of testdata/components/wit)
#   test-package.wasm               testdata/components/wit as a WIT package binary (component wit --wasm)
#   docs-package.wasm               docs/docs.wit as a WIT package binary: docs everywhere
#   *.wit                           `wasm-tools component wit` of each, the goldens
# Needs Debian's clang (wasm32-wasi) and wasm-tools (WASM_TOOLS=path); tested with 1.263.0.
set -euo pipefail
cd "$(dirname "$0")"
WASM_TOOLS=${WASM_TOOLS:-wasm-tools}
comps=../../../testdata/components
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
clang --target=wasm32-wasi -O2 -nostdlib -Wl,--no-entry -Wl,--strip-all -o "$tmp/types.core.wasm" "$comps/types.c"
"$WASM_TOOLS" component embed "$comps/wit" --world test "$tmp/types.core.wasm" -o types.embed.wasm
"$WASM_TOOLS" component wit "$comps/wit" --wasm -o test-package.wasm
"$WASM_TOOLS" component wit docs --wasm -o docs-package.wasm
for f in cmd reactor types; do
  "$WASM_TOOLS" component wit "$comps/$f.wasm" > "$f.wit"
done
for f in types.embed test-package docs-package; do
  "$WASM_TOOLS" component wit "$f.wasm" > "$f.wit"
done
