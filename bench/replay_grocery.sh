#!/usr/bin/env bash
# The lane learning from its answers, replayed on Grocery Store photos the
# package never trained on (issue 23's targets). Needs the package from
# bench/train_grocery.sh (calibrated on val-a, the odd lines of val.txt):
#   bench/replay_grocery.sh [PACKAGE] [OUT_DIR]      (after scripts/build.sh)
# Prints, per risk, the replay of all of val (--shuffle 1, as the issue asks)
# and of val-b alone: the half that neither calibration nor the choice of
# the blend's rule (made on val-a) ever saw.
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${BUILD_DIR:-build}/src/checkout-edge"
shared="${CHECKOUT_EDGE_SHARED:-../shared}"
data="$shared/datasets/grocery-store"
package="${1:-/tmp/grocery-package}"
out="${2:-/tmp/grocery-replay}"
halves="$(mktemp -d)"
trap 'rm -rf "$halves"' EXIT
ln -s "$(realpath "$data")/val" "$halves/val"
cp "$data/classes.csv" "$halves/"
awk 'NR % 2 == 0' "$data/val.txt" > "$halves/val-b.txt"
for risk in 0.01 0.05; do
  for list in "$data/val.txt" "$halves/val-b.txt"; do
    name="$(basename "$list" .txt)-risk$risk"
    echo "== $name"
    "$bin" replay --model "$package" --data "$list" --shuffle 1 --accept-risk "$risk" \
      --out "$out/$name" | grep -E "half|memory"
  done
done
