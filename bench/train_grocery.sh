#!/usr/bin/env bash
# Trains on the Grocery Store train split with the defaults, calibrates on one
# half of val (alternate photos of each product) and reports on val: top-1,
# top-4 and coarse on all of val (calibration changes no ranking, and no
# choice is made on val), calibration and risk on the other half only.
# Times training and an enrollment. Prints the figures for docs/benchmarks.md.
#   bench/train_grocery.sh [OUT_DIR] [extra train options...]   (after scripts/build.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${BUILD_DIR:-build}/src/checkout-edge"
shared="${CHECKOUT_EDGE_SHARED:-../shared}"
data="$shared/datasets/grocery-store"
out="${1:-/tmp/grocery-package}"
shift || true
rm -rf "$out" "$out-iteration2" "$out-report-b"
halves="$(mktemp -d)"
trap 'rm -rf "$halves"' EXIT
# Paths in the list are relative to it: the halves live beside a link to it.
ln -s "$(realpath "$data")/val" "$halves/val"
cp "$data/classes.csv" "$halves/"
awk 'NR % 2 == 1' "$data/val.txt" > "$halves/val-a.txt"
awk 'NR % 2 == 0' "$data/val.txt" > "$halves/val-b.txt"

start=$(date +%s.%N)
"$bin" train --data "$data/train.txt" --val "$data/val.txt" --calibration "$halves/val-a.txt" \
  --out "$out" --name grocery "$@"
end=$(date +%s.%N)
echo "train: $(awk "BEGIN { printf \"%.1f\", $end - $start }") s wall"

echo "calibration and risk on the half of val not calibrated on:"
"$bin" evaluate --model "$out" --data "$halves/val-b.txt" --out "$out-report-b"
python3 - "$out-report-b/metrics.json" "$out/package.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1])); p = json.load(open(sys.argv[2]))
curve = p.get("calibration", {}).get("riskCoverage", [])
def threshold(risk):
    for pt in curve:
        if pt["risk"] <= risk and pt["coverage"] > 0 and pt.get("accepted", 0) * risk >= 1 - 1e-9:
            return pt["threshold"]
    return None
print("ECE %.3f on %d photos" % (m["expectedCalibrationError"], m["images"]))
for risk in (0.01, 0.02):
    t = threshold(risk)
    if t is None:
        print("acceptRisk %g: no threshold measured" % risk); continue
    pt = min(m["riskCoverage"], key=lambda q: abs(q["threshold"] - t))
    print("acceptRisk %g: threshold %.2f -> accepts %.1f%% of scans, %.1f%% of them wrong"
          % (risk, t, 100 * pt["coverage"], 100 * pt["risk"]))
PY

# Enrollment: a product the model does not have, from 8 photos. The shared
# data has no spare product, so a copy of the package without one is not
# possible; instead enroll photos of an existing fine class under a new
# name, which times the work exactly.
photos=$(ls "$data"/train/Fruit/Pineapple/*.jpg | head -8)
start=$(date +%s.%N)
"$bin" enroll --model "$out" --out "$out-iteration2" --tag "Pineapple (store brand)" $photos
end=$(date +%s.%N)
echo "enroll: $(awk "BEGIN { printf \"%.1f\", $end - $start }") s wall"
start=$(date +%s.%N)
"$bin" evaluate --model "$out" --data "$data/val.txt"
end=$(date +%s.%N)
echo "evaluate (296 photos): $(awk "BEGIN { printf \"%.1f\", $end - $start }") s wall"
