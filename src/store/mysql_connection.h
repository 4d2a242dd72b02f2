// SqlConnection over MariaDB Connector/C: text protocol with client-side escaping of `?`
// parameters, utf8mb4, READ COMMITTED, autocommit on. Errors map to SqlError kinds so the store
// can retry deadlocks and replace broken connections.
#pragma once

#include <mysql.h>

#include <string>
#include <utility>
#include <vector>

#include "store/mysql_session.h"
#include "store/sql.h"

namespace p720::store {

struct MysqlParams {
  std::string host = "127.0.0.1";  // the first of `nodes`
  unsigned port = 3306;
  // Every host:port the URL lists (mysql://u:p@h1:p1,h2:p2/db: the nodes of a Galera cluster).
  // A connection goes to the node the latest connection reached, or the next one that answers.
  std::vector<std::pair<std::string, unsigned>> nodes;
  std::string user;
  std::string password;
  std::string database;
  MysqlSession session;  // timeouts; not part of the URL
};

// Parses mysql://user:pass@host:port[,host:port...]/db (user and password percent-decoded; port
// defaults to 3306; password optional). Throws std::invalid_argument when malformed.
MysqlParams parse_mysql_url(const std::string& url);

// One connection to MariaDB. Not thread-safe: one per thread, like every SqlConnection.
//
// Isolation is READ COMMITTED: every statement sees the latest committed data, so a purchase's
// balance and limit count, read with the buyer's wallet row locked (FOR UPDATE), and the sold
// tickets read after that lock see what any other instance committed before it was granted. A
// ticket sold by a transaction still open is refused by UNIQUE (round, ticket) at the insert.
class MysqlConnection final : public SqlConnection {
 public:
  // Connects; when the database does not exist yet it is created (utf8mb4). Throws SqlError
  // (kConnection when the server cannot be reached).
  explicit MysqlConnection(const MysqlParams& params);
  ~MysqlConnection() override;
  MysqlConnection(const MysqlConnection&) = delete;
  MysqlConnection& operator=(const MysqlConnection&) = delete;

  Dialect dialect() const override { return Dialect::kMysql; }
  void exec(std::string_view sql) override;
  std::vector<SqlRow> query(std::string_view sql, const std::vector<SqlValue>& params) override;
  std::vector<std::vector<SqlRow>> query_multi(const std::vector<SqlStatement>& statements) override;
  long long changes() override { return changes_; }
  long long last_insert_id() override { return insert_id_; }
  void wait_for_locks(bool wait) override;

 private:
  void connect(const MysqlParams& params, bool with_db);
  void connect_to(const std::string& host, unsigned port, const MysqlParams& params, bool with_db);
  std::string bind(std::string_view sql, const std::vector<SqlValue>& params);
  void run(const std::string& sql);  // sends one or more statements; throws on error
  [[noreturn]] void fail(std::string_view what);
  static std::vector<SqlRow> rows_of(MYSQL_RES* res);  // converts and frees a stored result

  MYSQL* db_ = nullptr;
  int lock_wait_seconds_ = 0;  // the session's innodb_lock_wait_timeout while waiting is on
  bool waiting_ = true;
  long long changes_ = 0;
  long long insert_id_ = 0;
};

}  // namespace p720::store
