#!/usr/bin/env bash
# Builds packages/libyang-wasm/wasm/lywasm.{cjs,wasm}: Debian's libyang2 and pcre2 source packages compiled
# with Debian's emscripten, linked with our C glue (packages/libyang-wasm/glue/lywasm.c).
#
# The output is byte-reproducible (build paths are mapped away with -ffile-prefix-map), so the committed
# artifacts can be verified by tools/libyang-wasm/check.sh.
#
# Environment:
#   LYWASM_OUT      output directory (default: packages/libyang-wasm/wasm; SHA256SUMS and LICENSES are
#                   only updated when writing there)
#   LYWASM_WORKDIR  reuse this scratch directory (sources and static libraries are kept and reused);
#                   default: a fresh mktemp directory, removed afterwards
# Needs root for apt-get (source packages, and the toolchain if it is missing).
set -euo pipefail

LIBYANG_VERSION=2.1.30-2
# bookworm main; the source of the -security update of pcre2 is not on every mirror, so pin the release.
PCRE2_VERSION=10.42-1
LIBYANG_DIR=libyang2-2.1.30
PCRE2_DIR=pcre2-10.42

REPO=$(cd "$(dirname "$0")/../.." && pwd)
PKG=$REPO/packages/libyang-wasm
GLUE=$PKG/glue/lywasm.c
OUT=${LYWASM_OUT:-$PKG/wasm}
export DEBIAN_FRONTEND=noninteractive
# emscripten's JS optimizer needs Debian's node-acorn, which a non-Debian node does not look for.
export NODE_PATH=/usr/share/nodejs
# Debian's emscripten ships a frozen prebuilt system-library cache: EM_CACHE must not point elsewhere.
unset EM_CACHE

if [ -n "${LYWASM_WORKDIR:-}" ]; then
  WORK=$LYWASM_WORKDIR
  mkdir -p "$WORK"
else
  WORK=$(mktemp -d "${TMPDIR:-/tmp}/lywasm-build.XXXXXX")
  trap 'rm -rf "$WORK"' EXIT
fi
WORK=$(cd "$WORK" && pwd)
# Map every build path to a fixed name so the wasm does not depend on where it was built.
PREFIX_MAP="-ffile-prefix-map=$WORK=/lywasm -ffile-prefix-map=$REPO=/bmpd"
# The libraries are compiled as LLVM bitcode (-flto) and optimised with the glue at link time (-O3):
# libyang's per-node helpers are inlined across its files. Measured on the bmpd model at 10,000 and
# 100,000 neighbors against separate -O3 libraries linked at -O2 (shared 2-core machine, one process per
# build and round, medians of 3 interleaved rounds): XML and JSON parse, print, dup, diff and validate
# took 0.72-1.02x the time, about 0.9x overall (12 of 14 figures lower).
LTO=-flto

t0=$(date +%s)
progress() { echo "[libyang-wasm +$(( $(date +%s) - t0 ))s] $*"; }

apt() { apt-get -o DPkg::Lock::Timeout=600 "$@"; }

# 1. Toolchain
if ! command -v emcc >/dev/null || ! command -v cmake >/dev/null || ! command -v ninja >/dev/null \
    || ! command -v dpkg-source >/dev/null; then
  progress "installing toolchain (emscripten cmake ninja-build dpkg-dev)"
  apt update
  apt install -y --no-install-recommends emscripten cmake ninja-build dpkg-dev
fi
progress "toolchain: $(emcc --version | head -1)"

# 2. Debian source packages. apt-get source needs a deb-src entry: derive one from the machine's own
#    Debian mirror configuration rather than naming a mirror here.
mkdir -p "$WORK/src"
if [ ! -d "$WORK/src/$LIBYANG_DIR" ] || [ ! -d "$WORK/src/$PCRE2_DIR" ]; then
  if ! grep -rqs '^[[:space:]]*\(Types:.*deb-src\|deb-src\)' /etc/apt/sources.list /etc/apt/sources.list.d/; then
    uri=$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
    if [ -z "$uri" ]; then
      uri=$(awk '$1 == "deb" { print $2; exit }' /etc/apt/sources.list 2>/dev/null || true)
    fi
    [ -n "$uri" ] || { echo "build.sh: no Debian mirror found in the apt configuration" >&2; exit 1; }
    codename=$(. /etc/os-release && echo "$VERSION_CODENAME")
    progress "adding a deb-src entry for $uri $codename"
    printf 'Types: deb-src\nURIs: %s\nSuites: %s %s-updates\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
      "$uri" "$codename" "$codename" > /etc/apt/sources.list.d/lywasm-deb-src.sources
    apt update
  fi
  (cd "$WORK/src" && { [ -d "$LIBYANG_DIR" ] || apt source "libyang2=$LIBYANG_VERSION"; } \
                  && { [ -d "$PCRE2_DIR" ] || apt source "pcre2=$PCRE2_VERSION"; }) >"$WORK/apt-source.log" 2>&1 \
    || { cat "$WORK/apt-source.log" >&2; exit 1; }
fi
progress "sources: $LIBYANG_DIR $PCRE2_DIR"

P=$WORK/prefix
mkdir -p "$P/lib" "$P/include/libyang"
# Static libraries kept in a reused LYWASM_WORKDIR are rebuilt when they were compiled with other flags.
if [ "$(cat "$P/lib/cflags" 2>/dev/null)" != "$LTO" ]; then
  rm -f "$P/lib/libpcre2-8.a" "$P/lib/libyang.a"
  echo "$LTO" > "$P/lib/cflags"
