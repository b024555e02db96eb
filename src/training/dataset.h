// Labelled images for training and evaluation, from a folder with one
// subfolder per tag, or a list file in the Grocery Store format
// ("path, fine_id, coarse_id" with a classes.csv naming the ids).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace ce {

struct Sample {
  std::string path;
  int tag = 0;
};

struct Dataset {
  std::string source;
  std::vector<std::string> tags;          // index = tag id
  std::vector<std::string> coarse_names;  // empty when the data has no hierarchy
  std::vector<int> coarse_of_tag;         // tag id -> coarse id
  std::vector<Sample> samples;
  std::vector<std::string> skipped;   // "path: why", not used
  std::vector<std::string> warnings;  // worth saying, not stopping for

  std::vector<int> counts() const;  // images per tag
  nlohmann::json summary() const;
};

// `classes` may be empty: a classes.csv beside the list file is used if there
// is one. Throws naming the file (and line) that is wrong.
Dataset load_dataset(const std::string& where, const std::string& classes = "");

// Custom Vision's rules before training: every tag needs at least 5 images
// (throws, naming the tags), and tags more than 2:1 apart are warned about.
void check_trainable(Dataset& data, int min_images = 5);

// Puts `data`'s samples in the tag ids of `tags` (by name): the validation
// set must speak the training set's language. Throws for an unknown tag.
void align_tags(Dataset& data, const std::vector<std::string>& tags);

}  // namespace ce
