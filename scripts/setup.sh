#!/usr/bin/env bash
# What `bun run demo|test|bench` need before they start: the npm dependencies and a current native library.
# Quick when both are already there.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if [ ! -d node_modules/zod ]; then
  echo "[setup] installing npm dependencies" >&2
  bun install --frozen-lockfile >&2
fi
bash scripts/build-svt.sh >/dev/null
