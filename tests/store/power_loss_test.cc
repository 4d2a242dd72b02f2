// Power loss under the SQLite store: a "crash" VFS (modelled on SQLite's own test6.c) keeps every
// write not yet synced in memory and, at a chosen write/sync/truncate/delete, drops them (or tears
// them sector by sector) and ends the process; the project's buffered-WAL VFS is stacked on it,
// as it is on the disk in production. Over every such point of a workload of commits, checkpoints
// (with and without a reader holding a snapshot), WAL restarts and the close — on SqliteConnection
// directly and through SqlStore purchases: every commit acknowledged before the crash is there,
// whole, and integrity_check is ok.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include "store/sql_store.h"
#include "store/sqlite_connection.h"
#include "store/sqlite_vfs.h"

namespace p720::store {
namespace {

// ---- the crash VFS ---------------------------------------------------------------------------
// The real file stands for what is on the platter: a write reaches it only when its file is
// synced (or truncated, which this model treats as a barrier: it writes the file's pending
// writes first — one of the states a real disk may be left in, so it hides no bug it could
// otherwise show). Reads see the pending writes, as they would through the page cache.

enum class Loss { kDiscard, kTear };  // unsynced writes all lost, or each 512-byte piece kept or lost

struct Pending {
  sqlite3_int64 offset;
  std::string data;
};

struct CrashState {
  long long events = 0;     // writes, syncs, truncates and deletes so far (this process)
  long long crash_at = -1;  // the event that does not happen: the power goes first; -1: never
  Loss loss = Loss::kDiscard;
  std::mt19937 rng{1};
  std::map<std::string, std::vector<Pending>> pending;  // by file name, across its handles
};
CrashState g_crash;
// SqlStore writes from its writer thread and checkpoints from another: every use of g_crash and
// every tracked file's I/O is under this lock (which also keeps each event one step).
std::mutex g_crash_mu;

constexpr int kCrashedExit = 42;   // the child's exit status when the power went
constexpr int kFinishedExit = 43;  // … when the workload ended first

// Writes `p` (all of it, or for kTear a random subset of its 512-byte pieces) to the real file.
void land(const std::string& path, const Pending& p, bool tear) {
  const int fd = ::open(path.c_str(), O_WRONLY);
  if (fd < 0) return;  // deleted since: nothing lands
  constexpr size_t kPiece = 512;
  for (size_t at = 0; at < p.data.size(); at += kPiece) {
    if (tear && g_crash.rng() % 2) continue;
    const size_t n = std::min(kPiece, p.data.size() - at);
    if (::pwrite(fd, p.data.data() + at, n, p.offset + static_cast<off_t>(at)) != static_cast<ssize_t>(n)) ::_exit(3);
  }
  ::close(fd);
}

[[noreturn]] void power_off() {
  if (g_crash.loss == Loss::kTear)
    for (auto& [path, writes] : g_crash.pending)
      for (const auto& w : writes) land(path, w, true);
  ::_exit(kCrashedExit);
}

// Counts an event; the power goes instead of the crash_at-th one.
void event() {
  if (++g_crash.events == g_crash.crash_at) power_off();
}

struct CrashFile {
  sqlite3_file base;
  sqlite3_file* real;             // the unix VFS's file, right after this header
  std::vector<Pending>* pending;  // nullptr: not tracked (a temporary file without a name)
};

CrashFile* cf(sqlite3_file* f) { return reinterpret_cast<CrashFile*>(f); }
const sqlite3_io_methods* rm(sqlite3_file* f) { return cf(f)->real->pMethods; }
sqlite3_vfs* g_unix = nullptr;

int flush_pending(CrashFile* f) {
  if (!f->pending) return SQLITE_OK;
  for (const auto& w : *f->pending)
    if (int rc = f->real->pMethods->xWrite(f->real, w.data.data(), static_cast<int>(w.data.size()), w.offset);
        rc != SQLITE_OK)
      return rc;
  f->pending->clear();
  return SQLITE_OK;
}

int c_close(sqlite3_file* file) {  // unsynced writes stay pending
  std::lock_guard lock(g_crash_mu);
  return rm(file)->xClose(cf(file)->real);
}

int logical_size(CrashFile* f, sqlite3_int64* size) {
  if (int rc = f->real->pMethods->xFileSize(f->real, size); rc != SQLITE_OK) return rc;
  if (f->pending)
    for (const auto& w : *f->pending) *size = std::max(*size, w.offset + static_cast<sqlite3_int64>(w.data.size()));
  return SQLITE_OK;
}

int c_file_size(sqlite3_file* file, sqlite3_int64* size) {
  std::lock_guard lock(g_crash_mu);
  return logical_size(cf(file), size);
}

int c_read(sqlite3_file* file, void* out, int amount, sqlite3_int64 offset) {
  std::lock_guard lock(g_crash_mu);
  CrashFile* f = cf(file);
  int rc = rm(file)->xRead(f->real, out, amount, offset);
  if (!f->pending) return rc;
  if (rc != SQLITE_OK && rc != SQLITE_IOERR_SHORT_READ) return rc;
  auto* buf = static_cast<char*>(out);
  for (const auto& w : *f->pending) {  // in order: a later write wins
    const sqlite3_int64 from = std::max(offset, w.offset);
    const sqlite3_int64 to = std::min(offset + amount, w.offset + static_cast<sqlite3_int64>(w.data.size()));
    if (from < to)
      std::memcpy(buf + (from - offset), w.data.data() + (from - w.offset), static_cast<size_t>(to - from));
  }
  sqlite3_int64 size = 0;
  if (int src = logical_size(f, &size); src != SQLITE_OK) return src;
  if (offset + amount <= size) return SQLITE_OK;
  const sqlite3_int64 keep = std::max<sqlite3_int64>(0, size - offset);
  std::memset(buf + keep, 0, static_cast<size_t>(amount - keep));
  return SQLITE_IOERR_SHORT_READ;
}

int c_write(sqlite3_file* file, const void* data, int amount, sqlite3_int64 offset) {
  std::lock_guard lock(g_crash_mu);
  CrashFile* f = cf(file);
  if (!f->pending) return rm(file)->xWrite(f->real, data, amount, offset);
  if (g_crash.loss == Loss::kTear) {
    // The write in progress may land in part too.
    f->pending->push_back({offset, std::string(static_cast<const char*>(data), static_cast<size_t>(amount))});
    event();
    return SQLITE_OK;
  }
  event();
  f->pending->push_back({offset, std::string(static_cast<const char*>(data), static_cast<size_t>(amount))});
  return SQLITE_OK;
}

int c_truncate(sqlite3_file* file, sqlite3_int64 size) {
  std::lock_guard lock(g_crash_mu);
  CrashFile* f = cf(file);
  if (f->pending) event();
  if (int rc = flush_pending(f); rc != SQLITE_OK) return rc;
  return rm(file)->xTruncate(f->real, size);
}

int c_sync(sqlite3_file* file, int) {
  std::lock_guard lock(g_crash_mu);
  CrashFile* f = cf(file);
  if (!f->pending) return SQLITE_OK;
  event();
  return flush_pending(f);  // the real file is the disk: no fsync needed to make it so
}

int c_lock(sqlite3_file* file, int level) { return rm(file)->xLock(cf(file)->real, level); }
int c_unlock(sqlite3_file* file, int level) { return rm(file)->xUnlock(cf(file)->real, level); }
int c_check_reserved(sqlite3_file* file, int* out) { return rm(file)->xCheckReservedLock(cf(file)->real, out); }
int c_file_control(sqlite3_file* file, int op, void* arg) { return rm(file)->xFileControl(cf(file)->real, op, arg); }
int c_sector_size(sqlite3_file* file) { return rm(file)->xSectorSize(cf(file)->real); }
int c_device(sqlite3_file* file) { return rm(file)->xDeviceCharacteristics(cf(file)->real); }
int c_shm_map(sqlite3_file* file, int region, int size, int extend, void volatile** out) {
  return rm(file)->xShmMap(cf(file)->real, region, size, extend, out);
}
int c_shm_lock(sqlite3_file* file, int offset, int n, int flags) {
  return rm(file)->xShmLock(cf(file)->real, offset, n, flags);
}
void c_shm_barrier(sqlite3_file* file) { rm(file)->xShmBarrier(cf(file)->real); }
int c_shm_unmap(sqlite3_file* file, int del) { return rm(file)->xShmUnmap(cf(file)->real, del); }
// No memory-mapped reads: they would not see the pending writes.
int c_fetch(sqlite3_file*, sqlite3_int64, int, void** out) {
  *out = nullptr;
  return SQLITE_OK;
}
int c_unfetch(sqlite3_file*, sqlite3_int64, void*) { return SQLITE_OK; }

const sqlite3_io_methods kCrashMethods = {
    3,          c_close,       c_read,           c_write,        c_truncate,    c_sync,   c_file_size,
    c_lock,     c_unlock,      c_check_reserved, c_file_control, c_sector_size, c_device, c_shm_map,
    c_shm_lock, c_shm_barrier, c_shm_unmap,      c_fetch,        c_unfetch,
};

int c_open(sqlite3_vfs*, const char* name, sqlite3_file* file, int flags, int* out_flags) {
  std::lock_guard lock(g_crash_mu);
  CrashFile* f = cf(file);
  f->base.pMethods = nullptr;
  f->real = reinterpret_cast<sqlite3_file*>(f + 1);
  f->pending = name ? &g_crash.pending[name] : nullptr;
  if (int rc = g_unix->xOpen(g_unix, name, f->real, flags, out_flags); rc != SQLITE_OK) return rc;
  f->base.pMethods = &kCrashMethods;
  return SQLITE_OK;
}

int c_delete(sqlite3_vfs*, const char* name, int sync_dir) {
  std::lock_guard lock(g_crash_mu);
  event();
  g_crash.pending.erase(name);
  return g_unix->xDelete(g_unix, name, sync_dir);
}

const char* crash_vfs() {
  static sqlite3_vfs vfs;
  static const char* name = [] {
    g_unix = sqlite3_vfs_find("unix");
    vfs = *g_unix;  // unix's own functions for the rest (they read only its pAppData)
    vfs.pNext = nullptr;
    vfs.zName = "p720-crash";
    vfs.szOsFile = static_cast<int>(sizeof(CrashFile)) + g_unix->szOsFile;
    vfs.xOpen = c_open;
    vfs.xDelete = c_delete;
    return sqlite3_vfs_register(&vfs, 0) == SQLITE_OK ? vfs.zName : nullptr;
  }();
  return name;
}

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kSanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif
#else
constexpr bool kSanitized = false;
#endif

// ---- the workload ------------------------------------------------------------------------------
// Purchase-shaped transactions on one wallet: tickets (unique), a ledger line and the balance.
// Every 7th is larger than one write of the buffered WAL (128 KiB). A checkpoint (the store's
// PASSIVE one) after every 3rd; a reader holds a snapshot across some of them, so those copy
// only part of the WAL and the WAL grows instead of restarting; the close checkpoints and
// deletes the WAL.

constexpr int kTransactions = 17;
constexpr long long kStart = 1'000'000'000;
constexpr long long kPrice = 1000;

int tickets_of(int t) { return t % 7 == 0 ? 100 : 1 + t % 4; }
long long spent_until(int t) {
  long long s = 0;
  for (int i = 1; i <= t; ++i) s += kPrice * tickets_of(i);
  return s;
}

void workload(const std::string& path, const char* vfs, int ack_fd) {
  SqliteConnection c(path, vfs);
  std::unique_ptr<SqliteConnection> reader;
  for (int t = 1; t <= kTransactions; ++t) {
    c.exec("BEGIN IMMEDIATE");
    const int n = tickets_of(t);
    const std::string data(t % 7 == 0 ? 1400 : 40, static_cast<char>('a' + t % 26));  // 140 KB: 2 writes
    for (int k = 0; k < n; ++k)
      c.query("INSERT INTO tickets (purchase, ticket, data) VALUES (?, ?, ?)",
              {SqlValue{(long long)t}, SqlValue{(long long)(t * 1000 + k)}, SqlValue{data}});
    c.query("INSERT INTO ledger (purchase, amount) VALUES (?, ?)", {SqlValue{(long long)t}, SqlValue{-kPrice * n}});
    c.query("UPDATE wallets SET balance = balance - ? WHERE id = 1", {SqlValue{kPrice * n}});
    c.exec("COMMIT");
    if (::write(ack_fd, &t, sizeof t) != sizeof t) ::_exit(4);
    if (t == 5) {
      reader = std::make_unique<SqliteConnection>(path, vfs);
      reader->exec("BEGIN");
      reader->query("SELECT COUNT(*) FROM tickets", {});
    }
    if (t == 11) reader.reset();  // ends its snapshot and closes it
    if (t % 3 == 0) c.exec("PRAGMA wal_checkpoint(PASSIVE)");
  }
}

// The same purchases through SqlStore (its writer thread, group commit and background
// checkpoints), with the store's checkpoint statement run between them as its checkpoint thread
// does every 100 ms.
void store_workload(const std::string& path, const char* vfs, int ack_fd) {
  SqlStore store([path, vfs] { return std::make_unique<SqliteConnection>(path, vfs); });
  SqliteConnection checkpointer(path, vfs);
  for (int t = 1; t <= kTransactions; ++t) {
    PurchaseCommand cmd{"buyer", 1, {}, kPrice, 1'000'000, "2026-12-03T00:00:00Z", "", ""};
    for (int k = 0; k < tickets_of(t); ++k) cmd.tickets.push_back(t * 1000 + k);
    if (auto r = store.purchase(cmd); !r.ok())
      throw std::runtime_error("purchase " + std::to_string(t) + ": " + r.error().detail);
    if (::write(ack_fd, &t, sizeof t) != sizeof t) ::_exit(4);
    if (t % 3 == 0) checkpointer.exec("PRAGMA wal_checkpoint(PASSIVE)");
  }
}

using Workload = void (*)(const std::string& path, const char* vfs, int ack_fd);

// The child: runs the workload until the power goes at `crash_at` (or it ends); reports each
// acknowledged commit on `ack_fd`, and how many events it saw on `count_fd` when it ended first.
[[noreturn]] void child(Workload work, const std::string& path, const char* vfs, long long crash_at, Loss loss,
                        unsigned seed, int ack_fd) {
  g_crash.events = 0;
  g_crash.crash_at = crash_at;
  g_crash.loss = loss;
  g_crash.rng.seed(seed);
  g_crash.pending.clear();
  try {
    work(path, vfs, ack_fd);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "workload failed: %s\n", e.what());
    ::_exit(1);
  }
  const long long events = g_crash.events;
  if (::write(ack_fd, &events, sizeof events) != sizeof events) ::_exit(4);
  // The close synced (or deleted) everything: nothing may be left for a power loss to take.
  for (const auto& [path, writes] : g_crash.pending)
    if (!writes.empty()) ::_exit(5);
  ::_exit(kFinishedExit);
}

class PowerLoss : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NE(crash_vfs(), nullptr);
    // On tmpfs when there is one: the checks reopen the file thousands of times, and each
    // reopen's recovery and close sync it (the children never do: the crash VFS is their disk).
    const std::filesystem::path shm = "/dev/shm";
    dir_ = (std::filesystem::is_directory(shm) ? shm : std::filesystem::temp_directory_path()) /
           ("p720power-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    seed_ = (dir_ / "seed.db").string();
    path_ = (dir_ / "t.db").string();
    SqliteConnection c(seed_);
    c.exec("CREATE TABLE wallets (id INTEGER PRIMARY KEY, balance INT NOT NULL)");
    c.exec("CREATE TABLE tickets (id INTEGER PRIMARY KEY, purchase INT NOT NULL, ticket INT NOT NULL UNIQUE,"
           " data TEXT NOT NULL)");
    c.exec("CREATE INDEX tickets_purchase ON tickets (purchase)");
    c.exec("CREATE TABLE ledger (id INTEGER PRIMARY KEY, purchase INT NOT NULL UNIQUE, amount INT NOT NULL)");
    c.query("INSERT INTO wallets (id, balance) VALUES (1, ?)", {SqlValue{kStart}});
  }  // closing the last connection checkpoints the WAL into seed.db and deletes it
  void TearDown() override { std::filesystem::remove_all(dir_); }

