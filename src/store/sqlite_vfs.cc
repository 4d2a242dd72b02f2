// A VFS over SQLite's default one that gathers the writes to a WAL file into one buffer and hands
// them to the file in one write when they stop being contiguous, or before the file is synced,
// read, sized, truncated or closed. SQLite writes each WAL frame as two writes (its 24-byte
// header, then the page): a commit of ~100 pages is ~200 pwrite calls, which cost the writer
// thread ~20% of its time (perf) — one call does the same.
//
// Why it is safe: other connections read only frames below the mxFrame of the WAL index, which
// a commit advances after it has synced the WAL (synchronous=FULL, which SqliteConnection
// sets), and a sync writes the buffer out first. This connection's own reads of the WAL (pages
// it no longer caches) write the buffer out first too. A failed write reaches SQLite from the
// sync (or read) that wrote it out, and fails that commit.
#include "store/sqlite_vfs.h"

#include <sqlite3.h>

#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <string>

namespace p720::store {
namespace {

// The unix VFS writes at most 128 KiB - 1 in one call (its seekAndWrite masks the length with
// 0x1ffff); a longer run of frames is written in pieces of that size.
constexpr int kBufferBytes = 0x1ffff;

// Our VFS: SQLite passes `vfs` to x_open, which finds the VFS it stacks on right after it.
struct Vfs {
  sqlite3_vfs vfs;
  sqlite3_vfs* base;  // the default VFS (unix), or the one a test stacks it on
  std::string name;
};

// Our file: the real one lives in the memory right after this header (szOsFile covers both).
struct File {
  sqlite3_file base;         // base.pMethods = kMethods
  sqlite3_file* real;        // the default VFS's file
  bool wal;                  // buffer this file's writes
  char* buf;                 // allocated at the first write (readers never need one)
  sqlite3_int64 buf_offset;  // where buf[0] goes in the file
  int buf_len;
};

File* self(sqlite3_file* f) { return reinterpret_cast<File*>(f); }
const sqlite3_io_methods* real_methods(File* f) { return f->real->pMethods; }

int flush(File* f) {
  if (f->buf_len == 0) return SQLITE_OK;
  const int n = f->buf_len;
  f->buf_len = 0;
  return real_methods(f)->xWrite(f->real, f->buf, n, f->buf_offset);
}

int x_close(sqlite3_file* file) {
  File* f = self(file);
  int rc = flush(f);
  const int rc2 = real_methods(f)->xClose(f->real);
  std::free(f->buf);
  f->buf = nullptr;
  return rc != SQLITE_OK ? rc : rc2;
}

int x_read(sqlite3_file* file, void* out, int amount, sqlite3_int64 offset) {
  File* f = self(file);
  if (int rc = flush(f); rc != SQLITE_OK) return rc;
  return real_methods(f)->xRead(f->real, out, amount, offset);
}

int x_write(sqlite3_file* file, const void* data, int amount, sqlite3_int64 offset) {
  File* f = self(file);
  if (f->wal && !f->buf) f->buf = static_cast<char*>(std::malloc(kBufferBytes));
  if (!f->buf) return real_methods(f)->xWrite(f->real, data, amount, offset);  // not a WAL (or no memory)
  if (f->buf_len > 0 && (offset != f->buf_offset + f->buf_len || f->buf_len + amount > kBufferBytes))
    if (int rc = flush(f); rc != SQLITE_OK) return rc;
  if (amount > kBufferBytes) return real_methods(f)->xWrite(f->real, data, amount, offset);
  if (f->buf_len == 0) f->buf_offset = offset;
  std::memcpy(f->buf + f->buf_len, data, static_cast<size_t>(amount));
  f->buf_len += amount;
  return SQLITE_OK;
}

int x_truncate(sqlite3_file* file, sqlite3_int64 size) {
  File* f = self(file);
  if (int rc = flush(f); rc != SQLITE_OK) return rc;
  return real_methods(f)->xTruncate(f->real, size);
}

int x_sync(sqlite3_file* file, int flags) {
  File* f = self(file);
  if (int rc = flush(f); rc != SQLITE_OK) return rc;
  return real_methods(f)->xSync(f->real, flags);
}

int x_file_size(sqlite3_file* file, sqlite3_int64* size) {
  File* f = self(file);
  if (int rc = flush(f); rc != SQLITE_OK) return rc;
  return real_methods(f)->xFileSize(f->real, size);
}

int x_lock(sqlite3_file* file, int level) { return real_methods(self(file))->xLock(self(file)->real, level); }
int x_unlock(sqlite3_file* file, int level) { return real_methods(self(file))->xUnlock(self(file)->real, level); }
int x_check_reserved(sqlite3_file* file, int* out) {
  return real_methods(self(file))->xCheckReservedLock(self(file)->real, out);
}
int x_file_control(sqlite3_file* file, int op, void* arg) {
  File* f = self(file);
  if (int rc = flush(f); rc != SQLITE_OK) return rc;
  return real_methods(f)->xFileControl(f->real, op, arg);
}
int x_sector_size(sqlite3_file* file) { return real_methods(self(file))->xSectorSize(self(file)->real); }
int x_device(sqlite3_file* file) { return real_methods(self(file))->xDeviceCharacteristics(self(file)->real); }
int x_shm_map(sqlite3_file* file, int region, int size, int extend, void volatile** out) {
  return real_methods(self(file))->xShmMap(self(file)->real, region, size, extend, out);
}
int x_shm_lock(sqlite3_file* file, int offset, int n, int flags) {
  return real_methods(self(file))->xShmLock(self(file)->real, offset, n, flags);
}
void x_shm_barrier(sqlite3_file* file) { real_methods(self(file))->xShmBarrier(self(file)->real); }
int x_shm_unmap(sqlite3_file* file, int del) { return real_methods(self(file))->xShmUnmap(self(file)->real, del); }
int x_fetch(sqlite3_file* file, sqlite3_int64 offset, int amount, void** out) {
  return real_methods(self(file))->xFetch(self(file)->real, offset, amount, out);
}
int x_unfetch(sqlite3_file* file, sqlite3_int64 offset, void* p) {
  return real_methods(self(file))->xUnfetch(self(file)->real, offset, p);
}

const sqlite3_io_methods kMethods = {
    3,          x_close,       x_read,           x_write,        x_truncate,    x_sync,   x_file_size,
    x_lock,     x_unlock,      x_check_reserved, x_file_control, x_sector_size, x_device, x_shm_map,
    x_shm_lock, x_shm_barrier, x_shm_unmap,      x_fetch,        x_unfetch,
};

int x_open(sqlite3_vfs* vfs, const char* name, sqlite3_file* file, int flags, int* out_flags) {
  sqlite3_vfs* base = reinterpret_cast<Vfs*>(vfs)->base;
  File* f = self(file);
  f->base.pMethods = nullptr;  // SQLite closes only files whose methods are set
  f->real = reinterpret_cast<sqlite3_file*>(f + 1);
  f->wal = (flags & SQLITE_OPEN_WAL) != 0;
  f->buf = nullptr;
  f->buf_offset = 0;
  f->buf_len = 0;
  int rc = base->xOpen(base, name, f->real, flags, out_flags);
  if (rc != SQLITE_OK) return rc;
  if (f->real->pMethods->iVersion < 3) {  // not the unix VFS we wrap: nothing to delegate shm to
    f->real->pMethods->xClose(f->real);
    return SQLITE_CANTOPEN;
  }
  f->base.pMethods = &kMethods;
  return SQLITE_OK;
}

// Registers one buffered VFS named `name` over `base` (never as the default); nullptr if it
// could not be.
const char* register_over(sqlite3_vfs* base, std::string name) {
  if (!base) return nullptr;
  // The base's own functions (they read only its pAppData and limits). Registered for good:
  // never freed.
  auto* v = new Vfs{*base, base, std::move(name)};
  v->vfs.pNext = nullptr;
  v->vfs.zName = v->name.c_str();
  v->vfs.szOsFile = static_cast<int>(sizeof(File)) + base->szOsFile;
  v->vfs.xOpen = x_open;
  return sqlite3_vfs_register(&v->vfs, 0) == SQLITE_OK ? v->vfs.zName : nullptr;
}

}  // namespace

const char* buffered_wal_vfs() {
  static const char* name = register_over(sqlite3_vfs_find(nullptr), "p720-buffered-wal");
  return name;
}

const char* buffered_wal_vfs_over(const char* base) {
  static std::mutex mu;
  static std::map<std::string, const char*> registered;
  std::lock_guard lock(mu);
  auto [it, fresh] = registered.try_emplace(base, nullptr);
  if (fresh) it->second = register_over(sqlite3_vfs_find(base), std::string("p720-buffered-wal+") + base);
  return it->second;
}

}  // namespace p720::store
