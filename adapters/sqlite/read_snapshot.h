// ReadSnapshot: a read transaction around several statements of one
// connection, so they see one snapshot of the WAL (a commit between them
// would, for instance, count an order's moved rollup entries twice, or
// leave a new void out of the set its order's timeline is read against).
// Nothing when a transaction is already open. Scoped: commits (or rolls
// back) when it goes. Same thread-safety as the connection it borrows.
#pragma once

#include <sqlite3.h>

namespace floortrack::sqlite {

class ReadSnapshot {
 public:
  explicit ReadSnapshot(sqlite3* db) : db_(db) {
    if (sqlite3_get_autocommit(db_))
      began_ = sqlite3_exec(db_, "BEGIN", nullptr, nullptr, nullptr) == SQLITE_OK;
  }
  ~ReadSnapshot() {
    if (began_ && sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK)
      sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }
  ReadSnapshot(const ReadSnapshot&) = delete;
  ReadSnapshot& operator=(const ReadSnapshot&) = delete;

 private:
  sqlite3* db_;
  bool began_ = false;
};

}  // namespace floortrack::sqlite
