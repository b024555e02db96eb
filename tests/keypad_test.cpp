#include <gtest/gtest.h>

#include "modules/keypad/key_codes.h"

namespace {
input_event key(int code, int value, int type = EV_KEY) {
  input_event e{};
  e.type = static_cast<__u16>(type);
  e.code = static_cast<__u16>(code);
  e.value = value;
  return e;
}
}  // namespace

TEST(Keypad, OnlyPressesOfTheCheckoutsKeysCount) {
  EXPECT_EQ(ce::key_name(key(KEY_KP1, 1)), "1");
  EXPECT_EQ(ce::key_name(key(KEY_0, 1)), "0");
  EXPECT_EQ(ce::key_name(key(KEY_KPENTER, 1)), "Enter");
  EXPECT_EQ(ce::key_name(key(KEY_KPASTERISK, 1)), "*");
  EXPECT_EQ(ce::key_name(key(KEY_KPPLUS, 1)), "+");
  EXPECT_FALSE(ce::key_name(key(KEY_KP1, 0)));  // release
  EXPECT_FALSE(ce::key_name(key(KEY_KP1, 2)));  // auto-repeat: one press, one answer
  EXPECT_FALSE(ce::key_name(key(KEY_A, 1)));
  EXPECT_FALSE(ce::key_name(key(0, 0, EV_SYN)));
  EXPECT_FALSE(ce::key_name(key(KEY_KP1, 1, EV_MSC)));
}
