#!/usr/bin/env bash
# Verifies the committed packages/libyang-wasm/wasm artifacts: rebuilds them from the pinned Debian sources
# into a scratch directory and compares the SHA-256 sums with packages/libyang-wasm/SHA256SUMS.
set -euo pipefail

REPO=$(cd "$(dirname "$0")/../.." && pwd)
PKG=$REPO/packages/libyang-wasm
SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/lywasm-check.XXXXXX")
trap 'rm -rf "$SCRATCH"' EXIT

mkdir -p "$SCRATCH/wasm"
LYWASM_OUT="$SCRATCH/wasm" bash "$REPO/tools/libyang-wasm/build.sh"

cp "$PKG/SHA256SUMS" "$SCRATCH/SHA256SUMS"
if ! (cd "$SCRATCH" && sha256sum --check --strict SHA256SUMS); then
  echo "check.sh: the rebuilt libyang-wasm artifacts differ from packages/libyang-wasm/SHA256SUMS" >&2
  echo "check.sh: rebuild them with 'npm run build:libyang-wasm' and commit wasm/ and SHA256SUMS together" >&2
  exit 1
fi
if ! (cd "$PKG" && sha256sum --check --strict --quiet SHA256SUMS); then
  echo "check.sh: the committed files in packages/libyang-wasm/wasm do not match SHA256SUMS" >&2
  exit 1
fi
echo "check.sh: libyang-wasm artifacts are reproducible (sha256 match)"
