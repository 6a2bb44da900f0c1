// SqliteStore: the durable event history in one SQLite database file.
//
// Implements both EventStore (the daemon writes through OpenForWriting) and
// OrderHistory (the CLI reads through OpenReadOnly). Every Append runs in one
// BEGIN IMMEDIATE transaction that inserts the event (deduplicated by its
// unique event_key) and brings the order's summary row up to date (from the
// row and the event when the event is the order's latest, else from all of
// the order's events), so a crash or error never leaves one without the other.
// The file is in WAL mode, so readers see committed data only and never block
// the writer. A file that is not a SQLite database, belongs to another
// application, or has a newer schema is refused with kCorrupt and never
// modified. The store owns its connection and prepared statements; one
// instance is used from one thread at a time (separate instances, even in
// separate processes, may share the file).
//
// orders.return_reasons encoding: each reason as "<decimal byte length>:"
// followed by its bytes, concatenated; no reasons is the empty string.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/event_store.h"
#include "core/order_history.h"

struct sqlite3;
struct sqlite3_stmt;

namespace floortrack {

struct StoreOptions {
  std::string path;
  enum class Sync { kNormal, kFull } sync = Sync::kFull;
  int busy_timeout_ms = 5000;
  std::size_t max_rejects = 10000;  // newest rejects kept; older ones are deleted
  // Name of a registered sqlite3_vfs to open the file through; empty = the
  // default. Tests register a fault-injecting VFS (tests/store/fault_vfs.h).
  std::string vfs;
};

// "floortrack application_id": PRAGMA application_id of every store file.
inline constexpr std::int32_t kStoreApplicationId = 0x466C5452;  // "FlTR"
inline constexpr int kStoreSchemaVersion = 1;                    // PRAGMA user_version

class SqliteStore final : public EventStore, public OrderHistory {
 public:
  // Opens (creating file and schema if absent; the directory must exist).
  static Result<std::unique_ptr<SqliteStore>> OpenForWriting(const StoreOptions& options,
                                                             const Rules& rules);
  // Opens an existing store for queries; kNotFound when the file is missing.
  static Result<std::unique_ptr<SqliteStore>> OpenReadOnly(const std::string& path);

  ~SqliteStore() override;
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

  // EventStore.
  Result<AppendStatus> Append(const StageEvent& event) override;
  Status AppendReject(const Reject& reject) override;
  void SetRules(const Rules& rules) override;

  // OrderHistory. RecentRejects(0) returns all kept rejects.
  Result<std::vector<StageEvent>> OrderEvents(const std::string& order_id) override;
  Result<OrderSummary> FindOrder(const std::string& order_id) override;
  Status VisitOrdersForKpi(const Window& window,
                           const std::function<void(const OrderSummary&)>& visit) override;
  Result<MaterialTotals> MaterialInWindow(const Window& window) override;
  Result<std::vector<OrderSummary>> ListOrders(const OrderFilter& filter) override;
  Result<std::vector<Reject>> RecentRejects(std::size_t limit) override;
  Result<std::uint64_t> RejectTotal() override;
  Result<std::uint64_t> EventCount() override;

 private:
  struct DbCloser {
    void operator()(sqlite3* db) const;
  };
  using DbPtr = std::unique_ptr<sqlite3, DbCloser>;
  struct Statements;  // every prepared statement, defined in the .cc

  SqliteStore(DbPtr db, std::string path, Rules rules, std::size_t max_rejects);
  static Result<std::unique_ptr<SqliteStore>> Finish(DbPtr db, const std::string& path,
                                                     const Rules& rules, std::size_t max_rejects);

  Result<AppendStatus> AppendInTransaction(const StageEvent& event);
  Result<bool> InsertEvent(const StageEvent& event);
  Status RefreshSummary(const StageEvent& event);
  Status RecomputeSummary(const std::string& order_id);
  Status AppendRejectInTransaction(const Reject& reject);
  Status Run(sqlite3_stmt* stmt, const char* what);
  void RollbackIfActive();
  void AfterFailedWrite(const Error& error);
  Result<std::vector<StageEvent>> LoadEvents(sqlite3_stmt* stmt, const std::string& order_id,
                                             bool with_raw);
  Result<std::uint64_t> CountQuery(sqlite3_stmt* stmt, const char* what);
  Error SqlError(int rc, const char* what) const;

  DbPtr db_;  // declared first: destroyed after the statements
  std::string path_;
  Rules rules_;
  std::size_t max_rejects_;
  std::unique_ptr<Statements> stmts_;
};

}  // namespace floortrack
