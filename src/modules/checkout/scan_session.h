// One item on the scale, from placing it to taking it off. Decides once per
// placement, from a stable weight and a frame captured after the weight
// settled, so an item left on the scale is never announced twice.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "modules/checkout/catalogue.h"

namespace ce {

struct Candidate {
  const Product* product = nullptr;
  double probability = 0;  // summed over the product's tags
};

struct ScanDecision {
  // Named: the still image alone is sure of candidates[0] while the weight
  // is still settling; its name can be said now, and a Recognised or
  // NotRecognised decision follows once the weight is stable.
  // Lifted: the item was taken off after its weight settled (or its name
  // was said) and before anything decided it: the shopper must be told it
  // was not added.
  // UnknownCode: a product code the catalogue does not know was read: said,
  // and nothing charged. PlaceOnScale: a product sold by weight was scanned
  // with nothing on the scale; its code decides once it is placed.
  // TurnPackage: the image is unsure, looks like a package, and no code was
  // read: the shopper is asked (once) to turn it; the scan stays undecided.
  enum class Kind {
    Recognised,
    NotRecognised,
    Named,
    Lifted,
    UnknownCode,
    PlaceOnScale,
    TurnPackage
  } kind;
  std::string scan_id;  // the weight message that settled: the same scan, the same id
  int grams = 0;
  long long stable_ms = 0;            // when the weight settled: what the shopper waits from
  std::vector<Candidate> candidates;  // best first
  long long placed_ms = 0;            // the first weight of this placement
  // NotRecognised, yet sure of the coarse class (the candidates of this
  // group together reach the threshold): the question is which variety.
  std::string group;
  // The scene (or frame) the predictions were made on: what the lane
  // learns from once the shopper or staff confirm what the item was.
  std::string scene;
  // Decided by a product code (the camera's or a scanner's): the code as
  // the barcodes module sends it ({"symbology", "text", "gtin", ...}).
  nlohmann::json code;
  // The image had decided this placement (a line or a question) before its
  // code was read: the code goes first, and the till puts it right.
  bool revises = false;
};

struct ScanSettings {
  double threshold = 0.5;  // when the model has no calibrated risk curve
  // The share of accepted scans allowed to be wrong: the model's curve
  // (measured on photos its training held out) gives the threshold.
  // Negative: always `threshold`.
  double accept_risk = 0.01;
  // A product the weight rules out (outside its plausible grams) keeps this
  // share of what the image gave it; the rest goes to those the weight allows.
  double implausible_weight_factor = 0.02;
  int min_grams = 5;  // below this the scale counts as empty
  // The camera's frames are read for codes (a barcodes module): an unsure
  // image waits this long for the code of its scene before it asks. 0: never.
  long long code_wait_ms = 0;
  // After "turn the package", how long the lane looks for its code before
  // it asks which product it is.
  long long turn_wait_ms = 6000;
  std::set<std::string> ignore_tags{"no item", "hand", "background", "empty"};
};

// The threshold a scan is accepted at without a question, for a prediction
// message's {"0.01": threshold, ...}: the highest level of risk measured
// that is not above `accept_risk`, else the plain threshold.
double threshold_for(const ScanSettings& settings, const nlohmann::json& threshold_at_risk);

class ScanSession {
 public:
  ScanSession(const Catalogue& catalogue, ScanSettings settings)
      : catalogue_(catalogue), settings_(std::move(settings)) {}

