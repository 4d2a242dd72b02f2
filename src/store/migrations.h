// Versioned schema migrations, applied in order at start for both SQL dialects.
#pragma once

#include "store/sql.h"

namespace p720::store {

// Creates schema_migrations if needed and applies every migration not yet recorded, each in its
// own transaction. Safe to run from several processes at once on MariaDB (a lost race retries).
void apply_migrations(SqlConnection& conn);

// The newest schema version this binary knows.
int latest_schema_version();

}  // namespace p720::store
