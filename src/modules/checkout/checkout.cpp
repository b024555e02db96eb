// checkout: joins weight (input "weight") and predictions (input
// "predictions") into basket lines, journals each line, and publishes what
// to say (output "sentence") and the basket (output "basket").
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <mutex>

#include "common/settings.h"
#include "common/stop_signal.h"
#include "modules/checkout/catalogue.h"
#include "modules/checkout/journal.h"
#include "modules/checkout/phrases.h"
#include "modules/checkout/pricing.h"
#include "modules/checkout/scan_session.h"
#include "modules/modules.h"

namespace ce {

namespace {

nlohmann::json basket_json(const Journal& journal, const Catalogue& catalogue) {
  nlohmann::json lines = nlohmann::json::array();
  long long total = 0;
  for (auto& l : journal.lines()) {
    total += l.price_minor;
    lines.push_back({{"line", l.line_no},
                     {"productId", l.product_id},
                     {"name", l.name},
                     {"grams", l.grams},
                     {"quantity", l.quantity},
                     {"unitPriceMinor", l.unit_price_minor},
                     {"byWeight", l.by_weight},
                     {"priceMinor", l.price_minor},
                     {"probability", l.probability}});
  }
  return {{"lines", lines},
          {"totalMinor", total},
          {"currency", catalogue.currency},
          {"minorUnits", catalogue.minor_units}};
}

}  // namespace

// What the desired properties say, read before anything changes, so that
// a bad update leaves the running settings as they were.
struct CheckoutSettings {
  std::string catalogue_path;
  ScanSettings scan;
  Rounding rounding;
  std::string rounding_name;
  std::string locale;  // which of the catalogue's names to say

