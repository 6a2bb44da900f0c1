#include "adapters/sqlite/database.h"

#include <filesystem>
#include <utility>

namespace floortrack::sqlite {

ErrorKind KindOf(int rc) {
  switch (rc & 0xFF) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return ErrorKind::kBusy;
    case SQLITE_FULL:
      return ErrorKind::kFull;
    case SQLITE_READONLY:
      return ErrorKind::kReadOnly;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return ErrorKind::kCorrupt;
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
      return ErrorKind::kIo;
    default:
      return ErrorKind::kInternal;
  }
}

namespace {

Error MakeSqlError(sqlite3* db, int rc, const std::string& path, const char* what) {
  const char* detail = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  return MakeError(KindOf(rc), path + ": " + what + ": " + detail + " (sqlite code " +
                                   std::to_string(rc) + ")");
}

}  // namespace

Result<std::unique_ptr<Database>> Database::Open(const std::string& path, Mode mode,
                                                 const std::string& vfs, int busy_timeout_ms) {
  const bool writable = mode == Mode::kWritable;
  std::error_code ec;
  const bool exists = std::filesystem::exists(path, ec);
  if (!exists && !writable) return MakeError(ErrorKind::kNotFound, path + ": no such database file");
  int flags = (writable ? SQLITE_OPEN_READWRITE : SQLITE_OPEN_READONLY) | SQLITE_OPEN_NOMUTEX;
  if (writable && !exists) flags |= SQLITE_OPEN_CREATE;
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, flags, vfs.empty() ? nullptr : vfs.c_str());
  if (rc != SQLITE_OK) {
    Error err = MakeSqlError(db, rc, path, "opening the database");
    sqlite3_close_v2(db);
    return err;
  }
  std::unique_ptr<Database> opened(new Database(db, path, mode));
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, busy_timeout_ms);
  // The writer's statements are prepared once and run per event. Without
  // the query planner stability guarantee, SQLite re-prepares a statement
  // whenever a new binding could change the plan: a parameter compared with
  // a partial index's column (the void lookup: `voids = ?2` against
  // events_voids ... WHERE voids IS NOT NULL) made every run re-parse and
  // re-plan it, 30 % of the applier's time. The plans the writer needs rest
  // on literal terms.
  if (writable) sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_QPSG, 1, nullptr);
  if (writable && sqlite3_db_readonly(db, "main") == 1)
    return MakeError(ErrorKind::kReadOnly, path + ": database file is not writable");
  return opened;
}

Database::~Database() { sqlite3_close_v2(db_); }

Error Database::SqlError(int rc, const char* what) const {
  return MakeSqlError(db_, rc, path_, what);
}

Status Database::Prepare(const char* sql, StmtPtr& out) {
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
  out.reset(raw);
  if (rc != SQLITE_OK) return SqlError(rc, "preparing statements");
  return Ok{};
}

Status Database::Exec(const char* sql, const char* what) {
  int rc = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return SqlError(rc, what);
  return Ok{};
}

Result<std::int64_t> Database::QueryInt(const char* sql, const char* what) {
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(db_, sql, -1, &raw, nullptr);
  StmtPtr stmt(raw);
  if (rc != SQLITE_OK) return SqlError(rc, what);
  rc = sqlite3_step(stmt.get());
  if (rc != SQLITE_ROW) return SqlError(rc, what);
  return sqlite3_column_int64(stmt.get(), 0);
}

Status Database::Run(sqlite3_stmt* stmt, const char* what) {
  int rc = sqlite3_step(stmt);
  Status result = Ok{};
  if (rc != SQLITE_DONE && rc != SQLITE_ROW) result = SqlError(rc, what);
  sqlite3_reset(stmt);
  sqlite3_clear_bindings(stmt);
  return result;
}

void Database::RollbackIfActive() {
  if (sqlite3_get_autocommit(db_)) return;  // no transaction open (or already rolled back)
  sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
}

}  // namespace floortrack::sqlite
