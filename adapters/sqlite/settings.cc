#include "adapters/sqlite/settings.h"

#include "adapters/sqlite/statement.h"

namespace floortrack::sqlite {
namespace {

constexpr const char* kGetSql = "SELECT value FROM settings WHERE name = ?1";
constexpr const char* kPutSql =
    "INSERT INTO settings(name, value) VALUES (?1, ?2) "
    "ON CONFLICT(name) DO UPDATE SET value = excluded.value";

}  // namespace

Result<std::unique_ptr<Settings>> Settings::Create(Database& db) {
  std::unique_ptr<Settings> settings(new Settings(db));
  if (auto s = db.Prepare(kGetSql, settings->get_); !s) return s.error();
  if (db.writable()) {
    if (auto s = db.Prepare(kPutSql, settings->put_); !s) return s.error();
  }
  return settings;
}

Result<std::optional<std::string>> Settings::Get(const std::string& name) {
  Statement q(get_.get());
  q.Text(1, name);
  int rc = q.Step();
  if (rc == SQLITE_DONE) return std::optional<std::string>();
  if (rc != SQLITE_ROW) return db_.SqlError(rc, ("reading setting " + name).c_str());
  return std::optional<std::string>(q.Text(0));
}

Status Settings::Put(const std::string& name, const std::string& value) {
  if (!put_) return MakeError(ErrorKind::kReadOnly, db_.path() + ": opened read-only");
  Statement q(put_.get());
  q.Text(1, name).Text(2, value);
  int rc = q.Step();
  if (rc != SQLITE_DONE) return db_.SqlError(rc, ("writing setting " + name).c_str());
  return Ok{};
}

}  // namespace floortrack::sqlite
