// JWT verification and issuing over libjwt; claims are read with nlohmann::json.
#include "http/auth.h"

#include <jwt.h>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <nlohmann/json.hpp>

namespace p720::http {
namespace {

Error unauthorized(std::string why) { return make_error(ErrorCode::kUnauthorized, "인증이 필요합니다: " + why); }

struct JwtFree {
  void operator()(jwt_t* j) const { jwt_free(j); }
};
using JwtPtr = std::unique_ptr<jwt_t, JwtFree>;

}  // namespace

Result<Claims> TokenAuthority::verify_header(std::optional<std::string_view> header) const {
  if (!header) return unauthorized("토큰이 없습니다.");
  std::string_view h = *header;
  constexpr std::string_view kBearer = "Bearer ";
  if (h.size() <= kBearer.size() || h.substr(0, kBearer.size()) != kBearer) return unauthorized("Bearer 토큰이 아닙니다.");
  return verify(h.substr(kBearer.size()));
}

static long long now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

Result<Claims> TokenAuthority::verify(std::string_view token) const {
  if (token.size() > 4096) return unauthorized("토큰이 너무 깁니다.");
  const std::string tok(token);
  {
    std::lock_guard lock(cache_mu_);
    if (auto it = cache_.find(tok); it != cache_.end()) {
      if (it->second.exp != 0 && it->second.exp <= now_seconds()) return unauthorized("토큰이 만료되었습니다.");
      return it->second.claims;
    }
  }
  long long exp = 0;
  auto claims = decode(tok, &exp);
  if (!claims.ok()) return claims;
  std::lock_guard lock(cache_mu_);
  if (cache_.size() >= 100'000) cache_.clear();
  cache_.emplace(tok, Cached{*claims, exp});
  return claims;
}

Result<Claims> TokenAuthority::decode(const std::string& tok, long long* exp_out) const {
  jwt_t* raw = nullptr;
  if (jwt_decode(&raw, tok.c_str(), reinterpret_cast<const unsigned char*>(secret_.data()),
                 static_cast<int>(secret_.size())) != 0 || raw == nullptr)
    return unauthorized("토큰이 올바르지 않습니다.");
  JwtPtr jwt(raw);
  if (jwt_get_alg(jwt.get()) != JWT_ALG_HS256) return unauthorized("HS256 토큰만 허용됩니다.");
  char* grants = jwt_get_grants_json(jwt.get(), nullptr);
  if (!grants) return unauthorized("클레임이 없습니다.");
  auto json = nlohmann::json::parse(grants, nullptr, false);
  free(grants);  // NOLINT: libjwt allocates with malloc
  if (!json.is_object()) return unauthorized("클레임이 올바르지 않습니다.");

  Claims c;
  const auto id = json.find("id");
  if (id == json.end()) return unauthorized("id 클레임이 없습니다.");
  if (id->is_string()) c.user_id = id->get<std::string>();
  else if (id->is_number_integer()) c.user_id = std::to_string(id->get<long long>());
  if (c.user_id.empty() || c.user_id.size() > 64) return unauthorized("id 클레임이 올바르지 않습니다.");
  if (auto exp = json.find("exp"); exp != json.end()) {
    if (!exp->is_number()) return unauthorized("exp 클레임이 올바르지 않습니다.");
    if (exp->get<double>() <= static_cast<double>(now_seconds())) return unauthorized("토큰이 만료되었습니다.");
    // exp in the past or far future both fit: clamp so the cache comparison is safe.
    *exp_out = static_cast<long long>(std::min(exp->get<double>(), 4e18));
  }
  if (auto n = json.find("name"); n != json.end() && n->is_string()) c.name = *n;
  if (auto e = json.find("email"); e != json.end() && e->is_string()) c.email = *e;
  if (auto r = json.find("role"); r != json.end() && r->is_string()) c.admin = *r == "ADMIN";
  return c;
}

std::string TokenAuthority::issue(const Claims& claims, std::chrono::seconds ttl) const {
  jwt_t* raw = nullptr;
  if (jwt_new(&raw) != 0) throw std::runtime_error("jwt_new failed");
  JwtPtr jwt(raw);
  nlohmann::json g = {{"id", claims.user_id}};
  if (!claims.name.empty()) g["name"] = claims.name;
  if (!claims.email.empty()) g["email"] = claims.email;
  if (claims.admin) g["role"] = "ADMIN";
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch());
  g["iat"] = now.count();
  if (ttl.count() > 0) g["exp"] = (now + ttl).count();
  if (jwt_add_grants_json(jwt.get(), g.dump().c_str()) != 0) throw std::runtime_error("jwt grants failed");
  if (jwt_set_alg(jwt.get(), JWT_ALG_HS256, reinterpret_cast<const unsigned char*>(secret_.data()),
                  static_cast<int>(secret_.size())) != 0)
    throw std::runtime_error("jwt_set_alg failed");
  char* out = jwt_encode_str(jwt.get());
  if (!out) throw std::runtime_error("jwt_encode_str failed");
  std::string token(out);
  free(out);  // NOLINT: libjwt allocates with malloc
  return token;
}

}  // namespace p720::http
