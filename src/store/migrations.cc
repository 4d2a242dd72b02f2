// Schema of pension720. Statements are written once with two dialect placeholders:
// {ID} an auto-increment 64-bit primary key, {TEXT} a short indexed string.
#include "store/migrations.h"

#include <string>
#include <vector>

namespace p720::store {
namespace {

struct Migration {
  int version;
  std::vector<std::string> statements;
};

const std::vector<Migration>& migrations() {
  static const std::vector<Migration> all = {
      {1,
       {
           "CREATE TABLE wallets (user_id {TEXT} PRIMARY KEY, balance BIGINT NOT NULL)",
           ("CREATE TABLE ledger (id {ID}, user_id {TEXT} NOT NULL, kind VARCHAR(16) NOT NULL,"
            " amount BIGINT NOT NULL, balance_after BIGINT NOT NULL, ref VARCHAR(128) NOT NULL,"
            " created_at VARCHAR(40) NOT NULL)"),
           "CREATE INDEX ledger_user ON ledger (user_id, id)",
           ("CREATE TABLE cart_items (id {ID}, user_id {TEXT} NOT NULL, round INT NOT NULL,"
            " ticket INT NOT NULL, created_at VARCHAR(40) NOT NULL, UNIQUE (user_id, round, ticket))"),
           ("CREATE TABLE purchases (id {ID}, user_id {TEXT} NOT NULL, round INT NOT NULL,"
            " amount BIGINT NOT NULL, balance_after BIGINT NOT NULL, created_at VARCHAR(40) NOT NULL)"),
           // UNIQUE (round, ticket) is the guarantee that no ticket is ever sold twice.
           // result is written for winners only (> 0); 0 on a settled round means no prize (-1).
           ("CREATE TABLE tickets (id {ID}, purchase_id BIGINT NOT NULL, user_id {TEXT} NOT NULL,"
            " round INT NOT NULL, ticket INT NOT NULL, created_at VARCHAR(40) NOT NULL,"
            " result INT NOT NULL DEFAULT 0, UNIQUE (round, ticket))"),
           "CREATE INDEX tickets_user ON tickets (user_id, round)",
           "CREATE INDEX tickets_purchase ON tickets (purchase_id)",
           ("CREATE TABLE idempotency (user_id {TEXT} NOT NULL, idem_key VARCHAR(128) NOT NULL,"
            " request_hash VARCHAR(64) NOT NULL, purchase_id BIGINT NOT NULL, PRIMARY KEY (user_id, idem_key))"),
           ("CREATE TABLE draws (round INT PRIMARY KEY, grp INT NOT NULL, digits INT NOT NULL, bonus INT NOT NULL,"
            " draw_date VARCHAR(10) NOT NULL, settled INT NOT NULL DEFAULT 0)"),
           ("CREATE TABLE annuities (ticket_id BIGINT PRIMARY KEY, user_id {TEXT} NOT NULL, round INT NOT NULL,"
            " result INT NOT NULL, monthly BIGINT NOT NULL, months INT NOT NULL,"
            " first_payment_month VARCHAR(7) NOT NULL)"),
           "CREATE INDEX annuities_user ON annuities (user_id)",
           ("CREATE TABLE draw_winners (round INT NOT NULL, result INT NOT NULL, winners BIGINT NOT NULL,"
            " PRIMARY KEY (round, result))"),
           // Tickets owned per user and round, so the per-round limit is one row, not a count.
           ("CREATE TABLE user_rounds (user_id {TEXT} NOT NULL, round INT NOT NULL, tickets INT NOT NULL,"
            " PRIMARY KEY (user_id, round))"),
       }},
      {2,
       {
           // Transactional outbox: events written in the same transaction as the purchase or
           // prize they describe; a relay publishes them (Redis stream) and deletes them.
           ("CREATE TABLE outbox (id {ID}, kind VARCHAR(16) NOT NULL, payload TEXT NOT NULL,"
            " created_at VARCHAR(40) NOT NULL)"),
       }},
      {3,
       {
           // Accounts and sign-in. Only hashes: Argon2id for passwords, HMAC-SHA-256 for e-mail
           // codes, SHA-256 for refresh tokens. Times are Unix seconds of the service clock.
           ("CREATE TABLE accounts (id {ID}, email VARCHAR(254) NOT NULL UNIQUE, password_hash VARCHAR(255) NOT NULL,"
            " name VARCHAR(200) NOT NULL, birth_date VARCHAR(10) NOT NULL, verified INT NOT NULL DEFAULT 0,"
            " created_at VARCHAR(40) NOT NULL)"),
           ("CREATE TABLE email_codes (email VARCHAR(254) PRIMARY KEY, code_hash VARCHAR(64) NOT NULL,"
            " expires_at BIGINT NOT NULL, tries INT NOT NULL, confirmed_until BIGINT NOT NULL DEFAULT 0)"),
           ("CREATE TABLE auth_sessions (id {ID}, account_id BIGINT NOT NULL, created_at VARCHAR(40) NOT NULL,"
            " revoked INT NOT NULL DEFAULT 0)"),
           ("CREATE TABLE refresh_tokens (token_hash VARCHAR(64) PRIMARY KEY, session_id BIGINT NOT NULL,"
            " spent INT NOT NULL DEFAULT 0, expires_at BIGINT NOT NULL)"),
           "CREATE INDEX refresh_tokens_session ON refresh_tokens (session_id)",
       }},
      {4,
       {
           // One row per writer thread: every write transaction sets its writer's seq just before
           // COMMIT, so when a commit's reply is lost, reading the row says whether it committed
           // (SqlStore::committed; SPEC §4, no buyer told "failed" when it took effect).
           "CREATE TABLE commit_marks (writer BIGINT PRIMARY KEY, seq BIGINT NOT NULL)",
       }},
      {5,
       {
           // Annuity installments (SPEC "Annuity installments and tax"). The primary key
           // (ticket_id, for_month) is what makes a second payment of an installment impossible,
           // whatever instances, crashes and retries do. paid_month: the KST month it was paid
           // in, which is the month its tax is withheld in (admin/tax).
           ("CREATE TABLE annuity_payments (ticket_id BIGINT NOT NULL, for_month VARCHAR(7) NOT NULL,"
            " user_id {TEXT} NOT NULL, gross BIGINT NOT NULL, income_tax BIGINT NOT NULL, local_tax BIGINT NOT NULL,"
            " ledger_id BIGINT NOT NULL, paid_at VARCHAR(40) NOT NULL, paid_month VARCHAR(7) NOT NULL,"
            " PRIMARY KEY (ticket_id, for_month))"),
           "CREATE INDEX annuity_payments_paid_month ON annuity_payments (paid_month)",
           // One-time prizes that had tax withheld at settlement (those up to tax.free-up-to have
           // no row): one row per ticket.
           ("CREATE TABLE prize_taxes (ticket_id BIGINT PRIMARY KEY, round INT NOT NULL, user_id {TEXT} NOT NULL,"
            " gross BIGINT NOT NULL, income_tax BIGINT NOT NULL, local_tax BIGINT NOT NULL,"
            " paid_month VARCHAR(7) NOT NULL, created_at VARCHAR(40) NOT NULL)"),
           "CREATE INDEX prize_taxes_paid_month ON prize_taxes (paid_month)",
           // Gross and tax of a PRIZE or INSTALLMENT ledger line, whose amount is the net.
           ("CREATE TABLE ledger_tax (ledger_id BIGINT PRIMARY KEY, gross BIGINT NOT NULL, income_tax BIGINT NOT NULL,"
            " local_tax BIGINT NOT NULL)"),
           // Leases: one instance at a time runs a job (the annuity payer). expires_at: Unix
           // seconds of the real clock.
           ("CREATE TABLE leases (name VARCHAR(32) PRIMARY KEY, holder VARCHAR(64) NOT NULL, expires_at BIGINT NOT "
            "NULL)"),
       }},
      {6,
       {
           // Deposits through the payment provider: one row per order, amount fixed by the
           // server. status PENDING → DONE (credited, in the same transaction) or FAILED; the
           // provider's word that a payment is DONE wins even over FAILED (the money was taken).
           ("CREATE TABLE payment_orders (order_id VARCHAR(64) PRIMARY KEY, user_id {TEXT} NOT NULL,"
            " amount BIGINT NOT NULL, status VARCHAR(16) NOT NULL, payment_key VARCHAR(200) NOT NULL DEFAULT '',"
            " message VARCHAR(255) NOT NULL DEFAULT '', created_at VARCHAR(40) NOT NULL,"
            " settled_at VARCHAR(40) NOT NULL DEFAULT '')"),
           "CREATE INDEX payment_orders_status ON payment_orders (status, created_at)",
           // Withdrawals: debited when requested; REQUESTED → PAID, or FAILED with its refund.
           ("CREATE TABLE withdrawals (id {ID}, user_id {TEXT} NOT NULL, amount BIGINT NOT NULL,"
            " bank_code VARCHAR(16) NOT NULL, account_number VARCHAR(32) NOT NULL, holder_name VARCHAR(100) NOT NULL,"
            " status VARCHAR(16) NOT NULL, reason VARCHAR(255) NOT NULL DEFAULT '', balance_after BIGINT NOT NULL,"
            " created_at VARCHAR(40) NOT NULL, updated_at VARCHAR(40) NOT NULL)"),
           "CREATE INDEX withdrawals_user ON withdrawals (user_id, id)",
           "CREATE INDEX withdrawals_status ON withdrawals (status, id)",
           ("CREATE TABLE withdrawal_keys (user_id {TEXT} NOT NULL, idem_key VARCHAR(128) NOT NULL,"
            " request_hash VARCHAR(64) NOT NULL, withdrawal_id BIGINT NOT NULL, PRIMARY KEY (user_id, idem_key))"),
       }},
      {7,
       {
           // The tickets a buyer owns in the round it bought in last, kept in its wallet row, so
           // that a purchase changes one row of the buyer's instead of two (wallet and
           // user_rounds): one random B-tree leaf fewer per purchase in each commit. Tickets
           // owned in round R = user_rounds.tickets of R + (cur_round = R ? cur_round_tickets : 0);
           // SQLite keeps the current round in the wallet (purchase_tx), MariaDB's writes keep
           // every round in user_rounds (cur_round stays 0), and rows written before this
           // migration are in user_rounds: the sum is right for all of them.
           "ALTER TABLE wallets ADD COLUMN cur_round INT NOT NULL DEFAULT 0",
           "ALTER TABLE wallets ADD COLUMN cur_round_tickets INT NOT NULL DEFAULT 0",
       }},
  };
  return all;
}

std::string render(std::string sql, Dialect d) {
  auto replace = [&](const std::string& from, const std::string& to) {
    for (size_t p = 0; (p = sql.find(from, p)) != std::string::npos; p += to.size()) sql.replace(p, from.size(), to);
  };
  replace("{ID}", d == Dialect::kSqlite ? "INTEGER PRIMARY KEY AUTOINCREMENT" : "BIGINT PRIMARY KEY AUTO_INCREMENT");
  replace("{TEXT}", "VARCHAR(64)");
  if (d == Dialect::kMysql) {
    // MariaDB cannot roll DDL back, so a start that died midway re-runs the statements of its
    // migration: they must be idempotent. Binary, no-pad collation compares ids exactly as SQLite.
    const bool table = sql.rfind("CREATE TABLE ", 0) == 0;
    replace("CREATE TABLE ", "CREATE TABLE IF NOT EXISTS ");
    replace("CREATE INDEX ", "CREATE INDEX IF NOT EXISTS ");
    replace(" ADD COLUMN ", " ADD COLUMN IF NOT EXISTS ");
    if (table) sql += " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin";
  }
  return sql;
}

void apply_sqlite(SqlConnection& conn) {
  conn.exec("CREATE TABLE IF NOT EXISTS schema_migrations (version INT PRIMARY KEY, applied_at VARCHAR(40))");
  for (const auto& m : migrations()) {
    // SQLite DDL is transactional: each migration applies whole or not at all.
    conn.exec("BEGIN IMMEDIATE");
    try {
      auto rows =
          conn.query("SELECT version FROM schema_migrations WHERE version = ?", {SqlValue{(long long)m.version}});
      if (rows.empty()) {
        for (const auto& s : m.statements) conn.exec(render(s, conn.dialect()));
        conn.query("INSERT INTO schema_migrations (version, applied_at) VALUES (?, 'applied')",
                   {SqlValue{(long long)m.version}});
      }
      conn.exec("COMMIT");
    } catch (const SqlError&) {
      try {
        conn.exec("ROLLBACK");
      } catch (const SqlError&) {
      }
      throw;
    }
  }
}

void apply_mysql(SqlConnection& conn) {
  // DDL commits implicitly on MariaDB, so transactions cannot keep two starting instances
  // apart: a named server lock does. It is released when the connection closes, too.
  // Asked for 5 s at a time, so no wait comes near the client's read timeout (store.io-timeout-seconds).
  bool locked = false;
  for (int attempt = 0; attempt < 12 && !locked; ++attempt) {
    auto got = conn.query("SELECT GET_LOCK('pension720_migrations', 5)", {});
    locked = !got.empty() && !got[0].null(0) && got[0].i(0) == 1;
  }
  if (!locked) throw SqlError(SqlError::Kind::kOther, "could not take the migration lock within 60 s");
  try {
    conn.exec("CREATE TABLE IF NOT EXISTS schema_migrations (version INT PRIMARY KEY, applied_at VARCHAR(40))"
              " ENGINE=InnoDB");
    for (const auto& m : migrations()) {
      auto rows =
          conn.query("SELECT version FROM schema_migrations WHERE version = ?", {SqlValue{(long long)m.version}});
      if (!rows.empty()) continue;
      for (const auto& s : m.statements) conn.exec(render(s, conn.dialect()));
      // Recorded last: a crash before this line re-runs the (idempotent) statements.
      conn.query("INSERT INTO schema_migrations (version, applied_at) VALUES (?, 'applied')",
                 {SqlValue{(long long)m.version}});
    }
  } catch (const SqlError&) {
    try {
      conn.query("SELECT RELEASE_LOCK('pension720_migrations')", {});
    } catch (const SqlError&) {
    }
    throw;
  }
  conn.query("SELECT RELEASE_LOCK('pension720_migrations')", {});
}

}  // namespace

int latest_schema_version() { return migrations().back().version; }
size_t migration_count() { return migrations().size(); }

void apply_migrations(SqlConnection& conn) {
  if (conn.dialect() == Dialect::kSqlite) apply_sqlite(conn);
  else apply_mysql(conn);
}

}  // namespace p720::store
