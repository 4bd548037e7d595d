#!/usr/bin/env bash
# Rebuilds faulty.wasm, the misbehaving component of the noisy-neighbour
# benchmark (bench/noisy), from main.go, byte for byte the same on every run:
# the Go toolchain of go.mod, -trimpath, no VCS stamp.
set -euo pipefail
cd "$(dirname "$0")"
GOOS=wasip1 GOARCH=wasm CGO_ENABLED=0 go build -trimpath -buildvcs=false -buildmode=c-shared -o faulty.wasm .
