// Helpers the store tests share: a temporary directory, events, options,
// opening and appending with REQUIRE, and a raw sqlite3 connection for
// looking at (or tampering with) the file as another process would.
// Test-only; header-only; not thread-safe.
#pragma once

#include <doctest/doctest.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>

#include "adapters/sqlite_store.h"

namespace floortrack {

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/floortrack-store-XXXXXX";
    const char* made = mkdtemp(tmpl);
    REQUIRE(made != nullptr);
    path_ = made;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

inline TimePoint At(std::int64_t ms) { return FromEpochMs(ms); }

inline StageEvent Event(const std::string& key, const std::string& order, const std::string& stage,
                 std::int64_t stage_ms) {
  StageEvent e;
  e.event_key = key;
  e.order_id = order;
  e.stage = stage;
  e.topic = "shop/" + stage;
  e.stage_time = At(stage_ms);
  e.received_at = At(stage_ms + 10);
  e.device_ts = At(stage_ms);
  e.raw_payload = "{\"order_id\":\"" + order + "\"}";
  return e;
}

inline StageEvent WithMaterial(StageEvent e, double used, double scrap) {
  e.material = Material{"silver", used, scrap};
  e.material_cost = used * 0.5;
  return e;
}

inline StoreOptions Options(const std::string& path) {
  StoreOptions options;
  options.path = path;
  return options;
}

inline std::unique_ptr<SqliteStore> MustOpen(const StoreOptions& options) {
  auto store = SqliteStore::OpenForWriting(options, Rules{});
  REQUIRE_MESSAGE(store.ok(), (store.ok() ? "" : store.error().message));
  return std::move(store).value();
}

inline std::unique_ptr<SqliteStore> MustOpenReadOnly(const std::string& path) {
  auto store = SqliteStore::OpenReadOnly(path);
  REQUIRE_MESSAGE(store.ok(), (store.ok() ? "" : store.error().message));
  return std::move(store).value();
}

inline void MustAppend(SqliteStore& store, const StageEvent& e,
                AppendStatus expected = AppendStatus::kInserted) {
  auto r = store.Append(e);
  REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().message));
  CHECK(r.value() == expected);
}

// The total of the progress step named `step`; -1 when none was reported.
inline std::int64_t Reported(const std::vector<StoreProgress>& steps, const std::string& step) {
  for (const StoreProgress& p : steps)
    if (p.step == step) return static_cast<std::int64_t>(p.total);
  return -1;
}

inline std::string ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// A plain sqlite3 connection for poking at the file from "another process".
class RawDb {
 public:
  explicit RawDb(const std::string& path, int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) {
    REQUIRE(sqlite3_open_v2(path.c_str(), &db_, flags, nullptr) == SQLITE_OK);
  }
  ~RawDb() { sqlite3_close_v2(db_); }
  int Exec(const std::string& sql) {
    return sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr);
  }
  std::int64_t Int(const std::string& sql) {
    sqlite3_stmt* stmt = nullptr;
    REQUIRE(sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK);
    REQUIRE(sqlite3_step(stmt) == SQLITE_ROW);
    std::int64_t v = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    return v;
  }
  std::string Text(const std::string& sql) {
    sqlite3_stmt* stmt = nullptr;
    REQUIRE(sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK);
    REQUIRE(sqlite3_step(stmt) == SQLITE_ROW);
    std::string v = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    sqlite3_finalize(stmt);
    return v;
  }
  sqlite3* get() { return db_; }

 private:
  sqlite3* db_ = nullptr;
};

}  // namespace floortrack