fi
JOBS=$(nproc)

# 3. PCRE2: 8-bit static library, no JIT (there is no JIT backend for wasm).
if [ ! -f "$P/lib/libpcre2-8.a" ]; then
  rm -rf "$WORK/build/pcre2" && mkdir -p "$WORK/build/pcre2" && cd "$WORK/build/pcre2"
  emcmake cmake -G Ninja "$WORK/src/$PCRE2_DIR" -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$P" \
    -DBUILD_SHARED_LIBS=OFF -DBUILD_STATIC_LIBS=ON -DPCRE2_BUILD_PCRE2_8=ON -DPCRE2_BUILD_PCRE2_16=OFF \
    -DPCRE2_BUILD_PCRE2_32=OFF -DPCRE2_SUPPORT_JIT=OFF -DPCRE2_SUPPORT_UNICODE=ON -DPCRE2_BUILD_PCRE2GREP=OFF \
    -DPCRE2_BUILD_TESTS=OFF -DCMAKE_C_FLAGS="$PREFIX_MAP $LTO" >"$WORK/pcre2-cmake.log" 2>&1 \
    || { cat "$WORK/pcre2-cmake.log" >&2; exit 1; }
  ninja -j"$JOBS" install >"$WORK/pcre2-build.log" 2>&1 || { tail -50 "$WORK/pcre2-build.log" >&2; exit 1; }
fi
progress "pcre2 built"

# 4. libyang: static library target only (its CMake always adds tools/, which we do not need).
if [ ! -f "$P/lib/libyang.a" ]; then
  rm -rf "$WORK/build/libyang" && mkdir -p "$WORK/build/libyang" && cd "$WORK/build/libyang"
  emcmake cmake -G Ninja "$WORK/src/$LIBYANG_DIR" -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$P" \
    -DENABLE_STATIC=ON -DENABLE_TESTS=OFF -DENABLE_VALGRIND_TESTS=OFF -DCMAKE_C_FLAGS="$PREFIX_MAP $LTO" \
    -DPCRE2_INCLUDE_DIRS="$P/include" -DPCRE2_LIBRARIES="$P/lib/libpcre2-8.a" >"$WORK/libyang-cmake.log" 2>&1 \
    || { cat "$WORK/libyang-cmake.log" >&2; exit 1; }
  ninja -j"$JOBS" yang >"$WORK/libyang-build.log" 2>&1 || { tail -50 "$WORK/libyang-build.log" >&2; exit 1; }
  # "install" would need the tools; copy the public headers by hand (metadata.h lives in plugins_exts/).
  S=$WORK/src/$LIBYANG_DIR/src
  cp "$S"/{context,dict,in,libyang,log,out,parser_data,parser_schema,plugins,plugins_exts,plugins_types}.h \
     "$S"/{printer_data,printer_schema,set,tree,tree_data,tree_edit,tree_schema}.h \
     "$S/plugins_exts/metadata.h" src/config.h src/version.h "$P/include/libyang/"
  cp libyang.a "$P/lib/"
fi
progress "libyang built"

# 5. Glue + link. The loader is CommonJS (.cjs) because the package is "type": "module".
EXPORTS=$(grep -o 'EMSCRIPTEN_KEEPALIVE[^(]*(' "$GLUE" | sed -E 's/.*[ *]([a-z_0-9]+)\($/"_\1"/' | paste -sd, -)
mkdir -p "$OUT"
cd "$WORK"
emcc -O3 $LTO -Wall -Werror $PREFIX_MAP -I"$P/include" "$GLUE" "$P/lib/libyang.a" "$P/lib/libpcre2-8.a" \
  -o "$WORK/lywasm.cjs" \
  -sMODULARIZE=1 -sEXPORT_NAME=createLywasm -sENVIRONMENT=node \
  -sALLOW_MEMORY_GROWTH=1 -sINITIAL_MEMORY=33554432 -sTOTAL_STACK=5242880 \
  -sFORCE_FILESYSTEM=1 -lnodefs.js -sNODEJS_CATCH_EXIT=0 -sNODEJS_CATCH_REJECTION=0 \
  -sEXPORTED_FUNCTIONS="[\"_malloc\",\"_free\",$EXPORTS]" \
  -sEXPORTED_RUNTIME_METHODS='["UTF8ToString","stringToUTF8","lengthBytesUTF8","getValue","setValue","FS","NODEFS"]'
cp "$WORK/lywasm.cjs" "$WORK/lywasm.wasm" "$OUT/"
progress "linked: $(stat -c %s "$OUT/lywasm.wasm") bytes wasm, $(stat -c %s "$OUT/lywasm.cjs") bytes loader"

# 6. Checksums and licences, only for the package's own copy.
if [ "$OUT" = "$PKG/wasm" ]; then
  (cd "$PKG" && sha256sum wasm/lywasm.cjs wasm/lywasm.wasm > SHA256SUMS)
  mkdir -p "$PKG/LICENSES"
  cp "$WORK/src/$LIBYANG_DIR/LICENSE" "$PKG/LICENSES/libyang-LICENSE"
  cp "$WORK/src/$PCRE2_DIR/LICENCE" "$PKG/LICENSES/pcre2-LICENCE"
  progress "updated SHA256SUMS and LICENSES/"
fi
(cd "$OUT" && sha256sum lywasm.cjs lywasm.wasm)
progress "done"
