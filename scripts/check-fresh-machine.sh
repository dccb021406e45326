#!/usr/bin/env bash
# The README's two commands on a pristine Debian bookworm root, as a new user meets them: a debootstrap'd
# bookworm with only what a fresh machine of ours has (node/npm, git, python3, make, gcc/g++, cmake; no ffmpeg,
# no nasm, no FFmpeg dev files; Bun from npm), a clean clone of this checkout's HEAD with ../shared copied beside
# it, and a fresh HOME (no ~/.cache/av1gym: SVT-AV1 is built from source). It runs `bun run demo`, then
# `bun run test`, then `bun run test` in a second clone without ../shared, and prints each one's exit code,
# time and output length. Re-run it after any change to the set-up (scripts/, package.json, .ci/run).
#
# Usage, as root: bash scripts/check-fresh-machine.sh [--base-only] [WORKDIR]   (default /var/tmp/av1gym-fresh)
#   WORKDIR/base        the pristine root, made once (about 10 minutes) and reused; AV1GYM_FRESH_NEW_BASE=1 remakes it
#   WORKDIR/run         this check's copy of it (an overlay over base; kept for a look until the next check)
#   WORKDIR/*.out       each command's full terminal output
# AV1GYM_SHARED=<dir> is the ../shared to copy (default: the one beside this checkout).
# AV1GYM_FRESH_BENCH=1 also runs `bun run bench` there and counts its lines (and the skipped ones).
# The Debian mirror is the host's own (its apt sources), copied into the root with them. Everything runs in a
# private mount namespace, so the chroot's /proc, /sys and /dev mounts go away with it.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=lib/common.sh
. "$ROOT/scripts/lib/common.sh"
trap - ERR
BASE_ONLY=0
[ "${1:-}" = --base-only ] && { BASE_ONLY=1; shift; }
W=$(realpath -m "${1:-/var/tmp/av1gym-fresh}")
BASE="$W/base" RUN="$W/run"
SHARED=$(realpath -m "${AV1GYM_SHARED:-$ROOT/../shared}")
# What a fresh machine of ours has, of what the project could use (see the machine description of the `node`
# kind); installed without recommends, so the set-up cannot lean on anything else.
FRESH_PACKAGES=(nodejs npm git python3 make gcc g++ cmake ca-certificates)
BUN_VERSION=1.4.5

