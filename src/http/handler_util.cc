// Handler helpers that need no template: the request fingerprint, Idempotency-Key, paging, rounds and ids.
#include "http/handler_util.h"

#include <openssl/evp.h>

#include "domain/rules.h"

namespace p720::http {

std::string request_hash(const Request& req, const Json& body, const std::string& key) {
  if (key.empty()) return {};
  const std::string text = req.method + " " + req.path + "\n" + body.dump();
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(text.data(), text.size(), digest, &len, EVP_sha256(), nullptr);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < len; ++i) {
    out += hex[digest[i] >> 4];
    out += hex[digest[i] & 15];
  }
  return out;
}

Result<std::string> idempotency_key(const Request& req) {
  auto key = req.header("idempotency-key");
  if (!key) return std::string();
  // Visible ASCII only (a UUID or a token): the key is stored and compared byte for byte, and
  // invalid UTF-8 must be refused here rather than by the database.
  if (key->empty() || key->size() > 128 ||
      std::any_of(key->begin(), key->end(), [](char ch) { return ch < 0x21 || ch > 0x7e; }))
    return make_error(ErrorCode::kInvalidRequest, Subject::kIdempotencyKey);
  return std::string(*key);
}

std::optional<long long> id_segment(std::string_view s) {
  if (s.empty() || s.size() > 18 || s.find_first_not_of("0123456789") != std::string_view::npos) return std::nullopt;
  const long long n = std::stoll(std::string(s));
  return n > 0 ? std::optional<long long>(n) : std::nullopt;
}

Result<int> round_segment(std::string_view s) {
  // Up to six digits: any round a client may name; the store answers NOT_FOUND beyond the last.
  if (s.empty() || s.size() > 6 || s.find_first_not_of("0123456789") != std::string_view::npos ||
      std::stoi(std::string(s)) < 1)
    return make_error(ErrorCode::kInvalidRequest, Subject::kParam, "round");
  return std::stoi(std::string(s));
}

Result<int> round_param(const Request& req, std::optional<int> fallback) {
  auto r = req.query_param("round");
  if (!r || r->empty()) {
    if (fallback) return *fallback;
    return make_error(ErrorCode::kInvalidRequest, Subject::kField, "round");
  }
  return round_segment(*r);
}

Result<int> round_field(const Json& obj, const char* name) {
  auto round = int_field(obj, name, 1, app::kMaxRound, true);
  if (!round.ok()) return round.error();
  return static_cast<int>(**round);
}

Result<long long> deposit_amount(const Json& body) {
  auto amount = int_field(body, "amount", 1, kMaxDeposit, true);
  if (!amount.ok()) return amount.error();
  return **amount;
}

Result<store::Page> page_param(const Request& req) {
  store::Page page{0, kDefaultPageSize};
  if (auto l = req.query_param("limit")) {
    auto n = id_segment(*l);
    if (!n || *n > kMaxPageSize)
      return make_error(ErrorCode::kInvalidRequest, Subject::kPageLimit, std::to_string(kMaxPageSize));
    page.limit = static_cast<int>(*n);
  }
  if (auto b = req.query_param("before")) {
    auto n = id_segment(*b);
    if (!n) return make_error(ErrorCode::kInvalidRequest, Subject::kParam, "before");
    page.before = *n;
  }
  return page;
}

}  // namespace p720::http
