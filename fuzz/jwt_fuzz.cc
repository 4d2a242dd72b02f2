// libFuzzer target: bearer-token verification (TokenAuthority::verify / verify_header) on arbitrary
// bytes. Anything but a well-formed HS256 token signed with our secret must be UNAUTHORIZED, and
// nothing may crash. The seed corpus holds validly signed tokens (secret below) so mutations reach
// the claim checks.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "http/auth.h"

namespace {

constexpr const char* kSecret = "fuzz-secret-0123456789abcdef";

void check(const p720::Result<p720::http::Claims>& r) {
  if (r.ok()) {
    // Accepted: then the identity is usable.
    if (r->user_id.empty() || r->user_id.size() > 64) std::abort();
  } else if (r.error().code != p720::ErrorCode::kUnauthorized) {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const p720::http::TokenAuthority auth(kSecret);
  const std::string_view token(reinterpret_cast<const char*>(data), size);
  check(auth.verify(token));
  check(auth.verify_header(token));
  check(auth.verify_header("Bearer " + std::string(token)));
  return 0;
}
