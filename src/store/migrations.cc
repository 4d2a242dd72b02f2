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
           "CREATE TABLE ledger (id {ID}, user_id {TEXT} NOT NULL, kind VARCHAR(16) NOT NULL,"
           " amount BIGINT NOT NULL, balance_after BIGINT NOT NULL, ref VARCHAR(128) NOT NULL,"
           " created_at VARCHAR(40) NOT NULL)",
           "CREATE INDEX ledger_user ON ledger (user_id, id)",
           "CREATE TABLE cart_items (id {ID}, user_id {TEXT} NOT NULL, round INT NOT NULL,"
           " ticket INT NOT NULL, created_at VARCHAR(40) NOT NULL, UNIQUE (user_id, round, ticket))",
           "CREATE TABLE purchases (id {ID}, user_id {TEXT} NOT NULL, round INT NOT NULL,"
           " amount BIGINT NOT NULL, balance_after BIGINT NOT NULL, created_at VARCHAR(40) NOT NULL)",
           // UNIQUE (round, ticket) is the guarantee that no ticket is ever sold twice.
           "CREATE TABLE tickets (id {ID}, purchase_id BIGINT NOT NULL, user_id {TEXT} NOT NULL,"
           " round INT NOT NULL, ticket INT NOT NULL, created_at VARCHAR(40) NOT NULL,"
           " result INT NOT NULL DEFAULT 0, draw_date VARCHAR(10), UNIQUE (round, ticket))",
           "CREATE INDEX tickets_user ON tickets (user_id, round)",
           "CREATE INDEX tickets_purchase ON tickets (purchase_id)",
           "CREATE TABLE idempotency (user_id {TEXT} NOT NULL, idem_key VARCHAR(128) NOT NULL,"
           " request_hash VARCHAR(64) NOT NULL, purchase_id BIGINT NOT NULL, PRIMARY KEY (user_id, idem_key))",
           "CREATE TABLE draws (round INT PRIMARY KEY, grp INT NOT NULL, digits INT NOT NULL, bonus INT NOT NULL,"
           " draw_date VARCHAR(10) NOT NULL, settled INT NOT NULL DEFAULT 0)",
           "CREATE TABLE annuities (ticket_id BIGINT PRIMARY KEY, user_id {TEXT} NOT NULL, round INT NOT NULL,"
           " result INT NOT NULL, monthly BIGINT NOT NULL, months INT NOT NULL,"
           " first_payment_month VARCHAR(7) NOT NULL)",
           "CREATE INDEX annuities_user ON annuities (user_id)",
       }},
  };
  return all;
}

std::string render(std::string sql, Dialect d) {
  auto replace = [&](const std::string& from, const std::string& to) {
    for (size_t p; (p = sql.find(from)) != std::string::npos;) sql.replace(p, from.size(), to);
  };
  replace("{ID}", d == Dialect::kSqlite ? "INTEGER PRIMARY KEY AUTOINCREMENT" : "BIGINT PRIMARY KEY AUTO_INCREMENT");
  replace("{TEXT}", "VARCHAR(64)");
  return sql;
}

}  // namespace

int latest_schema_version() { return migrations().back().version; }

void apply_migrations(SqlConnection& conn) {
  conn.exec("CREATE TABLE IF NOT EXISTS schema_migrations (version INT PRIMARY KEY, applied_at VARCHAR(40))");
  for (const auto& m : migrations()) {
    conn.exec(conn.dialect() == Dialect::kSqlite ? "BEGIN IMMEDIATE" : "START TRANSACTION");
    try {
      auto rows = conn.query("SELECT version FROM schema_migrations WHERE version = ?", {SqlValue{(long long)m.version}});
      if (rows.empty()) {
        // Record the version first: on MariaDB a concurrent starter fails here on the primary
        // key instead of half-applying DDL (which MariaDB cannot roll back).
        conn.query("INSERT INTO schema_migrations (version, applied_at) VALUES (?, 'start')",
                   {SqlValue{(long long)m.version}});
        for (const auto& s : m.statements) conn.exec(render(s, conn.dialect()));
      }
      conn.exec("COMMIT");
    } catch (const SqlError& e) {
      try { conn.exec("ROLLBACK"); } catch (const SqlError&) {}
      if (e.kind != SqlError::Kind::kUnique) throw;
    }
  }
}

}  // namespace p720::store
