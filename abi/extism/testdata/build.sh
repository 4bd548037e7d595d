#!/bin/sh
# Rebuilds pdkecho.wasm from pdkecho.wat with wabt's wat2wasm.
set -e
cd "$(dirname "$0")"
wat2wasm pdkecho.wat -o pdkecho.wasm
