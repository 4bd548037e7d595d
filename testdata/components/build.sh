#!/usr/bin/env bash
# Rebuilds the Component Model test material (the tests only read the
# committed .wasm files, they need none of these tools):
#   cmd.wasm      testdata/guests/cmd/cmd.wasm wrapped by jco's WASI preview1 command adapter
#   reactor.wasm  testdata/guests/cmd/reactor.wasm wrapped by jco's reactor adapter
#   types.wasm    types.c (clang, no libc) embedded with wit/test.wit and made a component
#                 by wasm-tools: records, variants, flags, enums, lists, options, results,
#                 tuples, an exported and an imported resource
#   calc.wasm     calc.c (clang, no libc) embedded with wit-calc/calc.wit: a component with
#                 no imports whose exports take strings, lists, records, options, results
#                 (run --invoke tests, component benchmarks)
#   linktarget.wasm, linkcaller.wasm, linkbad.wasm
#                 linktarget.c / linkcaller.c embedded with wit-link/link.wit (and
#                 linktarget.c with wit-link-bad/link.wit): the two ends of a typed
#                 link, and a target whose record type does not match
#   nested.wasm   nested.wat parsed by wasm-tools: nested components, instantiation,
#                 component and instance types, outer aliases, resource built-ins, start
#   reexport.wasm reexport.wat parsed by wasm-tools: exports that are the host's functions
# Needs Debian's clang (wasm32-wasi), jco (npm install -g @bytecodealliance/jco, or
# JCO=path) and wasm-tools (cargo install wasm-tools --locked, or WASM_TOOLS=path).
# Tested with jco 1.35.0 and wasm-tools 1.263.0.
set -euo pipefail
cd "$(dirname "$0")"
JCO=${JCO:-jco}
WASM_TOOLS=${WASM_TOOLS:-wasm-tools}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$JCO" new ../guests/cmd/cmd.wasm --wasi-command -o cmd.wasm
"$JCO" new ../guests/cmd/reactor.wasm --wasi-reactor -o reactor.wasm

clang --target=wasm32-wasi -O2 -nostdlib -Wl,--no-entry -Wl,--strip-all -o "$tmp/types.core.wasm" types.c
"$WASM_TOOLS" component embed wit --world test "$tmp/types.core.wasm" -o "$tmp/types.embed.wasm"
"$WASM_TOOLS" component new "$tmp/types.embed.wasm" -o types.wasm

clang --target=wasm32-wasi -O2 -nostdlib -Wl,--no-entry -Wl,--strip-all -o "$tmp/calc.core.wasm" calc.c
"$WASM_TOOLS" component embed wit-calc --world calc "$tmp/calc.core.wasm" -o "$tmp/calc.embed.wasm"
"$WASM_TOOLS" component new "$tmp/calc.embed.wasm" -o calc.wasm

link() { # source wit-dir world output
  clang --target=wasm32-wasi -O2 -nostdlib -Wl,--no-entry -Wl,--strip-all -o "$tmp/$4.core.wasm" "$1"
  "$WASM_TOOLS" component embed "$2" --world "$3" "$tmp/$4.core.wasm" -o "$tmp/$4.embed.wasm"
  "$WASM_TOOLS" component new "$tmp/$4.embed.wasm" -o "$4"
}
link linktarget.c wit-link target linktarget.wasm
link linkcaller.c wit-link caller linkcaller.wasm
link linktarget.c wit-link-bad target linkbad.wasm

"$WASM_TOOLS" parse nested.wat -o nested.wasm
"$WASM_TOOLS" parse reexport.wat -o reexport.wasm

for f in cmd.wasm reactor.wasm types.wasm calc.wasm nested.wasm reexport.wasm linktarget.wasm linkcaller.wasm linkbad.wasm; do
  "$WASM_TOOLS" validate --features all "$f"
done
