#!/usr/bin/python3
"""The lane under a new operator's worst day: random kill -9 of every
module, the broker and the runtime itself while items come and go on the
scale, then a phase of hub restarts and a phase with the whole state
folder's disk full. Prints what was placed and what became of it.

    /usr/bin/python3 bench/fault_injection.py [--kills 200] [--build build]
        [--seed 1] [--no-disk-full]
    /usr/bin/python3 bench/fault_injection.py --isolated 10 [--on-ms 4000]
        [--kill-from-ms -500] [--kill-to-ms 3000]

--isolated N: no storm; each target (every module, the hub, the runtime) is
killed once in N placements, one placement in two, at a moment drawn from
--kill-from-ms to --kill-to-ms after the item is placed (the weight settles
about 300 ms after; the announcement follows within 3 s), and the outcome
is given per target. --on-ms: how long each item stays on the scale (2300
is the faster shopper: lifted 2 s after its weight settles).

The lane is the test suite's banana lane (SqueezeNet, one product, the
camera on one photo, the simulated scale putting 420 g on for 4 s in every
8 s, speech on the "clock" device). A placement is judged once the item is
off the scale again:
  lines      the basket lines made in its 8 s (journal created_ms)
  lost       no line, and the shopper was never told (a silent drop)
  told       no line, but speech said "please wait", "not added" or "cannot
             save" for it: each notice tells as many placements as it names
             ("The last 2 items were not added": two), the earliest untold
             ones before it, lifted at most 90 s before; those told 6 s or
             more after the lift (once the lane could) are counted apart
  doubled    more than one line
Placements the simulator itself took away (the runtime was killed while
the item was on the scale: a new runtime restarts the scale's scenario,
where a real scale would still hold the item) are counted apart.
Spoken: lines never heard (journal `announced` = 0 at the end), price
sentences said more often than there are lines, and lines whose sentence
(by its id, from speech's log and the hub) was said whole more than once.

The state folder (journal, logs, the runtime's own state) is on a 64 MB
tmpfs that the disk-full phase fills for 40 s (needs root; otherwise the
folder is on the ordinary disk, the phase is skipped, and it says so).
What speech said is read from its log and from its "spoken" messages,
heard on the hub by the bench itself: the log keeps nothing while the disk
is full, the hub nothing while it restarts.
"""
import argparse, json, os, random, re, shutil, signal, sqlite3, subprocess, sys, tempfile, threading, time
from datetime import datetime, timezone

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ap = argparse.ArgumentParser()
ap.add_argument("--kills", type=int, default=200)
ap.add_argument("--build", default=os.path.join(root, "build"))
ap.add_argument("--seed", type=int, default=1)
ap.add_argument("--no-disk-full", action="store_true")
ap.add_argument("--hub-restarts", type=int, default=5)
ap.add_argument("--calm-s", type=int, default=12, help="first, no faults")
ap.add_argument("--isolated", type=int, default=0, help="kills per target, one at a time")
ap.add_argument("--on-ms", type=int, default=4000, help="how long each item stays on")
ap.add_argument("--kill-from-ms", type=int, default=-500)
ap.add_argument("--kill-to-ms", type=int, default=3000)
args = ap.parse_args()
random.seed(args.seed)

binary = os.path.join(args.build, "src", "checkout-edge")
shared = os.environ.get("CHECKOUT_EDGE_SHARED", os.path.join(os.path.dirname(root), "shared"))
work = tempfile.mkdtemp(prefix="ce-faults-")
disk = os.path.join(work, "disk")
os.makedirs(disk)
disk_full = not args.no_disk_full and not args.isolated and os.geteuid() == 0
if disk_full:
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", disk], check=True)
elif not args.no_disk_full and not args.isolated:
    print("not root: the disk-full phase is skipped", flush=True)
state = os.path.join(disk, "state")
journal = os.path.join(state, "data", "checkout", "journal.db")

# The test suite's lane (tests/lane_support.h), written the same way.
shutil.copy(os.path.join(shared, "datasets/grocery-store/val/Fruit/Banana/Banana_001.jpg"),
            os.path.join(work, "camera.jpg"))
