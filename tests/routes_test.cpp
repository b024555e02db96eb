#include "runtime/routes.h"

#include <gtest/gtest.h>

using ce::parse_route;
using Props = std::map<std::string, std::string>;

TEST(Routes, SourcesMatchModulesAndOutputs) {
  auto exact = parse_route("r",
                           "FROM /messages/modules/camera/outputs/frames INTO "
                           "BrokeredEndpoint(\"/modules/classifier/inputs/frames\")");
  EXPECT_TRUE(exact.matches("camera", "frames", {}));
  EXPECT_FALSE(exact.matches("camera", "events", {}));
  EXPECT_FALSE(exact.matches("scale", "frames", {}));
  EXPECT_EQ(exact.to_module, "classifier");
  EXPECT_EQ(exact.to_input, "frames");

  auto any_output = parse_route("r", "FROM /messages/modules/camera/outputs/* INTO $upstream");
  EXPECT_TRUE(any_output.matches("camera", "events", {}));
  EXPECT_FALSE(any_output.matches("scale", "weight", {}));
  EXPECT_TRUE(any_output.to_upstream);

  auto module_any = parse_route("r", "FROM /messages/modules/scale/* INTO $upstream");
  EXPECT_TRUE(module_any.matches("scale", "weight", {}));
  EXPECT_FALSE(module_any.matches("camera", "weight", {}));

  auto all = parse_route("r", "from /messages/* into $upstream");
  EXPECT_TRUE(all.matches("anything", "at-all", {}));
}

TEST(Routes, WhereConditionsOnProperties) {
  auto r = parse_route("r",
                       "FROM /messages/* WHERE (kind = 'line' OR priority > 5) AND NOT "
                       "IS_DEFINED(test) AND lane <> \"7\" INTO $upstream");
  EXPECT_TRUE(r.matches("m", "o", Props{{"kind", "line"}, {"lane", "1"}}));
  EXPECT_TRUE(r.matches("m", "o", Props{{"priority", "10"}, {"lane", "1"}}));
  EXPECT_FALSE(r.matches("m", "o", Props{{"priority", "3"}, {"lane", "1"}}));
  EXPECT_FALSE(r.matches("m", "o", Props{{"kind", "line"}, {"lane", "1"}, {"test", "1"}}));
  EXPECT_FALSE(r.matches("m", "o", Props{{"kind", "line"}, {"lane", "7"}}));
  // A comparison with a property that is not there is false, as in IoT Hub.
  EXPECT_FALSE(r.matches("m", "o", Props{{"kind", "line"}}));
  // Numbers compare as numbers, not as text: 10 > 9.
  auto n = parse_route("r", "FROM /messages/* WHERE grams > 9 INTO $upstream");
  EXPECT_TRUE(n.matches("m", "o", Props{{"grams", "10"}}));
  EXPECT_FALSE(n.matches("m", "o", Props{{"grams", "abc"}}));
  auto sys =
      parse_route("r", "FROM /messages/* WHERE $connectionModuleId = 'scale' INTO $upstream");
  EXPECT_TRUE(sys.matches("scale", "weight", {}));
  EXPECT_FALSE(sys.matches("camera", "frames", {}));
}

TEST(Routes, ErrorsSayWhatWasExpected) {
  auto error = [](const std::string& text) {
    try {
      parse_route("r", text);
    } catch (const ce::RouteError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_NE(error("SELECT * INTO $upstream").find("starts with FROM"), std::string::npos);
  EXPECT_NE(error("FROM /messages/*").find("no INTO"), std::string::npos);
  EXPECT_NE(error("FROM /telemetry INTO $upstream").find("source '/telemetry'"), std::string::npos);
  EXPECT_NE(error("FROM /messages/* INTO somewhere").find("sink 'somewhere'"), std::string::npos);
  EXPECT_NE(error("FROM /messages/* WHERE a = INTO $upstream").find("expected a property name"),
            std::string::npos);
  EXPECT_NE(error("FROM /messages/* WHERE (a = 1 INTO $upstream").find("expected ')'"),
            std::string::npos);
  EXPECT_FALSE(error("FROM /messages/* WHERE a = 'x INTO $upstream").empty());
  EXPECT_NE(error("FROM /messages/* WHERE a ! 1 INTO $upstream").find("must be '!='"),
            std::string::npos);
}
