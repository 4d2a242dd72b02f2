// SQLite VFS that writes a WAL file's frames in one write per commit instead of two per frame.
// Correct only with synchronous=FULL (each commit syncs the WAL before other connections can
// see it); see sqlite_vfs.cc.
#pragma once

namespace p720::store {

// Registers the VFS once (not as the default) and returns its name for sqlite3_open_v2, or
// nullptr if it could not be registered (then open with the default VFS).
const char* buffered_wal_vfs();

// The same VFS stacked over the registered VFS named `base` instead of the default (tests stack
// it over a VFS that simulates power loss: tests/store/power_loss_test.cc). Registered once per
// base; nullptr if `base` is not registered.
const char* buffered_wal_vfs_over(const char* base);

}  // namespace p720::store
