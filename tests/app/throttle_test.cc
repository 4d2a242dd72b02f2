// Unit tests of the sliding-window failure counters (time is a parameter).
#include "app/throttle.h"

#include <gtest/gtest.h>

namespace p720::app {
namespace {

using namespace std::chrono_literals;

TEST(ThrottleTest, AllowsMaxInTheWindowThenSaysWhenToComeBack) {
  Throttle t(3, 900s);
  const auto t0 = Throttle::Clock::time_point{} + 1000h;
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(t.retry_after("k", t0 + std::chrono::seconds(i)), 0);
    t.record("k", t0 + std::chrono::seconds(i));
  }
  EXPECT_EQ(t.retry_after("k", t0 + 10s), 890);  // the first failure leaves the window at t0+900
  EXPECT_EQ(t.retry_after("other", t0 + 10s), 0);
  EXPECT_EQ(t.retry_after("k", t0 + 899s), 1);
  EXPECT_EQ(t.retry_after("k", t0 + 900s), 0);
  t.reset("k");
  EXPECT_EQ(t.retry_after("k", t0 + 10s), 0);
}

TEST(ThrottleTest, ZeroIsOff) {
  Throttle t(0, 900s);
  for (int i = 0; i < 100; ++i) t.record("k");
  EXPECT_EQ(t.retry_after("k"), 0);
}

}  // namespace
}  // namespace p720::app
