// Password hashing for accounts: Argon2id through libsodium's crypto_pwhash_str, with a bound on
// how many hashes run at once (each takes kMemLimit of memory). Thread-safe.
#pragma once

#include <cstddef>
#include <semaphore>
#include <string>
#include <string_view>

namespace p720::app {

class PasswordHasher {
 public:
  // Argon2id (ALG_ARGON2ID13) with t = 2 passes over m = 19 MiB, one lane: the OWASP minimum
  // for Argon2id. Measured time per hash: docs/DESIGN.md "Accounts and sign-in".
  static constexpr unsigned long long kOpsLimit = 2;
  static constexpr size_t kMemLimit = 19 * 1024 * 1024;

  // At most `concurrent` hashes at once; callers beyond wait their turn.
  explicit PasswordHasher(int concurrent = 2);

  // The encoded hash ("$argon2id$v=19$m=19456,t=2,p=1$…"). Throws std::runtime_error when the
  // memory cannot be had.
  std::string hash(std::string_view password) const;
  // True when `password` matches `encoded` (false for a malformed `encoded`).
  bool verify(const std::string& encoded, std::string_view password) const;
  // The same work as a failed verify(), against a hash made at start: for an unknown e-mail,
  // so that it answers in the time a wrong password does.
  void verify_dummy(std::string_view password) const;

 private:
  mutable std::counting_semaphore<64> slots_;
  std::string dummy_;
};

}  // namespace p720::app
