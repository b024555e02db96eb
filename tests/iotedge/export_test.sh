#!/usr/bin/env bash
# `checkout-edge export iotedge` writes a deployment that the published IoT
# Edge schema accepts (ajv, draft-04), with what IoT Edge needs in it.
#   export_test.sh CHECKOUT_EDGE SOURCE_DIR
set -euo pipefail
cli="$1" src="$2"
here="$(cd "$(dirname "$0")" && pwd)"
schema="$here/azure-iot-edge-deployment-2.0.json"
out="$(mktemp -d /tmp/checkout-edge-export-XXXXXX)"
trap 'rm -rf "$out"' EXIT
source "$here/../expect.sh"

"$cli" export iotedge --manifest "$src/packaging/lane-deployment.json" \
  --registry myregistry.azurecr.io --tag 0.1.0-amd64 --out "$out/lane.json" 2>"$out/stderr"
expect "the lane's deployment is valid against the published schema" \
  node "$here/validate.js" "$schema" "$out/lane.json"
# The validator is no formality: the native manifest is not an IoT Edge one.
expect "the schema refuses the native manifest" \
  sh -c "! node '$here/validate.js' '$schema' '$src/config/deployment.json' 2>/dev/null"
expect "the moduleStatus routes are named as left out" grep -q "laneStatusToSpeech' is left out" "$out/stderr"

expect "what IoT Edge needs is in it" /usr/bin/python3 - "$out/lane.json" "$src/packaging/lane-deployment.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))["modulesContent"]
lane = json.load(open(sys.argv[2]))["modulesContent"]
agent = d["$edgeAgent"]["properties.desired"]
assert agent["schemaVersion"] == "1.1"
assert set(agent["systemModules"]) == {"edgeAgent", "edgeHub"}
cred = agent["runtime"]["settings"]["registryCredentials"]["myregistry"]
assert cred == {"username": "${REGISTRY_USERNAME}", "password": "${REGISTRY_PASSWORD}",
                "address": "myregistry.azurecr.io"}, cred
mods = agent["modules"]
lane_mods = lane["$edgeAgent"]["properties.desired"]["modules"]
assert set(mods) == set(lane_mods), (set(mods), set(lane_mods))
for name, m in mods.items():
    s = m["settings"]
    assert s["image"] == "myregistry.azurecr.io/checkout-edge:0.1.0-amd64", s
    create = json.loads("".join(s[k] for k in sorted(s) if k.startswith("createOptions")))
    assert create["Cmd"] == [lane_mods[name]["settings"]["module"]], create
    assert "/var/lib/checkout-edge:/var/lib/checkout-edge" in create["HostConfig"]["Binds"]
    assert m["restartPolicy"] == lane_mods[name]["restartPolicy"]
    assert m["startupOrder"] == lane_mods[name]["startupOrder"]
    assert d[name]["properties.desired"], name  # each module's twin
def devices(name):
    s = mods[name]["settings"]
    create = json.loads("".join(s[k] for k in sorted(s) if k.startswith("createOptions")))
    return [x["PathOnHost"] for x in create["HostConfig"].get("Devices", [])], create["HostConfig"].get("GroupAdd", [])
assert devices("camera") == (["/dev/video0"], ["video"]), devices("camera")
assert devices("scale") == (["/dev/checkout-edge/scale"], ["dialout"]), devices("scale")
assert devices("keypad") == (["/dev/checkout-edge/keypad"], ["input"])
assert devices("speech") == (["/dev/snd"], ["audio"])
assert mods["classifier"]["env"] == {"OMP_NUM_THREADS": {"value": "2"}}
assert d["checkout"]["properties.desired"]["catalogue"] == "/etc/checkout-edge/catalogue.json"
assert d["classifier"]["properties.desired"]["model"]["package"] == "/var/lib/checkout-edge/models/current"
routes = d["$edgeHub"]["properties.desired"]["routes"]
lane_routes = lane["$edgeHub"]["properties.desired"]["routes"]
kept = {k: v for k, v in lane_routes.items() if "$edgeAgent" not in v}
assert routes == kept, set(routes) ^ set(kept)
assert "password" not in json.dumps(d["checkout"]).lower()
PY

# A module that is a program of its own cannot be a container without an image.
/usr/bin/python3 - "$src/config/deployment.json" "$out/program.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["modulesContent"]["$edgeAgent"]["properties.desired"]["modules"]["scale"]["settings"] = {"command": ["/usr/bin/true"]}
json.dump(d, open(sys.argv[2], "w"))
PY
msg="$("$cli" export iotedge --manifest "$out/program.json" --registry r.example 2>&1 || true)"
expect "a module that runs its own program is refused, with what to do" \
  grep -q "module 'scale' runs its own program (settings.command); IoT Edge runs containers" <<<"$msg"
msg="$("$cli" run --manifest "$out/lane.json" 2>&1 || true)"
expect "the native runtime sends an IoT Edge deployment to IoT Edge" \
  grep -q "deploy it with IoT Edge" <<<"$msg"
finish
