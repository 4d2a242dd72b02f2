// JWKS parsing into OpenSSL 3 public keys (EVP_PKEY_fromdata) and RS256/ES256 signature checks.
#include "http/jwks.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <sodium.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

namespace p720::http {

bool base64url_decode(std::string_view in, std::string& out) {
  if (in.empty()) {
    out.clear();
    return true;
  }
  out.assign(in.size(), '\0');
  size_t len = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), in.data(), in.size(), nullptr, &len,
                        nullptr, sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
    return false;
  out.resize(len);
  return true;
}

namespace {

[[noreturn]] void fail(const std::string& why) { throw std::runtime_error(why); }

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};

std::string member(const nlohmann::json& k, const char* name, const std::string& kid) {
  auto it = k.find(name);
  if (it == k.end() || !it->is_string()) fail("key '" + kid + "': '" + name + "' is missing");
  std::string raw;
  if (!base64url_decode(it->get<std::string>(), raw) || raw.empty())
    fail("key '" + kid + "': '" + name + "' is not base64url");
  return raw;
}

std::shared_ptr<EVP_PKEY> from_params(const char* type, OSSL_PARAM_BLD* bld, const std::string& kid) {
  OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(bld);
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr);
  EVP_PKEY* pkey = nullptr;
  const bool ok = params && ctx && EVP_PKEY_fromdata_init(ctx) == 1 &&
                  EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) == 1;
  EVP_PKEY_CTX_free(ctx);
  OSSL_PARAM_free(params);
  if (!ok || !pkey) fail("key '" + kid + "' does not decode");
  std::shared_ptr<EVP_PKEY> out(pkey, PkeyFree{});
  // The EC point must lie on the curve; an RSA key must be usable.
  EVP_PKEY_CTX* check = EVP_PKEY_CTX_new_from_pkey(nullptr, pkey, nullptr);
  const bool valid = check && EVP_PKEY_public_check(check) == 1;
  EVP_PKEY_CTX_free(check);
  if (!valid) fail("key '" + kid + "' is not a valid public key");
  return out;
}

std::shared_ptr<EVP_PKEY> rsa_key(const nlohmann::json& k, const std::string& kid) {
  const std::string n = member(k, "n", kid), e = member(k, "e", kid);
  BIGNUM* bn = BN_bin2bn(reinterpret_cast<const unsigned char*>(n.data()), static_cast<int>(n.size()), nullptr);
  BIGNUM* be = BN_bin2bn(reinterpret_cast<const unsigned char*>(e.data()), static_cast<int>(e.size()), nullptr);
  OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
  OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn);
  OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, be);
  std::shared_ptr<EVP_PKEY> key;
  try {
    key = from_params("RSA", bld, kid);
  } catch (...) {
    OSSL_PARAM_BLD_free(bld), BN_free(bn), BN_free(be);
    throw;
  }
  OSSL_PARAM_BLD_free(bld), BN_free(bn), BN_free(be);
  if (EVP_PKEY_get_bits(key.get()) < 2048) fail("key '" + kid + "': RSA keys must have at least 2048 bits");
  return key;
}

std::shared_ptr<EVP_PKEY> ec_key(const nlohmann::json& k, const std::string& kid) {
  auto crv = k.find("crv");
  if (crv == k.end() || *crv != "P-256") fail("key '" + kid + "': only crv P-256 (ES256) is supported");
  const std::string x = member(k, "x", kid), y = member(k, "y", kid);
  if (x.size() != 32 || y.size() != 32) fail("key '" + kid + "': x and y must be 32 bytes");
  const std::string point = "\x04" + x + y;
  OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
  OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0);
  OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size());
  std::shared_ptr<EVP_PKEY> key;
  try {
    key = from_params("EC", bld, kid);
  } catch (...) {
    OSSL_PARAM_BLD_free(bld);
    throw;
  }
  OSSL_PARAM_BLD_free(bld);
  return key;
}

// JOSE r‖s → the DER ECDSA-Sig-Value OpenSSL verifies.
bool ecdsa_der(std::string_view rs, std::string& der) {
  if (rs.size() != 64) return false;
  ECDSA_SIG* sig = ECDSA_SIG_new();
  BIGNUM* r = BN_bin2bn(reinterpret_cast<const unsigned char*>(rs.data()), 32, nullptr);
  BIGNUM* s = BN_bin2bn(reinterpret_cast<const unsigned char*>(rs.data()) + 32, 32, nullptr);
  if (!sig || !r || !s || ECDSA_SIG_set0(sig, r, s) != 1) {
    BN_free(r), BN_free(s), ECDSA_SIG_free(sig);
    return false;
  }
  unsigned char* out = nullptr;
  const int len = i2d_ECDSA_SIG(sig, &out);
  ECDSA_SIG_free(sig);
  if (len <= 0) return false;
  der.assign(reinterpret_cast<char*>(out), static_cast<size_t>(len));
  OPENSSL_free(out);
  return true;
}

}  // namespace

std::shared_ptr<const JwksKeys> JwksKeys::parse(std::string_view text) {
  auto doc = nlohmann::json::parse(text, nullptr, false);
  if (!doc.is_object() || !doc.contains("keys") || !doc["keys"].is_array())
    fail("not a JWKS document ({\"keys\": [...]})");
  auto out = std::make_shared<JwksKeys>();
  for (const auto& k : doc["keys"]) {
    if (!k.is_object()) fail("every entry of keys must be an object");
    auto kid_it = k.find("kid");
    if (kid_it == k.end() || !kid_it->is_string() || kid_it->get<std::string>().empty()) continue;
    const std::string kid = *kid_it;
    if (auto use = k.find("use"); use != k.end() && *use != "sig") continue;
    const std::string kty = k.value("kty", "");
    Key key;
    if (kty == "RSA") {
      key = {JwkAlg::kRS256, rsa_key(k, kid)};
      if (auto alg = k.find("alg"); alg != k.end() && *alg != "RS256")
        fail("key '" + kid + "': RSA keys are RS256 only");
    } else if (kty == "EC") {
      key = {JwkAlg::kES256, ec_key(k, kid)};
      if (auto alg = k.find("alg"); alg != k.end() && *alg != "ES256")
        fail("key '" + kid + "': EC keys are ES256 only");
    } else {
      continue;
    }
    if (!out->keys_.emplace(kid, std::move(key)).second) fail("kid '" + kid + "' appears twice");
  }
  if (out->keys_.empty()) fail("no RS256 or ES256 key with a kid");
  return out;
}

std::shared_ptr<const JwksKeys> JwksKeys::load_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail("cannot read " + path);
  std::ostringstream text;
  text << in.rdbuf();
  if (text.str().size() > (1 << 20)) fail(path + " is larger than 1 MiB");
  return parse(text.str());
}

const JwksKeys::Key* JwksKeys::find(const std::string& kid, std::string_view alg) const {
  auto it = keys_.find(kid);
  if (it == keys_.end()) return nullptr;
  const char* fixed = it->second.alg == JwkAlg::kRS256 ? "RS256" : "ES256";
  return alg == fixed ? &it->second : nullptr;
}

bool JwksKeys::verify(const Key& key, std::string_view input, std::string_view signature) {
  std::string der;
  if (key.alg == JwkAlg::kES256) {
    if (!ecdsa_der(signature, der)) return false;
    signature = der;
  }
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  const bool ok = ctx && EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, key.pkey.get()) == 1 &&
                  EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                                   reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1;
  EVP_MD_CTX_free(ctx);
  return ok;
}

}  // namespace p720::http
