// checkout: joins weight (input "weight") and predictions (input
// "predictions") into basket lines or questions; takes keypad keys (input
// "keys", method "key") and basket commands (input "commands", method
// "command"). Publishes what to say (output "sentence"), the basket (output
// "basket"), receipts (output "receipt") and, at start, the words speech
// should prepare (output "vocabulary").
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>

#include "common/settings.h"
#include "common/stop_signal.h"
#include "modules/checkout/catalogue.h"
#include "modules/checkout/journal.h"
#include "modules/checkout/receipt.h"
#include "modules/checkout/scan_session.h"
#include "modules/checkout/till.h"
#include "modules/modules.h"

namespace ce {

// What the desired properties say, read before anything changes, so that
// a bad update leaves the running settings as they were.
struct CheckoutSettings {
  std::string catalogue_path;
  ScanSettings scan;
  TillSettings till;
  std::string rounding_name;

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
    s.till.locale = setting<std::string>(desired, "locale", "en-US");
    s.rounding_name = setting<std::string>(desired, "rounding", "half-up");
    s.till.rounding = parse_rounding(s.rounding_name);
    s.till.candidates_spoken = setting<int>(desired, "candidatesSpoken", 3);
    if (s.till.candidates_spoken < 1 || s.till.candidates_spoken > 9)
      throw SettingError(
          "desired property 'candidatesSpoken' must be 1..9 (keypad digits), found " +
          std::to_string(s.till.candidates_spoken));
    return s;
  }
  nlohmann::json reported(const Catalogue& catalogue) const {
    return {{"catalogue", catalogue_path},
            {"products", catalogue.products.size()},
            {"threshold", scan.threshold},
            {"minGrams", scan.min_grams},
            {"rounding", rounding_name},
            {"locale", till.locale},
            {"candidatesSpoken", till.candidates_spoken}};
  }
};

