// Opens the store named by a URL: sqlite:PATH (embedded default) or mysql://user:pass@host:port/db.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "store/mysql_session.h"
#include "store/store.h"

namespace p720::store {

struct StoreOptions {
  // Record purchase and prize events in the outbox table (in the same transaction) for a relay
  // to publish; on when an event stream (Redis) is configured, off otherwise so the table does
  // not grow without a reader.
  bool outbox = false;
  // Parallel group-commit writers on MariaDB (SQLite always has one).
  int mysql_writers = 1;
  // How long a group-commit writer may wait for more purchases while buyers are concurrent
  // (SqlStore's linger); 0 = never.
  std::chrono::microseconds batch_linger{0};
  // MariaDB session limits (store.*-timeout-seconds, store.keepalive-seconds).
  MysqlSession mysql;
};

// Throws std::invalid_argument for a malformed URL, SqlError when the database cannot be opened.
std::unique_ptr<Store> open_store(const std::string& url, StoreOptions options = {});

}  // namespace p720::store