subprocess.run(["/usr/bin/python3", "-c", "import cv2, numpy as np, sys; cv2.imwrite(sys.argv[1], "
                "np.full((240, 320, 3), (205, 210, 210), np.uint8))",
                os.path.join(work, "empty.png")], check=True)
json.dump({"currency": "USD", "products": [
    {"id": "4011", "name": "Banana", "tags": ["banana"], "pricePerKg": 299,
     "plausibleGrams": [40, 3000]}]}, open(os.path.join(work, "catalogue.json"), "w"))


def module(name, order):
    return {"type": "process", "status": "running", "restartPolicy": "always", "version": "1.0",
            "startupOrder": order, "settings": {"module": name}}


def route(src, dst):
    return f'FROM /messages/modules/{src} INTO BrokeredEndpoint("/modules/{dst}")'


# The shipped manifest's restart settings (its backoff), not the runtime's defaults.
shipped = json.load(open(os.path.join(root, "config/deployment.json")))
runtime_settings = shipped["modulesContent"]["$edgeAgent"]["properties.desired"]["runtime"]["settings"]
restart_settings = {k: v for k, v in runtime_settings.items()
                    if k.startswith("restart") or k == "maxRestarts"}
squeeze = os.path.join(shared, "models/imagenet-squeezenet")
manifest = {"modulesContent": {
    "$edgeAgent": {"properties.desired": {
        "schemaVersion": "1.1", "runtime": {"type": "process", "settings": restart_settings},
        "modules": {"checkout": module("checkout", 1), "classifier": module("classifier", 1),
                    "scale": module("scale", 1), "speech": module("speech", 1),
                    "camera": module("camera", 3)}}},
    "$edgeHub": {"properties.desired": {"routes": {
        "frames": route("camera/outputs/frames", "classifier/inputs/frames"),
        "predictions": route("classifier/outputs/predictions", "checkout/inputs/predictions"),
        "weight": route("scale/outputs/weight", "checkout/inputs/weight"),
        "sentences": route("checkout/outputs/sentence", "speech/inputs/say"),
        "vocabulary": route("checkout/outputs/vocabulary", "speech/inputs/presynth"),
        "spoken": route("speech/outputs/spoken", "checkout/inputs/spoken"),
        "laneStatus": route("$edgeAgent/outputs/moduleStatus", "speech/inputs/laneStatus"),
        "weightToSpeech": route("scale/outputs/weight", "speech/inputs/weight")}}},
    "camera": {"properties.desired": {"source": os.path.join(work, "camera.jpg"),
                                      "emptyScene": os.path.join(work, "empty.png"), "fps": 10}},
    "classifier": {"properties.desired": {"model": {
        "file": os.path.join(squeeze, "SqueezeNet_fp32.onnx"),
        "labels": os.path.join(squeeze, "Labels.txt"), "resize": "shorter-side",
        "mean": [104, 117, 123]}}},
    "scale": {"properties.desired": {"steps": [[8000 - args.on_ms, 0], [args.on_ms, 420]],
                                     "hz": 10}},
    "checkout": {"properties.desired": {"catalogue": os.path.join(work, "catalogue.json"),
                                        "threshold": 0.3}},
    "speech": {"properties.desired": {"device": "clock"}}}}
json.dump(manifest, open(os.path.join(work, "deployment.json"), "w"), indent=2)

SLOT, ON_AT = 8000, 8000 - args.on_ms  # an item every 8 s, on the scale from ON_AT to 8 s
epochs = []  # [started_ms, ended_ms] of each runtime
runtime = None


def now_ms():
    return int(time.time() * 1000)


def agent():
    try:
        return json.load(open(os.path.join(state, "agent.json")))
    except (OSError, ValueError):
        return {}


