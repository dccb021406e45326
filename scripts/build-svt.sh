#!/usr/bin/env bash
# The one build entry: system packages, SVT-AV1 (2.3.x, 3.x or 4.x), then the shim (lib/build/libav1gym.so).
# Idempotent: a second run with nothing changed only checks timestamps and returns in well under a second
# (plus a dpkg query).
#
# Where SVT-AV1 comes from, first match wins:
#   1. the system's, when `pkg-config SvtAv1Enc` reports a supported version (2.3.x, 3.x, 4.x);
#   2. a previous build cached in $AV1GYM_CACHE (default ~/.cache/av1gym), copied into lib/build/svt;
#   3. SVT_AV1_SRC=<source dir | tarball> of a supported version (another one is refused, naming those);
#   4. Debian trixie's pinned 2.3.0 source tarball, downloaded through apt with a temporary configuration
#      (never touching the system's apt sources) and checksum-verified.
# Cases 2-4 build encoder-only Release (library + SvtAv1EncApp, the benchmark peer) into lib/build/svt, and
# the shim gets an rpath to it, so nothing needs LD_LIBRARY_PATH at run time.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD="$ROOT/lib/build"
SVT_PREFIX="$BUILD/svt"
CACHE="${AV1GYM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/av1gym}"
SVT_VERSION=2.3.0
SVT_TARBALL="svt-av1_${SVT_VERSION}+dfsg.orig.tar.xz"
SVT_MD5=3d031823be8983f0eb9cda1c67c929f9
SVT_SIZE=9017580
PACKAGES=(gcc make cmake nasm pkg-config xz-utils libavformat-dev libavcodec-dev libavutil-dev libswscale-dev)

say() { echo "[build-svt] $*" >&2; }
die() { echo "[build-svt] error: $*" >&2; exit 1; }

# The SVT-AV1 versions lib/codec/svt.c builds against (its version shims); others are refused.
SVT_SUPPORTED="2.3.x, 3.x and 4.x"
svt_supported() { case "$1" in 2.3 | 2.3.* | 3.* | 4.*) return 0 ;; *) return 1 ;; esac; }
# The version a source tree declares (CMakeLists.txt: project(svt-av1 VERSION x.y.z)).
svt_src_version() { sed -n 's/^project(svt-av1 VERSION \([0-9.]*\).*/\1/p' "$1/CMakeLists.txt" | head -n1; }
system_svt=$(pkg-config --modversion SvtAv1Enc 2>/dev/null || true)
use_system=0
if [ -n "$system_svt" ]; then
  if svt_supported "$system_svt"; then use_system=1
  else say "the system's SVT-AV1 $system_svt is not supported (supported: $SVT_SUPPORTED): using our own build"; fi
fi
# A build for this checkout from another SVT_AV1_SRC version is replaced.
if [ -n "${SVT_AV1_SRC:-}" ] && [ -d "$SVT_AV1_SRC" ] && [ -f "$SVT_PREFIX/lib/pkgconfig/SvtAv1Enc.pc" ] &&
  [ "$(svt_src_version "$SVT_AV1_SRC")" != "$(sed -n 's/^Version: *//p' "$SVT_PREFIX/lib/pkgconfig/SvtAv1Enc.pc")" ]; then
  rm -rf "$SVT_PREFIX"
fi

# ---------------------------------------------------------------- 1. system packages
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    say "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
  else
    die "missing packages; run: sudo apt-get install -y ${missing[*]}"
  fi
fi

mkdir -p "$BUILD"

# ---------------------------------------------------------------- 2. SVT-AV1
svt_pc_dir=""     # where SvtAv1Enc.pc lives when we use our own build
svt_rpath=""
if [ "$use_system" = 1 ]; then
  :  # the system's is a supported version
elif [ -f "$SVT_PREFIX/lib/pkgconfig/SvtAv1Enc.pc" ]; then
  :  # already built or copied for this checkout
