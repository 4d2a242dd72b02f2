// MariaDB adapter for SqlConnection.
#include "store/mysql_connection.h"

#include <errmsg.h>
#include <mysqld_error.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <atomic>
#include <cctype>
#include <cstdlib>
#include <stdexcept>

namespace p720::store {
namespace {

std::string percent_decode(std::string_view s) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    if (i + 2 >= s.size() || hex(s[i + 1]) < 0 || hex(s[i + 2]) < 0)
      throw std::invalid_argument("bad %-escape in mysql URL");
    out += static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2]));
    i += 2;
  }
  return out;
}

bool integer_field(const MYSQL_FIELD& f) {
  switch (f.type) {
    case MYSQL_TYPE_TINY:
    case MYSQL_TYPE_SHORT:
    case MYSQL_TYPE_LONG:
    case MYSQL_TYPE_INT24:
    case MYSQL_TYPE_LONGLONG:
    case MYSQL_TYPE_YEAR: return true;
    case MYSQL_TYPE_DECIMAL:
    case MYSQL_TYPE_NEWDECIMAL: return f.decimals == 0;  // SUM and COUNT of integers
    default: return false;
  }
}

SqlError::Kind kind_of(unsigned code) {
  switch (code) {
    case ER_DUP_ENTRY:
    case ER_DUP_ENTRY_WITH_KEY_NAME: return SqlError::Kind::kUnique;
    case ER_LOCK_DEADLOCK:  // also Galera's certification conflict (another node's commit won)
      return SqlError::Kind::kRetry;
    case ER_LOCK_WAIT_TIMEOUT: return SqlError::Kind::kLockWait;
    case ER_DISK_FULL:
    case ER_RECORD_FILE_FULL: return SqlError::Kind::kFull;
    case CR_CONNECTION_ERROR:
    case CR_CONN_HOST_ERROR:
    case CR_UNKNOWN_HOST:
    case CR_SERVER_GONE_ERROR:
    case CR_SERVER_LOST:
    case CR_SERVER_LOST_EXTENDED:
    case CR_COMMANDS_OUT_OF_SYNC:
    case ER_CONNECTION_KILLED:
    case ER_SERVER_SHUTDOWN:
    case ER_UNKNOWN_COM_ERROR:  // 1047 from Galera: this node left the primary component
    case 4031:                  // ER_CLIENT_INTERACTION_TIMEOUT: the server closed an idle connection
      return SqlError::Kind::kConnection;
    default: return SqlError::Kind::kOther;
  }
}

}  // namespace

MysqlParams parse_mysql_url(const std::string& url) {
  const std::string scheme = "mysql://";
  if (url.rfind(scheme, 0) != 0) throw std::invalid_argument("not a mysql:// URL: " + url);
  std::string rest = url.substr(scheme.size());
  MysqlParams p;
  const auto at = rest.rfind('@');
  if (at == std::string::npos) throw std::invalid_argument("mysql URL needs user@host: mysql://user:pass@host:port/db");
  const std::string cred = rest.substr(0, at);
  rest = rest.substr(at + 1);
  const auto colon = cred.find(':');
  p.user = percent_decode(cred.substr(0, colon));
  if (colon != std::string::npos) p.password = percent_decode(cred.substr(colon + 1));
  const auto slash = rest.find('/');
  if (slash == std::string::npos || slash + 1 >= rest.size())
    throw std::invalid_argument("mysql URL needs a database: mysql://user:pass@host:port/db");
  p.database = rest.substr(slash + 1);
  if (auto q = p.database.find('?'); q != std::string::npos) p.database.resize(q);
  const std::string hosts = rest.substr(0, slash);
  for (size_t from = 0;;) {
    const size_t comma = hosts.find(',', from);
    std::string hostport = hosts.substr(from, comma == std::string::npos ? std::string::npos : comma - from);
    unsigned port_number = 3306;
    if (auto c = hostport.rfind(':'); c != std::string::npos) {
      const std::string port = hostport.substr(c + 1);
      char* end = nullptr;
      long n = std::strtol(port.c_str(), &end, 10);
      if (port.empty() || *end != '\0' || n <= 0 || n > 65535) throw std::invalid_argument("bad port in mysql URL");
      port_number = static_cast<unsigned>(n);
      hostport.resize(c);
    }
    if (hostport.empty()) throw std::invalid_argument("mysql URL needs a host");
    p.nodes.emplace_back(hostport, port_number);
    if (comma == std::string::npos) break;
    from = comma + 1;
  }
  p.host = p.nodes.front().first;
  p.port = p.nodes.front().second;
  if (p.user.empty()) throw std::invalid_argument("mysql URL needs a user");
  for (char ch : p.database)
    if (!(std::isalnum(static_cast<unsigned char>(ch)) || ch == '_'))
      throw std::invalid_argument("mysql database name may use only letters, digits and _: " + p.database);
  return p;
}

