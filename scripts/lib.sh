# Shared set-up steps for the npm scripts. Each step checks first and only
# installs what is missing, so a second run costs seconds.
# shellcheck shell=bash

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="$ROOT/.tools"
# The CLI that post-processes the wasm must match the crate's wasm-bindgen exactly.
WASM_BINDGEN_VERSION="$(sed -n 's/^wasm-bindgen = "=\([0-9.]*\)".*/\1/p' "$ROOT/crate/Cargo.toml")"
WASM_BINDGEN="$TOOLS/bin/wasm-bindgen"

# What Prettier formats (npm run format) and npm test checks (.prettierignore leaves out generated files).
PRETTIER_PATHS=(www tests scripts vite.config.ts vitest.config.ts eslint.config.js)

say() { printf '\033[1m[convplay]\033[0m %s\n' "$*"; }
die() { printf '\033[1;31m[convplay] error:\033[0m %s\n' "$*" >&2; exit 1; }

ensure_rust() {
  command -v cargo >/dev/null || die "cargo is not installed: install Rust with rustup (https://rustup.rs), then run this again"
}

# ensure_rust_components NAME... — adds rustup components (rustfmt, clippy) that a
# minimal toolchain lacks; rustup's default profile already has both.
ensure_rust_components() {
  ensure_rust
  local missing=()
  for c in "$@"; do
    rustup component list --installed 2>/dev/null | grep -q "^$c-" || missing+=("$c")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  command -v rustup >/dev/null || die "cargo ${missing[*]} is missing and there is no rustup to add it: install the ${missing[*]} component(s) of your Rust toolchain"
  say "adding the Rust components ${missing[*]}"
  rustup component add "${missing[@]}"
}

ensure_wasm_toolchain() {
  ensure_rust
  [ -n "$WASM_BINDGEN_VERSION" ] || die "could not read the pinned wasm-bindgen version from crate/Cargo.toml"
  if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
    command -v rustup >/dev/null || die "rustup is needed to add the wasm32-unknown-unknown target"
    say "adding the Rust target wasm32-unknown-unknown"
    rustup target add wasm32-unknown-unknown
  fi
  if [ "$("$WASM_BINDGEN" --version 2>/dev/null | cut -d' ' -f2)" != "$WASM_BINDGEN_VERSION" ]; then
    say "building wasm-bindgen-cli $WASM_BINDGEN_VERSION into .tools/ (once; a few minutes)"
    # --locked first; its lockfile can name a crate version the registry no
    # longer serves, and then a fresh resolution of the same CLI version works.
    cargo install --locked --quiet --root "$TOOLS" wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" \
      || cargo install --quiet --root "$TOOLS" wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" \
      || die "could not build wasm-bindgen-cli $WASM_BINDGEN_VERSION"
  fi
}

ensure_npm_packages() {
  command -v npm >/dev/null || die "npm is not installed: install Node.js 20.19 or newer"
  if [ ! -f "$ROOT/node_modules/.package-lock.json" ] || [ "$ROOT/package-lock.json" -nt "$ROOT/node_modules/.package-lock.json" ]; then
    say "installing npm packages"
    (cd "$ROOT" && npm ci --no-audit --no-fund --loglevel=error)
  fi
}

# ensure_debian_packages PKG... — installs missing Debian packages (apt-get update first).
ensure_debian_packages() {
  local missing=()
  for p in "$@"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  command -v apt-get >/dev/null || die "missing ${missing[*]} and no apt-get here: install them with your package manager"
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  say "installing Debian packages: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# ONNX's own reader and runtime (the Python packages onnx and onnxruntime) for the export test,
# in a virtual environment under .tools/ unless the system Python already has them.
ensure_onnx_python() {
  if python3 -c 'import onnx, onnxruntime' >/dev/null 2>&1; then return 0; fi
  local venv=.tools/onnx-venv
  if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c 'import onnx, onnxruntime' >/dev/null 2>&1; then return 0; fi
  say "installing the Python packages onnx and onnxruntime into $venv (for the ONNX export test)"
  python3 -m venv "$venv" 2>/dev/null || { ensure_debian_packages python3-venv && python3 -m venv "$venv"; }
  "$venv/bin/pip" install --quiet --disable-pip-version-check onnx onnxruntime
}