  struct Run {
    int status = -1;        // the child's exit status
    int acked = 0;          // the last commit it acknowledged
    long long events = -1;  // events in the whole workload (only when it ended first)
  };

  Run run(const char* vfs, long long crash_at, Loss loss, unsigned seed) {
    for (const char* s : {"", "-wal", "-shm"}) std::filesystem::remove(path_ + s);
    std::filesystem::copy_file(store_ ? store_seed_ : seed_, path_);
    int fds[2];
    if (::pipe(fds) != 0) return {};
    const pid_t pid = ::fork();
    if (pid == 0) {
      ::close(fds[0]);
      child(store_ ? store_workload : workload, path_, vfs, crash_at, loss, seed, fds[1]);
    }
    ::close(fds[1]);
    Run r;
    std::string got;
    char buf[4096];
    for (ssize_t n = 0; (n = ::read(fds[0], buf, sizeof buf)) > 0;) got.append(buf, static_cast<size_t>(n));
    ::close(fds[0]);
    int status = 0;
    ::waitpid(pid, &status, 0);
    r.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    // int acks, then (when it ended first) the event count
    size_t acks = got.size() / sizeof(int);
    if (r.status == kFinishedExit && got.size() >= sizeof(long long)) {
      std::memcpy(&r.events, got.data() + got.size() - sizeof(long long), sizeof(long long));
      acks = (got.size() - sizeof(long long)) / sizeof(int);
    }
    if (acks > 0) std::memcpy(&r.acked, got.data() + (acks - 1) * sizeof(int), sizeof(int));
    return r;
  }

