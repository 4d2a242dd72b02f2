// Argon2id hashing over libsodium.
#include "app/password_hasher.h"

#include <sodium.h>

#include <algorithm>
#include <stdexcept>

namespace p720::app {
namespace {

struct Slot {
  std::counting_semaphore<64>& s;
  explicit Slot(std::counting_semaphore<64>& sem) : s(sem) { s.acquire(); }
  ~Slot() { s.release(); }
  Slot(const Slot&) = delete;
  Slot& operator=(const Slot&) = delete;
};

}  // namespace

PasswordHasher::PasswordHasher(int concurrent) : slots_(std::clamp(concurrent, 1, 64)) {
  if (sodium_init() < 0) throw std::runtime_error("libsodium could not be initialised");
  unsigned char random[32];
  randombytes_buf(random, sizeof random);
  dummy_ = hash(std::string_view(reinterpret_cast<const char*>(random), sizeof random));
}

std::string PasswordHasher::hash(std::string_view password) const {
  char out[crypto_pwhash_STRBYTES];
  Slot slot(slots_);
  if (crypto_pwhash_str_alg(out, password.data(), password.size(), kOpsLimit, kMemLimit,
                            crypto_pwhash_ALG_ARGON2ID13) != 0)
    throw std::runtime_error("password hashing ran out of memory");
  return out;
}

bool PasswordHasher::verify(const std::string& encoded, std::string_view password) const {
  Slot slot(slots_);
  return crypto_pwhash_str_verify(encoded.c_str(), password.data(), password.size()) == 0;
}

void PasswordHasher::verify_dummy(std::string_view password) const { (void)verify(dummy_, password); }

}  // namespace p720::app
