#!/bin/sh
# Rebuilds the .wasm fixtures of package manifest from their .wat sources
# (Debian: apt-get install wabt).
set -e
cd "$(dirname "$0")"
for f in *.wat; do wat2wasm "$f" -o "${f%.wat}.wasm"; done
