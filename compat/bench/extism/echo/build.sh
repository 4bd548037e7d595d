#!/usr/bin/env bash
# Rebuilds echo.wasm from echo.wat. Needs wabt (wat2wasm); the output is
# reproducible, so an unchanged echo.wat gives the committed echo.wasm.
set -euo pipefail
cd "$(dirname "$0")"
wat2wasm echo.wat -o echo.wasm
wat2wasm echo_static.wat -o echo_static.wasm
