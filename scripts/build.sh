#!/usr/bin/env bash
# Builds everything the page needs into dist/: the wasm engine, then the front end.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
ensure_npm_packages
bash scripts/build-wasm.sh
say "type-checking the front end"
npx tsc --noEmit -p .
say "building the front end into dist/"
npx vite build --logLevel warn
