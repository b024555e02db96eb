#!/bin/sh
# Runs one fuzz target for FUZZ_SECONDS (4 by default) from its seed corpus
# (fuzz/corpus/<target>, and the shipped config/ files where they apply).
# A crash fails with the input that caused it, kept in the build folder.
#   fuzz/run.sh BUILD_DIR TARGET      e.g. fuzz/run.sh build/fuzz catalogue
set -eu
build="$1"
target="$2"
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
seeds="$root/fuzz/corpus/$target"
case "$target" in
  manifest | catalogue | scenario) seeds="$seeds $root/config" ;;
  decode_image) seeds="$seeds $root/fuzz/corpus/image_header" ;;
  # The shared photos of real codes (../shared or $CHECKOUT_EDGE_SHARED).
  code_reader | product_code)
    shared="${CHECKOUT_EDGE_SHARED:-$root/../shared}"
    for set in "$shared"/datasets/barcodes/*/; do seeds="$seeds $set"; done
    ;;
esac
# Whole photos, for the code reader; text elsewhere.
max_len=65536
[ "$target" = code_reader ] && max_len=1048576
mkdir -p "$work/new" "$build/crashes"
# shellcheck disable=SC2086  # $seeds is a list of folders
if ! "$build/fuzz_$target" -max_total_time="${FUZZ_SECONDS:-4}" -timeout=10 -rss_limit_mb=2048 \
  -max_len="$max_len" -print_final_stats=1 -artifact_prefix="$build/crashes/$target-" \
  "$work/new" $seeds >"$work/log" 2>&1; then
  tail -n 60 "$work/log"
  echo "fuzz_$target found a crash; the input is in $build/crashes/" >&2
  exit 1
fi
grep -E "stat::number_of_executed_units|Done [0-9]+ runs" "$work/log" | head -2
