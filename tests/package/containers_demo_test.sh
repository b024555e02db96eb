#!/usr/bin/env bash
# The demo lane with every module in a container of the lane's image
# (podman, host network, the state folder as their volume) rings up the
# same basket as the native demo, and leaves no container behind.
#   containers_demo_test.sh CHECKOUT_EDGE BUILD_DIR SHARED_DIR
set -euo pipefail
cli="$1" build="$2" shared="$3"
here="$(cd "$(dirname "$0")" && pwd)"
export CONTAINERS_CONF="${CONTAINERS_CONF:-$here/../../packaging/containers.conf}"
version="$(dpkg-deb -f "$(ls "$build"/packages/checkout-edge_*.deb)" Version)"
image="localhost/checkout-edge:$version"
state="$(mktemp -d /tmp/checkout-edge-containers-XXXXXX)"
trap 'rm -rf "$state"' EXIT
source "$here/../expect.sh"
basket_of() { sed -n '/^Basket/,/^  Total/p' "$1"; }

"$cli" --state-dir "$state" demo --items 4 --shared "$shared" >"$state/native.txt" 2>&1
"$cli" --state-dir "$state" demo --items 4 --shared "$shared" --containers "$image" \
  >"$state/containers.txt" 2>&1 &
demo=$!
seen=0
while kill -0 "$demo" 2>/dev/null; do
  n="$(podman ps --format '{{.Names}} {{.Mounts}}' | grep -c "^checkout-edge-.* .*$state" || true)"
  [ "$n" -gt "$seen" ] && seen="$n"
  sleep 0.5
done
wait "$demo" || { echo "the demo in containers failed:"; cat "$state/containers.txt"; exit 1; }

expect "the native demo rang items up" grep -q '^  Total' "$state/native.txt"
expect "all 7 modules ran as containers of $image (saw $seen at once)" [ "$seen" -eq 7 ]
expect "the same basket in containers as natively" \
  diff <(basket_of "$state/native.txt") <(basket_of "$state/containers.txt")
expect "every announcement spoken in the containers too" \
  grep -q '^4 announcements spoken' "$state/containers.txt"
expect "no container left behind" \
  sh -c "! podman ps -a --format '{{.Mounts}}' | grep -q '$state'"

# `check` looks for each container module's engine and image.
/usr/bin/python3 - "$state/demo/deployment.json" "$state/containers.json" "$image" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
modules = d["modulesContent"]["$edgeAgent"]["properties.desired"]["modules"]
for name, image in (("scale", sys.argv[3]), ("camera", "localhost/no-such-image:1")):
    modules[name] = {"type": "docker", "status": "running", "restartPolicy": "always",
                     "settings": {"image": image, "createOptions": {"Cmd": [name]}}}
json.dump(d, open(sys.argv[2], "w"))
PY
cp "$state/demo/catalogue.json" "$state/demo/demo-scenario.json" "$state/"
out="$("$cli" --state-dir "$state" check --manifest "$state/containers.json" --shared "$shared" --verbose 2>&1 || true)"
expect "check finds the container module's image" grep -q "ok  *scale container  *$image (podman)" <<<"$out"
expect "check names a missing image and how to get it" \
  grep -q "error  *camera container  *the image localhost/no-such-image:1 is not on this machine" <<<"$out"
[ "$failures" -eq 0 ] || { basket_of "$state/native.txt"; cat "$state/containers.txt"; echo "$out"; }
finish
