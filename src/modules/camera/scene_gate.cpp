#include "modules/camera/scene_gate.h"

#include <opencv2/imgproc.hpp>

#include "checkout-edge/module.h"

namespace ce {

cv::Mat SceneGate::thumbnail(const cv::Mat& bgr) const {
  cv::Mat small, grey;
  // A fixed size, whatever the resolution: the empty scene's photo and the
  // camera's frames compare even when their sizes differ.
  cv::resize(bgr, small, cv::Size(64, 48), 0, 0, cv::INTER_AREA);
  cv::cvtColor(small, grey, cv::COLOR_BGR2GRAY);
  cv::GaussianBlur(grey, grey, cv::Size(3, 3), 0);  // sensor noise is not motion
  grey.convertTo(grey, CV_32F);
  return grey;
}

double SceneGate::changed_share(const cv::Mat& a, const cv::Mat& b) const {
  cv::Mat changed = cv::abs(a - b) > settings_.pixel_change;
  return static_cast<double>(cv::countNonZero(changed)) / changed.total();
}

void SceneGate::set_empty_scene(const cv::Mat& bgr) { empty_ = thumbnail(bgr); }

void SceneGate::set_empty_thumbnail(const cv::Mat& grey) {
  if (grey.cols != 64 || grey.rows != 48 || grey.channels() != 1) return;
  grey.convertTo(empty_, CV_32F);
}

SceneGate::Event SceneGate::look(const cv::Mat& bgr, long long now_ms) {
  cv::Mat thumb = thumbnail(bgr);
  motion_ = previous_.empty() ? 1.0 : changed_share(thumb, previous_);
  previous_ = thumb;
  if (last_motion_ms_ < 0 || motion_ > settings_.motion_threshold) {
    last_motion_ms_ = now_ms;
    state_ = State::Moving;
    frames_left_ = 0;
    return Event::None;
  }
  if (state_ != State::Moving) {
    // An empty scale drifts with the light; follow it slowly.
    if (state_ == State::Empty) cv::accumulateWeighted(thumb, empty_, 0.05);
    return Event::None;
  }
  if (now_ms - last_motion_ms_ < settings_.settle_ms) return Event::None;

  if (empty_.empty()) empty_ = thumb.clone();
  double presence = changed_share(thumb, empty_);
  if (presence > settings_.presence_threshold) return start_item_scene(now_ms);
  state_ = State::Empty;
  empty_ = thumb.clone();
  empty_learned_ = true;
  if (!had_item_) return Event::None;
  had_item_ = false;
  return Event::ItemRemoved;
}

SceneGate::Event SceneGate::item_at_rest(long long now_ms) {
  if (state_ == State::Item || previous_.empty() || empty_.empty()) return Event::None;
  if (changed_share(previous_, empty_) <= settings_.presence_threshold) return Event::None;
  return start_item_scene(now_ms);
}

SceneGate::Event SceneGate::start_item_scene(long long now_ms) {
  state_ = State::Item;
  had_item_ = true;
  scene_id_ = std::to_string(now_ms) + "-" + std::to_string(++scenes_);
  frames_left_ = settings_.frames_per_scene;
  return Event::ItemPresent;
}

bool SceneGate::take_frame_for_classification(long long now_ms) {
  if (state_ != State::Item) return false;
  if (frames_left_ > 0) {
    --frames_left_;
    last_sent_ms_ = now_ms;
    return true;
  }
  if (settings_.repeat_ms <= 0 || now_ms - last_sent_ms_ < settings_.repeat_ms) return false;
  last_sent_ms_ = now_ms;
  return true;
}

}  // namespace ce
