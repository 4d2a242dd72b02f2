// Unit tests for RankBitmap: rank and select against brute force on odd sizes.
#include "domain/rank_bitmap.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

namespace p720 {
namespace {

void check_against(const RankBitmap& b, const std::vector<char>& ref) {
  int zeros = 0;
  std::vector<int> zero_positions;
  for (int i = 0; i < b.size(); ++i) {
    ASSERT_EQ(b.zeros_before(i), zeros) << i;
    ASSERT_EQ(b.test(i), ref[i] != 0) << i;
    if (!ref[i]) {
      zero_positions.push_back(i);
      ++zeros;
    }
  }
  ASSERT_EQ(b.zeros_before(b.size()), zeros);
  ASSERT_EQ(b.zeros(), zeros);
  for (int k = 0; k < zeros; ++k) ASSERT_EQ(b.select_zero(k), zero_positions[k]) << k;
}

TEST(RankBitmapTest, RandomSetAndClearMatchBruteForce) {
  std::mt19937_64 rng(1);
  for (int size : {1, 2, 63, 64, 65, 511, 512, 513, 1024, 1537, 4096, 100'003}) {
    RankBitmap b(size);
    std::vector<char> ref(size, 0);
    check_against(b, ref);
    for (int round = 0; round < 4; ++round) {
      for (int n = 0; n < size; ++n) {
        const int i = static_cast<int>(rng() % size);
        const bool want = rng() % 4 != 0;  // lean towards full
        ASSERT_EQ(want ? b.set(i) : b.clear(i), ref[i] != want);
        ref[i] = static_cast<char>(want);
      }
      check_against(b, ref);
    }
    for (int i = 0; i < size; ++i) b.set(i);
    EXPECT_EQ(b.zeros(), 0);
    b.clear(size - 1);
    EXPECT_EQ(b.select_zero(0), size - 1);
  }
}

TEST(RankBitmapTest, MemoryIsAboutOneBitPerPosition) {
  const RankBitmap b(5'000'000);
  EXPECT_LT(b.heap_bytes(), 5'000'000 / 8 + 5'000'000 / 512 * 4 + 1024);
}

}  // namespace
}  // namespace p720
