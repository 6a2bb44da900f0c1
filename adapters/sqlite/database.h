// Database: one SQLite connection to a floortrack database file, and the
// helpers every role of the store (schema, writer, reader, settings) uses:
// preparing statements, running SQL, and turning SQLite result codes into
// floortrack Errors that name the file and what was being done.
//
// Opening never creates a file that exists and never creates one in
// read-only mode. The Database owns the connection; statements prepared
// through it (StmtPtr) must be destroyed before it. One connection is used
// from one thread at a time (SQLITE_OPEN_NOMUTEX); separate Databases, even
// in separate processes, may share the file.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <exception>
#include <memory>
#include <string>

#include "core/result.h"

namespace floortrack::sqlite {

struct StmtFinalizer {
  void operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }
};
using StmtPtr = std::unique_ptr<sqlite3_stmt, StmtFinalizer>;

// kBusy, kFull, kReadOnly, kCorrupt, kIo or kInternal for a SQLite result code.
ErrorKind KindOf(int rc);

class Database {
 public:
  enum class Mode { kReadOnly, kWritable };
  // Opens `path` (creating it only when writable and absent). `vfs` names a
  // registered sqlite3_vfs; empty means SQLite's default.
  static Result<std::unique_ptr<Database>> Open(const std::string& path, Mode mode,
                                                const std::string& vfs, int busy_timeout_ms);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  sqlite3* handle() const { return db_; }
  const std::string& path() const { return path_; }
  bool writable() const { return mode_ == Mode::kWritable; }

  // Prepares `sql` once for repeated use (SQLITE_PREPARE_PERSISTENT).
  Status Prepare(const char* sql, StmtPtr& out);
  // Runs one or more statements that return no rows.
  Status Exec(const char* sql, const char* what);
  // Runs a query whose first row's first column is an integer.
  Result<std::int64_t> QueryInt(const char* sql, const char* what);
  // Steps a prepared statement that returns no rows (or ignores them).
  Status Run(sqlite3_stmt* stmt, const char* what);
  // Rolls back the open transaction, if any; a transaction never stays open
  // after an error.
  void RollbackIfActive();

  // "<path>: <what>: <sqlite message> (sqlite code N)", of KindOf(rc).
  Error SqlError(int rc, const char* what) const;

 private:
  Database(sqlite3* db, std::string path, Mode mode) : db_(db), path_(std::move(path)), mode_(mode) {}
  sqlite3* db_;
  std::string path_;
  Mode mode_;
};

// Runs `f`, turning an escaping exception (bad_alloc, say) into kInternal, so
// no exception leaves the store.
template <class F>
auto NoThrow(F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const std::exception& e) {
    return MakeError(ErrorKind::kInternal, std::string("unexpected exception: ") + e.what());
  } catch (...) {
    return MakeError(ErrorKind::kInternal, "unexpected exception");
  }
}

}  // namespace floortrack::sqlite