  static CheckoutSettings from(const nlohmann::json& desired) {
    CheckoutSettings s;
    s.catalogue_path =
        required_setting<std::string>(desired, "catalogue", "the product catalogue file");
    s.scan.threshold = setting<double>(desired, "threshold", 0.5);
    if (s.scan.threshold < 0 || s.scan.threshold > 1)
      throw SettingError("desired property 'threshold' must be between 0 and 1, found " +
                         std::to_string(s.scan.threshold));
    s.scan.min_grams = setting<int>(desired, "minGrams", 5);
    if (desired.contains("ignoreTags"))
      s.scan.ignore_tags = setting<std::set<std::string>>(desired, "ignoreTags", {});
    s.locale = setting<std::string>(desired, "locale", "en-US");
    s.rounding_name = setting<std::string>(desired, "rounding", "half-up");
    s.rounding = parse_rounding(s.rounding_name);
    return s;
  }
  nlohmann::json reported(const Catalogue& catalogue) const {
    return {{"catalogue", catalogue_path}, {"products", catalogue.products.size()},
            {"threshold", scan.threshold}, {"minGrams", scan.min_grams},
            {"rounding", rounding_name},   {"locale", locale}};
  }
};

int run_checkout(ModuleClient& client, const nlohmann::json& desired) {
  CheckoutSettings settings = CheckoutSettings::from(desired);
  Catalogue catalogue = Catalogue::load(settings.catalogue_path);
  const char* data = std::getenv("CE_DATA_DIR");
  std::string journal_path =
      setting<std::string>(desired, "journal", std::string(data ? data : ".") + "/journal.db");
  Journal journal(journal_path);
  ScanSession session(catalogue, settings.scan);
  if (auto grams = journal.item_on_scale()) session.resume_decided(*grams);
  // Held while a message is handled or settings change: a catalogue reload
  // must not pull products from under a decision being priced.
  std::mutex mutex;

  auto publish_basket = [&] {
    client.send_output("basket", Message::with_json(basket_json(journal, catalogue)));
  };
  auto say = [&](const std::string& text, const std::string& kind) {
    std::cout << "checkout: " << text << std::endl;
    client.send_output("sentence", Message::with_json({{"text", text}, {"kind", kind}}));
  };
  std::cerr << "checkout: " << catalogue.products.size() << " products, journal " << journal_path
            << " with " << journal.lines().size() << " lines\n";
  client.report(settings.reported(catalogue));
  client.report({{"journal", journal_path}, {"basketLines", journal.lines().size()}});
  publish_basket();

  nlohmann::json applied = desired;
  client.on_desired_change([&](const nlohmann::json& d) {
    try {
      std::lock_guard lock(mutex);
      if (d == applied) return;  // the retained copy of what we started with
      CheckoutSettings next = CheckoutSettings::from(d);
      if (next.catalogue_path != settings.catalogue_path)
        catalogue = Catalogue::load(next.catalogue_path);
      applied = d;
      session.set_settings(next.scan);
      settings = std::move(next);
      client.report(settings.reported(catalogue));
      client.report({{"lastDesiredError", nullptr}});
      std::cerr << "checkout: applied new desired properties (threshold " << settings.scan.threshold
                << ", " << catalogue.products.size() << " products)\n";
    } catch (const std::exception& e) {
      std::cerr << "checkout: kept the running settings; the new desired properties are wrong: "
                << e.what() << "\n";
      client.report({{"lastDesiredError", e.what()}});
    }
  });

  // An item decided on, from its weight and what the camera saw: say it,
  // and put it in the basket (once per scan, whatever is delivered twice).
  auto on_decision = [&](const ScanDecision& decision) {
    if (decision.kind == ScanDecision::Kind::NotRecognised) {
      journal.set_item_on_scale(decision.grams);
      say("Sorry, I could not recognise this item. Please take it off and place it again.",
          "not-recognised");
      return;
    }
    const Candidate& best = decision.candidates.front();
    const Product& p = *best.product;
    const std::string& name = p.name_in(settings.locale);
    if (!p.plausible(decision.grams)) {
      // Something else is on the scale too, or it is not what the model
      // thinks: ask, and do not charge.
      journal.set_item_on_scale(decision.grams);
      say(say_check_weight(name, decision.grams, settings.locale), "check-weight");
      return;
    }
    BasketLine line;
    line.scan_id = decision.scan_id;
    line.created_ms = now_ms();
    line.product_id = p.id;
    line.name = name;
    line.by_weight = p.sold_by == SoldBy::Weight;
    // Sold by weight: the packaging is not the shopper's to pay for.
    line.grams = line.by_weight ? std::max(0, decision.grams - p.tare_grams) : decision.grams;
    line.unit_price_minor = p.price_minor;
    line.price_minor = line.by_weight
                           ? price_by_weight(p.price_minor, line.grams, settings.rounding)
                           : p.price_minor;
    line.currency = catalogue.currency;
    line.probability = best.probability;
    if (!journal.add(line)) return;  // this scan is in the basket already
    std::string text = say_line(name, line.by_weight ? line.grams : -1, line.price_minor,
                                catalogue.currency, catalogue.minor_units, settings.locale);
    say(text, "line");
    publish_basket();
  };

  // A shopper who cannot see the display must hear what the scale says is wrong.
  static const std::map<std::string, std::string> scale_problems{
      {"overload", "The scale is overloaded. Please take some weight off."},
      {"under-zero", "The scale reads below zero. Please ask staff to zero it."},
      {"disconnected", "The scale is not connected. Please ask staff for help."},
      {"fault", "The scale reports a fault. Please ask staff for help."}};
  std::string scale_status = "ok";
  client.on_input("weight", [&](const Message& m) {
    try {
      auto j = m.json();
      std::lock_guard lock(mutex);
      std::string status = j.value("status", "ok");
      if (status == "motion") status = "ok";
      if (status != scale_status) {
        scale_status = status;
        if (auto problem = scale_problems.find(status); problem != scale_problems.end())
          say(problem->second, "scale-" + status);
      }
      if (status != "ok") return;
      bool was_empty = session.scale_empty();
      auto decision = session.on_weight(j.at("grams").get<int>(), j.value("stable", false),
                                        m.timestamp_ms(), m.id());
      if (!was_empty && session.scale_empty()) journal.set_item_on_scale(std::nullopt);
      if (decision) on_decision(*decision);
    } catch (const std::exception& e) {
      std::cerr << "checkout: ignored a malformed weight message: " << e.what() << "\n";
    }
  });

  client.on_input("predictions", [&](const Message& m) {
    std::optional<ScanDecision> decision;
    std::lock_guard lock(mutex);
    try {
      auto j = m.json();
      long long captured = std::atoll(m.property("captureTime", m.property("timestamp")).c_str());
      decision =
          session.on_predictions(j.at("predictions"), captured, !m.property("sceneId").empty());
    } catch (const std::exception& e) {
      std::cerr << "checkout: ignored malformed predictions: " << e.what() << "\n";
      return;
    }
    if (decision) on_decision(*decision);
  });

  while (!wait_for_stop(std::chrono::seconds(1))) {
  }
  client.stop_receiving();
  return 0;
}

}  // namespace ce
