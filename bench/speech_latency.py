#!/usr/bin/python3
"""Latency the shopper feels: from the scale's stable weight (with a still
image already classified) to the first sample handed to the audio device,
over N scans in the full running system (runtime, broker, camera with scene
gating, classifier, scale, checkout, speech on the "clock" device).

    /usr/bin/python3 bench/speech_latency.py [--scans 55] [--build build]

Each scan: the item's photo appears, the scale swings for settleMs and
then reports a stable weight; the camera has sent the settled scene to the
classifier by then. The speech module logs, for each sentence, how long after
the stable weight its first sample went to the device.
"""
import argparse, json, os, re, shutil, signal, statistics, subprocess, sys, tempfile, time

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ap = argparse.ArgumentParser()
ap.add_argument("--scans", type=int, default=55)
ap.add_argument("--build", default=os.path.join(root, "build"))
ap.add_argument("--settle-ms", type=int, default=1500)
args = ap.parse_args()

binary = os.path.join(args.build, "src", "checkout-edge")
work = tempfile.mkdtemp(prefix="ce-latency-")
shutil.copy(os.path.join(root, "config", "catalogue.json"), work)
demo = json.load(open(os.path.join(root, "config", "demo-scenario.json")))
items = [demo["items"][i % len(demo["items"])] for i in range(args.scans)]
scenario = {"leadInMs": 5000, "gapMs": 800, "itemMs": args.settle_ms + 1200,
            "settleMs": args.settle_ms, "items": items}
json.dump(scenario, open(os.path.join(work, "demo-scenario.json"), "w"))
manifest = json.load(open(os.path.join(root, "config", "deployment.json")))
manifest["modulesContent"]["speech"]["properties.desired"].update({"device": "clock", "wavDir": ""})
json.dump(manifest, open(os.path.join(work, "deployment.json"), "w"))

state = os.path.join(work, "state")
run = subprocess.Popen([binary, "--state-dir", state, "run", "--manifest",
                        os.path.join(work, "deployment.json")],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
duration = (scenario["leadInMs"] + len(items) * (scenario["gapMs"] + scenario["itemMs"])) / 1000
print(f"running {len(items)} scans ({duration:.0f} s) in {work}", flush=True)
time.sleep(duration + 5)
log = subprocess.run([binary, "--state-dir", state, "logs", "speech"],
                     capture_output=True, text=True).stdout
run.send_signal(signal.SIGTERM)
run.wait(timeout=60)

latencies = [int(m) for m in re.findall(r"first sample at \d+, (-?\d+) ms after the weight settled", log)]
if len(latencies) < 50:
    print(f"only {len(latencies)} timed sentences; the speech log:\n{log[-3000:]}", file=sys.stderr)
    sys.exit(1)
latencies.sort()
p = lambda q: latencies[min(len(latencies) - 1, int(round(q * (len(latencies) - 1))))]
print(f"scans timed: {len(latencies)}")
print(f"stable weight -> first audio sample: p50 {p(0.5)} ms, p95 {p(0.95)} ms, "
      f"max {latencies[-1]} ms, mean {statistics.mean(latencies):.1f} ms")
shutil.rmtree(work) if not os.environ.get("KEEP") else print("kept", work)
