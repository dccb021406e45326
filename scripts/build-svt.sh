#!/usr/bin/env bash
# The one build entry: system packages (scripts/packages.txt), SVT-AV1 (2.3.x, 3.x or 4.x), then the shim
# (lib/build/libav1gym.so). Idempotent: a run with nothing changed prints nothing and only checks timestamps.
#
# Where SVT-AV1 comes from, first match wins:
#   1. the system's, when `pkg-config SvtAv1Enc` reports a supported version (2.3.x, 3.x, 4.x);
#   2. a previous build cached in $AV1GYM_CACHE (default ~/.cache/av1gym), copied into lib/build/svt;
#   3. SVT_AV1_SRC=<source dir | tarball> of a supported version (another one is refused, naming those);
#   4. Debian trixie's 2.3.0 source tarball: its directory and SHA-256 come from trixie's signed Sources index,
#      read through a temporary apt configuration (the system's apt sources are never touched), and must match
#      the pins below; only the tarball is downloaded (apt-helper checks the SHA-256 on the way in).
# Cases 2-4 build encoder-only Release (library + SvtAv1EncApp, the benchmark peer) into lib/build/svt, and
# the shim gets an rpath to it, so nothing needs LD_LIBRARY_PATH at run time. A source build first applies
# scripts/svt-patches/<version>/*.patch when that directory exists (fixes of SVT-AV1 bugs that av1gym hits);
# the patches' hash is part of the cache's name and of lib/build/svt's stamp, so a build from before a patch
# changed is rebuilt rather than reused. The system's SVT-AV1 (case 1) is used as it is, unpatched.
set -eEuo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=lib/common.sh
. "$ROOT/scripts/lib/common.sh"
BUILD="$ROOT/lib/build"
SVT_PREFIX="$BUILD/svt"
CACHE="${AV1GYM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/av1gym}"
SVT_VERSION=2.3.0
SVT_TARBALL="svt-av1_${SVT_VERSION}+dfsg.orig.tar.xz"
SVT_SHA256=815e88cc539c41b8ebd1a6f362f82ab510147635fc6c3edfa35edcfbed302cd8
SVT_SIZE=9017580
NPROC=$(nproc)

# The SVT-AV1 versions lib/codec/svt.c builds against (its version shims); others are refused.
SVT_SUPPORTED="2.3.x, 3.x and 4.x"
svt_supported() { case "$1" in 2.3 | 2.3.* | 3.* | 4.*) return 0 ;; *) return 1 ;; esac; }
# The version a source tree declares (CMakeLists.txt: project(svt-av1 VERSION x.y.z)).
svt_src_version() { sed -n 's/^project(svt-av1 VERSION \([0-9.]*\).*/\1/p' "$1/CMakeLists.txt" | head -n1; }
# The patches for a version: "none", or a hash of scripts/svt-patches/<version>/*.patch (names and contents).
SVT_PATCHES="$ROOT/scripts/svt-patches"
svt_patch_files() { compgen -G "$SVT_PATCHES/$1/*.patch" | LC_ALL=C sort || true; }
svt_patch_id() {
  local files
  files=$(svt_patch_files "$1")
  if [ -z "$files" ]; then echo none; return; fi
  # shellcheck disable=SC2086
  (cd "$SVT_PATCHES/$1" && sha256sum $(basename -a $files)) | sha256sum | cut -c1-12
}
# lib/build/svt and each cached build carry av1gym-patches: the patch id they were built with.
STAMP=av1gym-patches
svt_stamp() { if [ -f "$1/$STAMP" ]; then cat "$1/$STAMP"; else echo none; fi; }  # none: built before stamps
svt_pc_version() { sed -n 's/^Version: *//p' "$1/lib/pkgconfig/SvtAv1Enc.pc"; }
system_svt=$(pkg-config --modversion SvtAv1Enc 2> /dev/null || true)
use_system=0
svt_note=""  # said in the stage line when we build or copy our own
if [ -n "$system_svt" ]; then
  if svt_supported "$system_svt"; then use_system=1; else svt_note=" (the system's $system_svt is not a supported version)"; fi
