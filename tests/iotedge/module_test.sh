#!/usr/bin/env bash
# A built-in module run as Azure IoT Edge runs it: only the IOTEDGE_*
# environment, its SAS token from the workload API, MQTT 3.1.1 over TLS to
# "edgeHub" (fake_iotedge.py on Debian's Mosquitto), its twin by GET, its
# inputs and outputs in IoT Hub's topics, its direct methods.
#   module_test.sh CHECKOUT_EDGE SOURCE_DIR
set -euo pipefail
cli="$1" src="$2"
here="$(cd "$(dirname "$0")" && pwd)"
dir="$(mktemp -d /tmp/checkout-edge-iotedge-XXXXXX)"
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null; rm -rf "$dir"' EXIT
source "$here/../expect.sh"
cd "$dir"

# edgeHub's certificate, for the name modules reach it by.
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost \
  -addext subjectAltName=DNS:localhost -keyout hub.key -out ca.pem 2>/dev/null
port="$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
cat >broker.conf <<CONF
listener $port 127.0.0.1
cafile $dir/ca.pem
certfile $dir/ca.pem
keyfile $dir/hub.key
allow_anonymous true
log_dest file $dir/broker.log
connection_messages true
user $(id -un)
CONF
mosquitto -c broker.conf 2>/dev/null &
pids+=($!)
for _ in $(seq 50); do grep -q "running" broker.log 2>/dev/null && break; sleep 0.1; done

key="$(head -c 32 /dev/urandom | base64)"
cat >desired.json <<JSON
{"catalogue": "$src/config/catalogue.json", "threshold": 0.3, "rounding": "half-up"}
JSON
/usr/bin/python3 "$here/fake_iotedge.py" --socket "$dir/workload.sock" --ca ca.pem --port "$port" \
  --device lane-1 --module checkout --key "$key" --desired desired.json --results results.json &
fake=$!
pids+=($fake)
for _ in $(seq 50); do [ -S workload.sock ] && break; sleep 0.1; done

# What IoT Edge's agent sets in a module's container, and no CE_HUB_*.
env -u CE_HUB_PORT -u CE_HUB_HOST -u CE_MODULE_ID \
  IOTEDGE_MODULEID=checkout IOTEDGE_DEVICEID=lane-1 IOTEDGE_IOTHUBHOSTNAME=hub.example.net \
  IOTEDGE_GATEWAYHOSTNAME=localhost IOTEDGE_MODULEGENERATIONID=gen-42 \
  IOTEDGE_WORKLOADURI="unix://$dir/workload.sock" IOTEDGE_APIVERSION=2019-01-30 \
  IOTEDGE_AUTHSCHEME=sasToken CE_IOTEDGE_GATEWAY_PORT="$port" CE_DATA_DIR="$dir/data" TMPDIR="$dir" \
  "$cli" module checkout >module.log 2>&1 &
module=$!
pids+=($module)
wait "$fake" || true

expect "the fake IoT Edge saw the whole scan (see below otherwise)" \
  /usr/bin/python3 -c "import json,sys; r=json.load(open('results.json')); sys.exit(0 if r['ok'] else print(r.get('error')) or 1)"
# p2 is Mosquitto's name for MQTT 3.1.1, what edgeHub speaks.
expect "the module signed in as IoT Edge's module identity, MQTT 3.1.1 over TLS" \
  grep -q "as lane-1/checkout (p2, c1, k30, u'hub.example.net/lane-1/checkout/?api-version=2018-06-30')" broker.log
expect "its SAS token was signed by the workload API for its resource, valid for a while" \
  /usr/bin/python3 - results.json <<'PY'
import json, sys, time
r = json.load(open(sys.argv[1]))
sign = next(e["sign"] for e in r["events"] if "sign" in e)
resource, expiry = sign["data"].split("\n")
assert resource == "hub.example.net%2Fdevices%2Flane-1%2Fmodules%2Fcheckout", resource
assert sign["module"] == "checkout" and sign["generation"] == "gen-42", sign
assert sign["keyId"] == "primary" and sign["algo"] == "HMACSHA256", sign
assert "api-version=2019-01-30" in sign["query"], sign
assert int(expiry) > time.time() + 600, expiry
PY
expect "its twin came by GET, its settings from it" \
  /usr/bin/python3 -c "import json; r=json.load(open('results.json')); assert any('twinGet' in e for e in r['events'])"
expect "the banana was said and rung up, through IoT Hub's output topics" \
  /usr/bin/python3 - results.json <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
assert "Banana, 0.42 kilograms" in r["sentence"]["body"]["text"], r["sentence"]
line = r["basket"]["body"]["lines"][0]
assert line["name"] == "Banana" and line["grams"] == 420 and line["priceMinor"] == 126, line
assert r["basket"]["properties"]["contentType"] == "application/json", r["basket"]
PY
expect "a direct method answers through \$iothub/methods" \
  /usr/bin/python3 - results.json <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["method"]["methodResponse"] == 200, r["method"]
assert r["method"]["body"]["lines"][0]["name"] == "Banana", r["method"]
assert r["unknownMethod"]["methodResponse"] == 404, r["unknownMethod"]
assert "has no method 'fly'" in r["unknownMethod"]["body"]["error"], r["unknownMethod"]
PY
expect "it sends nothing of the native runtime's (\$ce/: heartbeats, twins)" \
  /usr/bin/python3 -c "import json; r=json.load(open('results.json')); assert not any('nativeRuntimeTopic' in e for e in r['events'])"

# Outside IoT Edge a half-set environment is named, not guessed.
msg="$(env -u CE_HUB_PORT IOTEDGE_MODULEID=checkout "$cli" module checkout 2>&1 || true)"
expect "a partial IoT Edge environment says what is missing" \
  grep -q "IOTEDGE_MODULEID is set but IOTEDGE_DEVICEID, IOTEDGE_IOTHUBHOSTNAME" <<<"$msg"

if [ "$failures" -ne 0 ]; then
  echo "--- module log"; tail -20 module.log
  echo "--- broker log"; tail -20 broker.log
  echo "--- results"; head -c 3000 results.json || true
fi
finish
