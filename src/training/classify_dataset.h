// Runs a model over labelled photos with the classifier's own code, one
// photo per core, for `evaluate` and for the check at the end of training.
#pragma once

#include <functional>

#include "modules/classifier/model.h"
#include "training/dataset.h"
#include "training/metrics.h"

namespace ce {

// Unreadable photos are listed in `skipped` and left out. `progress` gets
// (done, total) from the calling thread.
EvaluationInput classify_dataset(const Model& model, const Dataset& data,
                                 std::vector<std::string>& skipped,
                                 const std::function<void(size_t, size_t)>& progress = {});

// How many copies of a network to load to keep every core busy.
int evaluation_workers();

}  // namespace ce
