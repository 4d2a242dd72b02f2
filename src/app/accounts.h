// Accounts and sign-in (SPEC §3): sign-up with the age check, e-mail verification by a 6-digit
// code, password sign-in with failure limits, and sessions whose refresh tokens rotate on every
// use. Access tokens are issued by the HTTP layer from what this returns. The store is the truth;
// only the failure counters live in memory (per instance). Thread-safe.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "app/clock.h"
#include "app/mailer.h"
#include "app/password_hasher.h"
#include "app/throttle.h"
#include "domain/account.h"
#include "store/store.h"

namespace p720::app {

struct AccountsConfig {
  bool require_verified_email = true;                   // auth.require-verified-email
  std::chrono::seconds access_ttl{900};                 // auth.access-ttl-seconds (the JWT's exp)
  std::chrono::seconds refresh_ttl{14 * 86400};         // auth.refresh-ttl-seconds
  std::chrono::seconds code_ttl{600};                   // a code is valid 10 minutes
  int code_tries = 5;                                   // and may be tried 5 times
  int failures_per_email = 5;                           // auth.login-failures-per-email
  int failures_per_address = 50;                        // auth.login-failures-per-address
  std::chrono::seconds failure_window{900};             // auth.login-failure-window-seconds
  int codes_per_email = 5;                              // code mails per e-mail per failure_window
  std::string smtp_url;                                 // mail.smtp-url; empty: no mail
  std::string mail_from = "no-reply@pension720.local";  // mail.from
  std::string client_address_header;                    // auth.client-address-header (behind a proxy)
};

struct SignUpRequest {
  std::string email, password, name, birth_date;
};

// A successful sign-in or refresh: the account, its session and the new refresh token (clear
// text, for the client only; the store has its hash).
struct SignIn {
  store::Account account;
  long long session_id = 0;
  std::string refresh_token;
};

class Accounts {
 public:
  // `mailer` may be null (no mail.smtp-url): codes cannot be sent then. `code_secret` keys the
  // HMAC under which codes are stored.
  Accounts(store::Store& store, Mailer* mailer, const Clock& clock, std::string code_secret, AccountsConfig config);

  // INVALID_REQUEST for a bad field, AGE_RESTRICTED under 19 on today's KST date, EMAIL_TAKEN.
  Result<store::Account> sign_up(const SignUpRequest& req);
  // Mails a new code to `email` (any valid address: the predecessor verified before signing up);
  // TOO_MANY_REQUESTS after codes_per_email in the window, SERVICE_UNAVAILABLE without a mailer.
  Status send_code(const std::string& email, const std::string& client);
  // VERIFICATION_FAILED (wrong; tries left in the message), VERIFICATION_EXPIRED.
  Status confirm_code(const std::string& email, const std::string& code);
  // UNAUTHORIZED for an unknown e-mail or a wrong password alike (both do one Argon2id verify),
  // TOO_MANY_REQUESTS over the limits, EMAIL_NOT_VERIFIED when verification is required.
  Result<SignIn> log_in(const std::string& email, const std::string& password, const std::string& client);
  // A new refresh token for a valid one; UNAUTHORIZED otherwise (and a spent one revokes the session).
  Result<SignIn> refresh(const std::string& refresh_token);
  Status log_out(long long session_id);
  Status log_out_refresh(const std::string& refresh_token);
  bool session_active(long long session_id);
  // The account of an access token's user id ("acct-<n>"); NOT_FOUND for other ids.
  Result<store::Account> account_of(const std::string& user_id);

  static std::string user_id_of(long long account_id) {
    return std::string(kAccountIdPrefix) + std::to_string(account_id);
  }
  static std::optional<long long> account_id_of(const std::string& user_id);

  const AccountsConfig& config() const { return config_; }

 private:
  long long now_seconds() const;
  std::string code_hash(const std::string& email, const std::string& code) const;
  Result<SignIn> open(const store::Account& account);

  store::Store& store_;
  Mailer* mailer_;
  const Clock& clock_;
  std::string code_key_;
  AccountsConfig config_;
  PasswordHasher hasher_;
  Throttle email_failures_, address_failures_, code_mails_, code_mail_addresses_;
};

}  // namespace p720::app
