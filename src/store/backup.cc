// SQLite online backup (sqlite3_backup_*) from one read snapshot, in steps.
#include "store/backup.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <stdexcept>

namespace p720::store {
namespace {

// Pages per sqlite3_backup_step: small enough that the copy yields the CPU between steps and
// never holds the source's mutex for long, large enough that the loop costs nothing (1 MiB of
// 1 KiB pages).
constexpr int kStepPages = 1024;

struct Db {
  sqlite3* db = nullptr;
  Db() = default;
  ~Db() { sqlite3_close(db); }
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;
};

[[noreturn]] void fail(sqlite3* db, const std::string& what) {
  throw std::runtime_error(what + ": " + (db ? sqlite3_errmsg(db) : "out of memory"));
}

void exec(sqlite3* db, const char* sql, const std::string& what) {
  if (sqlite3_exec(db, sql, nullptr, nullptr, nullptr) != SQLITE_OK) fail(db, what);
}

// fsync of a file, or of a directory (a rename is durable only once its directory is synced).
void sync_path(const std::string& path, int flags) {
  const int fd = ::open(path.empty() ? "." : path.c_str(), flags);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

}  // namespace

BackupResult backup_sqlite(const std::string& db_path, const std::string& to) {
  namespace fs = std::filesystem;
  if (to.empty()) throw std::runtime_error("backup: --to needs a file name");
  if (fs::exists(to)) throw std::runtime_error("backup: " + to + " exists already (remove it or choose another name)");
  if (!fs::exists(db_path)) throw std::runtime_error("backup: no database at " + db_path);
  const std::string partial = to + ".partial";
  for (const char* s : {"", "-journal"}) fs::remove(partial + s);

  Db src;
  // Not SQLITE_OPEN_CREATE: a mistyped path must not create an empty database to back up.
  if (sqlite3_open_v2(db_path.c_str(), &src.db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK)
    fail(src.db, "backup: open " + db_path);
  sqlite3_busy_timeout(src.db, 10000);
  {
    // Only in WAL mode does a reader leave writers alone; in a rollback journal, the snapshot
    // held below would stop every sale until the copy ends.
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(src.db, "PRAGMA journal_mode", -1, &st, nullptr) != SQLITE_OK) fail(src.db, "backup");
    const bool wal = sqlite3_step(st) == SQLITE_ROW &&
                     std::string(reinterpret_cast<const char*>(sqlite3_column_text(st, 0))) == "wal";
    sqlite3_finalize(st);
    if (!wal)
      throw std::runtime_error("backup: " + db_path + " is not in WAL mode (open it with pension720 serve once)");
  }
  // One read transaction around every step: each step copies from the same snapshot, so a
  // commit by the server between two steps neither restarts the copy (which, under steady
  // sales, would never finish) nor mixes two states of the file.
  exec(src.db, "BEGIN", "backup: begin");
  exec(src.db, "SELECT COUNT(*) FROM sqlite_schema", "backup: read snapshot");

  BackupResult result;
  {
    Db dst;
    if (sqlite3_open_v2(partial.c_str(), &dst.db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) != SQLITE_OK)
      fail(dst.db, "backup: create " + partial);
    sqlite3_backup* b = sqlite3_backup_init(dst.db, "main", src.db, "main");
    if (!b) fail(dst.db, "backup: start");
    int rc = SQLITE_OK;
    while ((rc = sqlite3_backup_step(b, kStepPages)) == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED) {
      if (rc != SQLITE_OK) sqlite3_sleep(10);  // only the new file's own lock could be busy
    }
    result.pages = sqlite3_backup_pagecount(b);
    sqlite3_backup_finish(b);  // returns rc again; the step's rc says it
    if (rc != SQLITE_DONE) {
      const std::string msg = std::string("backup: copy: ") + sqlite3_errstr(rc);
      sqlite3_close(dst.db);
      dst.db = nullptr;
      fs::remove(partial);
      throw std::runtime_error(msg);
    }
    // The copy was committed (and synced: synchronous=FULL is the default) by the last step.
    sqlite3_stmt* st = nullptr;
    std::string check = "not run";
    if (sqlite3_prepare_v2(dst.db, "PRAGMA quick_check", -1, &st, nullptr) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
      check = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    if (check != "ok") {
      sqlite3_close(dst.db);
      dst.db = nullptr;
      fs::remove(partial);
      throw std::runtime_error("backup: the copy failed its check: " + check);
    }
  }
  exec(src.db, "COMMIT", "backup: end");
  sync_path(partial, O_RDONLY);  // the last step committed with synchronous=FULL; this costs nothing more
  fs::rename(partial, to);
  sync_path(fs::path(to).parent_path().string(), O_RDONLY | O_DIRECTORY);
  result.bytes = static_cast<long long>(fs::file_size(to));
  return result;
}

}  // namespace p720::store