MysqlConnection::MysqlConnection(const MysqlParams& params) {
  try {
    try {
      connect(params, true);
    } catch (const SqlError&) {
      const bool missing_db = db_ && mysql_errno(db_) == ER_BAD_DB_ERROR;
      if (!missing_db) throw;
      // First start against an empty server: create the database, then use it.
      mysql_close(db_);
      db_ = nullptr;
      connect(params, false);
      run("CREATE DATABASE IF NOT EXISTS `" + params.database + "` CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin");
      if (mysql_select_db(db_, params.database.c_str()) != 0) fail("select database");
    }
    // READ COMMITTED: see the class comment. The session limits (MysqlSession) bound how long
    // this session waits for another's locks, and how long its own locks outlive this process
    // or its network when it stops talking in the middle of a transaction.
    const MysqlSession& s = params.session;
    lock_wait_seconds_ = s.lock_wait_seconds;
    run("SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED; SET SESSION innodb_lock_wait_timeout = " +
        std::to_string(s.lock_wait_seconds) +
        ", SESSION idle_transaction_timeout = " + std::to_string(s.idle_transaction_seconds) +
        ", SESSION wait_timeout = " + std::to_string(s.idle_connection_seconds));
    // A lock-wait timeout must undo only its statement (the store then drops that purchase and
    // keeps the batch): with innodb_rollback_on_timeout the whole transaction would be gone and
    // the batch's later statements would commit one by one.
    const auto rows = query("SELECT @@innodb_rollback_on_timeout", {});
    if (!rows.empty() && rows[0].i(0) != 0)
      throw SqlError(SqlError::Kind::kOther, "MariaDB runs with innodb_rollback_on_timeout=ON; pension720 needs OFF");
  } catch (...) {
    // The destructor does not run for a constructor that throws.
    if (db_) mysql_close(db_);
    db_ = nullptr;
    throw;
  }
}

MysqlConnection::~MysqlConnection() {
  if (db_) mysql_close(db_);
}

void MysqlConnection::connect(const MysqlParams& p, bool with_db) {
  if (p.nodes.size() <= 1) return connect_to(p.host, p.port, p, with_db);
  // Several nodes: start at the one the latest connection (of any thread) reached, so every
  // connection of the process writes to one node while it lives (fewer certification conflicts
  // than spreading them), and move on to the next when it does not answer or is not synced.
  static std::atomic<size_t> preferred{0};
  const size_t n = p.nodes.size(), first = preferred.load() % n;
  for (size_t k = 0;; ++k) {
    const size_t i = (first + k) % n;
    try {
      connect_to(p.nodes[i].first, p.nodes[i].second, p, with_db);
      preferred.store(i);
      return;
    } catch (const SqlError& e) {
      if (e.kind != SqlError::Kind::kConnection || k + 1 == n) throw;
      if (db_) mysql_close(db_);
      db_ = nullptr;
    }
  }
}

