#!/usr/bin/env bash
# One command from a fresh Debian 12 machine to the talking checkout demo.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
exec "${BUILD_DIR:-build}/src/checkout-edge" demo "$@"
