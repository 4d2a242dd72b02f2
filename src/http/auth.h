// JWT for pension720: verifying bearer tokens and issuing them. HS256 tokens signed with the
// configured secret (our own, incl. the accounts' access tokens), and — with token.jwks-file —
// RS256/ES256 tokens of the operator's identity provider, whose key is chosen by `kid` and fixes
// the algorithm. `exp` and `nbf` are enforced against the real clock. The checker returns a value
// — the caller's identity or why it was refused — before any handler runs. Thread-safe.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "domain/status.h"

namespace p720::http {

class JwksKeys;

struct Claims {
  std::string user_id;  // claim `id` (string or integer in the token; `sub` for identity-provider tokens without `id`)
  std::string name;
  std::string email;
  bool admin = false;      // claim `role` == "ADMIN"
  std::string session_id;  // claim `sid` of an account's access token (HS256 only); "" otherwise
  bool demo = false;       // claim `demo`: issued by a demo server's sign-in (POST /api/v1/demo/token)
};

class TokenAuthority {
 public:
  explicit TokenAuthority(std::string secret);
  ~TokenAuthority();
  TokenAuthority(const TokenAuthority&) = delete;
  TokenAuthority& operator=(const TokenAuthority&) = delete;

  // Verifies an `Authorization` header value ("Bearer <jwt>"). UNAUTHORIZED when missing,
  // malformed, of another algorithm, badly signed, expired or not yet valid (against the real
  // clock), without `id`, or of a revoked sign-in.
  Result<Claims> verify_header(std::optional<std::string_view> header) const;
  Result<Claims> verify(std::string_view token) const;

  // A signed HS256 token; ttl 0 = no `exp`.
  std::string issue(const Claims& claims, std::chrono::seconds ttl) const;

  // Accepts RS256/ES256 tokens signed by the keys of this JWKS file from now on; throws
  // std::runtime_error (saying why) when the file cannot be used.
  void load_jwks(const std::string& path);
  // Reads the file given to load_jwks again (SIGHUP). On failure keeps the keys it had and
  // returns why; "" on success. Tokens verified with keys that went away stop working.
  std::string reload_jwks();
  bool has_jwks() const;

  // Whether tokens with the `demo` claim are accepted (only while the server runs in demo mode):
  // a demo token must not outlive the demo, on this server or one restarted without --demo.
  void set_demo_tokens(bool accepted) { demo_tokens_ = accepted; }

  // Asked for every token with a `sid` (after its signature and times were checked): false → 401.
  void set_session_check(std::function<bool(const std::string& sid)> check) { session_check_ = std::move(check); }

 private:
  Result<Claims> decode(const std::string& token, long long* exp) const;

  std::string secret_;
  bool demo_tokens_ = false;
  std::function<bool(const std::string&)> session_check_;
  mutable std::mutex jwks_mu_;
  std::string jwks_path_;
  std::shared_ptr<const JwksKeys> jwks_;  // guarded by jwks_mu_
  // Tokens verified before, with their exp (0 = none): a repeated token skips the signature and
  // JSON work. Bounded; cleared when full and when the keys change. Only valid tokens are
  // cached, and exp is rechecked (nbf, once passed, stays passed).
  struct Cached {
    Claims claims;
    long long exp = 0;
  };
  // The cache's bound is in bytes (tokens of up to 4 KiB and their claims), not entries: 100,000
  // large tokens would otherwise hold ~400 MB.
  static constexpr size_t kCacheBytes = 32 << 20;
  mutable std::mutex cache_mu_;
  mutable std::unordered_map<std::string, Cached> cache_;
  mutable size_t cache_bytes_ = 0;  // guarded by cache_mu_
};

}  // namespace p720::http