void MysqlConnection::connect_to(const std::string& host, unsigned port, const MysqlParams& p, bool with_db) {
  // The library's global init is not guaranteed thread-safe; a function-local static is.
  static const bool library_ready = mysql_library_init(0, nullptr, nullptr) == 0;
  if (!library_ready) throw SqlError(SqlError::Kind::kConnection, "mysql_library_init failed");
  db_ = mysql_init(nullptr);
  if (!db_) throw SqlError(SqlError::Kind::kConnection, "mysql_init: out of memory");
  unsigned connect_timeout = 5, io_timeout = static_cast<unsigned>(p.session.io_timeout_seconds);
  mysql_options(db_, MYSQL_OPT_CONNECT_TIMEOUT, &connect_timeout);
  mysql_options(db_, MYSQL_OPT_READ_TIMEOUT, &io_timeout);
  mysql_options(db_, MYSQL_OPT_WRITE_TIMEOUT, &io_timeout);
  mysql_options(db_, MYSQL_SET_CHARSET_NAME, "utf8mb4");
  // Affected rows = matched rows, as in SQLite, so `UPDATE ... WHERE balance >= ?` reports 1
  // even when the new value equals the old.
  if (!mysql_real_connect(db_, host.c_str(), p.user.c_str(), p.password.c_str(), with_db ? p.database.c_str() : nullptr,
                          port, nullptr, CLIENT_FOUND_ROWS | CLIENT_MULTI_STATEMENTS)) {
    const unsigned code = mysql_errno(db_);
    const std::string msg = "mysql connect " + host + ":" + std::to_string(port) + ": " + mysql_error(db_);
    // Keep db_ open so the caller can read the error code; a bad database is recoverable.
    throw SqlError(code == ER_BAD_DB_ERROR ? SqlError::Kind::kOther : SqlError::Kind::kConnection, msg);
  }
  if (const int idle = p.session.keepalive_seconds; idle > 0) {
    // A peer host that vanished (power, network) sends no FIN: keepalive probes find out. Best
    // effort: a socket that refuses them still has the read timeout.
    const int fd = static_cast<int>(mysql_get_socket(db_));
    const int on = 1, interval = 1, probes = 3;
    const unsigned user_timeout_ms = static_cast<unsigned>(idle + interval * probes) * 1000;
    setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on);
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof interval);
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &probes, sizeof probes);
    // Unacknowledged data (a query sent into a dead network) fails as fast.
    setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &user_timeout_ms, sizeof user_timeout_ms);
  }
  // A Galera node: refuse one that is not synced with the primary component (it would answer
  // every statement with 1047), and read causally: every read sees what any node committed
  // before it began — a writer that failed over re-reads its commit mark on another node.
  if (mysql_query(db_, "SELECT @@wsrep_on") != 0) return;  // not a wsrep build: nothing to do
  bool wsrep = false;
  if (MYSQL_RES* res = mysql_store_result(db_)) {
    MYSQL_ROW row = mysql_fetch_row(res);
    wsrep = row && row[0] && std::string(row[0]) == "1";
    mysql_free_result(res);
  }
  if (!wsrep) return;
  bool ready = false;
  if (mysql_query(db_, "SHOW STATUS LIKE 'wsrep_ready'") == 0)
    if (MYSQL_RES* res = mysql_store_result(db_)) {
      MYSQL_ROW row = mysql_fetch_row(res);
      ready = row && row[1] && std::string(row[1]) == "ON";
      mysql_free_result(res);
    }
  if (!ready)
    throw SqlError(SqlError::Kind::kConnection,
                   "mysql " + host + ":" + std::to_string(port) + ": Galera node not ready");
  if (mysql_query(db_, "SET SESSION wsrep_sync_wait = 1") != 0) fail("set wsrep_sync_wait");
}

void MysqlConnection::wait_for_locks(bool wait) {
  if (wait == waiting_) return;
  run("SET SESSION innodb_lock_wait_timeout = " + std::to_string(wait ? lock_wait_seconds_ : 0));
  waiting_ = wait;
}

void MysqlConnection::fail(std::string_view what) {
  const unsigned code = mysql_errno(db_);
  std::string sql(what.substr(0, 200));
  throw SqlError(kind_of(code), "mysql error " + std::to_string(code) + " (" + mysql_error(db_) + ") in: " + sql);
}

void MysqlConnection::run(const std::string& sql) {
  if (mysql_real_query(db_, sql.data(), sql.size()) != 0) fail(sql);
  // Drain every result of a multi-statement text so the connection stays in sync.
  for (;;) {
    if (MYSQL_RES* res = mysql_store_result(db_)) mysql_free_result(res);
    else if (mysql_field_count(db_) != 0) fail(sql);
    const int next = mysql_next_result(db_);
    if (next == -1) break;
    if (next > 0) fail(sql);
  }
}

