#!/usr/bin/env python3
"""Writes assets/shared-files.json: every file of ../shared that the demo, the
default training and the tests use, with its public origin, size and SHA-256.

Run by a developer when the shared files change (never by users):
    scripts/asset-manifest.py [--shared ../shared]
`checkout-edge assets` reads the result to check ../shared and to fetch
what is missing into ~/.cache/checkout-edge."""
import argparse
import hashlib
import json
import os

# Where each folder of ../shared comes from, as its README names it: the
# repository, the commit, and the path there of the folder's files.
SOURCES = {
    "grocery-store": {
        "repository": "marcusklasson/GroceryStoreDataset",
        "commit": "b545e4c5db0a77d9274bc7753eb409f83772a3a5",
        "licence": "MIT",
    },
    "zxing": {"repository": "zxing/zxing", "commit": "7f129804e", "licence": "Apache-2.0"},
    "coral-test-data": {"repository": "google-coral/test_data", "commit": "104342d", "licence": "Apache-2.0"},
    "coral-edgetpu": {"repository": "google-coral/edgetpu", "commit": "285cacf", "licence": "Apache-2.0"},
    "mlcommons": {"repository": "mlcommons/mobile_open", "commit": "86a8737", "licence": "Apache-2.0"},
    "mlkit": {"repository": "googlesamples/mlkit", "commit": "f104783", "licence": "Apache-2.0"},
    "windows-ml": {"repository": "microsoft/Windows-Machine-Learning",
                   "commit": "044757481c274e4749f5c192962168520807b4cc", "licence": "MIT"},
    "azure-rpi": {"repository": "Azure-Samples/Custom-vision-service-iot-edge-raspberry-pi",
                  "commit": "709b4de5d669e6e1c5ef38eaa03cf619dafb2795", "licence": "MIT"},
    "snobu": {"repository": "snobu/bananas", "commit": "f96bf30104b6958b9d16c8e1bd293670f9a79618", "licence": "MIT"},
    "rajeshagadi": {"repository": "rajeshagadi/Custom-vision-service-iot-edge-raspberry-pi",
                    "commit": "b786071fb03dfa2ae8970ea05fe03e2753e643c5", "licence": "MIT"},
    "temalo": {"repository": "temalo/IotEdgeDemo", "commit": "aa8f6978db4a40c0c00c185da93a9b1880d1c447",
               "licence": "MIT"},
    "toscana-android": {"repository": "DotNetToscana/CustomVisionCompanion",
                        "commit": "d432dde79de68b447a402513202323e9b0d24271", "licence": "MIT"},
    "toscana-uwp": {"repository": "DotNetToscana/CustomVisionCompanion",
                    "commit": "35c46f269e623cfea49931d77d150cb58b18f02e", "licence": "MIT"},
}

TFLITE = "models/imagenet-mobilenets-tflite/"
CV = "models/custom-vision-exports/"
MODEL_FILES = {
    TFLITE + "mobilenet_edgetpu_0.75_224_post_training_quant.tflite": ("coral-edgetpu", "test_data/mobilenet_edgetpu_0.75_224_post_training_quant.tflite"),
    TFLITE + "mobilenet_v1_1.0_224_quant_embedding_extractor.tflite": ("coral-test-data", "mobilenet_v1_1.0_224_quant_embedding_extractor.tflite"),
    TFLITE + "tf2_mobilenet_v2_1.0_224_ptq.tflite": ("coral-test-data", "tf2_mobilenet_v2_1.0_224_ptq.tflite"),
    TFLITE + "mobilenet_v2_1.0_224_quant.tflite": ("coral-test-data", "mobilenet_v2_1.0_224_quant.tflite"),
    TFLITE + "imagenet_labels.txt": ("coral-test-data", "imagenet_labels.txt"),
    TFLITE + "mobilenet_edgetpu_224_1.0_uint8.tflite": ("mlcommons", "vision/mobilenet/models_and_code/checkpoints/mobilenet_edgetpu_224_1.0/mobilenet_edgetpu_224_1.0_uint8.tflite"),
    TFLITE + "object_labeler.tflite": ("mlkit", "android/vision-quickstart/app/src/main/assets/custom_models/object_labeler.tflite"),
    TFLITE + "LICENSE": ("coral-test-data", "LICENSE"),
    "models/imagenet-squeezenet/SqueezeNet_fp16.onnx": ("windows-ml", "SharedContent/models/SqueezeNet_fp16.onnx"),
    CV + "azure_fruits4-tf/model.pb": ("azure-rpi", "modules/ImageClassifierService/app/fruits model/model.pb"),
    CV + "azure_apples_bananas-tf/model.pb": ("azure-rpi", "modules/ImageClassifierService/app/apples and bananas model/model.pb"),
    CV + "snobu_apple_banana_dugong-tf/model.pb": ("snobu", "modules/ImageClassifierService/app/model.pb"),
    CV + "snobu_apple_banana_dugong-tf/labels.txt": ("snobu", "modules/ImageClassifierService/app/labels.txt"),
    CV + "rajeshagadi_banana_mandarin-tf/model.pb": ("rajeshagadi", "modules/ImageClassifierService/app/model.pb"),
    CV + "rajeshagadi_banana_mandarin-tf/labels.txt": ("rajeshagadi", "modules/ImageClassifierService/app/labels.txt"),
    CV + "temalo_soda7-tf/model.pb": ("temalo", "modules/ImageClassifierService/app/SodaModel/model.pb"),
    CV + "temalo_soda7-tf/labels.txt": ("temalo", "modules/ImageClassifierService/app/SodaModel/labels.txt"),
    CV + "toscana_computer-tf/model.pb": ("toscana-android", "Src/CustomVisionCompanion/CustomVisionCompanion.Android/Assets/model.pb"),
    CV + "toscana_computer-onnx/model.onnx": ("toscana-uwp", "Src/CustomVisionCompanion/CustomVisionCompanion.UWP/Assets/Models/Computer.onnx"),
}
# Files no repository holds as they are here: what they were made from.
MADE_HERE = {
    "models/imagenet-squeezenet/SqueezeNet_fp32.onnx": "SqueezeNet_fp16.onnx with its float16 weights converted to float32 (OpenCV 4.6 reads no float16)",
    "models/imagenet-squeezenet/Labels.txt": "the ImageNet labels of microsoft/Windows-Machine-Learning's SqueezeNet sample",
    "models/imagenet-squeezenet/Labels.json": "the ImageNet labels of microsoft/Windows-Machine-Learning's SqueezeNet sample",
    TFLITE + "LICENSE-mlcommons.md": "MLCommons' copy of the Apache-2.0 text",
}

