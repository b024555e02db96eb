// checkout-edge-train: the training half of the CLI, kept in its own program
// so that the lane's modules never load libtorch. `checkout-edge train` and
// `checkout-edge enroll` run it.
#include <malloc.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <iostream>
#include <limits>

#include "common/shared_cache.h"
#include "training/budget.h"
#include "training/train_command.h"

int main(int argc, char** argv) {
  // Each training step allocates and frees tens of megabytes of activations.
  // glibc would map and unmap each one, and the kernel zero its pages anew:
  // half the time of an epoch went there. Kept in the heap, they are reused.
  // (A threshold is no help: glibc caps it at 32 MB, and a batch's maps are larger.)
  mallopt(M_MMAP_MAX, 0);
  mallopt(M_TRIM_THRESHOLD, std::numeric_limits<int>::max());
  // Named as the user typed it (`checkout-edge enroll`), not by this program's path.
  CLI::App app{"Checkout Edge training: fine-tune a model package, or enroll a new product",
               "checkout-edge"};
  app.require_subcommand(1);
  std::string shared = std::getenv("CHECKOUT_EDGE_SHARED") ? std::getenv("CHECKOUT_EDGE_SHARED")
                                                           : CHECKOUT_EDGE_DEFAULT_SHARED;

  ce::TrainOptions t;
  auto* train = app.add_subcommand("train", "Train a model package from labelled photos");
  train
      ->add_option("--data", t.data,
                   "A folder with one subfolder of photos per tag, or a list file "
                   "(path, tag id, coarse id) with classes.csv beside it")
      ->required();
  train->add_option("--out", t.out, "The package folder to write")->required();
  train->add_option("--val", t.val, "Photos to validate on (default: 10% of --data, held out)");
  train->add_option("--classes", t.classes,
                    "Names for a list file's ids (default: classes.csv beside it)");
  train
      ->add_option("--backbone", t.backbones,
                   "A pretrained ONNX or TensorFlow Lite classifier to start from; give two "
                   "(or A,B) to train them side by side, their features joined for one head "
                   "(default: the shared MobileNet V1 and MobileNet-EdgeTPU, side by side)")
      ->delimiter(',');
  train->add_option("--name", t.name, "The model's name (default: the folder's)");
  train->add_option("--epochs", t.epochs, "Passes over the training photos")->capture_default_str();
  train->add_option("--views", t.views, "Views of each photo: one clean, the rest augmented")
      ->capture_default_str();
  train
      ->add_option("--fine-tune", t.fine_tune, "How many of the backbone's last convolutions train")
      ->capture_default_str();
  train->add_option("--batch", t.batch)->capture_default_str();
  std::string budget = "10m";
  train
      ->add_option("--budget", budget,
                   "How long training may take (10m, 2h, 1h30m): it measures what each part "
                   "costs here and plans the most it can do in that time, then stops on time")
      ->capture_default_str();
  train
      ->add_option("--input-size", t.input_size,
                   "Square input in pixels (0: the backbone's own; larger sees finer detail "
                   "and costs more)")
      ->capture_default_str();
  train
      ->add_option("--engine", t.engine,
                   "integer: TensorFlow Lite backbones run as quantized, in training as on the "
                   "lane (fast); float: their float copies on OpenCV (the reference)")
      ->check(CLI::IsMember({"integer", "float"}))
      ->capture_default_str();
  train
      ->add_option("--augment", t.augment,
                   "crop: the augmented views are crops, mirrored, brighter or darker; light: "
                   "also another store's light and camera (colour cast, saturation, focus, JPEG)")
      ->check(CLI::IsMember({"crop", "light"}))
      ->capture_default_str();
  train->add_option("--pooling", t.pooling, "avg, or avgmax (mean and maximum of the embedding)")
      ->check(CLI::IsMember({"avg", "avgmax"}))
      ->capture_default_str();
  train->add_option("--calibration", t.calibration,
                    "Photos to calibrate the probabilities on and measure the risk the lane "
                    "decides by, taken apart from --data (another day, another lane); as --data");
  train
      ->add_option("--calibration-share", t.calibration_share,
                   "Without --calibration: a share of --data held out to calibrate on (too "
                   "like the training photos to trust)")
      ->check(CLI::Range(0.0, 0.5))
      ->capture_default_str();
  train->add_option("--seed", t.seed, "Same seed, same data: same model")->capture_default_str();
  train->add_option("--iteration", t.iteration)->capture_default_str();
  train->add_option("--threshold", t.threshold, "Probability for precision and recall")
      ->capture_default_str();
  train
      ->add_option("--mean", t.mean,
                   "Per-channel mean (B G R) the backbone expects (default: a TensorFlow Lite "
                   "backbone's input quantization, else 104 117 123)")
      ->expected(3);

  ce::EnrollOptions e;
  auto* enroll =
      app.add_subcommand("enroll", "Add a product to a package from 5 to 50 photos of it");
  enroll->add_option("--model", e.model, "The package to start from")->required();
  enroll->add_option("--tag", e.tag, "The new product's tag")->required();
  enroll->add_option("--out", e.out, "Where the new iteration goes (default: beside the old one)");
  enroll->add_option("--seed", e.seed)->capture_default_str();
  enroll->add_option("images", e.images, "Photos of the product")->required();

  CLI11_PARSE(app, argc, argv);
  try {
    if (train->parsed()) {
      t.budget = ce::parse_budget(budget);
      for (const char* name : {"fine-tune", "views", "epochs", "augment"})
        if (train->count(std::string("--") + name)) t.given.insert(name);
      if (t.backbones.empty())  // the best measured within the time (docs/benchmarks.md)
        for (const char* file : {"mobilenet_v1_1.0_224_quant_embedding_extractor.tflite",
                                 "mobilenet_edgetpu_0.75_224_post_training_quant.tflite"}) {
          // In the shared folder, else where `checkout-edge assets fetch` put it.
          std::string in = std::string("/models/imagenet-mobilenets-tflite/") + file;
          std::filesystem::path path = shared + in;
          if (!std::filesystem::exists(path)) {
            std::filesystem::path cached = ce::shared_files_cache().string() + "/shared" + in;
            if (!std::filesystem::exists(cached))
              throw std::runtime_error(
                  "the default backbone " + path.string() + " is missing, and is not in " +
                  cached.string() +
                  " either: run `checkout-edge assets fetch --for training`, point "
                  "CHECKOUT_EDGE_SHARED at the shared folder, or give --backbone");
            path = cached;
          }
          t.backbones.push_back(std::filesystem::weakly_canonical(path).string());
        }
      return ce::train_command(t);
    }
    return ce::enroll_command(e);
  } catch (const std::exception& ex) {
    std::cerr << "error: " << ex.what() << "\n";
    return 2;
  }
}
