// Handler helpers that need no template: the request fingerprint, Idempotency-Key, paging.
#include "http/handler_util.h"

#include <openssl/evp.h>

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
    return make_error(ErrorCode::kInvalidRequest, "Idempotency-Key는 공백 없는 ASCII 1~128자여야 합니다.");
  return std::string(*key);
}

Result<store::Page> page_param(const Request& req) {
  store::Page page{0, kDefaultPageSize};
  auto number = [](const std::optional<std::string>& s, long long lo, long long hi) -> std::optional<long long> {
    if (!s || s->empty() || s->size() > 18 || s->find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
    const long long n = std::stoll(*s);
    if (n < lo || n > hi) return std::nullopt;
    return n;
  };
  if (auto l = req.query_param("limit")) {
    auto n = number(l, 1, kMaxPageSize);
    if (!n) return make_error(ErrorCode::kInvalidRequest, "limit은 1~1000 사이의 정수여야 합니다.");
    page.limit = static_cast<int>(*n);
  }
  if (auto b = req.query_param("before")) {
    auto n = number(b, 1, INT64_MAX);
    if (!n) return make_error(ErrorCode::kInvalidRequest, "before 값이 올바르지 않습니다.");
    page.before = *n;
  }
  return page;
}

}  // namespace p720::http
