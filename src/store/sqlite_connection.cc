// SQLite adapter for SqlConnection.
#include "store/sqlite_connection.h"

#include "store/sqlite_vfs.h"

namespace p720::store {

SqliteConnection::SqliteConnection(const std::string& path, const char* vfs) {
  // Before SQLite's first use in the process: no memory statistics, whose global mutex every
  // allocation would otherwise take (measured ~5% of a purchase's instructions). Too late, if
  // something used SQLite first: then it only stays on.
  static const int configured = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
  (void)configured;
  // WAL frames written in one call per commit (sqlite_vfs.h); needs synchronous=FULL, set below.
  int rc = sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                           vfs ? vfs : buffered_wal_vfs());
  if (rc != SQLITE_OK) {
    std::string msg = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    throw SqlError(SqlError::Kind::kConnection, "sqlite open " + path + ": " + msg);
  }
  // A busy writer lock from another connection (e.g. a second process on the same file) is
  // waited for rather than failed at once.
  sqlite3_busy_timeout(db_, 10000);
  // 1 KiB pages for a new file (an existing one keeps its size): each purchase changes a leaf of
  // the per-user indexes (tickets by user, ledger by user), and the WAL writes every changed
  // page whole at each commit, so smaller pages mean less to write — measured 12–13k → 14–16k
  // purchases/s (docs/PERFORMANCE.md).
  // synchronous=FULL: a commit is on disk before it returns (and the buffered WAL relies on it).
  exec("PRAGMA page_size=1024; PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;");
  // Learn the WAL's length at each commit (this replaces SQLite's automatic checkpoint, which
  // would run inside a commit and stall its whole batch: see maintain() and SqlStore).
  sqlite3_wal_hook(
      db_,
      [](void* self, sqlite3*, const char*, int frames) {
        static_cast<SqliteConnection*>(self)->wal_frames_ = frames;
        return SQLITE_OK;
      },
      this);
}

void SqliteConnection::maintain() {
  if (wal_frames_ > kWalFrameLimit) finish_upkeep();
}

void SqliteConnection::finish_upkeep() {
  wal_frames_ = 0;  // the next commit reports the length again
  // PASSIVE: never waits for readers; with no write in progress (we are the writer) it copies
  // the whole WAL unless a reader still uses part of it, and the next commit then starts the
  // WAL over from its beginning. (Busy when a background pass runs: then it copies nothing and
  // the background asks again.)
  exec("PRAGMA wal_checkpoint(PASSIVE)");
}

bool SqliteConnection::background_upkeep() {
  int before = -1;
  for (int pass = 0; pass < kChasePasses; ++pass) {
    int frames = 0;
    const int rc = sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_PASSIVE, &frames, nullptr);
    if (rc == SQLITE_BUSY) return false;  // the writer's own checkpoint runs
    if (rc != SQLITE_OK) fail(rc, "wal checkpoint");
    if (frames < kWalRestartFrames) return false;  // short enough: the next pass in a while
    // Each pass copies what was written while the last ran, so the passes shorten fast (a
    // frame costs ~2 µs to copy; the writer writes ~70 a millisecond).
    if (before >= 0 && frames - before < kCatchUpFrames) return true;
    before = frames;
  }
  return true;
}

SqliteConnection::~SqliteConnection() {
  for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
  if (db_) sqlite3_close(db_);
}

void SqliteConnection::fail(int rc, std::string_view what) {
  int ext = sqlite3_extended_errcode(db_);
  auto kind = SqlError::Kind::kOther;
  if (ext == SQLITE_CONSTRAINT_UNIQUE || ext == SQLITE_CONSTRAINT_PRIMARYKEY) kind = SqlError::Kind::kUnique;
  else if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) kind = SqlError::Kind::kRetry;
  else if (rc == SQLITE_FULL || (rc & 0xff) == SQLITE_FULL) kind = SqlError::Kind::kFull;
  else if (rc == SQLITE_IOERR || rc == SQLITE_CANTOPEN) kind = SqlError::Kind::kConnection;
  throw SqlError(kind, std::string(what) + ": " + sqlite3_errmsg(db_));
}

void SqliteConnection::exec(std::string_view sql) {
  std::string s(sql);
  char* err = nullptr;
  int rc = sqlite3_exec(db_, s.c_str(), nullptr, nullptr, &err);
  if (err) sqlite3_free(err);
  if (rc != SQLITE_OK) fail(rc, s);
}

sqlite3_stmt* SqliteConnection::prepare(std::string_view sql) {
  if (auto it = cache_.find(sql); it != cache_.end()) return it->second;
  std::string key(sql);
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v3(db_, key.data(), static_cast<int>(key.size()), SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) fail(rc, key);
  cache_.emplace(std::move(key), stmt);
  return stmt;
}

void SqliteConnection::bind(sqlite3_stmt* stmt, const std::vector<SqlValue>& params) {
  for (size_t i = 0; i < params.size(); ++i) {
    int idx = static_cast<int>(i + 1);
    const auto& p = params[i];
    if (p.index() == 1) sqlite3_bind_int64(stmt, idx, std::get<1>(p));
    else if (p.index() == 2) {
      const auto& str = std::get<2>(p);
      // SQLITE_STATIC: `params` outlives the statement's use of it (each() resets and clears
      // the bindings before it returns), so SQLite need not copy every string.
      sqlite3_bind_text(stmt, idx, str.data(), static_cast<int>(str.size()), SQLITE_STATIC);
    } else sqlite3_bind_null(stmt, idx);
  }
}

SqlRow SqliteConnection::read_row(sqlite3_stmt* stmt) {
  SqlRow row;
  int n = sqlite3_column_count(stmt);
  row.cols.reserve(n);
  for (int c = 0; c < n; ++c) {
    switch (sqlite3_column_type(stmt, c)) {
      case SQLITE_NULL: row.cols.emplace_back(std::monostate{}); break;
      case SQLITE_INTEGER: row.cols.emplace_back(static_cast<long long>(sqlite3_column_int64(stmt, c))); break;
      default: {
        const auto* t = reinterpret_cast<const char*>(sqlite3_column_text(stmt, c));
        row.cols.emplace_back(std::string(t ? t : "", sqlite3_column_bytes(stmt, c)));
      }
    }
  }
  return row;
}

void SqliteConnection::each(std::string_view sql, const std::vector<SqlValue>& params,
                            const std::function<void(SqlRow&)>& fn) {
  sqlite3_stmt* stmt = prepare(sql);
  struct Reset {  // NOLINT(cppcoreguidelines-special-member-functions): a scope guard, never copied
    sqlite3_stmt* s;
    ~Reset() {
      sqlite3_reset(s);
      sqlite3_clear_bindings(s);
    }
  } reset{stmt};
  bind(stmt, params);
  for (;;) {
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW) fail(rc, sql);
    SqlRow row = read_row(stmt);
    fn(row);
  }
}

std::vector<SqlRow> SqliteConnection::query(std::string_view sql, const std::vector<SqlValue>& params) {
  std::vector<SqlRow> rows;
  each(sql, params, [&](SqlRow& r) { rows.push_back(std::move(r)); });
  return rows;
}

long long SqliteConnection::changes() { return sqlite3_changes64(db_); }
long long SqliteConnection::last_insert_id() { return sqlite3_last_insert_rowid(db_); }

}  // namespace p720::store
