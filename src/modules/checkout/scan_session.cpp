#include "modules/checkout/scan_session.h"

#include <algorithm>
#include <cstdlib>
#include <map>

namespace ce {

std::optional<ScanDecision> ScanSession::on_weight(int grams, bool stable, long long ts,
                                                   const std::string& id) {
  if (grams < settings_.min_grams) {
    // Taken off before anything decided it, though it had settled or its
    // name was said: not added, and the shopper must hear so.
    std::optional<ScanDecision> lifted;
    if (state_ != State::Empty && state_ != State::Decided && (settled_ || named_)) {
      lifted = ScanDecision{ScanDecision::Kind::Lifted};
      lifted->scan_id = scan_id_;
      lifted->grams = grams_;
      lifted->stable_ms = stable_since_ms_;
      lifted->placed_ms = placed_ms_;
    }
    state_ = State::Empty;
    resumed_ = false;
    named_ = false;
    settled_ = false;
    by_code_ = false;
    pending_.reset();
    held_.reset();
    scenes_without_code_.clear();
    turn_said_ = false;
    // A code scanned by hand before the item went on the scale waits for it;
    // one the camera read left with its item.
    if (pending_code_ && !pending_code_->scene.empty()) pending_code_.reset();
    return lifted;
  }
  switch (state_) {
    case State::Empty:
    case State::Settling:
      if (state_ == State::Empty) {
        placed_ms_ = ts;
        named_ = false;
        settled_ = false;
        by_code_ = false;
        pending_.reset();
        held_.reset();
        scenes_without_code_.clear();
        turn_said_ = false;
        // A hand scan waits 30 s for its item; then it was something else.
        if (pending_code_ && ts - pending_code_->read_ms > 30'000) pending_code_.reset();
      }
      state_ = State::Settling;
      if (stable) {
        state_ = State::Waiting;
        settled_ = true;
        stable_since_ms_ = ts;
        grams_ = grams;
        scan_id_ = id;
        if (pending_code_) {
          auto code = std::move(*pending_code_);
          pending_code_.reset();
          pending_.reset();
          return decide_by_code(code, false);
        }
        if (pending_) {
          auto predictions = std::move(*pending_);
          pending_.reset();
          return decide(predictions, pending_thresholds_, pending_scene_, ts);
        }
      }
      break;
    case State::Waiting:
      if (!stable || grams != grams_) state_ = State::Settling;  // moved before we decided
      break;
    case State::Decided:
      // Announced already: wait until it is taken off. After a restart we
      // only know the weight, so a different stable weight is a new item.
      if (resumed_ && stable && std::abs(grams - grams_) > settings_.min_grams) {
        resumed_ = false;
        state_ = State::Empty;
        return on_weight(grams, stable, ts, id);
      }
      break;
  }
  return std::nullopt;
}

void ScanSession::resume_placement(int grams, const std::string& scan_id, long long stable_ms) {
  state_ = State::Waiting;
  grams_ = grams;
  scan_id_ = scan_id;
  stable_since_ms_ = stable_ms;
  placed_ms_ = stable_ms;
  settled_ = true;
}

std::optional<ScanSession::Placement> ScanSession::waiting() const {
  if (state_ != State::Waiting) return std::nullopt;
  return Placement{scan_id_, grams_, stable_since_ms_};
}

void ScanSession::resume_decided(int grams) {
  state_ = State::Decided;
  grams_ = grams;
  resumed_ = true;
}

std::optional<ScanDecision> ScanSession::on_predictions(const nlohmann::json& predictions,
                                                        long long capture_ms, bool still_scene,
                                                        const nlohmann::json& threshold_at_risk,
                                                        const std::string& scene) {
  // A still scene seen after the item was placed, while the weight is still
  // settling: keep it for when the weight is stable.
  bool settling =
      state_ == State::Settling || (state_ == State::Waiting && capture_ms < stable_since_ms_);
  if (still_scene && settling && capture_ms >= placed_ms_) {
    if (state_ == State::Waiting) return decide(predictions, threshold_at_risk, scene, capture_ms);
    pending_ = predictions;
    pending_thresholds_ = threshold_at_risk;
    pending_scene_ = scene;
    // Sure from the image alone: the name need not wait for the weight.
    if (named_) return std::nullopt;
    auto found = candidates(predictions, std::nullopt);
    if (!found || found->empty() || found->front().probability < threshold_for(threshold_at_risk))
      return std::nullopt;
    named_ = true;
    ScanDecision d{ScanDecision::Kind::Named};
    d.placed_ms = placed_ms_;
    d.candidates = std::move(*found);
    return d;
  }
  // Otherwise only a frame taken after the weight settled shows what was weighed.
  if (state_ != State::Waiting || capture_ms < stable_since_ms_) return std::nullopt;
  return decide(predictions, threshold_at_risk, scene, capture_ms);
}

std::optional<ScanDecision> ScanSession::on_code(const Product* product, const nlohmann::json& code,
                                                 long long read_ms, const std::string& scene) {
  if (code.is_null()) {
    // The reader found no code in a frame of this scene: an unsure scan
    // of it need not wait any longer for one.
    scenes_without_code_.insert(scene);
    if (state_ == State::Waiting && held_ && !held_->turn_until_ms &&
        held_->decision.scene == scene) {
      ScanDecision d = held_->decision;
      return hold_or_give(std::move(d), read_ms, true);
    }
    return std::nullopt;
  }
  PendingCode read{product, code, scene, read_ms};
  // A hand scan (no scene) while a decided item stays on the scale is
  // another item, not a word on that one.
  bool own_scan = state_ == State::Empty || (scene.empty() && state_ == State::Decided);
  switch (own_scan ? State::Empty : state_) {
    case State::Empty:
      if (product && product->sold_by == SoldBy::Weight && !product->price_from_label) {
        pending_code_ = read;
        ScanDecision d{ScanDecision::Kind::PlaceOnScale};
        d.candidates = {{product, 1.0}};
        d.code = code;
        return d;
      }
      {
        // A unit product (or an unknown code) scanned by hand: its own scan.
        ScanDecision d{product ? ScanDecision::Kind::Recognised : ScanDecision::Kind::UnknownCode};
        d.scan_id = "code-" + std::to_string(read_ms) + "-" + code.value("text", "");
        d.stable_ms = read_ms;
        d.placed_ms = read_ms;
        d.scene = scene;
        d.code = code;
        if (product) d.candidates = {{product, 1.0}};
        return d;
      }
    case State::Settling:
      pending_code_ = read;
      return std::nullopt;
    case State::Waiting:
      return decide_by_code(read, false);
    case State::Decided:
      if (by_code_ || resumed_) return std::nullopt;
      return decide_by_code(read, true);
  }
  return std::nullopt;
}

std::optional<ScanDecision> ScanSession::decide_by_code(const PendingCode& read, bool revises) {
  ScanDecision d{read.product ? ScanDecision::Kind::Recognised : ScanDecision::Kind::UnknownCode};
  d.scene = read.scene;
  d.scan_id = scan_id_;
  d.grams = grams_;
  d.stable_ms = stable_since_ms_;
  d.placed_ms = placed_ms_;
  d.code = read.code;
  d.revises = revises;
  if (read.product) d.candidates = {{read.product, 1.0}};
  state_ = State::Decided;
  by_code_ = true;
  held_.reset();
  return d;
}

std::optional<ScanDecision> ScanSession::on_time(long long now_ms) {
  if (!held_ || state_ != State::Waiting) return std::nullopt;
  ScanDecision d = held_->decision;
  if (held_->turn_until_ms) {
    if (now_ms < held_->turn_until_ms) return std::nullopt;
    return give(std::move(d));
  }
  if (now_ms - held_->since_ms < settings_.code_wait_ms) return std::nullopt;
  return hold_or_give(std::move(d), now_ms, true);
}

std::optional<ScanDecision> ScanSession::hold_or_give(ScanDecision d, long long now_ms,
                                                      bool no_code) {
  if (d.kind != ScanDecision::Kind::NotRecognised || settings_.code_wait_ms <= 0)
    return give(std::move(d));
  if (held_ && held_->turn_until_ms) {
    // Asked to turn it: the newest look waits for a code until then.
    if (now_ms >= held_->turn_until_ms) return give(std::move(d));
    held_->decision = std::move(d);
    return std::nullopt;
  }
  no_code = no_code || scenes_without_code_.count(d.scene) > 0 ||
            (held_ && now_ms - held_->since_ms >= settings_.code_wait_ms);
  if (!no_code) {
    long long since = held_ ? held_->since_ms : now_ms;
    held_ = Held{std::move(d), since, 0};
    return std::nullopt;
  }
  // No code in its frames and it looks like a package: turned once (the
  // camera then sees a new scene), before the question.
  const Product* top = d.candidates.empty() ? nullptr : d.candidates.front().product;
  if (top && top->packaged && !turn_said_ && settings_.turn_wait_ms > 0) {
    turn_said_ = true;
    ScanDecision turn{ScanDecision::Kind::TurnPackage};
    turn.scan_id = d.scan_id;
    turn.scene = d.scene;
    turn.grams = d.grams;
    turn.stable_ms = d.stable_ms;
    turn.placed_ms = d.placed_ms;
    turn.candidates = d.candidates;
    held_ = Held{std::move(d), now_ms, now_ms + settings_.turn_wait_ms};
    return turn;
  }
  return give(std::move(d));
}

std::optional<ScanDecision> ScanSession::give(ScanDecision d) {
  // Held across a weight that moved and settled again: the decision is
  // about the weighing now.
  d.scan_id = scan_id_;
  d.grams = grams_;
  d.stable_ms = stable_since_ms_;
  held_.reset();
  state_ = State::Decided;
  return d;
}

double ScanSession::threshold_for(const nlohmann::json& at_risk) const {
  return ce::threshold_for(settings_, at_risk);
}

double threshold_for(const ScanSettings& settings_, const nlohmann::json& at_risk) {
  if (settings_.accept_risk < 0 || !at_risk.is_object() || at_risk.empty())
    return settings_.threshold;
  // The highest level of risk the model measured that is not above ours.
  double level = -1, threshold = 1.0;  // none low enough: ask every time
  for (const auto& [key, value] : at_risk.items()) {
    char* end = nullptr;
    double r = std::strtod(key.c_str(), &end);
    if (end == key.c_str() || *end || !value.is_number()) continue;
    double t = value.get<double>();
    if (!(t >= 0 && t <= 1)) continue;
    if (r <= settings_.accept_risk + 1e-12 && r > level) level = r, threshold = t;
  }
  return threshold;
}

std::optional<std::vector<Candidate>> ScanSession::candidates(const nlohmann::json& predictions,
                                                              std::optional<int> grams) const {
  std::map<const Product*, double> by_product;
  std::string top_tag;
  double top_probability = -1;
  for (const auto& p : predictions) {
    std::string tag = p.value("tagName", "");
    double prob = p.value("probability", 0.0);
    if (prob > top_probability) {
      top_probability = prob;
      top_tag = tag;
    }
    if (const Product* prod = catalogue_.by_tag(tag)) by_product[prod] += prob;
  }
  // A hand or an empty tray is not an item: wait for a better frame. (The
  // plain threshold: how sure the lane must be to ring up an item has no
  // bearing on whether it saw one.)
  if (settings_.ignore_tags.count(top_tag) && top_probability >= settings_.threshold)
    return std::nullopt;
  // Weight is evidence: P(product | image, weight) is P(product | image)
  // times how likely the weight is for it. The chance that it is one of
  // the catalogue's products stays what the image said; within them, those
  // the weight rules out (by the catalogue, or by what the lane saw them
  // weigh) give way to those it allows (a 3 kg "lemon" is a melon).
  double before = 0, after = 0;
  for (auto& [prod, prob] : by_product) {
    before += prob;
    if (grams && (!prod->plausible(*grams) || seen_rules_out(*prod, *grams)))
      prob *= settings_.implausible_weight_factor;
    after += prob;
  }
  std::vector<Candidate> out;
  for (auto& [prod, prob] : by_product)
    out.push_back({prod, after > 0 ? prob * before / after : prob});
  std::stable_sort(out.begin(), out.end(),
                   [](auto& a, auto& b) { return a.probability > b.probability; });
  return out;
}

bool ScanSession::seen_rules_out(const Product& product, int grams) const {
  if (!weights_seen_) return false;
  std::vector<int> seen = weights_seen_(product);
  if (seen.size() < 5) return false;  // too few to say what it weighs
  auto [least, most] = std::minmax_element(seen.begin(), seen.end());
  // Lines keep the weight less the packaging for what is sold by weight.
  long long line_grams = product.sold_by == SoldBy::Weight ? grams - product.tare_grams : grams;
  return 2 * line_grams < *least || line_grams > 2LL * *most;
}

std::optional<ScanDecision> ScanSession::decide(const nlohmann::json& predictions,
                                                const nlohmann::json& threshold_at_risk,
                                                const std::string& scene, long long now_ms) {
  auto found = candidates(predictions, grams_);
  if (!found) return std::nullopt;
  ScanDecision d;
  d.scene = scene;
  d.scan_id = scan_id_;
  d.grams = grams_;
  d.stable_ms = stable_since_ms_;
  d.placed_ms = placed_ms_;
  d.candidates = std::move(*found);
  const double threshold = threshold_for(threshold_at_risk);
  bool confident = !d.candidates.empty() && d.candidates[0].probability >= threshold;
  d.kind = confident ? ScanDecision::Kind::Recognised : ScanDecision::Kind::NotRecognised;
  if (!confident && !d.candidates.empty() && !d.candidates[0].product->group.empty()) {
    double in_group = 0;
    int varieties = 0;
    for (const Candidate& c : d.candidates)
      if (c.product->group == d.candidates[0].product->group)
        in_group += c.probability, ++varieties;
    if (in_group >= threshold && varieties > 1) d.group = d.candidates[0].product->group;
  }
  return hold_or_give(std::move(d), now_ms, false);
}

}  // namespace ce
