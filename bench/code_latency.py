#!/usr/bin/python3
"""Rung up by its code: from the stable weight to the read tone and to the
line's price, over N placements of packages whose code the camera sees, in
the full running system (runtime, broker, camera with scene gating,
classifier, barcodes module with its isolated reader, simulated scale,
checkout, speech on the "clock" device, which paces samples as a sound card
does). The packages are Grocery Store photos (oat milk, juice, yoghurt)
with an EAN-13 drawn by zint pasted on; the catalogue knows their codes.

    /usr/bin/python3 bench/code_latency.py [--scans 30] [--settle-ms 400] [--build build]

Prints the figures and how many placements were decided by code with no
question. The journal says when each line was written; the speech log when
its first sample played.
"""
import argparse, json, os, re, shutil, signal, sqlite3, statistics, subprocess, sys, tempfile
import time

import cv2

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ap = argparse.ArgumentParser()
ap.add_argument("--scans", type=int, default=30)
ap.add_argument("--build", default=os.path.join(root, "build"))
ap.add_argument("--settle-ms", type=int, default=400, help="how long the scale swings")
ap.add_argument("--gap-ms", type=int, default=1500, help="scale empty between items")
ap.add_argument("--on-scale-ms", type=int, default=3500, help="each item on the scale")
ap.add_argument("--fps", type=float, help="the camera's (the shipped deployment's: 5)")
args = ap.parse_args()

binary = os.path.join(args.build, "src", "checkout-edge")
shared = os.environ.get("CHECKOUT_EDGE_SHARED", os.path.join(os.path.dirname(root), "shared"))
photos = os.path.join(shared, "datasets", "grocery-store", "val", "Packages")
work = tempfile.mkdtemp(prefix="ce-code-latency-")
packages = [("Oat-Milk/Oatly-Oat-Milk/Oatly-Oat-Milk_001.jpg", "400638133393", "Oat milk"),
            ("Juice/Bravo-Apple-Juice/Bravo-Apple-Juice_001.jpg", "501234567890",
             "Apple juice"),
            ("Yoghurt/Arla-Mild-Vanilla-Yoghurt/Arla-Mild-Vanilla-Yoghurt_001.jpg", "871234567890",
             "Vanilla yoghurt")]
def with_check_digit(digits):
    total = sum((3 if i % 2 == 0 else 1) * int(d) for i, d in enumerate(reversed(digits)))
    return digits + str((10 - total % 10) % 10)

products, items = [], []
for i, (photo, digits, name) in enumerate(packages):
    bars_path = os.path.join(work, f"code{i}.png")
    subprocess.run(["zint", "-b", "13", "--scale=1", "-d", digits, "-o", bars_path], check=True)
    bars, image = cv2.imread(bars_path), cv2.imread(os.path.join(photos, photo))
    if image is None:
        sys.exit(f"no photo {os.path.join(photos, photo)}: give CHECKOUT_EDGE_SHARED")
    h, w = bars.shape[:2]
    y, x = image.shape[0] - h - 10, (image.shape[1] - w) // 2
    image[y:y + h, x:x + w] = bars
    out = os.path.join(work, f"package{i}.jpg")
    cv2.imwrite(out, image)
    products.append({"id": f"p{i}", "name": name, "gtin": with_check_digit(digits),
                     "unitPrice": 199 + i * 100})
    items.append({"image": out, "grams": 500 + i * 100, "product": f"p{i}"})
json.dump({"currency": "USD", "products": products}, open(os.path.join(work, "catalogue.json"), "w"))
scenario = {"leadInMs": 8000, "gapMs": args.gap_ms, "itemMs": args.on_scale_ms,
            "settleMs": args.settle_ms,
            "items": [items[i % len(items)] for i in range(args.scans)]}
json.dump(scenario, open(os.path.join(work, "demo-scenario.json"), "w"))
manifest = json.load(open(os.path.join(root, "config", "deployment.json")))
content = manifest["modulesContent"]
content["speech"]["properties.desired"].update({"device": "clock", "wavDir": ""})
content["checkout"]["properties.desired"]["threshold"] = 0.999  # the image alone would ask
if args.fps:
    content["camera"]["properties.desired"]["fps"] = args.fps
json.dump(manifest, open(os.path.join(work, "deployment.json"), "w"))

state = os.path.join(work, "state")
run = subprocess.Popen([binary, "--state-dir", state, "run", "--manifest",
                        os.path.join(work, "deployment.json"), "--shared", shared],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
slot = scenario["gapMs"] + scenario["itemMs"]
duration = (scenario["leadInMs"] + args.scans * slot) / 1000
print(f"running {args.scans} placements ({duration:.0f} s) in {work}", flush=True)
time.sleep(duration + 5)
started = json.load(open(os.path.join(state, "agent.json")))["startedMs"]
log = subprocess.run([binary, "--state-dir", state, "logs", "speech"],
                     capture_output=True, text=True).stdout
run.send_signal(signal.SIGTERM)
run.wait(timeout=60)

db = sqlite3.connect(os.path.join(state, "data", "checkout", "journal.db"))
questions = db.execute("SELECT count(*) FROM events WHERE kind = 'question'").fetchone()[0]
# Each code decision is journalled with the stable weight it answers.
decided = [(ms, json.loads(detail)) for ms, detail in
           db.execute("SELECT ms, detail FROM events WHERE kind = 'code'")]
written = [ms - d["stableMs"] for ms, d in decided if d.get("productId")]
tone = [int(ms) for ms in re.findall(r'speech: \(read tone\) \(first sample at \d+, (-?\d+) ms after', log)]
price = [int(ms) for ms in re.findall(
    r'speech: "[^"]*\d[^"]*" \(first sample at \d+, (-?\d+) ms after the weight settled', log)]

def figures(values):
    if not values:
        return "none"
    values = sorted(values)
    p = lambda q: values[min(len(values) - 1, int(round(q * (len(values) - 1))))]
    return (f"p50 {p(0.5)} ms, p95 {p(0.95)} ms, max {values[-1]} ms, "
            f"mean {statistics.mean(values):.0f} ms (n={len(values)})")

print(f"placements: {args.scans}; lines decided by code: {len(written)}; questions: {questions}")
print(f"stable weight -> line written:             {figures(written)}")
print(f"stable weight -> first audio of the tone: {figures(tone)}")
print(f"stable weight -> first audio of the price: {figures(price)}")
shutil.rmtree(work) if not os.environ.get("KEEP") else print("kept", work)
