// checkout: joins weight (input "weight"), predictions (input
// "predictions") and product codes (input "codes") into basket lines or
// questions; takes keypad keys (input
// "keys", method "key") and basket commands (input "commands", method
// "command"). Publishes what to say (output "sentence"), the basket (output
// "basket"), receipts (output "receipt") and, at start, the words speech
// should prepare (output "vocabulary").
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <limits>
#include <map>
#include <mutex>

#include "common/files.h"
#include "common/product_code.h"
#include "common/settings.h"
#include "common/sqlite_db.h"
#include "common/stop_signal.h"
#include "modules/checkout/catalogue.h"
#include "modules/checkout/catalogue_edit.h"
#include "modules/checkout/damaged_journal.h"
#include "modules/checkout/inputs.h"
#include "modules/checkout/journal.h"
#include "modules/checkout/phrases.h"
#include "modules/checkout/receipt.h"
#include "modules/checkout/scan_session.h"
#include "modules/checkout/till.h"
#include "modules/modules.h"

namespace ce {

namespace {

// What the desired properties say, read before anything changes, so that
// a bad update leaves the running settings as they were.
struct CheckoutSettings {
  std::string catalogue_path, journal_path, receipts_dir;
  ScanSettings scan;
  TillSettings till;
  std::string rounding_name;
  // An item settled this long ago and nothing decided it (the camera or the
  // classifier away): the shopper is told to leave it there. 0: never.
  long long still_looking_ms = 4000;
  // An item settled this long ago with no frame taken since (the classifier
  // or the hub lost it, or the camera's scene did not change): the camera
  // is asked for one now, and again each second, instead of waiting for its
  // next repeat. 0: never.
  long long frame_wanted_ms = 600;
  // The weight settled and nothing decided the item yet (the camera's gate,
  // comparing frames 1/fps apart, has not seen it still): a frame is asked
  // for at once, so its code is read within moments of the weight.
  bool frame_on_settle = true;

