// What the kiosk shows of the sentences the checkout sends.
#include "modules/web/lane_view.h"

#include <gtest/gtest.h>

namespace {

ce::Message sentence(const std::string& id, const std::string& text) {
  return ce::Message::with_json({{"text", text}, {"kind", "line"}, {"sentenceId", id}});
}

TEST(LaneView, ASentenceSentAgainKeepsItsPlaceAndIsNotShownTwice) {
  ce::LaneView view;
  view.on_sentence(sentence("line-1-1", "Banana, 1 dollar 26."));
  view.on_sentence(sentence("n-1", "The last item was not added."));
  long long seq = view.last_seq();
  // The checkout sends an unheard line again (speech restarted).
  view.on_sentence(sentence("line-1-1", "Banana, 1 dollar 26."));
  bool lost = false;
  EXPECT_TRUE(view.events_after(seq, std::chrono::milliseconds(0), &lost).empty())
      << "the page was not told to show it again as the newest";
  auto shown = view.kiosk_snapshot().at("sentences");
  ASSERT_EQ(shown.size(), 2u);
  EXPECT_EQ(shown[0]["sentenceId"], "line-1-1");
  EXPECT_EQ(shown[1]["sentenceId"], "n-1") << "what was said last is still the newest";
}

TEST(LaneView, TheLastReceiptIsShownToThePageOfTheShopperWhoPaidNotToOnesOpenedLater) {
  ce::LaneView view;
  view.on_receipt(ce::Message::with_json({{"text", "Banana 1.26\nTOTAL 1.26"}, {"basket", 7}}));
  EXPECT_EQ(view.kiosk_snapshot().at("receipt").value("basket", 0), 7);
  EXPECT_TRUE(view.kiosk_snapshot(ce::now_ms() + 121000).at("receipt").is_null())
      << "a page opened minutes later reads no one's receipt";
  EXPECT_EQ(view.staff_snapshot().at("receipt").value("basket", 0), 7);
}

}  // namespace