fi
# A build for this checkout from another SVT_AV1_SRC version is replaced, and so is one whose patches are not
# the current ones for its version (e.g. a 2.3.0 built before its patches existed).
if [ -f "$SVT_PREFIX/lib/pkgconfig/SvtAv1Enc.pc" ]; then
  have_version=$(svt_pc_version "$SVT_PREFIX")
  if { [ -n "${SVT_AV1_SRC:-}" ] && [ -d "$SVT_AV1_SRC" ] && [ "$(svt_src_version "$SVT_AV1_SRC")" != "$have_version" ]; } ||
    [ "$(svt_stamp "$SVT_PREFIX")" != "$(svt_patch_id "$have_version")" ]; then
    rm -rf "$SVT_PREFIX"
  fi
fi

# ---------------------------------------------------------------- 1. system packages
# setup.sh has just done this when it is the caller.
[ "${AV1GYM_PACKAGES_CHECKED:-}" = 1 ] || ensure_packages
mkdir -p "$BUILD"

# ---------------------------------------------------------------- 2. SVT-AV1
# $1: the tarball's destination. Reads trixie's Sources index through a throw-away apt configuration (the
# mirror is the system's own), takes the tarball's directory from it and checks the index's SHA-256 and
# size against the pins, then downloads only the tarball.
fetch_svt_tarball() {
  command -v apt-get > /dev/null || die "no apt-get: set SVT_AV1_SRC to the source directory or tarball of an SVT-AV1 2.3.x, 3.x or 4.x"
  local uri apt found dir sha size
  uri=$(debian_mirror)
  [ -n "$uri" ] || die "found no Debian mirror in /etc/apt/sources.list{,.d}; set SVT_AV1_SRC instead"
  apt="$work/apt"
  mkdir -p "$apt/lists/partial" "$apt/dl"
  # apt downloads as its unprivileged _apt user when it can: let it write there (no warning in the log).
  if [ "$(id -u)" = 0 ] && id _apt > /dev/null 2>&1; then chmod 755 "$work" "$apt"; chown _apt "$apt/lists/partial" "$apt/dl"; fi
  echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $uri trixie main" > "$apt/sources.list"
  local opts=(-o Dir::Etc::sourcelist="$apt/sources.list" -o Dir::Etc::sourceparts=- -o Dir::State::lists="$apt/lists"
    -o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache= -o APT::Get::List-Cleanup=0)
  logged apt-get "${opts[@]}" update || die "apt could not read trixie's source index from $uri"
  # "Directory SHA-256 size" of the record whose Checksums-Sha256 lists our tarball.
  found=$(apt-cache "${opts[@]}" showsrc svt-av1 2>> "$SETUP_LOG" | awk -v f="$SVT_TARBALL" '
    function record_end() { if (sha != "" && out == "") out = dir " " sha " " size; dir = sha = size = "" }
    /^$/ { record_end(); next }
    /^Directory:/ { dir = $2 }
    /^Checksums-Sha256:/ { in_sha = 1; next }
    /^[^ ]/ { in_sha = 0 }
    in_sha && $3 == f { sha = $1; size = $2 }
    END { record_end(); print out }' || true)
  read -r dir sha size <<< "$found" || true
  [ -n "${dir:-}" ] || die "trixie's source index has no $SVT_TARBALL; set SVT_AV1_SRC to the source of an SVT-AV1 2.3.x, 3.x or 4.x"
  [ "$sha" = "$SVT_SHA256" ] && [ "$size" = "$SVT_SIZE" ] ||
    die "trixie's index lists $SVT_TARBALL as sha256 $sha, $size bytes; this script pins $SVT_SHA256, $SVT_SIZE bytes"
  logged /usr/lib/apt/apt-helper download-file "$uri/$dir/$SVT_TARBALL" "$apt/dl/$SVT_TARBALL" "SHA256:$SVT_SHA256" ||
    die "could not download $uri/$dir/$SVT_TARBALL"
  mv "$apt/dl/$SVT_TARBALL" "$1"
}

svt_pc_dir=""     # where SvtAv1Enc.pc lives when we use our own build
svt_rpath=""
if [ "$use_system" = 1 ]; then
  :  # the system's is a supported version
elif [ -f "$SVT_PREFIX/lib/pkgconfig/SvtAv1Enc.pc" ]; then
  :  # already built or copied for this checkout
else
  patch_id=$(svt_patch_id "$SVT_VERSION")
  cached="$CACHE/svt-av1-$SVT_VERSION"
  [ "$patch_id" = none ] || cached+="+p$patch_id"
  if [ -z "${SVT_AV1_SRC:-}" ] && [ -f "$cached/lib/pkgconfig/SvtAv1Enc.pc" ] && [ "$(svt_stamp "$cached")" = "$patch_id" ]; then
    stage_begin "SVT-AV1 $SVT_VERSION from the cache (${cached/#$HOME/\~})$svt_note"
  else
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    src=""
    if [ -n "${SVT_AV1_SRC:-}" ]; then
      stage_begin "SVT-AV1 source from SVT_AV1_SRC"
      if [ -d "$SVT_AV1_SRC" ]; then src="$SVT_AV1_SRC"
      elif [ -f "$SVT_AV1_SRC" ]; then tar -xf "$SVT_AV1_SRC" -C "$work"; src=$(find "$work" -mindepth 1 -maxdepth 1 -type d | head -n1)
      else die "SVT_AV1_SRC=$SVT_AV1_SRC is neither a directory nor a file"; fi
      cached="$work/install-from-src"   # a user-given source is not put in the shared cache
      what="SVT-AV1 from SVT_AV1_SRC"
    else
      stage_begin "SVT-AV1 $SVT_VERSION source$svt_note"
      tarball="$CACHE/$SVT_TARBALL"
      mkdir -p "$CACHE"
      # A cached tarball is checked again: a truncated or replaced file is downloaded anew.
      if [ ! -f "$tarball" ] || [ "$(sha256sum < "$tarball" | cut -d' ' -f1)" != "$SVT_SHA256" ]; then
        rm -f "$tarball"
        fetch_svt_tarball "$tarball.part"
        mv "$tarball.part" "$tarball"
      fi
      [ "$(stat -c %s "$tarball")" = "$SVT_SIZE" ] || die "$tarball: size mismatch (expected $SVT_SIZE bytes)"
      [ "$(sha256sum < "$tarball" | cut -d' ' -f1)" = "$SVT_SHA256" ] || die "$tarball: SHA-256 mismatch (expected $SVT_SHA256)"
      mkdir -p "$work/src"
      tar -xf "$tarball" -C "$work/src"
      src=$(find "$work/src" -mindepth 1 -maxdepth 1 -type d | head -n1)
      what="SVT-AV1 $SVT_VERSION"
    fi
    [ -f "$src/CMakeLists.txt" ] || die "$src does not look like SVT-AV1 source (no CMakeLists.txt)"
    src_version=$(svt_src_version "$src")
    svt_supported "$src_version" || die "$src is SVT-AV1 ${src_version:-of unknown version}; av1gym supports $SVT_SUPPORTED"
    src_patch_id=$(svt_patch_id "$src_version")
    if [ "$src_patch_id" != none ]; then
      # patched in a copy: a user's source directory is never changed
      if [[ $src != "$work"/* ]]; then cp -a "$src" "$work/patched"; src="$work/patched"; fi
      for p in $(svt_patch_files "$src_version"); do
        logged patch -d "$src" -p1 --forward --batch -i "$p" || die "${p#"$ROOT"/} does not apply to SVT-AV1 $src_version"
      done
      what+=" + scripts/svt-patches/$src_version"
    fi
    stage_end
    stage_begin "building $what (once; a few minutes)"
    logged cmake -S "$src" -B "$work/build" -DCMAKE_BUILD_TYPE=Release -DBUILD_DEC=OFF -DBUILD_TESTING=OFF \
      -DBUILD_APPS=ON -DBUILD_SHARED_LIBS=ON -DCMAKE_INSTALL_PREFIX="$cached" -DCMAKE_INSTALL_LIBDIR=lib \
      -DCMAKE_INSTALL_RPATH='$ORIGIN/../lib' || die "cmake could not configure SVT-AV1"
    logged cmake --build "$work/build" -j"$NPROC" || die "SVT-AV1 did not build"
    logged cmake --install "$work/build" || die "SVT-AV1 did not install into $cached"
    echo "$src_patch_id" > "$cached/$STAMP"
  fi
  rm -rf "$SVT_PREFIX"
  cp -a "$cached" "$SVT_PREFIX"
  # The .pc file names the prefix it was installed to; point it at this copy.
  sed -i "s|^prefix=.*|prefix=$SVT_PREFIX|" "$SVT_PREFIX/lib/pkgconfig/SvtAv1Enc.pc"
  stage_end
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
# Sources are named relative to the root, as the dependency files list them.
cd "$ROOT"
SO="$BUILD/libav1gym.so"
OBJ="$BUILD/obj"
# The metrics-only library: the same objects of lib/metrics and the libav-free part of lib/core, linked without
# libav or SVT-AV1. The metrics path of the TS side (src/native/ffi.ts, metricsNative) loads it, so scoring raw
# or Y4M files does not load the ~140 shared objects libav and SVT-AV1 bring (about 100 ms and 25 MB).
METRICS_OBJS=(core/error core/file core/samples core/threads 'metrics/*')
pc() { PKG_CONFIG_PATH="$svt_pc_dir${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}" pkg-config "$@"; }
mapfile -t sources < <(find lib -name '*.c' -not -path 'lib/build/*' | sort)
# An SVT-AV1 built without asserts (NDEBUG: it imports no __assert_fail) lets lib/codec/svt.c switch a ROI map
# off with a NULL event; with asserts in, that event would abort, so the shim must not send it.
svt_lib=$(ls "$(pc --variable=libdir SvtAv1Enc)"/libSvtAv1Enc.so* 2>/dev/null | head -n1 || true)
svt_ndebug=0
if [ -n "$svt_lib" ] && command -v nm >/dev/null && ! nm -D "$svt_lib" | grep -q __assert_fail; then svt_ndebug=1; fi
# shellcheck disable=SC2207
CFLAGS=(-std=c11 -D_GNU_SOURCE -O2 -g -fPIC -pthread -Wall -Wextra -Werror -Wno-unused-parameter -DAG_SVT_NDEBUG=${svt_ndebug:-0}
  -fvisibility=hidden -I"$ROOT/lib/include" -I"$ROOT/lib" $(pc --cflags SvtAv1Enc libavformat libavcodec libavutil libswscale))
# shellcheck disable=SC2207
LDLIBS=($(pc --libs SvtAv1Enc libavformat libavcodec libavutil libswscale) -lm $svt_rpath)
# AV1GYM_SANITIZE=address,undefined (any -fsanitize= list): the shim with those sanitizers, built apart in
# lib/build/san/ (its own objects and libav1gym.so, so the normal build is untouched). Any UB report aborts.
# scripts/test-sanitized.sh builds it and runs tests on it with the runtime preloaded into bun.
if [ -n "${AV1GYM_SANITIZE:-}" ]; then
  [[ $AV1GYM_SANITIZE =~ ^[a-z]+(,[a-z]+)*$ ]] || die "AV1GYM_SANITIZE=$AV1GYM_SANITIZE: give a sanitizer list such as address,undefined"
  SO="$BUILD/san/libav1gym.so"
  OBJ="$BUILD/san/obj"
  CFLAGS+=(-fsanitize="$AV1GYM_SANITIZE" -fno-sanitize-recover=all -fno-omit-frame-pointer)
  LDLIBS=("${LDLIBS[@]/\$ORIGIN\/svt/\$ORIGIN/../svt}" -fsanitize="$AV1GYM_SANITIZE")
fi
flags_file="$OBJ/flags"
mkdir -p "$OBJ"
# A change of flags (another SVT-AV1, a sanitizer) rebuilds everything.
flags_now="${CFLAGS[*]} | ${LDLIBS[*]}"
[ -f "$flags_file" ] && [ "$(< "$flags_file")" = "$flags_now" ] || { rm -rf "$OBJ"; mkdir -p "$OBJ"; echo "$flags_now" > "$flags_file"; }

stale_obj() {  # $1 object: true when it, its dependency file, or anything it was built from is missing or newer
  local o=$1 d=${1%.o}.d deps dep
  [ -f "$o" ] && [ -f "$d" ] || return 0
  deps=$(< "$d")
  for dep in ${deps//\\/}; do
    [[ $dep == *: ]] && continue   # the object's own target, and -MP's phony header targets
    [ "$dep" -nt "$o" ] && return 0
  done
  return 1
}
objects=() stale=() commands=()
args_json=$(printf '"%s",' "${CFLAGS[@]}")
for src in "${sources[@]}"; do
  o="$OBJ/${src#lib/}"; o="${o%.c}.o"
  objects+=("$o")
  commands+=("{\"directory\":\"$ROOT\",\"file\":\"$src\",\"arguments\":[\"cc\",${args_json%,},\"-c\",\"$src\",\"-o\",\"$o\"]}")
  stale_obj "$o" && stale+=("$src")
done
[ -n "${AV1GYM_SANITIZE:-}" ] || { (IFS=,; echo "[${commands[*]}]") > "$ROOT/compile_commands.json.tmp" && mv "$ROOT/compile_commands.json.tmp" "$ROOT/compile_commands.json"; }

# (only when lib/metrics exists: a tree without it, such as the build test's, links the one library)
METRICS_SO="$(dirname "$SO")/libav1gym_metrics.so"
metrics_objects=()
if [ -d lib/metrics ]; then
  for o in "${objects[@]}"; do for m in "${METRICS_OBJS[@]}"; do [[ $o == "$OBJ"/$m.o ]] && metrics_objects+=("$o") && break; done; done
fi
relink=0
[ -f "$SO" ] || relink=1
[ "${#metrics_objects[@]}" -eq 0 ] || [ -f "$METRICS_SO" ] || relink=1
for o in "${objects[@]}"; do [ "$o" -nt "$SO" ] && relink=1; done
[ "${#stale[@]}" -gt 0 ] && relink=1
if [ "$relink" = 1 ]; then
  stage_begin "shim (${#stale[@]} of ${#sources[@]} sources compiled)"
  for src in "${stale[@]}"; do
    o="$OBJ/${src#lib/}"; o="${o%.c}.o"
    mkdir -p "$(dirname "$o")"; rm -f "$o" "$o.err"
    (trap - ERR; cc "${CFLAGS[@]}" -MMD -MP -c "$src" -o "$o" 2> "$o.err") &
    # at most nproc compilers at once
    while [ "$(jobs -rp | wc -l)" -ge "$NPROC" ]; do wait -n || true; done
  done
  wait || true
  # The compilers' messages, in full: into the log, and on the terminal when an object is missing.
  failed=0
  for o in "${objects[@]}"; do
    [ -s "$o.err" ] && cat "$o.err" >> "$SETUP_LOG"
    [ -f "$o" ] || failed=1
  done
  if [ "$failed" = 1 ]; then
    stage_abort
    for o in "${objects[@]}"; do [ -s "$o.err" ] && cat "$o.err" >&2; done
    die "the shim did not compile (the compiler's messages are above)"
  fi
  logged cc -shared -pthread -fvisibility=hidden -o "$SO.$$.tmp" "${objects[@]}" "${LDLIBS[@]}" || die "the shim did not link"
  mv "$SO.$$.tmp" "$SO"   # atomic: a running process never dlopens a half-written file
  if [ "${#metrics_objects[@]}" -gt 0 ]; then
    # --no-undefined: a metrics source that starts to need libav (or another lib/ file) fails here, not at load
    logged cc -shared -pthread -fvisibility=hidden -Wl,--no-undefined -o "$METRICS_SO.$$.tmp" "${metrics_objects[@]}" -lm \
      ${AV1GYM_SANITIZE:+-fsanitize="$AV1GYM_SANITIZE"} || die "the metrics library did not link"
    mv "$METRICS_SO.$$.tmp" "$METRICS_SO"
  fi
  stage_end
fi
echo "$SO"