  // After the power came back: the file is whole, and holds a prefix of the commits that
  // includes every acknowledged one, each whole. Returns "" or what is wrong.
  std::string check(const Run& r) {
    SqliteConnection c(path_);  // the production VFS over the disk, as the server reopens it
    const std::string integrity = c.query("PRAGMA integrity_check", {}).at(0).s(0);
    if (integrity != "ok") return "integrity_check: " + integrity;
    if (store_) return check_store(c, r);
    const long long commits = c.query("SELECT COUNT(*) FROM ledger", {}).at(0).i(0);
    const long long last = c.query("SELECT COALESCE(MAX(purchase), 0) FROM ledger", {}).at(0).i(0);
    if (commits != last) return "commits are not a prefix: " + std::to_string(commits) + " of " + std::to_string(last);
    // The commit in flight at the crash may or may not be there; every earlier one must be.
    if (last < r.acked || last > r.acked + 1)
      return "acknowledged " + std::to_string(r.acked) + ", found " + std::to_string(last);
    const long long balance = c.query("SELECT balance FROM wallets WHERE id = 1", {}).at(0).i(0);
    if (balance != kStart - spent_until(static_cast<int>(last))) return "balance " + std::to_string(balance);
    long long expect_tickets = 0;
    for (int t = 1; t <= last; ++t) expect_tickets += tickets_of(t);
    const long long tickets = c.query("SELECT COUNT(*) FROM tickets", {}).at(0).i(0);
    if (tickets != expect_tickets)
      return "tickets " + std::to_string(tickets) + " != " + std::to_string(expect_tickets);
    const long long ledger = c.query("SELECT COALESCE(SUM(amount), 0) FROM ledger", {}).at(0).i(0);
    if (ledger != -spent_until(static_cast<int>(last))) return "ledger " + std::to_string(ledger);
    return "";
  }

