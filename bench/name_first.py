#!/usr/bin/python3
"""Say the name first: from the moment an item is placed to the first audio
of its name (said from the still image while the scale still swings), and
to the first audio of its price (said once the weight settled), over N
placements in the full running system (runtime, broker, camera with scene
gating, classifier serving PACKAGE, simulated scale, checkout, speech on
the "clock" device, which paces samples as a sound card does).

    /usr/bin/python3 bench/name_first.py --package DIR [--scans 60]
        [--settle-ms 1500] [--fps 30] [--gate-settle-ms 150] [--gap-ms 1500]
        [--on-scale-ms 4500] [--build build]

DIR is a model package for the demo's products, e.g. the one
`checkout-edge demo` trains once into <state>/models/demo-grocery.
"Placed" is when the scenario puts the photo under the camera and the
weight on the scale (the runtime's clock: agent.json's startedMs). A name
waits for the previous item's price to be said to its end (a price is never
cut), so at a pace faster than the prices are said, the name waits too.
"""
import argparse, json, os, re, shutil, signal, statistics, subprocess, sys, tempfile, time

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ap = argparse.ArgumentParser()
ap.add_argument("--package", required=True)
ap.add_argument("--scans", type=int, default=60)
ap.add_argument("--build", default=os.path.join(root, "build"))
ap.add_argument("--settle-ms", type=int, default=1500, help="how long the scale swings")
ap.add_argument("--fps", type=float, default=30)
ap.add_argument("--gate-settle-ms", type=int, default=150)
ap.add_argument("--gap-ms", type=int, default=1500, help="scale empty between items")
ap.add_argument("--on-scale-ms", type=int, default=4500, help="each item on the scale")
args = ap.parse_args()
if not os.path.exists(os.path.join(args.package, "package.json")):
    sys.exit(f"{args.package} is not a model package (no package.json); run `checkout-edge demo` "
             "once and pass <state>/models/demo-grocery")

binary = os.path.join(args.build, "src", "checkout-edge")
work = tempfile.mkdtemp(prefix="ce-name-first-")
shutil.copy(os.path.join(root, "config", "catalogue.json"), work)
demo = json.load(open(os.path.join(root, "config", "demo-scenario.json")))
items = [demo["items"][i % len(demo["items"])] for i in range(args.scans)]
scenario = {"leadInMs": 8000, "gapMs": args.gap_ms, "itemMs": args.on_scale_ms,
            "settleMs": args.settle_ms, "items": items}
json.dump(scenario, open(os.path.join(work, "demo-scenario.json"), "w"))
manifest = json.load(open(os.path.join(root, "config", "deployment.json")))
content = manifest["modulesContent"]
content["speech"]["properties.desired"].update({"device": "clock", "wavDir": ""})
content["classifier"]["properties.desired"]["model"] = {"package": os.path.abspath(args.package)}
content["camera"]["properties.desired"].update(
    {"fps": args.fps, "gate": {"settleMs": args.gate_settle_ms}})
json.dump(manifest, open(os.path.join(work, "deployment.json"), "w"))

state = os.path.join(work, "state")
shared = os.environ.get("CHECKOUT_EDGE_SHARED", os.path.join(os.path.dirname(root), "shared"))
run = subprocess.Popen([binary, "--state-dir", state, "run", "--manifest",
                        os.path.join(work, "deployment.json"), "--shared", shared],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
slot = scenario["gapMs"] + scenario["itemMs"]
duration = (scenario["leadInMs"] + len(items) * slot) / 1000
print(f"running {len(items)} placements ({duration:.0f} s) in {work}", flush=True)
time.sleep(duration + 5)
started = json.load(open(os.path.join(state, "agent.json")))["startedMs"]
log = subprocess.run([binary, "--state-dir", state, "logs", "speech"],
                     capture_output=True, text=True).stdout
run.send_signal(signal.SIGTERM)
run.wait(timeout=60)

said = re.findall(r'speech: "(.*)" \(first sample at (\d+), -?\d+ ms after the (item was placed|'
                  r'weight settled)', log)
name_ms, first_ms, price_ms, named = [], [], [], 0
by_slot = {}
for text, at, after in said:
    t = int(at) - started - scenario["leadInMs"]
    if t < 0 or t // slot >= len(items):
        continue
    by_slot.setdefault(t // slot, []).append((t % slot - scenario["gapMs"], text, after))
for i, sentences in sorted(by_slot.items()):
    first_ms.append(sentences[0][0])
    names = [ms for ms, _, after in sentences if after == "item was placed"]
    if names:
        named += 1
        name_ms.append(names[0])
    prices = [ms for ms, text, after in sentences
              if after == "weight settled" and re.search(r"\d", text)]
    if prices:
        price_ms.append(prices[0])

def figures(values):
    values = sorted(values)
    p = lambda q: values[min(len(values) - 1, int(round(q * (len(values) - 1))))]
    return (f"p50 {p(0.5)} ms, p95 {p(0.95)} ms, max {values[-1]} ms, "
            f"mean {statistics.mean(values):.0f} ms (n={len(values)})")

if len(by_slot) < len(items) * 0.9 or not name_ms:
    print(f"only {len(by_slot)} placements were heard, {named} named; the speech log:\n"
          f"{log[-3000:]}", file=sys.stderr)
    sys.exit(1)
print(f"placements heard: {len(by_slot)} of {len(items)}; named before the weight settled: "
      f"{named}")
print(f"placed -> first audio of the name:  {figures(name_ms)}")
print(f"placed -> first audio of anything:  {figures(first_ms)}")
print(f"placed -> first audio of the price: {figures(price_ms)} "
      f"(the scale swings {args.settle_ms} ms)")
shutil.rmtree(work) if not os.environ.get("KEEP") else print("kept", work)
