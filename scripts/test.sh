#!/usr/bin/env bash
# npm test: install what the tests need, check formatting and lints, run the native tests (GPU ones on Mesa's
# lavapipe Vulkan driver), build the page, and run the browser tests in headless Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

ensure_rust_components rustfmt clippy
ensure_npm_packages

# Fast static checks first, so a slip fails in seconds rather than after the builds.
say "formatting (cargo fmt --check; prettier --check)"
cargo fmt --all -- --check || die "Rust code is not formatted: run \`cargo fmt --all\` and commit the result"
npx prettier --check --log-level warn "${PRETTIER_PATHS[@]}" \
  || die "the files above are not formatted: run \`npm run format\` and commit the result"

say "size budget (no source file over 600 lines)"
node scripts/check-size.mjs

say "Rust lints (cargo clippy, native and wasm32; warnings are errors)"
cargo clippy --all-targets --quiet -- -D warnings
ensure_wasm_toolchain
cargo clippy --lib --target wasm32-unknown-unknown --quiet -- -D warnings

# tsc, ESLint's type-checked rules and the unit tests read the wasm bindings (www/pkg).
bash scripts/build-wasm.sh
say "front-end type check and lints (tsc; eslint with typescript-eslint's type-checked rules)"
npx tsc --noEmit -p .
npx eslint --max-warnings 0 .

say "unit tests of the front end's pure modules (vitest)"
npx vitest run

# python3: crate/tests/keras.rs checks exported Keras code with Python's own parser (ast.parse).
ensure_debian_packages mesa-vulkan-drivers chromium python3
# ONNX's checker and runtime read the exported files back (tests/onnx.test.mjs).
ensure_onnx_python

say "native tests (cargo test; GPU tests on lavapipe)"
# A missing adapter fails the GPU tests here instead of skipping them.
export CONVPLAY_REQUIRE_GPU=1
# Quiets the Vulkan loader's note about a missing display runtime dir.
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-$(mktemp -d)}"
cargo test --workspace

bash scripts/build.sh

say "browser tests (headless Chromium, WebGPU on SwiftShader)"
node --test --test-reporter=spec tests/*.test.mjs
