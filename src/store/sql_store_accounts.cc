// SqlStore's accounts and sign-in: accounts, e-mail codes, sessions and refresh-token rotation.
// Every write is a group-commit job (one savepoint in one transaction), so the decisions here —
// a refresh token spent once, a code's tries — hold across every instance on the database.
#include <optional>

#include "store/sql_store.h"
#include "store/sql_store_parts.h"

namespace p720::store {
using namespace parts;
namespace {

// The SQL of this file, each text once.
constexpr const char* kAccountIdByEmail = "SELECT id FROM accounts WHERE email = ?";
constexpr const char* kCodeConfirmedUntil = "SELECT confirmed_until FROM email_codes WHERE email = ?";
constexpr const char* kReplaceCode = "UPDATE email_codes SET code_hash = ?, expires_at = ?, tries = 0 WHERE email = ?";
constexpr const char* kAddCode =
    "INSERT INTO email_codes (email, code_hash, expires_at, tries, confirmed_until) VALUES (?, ?, ?, 0, 0)";
constexpr const char* kSetCodeTries = "UPDATE email_codes SET tries = ? WHERE email = ?";
constexpr const char* kConfirmCode =
    "UPDATE email_codes SET code_hash = '', tries = ?, confirmed_until = ? WHERE email = ?";
constexpr const char* kVerifyAccount = "UPDATE accounts SET verified = 1 WHERE email = ?";
constexpr const char* kAddSession = "INSERT INTO auth_sessions (account_id, created_at, revoked) VALUES (?, ?, 0)";
constexpr const char* kAddRefreshToken =
    "INSERT INTO refresh_tokens (token_hash, session_id, spent, expires_at) VALUES (?, ?, 0, ?)";
constexpr const char* kRevokeSession = "UPDATE auth_sessions SET revoked = 1 WHERE id = ?";
constexpr const char* kDropSessionTokens = "DELETE FROM refresh_tokens WHERE session_id = ?";
constexpr const char* kSpendRefreshToken = "UPDATE refresh_tokens SET spent = 1 WHERE token_hash = ? AND spent = 0";
constexpr const char* kDropSpentTokens =
    "DELETE FROM refresh_tokens WHERE session_id = ? AND spent = 1 AND expires_at <= ?";
constexpr const char* kSessionOfToken = "SELECT session_id FROM refresh_tokens WHERE token_hash = ?";
constexpr const char* kSessionRevoked = "SELECT revoked FROM auth_sessions WHERE id = ?";

constexpr const char* kAccountColumns = "id, email, password_hash, name, birth_date, verified, created_at";

Account account_of(const SqlRow& r) { return Account{r.i(0), r.s(1), r.s(2), r.s(3), r.s(4), r.i(5) != 0, r.s(6)}; }

Error email_taken() { return make_error(ErrorCode::kEmailTaken, Subject::kEmail); }

}  // namespace

Result<Account> SqlStore::create_account(const Account& a, long long now, const std::string& created_at) {
  Account out;
  auto st = write_job(
      [&](SqlConnection& c) -> Status {
        if (!c.query(kAccountIdByEmail, {v(a.email)}).empty()) return email_taken();
        auto code = c.query(kCodeConfirmedUntil, {v(a.email)});
        const bool verified = !code.empty() && code[0].i(0) >= now;
        try {
          c.query("INSERT INTO accounts (email, password_hash, name, birth_date, verified, created_at)"
                  " VALUES (?, ?, ?, ?, ?, ?)",
                  {v(a.email), v(a.password_hash), v(a.name), v(a.birth_date), v(verified ? 1LL : 0LL), v(created_at)});
        } catch (const SqlError& e) {
          // Another instance inserted the same e-mail meanwhile: UNIQUE (email) decides.
          if (e.kind == SqlError::Kind::kUnique) return email_taken();
          throw;
        }
        out = a;
        out.id = c.last_insert_id();
        out.verified = verified;
        out.created_at = created_at;
        return Status::Ok();
      },
      a.email);
  if (!st.ok()) return st.error();
  return out;
}

Result<std::optional<Account>> SqlStore::account_by_email(const std::string& email) {
  std::optional<Account> out;
  auto st = read_job([&](SqlConnection& c) -> Status {
    auto rows = c.query(std::string("SELECT ") + kAccountColumns + " FROM accounts WHERE email = ?", {v(email)});
    if (!rows.empty()) out = account_of(rows[0]);
    return Status::Ok();
  });
  if (!st.ok()) return st.error();
  return out;
}

Result<std::optional<Account>> SqlStore::account_by_id(long long id) {
  std::optional<Account> out;
  auto st = read_job([&](SqlConnection& c) -> Status {
    auto rows = c.query(std::string("SELECT ") + kAccountColumns + " FROM accounts WHERE id = ?", {v(id)});
    if (!rows.empty()) out = account_of(rows[0]);
    return Status::Ok();
  });
  if (!st.ok()) return st.error();
  return out;
}

Status SqlStore::put_email_code(const std::string& email, const std::string& code_hash, long long expires_at) {
  return write_job(
      [&](SqlConnection& c) -> Status {
        auto update = [&] { c.query(kReplaceCode, {v(code_hash), v(expires_at), v(email)}); };
        if (!c.query(std::string("SELECT email FROM email_codes WHERE email = ?") + for_update(c), {v(email)})
                 .empty()) {
          update();
          return Status::Ok();
        }
        try {
          c.query(kAddCode, {v(email), v(code_hash), v(expires_at)});
        } catch (const SqlError& e) {
          if (e.kind != SqlError::Kind::kUnique) throw;
          update();  // another instance inserted it meanwhile
        }
        return Status::Ok();
      },
      email);
}

Result<CodeResult> SqlStore::check_email_code(const std::string& email, const std::string& code_hash, long long now,
                                              int max_tries, long long confirmed_until) {
  CodeResult out;
  auto st = write_job(
      [&](SqlConnection& c) -> Status {
        auto rows =
            c.query(std::string("SELECT code_hash, expires_at, tries FROM email_codes WHERE email = ?") + for_update(c),
                    {v(email)});
        out = CodeResult{CodeCheck::kExpired, 0};
        if (rows.empty() || rows[0].s(0).empty() || rows[0].i(1) <= now || rows[0].i(2) >= max_tries)
          return Status::Ok();
        const int tries = static_cast<int>(rows[0].i(2)) + 1;
        if (rows[0].s(0) != code_hash) {
          c.query(kSetCodeTries, {v(static_cast<long long>(tries)), v(email)});
          out = CodeResult{CodeCheck::kWrong, max_tries - tries};
          return Status::Ok();
        }
        c.query(kConfirmCode, {v(static_cast<long long>(tries)), v(confirmed_until), v(email)});
        c.query(kVerifyAccount, {v(email)});
        out = CodeResult{CodeCheck::kConfirmed, max_tries - tries};
        return Status::Ok();
      },
      email);
  if (!st.ok()) return st.error();
  return out;
}

Result<long long> SqlStore::open_session(long long account_id, const std::string& refresh_hash, long long expires_at,
                                         const std::string& created_at) {
  long long id = 0;
  auto st = write_job([&](SqlConnection& c) -> Status {
    c.query(kAddSession, {v(account_id), v(created_at)});
    id = c.last_insert_id();
    c.query(kAddRefreshToken, {v(refresh_hash), v(id), v(expires_at)});
    return Status::Ok();
  });
  if (!st.ok()) return st.error();
  return id;
}

Result<RefreshResult> SqlStore::rotate_refresh(const std::string& old_hash, const std::string& new_hash, long long now,
                                               long long new_expires_at) {
  RefreshResult out;
  auto st = write_job([&](SqlConnection& c) -> Status {
    out = RefreshResult{};
    auto rows = c.query(std::string("SELECT r.session_id, r.spent, r.expires_at, s.account_id, s.revoked"
                                    " FROM refresh_tokens r JOIN auth_sessions s ON s.id = r.session_id"
                                    " WHERE r.token_hash = ?") +
                            for_update(c),
                        {v(old_hash)});
    if (rows.empty()) return Status::Ok();
    const long long session = rows[0].i(0);
    out.session_id = session;
    out.account_id = rows[0].i(3);
    if (rows[0].i(4) != 0) return Status::Ok();  // the session was revoked
    auto revoke = [&] {
      c.query(kRevokeSession, {v(session)});
      c.query(kDropSessionTokens, {v(session)});
      out.state = RefreshState::kReused;
    };
    // A spent token presented again was copied: whoever holds it must lose the whole sign-in,
    // including the successor the legitimate holder may be using.
    if (rows[0].i(1) != 0) return revoke(), Status::Ok();
    if (rows[0].i(2) <= now) return Status::Ok();
    // The compare-and-set that makes each token work once, even against a transaction of another
    // instance that read the row before this one wrote it.
    c.query(kSpendRefreshToken, {v(old_hash)});
    if (c.changes() != 1) return revoke(), Status::Ok();
    c.query(kAddRefreshToken, {v(new_hash), v(session), v(new_expires_at)});
    // Spent tokens are kept to catch their reuse while they would still have been valid; after
    // that a copy is refused as unknown anyway, so the rows can go.
    c.query(kDropSpentTokens, {v(session), v(now)});
    out.state = RefreshState::kRotated;
    return Status::Ok();
  });
  if (!st.ok()) return st.error();
  return out;
}

Status SqlStore::revoke_session(long long session_id) {
  return write_job([&](SqlConnection& c) -> Status {
    c.query(kRevokeSession, {v(session_id)});
    // A revoked session's refresh tokens are refused as unknown from now on.
    c.query(kDropSessionTokens, {v(session_id)});
    return Status::Ok();
  });
}

Result<std::optional<long long>> SqlStore::session_of_refresh(const std::string& refresh_hash) {
  std::optional<long long> out;
  auto st = read_job([&](SqlConnection& c) -> Status {
    auto rows = c.query(kSessionOfToken, {v(refresh_hash)});
    if (!rows.empty()) out = rows[0].i(0);
    return Status::Ok();
  });
  if (!st.ok()) return st.error();
  return out;
}

Result<bool> SqlStore::session_active(long long session_id) {
  bool out = false;
  auto st = read_job([&](SqlConnection& c) -> Status {
    auto rows = c.query(kSessionRevoked, {v(session_id)});
    out = !rows.empty() && rows[0].i(0) == 0;
    return Status::Ok();
  });
  if (!st.ok()) return st.error();
  return out;
}

}  // namespace p720::store
