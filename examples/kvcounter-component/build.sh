#!/usr/bin/env bash
# Rebuilds the kvcounter components from source:
#   js/kvcounter-js.wasm  js/kvcounter.js through componentize-js 0.23.0
#                         (StarlingMonkey, wizer), what app.yaml runs. Two
#                         builds differ in bytes (wizer's heap snapshot holds
#                         random seeds and temporary paths), not in behaviour
#   c/kvcounter-c.wasm    c/kvcounter.c: Debian's clang (wasm32-wasi, no libc)
#                         with the canonical ABI written by hand, made a
#                         component by wasm-tools (component embed, new): the
#                         same bytes on every run with the same tools
# Both target wit/world.wit here, whose deps are the platform's WIT:
# wit/deps/ at the repository's root (wasi:keyvalue, wasi:http and what it
# uses), assembled into a temporary directory.
#
# Tools, overridable by environment:
#   COMPONENTIZE_JS  the @bytecodealliance/componentize-js package directory
#                    (default js/node_modules/@bytecodealliance/componentize-js,
#                    which `npm install --prefix js` installs from
#                    js/package.json); its version must be 0.23.0
#   NODE             node (default node; tested with Node 20)
#   CLANG            clang (default clang; Debian's, with lld)
#   WASM_TOOLS       wasm-tools (default wasm-tools; tested with 1.263.0)
#   WIT_DEPS         the WIT deps directory (default ../../wit/deps)
set -euo pipefail
cd "$(dirname "$0")"
NODE=${NODE:-node}
CLANG=${CLANG:-clang}
WASM_TOOLS=${WASM_TOOLS:-wasm-tools}
COMPONENTIZE_JS=${COMPONENTIZE_JS:-js/node_modules/@bytecodealliance/componentize-js}
WIT_DEPS=${WIT_DEPS:-../../wit/deps}
CJS_VERSION=0.23.0

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The world and the deps it resolves against.
mkdir -p "$tmp/wit/deps"
cp wit/world.wit "$tmp/wit/"
for pkg in keyvalue http io clocks cli random filesystem sockets; do
  if [ ! -d "$WIT_DEPS/$pkg" ]; then
    echo "build.sh: no WIT package $pkg in $WIT_DEPS" >&2
    exit 1
  fi
  cp -r "$WIT_DEPS/$pkg" "$tmp/wit/deps/"
done

# JavaScript.
here=$(pwd)
cjs=$(realpath -m "$COMPONENTIZE_JS")
got=$("$NODE" -p "require('$cjs/package.json').version" 2>/dev/null || true)
if [ "$got" != "$CJS_VERSION" ]; then
  echo "build.sh: componentize-js $CJS_VERSION wanted at $COMPONENTIZE_JS, found ${got:-none} (npm install --prefix js, or COMPONENTIZE_JS=dir)" >&2
  exit 1
fi
cp js/kvcounter.js "$tmp/kvcounter.js"
(cd "$tmp" && "$NODE" "$here/js/componentize.mjs" "$cjs" kvcounter.js wit kvcounter-js.wasm)
cp "$tmp/kvcounter-js.wasm" js/kvcounter-js.wasm
"$WASM_TOOLS" validate js/kvcounter-js.wasm

# C.
"$CLANG" --target=wasm32-wasi -O2 -Wall -Wextra -Werror -nostdlib -Wl,--no-entry -Wl,--strip-all \
  -Wl,--export=cabi_realloc -o "$tmp/kvcounter-c.core.wasm" c/kvcounter.c
"$WASM_TOOLS" component embed "$tmp/wit" --world kvcounter "$tmp/kvcounter-c.core.wasm" -o "$tmp/kvcounter-c.embed.wasm"
"$WASM_TOOLS" component new "$tmp/kvcounter-c.embed.wasm" -o c/kvcounter-c.wasm
"$WASM_TOOLS" validate c/kvcounter-c.wasm
