// What differs between SQLite and MariaDB for the store, behind one small interface: one file per
// dialect (sqlite_dialect.cc, mysql_dialect.cc). The store and the write engine ask it instead of
// testing which database they run on. Stateless and immutable: safe to share between threads.
#pragma once

#include <string>
#include <string_view>

#include "store/sql.h"

namespace p720::store {

class SqlDialect {
 public:
  virtual ~SqlDialect() = default;
  virtual Dialect id() const = 0;

  // --- Transactions -------------------------------------------------------------------------
  // Opens a write transaction (SQLite takes the write lock at once: BEGIN IMMEDIATE).
  virtual std::string_view begin_write() const = 0;
  // Opens a read transaction in which every statement sees the same instant (connections run
  // READ COMMITTED on MariaDB, where a snapshot lasts one statement). The caller COMMITs.
  virtual void begin_snapshot(SqlConnection& c) const = 0;
  // Runs `last` and commits the open transaction: one round trip on MariaDB.
  virtual void commit_after(SqlConnection& c, const SqlStatement& last) const = 0;
  // Only one writer at a time (SQLite): more writer threads would only queue on its lock, and a
  // transaction's reads stay true until it commits (a purchase may decide before it writes).
  virtual bool single_writer() const = 0;
  // Whether a background thread runs SqlConnection::background_upkeep now and then on its own
  // connection (SQLite: WAL checkpoints, so the writer's commits never stall on one).
  virtual bool background_upkeep() const = 0;
  // Whether a multi-row INSERT numbers its rows first, first+1, ... (MariaDB with consecutive
  // auto-increment locks and a step of 1; Galera is not): then purchases may be written set-based.
  virtual bool consecutive_insert_ids(SqlConnection& c) const = 0;

  // --- SQL text -------------------------------------------------------------------------------
  // Appended to a SELECT of rows the transaction will change: a lock, so a concurrent
  // transaction of another instance waits and then sees the change (SQLite's one writer: "").
  virtual std::string_view for_update() const = 0;
  // Put after a table alias: makes the planner walk the primary key ("" where not needed).
  virtual std::string_view force_primary() const = 0;
  // A column reference the planner must not pick an index for (SQLite: "+col").
  virtual std::string unindexed(std::string_view column) const = 0;
  // The clause after `INSERT INTO t (...) VALUES (...)` that adds the new row's `column` to an
  // existing row's (`key`: the conflicting primary key's columns, SQLite needs them).
  virtual std::string add_on_conflict(std::string_view key, std::string_view column) const = 0;
};

// The dialect of `d` (static instances).
const SqlDialect& dialect_of(Dialect d);
const SqlDialect& sqlite_dialect();
const SqlDialect& mysql_dialect();

}  // namespace p720::store
