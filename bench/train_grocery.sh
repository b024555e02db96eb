#!/usr/bin/env bash
# Trains on the Grocery Store train split, reports on val (never trained on),
# times it, and times an enrollment. Prints the figures for docs/benchmarks.md.
#   bench/train_grocery.sh [OUT_DIR] [extra train options...]   (after scripts/build.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${BUILD_DIR:-build}/src/checkout-edge"
shared="${CHECKOUT_EDGE_SHARED:-../shared}"
data="$shared/datasets/grocery-store"
out="${1:-/tmp/grocery-package}"
shift || true
rm -rf "$out" "$out-iteration2"

start=$(date +%s.%N)
"$bin" train --data "$data/train.txt" --val "$data/val.txt" --out "$out" --name grocery "$@"
end=$(date +%s.%N)
echo "train: $(awk "BEGIN { printf \"%.1f\", $end - $start }") s wall"

# Enrollment: a product the model does not have, from 8 photos. The shared
# data has no spare product, so a copy of the package without one is not
# possible; instead enroll photos of an existing fine class under a new
# name, which times the work exactly.
photos=$(ls "$data"/train/Fruit/Pineapple/*.jpg | head -8)
start=$(date +%s.%N)
"$bin" enroll --model "$out" --out "$out-iteration2" --tag "Pineapple (store brand)" $photos
end=$(date +%s.%N)
echo "enroll: $(awk "BEGIN { printf \"%.1f\", $end - $start }") s wall"
"$bin" evaluate --model "$out" --data "$data/val.txt"
