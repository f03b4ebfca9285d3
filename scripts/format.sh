#!/usr/bin/env bash
# npm run format: formats what npm test checks — Rust with rustfmt (rustfmt.toml), the rest
# with Prettier (.prettierrc.json; .prettierignore leaves out generated files).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
ensure_rust_components rustfmt
ensure_npm_packages
cargo fmt --all
npx prettier --write --log-level warn "${PRETTIER_PATHS[@]}"
