#!/usr/bin/env bash
# Builds the component $1 (committed as handler.wasm, about 13 MB) from
# handler.js with componentize-js (StarlingMonkey), for
# TestServeComponentizeJS and the CLI's serve tests:
#   ./build.sh handler.wasm
#   WASMHIVE_HTTP_JS=/tmp/other.wasm go test -run JS ./wasihttp   (another build)
# StarlingMonkey's fetch event exports wasi:http 0.2.10, so the WIT is the
# repository's 0.2.4 renamed 0.2.10 (the two are compatible), without the
# worlds of wasi:cli that would pull in wasi:sockets and wasi:filesystem
# (they do not merge with StarlingMonkey's own copies).
# Needs componentize-js (COMPONENTIZE_JS=path; built with 0.23.0).
set -euo pipefail
cd "$(dirname "$0")"
out=$(realpath -m "${1:?usage: build.sh out.wasm}")
CJS=${COMPONENTIZE_JS:-componentize-js}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/wit/deps"
for p in cli clocks http io random; do
  cp -r "../../../wit/deps/$p" "$tmp/wit/deps/$p"
done
rm "$tmp/wit/deps/cli/command.wit"
echo 'package wasi:cli@0.2.4;' > "$tmp/wit/deps/cli/imports.wit"
find "$tmp/wit/deps" -name '*.wit' -exec sed -i 's/0\.2\.4/0.2.10/g' {} +
printf 'package test:js;\n\nworld js {\n  include wasi:http/proxy@0.2.10;\n}\n' > "$tmp/wit/world.wit"
"$CJS" handler.js --wit "$tmp/wit" --world-name js -o "$out"
