// Benchmark of the accounts' password hashing: one Argon2id hash and one verify with the
// parameters of app::PasswordHasher (t = 2, m = 19 MiB, one lane), as docs/DESIGN.md quotes.
#include <benchmark/benchmark.h>

#include "app/password_hasher.h"

namespace p720 {
namespace {

void BM_Argon2idHash(benchmark::State& state) {
  app::PasswordHasher hasher(1);
  for (auto _ : state) benchmark::DoNotOptimize(hasher.hash("correct horse battery staple"));
}
BENCHMARK(BM_Argon2idHash)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_Argon2idVerify(benchmark::State& state) {
  app::PasswordHasher hasher(1);
  const std::string encoded = hasher.hash("correct horse battery staple");
  for (auto _ : state) benchmark::DoNotOptimize(hasher.verify(encoded, "wrong horse battery staple"));
}
BENCHMARK(BM_Argon2idVerify)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace p720
