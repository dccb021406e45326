# Sourced by scripts/setup.sh and scripts/build-svt.sh (and the Debian-mirror helper by
# scripts/check-fresh-machine.sh).
#
# A first run prints one line per stage on stderr ("[setup] building SVT-AV1 2.3.0 … 64 s"); what apt,
# cmake and the compilers print goes to one log whose path is printed once, and a failing stage prints the
# log's last 30 lines. A run with nothing to do prints nothing, so `bun run test` starts with the tests.
# Requires ROOT (the project root) to be set.

SETUP_LOG=${AV1GYM_SETUP_LOG:-$ROOT/lib/build/setup.log}
STAGE=""

# The first stage of a run (setup.sh and the build-svt.sh it calls count as one) starts a new log.
log_open() {
  [ "${AV1GYM_SETUP_LOG_OPEN:-}" = "$SETUP_LOG" ] && return 0
  mkdir -p "$(dirname "$SETUP_LOG")"
  : > "$SETUP_LOG"
  export AV1GYM_SETUP_LOG_OPEN=$SETUP_LOG
  echo "[setup] details in ${SETUP_LOG#"$PWD"/}" >&2
}

now_ms() { local t; t=$(date +%s%N); echo $((t / 1000000)); }

stage_begin() {  # $1: what the stage does, as the user reads it
  log_open
  STAGE=$1
  STAGE_T0=$(now_ms)
  printf '[setup] %s … ' "$1" >&2
  printf '\n==== %s (%s)\n' "$1" "$(date -u +%FT%TZ)" >> "$SETUP_LOG"
}

stage_secs() {
  local ms=$(( $(now_ms) - STAGE_T0 ))
  if [ "$ms" -lt 10000 ]; then printf '%d.%d' $((ms / 1000)) $((ms % 1000 / 100)); else printf '%d' $(((ms + 500) / 1000)); fi
}

stage_end() {
  echo "$(stage_secs) s" >&2
  STAGE=""
}

# Runs a tool with its output in the log.
logged() { "$@" >> "$SETUP_LOG" 2>&1; }

# Closes a failing stage's line; the caller shows what went wrong.
stage_abort() {
  echo "failed after $(stage_secs) s" >&2
  STAGE=""
}

# Fails the run. Inside a stage it closes the stage's line and prints the log's last 30 lines.
die() {
  if [ -n "$STAGE" ]; then
    stage_abort
    echo "[setup] the last 30 lines of $SETUP_LOG:" >&2
    tail -n 30 "$SETUP_LOG" >&2
  fi
  echo "[setup] error: $*" >&2
  exit 1
}

# Any unexpected failure inside a stage (set -e) still shows the log.
trap 'rc=$?; [ -n "$STAGE" ] && die "$STAGE: a command failed (exit $rc) at ${BASH_SOURCE[0]##*/}:$LINENO"' ERR

# The system's own Debian mirror, from its deb822 or one-line apt sources (never a host name of ours).
# $1: a root directory to read them from (default /).
debian_mirror() {
  local etc="${1:-}/etc/apt" uri
  uri=$(cat "$etc"/sources.list.d/*.sources 2>/dev/null | awk '/^URIs:/ && !/security/ { print $2; exit }' || true)
  [ -n "$uri" ] || uri=$(cat "$etc"/sources.list "$etc"/sources.list.d/*.list 2>/dev/null |
    awk '$1 == "deb" && !/security/ { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; exit } }' || true)
  echo "$uri"
}

# The packages of scripts/packages.txt that are not installed: installs them as root (one stage), else
# prints the one apt-get line to run and fails. One dpkg-query, and none at all while neither dpkg's database
# nor the list changed since the last check that found everything.
ensure_packages() {
  local stamp="$ROOT/lib/build/.packages-checked" status=/var/lib/dpkg/status
  [ -f "$stamp" ] && [ ! "$status" -nt "$stamp" ] && [ ! "$ROOT/scripts/packages.txt" -nt "$stamp" ] && return 0
  local line word pkgs=() missing=()
  while read -r line; do
    line=${line%%#*}
    for word in $line; do pkgs+=("$word"); done
  done < "$ROOT/scripts/packages.txt"
  command -v dpkg-query > /dev/null || return 0  # not Debian-like: the build's own errors will say what is missing
  local -A installed=()
  while read -r line; do
    [[ $line == "ii "* ]] && installed[${line#ii }]=1
  done < <(dpkg-query -W -f='${db:Status-Abbrev}${Package}\n' "${pkgs[@]}" 2> /dev/null || true)
  for word in "${pkgs[@]}"; do [ -n "${installed[$word]:-}" ] || missing+=("$word"); done
  if [ ${#missing[@]} -eq 0 ]; then
    mkdir -p "${stamp%/*}" && touch "$stamp"
    return 0
  fi
  if [ "$(id -u)" != 0 ]; then
    echo "[setup] missing Debian packages; install them with:" >&2
    echo "  sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
  fi
  stage_begin "apt packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  logged apt-get -o DPkg::Lock::Timeout=600 update || die "apt-get update failed"
  logged apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends "${missing[@]}" ||
    die "apt-get install ${missing[*]} failed"
  mkdir -p "${stamp%/*}" && touch "$stamp"
  stage_end
}
