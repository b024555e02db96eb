#!/usr/bin/python3
"""The peer: the same networks run the way a data scientist would, with
Debian's python3-opencv and Custom Vision's sample preprocessing in NumPy.

    bench/python_peer.py SHARED_DIR PREPARED_DIR [N]

PREPARED_DIR holds the networks as bench_vision --prepared wrote them (the
committed TensorFlow, ZipMap and float16 files do not load in cv2 as they are;
that is tried and reported first).
"""
import os
import sys
import time

import cv2
import numpy as np


def crop_center(img, cropx, cropy):
    h, w = img.shape[:2]
    startx, starty = w // 2 - cropx // 2, h // 2 - cropy // 2
    return img[starty:starty + cropy, startx:startx + cropx]


def custom_vision_input(img, size):
    h, w = img.shape[:2]
    if max(h, w) > 1600:
        s = 1600.0 / max(h, w)
        img = cv2.resize(img, (int(w * s), int(h * s)), interpolation=cv2.INTER_LINEAR)
    m = min(img.shape[:2])
    img = cv2.resize(crop_center(img, m, m), (256, 256), interpolation=cv2.INTER_LINEAR)
    return crop_center(img, size, size)


def shorter_side_input(img, size):
    h, w = img.shape[:2]
    s = 256.0 / min(h, w)
    img = cv2.resize(img, (round(w * s), round(h * s)), interpolation=cv2.INTER_AREA)
    return crop_center(img, size, size)


def percentile(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, int(p * len(v)))]


def main():
    shared, prepared = sys.argv[1], sys.argv[2]
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 100
    photos = []
    with open(os.path.join(shared, "datasets/grocery-store/val.txt")) as f:
        for line in f:
            if len(photos) == n:
                break
            photos.append(cv2.imread(os.path.join(shared, "datasets/grocery-store", line.split(",")[0])))
    exports = os.path.join(shared, "models/custom-vision-exports")
    models = []
    for name in sorted(os.listdir(exports)):
        committed = [os.path.join(exports, name, f) for f in ("model.pb", "model.onnx")
                     if os.path.exists(os.path.join(exports, name, f))][0]
        models.append((name, committed, 227, custom_vision_input, (0, 0, 0)))
    for f in ("SqueezeNet_fp32.onnx", "SqueezeNet_fp16.onnx"):
        models.append(("imagenet-" + f, os.path.join(shared, "models/imagenet-squeezenet", f), 224,
                       shorter_side_input, (104, 117, 123)))

    print("python3-opencv %s, %d photos" % (cv2.__version__, len(photos)))
    print("%-34s %-9s %7s %8s %8s %8s" % ("model", "committed", "threads", "p50 ms", "p99 ms", "img/s"))
    for name, committed, size, prepare, mean in models:
        try:
            cv2.dnn.readNet(committed)
            as_committed = "loads"
        except cv2.error:
            as_committed = "refused"
        ext = os.path.splitext(committed)[1]
        net = cv2.dnn.readNet(os.path.join(prepared, name + (ext if ext == ".pb" else ".onnx")))
        for threads in (1, 2):
            cv2.setNumThreads(threads)
            times = []
            for i, img in enumerate(photos[:5] + photos):
                t0 = time.perf_counter()
                blob = cv2.dnn.blobFromImage(prepare(img, size), 1.0, (size, size), mean, False, False)
                net.setInput(blob)
                net.forward()
                if i >= 5:
                    times.append((time.perf_counter() - t0) * 1000)
            print("%-34s %-9s %7d %8.2f %8.2f %8.1f" % (
                name, as_committed, threads, percentile(times, 0.5), percentile(times, 0.99),
                1000.0 * len(times) / sum(times)))


if __name__ == "__main__":
    main()
