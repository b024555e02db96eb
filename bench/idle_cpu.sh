#!/usr/bin/env bash
# CPU used by the camera, classifier, barcodes (and its reader process) and
# checkout (and the runtime and broker) while nothing is on the scale: the
# real processes, a still empty scene at 5 fps.
#   bench/idle_cpu.sh [SECONDS]      (after scripts/build.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-30}"
bin="${BUILD_DIR:-build}/src/checkout-edge"
shared="${CHECKOUT_EDGE_SHARED:-../shared}"
work="$(mktemp -d)"
trap 'kill "$runtime" 2>/dev/null; wait "$runtime" 2>/dev/null; rm -rf "$work"' EXIT

/usr/bin/python3 - "$work" "$shared" "$PWD" <<'PY'
import json, sys, cv2, numpy as np
work, shared = sys.argv[1], sys.argv[2]
# An empty scale as a 640x480 camera would see it, with a little sensor noise.
img = np.full((480, 640, 3), (205, 210, 210), np.uint8)
img = cv2.add(img, np.random.default_rng(1).integers(0, 4, img.shape, dtype=np.uint8))
cv2.imwrite(work + "/empty.jpg", img)
module = lambda name, order: {"type": "process", "status": "running", "restartPolicy": "always",
                              "version": "1.0", "startupOrder": order, "settings": {"module": name}}
manifest = {"modulesContent": {
  "$edgeAgent": {"properties.desired": {"schemaVersion": "1.1",
    "runtime": {"type": "process", "settings": {}},
    "modules": {"classifier": module("classifier", 1), "camera": module("camera", 2),
                "barcodes": module("barcodes", 1), "checkout": module("checkout", 1)}}},
  "$edgeHub": {"properties.desired": {"schemaVersion": "1.1", "routes": {
    "frames": "FROM /messages/modules/camera/outputs/frames INTO BrokeredEndpoint(\"/modules/classifier/inputs/frames\")",
    "framesToBarcodes": "FROM /messages/modules/camera/outputs/frames INTO BrokeredEndpoint(\"/modules/barcodes/inputs/frames\")",
    "codes": "FROM /messages/modules/barcodes/outputs/codes INTO BrokeredEndpoint(\"/modules/checkout/inputs/codes\")"}}},
  "barcodes": {"properties.desired": {}},
  "checkout": {"properties.desired": {"catalogue": sys.argv[3] + "/config/catalogue.json",
                                      "codeWaitMs": 300}},
  "camera": {"properties.desired": {"source": work + "/empty.jpg", "fps": 5}},
  "classifier": {"properties.desired": {"model": {"package": shared + "/models/custom-vision-exports/toscana_computer-onnx"}}}}}
json.dump(manifest, open(work + "/deployment.json", "w"))
PY

"$bin" --state-dir "$work/state" run --manifest "$work/deployment.json" --shared "$shared" 2>"$work/runtime.log" &
runtime=$!
sleep 8  # started, models loaded, the empty scene learnt

pids() {
  /usr/bin/python3 -c '
import json, sys
a = json.load(open(sys.argv[1]))
print("runtime", a["pid"])
for m in a["modules"]:
    if m.get("pid"): print(m["name"], m["pid"])' "$work/state/agent.json" |
    while read -r name pid; do
      echo "$name $pid"
      # The barcodes module's reader runs in a process of its own.
      if [ "$name" = barcodes ]; then
        for child in $(pgrep -P "$pid"); do echo "code-reader $child"; done
      fi
    done
}
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
declare -A before
while read -r name pid; do before[$name]="$pid $(ticks "$pid")"; done < <(pids)
sleep "$seconds"
hz=$(getconf CLK_TCK)
printf "%-12s %8s\n" process "CPU %"
for name in "${!before[@]}"; do
  read -r pid t0 <<<"${before[$name]}"
  t1=$(ticks "$pid")
  awk -v n="$name" -v d="$((t1 - t0))" -v hz="$hz" -v s="$seconds" \
    'BEGIN { printf "%-12s %8.2f\n", n, 100 * d / hz / s }'
done | sort | awk '{ print; total += $2 } END { printf "%-12s %8.2f\n", "all", total }'
echo "(% of one core over ${seconds} s; nothing on the scale, camera at 5 fps)"
