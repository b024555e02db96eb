// The checkout's answers to the shopper, apart from MQTT: a decided scan
// becomes a basket line or a question; keys and commands change the basket
// or say something. Everything that changes is journalled first, so the
// till is rebuilt from the journal after a crash.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "modules/checkout/catalogue.h"
#include "modules/checkout/journal.h"
#include "modules/checkout/phrases.h"
#include "modules/checkout/pricing.h"
#include "modules/checkout/scan_session.h"

namespace ce {

struct Saying {
  std::string text, kind;
  int priority = 1;         // scale alarms 2; everything else 1
  long long origin_ms = 0;  // the stable weight it answers, for the latency figures
  long long line_no = 0;    // a line's announcement: announced once speech says it was heard
  // The item's name was said alone before the weight settled: what to say
  // instead of `text` if the shopper heard that name to its end.
  std::string after_name;
  // Carries money (a line, the total, the change) or items the shopper must
  // place again: speech lets nothing as urgent cut it, and says it again
  // whole after anything more urgent.
  bool whole() const {
    return kind == "line" || kind == "total" || kind == "paid" || kind == "confirm-pay" ||
           kind == "quantity" || kind == "check-weight" || kind == "not-added" || kind == "tone";
  }
};

struct TillSettings {
  std::string locale = "en-US";
  Rounding rounding = Rounding::HalfUp;
  int candidates_spoken = 3;  // how many a question names
};

// A command a shopper or staff cannot give: says what to do instead.
class CommandError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Till {
 public:
  Till(Journal& journal, const Catalogue& catalogue, TillSettings settings);

  // A Named decision says the name alone; the line that follows for the
  // same product then carries `after_name` (weight and price only).
  std::vector<Saying> decided(const ScanDecision& decision, long long origin_ms);
  // A keypad key: "0".."9" answer a question; "*" repeat, "+" total, "-" void
  // last, "/" cancel (twice), "Enter" pay (twice); anything else says the keys.
  std::vector<Saying> key(const std::string& key);
  // {"command": "void-last" | "void" (line) | "quantity" (line, quantity) |
  // "total" | "repeat" | "cancel" | "pay" (tenderedMinor?) | "answer" (choice) |
  // "correct" (line, productId: staff's) | "key" (key)}. Throws CommandError
  // for what cannot be done.
  std::vector<Saying> command(const nlohmann::json& command);
  // The scale's status changed ("ok", "overload", ...): journalled; a problem is said at once.
  std::vector<Saying> scale_status(const std::string& status);
  // A placement settled and waits for its decision: kept in the journal
  // until it is decided (a line, a question, not added), across a restart.
  void placement_settled(const std::string& scan_id, int grams, long long stable_ms);
  std::optional<nlohmann::json> placement() const;
  // The scale's count of items placed (`run`: since it started), with the
  // weight message that carries it: items it saw placed that this module
  // never did (it was restarting, or cut off from the hub) were not added,
  // and the shopper is told how many. `on_scale`: this message's item is
  // there now, to be decided as usual.
  struct ScaleCount {
    std::vector<Saying> sayings;
    bool new_placement = false;  // the scale saw an item placed since the last message
  };
  ScaleCount scale_placements(const std::string& run, long long count, bool on_scale);
  // The item was taken off: a question about it is withdrawn, and said so.
  std::vector<Saying> item_removed();

  // Called once a saying is handed to speech: "repeat" says this one.
  void said(const Saying& saying);
  // Speech said line `line_no`'s announcement to the end: it is announced.
  void heard(long long line_no);
  // Lines journalled but not yet heard whole (the checkout or speech died,
  // or the sentence was lost): said again.
  std::vector<Saying> unsaid() const;
  // "Not added" handed to speech under sentence `id` and not yet heard
  // whole: kept in the journal, so that the checkout's own kill does not
  // swallow it, until speech reports it heard or a minute has passed.
  void keep_unheard_notice(const std::string& id, const Saying& saying, long long now_ms);
  void notice_heard(const std::string& id);
  struct UnheardNotice {
    std::string id;
    Saying saying;
  };
  std::vector<UnheardNotice> unheard_notices(long long now_ms) const;

  nlohmann::json basket() const;
  // The receipt of the basket paid last, once, for the module to publish.
  std::optional<nlohmann::json> take_receipt();
  // What the lane should learn from the changes since the last call, for
  // the classifier (output "examples"): {"scene", "tags", "productId",
  // "against", "source"} or {"scene", "forget": true, "source"}. An answer
  // teaches at once, an accepted line when it is paid, a void or "none of
  // these" teaches against; a cancelled basket takes back what it taught.
  std::vector<nlohmann::json> take_teachings();
  // Product names and fixed sentences, for speech to make ahead of need.
  std::vector<std::string> vocabulary() const;

  void set_settings(TillSettings settings) { settings_ = std::move(settings); }
  void set_catalogue(const Catalogue& catalogue) { catalogue_ = &catalogue; }
  const TillSettings& settings() const { return settings_; }

 private:
  // A GS1 label's weight and price, in the line's units: the line is priced
  // from it (the product's priceFromLabel).
  struct LabelPrice {
    long long grams = 0, price_minor = 0;
  };
  std::vector<Saying> add_line(const Product& p, int grams, const std::string& scan_id,
                               double probability, long long origin_ms,
                               const std::string& scene = {}, const std::string& decided_by = {},
                               const std::optional<LabelPrice>& label = std::nullopt,
                               const std::string& code = {});
  std::vector<Saying> decided_by_code(const ScanDecision& decision, long long origin_ms);
  std::optional<LabelPrice> label_price(const Product& p, const nlohmann::json& code) const;
  void teach(const std::string& scene, const Product& p, bool against, const std::string& source);
  const Product* product(const std::string& id) const;
  std::vector<Saying> answer(int choice);
  std::string after_name(const Saying& line_saying) const;
  std::vector<Saying> void_line(std::optional<long long> line_no);
  std::vector<Saying> set_quantity(long long line_no, long long quantity);
  std::vector<Saying> correct(long long line_no, const std::string& product_id);
  std::vector<Saying> pay(std::optional<long long> tendered_minor);
  std::vector<Saying> cancel();
  std::vector<Saying> total() const;
  std::vector<Saying> repeat() const;
  Saying saying(Phrase phrase, const std::vector<std::string>& args = {},
                const std::string& kind = "info") const;
  std::string money(long long minor) const;
  long long total_minor() const;

  Journal& journal_;
  const Catalogue* catalogue_;
  TillSettings settings_;
  std::string armed_;  // "cancel" or "pay": the key pressed once, waiting for the second
  std::string who_;    // the command's "by": who confirmed what it teaches
  std::string named_;  // the product whose name was said ahead of its weight
  std::optional<nlohmann::json> receipt_;
  std::vector<nlohmann::json> teachings_;
};

}  // namespace ce
