// Shared fixtures for application tests: a settable clock and a Sales wired to a real SQLite
// store in a temporary file.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <random>

#include "app/clock.h"
#include "app/draws.h"
#include "app/holds.h"
#include "app/sales.h"
#include "app/sold_cache.h"
#include "store/factory.h"

namespace p720::testing {

class ManualClock final : public app::Clock {
 public:
  explicit ManualClock(Instant t) : t_(t.time_since_epoch().count()) {}
  Instant now() const override { return Instant(std::chrono::seconds(t_.load())); }
  void set(Instant t) { t_ = t.time_since_epoch().count(); }
  void advance(std::chrono::seconds s) { t_ += s.count(); }

 private:
  std::atomic<long long> t_;
};

inline Instant at(const char* iso) { return *parse_instant(iso); }

inline std::string temp_db_path() {
  static std::atomic<int> n{0};
  auto dir = std::filesystem::temp_directory_path() / ("p720test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto path = dir / ("t" + std::to_string(n++) + ".db");
  std::filesystem::remove(path);
  return path.string();
}

// Round 343 is on sale at this instant.
inline constexpr const char* kOnSale = "2026-11-24T12:00:00+09:00";

struct World {
  explicit World(app::SalesConfig cfg = {}, const char* now = kOnSale)
      : clock(at(now)),
        store(store::open_store("sqlite:" + temp_db_path())),
        sold(*store),
        sales(*store, holds, sold, calendar, clock, cfg),
        draws(*store, calendar, clock) {}

  RoundCalendar calendar;
  ManualClock clock;
  std::unique_ptr<store::Store> store;
  app::MemoryHolds holds;
  app::MemorySoldCache sold;
  app::Sales sales;
  app::Draws draws;

  app::Actor user(const std::string& id, long long deposit = 0) {
    app::Actor a{id, false};
    if (deposit > 0) {
      EXPECT_TRUE(store->deposit(id, deposit, "test", "t").ok());
    }
    return a;
  }
};

inline int idx(int group, int digits) { return Ticket{group, digits}.index(); }

}  // namespace p720::testing
