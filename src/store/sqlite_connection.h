// SqlConnection over SQLite3: WAL journal written through the buffered-WAL VFS (sqlite_vfs.h),
// synchronous=FULL so a commit is on disk before it returns, prepared statements cached by their
// text.
#pragma once

#include <sqlite3.h>

#include <memory>
#include <string>
#include <unordered_map>

#include "store/sql.h"

namespace p720::store {

class SqliteConnection final : public SqlConnection {
 public:
  // Opens (creating if needed) the database file. Throws SqlError on failure. `vfs`: the
  // registered VFS to open it with instead of the buffered WAL (tests: power_loss_test.cc).
  explicit SqliteConnection(const std::string& path, const char* vfs = nullptr);
  ~SqliteConnection() override;
  SqliteConnection(const SqliteConnection&) = delete;
  SqliteConnection& operator=(const SqliteConnection&) = delete;

  Dialect dialect() const override { return Dialect::kSqlite; }
  void exec(std::string_view sql) override;
  std::vector<SqlRow> query(std::string_view sql, const std::vector<SqlValue>& params) override;
  void each(std::string_view sql, const std::vector<SqlValue>& params, const std::function<void(SqlRow&)>& fn) override;
  long long changes() override;
  long long total_changes() override { return sqlite3_total_changes64(db_); }
  long long last_insert_id() override;
  // The WAL starts over from its beginning only when a write transaction begins with all of it
  // copied to the database, which a background checkpoint never achieves alone against a writer
  // that commits all the time (measured: 449 MB after 10 s). So the background passes
  // (background_upkeep) chase the writer once the WAL is longer than kWalRestartFrames, pass
  // after pass, each copying what was written during the last; when one had little to copy they
  // ask the writer to copy the rest (finish_upkeep: a stall of a few ms between two batches; the
  // next commit starts the WAL over). docs/DESIGN.md tells what it replaced.
  bool background_upkeep() override;
  void finish_upkeep() override;
  // The fallback, should the background fall behind: the writer checkpoints itself once the WAL
  // holds more than kWalFrameLimit frames.
  void maintain() override;
  // The WAL's length in frames after this connection's last commit (0 after finish_upkeep).
  int wal_frames() const { return wal_frames_; }
  static constexpr int kWalRestartFrames = 65536;  // 64 MiB of 1 KiB pages
  static constexpr int kWalFrameLimit = 131072;    // 128 MiB
  static constexpr int kCatchUpFrames = 128;       // a pass that copied fewer: the writer finishes
  static constexpr int kChasePasses = 8;

 private:
  sqlite3_stmt* prepare(std::string_view sql);
  void bind(sqlite3_stmt* stmt, const std::vector<SqlValue>& params);
  static SqlRow read_row(sqlite3_stmt* stmt);
  [[noreturn]] void fail(int rc, std::string_view what);

  sqlite3* db_ = nullptr;
  int wal_frames_ = 0;  // frames in the WAL after this connection's latest commit
  // Looked up by the statement's text without copying it (heterogeneous lookup).
  struct TextHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, sqlite3_stmt*, TextHash, std::equal_to<>> cache_;
};

}  // namespace p720::store
