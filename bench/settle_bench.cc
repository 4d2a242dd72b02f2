// Benchmarks of in-process parts (Google Benchmark): settling a sold-out round of 5,000,000
// tickets (~555,000 winners) on SQLite, and auto picks from a 99.99%-sold SoldIndex.
// Run: bench/micro.sh  (builds Release and runs build-release/micro_bench)
#include <benchmark/benchmark.h>

#include <filesystem>
#include <random>

#include "domain/prize.h"
#include "domain/sold_index.h"
#include "domain/ticket.h"
#include "store/sql_store.h"
#include "store/sqlite_connection.h"

namespace p720 {
namespace {

using store::SqliteConnection;
using store::SqlValue;

constexpr int kRound = 343;
constexpr int kUsers = 50'000;

// Fills a fresh database with a fully sold round: 5,000,000 tickets spread over kUsers users,
// 100 tickets per purchase, plus the draw row. Direct SQL: the purchase path is measured by the
// HTTP benchmark; this measures settlement alone.
std::string fill_sold_out_round() {
  const std::string path = "/tmp/pension720-settle-bench.db";
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  {
    store::SqlStore init([&] { return std::make_unique<SqliteConnection>(path); });  // migrations
  }
  SqliteConnection c(path);
  c.exec("PRAGMA synchronous=OFF");
  c.exec("BEGIN");
  for (int u = 0; u < kUsers; ++u)
    c.query("INSERT INTO wallets (user_id, balance) VALUES (?, 0)", {SqlValue{"u" + std::to_string(u)}});
  long long purchase = 0;
  for (int t = 0; t < kTicketsPerRound; ++t) {
    const std::string user = "u" + std::to_string(t % kUsers);
    if (t % 100 == 0) ++purchase;
    c.query("INSERT INTO tickets (purchase_id, user_id, round, ticket, created_at) VALUES (?, ?, ?, ?, 'bench')",
            {SqlValue{purchase}, SqlValue{user}, SqlValue{(long long)kRound}, SqlValue{(long long)t}});
  }
  c.query("INSERT INTO draws (round, grp, digits, bonus, draw_date, settled) VALUES (?, 3, 123456, 654321, "
          "'2026-11-26', 0)",
          {SqlValue{(long long)kRound}});
  c.exec("COMMIT");
  return path;
}

void BM_SettleSoldOutRound(benchmark::State& state) {
  for (auto _ : state) {
    state.PauseTiming();
    const std::string path = fill_sold_out_round();
    store::SqlStore s([&] { return std::make_unique<SqliteConnection>(path); });
    state.ResumeTiming();
    auto st = s.settle_draw(kRound, "2026-11-26T19:05:00+09:00");
    if (!st.ok()) state.SkipWithError(st.error().message.c_str());
    state.PauseTiming();
    auto w = s.winners(kRound);
    long long winners = 0;
    for (const auto& c : *w) winners += c.count;
    state.counters["winners"] = static_cast<double>(winners);
    state.ResumeTiming();
  }
}
BENCHMARK(BM_SettleSoldOutRound)->Iterations(1)->Unit(benchmark::kSecond)->UseRealTime();

// Uniform auto pick when only 500 of 5,000,000 tickets are left.
void BM_AutoPickNearlySoldOut(benchmark::State& state) {
  SoldIndex idx;
  for (int t = 0; t < kTicketsPerRound; ++t)
    if (t % 10'000 != 7) idx.mark_sold(t);
  std::mt19937_64 rng(1);
  for (auto _ : state) {
    auto pick = idx.pick_unsold(static_cast<int>(rng() % 5) + 1, rng());
    benchmark::DoNotOptimize(pick);
  }
  state.counters["memory_bytes"] = static_cast<double>(idx.memory_bytes());
}
BENCHMARK(BM_AutoPickNearlySoldOut);

void BM_AutoPickAllGroupsNearlySoldOut(benchmark::State& state) {
  SoldIndex idx;
  for (int t = 0; t < kTicketsPerRound; ++t)
    if (t % kNumbersPerGroup % 10'000 != 7 || t / kNumbersPerGroup == 0) idx.mark_sold(t);
  for (int g = 0; g < kGroups; ++g) idx.unmark(g * kNumbersPerGroup + 10'007);
  std::mt19937_64 rng(1);
  for (auto _ : state) benchmark::DoNotOptimize(idx.pick_unsold_digits_all_groups(rng()));
}
BENCHMARK(BM_AutoPickAllGroupsNearlySoldOut);

void BM_ResultOf(benchmark::State& state) {
  const DrawNumbers d{3, 123456, 654321};
  int t = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(result_of(Ticket::from_index(t), d));
    t = (t + 7919) % kTicketsPerRound;
  }
}
BENCHMARK(BM_ResultOf);

}  // namespace
}  // namespace p720

BENCHMARK_MAIN();
