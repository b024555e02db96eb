#!/usr/bin/python3
"""The screens and the REST API under slow clients (slowloris): N
connections to each (25 from each of 127.0.1.1, 127.0.1.2, ...) that send
a request's headers a line every 2 s and never finish them. Prints how long
the kiosk page (GET /kiosk) and a classification (POST /image, a banana
photo) take with 0 and with N of them, then how long the lane waits for
them before it lets them go.

    /usr/bin/python3 bench/slow_clients.py [--connections 200] [--build build]

The lane is the shipped deployment (config/deployment.json) with the REST
API on a free loopback port; the photos come from ../shared (or
$CHECKOUT_EDGE_SHARED).
"""
import argparse, json, os, socket, statistics, subprocess, sys, tempfile, threading, time
import urllib.request

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ap = argparse.ArgumentParser()
ap.add_argument("--connections", type=int, default=200)
ap.add_argument("--build", default=os.path.join(root, "build"))
ap.add_argument("--requests", type=int, default=20)
args = ap.parse_args()
shared = os.environ.get("CHECKOUT_EDGE_SHARED", os.path.join(os.path.dirname(root), "shared"))
exe = os.path.join(args.build, "src", "checkout-edge")
banana = open(os.path.join(shared, "datasets/grocery-store/val/Fruit/Banana/Banana_001.jpg"),
              "rb").read()


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


work = tempfile.mkdtemp(prefix="ce-slow-")
state = os.path.join(work, "state")
manifest = json.load(open(os.path.join(root, "config/deployment.json")))
rest_port = free_port()
manifest["modulesContent"]["classifier"]["properties.desired"]["restPort"] = rest_port
manifest["modulesContent"]["web"]["properties.desired"]["port"] = 0
with open(os.path.join(work, "deployment.json"), "w") as f:
    json.dump(manifest, f)
for name in ("catalogue.json", "demo-scenario.json"):
    with open(os.path.join(root, "config", name)) as src, open(os.path.join(work, name), "w") as dst:
        dst.write(src.read())
log = open(os.path.join(work, "runtime.log"), "w")
lane = subprocess.Popen([exe, "--state-dir", state, "run", "--manifest",
                         os.path.join(work, "deployment.json"), "--shared", shared],
                        stdout=log, stderr=log)


def kiosk_url():
    for _ in range(600):
        out = subprocess.run([exe, "--state-dir", state, "twin", "web"], capture_output=True,
                             text=True).stdout
        try:
            url = json.loads(out)["reported"].get("kioskUrl", "")
            if url:
                return url
        except (ValueError, KeyError, TypeError):
            pass
        time.sleep(0.5)
    sys.exit("the kiosk did not come up; see " + log.name)


def timed(request):
    start = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=30) as r:
            r.read()
            ok = r.status == 200
    except Exception:
        ok = False
    return (time.monotonic() - start) * 1000, ok


def measure(kiosk):
    rows = {}
    for name, make in (("kiosk page", lambda: urllib.request.Request(kiosk)),
                       ("/image", lambda: urllib.request.Request(
                           "http://127.0.0.1:%d/image" % rest_port, data=banana,
                           headers={"Content-Type": "application/octet-stream"}))):
        times, failed = [], 0
        for _ in range(args.requests):
            ms, ok = timed(make())
            times.append(ms)
            failed += not ok
        rows[name] = (statistics.median(times), max(times), failed)
    return rows


class Slow:
    def __init__(self, ports, n):
        self.socks, self.stop = [], False
        self.start = time.monotonic()
        for port in ports:
            for i in range(n):
                s = socket.create_connection(("127.0.0.1", port),
                                             source_address=("127.0.1.%d" % (1 + i // 25), 0))
                s.sendall(b"GET /kiosk HTTP/1.1\r\nHost: 127.0.0.1\r\n")
                self.socks.append(s)
        self.thread = threading.Thread(target=self.drip, daemon=True)
        self.thread.start()

    def drip(self):
        n = 0
        while not self.stop:
            time.sleep(2)
            n += 1
            for s in self.socks:
                try:
                    s.sendall(b"X-Slow-%d: 1\r\n" % n)
                except OSError:
                    pass

    def let_go_after(self, limit_s=60):
        """Seconds from the first connection until the lane had answered or
        closed every one of them (None: not within limit_s)."""
        while time.monotonic() - self.start < limit_s:
            waiting = 0
            for s in self.socks:
                try:
                    if not s.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT):
                        continue
                except BlockingIOError:
                    waiting += 1
                except OSError:
                    pass
            if not waiting:
                return time.monotonic() - self.start
            time.sleep(0.2)
        return None

    def close(self):
        self.stop = True
        for s in self.socks:
            s.close()


try:
    kiosk = kiosk_url()
    web_port = int(kiosk.split(":")[2].split("/")[0])
    timed(urllib.request.Request(kiosk))  # warm
    for _ in range(240):  # the classifier loads its model before it listens
        if timed(urllib.request.Request("http://127.0.0.1:%d/health" % rest_port))[1]:
            break
        time.sleep(0.5)
    else:
        sys.exit("the REST API did not come up; see " + log.name)
    quiet = measure(kiosk)
    slow = Slow([web_port, rest_port], args.connections)
    time.sleep(5)  # every slow client has sent lines since
    loaded = measure(kiosk)
    let_go = slow.let_go_after()
    slow.close()
    print("| | slow clients on each port | p50 ms | max ms | failed of %d |" % args.requests)
    print("|---|---:|---:|---:|---:|")
    for label, rows, n in (("quiet", quiet, 0), ("slowloris", loaded, args.connections)):
        for name, (p50, worst, failed) in rows.items():
            print("| %s %s | %d | %.1f | %.1f | %d |" % (name, label, n, p50, worst, failed))
    print("\nAll %d slow clients answered or closed %s." % (
        2 * args.connections, "after %.1f s" % let_go if let_go else "NOT within 60 s"))
finally:
    lane.terminate()
    lane.wait()
