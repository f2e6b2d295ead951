#!/usr/bin/env bash
# Sets up everything the test suite needs on Debian 12 and runs it: the
# third-party peers the integration tests start (apt), the npm dependencies
# (npm ci, which also compiles the TypeScript), then every test (npm test).
# Idempotent: packages already installed are not fetched again.
set -euo pipefail
cd "$(dirname "$0")/.."

# Real peers and clients the tests drive (see test/README.md for who uses what).
PKGS=(libyang-tools gobgpd frr exabgp pmacct tshark tcpdump iproute2 procps
      python3 python3-ncclient yangcli ansible openssh-client tmux
      build-essential pkg-config libnetconf2-dev libssh-dev)

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "test-all: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get -o DPkg::Lock::Timeout=600 update -q
  as_root apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends "${missing[@]}"
fi

npm ci --no-audit --no-fund
npm run build
npm test