  static CheckoutSettings from(const nlohmann::json& desired) {
    CheckoutSettings s;
    s.catalogue_path =
        required_setting<std::string>(desired, "catalogue", "the product catalogue file");
    const char* data = std::getenv("CE_DATA_DIR");
    std::string data_dir = data ? data : ".";
    s.journal_path = setting<std::string>(desired, "journal", data_dir + "/journal.db");
    s.receipts_dir = setting<std::string>(desired, "receiptsDir", data_dir + "/receipts");
    s.scan.threshold = setting_in<double>(desired, "threshold", 0.5, 0, 1);
    // null: decide by `threshold` alone, whatever the model measured.
    s.scan.accept_risk = desired.contains("acceptRisk") && desired["acceptRisk"].is_null()
                             ? -1
                             : setting_in<double>(desired, "acceptRisk", 0.01, 0, 1);
    s.scan.min_grams = setting_in<int>(desired, "minGrams", 5, 0, 10000, "g");
    if (desired.contains("ignoreTags"))
      s.scan.ignore_tags = setting<std::set<std::string>>(desired, "ignoreTags", {});
    s.till.locale = setting<std::string>(desired, "locale", "en-US");
    s.rounding_name = setting<std::string>(desired, "rounding", "half-up");
    try {
      s.till.rounding = parse_rounding(s.rounding_name);
    } catch (const std::invalid_argument& e) {
      throw SettingError(std::string("desired property 'rounding': ") + e.what());
    }
    s.till.candidates_spoken =
        setting_in<int>(desired, "candidatesSpoken", 3, 1, 9, "(keypad digits)");
    s.still_looking_ms = setting_in<long long>(desired, "stillLookingMs", 4000, 0, 600000, "ms");
    s.frame_wanted_ms = setting_in<long long>(desired, "frameWantedMs", 600, 0, 600000, "ms");
    s.frame_on_settle = setting<bool>(desired, "frameOnSettle", true);
    s.scan.code_wait_ms = setting_in<long long>(desired, "codeWaitMs", 0, 0, 10000, "ms");
    s.scan.turn_wait_ms = setting_in<long long>(desired, "turnPackageMs", 6000, 0, 60000, "ms");
    return s;
  }
  nlohmann::json reported(const Catalogue& catalogue) const {
    return {
        {"catalogue", catalogue_path},
        {"products", catalogue.products.size()},
        {"threshold", scan.threshold},
        {"acceptRisk", scan.accept_risk < 0 ? nlohmann::json() : nlohmann::json(scan.accept_risk)},
        {"minGrams", scan.min_grams},
        {"rounding", rounding_name},
        {"locale", till.locale},
        {"candidatesSpoken", till.candidates_spoken},
        {"stillLookingMs", still_looking_ms},
        {"frameWantedMs", frame_wanted_ms},
        {"frameOnSettle", frame_on_settle},
        {"codeWaitMs", scan.code_wait_ms},
        {"turnPackageMs", scan.turn_wait_ms}};
  }
};

// The highest basket number the lane has issued, kept outside the journal:
// a journal that was emptied or replaced cannot hand out a number again.
nlohmann::json basket_record_json(const BasketRecord& b, const Catalogue& catalogue) {
  nlohmann::json lines = nlohmann::json::array();
  long long total = 0;
  for (size_t i = 0; i < b.lines.size(); ++i) {
    const BasketLine& l = b.lines[i];
    if (!b.voided[i]) total += l.price_minor;
    lines.push_back({{"line", l.line_no},
                     {"productId", l.product_id},
                     {"name", l.name},
                     {"grams", l.by_weight ? nlohmann::json(l.grams) : nlohmann::json()},
                     {"quantity", l.quantity},
                     {"priceMinor", l.price_minor},
                     {"voided", static_cast<bool>(b.voided[i])}});
  }
  // A paid basket's total is what the receipt charged (rounding included).
  if (b.receipt.is_object() && b.receipt.contains("totalMinor"))
    total = b.receipt.value("totalMinor", total);
  return {{"basket", b.basket_id},
          {"status", b.status},
          {"openedMs", b.opened_ms},
          {"closedMs", b.closed_ms ? nlohmann::json(b.closed_ms) : nlohmann::json()},
          {"lines", lines},
          {"totalMinor", total},
          {"currency", catalogue.currency},
          {"minorUnits", catalogue.minor_units}};
}

// The open basket's lines, voided ones too: what a journal must still hold.
long long journal_lines_kept(const Journal& journal) {
  return static_cast<long long>(journal.lines().size() + journal.voided_lines().size());
}

class BasketMark {
 public:
  explicit BasketMark(std::string path) : path_(std::move(path)) {
    std::ifstream in(path_);
    in >> mark_;
    if (!in) mark_ = 0;
    in >> lines_;  // older marks hold the number alone
    if (!in) lines_ = 0;
  }
  long long value() const { return mark_; }
  // Never throws: the basket is in the journal already; only the guard
  // against a lost journal is late, and the log says so. With the open
  // basket's lines (voids too), so that a journal that lost them is found
  // damaged at the next start (journal_damage), not taken as new.
  void raise(long long basket, long long open_lines) {
    if (basket < mark_ || (basket == mark_ && open_lines == lines_)) return;
    try {
      write_file_atomically(path_,
                            std::to_string(basket) + " " + std::to_string(open_lines) + "\n");
      mark_ = basket;
      lines_ = open_lines;
    } catch (const std::exception& e) {
      std::cerr << "checkout: cannot keep the basket number beside the journal: " << e.what()
                << "\n";
    }
  }

