// Versioned schema migrations, applied in order at start for both SQL dialects.
#pragma once

#include <cstddef>

#include "store/sql.h"

namespace p720::store {

// Creates schema_migrations if needed and applies every migration not yet recorded, each in its
// own transaction on SQLite; on MariaDB (where DDL commits implicitly) concurrent starters are
// serialised by GET_LOCK and statements are idempotent, so a start that died midway is repaired.
// Throws SqlError when a migration fails.
void apply_migrations(SqlConnection& conn);

// The newest schema version this binary knows.
int latest_schema_version();
// How many migrations there are (versions may have gaps between branches' numbers).
size_t migration_count();

}  // namespace p720::store
