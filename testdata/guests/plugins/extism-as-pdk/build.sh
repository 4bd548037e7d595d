#!/usr/bin/env bash
# Rebuilds plugin.wasm from assembly/index.ts with Extism's AssemblyScript PDK.
# Needs node and npm (the npm registry); node_modules/ is not committed.
set -euo pipefail
cd "$(dirname "$0")"
npm install --no-audit --no-fund --silent
npx asc assembly/index.ts --outFile plugin.wasm --optimize --use abort=assembly/index/myAbort
