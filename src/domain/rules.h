// Purchase and cart limits shared by the application services and the HTTP edge.
// Plain compile-time constants; the per-round limit is only the default of a setting.
#pragma once

namespace p720 {

inline constexpr int kMaxTicketsPerRequest = 20;  // tickets in one purchase request
inline constexpr int kMaxCartItems = 20;          // items in one user's cart
inline constexpr int kDefaultRoundLimit = 100;    // tickets one user may buy per round
// The most a wallet may hold (10^15 won): deposits that would pass it are refused, so no sum of
// balances, deposits and prizes comes near 64-bit overflow (SQLite would turn it into a REAL).
inline constexpr long long kMaxBalance = 1'000'000'000'000'000LL;
// The most one deposit (ADMIN, demo or payment order) may credit; keeps sums far from overflow.
inline constexpr long long kMaxDeposit = 10'000'000'000LL;

}  // namespace p720
