// Accounts and sign-in: the use cases over the store, the hasher, the mailer and the throttles.
#include "app/accounts.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sodium.h>

#include <algorithm>
#include <cctype>
#include <cstdio>

#include "domain/account.h"

namespace p720::app {
namespace {

Error invalid(Subject what, std::string detail = {}) {
  return make_error(ErrorCode::kInvalidRequest, what, std::move(detail));
}
Error bad_credentials() { return make_error(ErrorCode::kUnauthorized, Subject::kLogin); }
Error bad_refresh() { return make_error(ErrorCode::kUnauthorized, Subject::kRefreshToken); }
Error too_many(long long seconds, Subject what) {
  Error e = make_error(ErrorCode::kTooManyRequests, what);
  e.retry_after = seconds;
  return e;
}

std::string hex(const unsigned char* p, size_t n) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  out.reserve(n * 2);
  for (size_t i = 0; i < n; ++i) {
    out += digits[p[i] >> 4];
    out += digits[p[i] & 15];
  }
  return out;
}

std::string sha256_hex(const std::string& text) {
  unsigned char d[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(text.data(), text.size(), d, &len, EVP_sha256(), nullptr);
  return hex(d, len);
}

// 32 random bytes, base64url without padding: 43 characters.
std::string new_refresh_token() {
  unsigned char raw[32];
  randombytes_buf(raw, sizeof raw);
  char out[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
  sodium_bin2base64(out, sizeof out, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  return out;
}

bool plausible_refresh_token(const std::string& t) {
  if (t.size() != 43) return false;
  for (char c : t)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') return false;
  return true;
}

}  // namespace

Accounts::Accounts(store::Store& store, Mailer* mailer, const Clock& clock, std::string code_secret,
                   AccountsConfig config)
    : store_(store),
      mailer_(mailer),
      clock_(clock),
      code_key_("pension720 e-mail code|" + std::move(code_secret)),
      config_(std::move(config)),
      hasher_(2),
      email_failures_(config_.failures_per_email, config_.failure_window),
      address_failures_(config_.failures_per_address, config_.failure_window),
      code_mails_(config_.codes_per_email, config_.failure_window),
      code_mail_addresses_(config_.failures_per_address, config_.failure_window) {}

long long Accounts::now_seconds() const { return clock_.now().time_since_epoch().count(); }

std::string Accounts::code_hash(const std::string& email, const std::string& code) const {
  // Keyed: six digits are a million guesses away from an unkeyed hash.
  const std::string msg = email + "\n" + code;
  unsigned char d[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), code_key_.data(), static_cast<int>(code_key_.size()),
       reinterpret_cast<const unsigned char*>(msg.data()), msg.size(), d, &len);
  return hex(d, len);
}

std::optional<long long> Accounts::account_id_of(const std::string& user_id) {
  constexpr std::string_view kPrefix = kAccountIdPrefix;
  if (user_id.size() <= kPrefix.size() || user_id.size() > kPrefix.size() + 18 ||
      user_id.compare(0, kPrefix.size(), kPrefix) != 0)
    return std::nullopt;
  long long id = 0;
  for (size_t i = kPrefix.size(); i < user_id.size(); ++i) {
    if (user_id[i] < '0' || user_id[i] > '9') return std::nullopt;
    id = id * 10 + (user_id[i] - '0');
  }
  return id;
}

Result<store::Account> Accounts::sign_up(const SignUpRequest& req) {
  auto email = normalize_email(req.email);
  if (!email) return invalid(Subject::kEmail);
  if (auto why = password_problem(req.password); !why.empty()) return invalid(Subject::kPassword, why);
  auto name = normalize_name(req.name);
  if (!name) return invalid(Subject::kName);
  auto birth = parse_date(req.birth_date);
  if (!birth) return invalid(Subject::kBirthDate);
  const auto today = kst_date(clock_.now());
  if (std::chrono::sys_days(*birth) > std::chrono::sys_days(today)) return invalid(Subject::kBirthDateFuture);
  if (age_on(*birth, today) < kMinBuyerAge) return make_error(ErrorCode::kAgeRestricted, Subject::kAccount);
  // A taken e-mail is told before the costly hash; create_account decides again atomically.
  auto existing = store_.account_by_email(*email);
  if (!existing.ok()) return existing.error();
  if (*existing) return make_error(ErrorCode::kEmailTaken, Subject::kEmail);
  store::Account a;
  a.email = *email;
  a.password_hash = hasher_.hash(req.password);
  a.name = *name;
  a.birth_date = format_date(*birth);
  return store_.create_account(a, now_seconds(), format_kst(clock_.now()));
}

Status Accounts::send_code(const std::string& raw_email, const std::string& client) {
  auto email = normalize_email(raw_email);
  if (!email) return invalid(Subject::kEmail);
  if (!mailer_) return make_error(ErrorCode::kUnavailable, Subject::kMailer);
  const long long wait = std::max(code_mails_.retry_after(*email), code_mail_addresses_.retry_after(client));
  if (wait > 0) return too_many(wait, Subject::kCode);
  // Uniform over 000000–999999 (randombytes_uniform rejects the modulo bias).
  char code[8];
  std::snprintf(code, sizeof code, "%06u", randombytes_uniform(1'000'000));
  auto st = store_.put_email_code(*email, code_hash(*email, code), now_seconds() + config_.code_ttl.count());
  if (!st.ok()) return st;
  code_mails_.record(*email);
  code_mail_addresses_.record(client);
  const auto minutes = std::to_string(config_.code_ttl.count() / 60);
  return mailer_->send({*email, "[연금복권720+] 이메일 인증 코드",
                        "연금복권720+ 이메일 인증 코드입니다.\r\n\r\n    " + std::string(code) + "\r\n\r\n" + minutes +
                            "분 안에 입력해 주세요. " + std::to_string(config_.code_tries) +
                            "번까지 시도할 수 있습니다.\r\n직접 요청하지 않았다면 이 메일을 무시하세요.\r\n"});
}

Status Accounts::confirm_code(const std::string& raw_email, const std::string& code) {
  auto email = normalize_email(raw_email);
  if (!email) return invalid(Subject::kEmail);
  if (code.size() != 6 || code.find_first_not_of("0123456789") != std::string::npos) return invalid(Subject::kCode);
  // A confirmation made before sign-up (the predecessor's order) counts for a day.
  auto r = store_.check_email_code(*email, code_hash(*email, code), now_seconds(), config_.code_tries,
                                   now_seconds() + 86400);
  if (!r.ok()) return r.error();
  switch (r->check) {
    case store::CodeCheck::kConfirmed: return Status::Ok();
    case store::CodeCheck::kWrong:
      if (r->tries_left > 0)
        return make_error(ErrorCode::kVerificationFailed, Subject::kCode, std::to_string(r->tries_left));
      return make_error(ErrorCode::kVerificationExpired, Subject::kCode);
    case store::CodeCheck::kExpired: break;
  }
  return make_error(ErrorCode::kVerificationExpired, Subject::kNone);
}

Result<SignIn> Accounts::log_in(const std::string& raw_email, const std::string& password, const std::string& client) {
  auto email = normalize_email(raw_email);
  if (!email) return invalid(Subject::kEmail);
  if (password.empty() || password.size() > kMaxPasswordBytes) return invalid(Subject::kLogin);
  const long long wait = std::max(email_failures_.retry_after(*email), address_failures_.retry_after(client));
  if (wait > 0) return too_many(wait, Subject::kLogin);
  auto found = store_.account_by_email(*email);
  if (!found.ok()) return found.error();
  // The same Argon2id work whether or not the e-mail has an account.
  const bool ok = *found ? hasher_.verify((*found)->password_hash, password) : (hasher_.verify_dummy(password), false);
  if (!ok) {
    email_failures_.record(*email);
    address_failures_.record(client);
    return bad_credentials();
  }
  if (config_.require_verified_email && !(*found)->verified)
    return make_error(ErrorCode::kEmailNotVerified, Subject::kEmail);
  email_failures_.reset(*email);
  return open(**found);
}

Result<SignIn> Accounts::open(const store::Account& account) {
  SignIn s{account, 0, new_refresh_token()};
  auto id = store_.open_session(account.id, sha256_hex(s.refresh_token), now_seconds() + config_.refresh_ttl.count(),
                                format_kst(clock_.now()));
  if (!id.ok()) return id.error();
  s.session_id = *id;
  return s;
}

Result<SignIn> Accounts::refresh(const std::string& token) {
  if (!plausible_refresh_token(token)) return bad_refresh();
  SignIn s;
  s.refresh_token = new_refresh_token();
  auto r = store_.rotate_refresh(sha256_hex(token), sha256_hex(s.refresh_token), now_seconds(),
                                 now_seconds() + config_.refresh_ttl.count());
  if (!r.ok()) return r.error();
  if (r->state != store::RefreshState::kRotated) return bad_refresh();
  auto account = store_.account_by_id(r->account_id);
  if (!account.ok()) return account.error();
  if (!*account) return bad_refresh();
  s.account = **account;
  s.session_id = r->session_id;
  return s;
}

Status Accounts::log_out(long long session_id) { return store_.revoke_session(session_id); }

Status Accounts::log_out_refresh(const std::string& token) {
  if (!plausible_refresh_token(token)) return bad_refresh();
  auto session = store_.session_of_refresh(sha256_hex(token));
  if (!session.ok()) return session.error();
  if (!*session) return bad_refresh();
  return store_.revoke_session(**session);
}

bool Accounts::session_active(long long session_id) {
  auto r = store_.session_active(session_id);
  return r.ok() && *r;
}

Result<store::Account> Accounts::account_of(const std::string& user_id) {
  auto id = account_id_of(user_id);
  if (!id) return make_error(ErrorCode::kNotFound, Subject::kNotAnAccount);
  auto a = store_.account_by_id(*id);
  if (!a.ok()) return a.error();
  if (!*a) return make_error(ErrorCode::kNotFound, Subject::kAccount);
  return **a;
}

}  // namespace p720::app
