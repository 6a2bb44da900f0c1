// WalCheckpointer: runs the database's WAL checkpoints on a thread and a
// connection of its own, so the writer never stops to copy WAL pages back
// into the database file and sync it.
//
// Installed on the writer's connection as its WAL hook (which replaces
// SQLite's automatic checkpoint there): after each commit the writer only
// reports how many pages the WAL holds; past `pages` this thread runs a
// PASSIVE checkpoint through its own connection, which never blocks the
// writer (WAL mode lets one checkpointer and one writer work at once). The
// writer's own emergency checkpoint on a full disk (EventWriter) stays.
//
// Owns its thread and connection. Install() and the destructor (which
// uninstalls, then joins) are called from the writer's thread; the hook
// runs on it too.
#pragma once

#include <sqlite3.h>

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "core/result.h"

namespace floortrack::sqlite {

class WalCheckpointer {
 public:
  // Opens its own connection to `path` (through `vfs` if not empty).
  static Result<std::unique_ptr<WalCheckpointer>> Open(const std::string& path,
                                                       const std::string& vfs, int pages = 1000);
  ~WalCheckpointer();
  WalCheckpointer(const WalCheckpointer&) = delete;
  WalCheckpointer& operator=(const WalCheckpointer&) = delete;

  // Takes over `writer`'s checkpoints until destroyed.
  void Install(sqlite3* writer);

 private:
  WalCheckpointer(sqlite3* db, int pages);
  static int OnCommit(void* self, sqlite3* db, const char* name, int wal_pages);
  void Run();

  sqlite3* db_;
  sqlite3* writer_ = nullptr;
  int pages_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool due_ = false;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace floortrack::sqlite
