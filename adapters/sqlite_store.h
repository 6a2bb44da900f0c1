// SqliteStore: the durable event history in one SQLite database file.
//
// The facade the daemon, the CLI and the tools open. It implements both
// store ports, EventStore (OpenForWriting; the daemon) and OrderHistory
// (both; the CLI opens read-only), over the store's parts in adapters/sqlite/:
//   database    the connection, statement preparation, error mapping
//   schema      the header check and the numbered migrations
//   rows        events, summaries and rejects to and from columns
//   event_writer  appends in one transaction each; core's summary rule
//   order_reader  every query
//   settings    named records: the rules in effect, the summaries' version
// The file is in WAL mode, so readers see committed data only and never
// block the writer. A file that is not a SQLite database, belongs to another
// application, or has a newer schema is refused with kCorrupt and never
// modified; an older one is migrated when opened for writing.
//
// Owns its connection and parts; one instance is used from one thread at a
// time (separate instances, even in separate processes, may share the file).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "adapters/sqlite/progress.h"
#include "core/event_store.h"
#include "core/order_history.h"

namespace floortrack {

namespace sqlite {
class Database;
class Settings;
class EventWriter;
class OrderReader;
class WalCheckpointer;
}  // namespace sqlite

struct StoreOptions {
  std::string path;
  enum class Sync { kNormal, kFull } sync = Sync::kFull;
  int busy_timeout_ms = 5000;
  std::size_t max_rejects = 10000;  // newest rejects kept; older ones are deleted
  // Name of a registered sqlite3_vfs to open the file through; empty = the
  // default. Tests register a fault-injecting VFS (tests/store/fault_vfs.h).
  std::string vfs;
  // Told about migrations and summary rebuilds while OpenForWriting runs them.
  StoreProgressHandler progress;
  // WAL checkpoints on a thread and connection of their own
  // (adapters/sqlite/wal_checkpointer.h) instead of inside the writer's
  // commits: the daemon's choice, so a checkpoint never delays ingest.
  bool background_checkpoints = false;
};

class SqliteStore final : public EventStore, public OrderHistory {
 public:
  // Opens (creating file and schema if absent; the directory must exist),
  // migrates an older schema, records `rules` and rebuilds the order
  // summaries if they were made under another stage order or summary logic.
  static Result<std::unique_ptr<SqliteStore>> OpenForWriting(const StoreOptions& options,
                                                             const Rules& rules);
  // Opens an existing store for queries, sorting timelines by the rules the
  // daemon recorded; kNotFound when the file is missing.
  static Result<std::unique_ptr<SqliteStore>> OpenReadOnly(const std::string& path);

  ~SqliteStore() override;
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

  // The rules the daemon recorded (nullopt if none yet).
  Result<std::optional<Rules>> RecordedRules();
  // The alert state the daemon recorded (adapters/alert_record.h), if any.
  Result<std::optional<std::string>> RecordedAlerts();

  // EventStore (kReadOnly on a read-only store).
  using EventStore::Append;
  Result<AppendStatus> Append(const StageEvent& event, const EventIdentity& identity) override;
  Status AppendReject(const Reject& reject) override;
  void SetRules(const Rules& rules) override;
  Result<std::uint64_t> BeginEpoch() override;
  Status BeginBatch(bool durable) override;
  Status CommitBatch(std::uint64_t applied_through) override;
  void AbortBatch() override;
  Result<std::uint64_t> AppliedThrough() override;
  // fdatasync of the -wal file: every commit not yet checkpointed is in it,
  // every one checkpointed was synced in the database file by the checkpoint.
  Status SyncCommitted() override;
  Result<std::vector<AppendStatus>> AppendReading(
      const std::vector<std::pair<StageEvent, EventIdentity>>& events, const std::string& device,
      const std::optional<std::string>& state) override;
  Result<std::string> DeviceState(const std::string& device) override;
  Result<StoredRefs> Lookup(const std::string& id) override;

  // OrderHistory. RecentRejects(0) returns all kept rejects.
  Result<std::vector<StageEvent>> OrderEvents(const std::string& order_id) override;
  Result<OrderSummary> FindOrder(const std::string& order_id) override;
  Status VisitOrdersForKpi(const Window& window,
                           const std::function<void(const OrderSummary&)>& visit) override;
  Result<MaterialTotals> MaterialInWindow(const Window& window) override;
  Result<ActivityTotals> ActivityInWindow(const Window& window, TimePoint now) override;
  // Whether reads may use the KPI rollups (default true); false computes
  // everything from the orders and events, for tests that compare the two.
  void UseRollups(bool use);
  Result<std::optional<RollupKpiInputs>> KpisFromRollups(const Rules& rules,
                                                         const std::optional<TimePoint>& until,
                                                         TimePoint now) override;
  Result<std::vector<OrderSummary>> ListOrders(const OrderFilter& filter) override;
  Result<std::vector<Reject>> RecentRejects(std::size_t limit) override;
  Result<std::uint64_t> RejectTotal() override;
  Result<std::uint64_t> EventCount() override;
  Result<BatchView> FindBatch(const std::string& batch_id) override;
  Result<std::vector<std::string>> BatchesOfOrder(const std::string& order_id) override;
  Status VisitTimelinesForFlow(
      const Window& window,
      const std::function<void(const std::vector<StageEvent>&)>& visit) override;
  Status VisitEvents(const Window& window,
                     const std::function<void(const StageEvent&)>& visit) override;
  Status VisitOrders(const Window& window,
                     const std::function<void(const OrderSummary&)>& visit) override;
  Status VisitVoids(
      const std::function<void(const std::string&, const std::string&)>& visit) override;
  Status VisitShippedTimelines(const Window& shipped,
                               const std::function<void(std::vector<StageEvent>)>& visit) override;

 private:
  explicit SqliteStore(std::unique_ptr<sqlite::Database> db);

  // Declared first: destroyed after the parts whose statements it holds.
  std::unique_ptr<sqlite::Database> db_;
  std::unique_ptr<sqlite::Settings> settings_;
  std::unique_ptr<sqlite::EventWriter> writer_;  // null when read-only
  std::unique_ptr<sqlite::OrderReader> reader_;
  // Last: destroyed first, handing the checkpoints back to the writer's connection.
  std::unique_ptr<sqlite::WalCheckpointer> checkpointer_;
  std::mutex wal_mutex_;
  int wal_fd_ = -1;  // opened by the first SyncCommitted()
};

}  // namespace floortrack
