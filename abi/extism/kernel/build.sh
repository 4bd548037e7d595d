#!/usr/bin/env bash
# Rebuilds kernel.wasm from kernel.wat. Needs wabt (wat2wasm); the output
# is reproducible (no debug names, no timestamps), so a rebuild of an
# unchanged kernel.wat gives the committed kernel.wasm byte for byte.
set -euo pipefail
cd "$(dirname "$0")"
wat2wasm kernel.wat -o kernel.wasm
