#!/usr/bin/env bash
# One command from a fresh Debian 12 machine to the talking checkout demo:
# installs and builds only what the lane and its training need, finds the
# shared photos and models (../shared, $CHECKOUT_EDGE_SHARED, or fetched
# from their origins into ~/.cache/checkout-edge), trains the demo's model
# once and runs it. `checkout-edge demo --help` says what each part takes.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --demo
scripts/build.sh demo
exec "${BUILD_DIR:-build}/src/checkout-edge" demo "$@"
