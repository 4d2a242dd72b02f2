// The operator's identity-provider keys (token.jwks-file): a JWKS document's RS256 (RSA, 2048
// bits or more) and ES256 (EC P-256) public keys by `kid`, and signature checks with them. A key
// fixes its algorithm; a token's `alg` header only has to agree. Immutable once loaded; swap
// in a new set to reload. Thread-safe.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>

using EVP_PKEY = struct evp_pkey_st;

namespace p720::http {

enum class JwkAlg { kRS256, kES256 };

class JwksKeys {
 public:
  // Parses a JWKS document; throws std::runtime_error naming what is wrong (not JSON, no usable
  // key, a duplicate kid, a key that does not decode). Keys without `kid`, of another kty, or
  // marked for another use than "sig" are skipped.
  static std::shared_ptr<const JwksKeys> parse(std::string_view text);
  static std::shared_ptr<const JwksKeys> load_file(const std::string& path);

  // nullptr when no key has this kid, or when its algorithm is not `alg` ("RS256" / "ES256").
  struct Key;
  const Key* find(const std::string& kid, std::string_view alg) const;
  // Checks a JWS signature (for ES256 the JOSE form r‖s, 64 bytes) over `signing_input`.
  static bool verify(const Key& key, std::string_view signing_input, std::string_view signature);
  size_t size() const { return keys_.size(); }

  struct Key {
    JwkAlg alg = JwkAlg::kRS256;
    std::shared_ptr<EVP_PKEY> pkey;
  };

 private:
  std::map<std::string, Key> keys_;
};

// Base64url without padding (as in JWS) → bytes; false on anything else.
bool base64url_decode(std::string_view in, std::string& out);

}  // namespace p720::http
