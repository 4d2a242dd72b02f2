// SQLite's side of SqlDialect (dialect.h): one writer, BEGIN IMMEDIATE, background WAL checkpoints.
#include "store/dialect.h"

namespace p720::store {
namespace {

class SqliteDialect final : public SqlDialect {
 public:
  Dialect id() const override { return Dialect::kSqlite; }
  std::string_view begin_write() const override { return "BEGIN IMMEDIATE"; }
  void begin_snapshot(SqlConnection& c) const override { c.exec("BEGIN"); }
  void commit_after(SqlConnection& c, const SqlStatement& last) const override {
    c.query(last.sql, last.params);
    c.exec("COMMIT");
  }
  bool single_writer() const override { return true; }
  // SQLite would checkpoint the WAL inside a commit every 1000 pages, stalling the writer (and
  // every caller in its batch). PASSIVE never blocks the writer or readers. (SqliteConnection's
  // WAL hook replaces the automatic checkpoint; the writer finishes the job between batches.)
  bool background_upkeep() const override { return true; }
  bool consecutive_insert_ids(SqlConnection&) const override { return false; }
  std::string_view for_update() const override { return ""; }
  std::string_view force_primary() const override { return ""; }
  // A unary + keeps SQLite from using an index on the column.
  std::string unindexed(std::string_view column) const override { return "+" + std::string(column); }
  std::string add_on_conflict(std::string_view key, std::string_view column) const override {
    const std::string c(column);
    return "ON CONFLICT (" + std::string(key) + ") DO UPDATE SET " + c + " = " + c + " + excluded." + c;
  }
};

}  // namespace

const SqlDialect& sqlite_dialect() {
  static const SqliteDialect d;
  return d;
}

const SqlDialect& dialect_of(Dialect d) { return d == Dialect::kSqlite ? sqlite_dialect() : mysql_dialect(); }

}  // namespace p720::store
