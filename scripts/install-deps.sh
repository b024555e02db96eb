#!/usr/bin/env bash
# Installs what Checkout Edge needs to build, run and test, from Debian 12's
# own packages. Safe to run again: apt-get skips what is already there.
set -euo pipefail

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
  libdnnl-dev ocl-icd-opencl-dev            # bench: oneDNN, measured against XNNPACK (its CMake
                                            # config needs OpenCL's, only recommended)
  libplplot-dev plplot-driver-cairo         # evaluation reports: plots (PNG through Cairo)
  libarmnn-dev libarmnntfliteparser-dev libarmnn-cpuref-backend22  # tests: an independent TFLite engine
  nlohmann-json3-dev libcli11-dev           # JSON, command line
  libcpp-httplib-dev                        # the classifier's REST API
  libgif-dev                                # the classifier: GIF images (OpenCV 4.6 reads none)
  libsqlite3-dev                            # the basket journal
  zlib1g-dev                                # the classifier's memory: CRC-32 of its records
  flite1-dev libasound2-dev                 # speech: English TTS (Flite) and audio out
  libespeak-ng-dev espeak-ng-data           # speech: de, fr, es, zh, ko (eSpeak NG; Pico is non-free)
  pocketsphinx pocketsphinx-en-us           # tests: is the English speech intelligible (WER)
  libsodium-dev                             # web: staff passwords (Argon2id), session tokens
  libzxing-dev                              # barcodes: EAN/UPC and GS1 DataBar (zxing-cpp)
  libzbar-dev                               # bench: ZBar, measured against zxing-cpp
  zint                                      # tests: barcodes drawn on product photos
  libcurl4-openssl-dev                      # modules under Azure IoT Edge: its workload API (a unix socket)
  python3-paho-mqtt                         # tests: a stand-in for IoT Edge (edgeHub, workload API)
  chromium                                  # tests: the web pages in a real browser
  nodejs                                    # tests: puppeteer-core and axe-core (npm, web/package-lock.json)
  libgtest-dev                              # tests
  clang libclang-rt-14-dev                  # tests: libFuzzer, ASan and UBSan (fuzz/)
  python3-opencv                            # bench/: the python3-opencv peer
  podman buildah runc mmdebstrap            # scripts/package.sh: the lane's container image (and its tests)
  systemd                                   # tests: systemd-analyze verify on the lane's unit
)

# npm comes with the machine's Node.js here; Debian's package where it does not.
command -v npm >/dev/null || packages+=(npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

# npm packages, exactly as the lockfiles pin them: the web module's charts
# (built into it) and the browser tests' driver and checker.
browser_packages() {
  local dir
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
