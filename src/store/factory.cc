// Store factory: URL → connection factory → SqlStore.
#include "store/factory.h"

#include <filesystem>
#include <stdexcept>

#include "store/mysql_connection.h"
#include "store/sql_store.h"
#include "store/sqlite_connection.h"

namespace p720::store {

std::unique_ptr<Store> open_store(const std::string& url, StoreOptions options) {
  if (url.rfind("sqlite:", 0) == 0) {
    std::string path = url.substr(7);
    if (path.empty()) throw std::invalid_argument("sqlite: needs a file path");
    auto parent = std::filesystem::path(path).parent_path();
    if (!parent.empty()) std::filesystem::create_directories(parent);
    return std::make_unique<SqlStore>([path] { return std::make_unique<SqliteConnection>(path); }, 256, options.outbox,
                                      1, options.batch_linger);
  }
  if (url.rfind("mysql://", 0) == 0) {
    MysqlParams params = parse_mysql_url(url);
    params.session = options.mysql;
    // Purchases are written set-based per batch, so one writer (the largest batches) is the
    // fastest measured; more writers run their transactions in parallel (docs/PERFORMANCE.md).
    return std::make_unique<SqlStore>([params] { return std::make_unique<MysqlConnection>(params); }, 256,
                                      options.outbox, options.mysql_writers, options.batch_linger);
  }
  throw std::invalid_argument("unsupported store URL (use sqlite:PATH or mysql://user:pass@host:port/db): " + url);
}

}  // namespace p720::store
