// A minimal SQL connection interface shared by the SQLite and MariaDB adapters, so the store's
// transaction logic (sql_store.cc) is written once. Not thread-safe: one connection per thread.
#pragma once

#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace p720::store {

using SqlValue = std::variant<std::monostate, long long, std::string>;

struct SqlRow {
  std::vector<SqlValue> cols;
  long long i(size_t n) const { return cols.at(n).index() == 1 ? std::get<1>(cols[n]) : 0; }
  std::string s(size_t n) const { return cols.at(n).index() == 2 ? std::get<2>(cols[n]) : std::string(); }
  bool null(size_t n) const { return cols.at(n).index() == 0; }
};

// Thrown by connections; the store converts it to a Status at its boundary.
struct SqlError : std::runtime_error {
  // kFull: the database's disk is full (SQLITE_FULL, MariaDB 1021/1114); nothing was written.
  // kLockWait: a statement waited too long for another transaction's lock (MariaDB 1205); only
  // that statement was rolled back, the transaction goes on (innodb_rollback_on_timeout OFF).
  // kRetry: the transaction was rolled back (deadlock) or could not start (SQLite busy).
  enum class Kind { kUnique, kRetry, kLockWait, kConnection, kFull, kOther };
  SqlError(Kind k, const std::string& what) : std::runtime_error(what), kind(k) {}
  Kind kind;
};

enum class Dialect { kSqlite, kMysql };

// One statement with `?` placeholders and their values.
struct SqlStatement {
  std::string sql;
  std::vector<SqlValue> params;
};

class SqlConnection {
 public:
  virtual ~SqlConnection() = default;
  virtual Dialect dialect() const = 0;
  // Runs one or more statements without parameters or results.
  virtual void exec(std::string_view sql) = 0;
  // Runs one statement with `?` placeholders; returns its rows (empty for writes).
  virtual std::vector<SqlRow> query(std::string_view sql, const std::vector<SqlValue>& params = {}) = 0;
  // Calls `row` for each result row. The default collects them with query(); an adapter may
  // stream. `row` must not use this connection.
  virtual void each(std::string_view sql, const std::vector<SqlValue>& params,
                    const std::function<void(SqlRow&)>& row) {
    for (auto& r : query(sql, params)) row(r);
  }
  // Sends several statements in one round trip and returns the rows of every statement that
  // produced a result set, in order; stops at the first that fails (throws). MariaDB only (used
  // for batches of stored-procedure calls); SQLite throws SqlError(kOther).
  virtual std::vector<std::vector<SqlRow>> query_multi(const std::vector<SqlStatement>& statements) {
    (void)statements;
    throw SqlError(SqlError::Kind::kOther, "query_multi is not supported by this connection");
  }
  // Called by a store's writer between transactions, for upkeep the engine needs (SQLite: keep
  // the WAL from growing without bound). Nothing by default.
  virtual void maintain() {}
  // One round of the upkeep a background thread does on a connection of its own, when the
  // dialect asks for one (SQLite: WAL checkpoints). True when the writer should now finish it:
  // finish_upkeep() between two batches. Nothing by default.
  virtual bool background_upkeep() { return false; }
  virtual void finish_upkeep() {}
  // Whether a statement waits for a lock another transaction holds (up to the configured
  // timeout) or fails at once with kLockWait. On until turned off; MariaDB only.
  virtual void wait_for_locks(bool wait) { (void)wait; }
  // Rows changed by the last write statement.
  virtual long long changes() = 0;
  // Rows changed by every write statement since the connection opened (SQLite); -1 where the
  // adapter does not count them.
  virtual long long total_changes() { return -1; }
  virtual long long last_insert_id() = 0;
};

}  // namespace p720::store