 private:
  std::string path_;
  long long mark_ = 0, lines_ = 0;
};

// A receipt is never written over another: a second one of the same number
// (which the basket mark should prevent) goes beside it.
std::string unused_stem(const std::string& dir, long long basket) {
  std::string stem = dir + "/receipt-" + std::to_string(basket);
  for (int n = 2; std::filesystem::exists(stem + ".json") || std::filesystem::exists(stem + ".txt");
       ++n)
    stem = dir + "/receipt-" + std::to_string(basket) + "-" + std::to_string(n);
  return stem;
}

constexpr const char* kRecoverFix =
    "staff: run `checkout-edge call checkout recoverJournal`: it keeps the damaged file aside, "
    "exports what can still be read and starts a new journal";

// The lane with a journal it cannot trust: it takes no basket, says so to
// each shopper who places an item, and waits for staff's recoverJournal.
int run_with_damaged_journal(ModuleClient& client, const CheckoutSettings& settings,
                             const std::string& damage, BasketMark& mark) {
  const std::string& path = settings.journal_path;
  std::cerr << "checkout: the basket journal is damaged (" << damage
            << "); this lane takes no basket until it is recovered. " << kRecoverFix << "\n";
  client.report(
      {{"journalDamaged", {{"error", damage}, {"fix", kRecoverFix}}},
       {"problem", {{"what", "the basket journal is damaged: " + damage}, {"fix", kRecoverFix}}}});
  std::mutex mutex;
  bool item_on = false;
  auto say_cannot_save = [&] {
    client.send_output(
        "sentence",
        Message::with_json({{"text", say_phrase(Phrase::CannotSave, settings.till.locale)},
                            {"kind", "cannot-save"},
                            {"locale", settings.till.locale},
                            {"priority", 2},
                            {"sentenceId", new_message_id()},
                            {"whole", true}}));
  };
  client.on_input("weight", [&](const Message& m) {
    std::lock_guard lock(mutex);
    try {
      WeightInput w = read_weight(m.json());
      if (w.grams <= 0) item_on = false;
      // Once for each item placed: every shopper must hear it, however close.
      if (!w.stable || w.grams <= 0 || item_on) return;
      item_on = true;
      say_cannot_save();
      std::cerr << "checkout: an item was placed; said the lane cannot save (journal damaged)\n";
    } catch (const std::exception& e) {
      std::cerr << "checkout: ignored a malformed weight message: " << e.what() << "\n";
    }
  });
  // A speech module that (re)started after it was said lost it: the item
  // still on the scale is told again.
  client.on_input("spoken", [&](const Message& m) {
    std::lock_guard lock(mutex);
    try {
      auto j = m.json();
      if (j.is_object() && j.value("event", "") == "started" && item_on) say_cannot_save();
    } catch (const std::exception&) {
    }
  });
  client.on_method("recoverJournal", [&](const nlohmann::json&) {
    std::lock_guard lock(mutex);
    try {
      RecoveredJournal r = recover_journal(path, mark.value());
      // The new journal's open basket comes after the mark, and holds nothing yet.
      mark.raise(mark.value() + 1, 0);
      std::cerr << "checkout: the damaged journal is kept as " << r.kept_as
                << "; what could be read (" << r.baskets << " baskets, " << r.lines << " lines, "
                << r.events << " events) is in " << r.exported << "; a new journal starts\n";
      client.report(
          {{"journalDamaged", nullptr}, {"problem", nullptr}, {"journalRecovered", r.exported}});
      client.restart_to_apply("a new basket journal after recoverJournal");
      nlohmann::json reply{{"keptAs", r.kept_as},
                           {"exported", r.exported},
                           {"baskets", r.baskets},
                           {"lines", r.lines},
                           {"events", r.events}};
      if (!r.stopped.empty()) reply["readingStopped"] = r.stopped;
      return MethodResult{200, reply};
    } catch (const std::exception& e) {
      return MethodResult{500, {{"error", e.what()}}};
    }
  });
  while (!wait_for_stop(std::chrono::seconds(1))) {
  }
  client.stop_receiving();
  return 0;
}

}  // namespace

void check_checkout_settings(const nlohmann::json& desired) {
  Catalogue::load(CheckoutSettings::from(desired).catalogue_path);
}

int run_checkout(ModuleClient& client, const nlohmann::json& desired) {
  CheckoutSettings settings = CheckoutSettings::from(desired);
  Catalogue catalogue = Catalogue::load(settings.catalogue_path);
  const std::string& journal_path = settings.journal_path;
  const std::string& receipts_dir = settings.receipts_dir;
  BasketMark mark(journal_path + ".basket-mark");
  std::optional<Journal> opened;
  std::string damage = journal_damage(journal_path);
  if (damage.empty()) {
    try {
      opened.emplace(journal_path);
    } catch (const SqliteError& e) {
      if (e.code != SQLITE_CORRUPT && e.code != SQLITE_NOTADB) throw;
      damage = e.what();
    }
  }
  if (!damage.empty()) return run_with_damaged_journal(client, settings, damage, mark);
  if (opened->highest_basket() < mark.value()) {
    // Emptied (a zero-length file is an empty database) or replaced: keep
    // it for staff to look at and go on numbering after the last basket.
    std::string aside = journal_path + ".lost-" + std::to_string(now_ms());
    std::cerr << "checkout: the basket journal " << journal_path << " holds baskets up to "
              << opened->highest_basket() << " but this lane had reached basket " << mark.value()
              << ": it was emptied or replaced. It is kept as " << aside
              << "; restore the journal from a backup to recover its baskets. Basket numbers go "
                 "on from "
              << mark.value() + 1 << ".\n";
    opened.reset();
    for (const char* suffix : {"", "-wal", "-shm"}) {
      std::error_code ec;
      std::filesystem::rename(journal_path + suffix, aside + suffix, ec);
    }
    opened.emplace(journal_path);
    opened->number_baskets_after(mark.value());
    client.report({{"journalReplaced", aside}});
  }
  Journal& journal = *opened;
  mark.raise(journal.basket_id(), journal_lines_kept(journal));
  ScanSession session(catalogue, settings.scan);
  // Evidence, not a record: a journal that cannot be read now decides without it.
  session.set_weights_seen([&](const Product& p) {
    try {
      return journal.weights_of(p.id);
    } catch (const SqliteError&) {
      return std::vector<int>{};
    }
  });
  Till till(journal, catalogue, settings.till);
  if (auto grams = journal.item_on_scale()) session.resume_decided(*grams);
  // A placement that settled before the checkout died and was never decided:
  // decided now if it is still there, said to be not added if it is gone.
  if (auto p = till.placement())
    session.resume_placement(p->value("grams", 0), p->value("scanId", ""),
                             p->value("stableMs", 0LL));
  // Held while a message is handled or settings change: a catalogue reload
  // must not pull products from under a decision being priced.
  std::mutex mutex;
  long long frame_wanted_at = 0;
  std::string frame_wanted_for;  // the placement asked for on settling
  auto want_frame = [&](const ScanSession::Placement& p) {
    frame_wanted_at = now_ms();
    client.send_output("frameWanted",
                       Message::with_json({{"scanId", p.scan_id}, {"stableMs", p.stable_ms}}));
  };

  // Sentences handed to speech but not yet heard whole, said again when a
  // restarted speech module says it has started. Lines are the journal's
  // (announced once heard); these are the rest, the last few.
  struct Pending {
    std::string id;
    Saying saying;
    long long sent_ms = 0;
  };
  std::deque<Pending> pending;
  auto line_sentence_id = [&](long long line_no) {
    return "line-" + std::to_string(journal.basket_id()) + "-" + std::to_string(line_no);
  };
  // The last name said ahead of its weight: the line that follows is said
  // without the name if speech said this one to its end.
  std::string name_sentence_id;
  auto publish_sentence = [&](const std::string& id, const Saying& s) {
    nlohmann::json j{{"text", s.text},
                     {"kind", s.kind},
                     {"locale", till.settings().locale},
                     {"priority", s.priority},
                     {"originMs", s.origin_ms},
                     {"sentenceId", id},
                     {"whole", s.whole()},
                     {"first", s.kind == "not-added"}};
    if (!s.after_name.empty() && !name_sentence_id.empty())
      j["after"] = {{"sentenceId", name_sentence_id}, {"text", s.after_name}};
    if (s.kind == "tone") j["tone"] = "read";
    client.send_output("sentence", Message::with_json(j));
  };
  auto say = [&](const Saying& s) {
    if (s.kind == "tone") return publish_sentence(new_message_id(), s);
    std::cout << "checkout: " << s.text << std::endl;
    std::string id = s.line_no ? line_sentence_id(s.line_no) : new_message_id();
    if (s.kind == "name") name_sentence_id = id;
    publish_sentence(id, s);
    // A name is stale once the item is rung up: not said again.
    if (!s.line_no && s.kind != "name") {
      pending.push_back({id, s, now_ms()});
      if (pending.size() > 3) pending.pop_front();
    }
    if (s.kind == "not-added") {
      try {
        till.keep_unheard_notice(id, s, now_ms());
      } catch (const std::exception& e) {
        // Said all the same; only a kill of this module before speech
        // says it could lose it now.
        std::cerr << "checkout: cannot keep \"" << s.text << "\" until it is heard: " << e.what()
                  << "\n";
      }
    }
    till.said(s);
  };
  auto say_again = [&] {
    for (const Saying& s : till.unsaid()) publish_sentence(line_sentence_id(s.line_no), s);
    for (const Pending& p : pending) publish_sentence(p.id, p.saying);
  };
  auto publish_receipt = [&](const nlohmann::json& receipt) {
    std::error_code ec;
    std::filesystem::create_directories(receipts_dir, ec);
    std::string stem = unused_stem(receipts_dir, receipt.at("basket").get<long long>());
    std::string text = receipt_text(receipt);
    std::ofstream json_file(stem + ".json"), text_file(stem + ".txt");
    json_file << receipt.dump(2) << "\n";
    text_file << text;
    if (!json_file.flush() || !text_file.flush())
      std::cerr << "checkout: cannot write the receipt to " << receipts_dir
                << "; it is kept in the journal " << journal_path << "\n";
    nlohmann::json out = receipt;
    out["text"] = text;
    Message m = Message::with_json(out);
    m.properties["retain"] = "true";
    client.send_output("receipt", m);
  };
  // Everything a message changed: said, the basket shown, a receipt issued.
  bool save_problem = false;  // reported; cleared once a change is saved again
  auto handle = [&](const std::vector<Saying>& sayings) {
    // First: what the journal must still hold at the next start.
    mark.raise(journal.basket_id(), journal_lines_kept(journal));
    if (save_problem) {
      save_problem = false;
      client.report({{"journalError", nullptr}, {"problem", nullptr}});
    }
    for (const Saying& s : sayings) say(s);
    // Retained: a screen that (re)starts shows the basket as it is now.
    Message basket = Message::with_json(till.basket());
    basket.properties["retain"] = "true";
    client.send_output("basket", basket);
    if (auto receipt = till.take_receipt()) publish_receipt(*receipt);
    // What the classifier should learn from (or forget) after this change.
    for (const nlohmann::json& t : till.take_teachings())
      client.send_output("examples", Message::with_json(t));
  };
  // The journal could not be written (a full disk, a damaged file): nothing
  // was rung up, and the shopper must know; staff read the fix in the log.
  long long last_cannot_save_ms = 0;
  bool item_since_cannot_save = false;  // a new item was placed since it was last said
  auto cannot_save = [&](const SqliteError& e) {
    std::cerr << "checkout: cannot save to the basket journal, so nothing was rung up: " << e.what()
              << (e.code == SQLITE_FULL ? ". The disk is full: free space (df -h " + journal_path +
                                              ") and the lane goes on"
                                        : ". Check the journal file and the disk")
              << "\n";
    std::string fix =
        e.code == SQLITE_FULL
            ? "free space on the disk of " + journal_path + " (df -h); the lane goes on"
            : "check the journal file and its disk; `checkout-edge check` names the damage";
    client.report(
        {{"journalError", e.what()},
         {"problem", {{"what", std::string("cannot save baskets: ") + e.what()}, {"fix", fix}}}});
    save_problem = true;
    // Once for each item that could not be saved, not at every weight.
    if (!item_since_cannot_save && now_ms() - last_cannot_save_ms < 10000) return;
    item_since_cannot_save = false;
    last_cannot_save_ms = now_ms();
    Saying s{say_phrase(Phrase::CannotSave, till.settings().locale), "cannot-save", 2};
    try {
      say(s);
    } catch (const std::exception&) {
      // "repeat" could not record it either; it was sent all the same.
    }
  };
  auto publish_vocabulary = [&] {
    Message words = Message::with_json(
        {{"locale", till.settings().locale},
         {"texts", till.vocabulary()},
         // What speech says by itself while this module is down.
         {"notices",
          {{"module", client.id()},
           {"down", say_phrase(Phrase::CheckoutRestarting, till.settings().locale)},
           {"back", say_phrase(Phrase::CheckoutReady, till.settings().locale)}}}});
    words.properties["retain"] = "true";  // for a speech module that starts later
    client.send_output("vocabulary", words);
  };

  std::cerr << "checkout: " << catalogue.products.size() << " products, journal " << journal_path
            << " with " << journal.lines().size() << " lines in basket " << journal.basket_id()
            << "\n";
  client.report(settings.reported(catalogue));
  client.report({{"journal", journal_path}, {"basketLines", journal.lines().size()}});
  publish_vocabulary();
  // Lines journalled before the module died, but never heard whole, and
  // "not added" said to no one.
  handle(till.unsaid());
  for (const auto& [id, s] : till.unheard_notices(now_ms())) {
    std::cout << "checkout: " << s.text << " (not yet heard)" << std::endl;
    pending.push_back({id, s, now_ms()});
    publish_sentence(id, s);
  }

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
    std::lock_guard lock(mutex);
    try {
      WeightInput w = read_weight(m.json());
      std::string status = w.status == "motion" ? "ok" : w.status;
      if (status != scale_status) {
        scale_status = status;
        // A shopper who cannot see the display must hear what the scale says is wrong.
        for (const Saying& s : till.scale_status(status)) say(s);
      }
      if (status != "ok") return;
      if (w.placement >= 0) {
        auto counted = till.scale_placements(w.scale_run, w.placement, w.placed);
        // The item this module knew of was taken off while it could not
        // hear (the next one may weigh the same): that placement ends here.
        if (counted.new_placement && session.holds_settled_item()) {
          auto lifted = session.on_weight(0, true, m.timestamp_ms(), m.id());
          auto withdrawn = till.item_removed();
          if (!withdrawn.empty()) handle(withdrawn);
          if (lifted) handle(till.decided(*lifted, lifted->stable_ms));
        }
        if (!counted.sayings.empty()) handle(counted.sayings);
      }
      bool was_empty = session.scale_empty();
      auto decision = session.on_weight(w.grams, w.stable, m.timestamp_ms(), m.id());
      if (was_empty && !session.scale_empty()) item_since_cannot_save = true;
      if (auto p = session.waiting()) till.placement_settled(p->scan_id, p->grams, p->stable_ms);
      if (!was_empty && session.scale_empty()) {
        auto withdrawn = till.item_removed();
        if (!withdrawn.empty()) handle(withdrawn);  // the screens drop the question too
      }
      if (decision) handle(till.decided(*decision, decision->stable_ms));
      if (auto p = session.waiting();
          p && settings.frame_on_settle && p->scan_id != frame_wanted_for) {
        frame_wanted_for = p->scan_id;
        want_frame(*p);
      }
    } catch (const SqliteError& e) {
      cannot_save(e);
    } catch (const std::exception& e) {
      std::cerr << "checkout: ignored a malformed weight message: " << e.what() << "\n";
    }
  });

  client.on_input("predictions", [&](const Message& m) {
    std::lock_guard lock(mutex);
    try {
      std::optional<ScanDecision> decision;
      try {
        auto j = m.json();
        long long captured = std::atoll(m.property("captureTime", m.property("timestamp")).c_str());
        // What the lane learns from names the scene, or the frame when ungated.
        std::string scene = m.property("sceneId", m.property("frameId"));
        decision =
            session.on_predictions(read_predictions(j), captured, !m.property("sceneId").empty(),
                                   j.value("thresholdAtRisk", nlohmann::json::object()), scene);
      } catch (const std::exception& e) {
        std::cerr << "checkout: ignored malformed predictions: " << e.what() << "\n";
        return;
      }
      if (decision && decision->kind == ScanDecision::Kind::Named) {
        // Only said: the basket has not changed.
        for (const Saying& s : till.decided(*decision, decision->placed_ms)) say(s);
      } else if (decision) {
        handle(till.decided(*decision, decision->stable_ms));
      }
    } catch (const SqliteError& e) {
      cannot_save(e);
    }
  });

  // Product codes (the barcodes module's reads of the camera's frames, a
  // handheld scanner's): certain where the image guesses, so they decide.
  client.on_input("codes", [&](const Message& m) {
    std::lock_guard lock(mutex);
    try {
      std::optional<ScanDecision> decision;
      nlohmann::json code;
      const Product* product = nullptr;
      try {
        auto j = m.json();
        if (!j.is_object() || !j.contains("code"))
          throw BadInput(
              "a code message is {\"code\": {\"symbology\", \"text\"} or null, "
              "\"sceneId\"?, \"source\"?}");
        if (!j["code"].is_null()) {
          ProductCode read = product_code_from_json(j["code"]);
          code = to_json(read);
          if (!read.gtin.empty()) product = catalogue.by_gtin(read.gtin);
          if (!product && !read.plu.empty()) product = catalogue.by_id(read.plu);
        }
        std::string scene = j.contains("sceneId") && j["sceneId"].is_string() ? j["sceneId"] : "";
        long long read_ms = m.timestamp_ms();
        decision = session.on_code(product, code, read_ms, scene);
      } catch (const std::exception& e) {
        std::cerr << "checkout: ignored a malformed code message: " << e.what() << "\n";
        return;
      }
      if (!code.is_null())
        std::cerr << "checkout: code " << code.value("text", "") << " is "
                  << (product ? product->name : "not in the catalogue") << "\n";
      if (decision) handle(till.decided(*decision, decision->stable_ms));
    } catch (const SqliteError& e) {
      cannot_save(e);
    }
  });

  // What speech said: a line heard to its end is announced; a speech module
  // that (re)started has lost whatever it was given before.
  client.on_input("spoken", [&](const Message& m) {
    std::lock_guard lock(mutex);
    try {
      auto j = m.json();
      if (!j.is_object()) throw BadInput("it is not a JSON object");
      if (j.value("event", "") == "started") return say_again();
      auto id = j.find("sentenceId");
      auto complete = j.find("complete");
      if (id == j.end() || !id->is_string() || complete == j.end() || !complete->is_boolean() ||
          !complete->get<bool>())
        return;
      std::string sentence = id->get<std::string>();
      std::erase_if(pending, [&](const Pending& p) { return p.id == sentence; });
      std::string prefix = "line-" + std::to_string(journal.basket_id()) + "-";
      if (sentence.rfind(prefix, 0) == 0)
        till.heard(std::atoll(sentence.c_str() + prefix.size()));
      else
        till.notice_heard(sentence);
    } catch (const SqliteError& e) {
      cannot_save(e);
    } catch (const std::exception& e) {
      std::cerr << "checkout: ignored a malformed spoken report: " << e.what() << "\n";
    }
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
    } catch (const SqliteError& e) {
      cannot_save(e);
      return {507, {{"error", std::string("nothing was changed: ") + e.what()}}};
    }
  };
  client.on_method("recoverJournal", [&](const nlohmann::json&) {
    std::string now_damaged = journal_damage(journal_path);
    if (now_damaged.empty())
      return MethodResult{409,
                          {{"error", "the basket journal " + journal_path +
                                         " is whole (SQLite's quick_check is ok): there is "
                                         "nothing to recover, and it is kept as it is"}}};
    client.restart_to_apply("the basket journal is damaged");
    return MethodResult{503,
                        {{"error", "the journal is damaged (" + now_damaged +
                                       "); the checkout restarts to keep it aside: call "
                                       "recoverJournal again in a few seconds"}}};
  });
  // Staff's, at the shell or through the console (which names the account).
  client.on_method("command", [&](nlohmann::json request) {
    if (request.is_object() && !request.contains("by")) request["by"] = "staff";
    return run_command(request);
  });
  client.on_method("key", [&](const nlohmann::json& request) {
    auto key = request.find("key");
    return run_command({{"command", "key"}, {"key", key == request.end() ? nullptr : *key}});
  });
  // What the basket can hold, for staff correcting a line.
  client.on_method("products", [&](const nlohmann::json&) {
    std::lock_guard lock(mutex);
    nlohmann::json out = nlohmann::json::array();
    for (const Product& p : catalogue.products)
      out.push_back({{"id", p.id}, {"name", p.name_in(till.settings().locale)}, {"tags", p.tags}});
    return MethodResult{200, {{"products", out}}};
  });
  client.on_method("basket", [&](const nlohmann::json&) {
    std::lock_guard lock(mutex);
    return MethodResult{200, till.basket()};
  });
  // Staff teaching the lane a product (the console's enrollment): it goes in
  // the catalogue file and is sold from the next scan.
  client.on_method("addProduct", [&](const nlohmann::json& request) {
    std::lock_guard lock(mutex);
    nlohmann::json product;
    try {
      product = product_from_request(request, catalogue);
      catalogue = add_product_to_catalogue(settings.catalogue_path, product);
    } catch (const CatalogueEditError& e) {
      return MethodResult{400, {{"error", e.what()}}};
    } catch (const std::exception& e) {
      return MethodResult{507, {{"error", std::string("the catalogue is unchanged: ") + e.what()}}};
    }
    client.report(settings.reported(catalogue));
    publish_vocabulary();
    std::cerr << "checkout: added product " << product.value("id", "") << " ("
              << product.value("name", "") << ") to " << settings.catalogue_path << "\n";
    return MethodResult{200, {{"products", catalogue.products.size()}}};
  });

  // Staff's search of the journal (the console's "Baskets"): open, paid and
  // cancelled baskets, voids included, by time.
  client.on_method("findBaskets", [&](const nlohmann::json& request) {
    auto time = [&](const char* key, long long fallback) {
      auto v = request.find(key);
      if (v == request.end() || v->is_null()) return fallback;
      if (!v->is_number_integer())
        throw BadInput(std::string(key) + " is milliseconds since 1970, a whole number");
      return v->get<long long>();
    };
    try {
      if (!request.is_object()) throw BadInput("send {\"fromMs\", \"toMs\", \"status\"}");
      long long from = time("fromMs", 0), to = time("toMs", std::numeric_limits<long long>::max());
      std::string status = request.value("status", "");
      if (status != "" && status != "open" && status != "paid" && status != "cancelled")
        throw BadInput("status is open, paid or cancelled (or left out for all)");
      std::lock_guard lock(mutex);
      nlohmann::json out = nlohmann::json::array();
      for (auto& b : journal.baskets(from, to, status, 200))
        out.push_back(basket_record_json(b, catalogue));
      return MethodResult{200, {{"baskets", out}}};
    } catch (const BadInput& e) {
      return MethodResult{400, {{"error", e.what()}}};
    } catch (const nlohmann::json::exception&) {
      return MethodResult{400, {{"error", "status is text: open, paid or cancelled"}}};
    } catch (const SqliteError& e) {
      return MethodResult{503, {{"error", std::string("cannot read the journal: ") + e.what()}}};
    }
  });
  auto command_input = [&](const char* input, bool is_key) {
    client.on_input(input, [&, input, is_key](const Message& m) {
      try {
        auto j = m.json();
        if (is_key) {
          if (!j.is_object() || !j.contains("key") || !j["key"].is_string() ||
              j["key"].get<std::string>().size() > 16)
            throw BadInput("a key message is {\"key\": \"1\"}");
          j = {{"command", "key"}, {"key", j["key"]}};
        }
        if (j.is_object()) j["by"] = is_key ? "keypad" : "kiosk";
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

  // A settled item nothing has decided: said once for each placement, so a
  // shopper who cannot see the screen knows the lane has not forgotten it.
  std::string still_looking_said;
  // What speech was given can be lost without a word: its report that it
  // said a sentence (the hub restarted between them), or its "started"
  // (then nothing is sent again), or the sentence itself, published while
  // the hub's router had not yet subscribed again. A line, or "not added",
  // still unheard 3 s on is sent again every 3 s for a minute: speech says
  // it unless it has it waiting or said it whole already, so the shopper
  // is told while the item is still in hand.
  constexpr long long kSendAgainMs = 3000;
  std::map<long long, long long> unheard_since;  // line -> when first found unheard
  long long resent_at = now_ms();
  // Often enough that an unsure scan waiting for its code (codeWaitMs) is
  // asked about on time.
  while (!wait_for_stop(std::chrono::milliseconds(50))) {
    std::lock_guard lock(mutex);
    long long now = now_ms();
    try {
      if (auto decision = session.on_time(now))
        handle(till.decided(*decision, decision->stable_ms));
    } catch (const SqliteError& e) {
      cannot_save(e);
    }
    auto waiting = session.waiting();
    if (now - resent_at >= kSendAgainMs) {
      resent_at = now;
      try {
        std::map<long long, long long> still;
        for (const Saying& s : till.unsaid()) {
          auto seen = unheard_since.find(s.line_no);
          long long since = seen == unheard_since.end() ? now : seen->second;
          still[s.line_no] = since;
          if (now - since >= kSendAgainMs && now - since < 60000)
            publish_sentence(line_sentence_id(s.line_no), s);
        }
        unheard_since = std::move(still);
        for (const Pending& p : pending)
          if (p.saying.kind == "not-added" && now - p.sent_ms >= kSendAgainMs &&
              now - p.sent_ms < 60000)
            publish_sentence(p.id, p.saying);
      } catch (const std::exception& e) {
        std::cerr << "checkout: cannot send unheard sentences again: " << e.what() << "\n";
      }
    }
    if (waiting && settings.frame_wanted_ms > 0 &&
        now - waiting->stable_ms >= settings.frame_wanted_ms && now - frame_wanted_at >= 1000) {
      want_frame(*waiting);
    }
    if (!waiting || session.turning() || settings.still_looking_ms <= 0 ||
        waiting->scan_id == still_looking_said ||
        now - waiting->stable_ms < settings.still_looking_ms)
      continue;
    still_looking_said = waiting->scan_id;
    try {
      say({say_phrase(Phrase::StillLooking, till.settings().locale), "still-looking", 1,
           waiting->stable_ms});
    } catch (const std::exception& e) {
      std::cerr << "checkout: " << e.what() << "\n";
    }
  }
  client.stop_receiving();
  return 0;
}

}  // namespace ce