say() { echo "[fresh] $*" >&2; }
fail() { echo "[fresh] error: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || fail "run as root (debootstrap, chroot and mounts)"

if [ -z "${AV1GYM_FRESH_NS:-}" ]; then
  # Re-run in a private mount namespace: no mount made here can reach the host's, and all are gone at exit.
  export AV1GYM_FRESH_NS=1
  exec unshare --mount --propagation private bash "${BASH_SOURCE[0]}" "$@"
fi

# The environment a command of ours gets on a fresh machine: a plain login, plus the machine's CA settings
# (their values are paths), so npm and Bun reach the npm registry as they do on the host.
chroot_env=(HOME=/root USER=root LOGNAME=root SHELL=/bin/bash LANG=C.UTF-8 TERM=dumb
  PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin)
for v in NODE_EXTRA_CA_CERTS SSL_CERT_FILE SSL_CERT_DIR CURL_CA_BUNDLE GIT_SSL_CAINFO http_proxy https_proxy no_proxy; do
  [ -n "${!v:-}" ] && chroot_env+=("$v=${!v}")
done
in_root() {  # $1 root, then a command line for bash inside it
  local r=$1; shift
  chroot "$r" /usr/bin/env -i "${chroot_env[@]}" bash -c "$*"
}
mount_api() {  # /proc, /sys, /dev (+ a private /dev/pts and /dev/shm) and the host's resolver in root $1
  mount --bind /proc "$1/proc"
  mount --bind /sys "$1/sys"
  mount --bind /dev "$1/dev"
  mount -t devpts -o newinstance,ptmxmode=0666 devpts "$1/dev/pts" 2> /dev/null || true
  mount -t tmpfs tmpfs "$1/dev/shm"
  cp -L /etc/resolv.conf "$1/etc/resolv.conf"
}
unmount_api() {
  local m
  for m in dev/shm dev/pts dev sys proc; do mountpoint -q "$1/$m" && umount "$1/$m"; done
  return 0
}

# ---------------------------------------------------------------- the pristine root (made once)
if [ "${AV1GYM_FRESH_NEW_BASE:-}" = 1 ] || [ ! -f "$BASE/.av1gym-fresh-base" ]; then
  command -v debootstrap > /dev/null || { say "installing debootstrap"; apt-get -o DPkg::Lock::Timeout=600 install -y -qq debootstrap > /dev/null; }
  mirror=$(debian_mirror)
  [ -n "$mirror" ] || fail "found no Debian mirror in the host's apt sources"
  # A finished debootstrap leaves no debootstrap/ folder: one interrupted earlier is made anew.
  if [ "${AV1GYM_FRESH_NEW_BASE:-}" = 1 ] || [ ! -x "$BASE/usr/bin/apt-get" ] || [ -d "$BASE/debootstrap" ]; then
    rm -rf "$BASE"
    mkdir -p "$W"
    say "debootstrap --variant=minbase bookworm (log: $W/debootstrap.log)"
    debootstrap --variant=minbase bookworm "$BASE" "$mirror" > "$W/debootstrap.log" 2>&1 ||
      { tail -n 30 "$W/debootstrap.log" >&2; fail "debootstrap failed"; }
  fi
  # The host's apt sources (its mirror, updates and security suites), as on a fresh machine of ours, and
  # the machine's extra CA certificates (the network reaches the registries through them).
  rm -f "$BASE/etc/apt/sources.list"
  cp /etc/apt/sources.list.d/*.sources "$BASE/etc/apt/sources.list.d/" 2> /dev/null ||
    cp /etc/apt/sources.list "$BASE/etc/apt/sources.list"
  mkdir -p "$BASE/usr/local/share/ca-certificates"
  cp /usr/local/share/ca-certificates/*.crt "$BASE/usr/local/share/ca-certificates/" 2> /dev/null || true
  say "installing ${FRESH_PACKAGES[*]} and bun@$BUN_VERSION into the root (log: $W/base.log)"
  mount_api "$BASE"
  trap 'unmount_api "$BASE"' EXIT
  in_root "$BASE" "export DEBIAN_FRONTEND=noninteractive; apt-get update && apt-get install -y --no-install-recommends ${FRESH_PACKAGES[*]} &&
    update-ca-certificates && npm install -g bun@$BUN_VERSION && bun --version &&
    apt-get clean && rm -rf /root/.npm /root/.cache /tmp/*" > "$W/base.log" 2>&1 ||
    { tail -n 30 "$W/base.log" >&2; fail "could not prepare the root"; }
  unmount_api "$BASE"
  trap - EXIT
  printf 'bookworm minbase + %s + bun@%s, made %s\n' "${FRESH_PACKAGES[*]}" "$BUN_VERSION" "$(date -u +%FT%TZ)" > "$BASE/.av1gym-fresh-base"
fi
[ "$BASE_ONLY" = 0 ] || exit 0

# ---------------------------------------------------------------- this check's copy, and the clones
for m in "$RUN"/{dev/shm,dev/pts,dev,sys,proc} "$RUN"; do mountpoint -q "$m" && umount "$m"; done
rm -rf "$RUN" "$W/upper" "$W/overlay-work"
mkdir -p "$RUN" "$W/upper" "$W/overlay-work"
if ! mount -t overlay overlay -o "lowerdir=$BASE,upperdir=$W/upper,workdir=$W/overlay-work" "$RUN" 2> /dev/null; then
  say "no overlayfs here: copying the root"
  rmdir "$RUN"
  cp -a "$BASE" "$RUN"
fi
commit=$(git -C "$ROOT" rev-parse HEAD)
[ -z "$(git -C "$ROOT" status --porcelain --untracked-files=no)" ] || say "note: uncommitted changes are not part of the check (it clones $commit)"
for d in "$RUN/work/av1gym" "$RUN/work/solo/av1gym"; do
  git clone -q --no-checkout "$ROOT" "$d"
  git -C "$d" checkout -q --detach "$commit"
done
if [ -d "$SHARED" ]; then cp -a "$SHARED/." "$RUN/work/shared"; else say "no $SHARED: both test runs go without it"; fi
mount_api "$RUN"
trap 'unmount_api "$RUN"' EXIT

# ---------------------------------------------------------------- the commands
results=() failed=0
run_step() {  # $1 name, $2 directory in the root, $3 command
  local out="$W/$1.out" t0 rc secs
  say "$1: (cd $2 && $3) > $out"
  t0=$(date +%s)
  set +e
  in_root "$RUN" "cd $2 && $3" > "$out" 2>&1
  rc=$?
  set -e
  secs=$(($(date +%s) - t0))
  results+=("$(printf '%-12s exit %-3s %5d s  %5d lines  (%s)' "$1" "$rc" "$secs" "$(wc -l < "$out")" "$out")")
  if [ "$rc" != 0 ]; then
    failed=1
    echo "---- the last 40 lines of $out" >&2
    tail -n 40 "$out" >&2
  fi
}
run_step demo /work/av1gym "bun run demo"
run_step test /work/av1gym "bun run test"
run_step test-solo /work/solo/av1gym "bun run test"
# Optional (long, and its ratios are only as good as the machine is quiet): every measurement has its peer.
if [ "${AV1GYM_FRESH_BENCH:-}" = 1 ]; then
  run_step bench /work/av1gym "bun run bench"
  say "bench: $(grep -c '^{' "$W/bench.out") JSON lines, $(grep -c '"skipped"' "$W/bench.out") of them skipped"
fi

say "commit $commit, load average $(cut -d' ' -f1-3 /proc/loadavg) (the machine may be shared: times are indicative)"
printf '%s\n' "${results[@]}" >&2
say "the first run's stage lines:"
grep '^\[setup\]' "$W/demo.out" >&2 || true
exit "$failed"
