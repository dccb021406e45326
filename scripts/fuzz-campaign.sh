#!/usr/bin/env bash
# Runs one libFuzzer harness for a while, corpus kept in lib/build/fuzz/work_<name> (seeds from
# test/fuzz/corpus/<name>, read only), crashes in lib/build/fuzz/crashes/. Log: lib/build/fuzz/logs/<name>.log.
#   bash scripts/fuzz-campaign.sh reader 600
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
name=$1 secs=${2:-600}
F="$ROOT/lib/build/fuzz"
[ -x "$F/fuzz_$name" ] || bash "$ROOT/scripts/build-fuzz.sh" >/dev/null
mkdir -p "$F/work_$name" "$F/crashes" "$F/logs"
cd "$F"
# the reader's own interrupt bounds a call at 30 s: libFuzzer's timeout is above it, so a hang is still caught
"$F/fuzz_$name" "$F/work_$name" "$ROOT/test/fuzz/corpus/$name" -max_total_time="$secs" -timeout=60 -rss_limit_mb=3072 \
  -artifact_prefix="$F/crashes/${name}-" -print_final_stats=1 >"$F/logs/$name.log" 2>&1 || true
tail -n 30 "$F/logs/$name.log" | grep -E "stat::|Done|ERROR|SUMMARY" || true
