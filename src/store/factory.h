// Opens the store named by a URL: sqlite:PATH (embedded default) or mysql://user:pass@host:port/db.
#pragma once

#include <memory>
#include <string>

#include "store/store.h"

namespace p720::store {

// Throws std::invalid_argument for a malformed URL, SqlError when the database cannot be opened.
std::unique_ptr<Store> open_store(const std::string& url);

}  // namespace p720::store
