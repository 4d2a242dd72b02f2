// Unguessable ids: a prefix and random hex digits from OpenSSL's CSPRNG (orders, leases, demo visitors).
#include "app/random_id.h"

#include <openssl/rand.h>

#include <stdexcept>
#include <vector>

namespace p720::app {

std::string random_id(std::string_view prefix, std::size_t bytes) {
  std::vector<unsigned char> random(bytes);
  if (RAND_bytes(random.data(), static_cast<int>(random.size())) != 1) throw std::runtime_error("RAND_bytes failed");
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id(prefix);
  for (unsigned char b : random) {
    id += kHex[b >> 4];
    id += kHex[b & 15];
  }
  return id;
}

}  // namespace p720::app