  // The store's tables: purchase t is tickets t*1000.. (tickets_of(t) of them).
  static std::string check_store(SqliteConnection& c, const Run& r) {
    const auto one = [&](const std::string& sql) { return c.query(sql, {}).at(0).i(0); };
    const long long purchases = one("SELECT COUNT(*) FROM purchases");
    const long long last = one("SELECT COALESCE(MAX(ticket), 0) / 1000 FROM tickets");
    if (purchases != last || one("SELECT COUNT(DISTINCT ticket / 1000) FROM tickets") != last)
      return "purchases are not a prefix: " + std::to_string(purchases) + " of " + std::to_string(last);
    if (last < r.acked || last > r.acked + 1)
      return "acknowledged " + std::to_string(r.acked) + ", found " + std::to_string(last);
    long long expect_tickets = 0;
    for (int t = 1; t <= last; ++t) expect_tickets += tickets_of(t);
    if (one("SELECT COUNT(*) FROM tickets") != expect_tickets) return "a purchase was kept in part";
    const long long spent = spent_until(static_cast<int>(last));
    if (one("SELECT balance FROM wallets WHERE user_id = 'buyer'") != kStart - spent) return "balance";
    if (one("SELECT SUM(amount) FROM ledger WHERE user_id = 'buyer'") != kStart - spent) return "ledger";
    if (one("SELECT COALESCE(SUM(amount), 0) FROM purchases") != spent) return "purchase amounts";
    return "";
  }