void MysqlConnection::exec(std::string_view sql) { run(std::string(sql)); }

std::string MysqlConnection::bind(std::string_view sql, const std::vector<SqlValue>& params) {
  std::string out;
  out.reserve(sql.size() + params.size() * 8);
  size_t next = 0;
  char quote = 0;
  for (char ch : sql) {
    if (quote) {
      if (ch == quote) quote = 0;
      out += ch;
    } else if (ch == '\'' || ch == '"' || ch == '`') {
      quote = ch;
      out += ch;
    } else if (ch == '?') {
      if (next >= params.size()) throw SqlError(SqlError::Kind::kOther, "too few parameters for: " + std::string(sql));
      const auto& p = params[next++];
      if (p.index() == 1) {
        out += std::to_string(std::get<1>(p));
      } else if (p.index() == 2) {
        const auto& s = std::get<2>(p);
        std::string buf(s.size() * 2 + 1, '\0');
        // Escapes for the connection's character set and honours NO_BACKSLASH_ESCAPES.
        const unsigned long n = mysql_real_escape_string(db_, buf.data(), s.data(), s.size());
        out += '\'';
        out.append(buf.data(), n);
        out += '\'';
      } else {
        out += "NULL";
      }
    } else {
      out += ch;
    }
  }
  if (next != params.size()) throw SqlError(SqlError::Kind::kOther, "too many parameters for: " + std::string(sql));
  return out;
}

std::vector<SqlRow> MysqlConnection::rows_of(MYSQL_RES* res) {
  struct Free {  // NOLINT(cppcoreguidelines-special-member-functions): a scope guard, never copied
    MYSQL_RES* r;
    ~Free() { mysql_free_result(r); }
  } guard{res};
  std::vector<SqlRow> rows;
  const unsigned n = mysql_num_fields(res);
  MYSQL_FIELD* fields = mysql_fetch_fields(res);
  rows.reserve(mysql_num_rows(res));
  while (MYSQL_ROW r = mysql_fetch_row(res)) {
    unsigned long* len = mysql_fetch_lengths(res);
    SqlRow row;
    row.cols.reserve(n);
    for (unsigned c = 0; c < n; ++c) {
      if (!r[c]) row.cols.emplace_back(std::monostate{});
      else if (integer_field(fields[c])) row.cols.emplace_back(std::strtoll(r[c], nullptr, 10));
      else row.cols.emplace_back(std::string(r[c], len[c]));
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

std::vector<SqlRow> MysqlConnection::query(std::string_view sql, const std::vector<SqlValue>& params) {
  const std::string text = bind(sql, params);
  if (mysql_real_query(db_, text.data(), text.size()) != 0) fail(text);
  MYSQL_RES* res = mysql_store_result(db_);
  if (!res) {
    if (mysql_field_count(db_) != 0) fail(text);
    changes_ = static_cast<long long>(mysql_affected_rows(db_));
    if (auto id = mysql_insert_id(db_); id != 0) insert_id_ = static_cast<long long>(id);
    return {};
  }
  return rows_of(res);
}

std::vector<std::vector<SqlRow>> MysqlConnection::query_multi(const std::vector<SqlStatement>& statements) {
  std::string sql;
  for (const auto& s : statements) {
    if (!sql.empty()) sql += ';';
    sql += bind(s.sql, s.params);
  }
  if (mysql_real_query(db_, sql.data(), sql.size()) != 0) fail(sql);
  std::vector<std::vector<SqlRow>> out;
  // Every result must be read, even after an error, or the connection falls out of sync;
  // the server stops at the first failing statement, which mysql_next_result reports.
  for (;;) {
    if (MYSQL_RES* res = mysql_store_result(db_)) out.push_back(rows_of(res));
    else if (mysql_field_count(db_) != 0) fail(sql);
    const int next = mysql_next_result(db_);
    if (next == -1) break;
    if (next > 0) fail(sql);
  }
  return out;
}

}  // namespace p720::store
