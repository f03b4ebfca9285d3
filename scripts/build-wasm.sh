#!/usr/bin/env bash
# Builds the Rust crate for the browser and generates the JS bindings in www/pkg/.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
ensure_wasm_toolchain
say "building the wasm engine (profile wasm: release with whole-program LTO)"
cargo build -p convplay --lib --target wasm32-unknown-unknown --profile wasm
"$WASM_BINDGEN" --target web --out-dir www/pkg --out-name convplay \
  "${CARGO_TARGET_DIR:-target}/wasm32-unknown-unknown/wasm/convplay.wasm"
say "www/pkg/convplay_bg.wasm: $(du -k www/pkg/convplay_bg.wasm | cut -f1) KiB"
