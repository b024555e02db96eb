#include "modules/checkout/till.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <utility>

#include "checkout-edge/module.h"
#include "modules/checkout/receipt.h"

namespace ce {

namespace {

// Far above any basket (ten million in major units), far below overflow.
constexpr long long kMaxMinor = 1'000'000'000;

// ISO 4217's numbers for the currencies a store is likeliest to price in,
// as a GS1 label's AI 393y carries them; "" for any other.
std::string iso_numeric(const std::string& currency) {
  static const std::map<std::string, std::string> numbers{
      {"USD", "840"}, {"EUR", "978"}, {"GBP", "826"}, {"JPY", "392"}, {"CNY", "156"},
      {"KRW", "410"}, {"SEK", "752"}, {"NOK", "578"}, {"DKK", "208"}, {"CHF", "756"},
      {"AUD", "036"}, {"CAD", "124"}, {"PLN", "985"}, {"CZK", "203"}, {"HUF", "348"}};
  auto it = numbers.find(currency);
  return it == numbers.end() ? "" : it->second;
}

// The open question survives a restart: which scan, what weight, which products.
constexpr const char* kQuestion = "question";
// A placement that settled and is not decided yet: outlives a restart until
// it becomes a line or the shopper is told it was not added.
constexpr const char* kPlacement = "placement";
constexpr const char* kLastSaid = "lastSaid";
// The scale's placement count this module has seen, with the scale's run.
constexpr const char* kScalePlacements = "scalePlacements";
// "Not added" not yet heard: [{"id", "text", "originMs", "keptMs"}], the last few.
constexpr const char* kUnheardNotices = "unheardNotices";
// Past this, "the last item was not added" no longer says which item.
constexpr long long kNoticeLifeMs = 60000;

}  // namespace

Till::Till(Journal& journal, const Catalogue& catalogue, TillSettings settings)
    : journal_(journal), catalogue_(&catalogue), settings_(std::move(settings)) {}

std::string Till::money(long long minor) const {
  return say_money(minor, catalogue_->currency, catalogue_->minor_units, settings_.locale);
}

Saying Till::saying(Phrase phrase, const std::vector<std::string>& args,
                    const std::string& kind) const {
  return {say_phrase(phrase, settings_.locale, args), kind};
}

long long Till::total_minor() const {
  long long total = 0;
  for (auto& l : journal_.lines()) total += l.price_minor;
  return total;
}

std::vector<Saying> Till::decided(const ScanDecision& d, long long origin_ms) {
  armed_.clear();
  if (d.kind == ScanDecision::Kind::Named) {
    // Nothing journalled: a name alone charges nothing, and it must not
    // wait for the disk.
    const Product& p = *d.candidates.front().product;
    named_ = p.id;
    return {{say_name(p.name_in(settings_.locale), settings_.locale), "name", 1, origin_ms}};
  }
  if (d.kind == ScanDecision::Kind::PlaceOnScale) {
    const Product& p = *d.candidates.front().product;
    return {saying(Phrase::PlaceOnScale, {p.name_in(settings_.locale)}, "question")};
  }
  if (d.kind == ScanDecision::Kind::TurnPackage)
    return {saying(Phrase::TurnPackage, {}, "turn-package")};
  if (!d.code.is_null()) return decided_by_code(d, origin_ms);
  std::string named = std::exchange(named_, {});
  // Each write waits for the disk: only the ones that change something.
  if (journal_.state(kPlacement)) journal_.set_state(kPlacement, std::nullopt);
  if (d.kind == ScanDecision::Kind::Lifted) {
    journal_.record("not-added", {{"scanId", d.scan_id}, {"grams", d.grams}});
    Saying s = saying(Phrase::NotAdded, {}, "not-added");
    s.origin_ms = origin_ms;
    return {s};
  }
  if (journal_.state(kQuestion)) journal_.set_state(kQuestion, std::nullopt);
  std::vector<Saying> out;
  if (d.kind == ScanDecision::Kind::Recognised) {
    const Product& p = *d.candidates.front().product;
    auto said = add_line(p, d.grams, d.scan_id, d.candidates.front().probability, origin_ms,
                         d.scene, "model");
    if (p.id == named)
      for (Saying& s : said) s.after_name = after_name(s);
    return said;
  }
  journal_.set_item_on_scale(d.grams);
  if (d.candidates.empty()) {
    journal_.record("not-recognised", {{"scanId", d.scan_id}, {"grams", d.grams}});
    out.push_back(saying(Phrase::NotRecognised, {}, "not-recognised"));
  } else {
    // Not sure: name the likeliest and let the shopper choose with the keypad.
    // Sure it is an apple, not which one: only apples are offered, and
    // "I do not know which" is an answer too.
    nlohmann::json question{
        {"scanId", d.scan_id}, {"grams", d.grams}, {"products", nullptr}, {"scene", d.scene}};
    std::string choices;
    int n = 0;
    for (const Candidate& c : d.candidates) {
      if (n == settings_.candidates_spoken) break;
      if (!d.group.empty() && c.product->group != d.group) continue;
      question["products"].push_back({{"id", c.product->id}, {"probability", c.probability}});
      choices +=
          (n ? ", " : "") + std::to_string(n + 1) + " " + c.product->name_in(settings_.locale);
      ++n;
    }
    const Product* group = d.group.empty() ? nullptr : catalogue_->group(d.group);
    if (group) question["group"] = {{"name", group->name}, {"choice", n + 1}};
    journal_.set_state(kQuestion, question);
    journal_.record("question", question);
    if (group)
      out.push_back(saying(Phrase::AskWhichVariety,
                           {d.candidates.front().product->group_name_in(settings_.locale), choices,
                            std::to_string(n + 1)},
                           "question"));
    else
      out.push_back(saying(Phrase::AskWhich, {choices}, "question"));
  }
  out.back().origin_ms = origin_ms;
  return out;
}

const Product* Till::product(const std::string& id) const {
  for (const Product& p : catalogue_->products)
    if (p.id == id) return &p;
  return nullptr;
}

void Till::teach(const std::string& scene, const Product& p, bool against,
                 const std::string& source) {
  if (scene.empty() || p.tags.empty()) return;  // nothing seen, or nothing to call it
  teachings_.push_back({{"scene", scene},
                        {"tags", p.tags},
                        {"productId", p.id},
                        {"against", against},
                        {"source", source},
                        {"who", who_}});
}

std::vector<nlohmann::json> Till::take_teachings() { return std::exchange(teachings_, {}); }

// A code is certain where the image guesses: it decides the product with
// no question, and where the image decided otherwise first, its line is
// voided (or its question closed) and the code's product rung up instead.
std::vector<Saying> Till::decided_by_code(const ScanDecision& d, long long origin_ms) {
  named_.clear();
  if (journal_.state(kPlacement)) journal_.set_state(kPlacement, std::nullopt);
  const Product* p = d.candidates.empty() ? nullptr : d.candidates.front().product;
  journal_.record("code", {{"scanId", d.scan_id},
                           {"stableMs", d.stable_ms},
                           {"code", d.code},
                           {"productId", p ? nlohmann::json(p->id) : nlohmann::json()},
                           {"revises", d.revises}});
  std::optional<BasketLine> earlier;  // what the image rang up for this placement
  if (d.revises)
    for (const BasketLine& l : journal_.lines())
      if (l.scan_id == d.scan_id) earlier = l;
  if (auto q = journal_.state(kQuestion); q && q->value("scanId", "") == d.scan_id)
    journal_.set_state(kQuestion, std::nullopt);
  // A short tone, not words, confirms the read at once (the shopper turning
  // a package knows to stop); what it was follows.
  std::vector<Saying> out{{"", "tone", 1, origin_ms}};
  if (earlier && p && earlier->product_id == p->id) return {};  // the image was right
  if (earlier && journal_.void_line(earlier->line_no)) {
    if (const Product* wrong = product(earlier->product_id))
      teach(earlier->scene, *wrong, true, "code");
    out.push_back(saying(Phrase::Removed, {earlier->name}, "void"));
  }
  if (!p) {
    journal_.set_item_on_scale(d.grams);
    Saying s = saying(Phrase::NotInCatalogue, {}, "not-added");
    s.origin_ms = origin_ms;
    out.push_back(s);
    return out;
  }
  // A voided line keeps its scan id: the code's line needs its own.
  std::string scan_id = earlier ? d.scan_id + "-code" : d.scan_id;
  auto said = add_line(*p, d.grams, scan_id, 1.0, origin_ms, d.scene, "code",
                       label_price(*p, d.code), d.code.value("text", ""));
  if (!said.empty() && said.front().kind == "line") teach(d.scene, *p, false, "code");
  out.insert(out.end(), said.begin(), said.end());
  return out;
}

std::optional<Till::LabelPrice> Till::label_price(const Product& p,
                                                  const nlohmann::json& code) const {
  if (!p.price_from_label || !code.contains("labelPrice")) return std::nullopt;
  const auto& price = code["labelPrice"];
  // A label priced in another currency (AI 393y) is not the store's price:
  // the line is weighed and priced as usual.
  if (price.contains("currency") && price["currency"] != iso_numeric(catalogue_->currency))
    return std::nullopt;
  long long amount = price.value("amount", -1LL);
  int decimals = price.value("decimals", 0);
  if (amount < 0 || decimals < 0 || decimals > 9) return std::nullopt;
  // In the catalogue's minor units: a label with more decimals than the
  // currency has is rounded as the lane rounds.
  long long minor = amount;
  for (int d = decimals; d < catalogue_->minor_units; ++d) minor *= 10;
  for (int d = catalogue_->minor_units; d < decimals; ++d) minor = (minor + 5) / 10;
  if (minor > kMaxMinor) return std::nullopt;
  LabelPrice label{0, minor};
  if (code.contains("netWeightMg")) label.grams = (code.value("netWeightMg", 0LL) + 500) / 1000;
  return label;
}

std::vector<Saying> Till::add_line(const Product& p, int grams, const std::string& scan_id,
                                   double probability, long long origin_ms,
                                   const std::string& scene, const std::string& decided_by,
                                   const std::optional<LabelPrice>& label,
                                   const std::string& code) {
  const std::string& name = p.name_in(settings_.locale);
  if (!label && !p.plausible(grams)) {
    // Something else is on the scale too, or it is not what the model
    // thinks: ask, and do not charge.
    journal_.set_item_on_scale(grams);
    journal_.record("check-weight", {{"scanId", scan_id}, {"productId", p.id}, {"grams", grams}});
    Saying s{say_check_weight(name, grams, settings_.locale), "check-weight", 1, origin_ms};
    return {s};
  }
  BasketLine line;
  line.scan_id = scan_id;
  line.created_ms = now_ms();
  line.product_id = p.id;
  line.name = name;
  line.by_weight = p.sold_by == SoldBy::Weight;
  // Sold by weight: the packaging is not the shopper's to pay for.
  line.grams = line.by_weight ? std::max(0, grams - p.tare_grams) : grams;
  line.unit_price_minor = p.price_minor;
  line.price_minor = line.by_weight ? price_by_weight(p.price_minor, line.grams, settings_.rounding)
                                    : p.price_minor;
  if (label) {
    // The store's scale weighed and priced it at the counter: the label is
    // the price; the lane's own weight goes in the journal beside it.
    journal_.record("label", {{"scanId", scan_id},
                              {"labelGrams", label->grams},
                              {"scaleGrams", grams},
                              {"labelPriceMinor", label->price_minor}});
    line.grams = label->grams;
    line.price_minor = label->price_minor;
    line.scale_grams = grams;
  }
  line.currency = catalogue_->currency;
  line.probability = probability;
  line.scene = scene;
  line.decided_by = decided_by;
  line.code = code;
  if (!journal_.add(line)) return {};  // this scan is in the basket already
  Saying s{say_line(name, line.by_weight ? line.grams : -1, line.price_minor, catalogue_->currency,
                    catalogue_->minor_units, settings_.locale),
           "line", 1, origin_ms, line.line_no};
  return {s};
}

std::vector<Saying> Till::answer(int choice) {
  auto question = journal_.state(kQuestion);
  if (!question)
    throw CommandError("there is no question to answer: nothing is waiting for a choice");
  int n = static_cast<int>(question->at("products").size());
  const nlohmann::json* group = question->contains("group") ? &question->at("group") : nullptr;
  int highest = group ? n + 1 : n;
  if (choice < 0 || choice > highest)
    return {saying(Phrase::PressNumber, {std::to_string(highest)}, "question")};
  std::vector<Saying> said;
  const std::string scene = question->value("scene", "");
  if (choice == 0) {
    said = {saying(Phrase::NoneChosen, {}, "not-recognised")};
    // None of these: each offered product is evidence against.
    for (const auto& offered : question->at("products"))
      if (const Product* p = product(offered.value("id", ""))) teach(scene, *p, true, "none");
  } else if (choice > n) {
    const Product* g = catalogue_->group(group->at("name").get<std::string>());
    if (!g)
      throw CommandError("no product of group " + group->at("name").dump() +
                         " is in the catalogue now; place the item again");
    // "One of these, I do not know which": charged, but it teaches nothing.
    said = add_line(*g, question->at("grams"), question->at("scanId"), 1.0, 0, scene, "group");
  } else {
    std::string id = question->at("products")[choice - 1].at("id");
    auto p = std::find_if(catalogue_->products.begin(), catalogue_->products.end(),
                          [&](const Product& x) { return x.id == id; });
    if (p == catalogue_->products.end())
      throw CommandError("product " + id + " is no longer in the catalogue; place the item again");
    // The shopper chose it: as sure as a scan can be. The line goes in before
    // the question is closed: after a crash between the two the question is
    // asked again, and the same answer adds nothing twice (the scan's id).
    said = add_line(*p, question->at("grams"), question->at("scanId"), 1.0, 0, scene, "answer");
    // Learnt at once (the next scan of it is known), unless the weight ruled
    // the choice out: then nothing was charged and nothing is learnt.
    if (!said.empty() && said.front().kind == "line") teach(scene, *p, false, "answer");
  }
  journal_.record("answer", {{"scanId", question->at("scanId")}, {"choice", choice}});
  journal_.set_state(kQuestion, std::nullopt);
  return said;
}

std::vector<Saying> Till::key(const std::string& key) {
  std::string was_armed = armed_;
  armed_.clear();
  if (key.size() == 1 && std::isdigit(static_cast<unsigned char>(key[0]))) {
    if (journal_.state(kQuestion)) return answer(key[0] - '0');
    return {saying(Phrase::KeyHelp)};
  }
  if (key == "*") return repeat();
  if (key == "+") return total();
  if (key == "-") return void_line(std::nullopt);
  if (key == "/") {
    if (was_armed == "cancel") return cancel();
    if (journal_.lines().empty()) return {saying(Phrase::BasketEmpty)};
    armed_ = "cancel";
    return {saying(Phrase::ConfirmCancel)};
  }
  if (key == "Enter") {
    if (journal_.state(kQuestion)) return {saying(Phrase::AnswerFirst, {}, "question")};
    if (was_armed == "pay") return pay(std::nullopt);
    if (journal_.lines().empty()) return {saying(Phrase::BasketEmpty)};
    armed_ = "pay";
    return {saying(Phrase::ConfirmPay, {money(total_minor())}, "confirm-pay")};
  }
  return {saying(Phrase::KeyHelp)};
}

std::vector<Saying> Till::command(const nlohmann::json& c) {
  if (!c.is_object() || !c.contains("command") || !c["command"].is_string())
    throw CommandError(
        "a command is {\"command\": \"void-last\" | \"void\" | \"quantity\" | \"total\" | "
        "\"repeat\" | \"cancel\" | \"pay\" | \"answer\" | \"key\", ...}");
  std::string name = c["command"];
  // Who gave it (the keypad, the kiosk, a staff account), for what it teaches.
  who_ = c.contains("by") && c["by"].is_string() ? c["by"].get<std::string>().substr(0, 64) : "";
  auto number = [&](const char* field) -> long long {
    if (!c.contains(field) || !c[field].is_number_integer())
      throw CommandError("command '" + name + "' needs \"" + field + "\": a whole number");
    return c[field].get<long long>();
  };
  // A key arms or fires pay and cancel itself ("Enter" twice pays); any
  // other command disarms them.
  if (name != "key") armed_.clear();
  if (name == "void-last") return void_line(std::nullopt);
  if (name == "void") return void_line(number("line"));
  if (name == "quantity") return set_quantity(number("line"), number("quantity"));
  if (name == "total") return total();
  if (name == "repeat") return repeat();
  if (name == "cancel") return cancel();
  if (name == "pay") {
    if (!c.contains("tenderedMinor")) return pay(std::nullopt);
    long long tendered = number("tenderedMinor");
    if (tendered < 0 || tendered > kMaxMinor)
      throw CommandError("tenderedMinor must be 0 to " + std::to_string(kMaxMinor) +
                         " minor units, found " + std::to_string(tendered));
    return pay(tendered);
  }
  if (name == "correct") {
    if (!c.contains("productId") || !c["productId"].is_string())
      throw CommandError("command 'correct' needs \"line\" and \"productId\": what it really is");
    return correct(number("line"), c["productId"].get<std::string>());
  }
  if (name == "answer") {
    long long choice = number("choice");
    if (choice < 0 || choice > 9)
      throw CommandError("choice must be 0 (none) to 9, found " + std::to_string(choice));
    return answer(static_cast<int>(choice));
  }
  if (name == "key") {
    if (!c.contains("key") || !c["key"].is_string())
      throw CommandError(
          "command 'key' needs \"key\": \"0\"..\"9\", \"*\", \"+\", \"-\", \"/\" or \"Enter\"");
    return key(c["key"].get<std::string>());
  }
  throw CommandError(
      "unknown command '" + name +
      "'; use void-last, void, quantity, total, repeat, cancel, pay, answer, correct or key");
}

std::vector<Saying> Till::void_line(std::optional<long long> line_no) {
  auto lines = journal_.lines();
  if (lines.empty()) return {saying(Phrase::NothingToRemove)};
  long long which = line_no ? *line_no : lines.back().line_no;
  auto line = journal_.line(which);
  if (!line || !journal_.void_line(which))
    throw CommandError("line " + std::to_string(which) +
                       " is not in the basket; `basket` lists its lines");
  if (line->decided_by != "group")  // "one of these": it never taught
    if (const Product* p = product(line->product_id)) teach(line->scene, *p, true, "void");
  return {saying(Phrase::Removed, {line->name}, "void")};
}

// Staff's correction: the line was another product. It is voided and the
// right product rung up from the same weighing, and the lane learns the
// photo as what it really was (which replaces anything it held of it).
std::vector<Saying> Till::correct(long long line_no, const std::string& product_id) {
  auto line = journal_.line(line_no);
  if (!line)
    throw CommandError("line " + std::to_string(line_no) +
                       " is not in the basket; `basket` lists its lines");
  const Product* right = product(product_id);
  if (!right)
    throw CommandError("product " + product_id + " is not in the catalogue; `products` lists them");
  if (right->id == line->product_id)
    throw CommandError("line " + std::to_string(line_no) + " is " + line->name + " already");
  const Product* wrong = product(line->product_id);
  int grams = static_cast<int>(line->grams) + (line->by_weight && wrong ? wrong->tare_grams : 0);
  if (!journal_.void_line(line_no))
    throw CommandError("line " + std::to_string(line_no) + " is not in the basket");
  auto said = add_line(*right, grams, line->scan_id + "-corrected-" + std::to_string(now_ms()), 1.0,
                       0, line->scene, "staff");
  if (!said.empty() && said.front().kind == "line") teach(line->scene, *right, false, "staff");
  said.insert(said.begin(), saying(Phrase::Removed, {line->name}, "void"));
  return said;
}

std::vector<Saying> Till::set_quantity(long long line_no, long long quantity) {
  auto line = journal_.line(line_no);
  if (!line)
    throw CommandError("line " + std::to_string(line_no) +
                       " is not in the basket; `basket` lists its lines");
  if (line->by_weight)
    throw CommandError(line->name +
                       " is sold by weight: put each on the scale instead of changing "
                       "the quantity");
  if (quantity < 1 || quantity > 999)
    throw CommandError("quantity must be 1 to 999 (void the line to remove it), found " +
                       std::to_string(quantity));
  long long price = line->unit_price_minor * quantity;
  journal_.set_quantity(line_no, quantity, price);
  return {
      saying(Phrase::Quantity, {line->name, std::to_string(quantity), money(price)}, "quantity")};
}

std::vector<Saying> Till::total() const {
  if (journal_.lines().empty()) return {saying(Phrase::BasketEmpty)};
  return {saying(Phrase::Total, {money(total_minor())}, "total")};
}

std::vector<Saying> Till::repeat() const {
  auto last = journal_.state(kLastSaid);
  if (!last) return {saying(Phrase::KeyHelp)};
  return {{last->at("text"), "repeat"}};
}

std::vector<Saying> Till::cancel() {
  if (journal_.lines().empty()) return {saying(Phrase::BasketEmpty)};
  // Nothing is learnt from a cancelled basket: what its answers taught goes.
  std::set<std::string> scenes;
  for (auto& l : journal_.lines()) scenes.insert(l.scene);
  for (auto& l : journal_.voided_lines()) scenes.insert(l.scene);
  journal_.set_state(kQuestion, std::nullopt);
  journal_.close_basket("cancelled", nullptr);
  for (const std::string& scene : scenes)
    if (!scene.empty())
      teachings_.push_back({{"scene", scene}, {"forget", true}, {"source", "cancelled"}});
  return {saying(Phrase::Cancelled, {}, "cancelled")};
}

std::vector<Saying> Till::pay(std::optional<long long> tendered) {
  // The item being asked about is not in the basket yet: paying now would
  // leave it uncharged, so the question comes first.
  if (journal_.state(kQuestion)) return {saying(Phrase::AnswerFirst, {}, "question")};
  auto lines = journal_.lines();
  if (lines.empty()) throw CommandError("the basket is empty: there is nothing to pay");
  long long total = total_minor();
  long long given = tendered.value_or(total);
  if (given < total)
    throw CommandError("tendered " + format_amount(given, catalogue_->minor_units) +
                       " is less than the total " + format_amount(total, catalogue_->minor_units));
  nlohmann::json receipt = make_receipt(journal_.basket_id(), lines, given, catalogue_->currency,
                                        catalogue_->minor_units, now_ms());
  journal_.set_state(kQuestion, std::nullopt);
  journal_.close_basket("paid", receipt);
  receipt_ = receipt;
  // Accepted without a question, paid without a void: the model was right.
  for (const BasketLine& l : lines)
    if (l.decided_by == "model")
      if (const Product* p = product(l.product_id)) teach(l.scene, *p, false, "paid");
  return {saying(Phrase::Paid, {money(given), money(given - total)}, "paid")};
}

std::vector<Saying> Till::scale_status(const std::string& status) {
  static const std::map<std::string, Phrase> problems{{"overload", Phrase::ScaleOverload},
                                                      {"under-zero", Phrase::ScaleUnderZero},
                                                      {"disconnected", Phrase::ScaleDisconnected},
                                                      {"fault", Phrase::ScaleFault}};
  journal_.record("scale", {{"status", status}});
  auto it = problems.find(status);
  if (it == problems.end()) return {};
  Saying s = saying(it->second, {}, "scale-" + status);
  s.priority = 2;
  return {s};
}

std::string Till::after_name(const Saying& s) const {
  if (s.kind != "line") return {};
  auto line = journal_.line(s.line_no);
  if (!line) return {};
  return say_line("", line->by_weight ? line->grams : -1, line->price_minor, line->currency,
                  catalogue_->minor_units, settings_.locale);
}

void Till::placement_settled(const std::string& scan_id, int grams, long long stable_ms) {
  auto kept = journal_.state(kPlacement);
  if (kept && kept->value("scanId", "") == scan_id) return;
  journal_.set_state(
      kPlacement, nlohmann::json{{"scanId", scan_id}, {"grams", grams}, {"stableMs", stable_ms}});
}

std::optional<nlohmann::json> Till::placement() const { return journal_.state(kPlacement); }

Till::ScaleCount Till::scale_placements(const std::string& run, long long count, bool on_scale) {
  auto kept = journal_.state(kScalePlacements);
  long long seen = kept && kept->value("run", "") == run ? kept->value("seen", -1LL) : -1;
  if (count <= seen) return {};
  // Kept before the placement is decided: a kill in between may lose that
  // one item's sentence, but never tells the shopper to place a rung-up
  // item again (which would charge it twice).
  journal_.set_state(kScalePlacements, nlohmann::json{{"run", run}, {"seen", count}});
  // A scale that started again counts from nothing: what it saw before is unknown.
  if (seen < 0) return {};
  long long missed = count - seen - (on_scale ? 1 : 0);
  if (missed <= 0) return {{}, true};
  journal_.record("not-added", {{"missed", missed}, {"scaleRun", run}});
  return {{missed == 1 ? saying(Phrase::NotAdded, {}, "not-added")
                       : saying(Phrase::SomeNotAdded, {std::to_string(missed)}, "not-added")},
          true};
}

std::vector<Saying> Till::item_removed() {
  named_.clear();
  armed_.clear();
  std::vector<Saying> said;
  if (journal_.state(kQuestion)) {
    journal_.record("question-dropped", {{"reason", "item removed"}});
    journal_.set_state(kQuestion, std::nullopt);
    said.push_back(saying(Phrase::QuestionWithdrawn, {}, "question-withdrawn"));
  }
  journal_.set_item_on_scale(std::nullopt);
  return said;
}

void Till::said(const Saying& s) {
  if (s.kind != "repeat") journal_.set_state(kLastSaid, nlohmann::json{{"text", s.text}});
}

void Till::heard(long long line_no) { journal_.mark_announced(line_no); }

std::vector<Saying> Till::unsaid() const {
  std::vector<Saying> out;
  for (const BasketLine& l : journal_.unannounced())
    out.push_back({say_line(l.name, l.by_weight ? l.grams : -1, l.price_minor, l.currency,
                            catalogue_->minor_units, settings_.locale),
                   "line", 1, 0, l.line_no});
  return out;
}

void Till::keep_unheard_notice(const std::string& id, const Saying& saying, long long now_ms) {
  auto kept = journal_.state(kUnheardNotices).value_or(nlohmann::json::array());
  if (!kept.is_array()) kept = nlohmann::json::array();
  kept.push_back(
      {{"id", id}, {"text", saying.text}, {"originMs", saying.origin_ms}, {"keptMs", now_ms}});
  while (kept.size() > 3) kept.erase(kept.begin());
  journal_.set_state(kUnheardNotices, kept);
}

void Till::notice_heard(const std::string& id) {
  auto kept = journal_.state(kUnheardNotices);
  if (!kept || !kept->is_array()) return;
  auto before = kept->size();
  kept->erase(std::remove_if(kept->begin(), kept->end(),
                             [&](const nlohmann::json& n) { return n.value("id", "") == id; }),
              kept->end());
  if (kept->size() == before) return;
  journal_.set_state(kUnheardNotices, kept->empty() ? std::nullopt : std::optional(*kept));
}

std::vector<Till::UnheardNotice> Till::unheard_notices(long long now_ms) const {
  std::vector<UnheardNotice> out;
  auto kept = journal_.state(kUnheardNotices);
  if (!kept || !kept->is_array()) return out;
  for (const auto& n : *kept) {
    if (!n.is_object() || now_ms - n.value("keptMs", 0LL) >= kNoticeLifeMs) continue;
    Saying s{n.value("text", ""), "not-added", 1, n.value("originMs", 0LL)};
    if (!s.text.empty()) out.push_back({n.value("id", ""), s});
  }
  return out;
}

nlohmann::json Till::basket() const {
  nlohmann::json lines = nlohmann::json::array();
  for (auto& l : journal_.lines())
    lines.push_back(
        {{"line", l.line_no},
         {"productId", l.product_id},
         {"name", l.name},
         {"grams", l.grams},
         {"quantity", l.quantity},
         {"unitPriceMinor", l.unit_price_minor},
         {"byWeight", l.by_weight},
         {"priceMinor", l.price_minor},
         {"probability", l.probability},
         {"scene", l.scene},
         {"code", l.code.empty() ? nlohmann::json() : nlohmann::json(l.code)},
         {"scaleGrams", l.scale_grams ? nlohmann::json(l.scale_grams) : nlohmann::json()}});
  nlohmann::json voids = nlohmann::json::array();
  for (auto& l : journal_.voided_lines())
    voids.push_back({{"line", l.line_no}, {"name", l.name}, {"priceMinor", l.price_minor}});
  nlohmann::json out{{"basket", journal_.basket_id()},
                     {"lines", lines},
                     {"voids", voids},
                     {"totalMinor", total_minor()},
                     {"currency", catalogue_->currency},
                     {"minorUnits", catalogue_->minor_units},
                     {"locale", settings_.locale}};
  if (auto question = journal_.state(kQuestion)) {
    // Named for a screen in the shopper's language, choices numbered as spoken.
    nlohmann::json q = *question;
    int choice = 0;
    if (q.contains("products") && q["products"].is_array())
      for (auto& p : q["products"]) {
        p["choice"] = ++choice;
        std::string id = p.value("id", "");
        for (const Product& product : catalogue_->products)
          if (product.id == id) p["name"] = product.name_in(settings_.locale);
      }
    if (q.contains("group") && q["group"].is_object())
      if (const Product* g = catalogue_->group(q["group"].value("name", "")))
        q["group"]["displayName"] = g->group_name_in(settings_.locale);
    out["question"] = q;
  }
  return out;
}

std::optional<nlohmann::json> Till::take_receipt() {
  auto r = std::move(receipt_);
  receipt_.reset();
  return r;
}

std::vector<std::string> Till::vocabulary() const {
  std::vector<std::string> out = fixed_phrases(settings_.locale);
  for (const Product& p : catalogue_->products) out.push_back(p.name_in(settings_.locale));
  for (const Product& g : catalogue_->groups) out.push_back(g.name_in(settings_.locale));
  return out;
}

}  // namespace ce
