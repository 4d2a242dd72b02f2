// JWT (HS256 only) for pension720: verifying bearer tokens and issuing them. The checker returns
// a value — the caller's identity or why it was refused — before any handler runs.
// Thread-safe.
#pragma once

#include <chrono>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <string>
#include <string_view>

#include "domain/status.h"

namespace p720::http {

struct Claims {
  std::string user_id;  // claim `id` (string or integer in the token)
  std::string name;
  std::string email;
  bool admin = false;  // claim `role` == "ADMIN"
};

class TokenAuthority {
 public:
  explicit TokenAuthority(std::string secret) : secret_(std::move(secret)) {}

  // Verifies an `Authorization` header value ("Bearer <jwt>"). UNAUTHORIZED when missing,
  // malformed, not HS256, badly signed, expired (against the real clock), or without `id`.
  Result<Claims> verify_header(std::optional<std::string_view> header) const;
  Result<Claims> verify(std::string_view token) const;

  // A signed token; ttl 0 = no `exp`.
  std::string issue(const Claims& claims, std::chrono::seconds ttl) const;

 private:
  Result<Claims> decode(const std::string& token, long long* exp) const;

  std::string secret_;
  // Tokens verified before, with their exp (0 = none): a repeated token skips the HMAC and JSON
  // work. Bounded; cleared when full. Only valid tokens are cached, and exp is rechecked.
  struct Cached {
    Claims claims;
    long long exp;
  };
  mutable std::mutex cache_mu_;
  mutable std::unordered_map<std::string, Cached> cache_;
};

}  // namespace p720::http
