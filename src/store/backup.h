// Online backup of the SQLite store into a new file while the server keeps selling
// (`pension720 backup --to FILE`). MariaDB is backed up with mariadb-backup (docs/DEPLOY.md).
#pragma once

#include <string>

namespace p720::store {

struct BackupResult {
  long long pages = 0;  // pages copied
  long long bytes = 0;  // size of the backup file
};

// Copies the database at `db_path` (WAL mode, as SqliteConnection leaves it) into `to`, which
// must not exist yet. The copy is one snapshot: the database as of the moment the backup began
// (every commit acknowledged before then is in it, none that started after). Writers are never
// blocked: the backup is a WAL reader holding its snapshot while it copies in steps, so the WAL
// only grows by what is committed meanwhile. The file appears under its name only when it is
// whole and synced (written as `to`.partial, then renamed). Throws std::runtime_error with a
// message for the operator on any failure (and leaves no `to` behind).
BackupResult backup_sqlite(const std::string& db_path, const std::string& to);

}  // namespace p720::store
