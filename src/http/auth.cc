// JWT verification and issuing: HS256 over libjwt, RS256/ES256 over the JWKS keys (http/jwks.h);
// claims are read with nlohmann::json, by one set of rules for every algorithm.
#include "http/auth.h"

#include <jwt.h>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <nlohmann/json.hpp>

#include "http/jwks.h"

namespace p720::http {
namespace {

// Why a token is refused: a reason key that http/errors.cc words (Subject::kToken), or the claim
// that is not right (Subject::kTokenClaim).
Error unauthorized(const char* reason) { return make_error(ErrorCode::kUnauthorized, Subject::kToken, reason); }
Error bad_claim(const char* claim) { return make_error(ErrorCode::kUnauthorized, Subject::kTokenClaim, claim); }

struct JwtFree {
  void operator()(jwt_t* j) const { jwt_free(j); }
};
using JwtPtr = std::unique_ptr<jwt_t, JwtFree>;

long long now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// The claims of a verified payload. `idp`: a token of the operator's identity provider, whose
// subject may be in `sub`, and which carries no session of ours.
Result<Claims> claims_of(const nlohmann::json& json, bool idp, long long* exp_out) {
  if (!json.is_object()) return unauthorized("claims");
  Claims c;
  auto id = json.find("id");
  if (id == json.end() && idp) id = json.find("sub");
  if (id == json.end()) return unauthorized("no-id");
  if (id->is_string()) c.user_id = id->get<std::string>();
  else if (id->is_number_integer()) c.user_id = std::to_string(id->get<long long>());
  if (c.user_id.empty() || c.user_id.size() > 64) return bad_claim("id");
  const double now = static_cast<double>(now_seconds());
  if (auto exp = json.find("exp"); exp != json.end()) {
    if (!exp->is_number()) return bad_claim("exp");
    if (exp->get<double>() <= now) return unauthorized("expired");
    // exp in the past or far future both fit: clamp so the cache comparison is safe.
    *exp_out = static_cast<long long>(std::min(exp->get<double>(), 4e18));
  }
  if (auto nbf = json.find("nbf"); nbf != json.end()) {
    if (!nbf->is_number()) return bad_claim("nbf");
    if (nbf->get<double>() > now) return unauthorized("not-yet");
  }
  if (auto n = json.find("name"); n != json.end() && n->is_string()) c.name = *n;
  if (auto e = json.find("email"); e != json.end() && e->is_string()) c.email = *e;
  if (auto r = json.find("role"); r != json.end() && r->is_string()) c.admin = *r == "ADMIN";
  if (auto d = json.find("demo"); d != json.end()) c.demo = !d->is_boolean() || d->get<bool>();
  if (!idp)
    if (auto s = json.find("sid"); s != json.end()) {
      if (!s->is_string() || s->get<std::string>().empty()) return bad_claim("sid");
      c.session_id = *s;
    }
  return c;
}

}  // namespace

TokenAuthority::TokenAuthority(std::string secret) : secret_(std::move(secret)) {}
TokenAuthority::~TokenAuthority() = default;

Result<Claims> TokenAuthority::verify_header(std::optional<std::string_view> header) const {
  if (!header) return unauthorized("missing");
  std::string_view h = *header;
  constexpr std::string_view kBearer = "Bearer ";
  if (h.size() <= kBearer.size() || h.substr(0, kBearer.size()) != kBearer) return unauthorized("not-bearer");
  return verify(h.substr(kBearer.size()));
}

Result<Claims> TokenAuthority::verify(std::string_view token) const {
  if (token.size() > 4096) return unauthorized("too-long");
  const std::string tok(token);
  std::optional<Claims> claims;
  {
    std::lock_guard lock(cache_mu_);
    if (auto it = cache_.find(tok); it != cache_.end()) {
      if (it->second.exp != 0 && it->second.exp <= now_seconds()) return unauthorized("expired");
      claims = it->second.claims;
    }
  }
  if (!claims) {
    long long exp = 0;
    auto decoded = decode(tok, &exp);
    if (!decoded.ok()) return decoded;
    claims = *decoded;
    const size_t bytes = tok.size() + claims->user_id.size() + claims->name.size() + claims->email.size() +
                         claims->session_id.size() + 128;  // + the map's node and the rest of Claims
    std::lock_guard lock(cache_mu_);
    if (cache_bytes_ + bytes > kCacheBytes) {
      cache_.clear();
      cache_bytes_ = 0;
    }
    if (cache_.emplace(tok, Cached{*claims, exp}).second) cache_bytes_ += bytes;
  }
  if (claims->demo && !demo_tokens_) return unauthorized("demo");
  // A sign-in revoked (logout, a refresh token reused) ends its access tokens at once, on every
  // instance: the store answers, not the cache.
  if (!claims->session_id.empty() && session_check_ && !session_check_(claims->session_id))
    return unauthorized("revoked");
  return *claims;
}

Result<Claims> TokenAuthority::decode(const std::string& tok, long long* exp_out) const {
  // The header decides which verifier runs; the verifier then insists on its own algorithm.
  const auto dot1 = tok.find('.');
  const auto dot2 = dot1 == std::string::npos ? dot1 : tok.find('.', dot1 + 1);
  if (dot2 == std::string::npos || tok.find('.', dot2 + 1) != std::string::npos) return unauthorized("malformed");
  std::string header_text;
  if (!base64url_decode(std::string_view(tok).substr(0, dot1), header_text)) return unauthorized("malformed");
  const auto header = nlohmann::json::parse(header_text, nullptr, false);
  if (!header.is_object() || !header.contains("alg") || !header["alg"].is_string()) return unauthorized("malformed");
  const std::string alg = header["alg"];

  if (alg == "RS256" || alg == "ES256") {
    std::shared_ptr<const JwksKeys> keys;
    {
      std::lock_guard lock(jwks_mu_);
      keys = jwks_;
    }
    if (!keys) return unauthorized("hs256-only");
    auto kid = header.find("kid");
    if (kid == header.end() || !kid->is_string()) return unauthorized("no-kid");
    const JwksKeys::Key* key = keys->find(*kid, alg);
    if (!key) return unauthorized("unknown-key");
    std::string payload, signature;
    if (!base64url_decode(std::string_view(tok).substr(dot1 + 1, dot2 - dot1 - 1), payload) ||
        !base64url_decode(std::string_view(tok).substr(dot2 + 1), signature) ||
        !JwksKeys::verify(*key, std::string_view(tok).substr(0, dot2), signature))
      return unauthorized("signature");
    return claims_of(nlohmann::json::parse(payload, nullptr, false), true, exp_out);
  }
  if (alg != "HS256") return unauthorized("alg");

  jwt_t* raw = nullptr;
  if (jwt_decode(&raw, tok.c_str(), reinterpret_cast<const unsigned char*>(secret_.data()),
                 static_cast<int>(secret_.size())) != 0 ||
      raw == nullptr)
    return unauthorized("malformed");
  JwtPtr jwt(raw);
  if (jwt_get_alg(jwt.get()) != JWT_ALG_HS256) return unauthorized("hs256-only");
  char* grants = jwt_get_grants_json(jwt.get(), nullptr);
  if (!grants) return unauthorized("no-claims");
  auto json = nlohmann::json::parse(grants, nullptr, false);
  free(grants);  // NOLINT: libjwt allocates with malloc
  return claims_of(json, false, exp_out);
}

std::string TokenAuthority::issue(const Claims& claims, std::chrono::seconds ttl) const {
  jwt_t* raw = nullptr;
  if (jwt_new(&raw) != 0) throw std::runtime_error("jwt_new failed");
  JwtPtr jwt(raw);
  nlohmann::json g = {{"id", claims.user_id}};
  if (!claims.name.empty()) g["name"] = claims.name;
  if (!claims.email.empty()) g["email"] = claims.email;
  if (claims.admin) g["role"] = "ADMIN";
  if (!claims.session_id.empty()) g["sid"] = claims.session_id;
  if (claims.demo) g["demo"] = true;
  const auto now =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch());
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

void TokenAuthority::load_jwks(const std::string& path) {
  auto keys = JwksKeys::load_file(path);
  {
    std::lock_guard lock(jwks_mu_);
    jwks_path_ = path;
    jwks_ = std::move(keys);
  }
  std::lock_guard lock(cache_mu_);
  cache_.clear();
  cache_bytes_ = 0;
}

std::string TokenAuthority::reload_jwks() {
  std::string path;
  {
    std::lock_guard lock(jwks_mu_);
    path = jwks_path_;
  }
  if (path.empty()) return "token.jwks-file is not set";
  try {
    load_jwks(path);
    return "";
  } catch (const std::exception& e) {
    return e.what();
  }
}

bool TokenAuthority::has_jwks() const {
  std::lock_guard lock(jwks_mu_);
  return jwks_ != nullptr;
}

}  // namespace p720::http
