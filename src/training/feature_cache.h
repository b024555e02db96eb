// The frozen front of the backbone, run once per image view, its outputs
// kept in memory: each epoch then costs only the tail. Views
// are the clean crop the classifier will see plus random ones (crop, flip,
// brightness and contrast) for augmentation.
#pragma once

#include <torch/torch.h>

#include <functional>
#include <opencv2/dnn.hpp>
#include <random>
#include <string>
#include <vector>

#include "modules/classifier/model_package.h"
#include "training/backbone.h"
#include "training/dataset.h"

namespace ce {

struct FeatureCache {
  torch::Tensor features;  // [images * views, C, H, W]
  torch::Tensor labels;    // [images] tag ids
  std::vector<int> kept;   // sample index for each image row
  int views = 1;
};

// How many views of each photo the cache keeps (the first clean), and
// whether the augmented ones also look as if taken in another store.
struct Views {
  int count = 1;
  bool other_light_and_camera = false;
};

// A random square crop (55-100% of the shorter side), maybe mirrored, with
// brightness and contrast varied: one augmented view, width x height.
cv::Mat random_view(const cv::Mat& img, int width, int height, std::mt19937& rng,
                    bool other_light_and_camera = false);

// What another store's light and camera do to a photo (a colour cast, more
// or less saturation, sometimes a soft focus or heavy JPEG compression):
// the val photos were taken on other days in other stores than train's.
void change_light_and_camera(cv::Mat& view, std::mt19937& rng);

// Reads every image of `data` (an unreadable one goes to data.skipped),
// `views.count` views each (the first clean). `progress(done, total)` is called
// as it goes. Deterministic for a given `seed`. `integer`: the front runs
// on the integer engine, as the lane will run it (the backbone needs a
// front_tensor() and its own input size); else on OpenCV, in float.
FeatureCache extract_features(const Backbone& backbone, const Preprocessing& pre, Dataset& data,
                              const Views& views, uint32_t seed,
                              const std::function<void(size_t, size_t)>& progress,
                              bool integer = false);

// An integer front's output (NHWC, one image) appended to `out` as NCHW:
// the layout the float tail takes.
void append_as_nchw(const std::vector<float>& nhwc, const std::vector<int>& shape,
                    std::vector<float>& out);

}  // namespace ce