else
  cached="$CACHE/svt-av1-$SVT_VERSION"
  if [ -z "${SVT_AV1_SRC:-}" ] && [ -f "$cached/lib/pkgconfig/SvtAv1Enc.pc" ]; then
    say "using cached SVT-AV1 build from $cached"
  else
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    src=""
    if [ -n "${SVT_AV1_SRC:-}" ]; then
      if [ -d "$SVT_AV1_SRC" ]; then src="$SVT_AV1_SRC"
      elif [ -f "$SVT_AV1_SRC" ]; then tar -xf "$SVT_AV1_SRC" -C "$work"; src=$(find "$work" -mindepth 1 -maxdepth 1 -type d | head -n1)
      else die "SVT_AV1_SRC=$SVT_AV1_SRC is neither a directory nor a file"; fi
      cached="$work/install-from-src"   # a user-given source is not put in the shared cache
    else
      tarball="$CACHE/$SVT_TARBALL"
      if [ ! -f "$tarball" ] || [ "$(md5sum < "$tarball" | cut -d' ' -f1)" != "$SVT_MD5" ]; then
        say "downloading SVT-AV1 $SVT_VERSION source through apt (temporary configuration)"
        command -v apt-get >/dev/null || die "no apt-get: set SVT_AV1_SRC to an SVT-AV1 >= 2.3 source directory or tarball"
        # The mirror comes from the system's own sources (deb822 or one-line form); trixie is named only
        # in a throw-away list so the system's apt configuration never sees it.
        uri=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '/^URIs:/ {print $2}' | grep -v security | head -n1 || true)
        [ -n "$uri" ] || uri=$(awk '$1 == "deb" && $0 !~ /security/ { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; exit } }' /etc/apt/sources.list 2>/dev/null || true)
        [ -n "$uri" ] || die "found no Debian mirror in /etc/apt/sources.list{,.d}; set SVT_AV1_SRC instead"
        mkdir -p "$work/lists/partial" "$work/dl"
        echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $uri trixie main" > "$work/sources.list"
        aptopts=(-o Dir::Etc::sourcelist="$work/sources.list" -o Dir::Etc::sourceparts=- -o Dir::State::lists="$work/lists" -o APT::Get::List-Cleanup=0)
        apt-get "${aptopts[@]}" update -qq >&2 || die "apt could not read the trixie source index from $uri"
        # The .dsc answers 404 for this version while the tarball downloads, so apt-get's exit status is
        # not meaningful: the checksum below is the check.
        (cd "$work/dl" && apt-get "${aptopts[@]}" source --download-only "svt-av1=$SVT_VERSION+dfsg-1" >&2 2>&1 || true)
        [ -f "$work/dl/$SVT_TARBALL" ] || die "apt did not deliver $SVT_TARBALL; set SVT_AV1_SRC to a source tarball"
        mkdir -p "$CACHE"
        mv "$work/dl/$SVT_TARBALL" "$tarball"
      fi
      [ "$(md5sum < "$tarball" | cut -d' ' -f1)" = "$SVT_MD5" ] || die "$tarball: checksum mismatch (expected md5 $SVT_MD5)"
      [ "$(stat -c %s "$tarball")" = "$SVT_SIZE" ] || die "$tarball: size mismatch (expected $SVT_SIZE bytes)"
      tar -xf "$tarball" -C "$work"
      src=$(find "$work" -mindepth 1 -maxdepth 1 -type d ! -name lists ! -name dl | head -n1)
    fi
    [ -f "$src/CMakeLists.txt" ] || die "$src does not look like SVT-AV1 source (no CMakeLists.txt)"
    src_version=$(svt_src_version "$src")
    svt_supported "$src_version" || die "$src is SVT-AV1 ${src_version:-of unknown version}; av1gym supports $SVT_SUPPORTED"
    say "building SVT-AV1 (encoder only, Release) from $src; about 5 minutes on 2 cores"
    cmake -S "$src" -B "$work/build" -DCMAKE_BUILD_TYPE=Release -DBUILD_DEC=OFF -DBUILD_TESTING=OFF \
      -DBUILD_APPS=ON -DBUILD_SHARED_LIBS=ON -DCMAKE_INSTALL_PREFIX="$cached" -DCMAKE_INSTALL_LIBDIR=lib \
      -DCMAKE_INSTALL_RPATH='$ORIGIN/../lib' >&2
    cmake --build "$work/build" -j"$(nproc)" >&2
    cmake --install "$work/build" >&2
  fi
  rm -rf "$SVT_PREFIX"
  cp -a "$cached" "$SVT_PREFIX"
  # The .pc file names the prefix it was installed to; point it at this copy.
  sed -i "s|^prefix=.*|prefix=$SVT_PREFIX|" "$SVT_PREFIX/lib/pkgconfig/SvtAv1Enc.pc"
