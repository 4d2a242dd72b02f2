// A database of its own for one store test: a temporary SQLite file, or a fresh MariaDB database
// on the server named by PENSION_TEST_MYSQL (without it the MariaDB cases fail; they never skip).
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>

#include "store/mysql_connection.h"
#include "store/sql_store.h"
#include "store/sqlite_connection.h"

namespace p720::store {

class TestDatabase {
 public:
  // `kind`: "sqlite" or "mariadb"; `prefix` names the file or database. Call from SetUp with
  // ASSERT_NO_FATAL_FAILURE: it fails the test when MariaDB is not configured.
  void create(const std::string& kind, const std::string& prefix) {
    static std::atomic<int> n{0};
    const std::string name = prefix + "_" + std::to_string(::getpid()) + "_" + std::to_string(n++);
    if (kind == "sqlite") {
      auto dir = std::filesystem::temp_directory_path() / (prefix + "-" + std::to_string(::getpid()));
      std::filesystem::create_directories(dir);
      sqlite_path = (dir / (name + ".db")).string();
      std::filesystem::remove(sqlite_path);
      return;
    }
    const char* url = std::getenv("PENSION_TEST_MYSQL");
    ASSERT_NE(url, nullptr) << "PENSION_TEST_MYSQL is not set: start MariaDB with `scripts/topology.sh "
                               "start-db` and export what it prints (scripts/test.sh does both)";
    mysql = parse_mysql_url(url);
    admin_ = std::make_unique<MysqlConnection>(mysql);  // creates the base database if needed
    admin_->exec("DROP DATABASE IF EXISTS " + name);
    admin_->exec("CREATE DATABASE " + name + " CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin");
    mysql.database = name;
  }

  // Drops what create() made (nothing when it failed).
  void drop() {
    if (admin_) admin_->exec("DROP DATABASE IF EXISTS " + mysql.database);
    else if (!sqlite_path.empty()) std::filesystem::remove(sqlite_path);
  }

  // Connections to it, for a SqlStore.
  SqlStore::ConnectionFactory factory() const {
    if (!sqlite_path.empty()) {
      auto path = sqlite_path;
      return [path] { return std::make_unique<SqliteConnection>(path); };
    }
    auto params = mysql;
    return [params] { return std::make_unique<MysqlConnection>(params); };
  }

  std::string sqlite_path;  // set for SQLite
  MysqlParams mysql;        // set for MariaDB: its database is the test's

 private:
  std::unique_ptr<MysqlConnection> admin_;
};

// A store test run on each backend (INSTANTIATE_TEST_SUITE_P(Backends, X, backends(),
// backend_name)): SetUp gives it a database of its own and opens store_ on it.
class StoreTest : public ::testing::TestWithParam<std::string> {
 protected:
  // `prefix` names the test's database; `outbox`: the store writes outbox events.
  explicit StoreTest(std::string prefix, bool outbox = false) : prefix_(std::move(prefix)), outbox_(outbox) {}

  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(db_.create(GetParam(), prefix_));
    store_ = open();
  }
  void TearDown() override {
    store_.reset();
    db_.drop();
  }
  // Another store on the same database (an instance of its own).
  std::unique_ptr<Store> open() { return std::make_unique<SqlStore>(db_.factory(), 256, outbox_); }

  TestDatabase db_;
  std::unique_ptr<Store> store_;

 private:
  std::string prefix_;
  bool outbox_;
};

inline auto backends() { return ::testing::Values("sqlite", "mariadb"); }
inline std::string backend_name(const ::testing::TestParamInfo<std::string>& info) { return info.param; }

}  // namespace p720::store
