// The buffered-WAL VFS (src/store/sqlite_vfs.cc): every commit is seen by other connections at
// once and whole, survives the process being killed right after it, and runs of frames longer
// than one write (128 KiB) are written whole.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <random>
#include <string>

#include "store/sqlite_connection.h"
#include "store/sqlite_vfs.h"

namespace p720::store {
namespace {

class SqliteVfs : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("p720vfs-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "t.db").string();
    for (const char* s : {"", "-wal", "-shm"}) std::filesystem::remove(path_ + s);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  static long long count(SqliteConnection& c, const std::string& what = "COUNT(*)") {
    return c.query("SELECT " + what + " FROM rows", {}).at(0).i(0);
  }

  std::filesystem::path dir_;
  std::string path_;
};

TEST_F(SqliteVfs, IsRegistered) { ASSERT_NE(buffered_wal_vfs(), nullptr); }

// The buffered WAL is safe only because every commit syncs the WAL (which writes the buffer out)
// before other connections can see it: connections must keep synchronous=FULL (2).
TEST_F(SqliteVfs, ConnectionsCommitWithSynchronousFull) {
  SqliteConnection c(path_);
  EXPECT_EQ(c.query("PRAGMA synchronous", {}).at(0).i(0), 2);
  EXPECT_EQ(c.query("PRAGMA journal_mode", {}).at(0).s(0), "wal");
}

TEST_F(SqliteVfs, EveryCommitIsSeenWholeByAnotherConnection) {
  SqliteConnection writer(path_);
  writer.exec("CREATE TABLE rows (id INTEGER PRIMARY KEY, data BLOB NOT NULL)");
  SqliteConnection reader(path_);
  std::mt19937 rng(7);
  long long rows = 0, bytes = 0;
  for (int t = 0; t < 300; ++t) {
    writer.exec("BEGIN IMMEDIATE");
    // Small transactions, and every 50th one far larger than one write of the buffer.
    const int n = t % 50 == 49 ? 40 : 1 + static_cast<int>(rng() % 20);
    for (int i = 0; i < n; ++i) {
      const std::string blob(t % 50 == 49 ? 20'000 : 10 + rng() % 900, static_cast<char>('a' + t % 26));
      writer.query("INSERT INTO rows (data) VALUES (?)", {SqlValue{blob}});
      ++rows;
      bytes += static_cast<long long>(blob.size());
    }
    writer.exec("COMMIT");
    writer.maintain();  // starts the WAL over now and then
    ASSERT_EQ(count(reader), rows) << "after transaction " << t;
    ASSERT_EQ(count(reader, "SUM(LENGTH(data))"), bytes) << "after transaction " << t;
  }
  // And from a connection opened afresh, with the file checked page by page.
  SqliteConnection fresh(path_);
  EXPECT_EQ(fresh.query("PRAGMA integrity_check", {}).at(0).s(0), "ok");
  EXPECT_EQ(count(fresh), rows);
}

// A child process commits transactions and reports each one after COMMIT returns; it is killed
// (SIGKILL) midway. Every reported transaction is in the database afterwards, and nothing half.
TEST_F(SqliteVfs, CommittedTransactionsSurviveTheProcessBeingKilled) {
  {
    SqliteConnection c(path_);
    c.exec("CREATE TABLE rows (id INTEGER PRIMARY KEY, batch INT NOT NULL, data BLOB NOT NULL)");
  }
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(fds[0]);
    SqliteConnection c(path_);
    const std::string blob(3'000, 'z');
    for (int t = 1;; ++t) {
      c.exec("BEGIN IMMEDIATE");
      for (int i = 0; i < 10; ++i)
        c.query("INSERT INTO rows (batch, data) VALUES (?, ?)", {SqlValue{(long long)t}, SqlValue{blob}});
      c.exec("COMMIT");
      if (::write(fds[1], &t, sizeof t) != sizeof t) ::_exit(1);
    }
  }
  ::close(fds[1]);
  int acked = 0;
  for (int got = 0; got < 200;) {  // kill it after its 200th commit was reported
    ASSERT_EQ(::read(fds[0], &acked, sizeof acked), static_cast<ssize_t>(sizeof acked));
    got = acked;
  }
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
  ::close(fds[0]);
  SqliteConnection c(path_);
  EXPECT_EQ(c.query("PRAGMA integrity_check", {}).at(0).s(0), "ok");
  const long long batches = count(c, "COUNT(DISTINCT batch)");
  EXPECT_GE(batches, acked);
  EXPECT_EQ(count(c), batches * 10) << "a transaction was kept in part";
  EXPECT_EQ(count(c, "MAX(batch)"), batches);
}

}  // namespace
}  // namespace p720::store
