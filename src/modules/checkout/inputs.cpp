#include "modules/checkout/inputs.h"

#include <set>

namespace ce {

WeightInput read_weight(const nlohmann::json& j) {
  if (!j.is_object()) throw BadInput("it is not a JSON object");
  WeightInput w;
  if (auto s = j.find("status"); s != j.end()) {
    static const std::set<std::string> known{"ok",       "motion",       "under-zero",
                                             "overload", "disconnected", "fault"};
    if (!s->is_string() || !known.count(s->get<std::string>()))
      throw BadInput("status " + s->dump().substr(0, 40) + " is not a scale status");
    w.status = s->get<std::string>();
  }
  if (auto s = j.find("stable"); s != j.end()) {
    if (!s->is_boolean()) throw BadInput("stable must be true or false");
    w.stable = s->get<bool>();
  }
  auto g = j.find("grams");
  if (g == j.end() || !g->is_number_integer() ||
      (g->is_number_unsigned() && g->get<unsigned long long>() > kMaxGrams) ||
      g->get<long long>() < -kMaxGrams || g->get<long long>() > kMaxGrams)
    throw BadInput("grams must be a whole number within " + std::to_string(kMaxGrams) +
                   " g, found " + (g == j.end() ? "nothing" : g->dump().substr(0, 40)));
  w.grams = static_cast<int>(g->get<long long>());
  auto placement = j.find("placement");
  auto run = j.find("scaleRun");
  if (placement != j.end() || run != j.end()) {
    if (placement == j.end() || !placement->is_number_integer() ||
        placement->get<long long>() < 0 || run == j.end() || !run->is_string() ||
        run->get<std::string>().size() > 100)
      throw BadInput("placement must be a count (a whole number from 0) with its scaleRun string");
    w.placement = placement->get<long long>();
    w.scale_run = run->get<std::string>();
    auto placed = j.find("placed");
    if (placed != j.end() && !placed->is_boolean()) throw BadInput("placed must be true or false");
    w.placed = placed != j.end() && placed->get<bool>();
  }
  return w;
}

const nlohmann::json& read_predictions(const nlohmann::json& j) {
  auto p = j.is_object() ? j.find("predictions") : j.end();
  if (p == j.end() || !p->is_array()) throw BadInput("it has no \"predictions\" array");
  if (p->size() > 100000) throw BadInput("it has more predictions than any model has tags");
  for (const auto& x : *p) {
    if (!x.is_object() || !x.contains("tagName") || !x["tagName"].is_string())
      throw BadInput("a prediction has no tagName string");
    auto prob = x.find("probability");
    if (prob == x.end() || !prob->is_number() || !(prob->get<double>() >= 0) ||
        prob->get<double>() > 1)
      throw BadInput("the probability of '" + x["tagName"].get<std::string>().substr(0, 40) +
                     "' must be a number from 0 to 1, found " +
                     (prob == x.end() ? "nothing" : prob->dump().substr(0, 40)));
  }
  return *p;
}

}  // namespace ce
