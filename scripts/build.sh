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
say "type declarations for the npm package (dist/types)"
npx tsc -p tsconfig.types.json
# The declarations import the wasm bindings' types by their path in the repository.
mkdir -p dist/types/www/pkg
# wasm-bindgen's types use Symbol.dispose: they say which library they need.
{ echo '/// <reference lib="esnext.disposable" />'; cat www/pkg/convplay.d.ts; } >dist/types/www/pkg/convplay.d.ts
