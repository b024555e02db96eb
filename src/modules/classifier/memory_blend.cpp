#include "modules/classifier/memory_blend.h"

#include <algorithm>
#include <cmath>
#include <map>

namespace ce {

std::vector<Prediction> blend(const std::vector<Prediction>& model, const ExemplarMemory& memory,
                              const std::vector<Neighbour>& nearest, const BlendRule& rule) {
  if (nearest.empty() || nearest.front().similarity < rule.closest_at_least) return model;
  const float closest = nearest.front().similarity;
  // Closer photos say more: the memory's share ramps up to its whole weight.
  double ramp = rule.trusted_from > rule.closest_at_least
                    ? std::clamp((closest - rule.closest_at_least) /
                                     (rule.trusted_from - rule.closest_at_least),
                                 0.f, 1.f)
                    : 1.0;
  const double weight = rule.memory_weight * ramp;
  std::map<std::string, double> votes;
  for (size_t i = 0; i < nearest.size() && i < rule.neighbours; ++i) {
    const Neighbour& n = nearest[i];
    if (n.similarity < rule.closest_at_least) break;
    const Example& e = memory.examples()[n.index];
    double w = std::exp((n.similarity - closest) / rule.temperature);
    votes[e.tag] += e.against ? -w : w;
  }
  double total = 0;
  for (auto& [tag, v] : votes) total += std::max(0.0, v);
  // Only evidence against: the memory knows what it is not, not what it
  // is, so no other tag becomes surer (the shopper is asked instead).
  if (total <= 0) {
    std::vector<Prediction> out = model;
    for (auto& p : out) {
      auto v = votes.find(p.tag_name);
      if (v != votes.end() && v->second < 0) p.probability *= static_cast<float>(1 - weight);
    }
    std::stable_sort(out.begin(), out.end(),
                     [](auto& a, auto& b) { return a.probability > b.probability; });
    return out;
  }
  std::vector<Prediction> out;
  out.reserve(model.size() + votes.size());
  int next_id = 0;
  for (const Prediction& p : model) {
    Prediction q = p;
    auto v = votes.find(p.tag_name);
    double share = v == votes.end() ? 0 : std::max(0.0, v->second) / total;
    q.probability = static_cast<float>((1 - weight) * p.probability + weight * share);
    if (v != votes.end()) votes.erase(v);
    next_id = std::max(next_id, p.tag_id + 1);
    out.push_back(q);
  }
  for (auto& [tag, v] : votes)
    if (v > 0) out.push_back({tag, next_id++, static_cast<float>(weight * v / total)});
  std::stable_sort(out.begin(), out.end(),
                   [](auto& a, auto& b) { return a.probability > b.probability; });
  return out;
}

}  // namespace ce