  // A store with one buyer's deposit, closed (so all of it is in the file, the WAL deleted).
  void seed_store() {
    store_ = true;
    store_seed_ = (dir_ / "store-seed.db").string();
    SqlStore store([p = store_seed_] { return std::make_unique<SqliteConnection>(p); });
    ASSERT_TRUE(store.deposit("buyer", kStart, "seed", "2026-12-03T00:00:00Z").ok());
  }

  // Every crash point of the workload, one child each, under `loss` with each seed.
  void every_point(const char* vfs, Loss loss, const std::vector<unsigned>& seeds) {
    const Run whole = run(vfs, -1, loss, 0);
    ASSERT_EQ(whole.status, kFinishedExit);
    ASSERT_EQ(whole.acked, kTransactions);
    ASSERT_EQ(check(whole), "");
    ASSERT_GT(whole.events, kTransactions * 2);   // a write and a sync per commit at least
    const long long stride = kSanitized ? 5 : 1;  // the sanitizers make each child ~10x slower
    int points = 0, lost_in_flight = 0;
    for (unsigned seed : seeds) {
      for (long long at = 1; at <= whole.events; at += stride) {
        const Run r = run(vfs, at, loss, seed * 7919 + static_cast<unsigned>(at));
        // The store's background checkpoints may make a run a little shorter than the first.
        if (!(store_ && r.status == kFinishedExit)) ASSERT_EQ(r.status, kCrashedExit) << "crash point " << at;
        const std::string wrong = check(r);
        ASSERT_EQ(wrong, "") << "crash at event " << at << " of " << whole.events << ", seed " << seed
                             << ", acknowledged " << r.acked;
        ++points;
        if (r.acked < kTransactions) ++lost_in_flight;
      }
    }
    RecordProperty("crash_points", points);
    std::printf("%d crash points over %lld events\n", points, whole.events);
    EXPECT_GT(lost_in_flight, 0);
  }

