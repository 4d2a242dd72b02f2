// Benchmarks of in-process parts (Google Benchmark): settling a sold-out round of 5,000,000
// tickets (~555,000 winners) on SQLite, the store's group commit of single-ticket purchases,
// and auto picks from a 99.99%-sold SoldIndex.
// Run: bench/micro.sh  (builds Release and runs build-release/micro_bench)
#include <benchmark/benchmark.h>

#include <sys/resource.h>

#include <unistd.h>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <random>
#include <sstream>

#include "domain/prize.h"
#include "domain/sold_index.h"
#include "domain/ticket.h"
#include "store/factory.h"
#include "store/mysql_connection.h"
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
  std::string path = "/tmp/pension720-settle-bench.db";
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
    if (!st.ok())
      state.SkipWithError(("settle_draw: error " + std::to_string(static_cast<int>(st.error().code))).c_str());
    state.PauseTiming();
    auto w = s.winners(kRound);
    long long winners = 0;
    for (const auto& c : *w) winners += c.count;
    state.counters["winners"] = static_cast<double>(winners);
    state.ResumeTiming();
  }
}
BENCHMARK(BM_SettleSoldOutRound)->Iterations(1)->Unit(benchmark::kSecond)->UseRealTime();

constexpr int kBuyers = 64;

void fund_buyers(store::Store& s) {
  for (int u = 0; u < kBuyers; ++u) (void)s.deposit("buyer" + std::to_string(u), 1'000'000'000'000LL, "bench", "bench");
}

// Queues `count` single-ticket purchases of tickets next, next + 1, ... by the buyers in turn
// and waits for all of them; false if any failed.
bool buy_together(store::Store& s, int& next, int count) {
  std::atomic<int> left{count}, failed{0};
  std::promise<void> all;
  for (int i = 0; i < count; ++i, ++next) {
    store::PurchaseCommand cmd{
        "buyer" + std::to_string(next % kBuyers), kRound, {next}, 5000, 5'000'000, "2026-11-24T12:00:00+09:00", "", ""};
    s.purchase_async(std::move(cmd), [&](const Result<store::PurchaseRecord>& r) {
      if (!r.ok()) ++failed;
      if (--left == 0) all.set_value();
    });
  }
  all.get_future().wait();
  return failed == 0;
}

// The store alone: single-ticket purchases by 64 buyers through SQLite group commit, batches of
// at most 32 (about what 64 HTTP connections give), every batch synced. A fixed count of
// iterations so that `valgrind --tool=callgrind` counts the same work for two builds;
// cpu_us_per_purchase is the process's CPU (the writer's, nearly all) per purchase.
void BM_GroupCommitPurchases(benchmark::State& state) {
  constexpr int kPerIteration = 320;
  const std::string path = "/tmp/pension720-purchase-bench.db";
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  store::SqlStore s([&] { return std::make_unique<SqliteConnection>(path); }, 32);
  fund_buyers(s);
  int next = 0;
  long long bought = 0;
  rusage before{};
  getrusage(RUSAGE_SELF, &before);
  for (auto _ : state) {
    if (!buy_together(s, next, kPerIteration)) state.SkipWithError("a purchase failed");
    bought += kPerIteration;
  }
  rusage after{};
  getrusage(RUSAGE_SELF, &after);
  auto us = [](const rusage& r) {
    return static_cast<double>(r.ru_utime.tv_sec + r.ru_stime.tv_sec) * 1e6 +
           static_cast<double>(r.ru_utime.tv_usec + r.ru_stime.tv_usec);
  };
  state.SetItemsProcessed(bought);
  state.counters["cpu_us_per_purchase"] = (us(after) - us(before)) / static_cast<double>(bought);
}
BENCHMARK(BM_GroupCommitPurchases)->Iterations(40)->Unit(benchmark::kMillisecond)->UseRealTime();

// CPU seconds used so far by every process named `comm` (MariaDB's server: mariadbd).
double cpu_seconds_of(const std::string& comm) {
  double total = 0;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    std::ifstream name(entry.path() / "comm");
    std::string n;
    if (!std::getline(name, n) || n != comm) continue;
    std::ifstream stat(entry.path() / "stat");
    std::string line;
    std::getline(stat, line);
    const size_t name_end = line.rfind(')');
    if (name_end == std::string::npos) continue;
    // Fields 14 and 15 (utime, stime), counted from the state after the command name's ')'.
    std::istringstream fields(line.substr(name_end + 2));
    std::string skip;
    for (int field = 3; field < 14; ++field) fields >> skip;
    long long utime = 0, stime = 0;
    fields >> utime >> stime;
    total += static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
  }
  return total;
}

// The same on MariaDB (PENSION_BENCH_MYSQL=mysql://user:pass@host:port/db; the database is
// dropped first), with the outbox on as in the scale-out topology: 16 purchases in flight at a
// time, about the batches the topology's instances make. mariadb_us_per_purchase is the CPU the
// MariaDB server on this machine used per purchase (its statements, commits, context switches),
// the figure set-based batches are written to lower; compare builds side by side.
void BM_GroupCommitPurchasesMariadb(benchmark::State& state) {
  const char* url = std::getenv("PENSION_BENCH_MYSQL");
  if (!url) {
    state.SkipWithError("PENSION_BENCH_MYSQL is not set");
    return;
  }
  constexpr int kInFlight = 16, kPerIteration = 320;
  const store::MysqlParams params = store::parse_mysql_url(url);
  store::MysqlConnection(params).exec("DROP DATABASE IF EXISTS " + params.database);
  auto s = store::open_store(url, {.outbox = true});
  fund_buyers(*s);
  int next = 0;
  long long bought = 0;
  const double db_before = cpu_seconds_of("mariadbd");
  for (auto _ : state) {
    for (int sent = 0; sent < kPerIteration; sent += kInFlight)
      if (!buy_together(*s, next, kInFlight)) state.SkipWithError("a purchase failed");
    bought += kPerIteration;
  }
  state.SetItemsProcessed(bought);
  state.counters["mariadb_us_per_purchase"] =
      (cpu_seconds_of("mariadbd") - db_before) * 1e6 / static_cast<double>(bought);
}
BENCHMARK(BM_GroupCommitPurchasesMariadb)->Iterations(20)->Unit(benchmark::kMillisecond)->UseRealTime();

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
