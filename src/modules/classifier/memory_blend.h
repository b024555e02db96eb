// The model's calibrated probabilities and the lane's memory, as one
// answer: the nearest examples vote for their tags (evidence against a tag
// votes against it), and the vote is blended with the model's
// probabilities when the nearest example is close enough to be the same
// kind of photo. The rule's numbers were chosen by `checkout-edge replay`
// on photos neither training nor the reported figures used
// (docs/benchmarks.md).
#pragma once

#include <vector>

#include "modules/classifier/exemplar_memory.h"
#include "modules/classifier/model.h"

namespace ce {

struct BlendRule {
  size_t neighbours = 5;
  double memory_weight = 0.7;     // the vote's share once the memory knows the photo
  float closest_at_least = 0.6f;  // cosine similarity below which the memory says nothing
  float trusted_from = 0.85f;     // from here on the memory has its whole share (a ramp before)
  float temperature = 0.05f;      // how much more a closer example counts
};

// Highest first. Tags the model does not know but the memory does (a
// store's own product) are added with the memory's share.
std::vector<Prediction> blend(const std::vector<Prediction>& model, const ExemplarMemory& memory,
                              const std::vector<Neighbour>& nearest, const BlendRule& rule = {});

}  // namespace ce