def start_runtime():
    global runtime
    before = agent().get("startedMs", 0)
    runtime = subprocess.Popen([binary, "--state-dir", state, "run", "--manifest",
                                os.path.join(work, "deployment.json"), "--shared", shared],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                               errors="replace")
    # The runtime's own log (restarts, backoff), stamped, beside the state
    # folder: kept with KEEP=1, and never on the disk the bench fills.
    def keep_log(stream):
        with open(os.path.join(work, "runtime.log"), "a") as log:
            for line in stream:
                log.write(f"{now_ms()} {line}")
                log.flush()
    threading.Thread(target=keep_log, args=(runtime.stderr,), daemon=True).start()
    for _ in range(600):
        a = agent()
        if a.get("startedMs", 0) != before and a.get("running"):
            epochs.append([a["startedMs"], None])
            return
        time.sleep(0.05)
    sys.exit("the runtime did not start; see " + state)


def pid_of(name):
    for m in agent().get("modules", []):
        if m.get("name") == name and m.get("pid"):
            try:
                cmd = open(f"/proc/{m['pid']}/cmdline", "rb").read()
            except OSError:
                return 0
            if b"checkout-edge" in cmd or b"mosquitto" in cmd:
                return m["pid"]
    return 0


def kill_runtime():
    runtime.send_signal(signal.SIGKILL)
    runtime.wait()
    epochs[-1][1] = now_ms()
    time.sleep(random.uniform(0.2, 2.0))
    start_runtime()


def cli(*words):
    return subprocess.run([binary, "--state-dir", state, *words],
                          capture_output=True, text=True).stdout


# What speech says, as the hub carries it: [(ms, text, complete)].
heard_on_hub = []


def listen_to_speech():
    import paho.mqtt.client as mqtt

    def run():
        while not done.is_set():
            port = agent().get("hubPort", 0)
            try:
                key = open(os.path.join(state, "admin.key")).read().strip()
            except OSError:
                key = ""
            if not port or not key:
                time.sleep(0.5)
                continue
            c = mqtt.Client(client_id=f"fault-bench-{os.getpid()}", protocol=mqtt.MQTTv5)
            c.username_pw_set("_admin", key)

            def on_message(_c, _u, msg):
                try:
                    j = json.loads(msg.payload)
                except ValueError:
                    return
                # A sentence reported heard before was not said again.
                if isinstance(j, dict) and "text" in j and not j.get("heardBefore"):
                    heard_on_hub.append((now_ms(), j["text"], bool(j.get("complete")),
                                         j.get("sentenceId", "")))

            c.on_message = on_message
            c.on_connect = lambda c, *_: c.subscribe("modules/speech/outputs/spoken")
            try:
                c.connect("127.0.0.1", port, keepalive=5)
            except OSError:
                time.sleep(0.5)
                continue
            c.loop_start()
            # Until the runtime (and so, perhaps, the hub's port) changes.
            while not done.is_set() and agent().get("hubPort", 0) == port:
                time.sleep(0.5)
            c.loop_stop()
            c.disconnect()

    done = threading.Event()
    threading.Thread(target=run, daemon=True).start()
    return done


start_runtime()
stop_listening = listen_to_speech()
time.sleep(args.calm_s)  # the first items go through untouched
targets = ["camera", "classifier", "scale", "checkout", "speech", "edgeHub"]
kills = {t: 0 for t in targets + ["runtime"]}
missed = 0
kill_log = []  # (ms, target) of the isolated kills
if args.isolated:
    print(f"{args.isolated} isolated kills of each target in {work}", flush=True)
    for target in targets + ["runtime"]:
        for _ in range(args.isolated):
            start = epochs[-1][0]
            j = (now_ms() - start - ON_AT - args.kill_from_ms) // SLOT + 2
            at = start + SLOT * j + ON_AT + random.randint(args.kill_from_ms, args.kill_to_ms)
            time.sleep(max(0, at - now_ms()) / 1000)
            kill_log.append((now_ms(), target))
            if target == "runtime":
                kill_runtime()
            elif pid := pid_of(target):
                os.kill(pid, signal.SIGKILL)
            else:
                missed += 1
                continue
            kills[target] += 1
else:
    print(f"{args.kills} random kills in {work}", flush=True)
