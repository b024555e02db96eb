// `checkout-edge train` and `checkout-edge enroll`: what they are asked.
#pragma once

#include <string>
#include <vector>

namespace ce {

struct TrainOptions {
  std::string data, val, classes, out, backbone, name;
  int epochs = 12, views = 6, fine_tune = 12, batch = 64, iteration = 1;
  unsigned seed = 1;
  double threshold = 0.5, val_share = 0.1;
  std::vector<double> mean{104, 117, 123};
  int resize_to = 256;
};

struct EnrollOptions {
  std::string model, tag, out;
  std::vector<std::string> images;
  unsigned seed = 1;
};

int train_command(const TrainOptions& o);
int enroll_command(const EnrollOptions& o);

}  // namespace ce