  std::filesystem::path dir_;
  std::string seed_, path_;
  bool store_ = false;  // run store_workload (on store_seed_) instead of workload
  std::string store_seed_;
};

// The crash VFS itself: a crash that drops unsynced writes is seen (without a sync nothing of a
// write survives), so the checks below can fail.
TEST_F(PowerLoss, TheCrashVfsLosesWhatWasNotSynced) {
  for (const char* s : {"", "-wal", "-shm"}) std::filesystem::remove(path_ + s);
  std::filesystem::copy_file(seed_, path_);
  const pid_t pid = ::fork();
  if (pid == 0) {
    g_crash = CrashState{};
    sqlite3* db = nullptr;
    if (sqlite3_open_v2(path_.c_str(), &db, SQLITE_OPEN_READWRITE, crash_vfs()) != SQLITE_OK) ::_exit(1);
    // synchronous=OFF: commits never sync, so the power loss takes them all.
    if (sqlite3_exec(db,
                     "PRAGMA journal_mode=WAL; PRAGMA synchronous=OFF;"
                     "UPDATE wallets SET balance = 7 WHERE id = 1",
                     nullptr, nullptr, nullptr) != SQLITE_OK)
      ::_exit(2);
    power_off();
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == kCrashedExit);
  SqliteConnection c(path_);
  EXPECT_EQ(c.query("SELECT balance FROM wallets WHERE id = 1", {}).at(0).i(0), kStart);
}

// The production stack: the buffered-WAL VFS over the disk.
TEST_F(PowerLoss, BufferedWalKeepsEveryAcknowledgedCommitWhenUnsyncedWritesAreLost) {
  const char* vfs = buffered_wal_vfs_over(crash_vfs());
  ASSERT_NE(vfs, nullptr);
  every_point(vfs, Loss::kDiscard, {1});
}

TEST_F(PowerLoss, BufferedWalKeepsEveryAcknowledgedCommitWhenUnsyncedWritesAreTorn) {
  const char* vfs = buffered_wal_vfs_over(crash_vfs());
  ASSERT_NE(vfs, nullptr);
  every_point(vfs, Loss::kTear, {1, 2});
}

// The store's own write path: SqlStore purchases on the buffered WAL.
TEST_F(PowerLoss, SqlStorePurchasesSurviveWhenUnsyncedWritesAreLostOrTorn) {
  seed_store();
  const char* vfs = buffered_wal_vfs_over(crash_vfs());
  ASSERT_NE(vfs, nullptr);
  every_point(vfs, Loss::kDiscard, {1});
  every_point(vfs, Loss::kTear, {5});
}

// SQLite's own WAL on the same disk, for comparison: the same guarantees without our layer.
TEST_F(PowerLoss, PlainWalKeepsEveryAcknowledgedCommit) { every_point(crash_vfs(), Loss::kDiscard, {1}); }

}  // namespace
}  // namespace p720::store
