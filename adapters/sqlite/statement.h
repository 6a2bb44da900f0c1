// Statement: one use of a prepared SQLite statement.
//
// Binds parameters, steps, reads columns, and on destruction resets the
// statement (ending its implicit read transaction) and clears its bindings,
// so a cached statement is always ready for the next use. Does not own the
// sqlite3_stmt (the Database's cache does). A bind failure is remembered and
// returned by Step(), so a chain of binds needs one check. Not thread-safe:
// one use at a time per statement.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/time.h"

namespace floortrack::sqlite {

class Statement {
 public:
  explicit Statement(sqlite3_stmt* stmt) : stmt_(stmt) {}
  ~Statement() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& Int(int i, std::int64_t v) { return Check(sqlite3_bind_int64(stmt_, i, v)); }
  Statement& Real(int i, double v) { return Check(sqlite3_bind_double(stmt_, i, v)); }
  Statement& Text(int i, std::string_view v) {
    return Check(sqlite3_bind_text64(stmt_, i, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8));
  }
  // data() is never null, so "" stays a zero-length blob, not NULL.
  Statement& Blob(int i, std::string_view v) {
    return Check(sqlite3_bind_blob64(stmt_, i, v.data(), v.size(), SQLITE_TRANSIENT));
  }
  // The *OrNull binds leave the parameter NULL for an absent value.
  Statement& TextOrNull(int i, const std::string& v) { return v.empty() ? *this : Text(i, v); }
  Statement& TimeOrNull(int i, const std::optional<TimePoint>& t) {
    return t ? Int(i, ToEpochMs(*t)) : *this;
  }
  Statement& RealOrNull(int i, const std::optional<double>& v) { return v ? Real(i, *v) : *this; }
  Statement& BoolOrNull(int i, const std::optional<bool>& v) {
    return v ? Int(i, *v ? 1 : 0) : *this;
  }

  // SQLITE_ROW, SQLITE_DONE, or the error (including a failed bind).
  int Step() { return bind_rc_ != SQLITE_OK ? bind_rc_ : sqlite3_step(stmt_); }

  bool IsNull(int c) const { return sqlite3_column_type(stmt_, c) == SQLITE_NULL; }
  std::int64_t Int(int c) const { return sqlite3_column_int64(stmt_, c); }
  double Real(int c) const { return sqlite3_column_double(stmt_, c); }
  TimePoint Time(int c) const { return FromEpochMs(Int(c)); }
  std::string Text(int c) const {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, c));
    return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, c))) : "";
  }
  // Valid until the next Step() or column read of `c` as another type.
  std::string_view TextView(int c) const {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, c));
    return p ? std::string_view(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, c)))
             : std::string_view();
  }
  std::string Blob(int c) const {
    const auto* p = static_cast<const char*>(sqlite3_column_blob(stmt_, c));
    return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, c))) : "";
  }
  std::optional<TimePoint> OptTime(int c) const {
    return IsNull(c) ? std::nullopt : std::optional<TimePoint>(Time(c));
  }
  std::optional<double> OptReal(int c) const {
    return IsNull(c) ? std::nullopt : std::optional<double>(Real(c));
  }
  std::optional<bool> OptBool(int c) const {
    return IsNull(c) ? std::nullopt : std::optional<bool>(Int(c) != 0);
  }

 private:
  Statement& Check(int rc) {
    if (bind_rc_ == SQLITE_OK) bind_rc_ = rc;
    return *this;
  }
  sqlite3_stmt* stmt_;
  int bind_rc_ = SQLITE_OK;
};

}  // namespace floortrack::sqlite