fi
if [ -f "$SVT_PREFIX/lib/pkgconfig/SvtAv1Enc.pc" ] && [ "$use_system" = 0 ]; then
  svt_pc_dir="$SVT_PREFIX/lib/pkgconfig"
  svt_rpath="-Wl,-rpath,\$ORIGIN/svt/lib"
elif [ "$use_system" = 1 ]; then
  # A pkg-config SVT-AV1 outside the loader's default path (PKG_CONFIG_PATH, Homebrew) is found at run time too.
  svt_rpath="-Wl,-rpath,$(pkg-config --variable=libdir SvtAv1Enc)"
fi

# ---------------------------------------------------------------- 3. the shim
# Every lib/**/*.c is compiled to its own object (with a dependency file, so a header change rebuilds
# exactly what includes it), then linked into one library. compile_commands.json is written for editors.
SO="$BUILD/libav1gym.so"
OBJ="$BUILD/obj"
pc() { PKG_CONFIG_PATH="$svt_pc_dir${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}" pkg-config "$@"; }
mapfile -t sources < <(cd "$ROOT" && find lib -name '*.c' -not -path 'lib/build/*' | sort)
# shellcheck disable=SC2207
CFLAGS=(-std=c11 -D_GNU_SOURCE -O2 -g -fPIC -pthread -Wall -Wextra -Werror -Wno-unused-parameter
  -fvisibility=hidden -I"$ROOT/lib/include" -I"$ROOT/lib" $(pc --cflags SvtAv1Enc libavformat libavcodec libavutil libswscale))
# shellcheck disable=SC2207
LDLIBS=($(pc --libs SvtAv1Enc libavformat libavcodec libavutil libswscale) -lm $svt_rpath)
flags_file="$OBJ/flags"
mkdir -p "$OBJ"
# A change of flags (another SVT-AV1, a sanitizer) rebuilds everything.
flags_now="${CFLAGS[*]} | ${LDLIBS[*]}"
[ -f "$flags_file" ] && [ "$(cat "$flags_file")" = "$flags_now" ] || { rm -rf "$OBJ"; mkdir -p "$OBJ"; echo "$flags_now" > "$flags_file"; }

stale_obj() {  # $1 source, $2 object: true when the object or anything it included is older than its inputs
  local o=$2 d=${2%.o}.d
  [ -f "$o" ] && [ -f "$d" ] || return 0
  local dep
  for dep in $(sed -e 's/^[^:]*://' -e 's/\\$//' "$d"); do
    [ "$dep" -nt "$o" ] && return 0
  done
  return 1
}
objects=() jobs=() commands=()
for src in "${sources[@]}"; do
  o="$OBJ/${src#lib/}"; o="${o%.c}.o"
  objects+=("$o")
  commands+=("$(printf '{"directory":"%s","file":"%s","arguments":["cc",%s,"-c","%s","-o","%s"]}' "$ROOT" "$src" \
    "$(printf '"%s",' "${CFLAGS[@]}" | sed 's/,$//')" "$src" "$o")")
  if stale_obj "$ROOT/$src" "$o"; then
    mkdir -p "$(dirname "$o")"; rm -f "$o"
    jobs+=("$src")
    (cd "$ROOT" && cc "${CFLAGS[@]}" -MMD -MP -c "$src" -o "$o") &
    # at most nproc compilers at once
    while [ "$(jobs -rp | wc -l)" -ge "$(nproc)" ]; do wait -n || true; done
  fi
done
failed=0
for pid in $(jobs -rp); do wait "$pid" || failed=1; done
# wait -n above may have swallowed a failure: a missing object is one too
for o in "${objects[@]}"; do [ -f "$o" ] || failed=1; done
[ "$failed" = 0 ] || die "the shim did not compile (see the compiler's messages above)"
(IFS=,; echo "[${commands[*]}]") > "$ROOT/compile_commands.json.tmp" && mv "$ROOT/compile_commands.json.tmp" "$ROOT/compile_commands.json"

relink=0
[ -f "$SO" ] || relink=1
for o in "${objects[@]}"; do [ "$o" -nt "$SO" ] && relink=1; done
[ "${#jobs[@]}" -gt 0 ] && relink=1
if [ "$relink" = 1 ]; then
  say "linking the shim (${#jobs[@]} of ${#sources[@]} sources compiled)"
  cc -shared -pthread -fvisibility=hidden -o "$SO.$$.tmp" "${objects[@]}" "${LDLIBS[@]}"
  mv "$SO.$$.tmp" "$SO"   # atomic: a running process never dlopens a half-written file
fi
echo "$SO"