int run_checkout(ModuleClient& client, const nlohmann::json& desired) {
  CheckoutSettings settings = CheckoutSettings::from(desired);
  Catalogue catalogue = Catalogue::load(settings.catalogue_path);
  const char* data = std::getenv("CE_DATA_DIR");
  std::string data_dir = data ? data : ".";
  std::string journal_path = setting<std::string>(desired, "journal", data_dir + "/journal.db");
  std::string receipts_dir = setting<std::string>(desired, "receiptsDir", data_dir + "/receipts");
  Journal journal(journal_path);
  ScanSession session(catalogue, settings.scan);
  Till till(journal, catalogue, settings.till);
  if (auto grams = journal.item_on_scale()) session.resume_decided(*grams);
  // Held while a message is handled or settings change: a catalogue reload
  // must not pull products from under a decision being priced.
  std::mutex mutex;

  auto say = [&](const Saying& s) {
    std::cout << "checkout: " << s.text << std::endl;
    client.send_output("sentence", Message::with_json({{"text", s.text},
                                                       {"kind", s.kind},
                                                       {"locale", till.settings().locale},
                                                       {"priority", s.priority},
                                                       {"originMs", s.origin_ms}}));
    till.said(s);
  };
  auto publish_receipt = [&](const nlohmann::json& receipt) {
    std::string stem =
        receipts_dir + "/receipt-" + std::to_string(receipt.at("basket").get<long long>());
    std::string text = receipt_text(receipt);
    std::error_code ec;
    std::filesystem::create_directories(receipts_dir, ec);
    std::ofstream json_file(stem + ".json"), text_file(stem + ".txt");
    json_file << receipt.dump(2) << "\n";
    text_file << text;
    if (!json_file.flush() || !text_file.flush())
      std::cerr << "checkout: cannot write the receipt to " << receipts_dir
                << "; it is kept in the journal " << journal_path << "\n";
    nlohmann::json out = receipt;
    out["text"] = text;
    client.send_output("receipt", Message::with_json(out));
  };
  // Everything a message changed: said, the basket shown, a receipt issued.
  auto handle = [&](const std::vector<Saying>& sayings) {
    for (const Saying& s : sayings) say(s);
    client.send_output("basket", Message::with_json(till.basket()));
    if (auto receipt = till.take_receipt()) publish_receipt(*receipt);
  };
  auto publish_vocabulary = [&] {
    Message words =
        Message::with_json({{"locale", till.settings().locale}, {"texts", till.vocabulary()}});
    words.properties["retain"] = "true";  // for a speech module that starts later
    client.send_output("vocabulary", words);
  };

  std::cerr << "checkout: " << catalogue.products.size() << " products, journal " << journal_path
            << " with " << journal.lines().size() << " lines in basket " << journal.basket_id()
            << "\n";
  client.report(settings.reported(catalogue));
  client.report({{"journal", journal_path}, {"basketLines", journal.lines().size()}});
  publish_vocabulary();
  // A line journalled before the module died, but never handed to speech.
  handle(till.unsaid());

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
      till.set_settings(next.till);
      settings = std::move(next);
      client.report(settings.reported(catalogue));
      client.report({{"lastDesiredError", nullptr}});
      publish_vocabulary();
      std::cerr << "checkout: applied new desired properties (threshold " << settings.scan.threshold
                << ", " << catalogue.products.size() << " products)\n";
    } catch (const std::exception& e) {
      std::cerr << "checkout: kept the running settings; the new desired properties are wrong: "
                << e.what() << "\n";
      client.report({{"lastDesiredError", e.what()}});
    }
  });

  std::string scale_status = "ok";
  client.on_input("weight", [&](const Message& m) {
    try {
      auto j = m.json();
      std::lock_guard lock(mutex);
      std::string status = j.value("status", "ok");
      if (status == "motion") status = "ok";
      if (status != scale_status) {
        scale_status = status;
        // A shopper who cannot see the display must hear what the scale says is wrong.
        for (const Saying& s : till.scale_status(status)) say(s);
      }
      if (status != "ok") return;
      bool was_empty = session.scale_empty();
      auto decision = session.on_weight(j.at("grams").get<int>(), j.value("stable", false),
                                        m.timestamp_ms(), m.id());
      if (!was_empty && session.scale_empty()) till.item_removed();
      if (decision) handle(till.decided(*decision, decision->stable_ms));
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
    if (decision) handle(till.decided(*decision, decision->stable_ms));
  });

  // Keys and commands: from a keypad module, the kiosk screen, or staff
  // (`checkout-edge call checkout command '{"command": "total"}'`).
  auto run_command = [&](const nlohmann::json& command) -> MethodResult {
    std::lock_guard lock(mutex);
    try {
      std::vector<Saying> said = till.command(command);
      handle(said);
      nlohmann::json texts = nlohmann::json::array();
      for (auto& s : said) texts.push_back(s.text);
      return {200, {{"said", texts}, {"basket", till.basket()}}};
    } catch (const CommandError& e) {
      return {400, {{"error", e.what()}}};
    }
  };
  client.on_method("command", run_command);
  client.on_method("key", [&](const nlohmann::json& request) {
    return run_command({{"command", "key"}, {"key", request.value("key", nlohmann::json())}});
  });
  client.on_method("basket", [&](const nlohmann::json&) {
    std::lock_guard lock(mutex);
    return MethodResult{200, till.basket()};
  });
  auto command_input = [&](const char* input, bool is_key) {
    client.on_input(input, [&, input, is_key](const Message& m) {
      try {
        auto j = m.json();
        if (is_key) j = {{"command", "key"}, {"key", j.at("key")}};
        MethodResult r = run_command(j);
        if (r.status != 200)
          std::cerr << "checkout: " << input << ": " << r.payload.value("error", "") << "\n";
      } catch (const std::exception& e) {
        std::cerr << "checkout: ignored a malformed " << input << " message: " << e.what() << "\n";
      }
    });
  };
  command_input("keys", true);
  command_input("commands", false);

  while (!wait_for_stop(std::chrono::seconds(1))) {
  }
  client.stop_receiving();
  return 0;
}

}  // namespace ce
