#!/usr/bin/env bash
# Configures and builds into build/ (or $BUILD_DIR): everything, or with
# "demo" only the lane's programs (checkout-edge, its training program and
# the broker's plugin), without the tests, benchmarks and fuzzers.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir="${BUILD_DIR:-build}"
if [ "${1:-}" = "demo" ]; then
  cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-Release}" \
    -DBUILD_TESTING=OFF -DCHECKOUT_EDGE_BENCH=OFF >/dev/null
  cmake --build "$build_dir" -j"$(nproc)" --target checkout-edge
else
  cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-Release}" \
    -DBUILD_TESTING=ON -DCHECKOUT_EDGE_BENCH=ON >/dev/null
  cmake --build "$build_dir" -j"$(nproc)"
fi
