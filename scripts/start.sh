#!/usr/bin/env bash
# npm start: install what is missing, build, and serve the playground on localhost.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
bash scripts/build.sh
PORT="${PORT:-4173}"
say "serving the playground: open http://127.0.0.1:$PORT/ (Ctrl-C stops)"
exec npx vite preview --port "$PORT" --strictPort
