// The model in service. A reload swaps the pointer; a request in flight
// keeps the model it started with until it finishes.
#pragma once

#include <memory>
#include <mutex>

#include "modules/classifier/model.h"

namespace ce {

class ServedModel {
 public:
  explicit ServedModel(std::shared_ptr<const Model> model) : model_(std::move(model)) {}
  std::shared_ptr<const Model> get() const {
    std::lock_guard lock(mutex_);
    return model_;
  }
  void set(std::shared_ptr<const Model> model) {
    std::lock_guard lock(mutex_);
    model_ = std::move(model);
  }

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const Model> model_;
};

}  // namespace ce
