// Unguessable ids: a prefix and random hex digits from OpenSSL's CSPRNG (orders, leases, demo visitors).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace p720::app {

// `prefix` followed by 2 × `bytes` lower-case hex digits; throws std::runtime_error when the
// CSPRNG fails.
std::string random_id(std::string_view prefix, std::size_t bytes);

}  // namespace p720::app
