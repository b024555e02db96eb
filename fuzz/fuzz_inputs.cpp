// Every module input's message body as the hub delivers it, through the
// readers that check it and what acts on it: the checkout's weight and
// predictions (into a scan session over a small catalogue), speech's
// sentences and the runtime's module status; the web module's view of the
// lane, with every input it takes, and the snapshots its pages get. Refused with a
// std::runtime_error (BadInput, SettingError, JsonError) or acted on; any
// other exception is a crash, as is a decision outside the catalogue.
#include <cstdlib>

#include "checkout-edge/module.h"
#include "fuzz_input.h"
#include "modules/checkout/catalogue.h"
#include "modules/checkout/inputs.h"
#include "modules/checkout/scan_session.h"
#include "modules/speech/lane_notices.h"
#include "modules/speech/sentence_message.h"
#include "modules/web/lane_view.h"

namespace {

const ce::Catalogue& catalogue() {
  static const ce::Catalogue c = ce::Catalogue::load(ce::fuzz::in_file(R"({"currency": "USD",
    "products": [
      {"id": "4011", "name": "Banana", "tags": ["banana"], "pricePerKg": 299,
       "plausibleGrams": [40, 3000]},
      {"id": "4131", "name": "Fuji", "tags": ["fuji"], "pricePerKg": 399, "group": "apple"},
      {"id": "4017", "name": "Granny Smith", "tags": ["granny"], "pricePerKg": 349,
       "group": "apple"},
      {"id": "9001", "name": "Milk", "tags": ["milk"], "unitPrice": 119}]})",
                                                                       "-catalogue.json"));
  return c;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ce::Message m;
  m.body = ce::fuzz::text(data, size);
  nlohmann::json j;
  try {
    j = m.json();
  } catch (const std::runtime_error&) {
    return 0;
  }
  static ce::ScanSession session(catalogue(), {});
  static long long t = 0;
  t += 700;
  auto check = [](const std::optional<ce::ScanDecision>& d) {
    if (!d) return;
    const auto& products = catalogue().products;
    const auto& groups = catalogue().groups;
    for (const auto& c : d->candidates) {
      bool known = false;
      for (const auto& list : {&products, &groups})
        for (const auto& p : *list) known |= c.product == &p;
      if (!known || !(c.probability >= 0) || c.probability > 1.0001) abort();
    }
  };
  try {
    ce::WeightInput w = ce::read_weight(j);
    if (w.grams < -ce::kMaxGrams || w.grams > ce::kMaxGrams) abort();
    check(session.on_weight(w.grams, w.stable, t, "w" + std::to_string(t)));
  } catch (const std::runtime_error&) {
  }
  try {
    const nlohmann::json& p = ce::read_predictions(j);
    check(session.on_predictions(p, t, size % 2, j.value("thresholdAtRisk", nlohmann::json())));
  } catch (const std::runtime_error&) {
  }
  try {
    ce::SpeechRequest r = ce::read_sentence(j, "en-US");
    if (r.text.empty() || r.text.size() > 2000) abort();
  } catch (const std::runtime_error&) {
  }
  static ce::LaneNotices notices(std::chrono::milliseconds(2000), std::chrono::milliseconds(20000));
  notices.on_status(j, t);
  notices.due(t);

  static ce::LaneView view;
  for (auto take :
       {&ce::LaneView::on_basket, &ce::LaneView::on_sentence, &ce::LaneView::on_spoken,
        &ce::LaneView::on_receipt, &ce::LaneView::on_vocabulary, &ce::LaneView::on_weight,
        &ce::LaneView::on_module_status, &ce::LaneView::on_frame, &ce::LaneView::on_predictions})
    try {
      (view.*take)(m);
    } catch (const std::runtime_error&) {
    }
  (void)view.kiosk_snapshot().dump();
  (void)view.staff_snapshot().dump();
  bool lost = false;
  (void)view.events_after(view.last_seq() - 1, std::chrono::milliseconds(0), &lost);
  return 0;
}