while not args.isolated and sum(kills.values()) < args.kills:
    time.sleep(random.uniform(1.0, 4.0))
    if random.random() < 0.04:
        kill_runtime()
        kills["runtime"] += 1
        continue
    target = random.choice(targets)
    pid = pid_of(target)
    if not pid:
        missed += 1  # restarting at that moment
        continue
    try:
        os.kill(pid, signal.SIGKILL)
        kills[target] += 1
    except ProcessLookupError:
        missed += 1

if not args.isolated:
    print("hub restarts", flush=True)
for _ in range(0 if args.isolated else args.hub_restarts):
    time.sleep(random.uniform(5, 9))
    if pid := pid_of("edgeHub"):
        os.kill(pid, signal.SIGKILL)
        kills["edgeHub"] += 1

full_from = full_to = 0
if disk_full:
    print("disk full for 40 s", flush=True)
    time.sleep(10)
    full_from = now_ms()
    try:
        with open(os.path.join(disk, "filler"), "wb") as f:
            while True:
                f.write(b"x" * 65536)
                f.flush()
    except OSError:
        pass  # full (perhaps already: the lane must keep its logs and caches short of it)
    time.sleep(40)
    if os.path.exists(os.path.join(disk, "filler")):
        os.remove(os.path.join(disk, "filler"))
    full_to = now_ms()
time.sleep(SLOT * 3 / 1000)  # the last items off the scale and said
end = now_ms()
epochs[-1][1] = end
speech_log = cli("logs", "speech")
stop_listening.set()
runtime.send_signal(signal.SIGTERM)
runtime.wait(timeout=60)

db = sqlite3.connect(journal)
rows = db.execute("SELECT created_ms, announced FROM basket_lines WHERE voided = 0").fetchall()
# What speech said whole, from its log and from the hub: one sentence seen
# by both (within 1.5 s) counts once.
from_log = []  # (ms, text, sentence id) of what the log says was said whole
for stamp, text, rest in re.findall(r'^(\S+Z) speech: "([^"]*)"(.*)$', speech_log, re.M):
    if "(interrupted)" in rest:
        continue
    sid = re.search(r'\[sentence (\S+)\]', rest)
    from_log.append((int(datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ")
                         .replace(tzinfo=timezone.utc).timestamp() * 1000), text,
                     sid.group(1) if sid else ""))
from_hub = [(t, text, sid) for t, text, complete, sid in heard_on_hub if complete]
spoken = sorted(from_log + from_hub)
merged = []
for t, text, sid in spoken:
    if not any(text == u and abs(t - s) < 1500 for s, u in merged[-8:]):
        merged.append((t, text))
# A line's sentence said whole, counted by its id: the log and the hub each
# saw some of the times it was said (the log keeps nothing while the disk
# is full, the hub heard nothing while it restarted, and a report queued
# while it was away arrives late), so the larger count of the two.
line_ids = {sid for _, _, sid in spoken if sid.startswith("line-")}
said_by_id = {sid: max(sum(1 for e in from_log if e[2] == sid),
                       sum(1 for e in from_hub if e[2] == sid)) for sid in line_ids}
lines_said_twice = sorted(sid for sid, n in said_by_id.items() if n > 1)
# Every whole price sentence, replays (said again after a restart) included;
# the price alone when the name went ahead.
price = re.compile(r'^(?:Banana, )?0\.42 kilograms, 1 dollar 26\.$')
said = [t for t, text in merged if price.match(text)]
NOTICE = re.compile(
    r'Please wait|This lane cannot save|The last (?:item was|(\d+) items were) not added')
# Each notice said whole, once however often it was said again (by its
# sentence id; by text and time for speech's own), with the number of items
# it speaks for: "The last 2 items were not added" tells two.
notices = {}
for t, text, sid in spoken:
    m = NOTICE.match(text)
    if not m:
        continue
    key = sid or next((k for k, (s, u, _) in notices.items() if u == text and abs(t - s) < 1500),
                      (text, t))
    if key not in notices or t < notices[key][0]:
        notices[key] = (t, text, int(m.group(1) or 1))