DEMO_BACKBONES = [TFLITE + "mobilenet_v1_1.0_224_quant_embedding_extractor.tflite",
                  TFLITE + "mobilenet_edgetpu_0.75_224_post_training_quant.tflite"]


def origin_of(rel):
    if rel.startswith("datasets/grocery-store/"):
        inner = rel[len("datasets/grocery-store/"):]
        return ("grocery-store", inner if inner == "LICENSE" else "dataset/" + inner)
    if rel.startswith("datasets/barcodes/"):
        inner = rel[len("datasets/barcodes/"):]
        return ("zxing", inner if inner == "LICENSE" else "core/src/test/resources/blackbox/" + inner)
    if rel.startswith(CV) and rel.endswith("labels.txt") and rel not in MODEL_FILES:
        return None  # written from the export's own labels
    return MODEL_FILES.get(rel)


def wanted(rel):
    if rel.endswith("README.md") or "/iconic-images-and-descriptions/" in rel:
        return False
    return rel.startswith("datasets/grocery-store/") or rel.startswith("datasets/barcodes/") or rel.startswith("models/")


def uses(rel, demo_folders, demo_photos):
    u = ["tests"]
    grocery = "datasets/grocery-store/"
    if rel in DEMO_BACKBONES:
        u += ["demo", "training"]
    elif rel.startswith(grocery) and not rel.endswith("LICENSE"):
        u.append("training")
        inner = rel[len(grocery):]
        if os.path.dirname(inner) in demo_folders or inner in demo_photos:
            u.append("demo")
    return u


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser()
    parser.add_argument("--shared", default=os.path.join(here, "..", "..", "shared"))
    args = parser.parse_args()
    scenario = json.load(open(os.path.join(here, "..", "config", "demo-scenario.json")))
    demo_photos = {i["image"] for i in scenario["items"]}
    demo_folders = {os.path.dirname(p).replace("val/", "train/", 1) for p in demo_photos}
    files = []
    for root, _, names in os.walk(args.shared):
        for name in names:
            path = os.path.join(root, name)
            rel = os.path.relpath(path, args.shared)
            if not wanted(rel):
                continue
            digest = hashlib.sha256(open(path, "rb").read()).hexdigest()
            entry = {"path": rel, "size": os.path.getsize(path), "sha256": digest,
                     "uses": uses(rel, demo_folders, demo_photos)}
            origin = origin_of(rel)
            if origin:
                entry["source"], entry["origin"] = origin
            else:
                entry["madeFrom"] = MADE_HERE.get(rel, "the export's own labels, one per line")
            files.append(entry)
    files.sort(key=lambda e: e["path"])
    out = {"about": "Every file of ../shared the demo, the default training and the tests use: "
                    "where it comes from, its size and SHA-256. Written by scripts/asset-manifest.py; "
                    "read by `checkout-edge assets`.",
           "originUrl": "https://raw.githubusercontent.com/{repository}/{commit}/{origin}",
           "sources": SOURCES, "files": files}
    # One file a line: readable, and a changed file is a one-line diff.
    with open(os.path.join(here, "..", "assets", "shared-files.json"), "w") as f:
        head = {k: v for k, v in out.items() if k != "files"}
        text = json.dumps(head, indent=1)[:-2]
        f.write(text + ',\n "files": [\n')
        f.write(",\n".join("  " + json.dumps(e, separators=(",", ":")) for e in files))
        f.write("\n ]\n}\n")
    print(f"{len(files)} files, {sum(e['size'] for e in files) / 1e6:.0f} MB")


if __name__ == "__main__":
    main()