  // May decide: a still scene's predictions that came while the weight was
  // settling are used as soon as it is stable. (Such predictions, when sure,
  // return a Named decision at once.)
  std::optional<ScanDecision> on_weight(int grams, bool stable, long long timestamp_ms,
                                        const std::string& message_id);
  // `predictions` is the Custom Vision list [{tagName, probability}, ...].
  // `still_scene`: the camera saw the scene settle before it took the frame
  // (scene gating); such a frame counts even if the weight settles after it,
  // since a gated camera sends no more frames of a scene that stays still.
  // `threshold_at_risk` is the message's {"0.01": threshold, ...}, if any.
  std::optional<ScanDecision> on_predictions(const nlohmann::json& predictions,
                                             long long capture_ms, bool still_scene = false,
                                             const nlohmann::json& threshold_at_risk = {},
                                             const std::string& scene = {});
  // A product code read (by the camera, in `scene`, or by a handheld
  // scanner) while this item is on the scale: it decides with no question.
  // `product`: the catalogue's product for the code, null if it has none.
  // With the scale empty (or, for a hand scan, holding an item already
  // decided), a product sold by the unit is decided at once (grams 0), one
  // sold by weight once it is placed. A null `code`: a frame
  // of `scene` was read and held no code.
  std::optional<ScanDecision> on_code(const Product* product, const nlohmann::json& code,
                                      long long read_ms, const std::string& scene = {});
  // Time passing: an unsure scan that waited for its code is decided, or
  // the shopper asked to turn the package.
  std::optional<ScanDecision> on_time(long long now_ms);
  // The threshold this session accepts at, for a message's thresholds.
  double threshold_for(const nlohmann::json& threshold_at_risk) const;
  bool scale_empty() const { return state_ == State::Empty; }
  // The shopper was asked to turn the package and the lane is looking for its code.
  bool turning() const { return held_ && held_->turn_until_ms; }
  // An item settled (or was decided) and has not been seen taken off.
  bool holds_settled_item() const { return state_ == State::Decided || settled_; }
  // After a restart: the item weighing `grams` was already decided on, so
  // it is not announced again while it stays on the scale.
  void resume_decided(int grams);
  // After a restart: a placement had settled (`grams` at `stable_ms`, its
  // weight message `scan_id`) and was not decided. Still there, it is
  // decided from the next frames; gone, it is Lifted.
  void resume_placement(int grams, const std::string& scan_id, long long stable_ms);
  // The placement waiting for its decision (settled, undecided): what must
  // outlive a restart until it becomes a line or the shopper is told.
  struct Placement {
    std::string scan_id;
    int grams = 0;
    long long stable_ms = 0;
  };
  std::optional<Placement> waiting() const;
  // A desired-property change: applies from the next weight or prediction.
  void set_settings(ScanSettings settings) { settings_ = std::move(settings); }
  // What the lane has seen a product weigh (grams as its lines record them,
  // newest first), e.g. from the journal. With enough of them, a weight far
  // outside them counts against the product as the catalogue's range does.
  using WeightsSeen = std::function<std::vector<int>(const Product&)>;
  void set_weights_seen(WeightsSeen weights_seen) { weights_seen_ = std::move(weights_seen); }
  // Whether the weights seen rule `grams` out for `product`: with at least
  // 5 of them, outside [half the least, twice the most].
  bool seen_rules_out(const Product& product, int grams) const;

 private:
  enum class State { Empty, Settling, Waiting, Decided };
  const Catalogue& catalogue_;
  ScanSettings settings_;
  State state_ = State::Empty;
  long long stable_since_ms_ = 0;
  int grams_ = 0;
  std::string scan_id_;
  bool resumed_ = false;
  bool named_ = false;    // this placement's name was given already
  bool settled_ = false;  // this placement's weight was stable once
  long long placed_ms_ = 0;
  std::optional<nlohmann::json> pending_;  // a still scene's predictions, waiting for the weight
  nlohmann::json pending_thresholds_;
  std::string pending_scene_;
  WeightsSeen weights_seen_;
  bool by_code_ = false;  // this placement was decided by a code
  struct PendingCode {
    const Product* product;
    nlohmann::json code;
    std::string scene;
    long long read_ms;
  };
  std::optional<PendingCode> pending_code_;  // read before the weight settled
  std::optional<ScanDecision> decide_by_code(const PendingCode& code, bool revises);
  // An unsure scan waiting for its scene's code (code_wait_ms), or for the
  // shopper to turn the package (turn_wait_ms).
  struct Held {
    ScanDecision decision;
    long long since_ms = 0;
    long long turn_until_ms = 0;  // 0: not asked to turn yet
  };
  std::optional<Held> held_;
  std::set<std::string> scenes_without_code_;  // this placement's frames the reader found none in
  bool turn_said_ = false;                     // once per placement
  // What becomes of an unsure decision when codes may still decide it.
  // `no_code`: the reader has had its chance at this scene.
  std::optional<ScanDecision> hold_or_give(ScanDecision d, long long now_ms, bool no_code);
  std::optional<ScanDecision> give(ScanDecision d);

  std::optional<ScanDecision> decide(const nlohmann::json& predictions,
                                     const nlohmann::json& threshold_at_risk,
                                     const std::string& scene, long long now_ms);
  // The catalogue's products the predictions name, best first, weighed by
  // `grams` if given; nothing if the frame shows a hand or an empty tray.
  std::optional<std::vector<Candidate>> candidates(const nlohmann::json& predictions,
                                                   std::optional<int> grams) const;
};

}  // namespace ce