# Which placements, not rung up, each notice speaks for: in the order they
# were said, a notice tells the earliest placements still untold that
# began before it and were lifted at most LATE_MS before it. The spec asks
# the lane to say so "once it can"; how late is reported apart.
LATE_MS = 90000
untold = []  # (on, off) of placements with no line, in order
for started, ended in epochs:
    j = 0
    while started + SLOT * j + ON_AT < ended:
        on, off = started + SLOT * j + ON_AT, started + SLOT * (j + 1)
        j += 1
        if off <= ended and not any(on <= created < off + 1000 for created, _ in rows):
            untold.append((on, off))
told_after = {}  # (on, off) -> ms from the lift to the notice that told it
for t, _, n in sorted(notices.values()):
    for p in untold:
        if n == 0:
            break
        if p not in told_after and p[0] - 2000 <= t < p[1] + LATE_MS:
            told_after[p] = t - p[1]
            n -= 1
told_late = sorted(d for d in told_after.values() if d >= 6000)

placed = ok = lost = told = doubled = cut_by_runtime = during_full = full_told = 0
by_target = {}  # isolated: target -> [placements, once, told, lost, doubled]
for started, ended in epochs:
    j = 0
    while started + SLOT * j + ON_AT < ended:
        on, off = started + SLOT * j + ON_AT, started + SLOT * (j + 1)
        j += 1
        if off > ended:
            cut_by_runtime += ended != end
            continue
        placed += 1
        n = sum(1 for created, _ in rows if on <= created < off + 1000)
        warned = (on, off) in told_after
        in_full = full_from and full_from <= off and on <= full_to
        during_full += bool(in_full)
        outcome = 1 if n == 1 else 4 if n > 1 else 2 if warned else 3
        if n == 1:
            ok += 1
        elif n > 1:
            doubled += 1
        elif warned:
            told += 1
            full_told += bool(in_full)
        else:
            lost += 1
        hit = [t for k, t in kill_log if on + args.kill_from_ms - 1000 <= k < off]
        if hit:
            tally = by_target.setdefault(hit[0], [0, 0, 0, 0, 0])
            tally[0] += 1
            tally[outcome] += 1
# A line made in the run's last 6 s may still be being said when it stops.
never_heard = sum(1 for created, announced in rows if not announced and created < end - 6000)
still_saying = sum(1 for created, announced in rows if not announced and created >= end - 6000)
said_twice = max(0, len(said) - len(rows))
print(f"kills: {sum(kills.values())} ({', '.join(f'{k} {v}' for k, v in kills.items())}); "
      f"{missed} tries found the target restarting")
print(f"restart settings: {restart_settings}")
print(f"placed {placed}: rung up once {ok}, lost {lost}, told to wait, that it was not added "
      f"or that the lane cannot save {told}, doubled {doubled}")
print(f"  of the told, told 6 s or more after the lift (a sentence ends up to ~5 s after it "
      f"begins): {len(told_late)}"
      + (f", {told_late[0] / 1000:.1f} to {told_late[-1] / 1000:.1f} s after" if told_late else ""))
print(f"placements the simulator took away with a killed runtime: {cut_by_runtime}")
for target, (n, once, told_n, lost_n, doubled_n) in by_target.items():
    print(f"  killed {target}: {n} placements, rung up once {once}, told {told_n}, "
          f"lost {lost_n}, doubled {doubled_n}")
if disk_full:
    print(f"disk full: {during_full} placements, {full_told} told the lane cannot save")
print(f"lines {len(rows)}, price sentences said {len(said)}: spoken never {never_heard} "
      f"(and {still_saying} made in the last 6 s, when the run stopped), "
      f"price sentences beyond the lines {said_twice}; lines said whole twice (by sentence "
      f"id) {len(lines_said_twice)} {lines_said_twice[:10]}")
if os.environ.get("KEEP"):
    shutil.copytree(state, os.path.join(work, "state-kept"), symlinks=True)
    json.dump({"merged": merged, "lines": rows, "epochs": epochs, "kills": kill_log},
              open(os.path.join(work, "spoken.json"), "w"))
if disk_full:
    subprocess.run(["umount", "-l", disk])
if os.environ.get("KEEP"):
    print("kept", work)
else:
    shutil.rmtree(work, ignore_errors=True)
