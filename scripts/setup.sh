#!/usr/bin/env bash
# What `bun run demo|test|bench` need before they start: the Debian packages of scripts/packages.txt (the
# build's and the ffmpeg CLI the tests and benches use as decoder and peer), the npm dependencies, SVT-AV1 and
# a current native library. A first run prints one line per stage; a run with nothing to do prints nothing.
set -eEuo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
# shellcheck source=lib/common.sh
. scripts/lib/common.sh

ensure_packages
export AV1GYM_PACKAGES_CHECKED=1

# bun.lock newer than the last install (a fresh clone, or a dependency added by a merge): install again.
if [ ! -f node_modules/.av1gym-installed ] || [ bun.lock -nt node_modules/.av1gym-installed ]; then
  stage_begin "npm dependencies"
  logged bun install --frozen-lockfile || die "bun install --frozen-lockfile failed"
  touch node_modules/.av1gym-installed
  stage_end
fi

bash scripts/build-svt.sh > /dev/null
