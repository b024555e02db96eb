#!/usr/bin/env bash
# Installs what Checkout Edge needs from Debian 12's own packages: with
# --demo only what the lane and the demo's training need (scripts/demo.sh),
# else also what the tests, benchmarks and fuzzers need (scripts/test.sh).
# Safe to run again: apt-get skips what is already there.
set -euo pipefail

demo_only=false
[ "${1:-}" = "--demo" ] && demo_only=true

packages=(
  build-essential cmake pkg-config          # build
  libopencv-dev                             # camera, classifier (DNN, codecs, V4L2)
  libprotobuf-dev protobuf-compiler libonnx-dev  # classifier: read and fix model graphs
  mosquitto libmosquitto-dev mosquitto-dev  # the hub: MQTT broker, client, plugin API
  openssl ca-certificates                   # TLS to the upstream broker (and its test)
  libssl-dev                                # model package checksums (SHA-256)
  libtorch-dev libopenblas0-pthread         # training: fine-tuning on the CPU (OpenBLAS: 7x faster)
  libflatbuffers-dev flatbuffers-compiler   # classifier: TensorFlow Lite files (our schema, flatc)
  libxnnpack-dev libpthreadpool-dev         # classifier: TensorFlow Lite files run as quantized
  libplplot-dev plplot-driver-cairo         # evaluation reports: plots (PNG through Cairo)
  nlohmann-json3-dev libcli11-dev           # JSON, command line
  libcpp-httplib-dev                        # the classifier's REST API
  libgif-dev                                # the classifier: GIF images (OpenCV 4.6 reads none)
  libsqlite3-dev                            # the basket journal
  zlib1g-dev                                # the classifier's memory: CRC-32 of its records
  flite1-dev libasound2-dev                 # speech: English TTS (Flite) and audio out
  libespeak-ng-dev espeak-ng-data           # speech: de, fr, es, zh, ko (eSpeak NG; Pico is non-free)
  libsodium-dev                             # web: staff passwords (Argon2id), session tokens
  libzxing-dev                              # barcodes: EAN/UPC and GS1 DataBar (zxing-cpp)
  libcurl4-openssl-dev                      # modules under Azure IoT Edge: its workload API (a unix socket)
  python3                                   # web: the charts (uPlot) unpacked as web/package-lock.json pins them
)
# What only the tests, benchmarks and fuzzers need.
test_packages=(
  libdnnl-dev ocl-icd-opencl-dev            # bench: oneDNN, measured against XNNPACK (its CMake
                                            # config needs OpenCL's, only recommended)
  libarmnn-dev libarmnntfliteparser-dev libarmnn-cpuref-backend22  # tests: an independent TFLite engine
  pocketsphinx pocketsphinx-en-us           # tests: is the English speech intelligible (WER)
  libzbar-dev                               # bench: ZBar, measured against zxing-cpp
  zint                                      # tests: barcodes drawn on product photos
  python3-paho-mqtt                         # tests: a stand-in for IoT Edge (edgeHub, workload API)
  chromium                                  # tests: the web pages in a real browser
  nodejs                                    # tests: puppeteer-core and axe-core (npm, tests/browser/package-lock.json)
  libgtest-dev                              # tests
  clang libclang-rt-14-dev                  # tests: libFuzzer, ASan and UBSan (fuzz/)
  python3-opencv                            # bench/: the python3-opencv peer
  podman buildah runc mmdebstrap            # scripts/package.sh: the lane's container image (and its tests)
  systemd                                   # tests: systemd-analyze verify on the lane's unit
)
$demo_only || packages+=("${test_packages[@]}")

# npm comes with the machine's Node.js here; Debian's package where it does not
# (with its 350 packages: the demo does without it).
$demo_only || command -v npm >/dev/null || packages+=(npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

# A lockfile's packages unpacked without npm: each tarball from the npm
# registry, checked against the lockfile's integrity (SHA-512) before it is
# used. For the web module's charts (uPlot: one 50 kB package, no
# dependencies, no install scripts), where Debian's npm would bring 350
# packages to the demo's machine.
unpack_locked() {
  python3 - "$1" <<'PY'
import base64, hashlib, io, json, os, sys, tarfile, urllib.request
folder = sys.argv[1]
lock = json.load(open(os.path.join(folder, "package-lock.json")))
for where, p in lock["packages"].items():
    if not where:
        continue
    name = where[len("node_modules/"):]
    url = p.get("resolved") or f"https://registry.npmjs.org/{name}/-/{name.split('/')[-1]}-{p['version']}.tgz"
    data = urllib.request.urlopen(url, timeout=60).read()
    algorithm, _, expected = p["integrity"].partition("-")
    if base64.b64encode(hashlib.new(algorithm, data).digest()).decode() != expected:
        sys.exit(f"install-deps: {url} does not match package-lock.json's integrity; not used")
    target = os.path.join(folder, where)
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        for member in tar.getmembers():
            member.name = member.name.split("/", 1)[-1]  # "package/..." -> ...
        tar.extractall(target, filter="data") if hasattr(tarfile, "data_filter") else tar.extractall(target)
PY
}

# npm packages, exactly as the lockfiles pin them: the web module's charts
# (built into it) and the browser tests' driver and checker.
browser_packages() {
  local dir
  if $demo_only; then
    dir="$(dirname "$0")/../src/modules/web"
    if [ ! -d "$dir/node_modules" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules" ]; then
      unpack_locked "$dir" && touch "$dir/node_modules"
    fi
    return
  fi
  for dir in "$(dirname "$0")/../src/modules/web" "$(dirname "$0")/../tests/browser"; do
    if [ ! -d "$dir/node_modules" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules" ]; then
      (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error && touch node_modules)
    fi
  done
}

if [ ${#missing[@]} -eq 0 ]; then
  browser_packages
  echo "install-deps: everything is installed"
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: run as root (or install sudo) to install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
echo "install-deps: installing ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
browser_packages
