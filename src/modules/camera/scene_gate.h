// Watches the scene the way a produce scale's camera should: nothing is
// classified while the scene moves or stays empty; when it has changed and
// then held still, that still scene is one item to classify. Works on a
// small grey thumbnail, so watching an empty scale costs almost nothing.
#pragma once

#include <opencv2/core.hpp>
#include <string>
#include <utility>

namespace ce {

struct SceneGateSettings {
  // Shares of the thumbnail's pixels whose grey level changed by more than
  // pixel_change: between frames (motion), and from the empty scene (an item).
  double pixel_change = 20;
  double motion_threshold = 0.01;
  double presence_threshold = 0.02;
  int settle_ms = 400;       // still this long before a scene counts
  int frames_per_scene = 3;  // frames classified for one still scene
  // While the same item stays, one more frame this often (0: never): a
  // classifier that was restarting when the scene settled still sees it.
  int repeat_ms = 2000;
};

class SceneGate {
 public:
  enum class Event { None, ItemPresent, ItemRemoved };

  explicit SceneGate(SceneGateSettings settings) : settings_(settings) {}
  // A known empty scene (e.g. a photo of the empty scale); otherwise the
  // first still scene is taken as empty.
  void set_empty_scene(const cv::Mat& bgr);
  void set_settings(SceneGateSettings s) { settings_ = s; }

  // Looks at one frame; says whether an item arrived or left.
  Event look(const cv::Mat& bgr, long long now_ms);
  // The scale says an item rests, sooner than frames 1/fps apart can: the
  // last frame looked at, if it shows something on the empty scale, starts
  // a still scene now (ItemPresent). The next motion ends it as any other.
  Event item_at_rest(long long now_ms);
  // Whether this frame should be classified (one of the first frames of a
  // still scene with an item, or a repeat); counts it as sent.
  bool take_frame_for_classification(long long now_ms = 0);
  // The empty scene as learnt (a 64x48 grey thumbnail), to keep across a
  // restart: a camera restarted with an item on the scale must not take
  // the item for the empty scale.
  cv::Mat empty_thumbnail() const { return empty_.clone(); }
  void set_empty_thumbnail(const cv::Mat& grey);
  // True once after the gate learnt a new empty scene.
  bool take_empty_learned() { return std::exchange(empty_learned_, false); }
  const std::string& scene_id() const { return scene_id_; }
  // A still scene with an item: a frame of it belongs to its scene's votes.
  bool holds_still_item() const { return state_ == State::Item; }
  long long still_since_ms() const { return last_motion_ms_; }
  double last_motion() const { return motion_; }

 private:
  enum class State { Moving, Empty, Item };
  cv::Mat thumbnail(const cv::Mat& bgr) const;
  Event start_item_scene(long long now_ms);
  double changed_share(const cv::Mat& a, const cv::Mat& b) const;

  SceneGateSettings settings_;
  State state_ = State::Moving;
  bool had_item_ = false;
  cv::Mat previous_, empty_;
  long long last_motion_ms_ = -1;
  double motion_ = 0;
  int frames_left_ = 0;
  long long last_sent_ms_ = 0;
  bool empty_learned_ = false;
  int scenes_ = 0;
  std::string scene_id_;
};

}  // namespace ce
