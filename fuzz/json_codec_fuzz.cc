// libFuzzer target: the JSON request readers of src/http/json_codec.* on arbitrary bytes. Every
// reader must answer a value or an INVALID_REQUEST error — never crash, throw or accept junk.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "domain/ticket.h"
#include "http/errors.h"
#include "http/json_codec.h"

namespace {

using namespace p720;
using namespace p720::http;

// An error must be INVALID_REQUEST saying what is wrong (a subject, worded by http/errors.cc),
// and render as the SPEC's error body.
template <class T>
void check_error(const Result<T>& r) {
  if (r.ok()) return;
  if (r.error().code != ErrorCode::kInvalidRequest || r.error().subject == Subject::kNone ||
      error_message(r.error()).empty())
    std::abort();
  if (error_response(r.error()).status != 400) std::abort();
}

void check_spec(const Json& j) {
  auto spec = ticket_spec(j);
  check_error(spec);
  if (!spec.ok()) return;
  if (spec->group < 0 || spec->group > kGroups) std::abort();
  if (spec->digits && (*spec->digits < 0 || *spec->digits > 999999)) std::abort();
}

void check_fields(const Json& obj) {
  for (const char* name : {"round", "amount", "group", "userId", "drawRound"}) {
    auto i = int_field(obj, name, 1, 100000, false);
    check_error(i);
    if (i.ok() && *i && (**i < 1 || **i > 100000)) std::abort();
    check_error(int_field(obj, name, 0, INT64_MAX, true));
    check_error(bool_field(obj, name));
    auto s = string_field(obj, name, 16);
    check_error(s);
    if (s.ok() && *s && (*s)->size() > 16) std::abort();
  }
  for (const char* suffix : {"", "Num"}) {
    auto d = digits_of(obj, suffix);
    check_error(d);
    if (d.ok() && *d && (**d < 0 || **d > 999999)) std::abort();
  }
  check_spec(obj);
  if (auto t = obj.find("tickets"); t != obj.end() && t->is_array())
    for (const auto& item : *t) check_spec(item);
  for (const char* nested : {"pensionWinNum", "pensionBonusNum"})
    if (auto n = obj.find(nested); n != obj.end() && n->is_object()) check_error(digits_of(*n, "Num"));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string body(reinterpret_cast<const char*>(data), size);
  for (bool allow_empty : {false, true}) {
    auto obj = parse_object(body, allow_empty);
    check_error(obj);
    if (!obj.ok()) continue;
    if (!obj->is_object()) std::abort();
    check_fields(*obj);
  }
  return 0;
}
