// Account rules: e-mail, password and name checks, birth dates and the age on a KST date.
#include "domain/account.h"

#include <cstdio>

#include "domain/text.h"

namespace p720 {
namespace {

// Well-formed UTF-8 without control characters (C0, DEL, C1); counts its code points.
bool utf8_clean(std::string_view s, size_t* count) {
  const auto n = utf8_code_points(s, /*controls=*/false);
  if (n) *count = *n;
  return n.has_value();
}

bool is_atext(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+/=?^_`{|}~-").find(c) != std::string_view::npos;
}

}  // namespace

std::optional<std::string> normalize_email(std::string_view email) {
  if (email.empty() || email.size() > kMaxEmailLength) return std::nullopt;
  std::string e(email);
  for (auto& ch : e)
    if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
  const auto at = e.find('@');
  if (at == std::string::npos || e.find('@', at + 1) != std::string::npos) return std::nullopt;
  const std::string_view local(e.data(), at), domain(e.data() + at + 1, e.size() - at - 1);
  if (local.empty() || local.size() > 64 || local.front() == '.' || local.back() == '.' ||
      local.find("..") != std::string_view::npos)
    return std::nullopt;
  for (char c : local)
    if (c != '.' && !is_atext(c)) return std::nullopt;
  if (domain.empty() || domain.size() > 253) return std::nullopt;
  size_t labels = 0;
  std::string_view last;
  for (size_t start = 0;;) {
    const auto dot = domain.find('.', start);
    const auto label = domain.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') return std::nullopt;
    for (char c : label)
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return std::nullopt;
    ++labels;
    last = label;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  if (labels < 2 || last.size() < 2) return std::nullopt;
  for (char c : last)
    if (!(c >= 'a' && c <= 'z')) return std::nullopt;
  return e;
}

std::string password_problem(std::string_view password) {
  if (password.size() > kMaxPasswordBytes) return "비밀번호가 너무 깁니다 (최대 256바이트).";
  size_t n = 0;
  if (!utf8_clean(password, &n)) return "비밀번호에 쓸 수 없는 문자가 있습니다.";
  if (n < kMinPasswordLength) return "비밀번호는 8자 이상이어야 합니다.";
  return "";
}

std::optional<std::string> normalize_name(std::string_view name) {
  while (!name.empty() && name.front() == ' ') name.remove_prefix(1);
  while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
  size_t n = 0;
  if (name.empty() || name.size() > kMaxNameLength * 4 || !utf8_clean(name, &n) || n > kMaxNameLength)
    return std::nullopt;
  return std::string(name);
}

int age_on(std::chrono::year_month_day birth, std::chrono::year_month_day today) {
  int age = static_cast<int>(today.year()) - static_cast<int>(birth.year());
  // Comparing (month, day) pairs: on 28 February of a common year someone born on 29 February
  // has not had the birthday yet; on 1 March they have.
  if (std::pair(static_cast<unsigned>(today.month()), static_cast<unsigned>(today.day())) <
      std::pair(static_cast<unsigned>(birth.month()), static_cast<unsigned>(birth.day())))
    --age;
  return age < 0 ? 0 : age;
}

}  // namespace p720
