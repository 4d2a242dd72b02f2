// MariaDB's side of SqlDialect (dialect.h): row locks, FORCE INDEX, one-round-trip commits.
#include "store/dialect.h"

#include <spdlog/spdlog.h>

namespace p720::store {
namespace {

class MysqlDialect final : public SqlDialect {
 public:
  Dialect id() const override { return Dialect::kMysql; }
  std::string_view begin_write() const override { return "START TRANSACTION"; }
  void begin_snapshot(SqlConnection& c) const override {
    c.exec("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ");
    c.exec("START TRANSACTION WITH CONSISTENT SNAPSHOT");
  }
  void commit_after(SqlConnection& c, const SqlStatement& last) const override {
    c.query_multi({last, {"COMMIT", {}}});
  }
  bool single_writer() const override { return false; }
  bool background_upkeep() const override { return false; }
  // Galera needs lock mode 2 and sets the step to its node count (and may change it as nodes
  // come and go): then each purchase is written with its own LAST_INSERT_ID.
  bool consecutive_insert_ids(SqlConnection& c) const override {
    auto mode = c.query("SELECT @@innodb_autoinc_lock_mode, @@auto_increment_increment", {});
    const bool yes = !mode.empty() && mode[0].i(0) != 2 && mode[0].i(1) == 1;
    if (!yes)
      spdlog::warn("innodb_autoinc_lock_mode=2 or auto_increment_increment>1: purchases are written one by one");
    return yes;
  }
  std::string_view for_update() const override { return " FOR UPDATE"; }
  // On a small table the optimizer prefers a full scan, and a scan FOR UPDATE waits for every row
  // another transaction holds.
  std::string_view force_primary() const override { return " FORCE INDEX (PRIMARY)"; }
  std::string unindexed(std::string_view column) const override { return std::string(column); }
  std::string add_on_conflict(std::string_view, std::string_view column) const override {
    const std::string c(column);
    return "ON DUPLICATE KEY UPDATE " + c + " = " + c + " + VALUES(" + c + ")";
  }
};

}  // namespace

const SqlDialect& mysql_dialect() {
  static const MysqlDialect d;
  return d;
}

}  // namespace p720::store
