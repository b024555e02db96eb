// `checkout-edge train` and `checkout-edge enroll`: what they are asked.
#pragma once

#include <chrono>
#include <set>
#include <string>
#include <vector>

namespace ce {

struct TrainOptions {
  std::string data, val, classes, out, name;
  std::vector<std::string> backbones;  // more than one: side by side, one head
  int epochs = 10, views = 2, fine_tune = 2, batch = 64, iteration = 1;
  unsigned seed = 1;
  double threshold = 0.5, val_share = 0.1, calibration_share = 0;
  std::string calibration;   // photos to calibrate on, taken apart from --data
  std::vector<double> mean;  // empty: what the backbone says (TFLite), else ImageNet BGR
  int resize_to = 0;         // 0: input size x 256/224, ImageNet's habit
  int input_size = 0;        // 0: the backbone's own; larger sees finer detail
  std::string pooling = "avg";
  // "integer": TensorFlow Lite backbones' fronts run on the integer engine,
  // in training as on the lane; "float": OpenCV runs their float copies.
  std::string engine = "integer";
  // What the augmented views change: "crop" (crop, mirror, brightness,
  // contrast), or "light" (that, and another store's light and camera).
  std::string augment = "crop";
  // How long the run may take; the trainer plans within it. What the user
  // gave (by option name: "epochs", "views", "fine-tune", "augment") the plan keeps.
  std::chrono::seconds budget{600};
  std::set<std::string> given;
};

struct EnrollOptions {
  std::string model, tag, out;
  std::vector<std::string> images;
  unsigned seed = 1;
};

int train_command(TrainOptions o);
int enroll_command(const EnrollOptions& o);

}  // namespace ce
