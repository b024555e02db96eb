#!/usr/bin/env python3
"""A stand-in for Azure IoT Edge around one module under test.

It serves what IoT Edge gives a module: the workload API on a unix socket
(signing the module's SAS token with its key, the trust bundle) and, on an
MQTT broker with TLS, what edgeHub does for it: answer its twin GET, take
its reported patches, route messages to its inputs, call its direct
methods, and record every output it sends. Then it plays a shopper placing
a banana (the scale's weight and the classifier's predictions, as edgeHub's
routes would deliver them) and writes what happened to --results.

It is not edgeHub: one module at a time (a plain broker gives every client
the same $iothub topics), and the SAS token's signature is recorded for the
test to check, not verified by the broker.
"""
import argparse
import base64
import hashlib
import hmac
import http.server
import json
import socketserver
import threading
import time
import urllib.parse

import paho.mqtt.client as mqtt

ap = argparse.ArgumentParser()
ap.add_argument("--socket", required=True)
ap.add_argument("--ca", required=True)
ap.add_argument("--port", type=int, required=True)
ap.add_argument("--device", required=True)
ap.add_argument("--module", required=True)
ap.add_argument("--key", required=True, help="the module's primary key, base64")
ap.add_argument("--desired", required=True, help="the module's desired properties (a JSON file)")
ap.add_argument("--results", required=True)
ap.add_argument("--timeout", type=float, default=60)
args = ap.parse_args()

events = []
lock = threading.Condition()


def record(event):
    with lock:
        events.append(event)
        lock.notify_all()


def wait_for(pred, what, timeout=20):
    deadline = time.time() + timeout
    with lock:
        while True:
            for e in events:
                if pred(e):
                    return e
            left = deadline - time.time()
            if left <= 0:
                raise TimeoutError("never saw " + what)
            lock.wait(left)


class Workload(http.server.BaseHTTPRequestHandler):
    def reply(self, code, body):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        path = urllib.parse.urlparse(self.path)
        parts = path.path.strip("/").split("/")
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        if len(parts) == 5 and parts[0] == "modules" and parts[2] == "genid" and parts[4] == "sign":
            data = base64.b64decode(body["data"])
            digest = hmac.new(base64.b64decode(args.key), data, hashlib.sha256).digest()
            record({"sign": {"module": parts[1], "generation": parts[3], "keyId": body.get("keyId"),
                             "algo": body.get("algo"), "data": data.decode(),
                             "query": path.query}})
            return self.reply(200, {"digest": base64.b64encode(digest).decode()})
        self.reply(404, {"message": "no such API"})

    def do_GET(self):
        if urllib.parse.urlparse(self.path).path == "/trust-bundle":
            return self.reply(200, {"certificate": open(args.ca).read()})
        self.reply(404, {"message": "no such API"})

    def log_message(self, *a):
        pass

    def address_string(self):
        return "workload"


class UnixHttp(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True

    def get_request(self):
        sock, _ = super().get_request()
        return sock, ("workload", 0)


workload = UnixHttp(args.socket, Workload)
threading.Thread(target=workload.serve_forever, daemon=True).start()

desired = json.load(open(args.desired))
prefix = f"devices/{args.device}/modules/{args.module}/"


def query(topic):
    return dict(urllib.parse.parse_qsl(topic.partition("?")[2]))


def on_message(client, _, msg):
    t = msg.topic
    if t.startswith("$iothub/twin/GET/"):
        rid = query(t)["$rid"]
        record({"twinGet": rid})
        client.publish(f"$iothub/twin/res/200/?$rid={rid}",
                       json.dumps({"desired": dict(desired, **{"$version": 1}), "reported": {}}), 1)
    elif t.startswith("$iothub/twin/PATCH/properties/reported/"):
        rid = query(t)["$rid"]
        record({"reported": json.loads(msg.payload)})
        client.publish(f"$iothub/twin/res/204/?$rid={rid}&$version=2", b"", 1)
    elif t.startswith(prefix + "messages/events/"):
        bag = dict(urllib.parse.parse_qsl(t[len(prefix + "messages/events/"):]))
        try:
            body = json.loads(msg.payload)
        except ValueError:
            body = len(msg.payload)
        record({"output": bag.pop("$.on", None), "properties": bag, "body": body})
    elif t.startswith("$ce/"):
        record({"nativeRuntimeTopic": t})
    elif t.startswith("$iothub/methods/res/"):
        record({"methodResponse": int(t.split("/")[3]), "rid": query(t)["$rid"],
                "body": json.loads(msg.payload)})


edge_hub = mqtt.Client(client_id="edgeHub", protocol=mqtt.MQTTv311)
edge_hub.tls_set(ca_certs=args.ca)
edge_hub.on_message = on_message
edge_hub.connect("localhost", args.port)
for topic in ("$iothub/twin/GET/#", "$iothub/twin/PATCH/properties/reported/#",
              prefix + "messages/events/#", "$iothub/methods/res/#", "$ce/#"):
    edge_hub.subscribe(topic, 1)
edge_hub.loop_start()


def to_input(name, body, **props):
    props.setdefault("timestamp", str(int(time.time() * 1000)))
    props.setdefault("contentType", "application/json")
    bag = urllib.parse.urlencode(props, quote_via=urllib.parse.quote)
    edge_hub.publish(f"{prefix}inputs/{name}/{bag}", json.dumps(body), 1)


results = {"ok": False}
try:
    # The checkout is up once it has told speech the words it may need.
    wait_for(lambda e: e.get("output") == "vocabulary", "the checkout's vocabulary", args.timeout)
    for grams in (0, 0, 0):
        to_input("weight", {"grams": grams, "milligrams": grams * 1000, "stable": True, "status": "ok"})
        time.sleep(0.2)
    for _ in range(6):
        to_input("weight", {"grams": 420, "milligrams": 420000, "stable": True, "status": "ok"})
        time.sleep(0.2)
    now = str(int(time.time() * 1000))
    to_input("predictions", {"iteration": "grocery-7",
                             "predictions": [{"tagName": "Banana", "probability": 0.98},
                                             {"tagName": "Lemon", "probability": 0.01}]},
             captureTime=now, sceneId="scene-1")
    results["sentence"] = wait_for(lambda e: e.get("output") == "sentence" and "Banana" in
                                   json.dumps(e.get("body")), "a sentence naming the banana")
    results["basket"] = wait_for(lambda e: e.get("output") == "basket" and e["body"].get("lines"),
                                 "a basket with a line")
    edge_hub.publish("$iothub/methods/POST/basket/?$rid=m1", b"{}", 1)
    results["method"] = wait_for(lambda e: e.get("rid") == "m1", "the basket method's answer")
    edge_hub.publish("$iothub/methods/POST/fly/?$rid=m2", b"{}", 1)
    results["unknownMethod"] = wait_for(lambda e: e.get("rid") == "m2", "the unknown method's answer")
    results["ok"] = True
except TimeoutError as e:
    results["error"] = str(e)
with lock:
    results["events"] = events
json.dump(results, open(args.results, "w"), indent=1)
edge_hub.loop_stop()
workload.shutdown()
