#include "adapters/sqlite_store.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <filesystem>
#include <utility>

#include "adapters/rules_record.h"
#include "adapters/sqlite/database.h"
#include "adapters/sqlite/event_writer.h"
#include "adapters/sqlite/order_reader.h"
#include "adapters/sqlite/schema.h"
#include "adapters/sqlite/settings.h"
#include "adapters/sqlite/wal_checkpointer.h"

namespace floortrack {
namespace {

constexpr int kReadOnlyBusyTimeoutMs = 5000;

using sqlite::Database;
using sqlite::NoThrow;

// A read-only connection to a WAL database needs its -shm (and -wal) files:
// it creates them when absent, which a user who may not write to the
// directory cannot. floortrackd keeps both files (SQLITE_FCNTL_PERSIST_WAL),
// so this happens only for a database that floortrackd has not opened since
// it was copied or restored, or that another program closed last.
Error ExplainReadOnlyFailure(const std::string& path, const Error& error) {
  std::error_code ec;
  const bool shm = std::filesystem::exists(path + "-shm", ec);
  if (shm || (error.kind != ErrorKind::kReadOnly && error.kind != ErrorKind::kIo)) return error;
  return MakeError(error.kind,
                   error.message + "; " + path + "-shm and " + path +
                       "-wal are missing and this user may not create them: start floortrackd "
                       "once on this database (it keeps them), or run as a user who may write to "
                       "the database's directory");
}

}  // namespace

SqliteStore::SqliteStore(std::unique_ptr<Database> db) : db_(std::move(db)) {}
SqliteStore::~SqliteStore() {
  if (wal_fd_ >= 0) ::close(wal_fd_);
}

Status SqliteStore::SyncCommitted() {
  std::lock_guard lock(wal_mutex_);
  const std::string wal = db_->path() + "-wal";
  if (wal_fd_ < 0) wal_fd_ = ::open(wal.c_str(), O_RDONLY | O_CLOEXEC);
  if (wal_fd_ < 0 && errno == ENOENT) return Ok{};  // nothing written in WAL mode yet
  if (wal_fd_ < 0 || ::fdatasync(wal_fd_) != 0) {
    const int err = errno;
    return MakeError(err == ENOSPC ? ErrorKind::kFull : ErrorKind::kIo,
                     wal + ": syncing: " + std::strerror(err));
  }
  return Ok{};
}

Result<std::unique_ptr<SqliteStore>> SqliteStore::OpenForWriting(const StoreOptions& options,
                                                                 const Rules& rules) {
  return NoThrow([&]() -> Result<std::unique_ptr<SqliteStore>> {
    auto db = Database::Open(options.path, Database::Mode::kWritable, options.vfs,
                             options.busy_timeout_ms);
    if (!db) return db.error();
    auto version = sqlite::CheckFile(*db.value());
    if (!version) return version.error();
    // Only now, with the file known to be ours or empty, may anything be written.
    const bool full = options.sync == StoreOptions::Sync::kFull;
    if (auto s = sqlite::ConfigureForWriting(*db.value(), full); !s) return s.error();
    if (auto s = sqlite::Migrate(*db.value(), version.value(), options.progress); !s)
      return s.error();

    std::unique_ptr<SqliteStore> store(new SqliteStore(std::move(db).value()));
    auto settings = sqlite::Settings::Create(*store->db_);
    if (!settings) return settings.error();
    store->settings_ = std::move(settings).value();
    auto writer =
        sqlite::EventWriter::Create(*store->db_, *store->settings_, rules, options.max_rejects);
    if (!writer) return writer.error();
    store->writer_ = std::move(writer).value();
    store->writer_->SetSyncFull(full);
    if (auto s = store->writer_->BringSummariesUpToDate(options.progress); !s) return s.error();
    auto reader = sqlite::OrderReader::Create(*store->db_, rules);
    if (!reader) return reader.error();
    store->reader_ = std::move(reader).value();
    if (options.background_checkpoints) {
      auto checkpointer = sqlite::WalCheckpointer::Open(options.path, options.vfs);
      if (!checkpointer) return checkpointer.error();
      store->checkpointer_ = std::move(checkpointer).value();
      store->checkpointer_->Install(store->db_->handle());
    }
    return store;
  });
}

Result<std::unique_ptr<SqliteStore>> SqliteStore::OpenReadOnly(const std::string& path) {
  return NoThrow([&]() -> Result<std::unique_ptr<SqliteStore>> {
    auto db = Database::Open(path, Database::Mode::kReadOnly, "", kReadOnlyBusyTimeoutMs);
    if (!db) return db.error();
    auto version = sqlite::CheckFile(*db.value());
    if (!version) return ExplainReadOnlyFailure(path, version.error());
    if (version.value() < sqlite::kStoreSchemaVersion) {
      return MakeError(ErrorKind::kCorrupt, path + ": floortrack schema version " +
                                                std::to_string(version.value()) +
                                                " is older than this build's (" +
                                                std::to_string(sqlite::kStoreSchemaVersion) +
                                                "); start floortrackd once to migrate it");
    }
    std::unique_ptr<SqliteStore> store(new SqliteStore(std::move(db).value()));
    auto settings = sqlite::Settings::Create(*store->db_);
    if (!settings) return settings.error();
    store->settings_ = std::move(settings).value();
    auto recorded = store->RecordedRules();
    if (!recorded) return recorded.error();
    // A database the daemon has not started on since it was created has no
    // record yet (nor any event to sort).
    auto reader = sqlite::OrderReader::Create(*store->db_, recorded.value().value_or(Rules{}));
    if (!reader) return reader.error();
    store->reader_ = std::move(reader).value();
    return store;
  });
}

Result<std::optional<std::string>> SqliteStore::RecordedAlerts() {
  return NoThrow([&] { return settings_->Get(sqlite::kSettingAlerts); });
}

Result<std::optional<Rules>> SqliteStore::RecordedRules() {
  return NoThrow([&]() -> Result<std::optional<Rules>> {
    auto text = settings_->Get(sqlite::kSettingRules);
    if (!text) return text.error();
    if (!text.value()) return std::optional<Rules>();
    auto rules = DecodeRules(*text.value());
    if (!rules) {
      return MakeError(ErrorKind::kCorrupt, db_->path() + ": " + rules.error().message);
    }
    return std::optional<Rules>(std::move(rules).value());
  });
}

Result<AppendStatus> SqliteStore::Append(const StageEvent& event, const EventIdentity& identity) {
  if (!writer_) return MakeError(ErrorKind::kReadOnly, db_->path() + ": opened read-only");
  return writer_->Append(event, identity);
}

Result<std::vector<AppendStatus>> SqliteStore::AppendReading(
    const std::vector<std::pair<StageEvent, EventIdentity>>& events, const std::string& device,
    const std::optional<std::string>& state) {
  if (!writer_) return MakeError(ErrorKind::kReadOnly, db_->path() + ": opened read-only");
  return writer_->AppendReading(events, device, state);
}

Result<std::string> SqliteStore::DeviceState(const std::string& device) {
  if (!writer_) return MakeError(ErrorKind::kReadOnly, db_->path() + ": opened read-only");
  return writer_->DeviceState(device);
}

Result<StoredRefs> SqliteStore::Lookup(const std::string& id) {
  if (!writer_) return MakeError(ErrorKind::kReadOnly, db_->path() + ": opened read-only");
  return writer_->Lookup(id);
}

Result<std::uint64_t> SqliteStore::BeginEpoch() {
  if (!writer_) return MakeError(ErrorKind::kReadOnly, db_->path() + ": opened read-only");
  return writer_->BeginEpoch();
}

Status SqliteStore::BeginBatch(bool durable) {
  if (!writer_) return MakeError(ErrorKind::kReadOnly, db_->path() + ": opened read-only");
  return writer_->BeginBatch(durable);
}

Status SqliteStore::CommitBatch(std::uint64_t applied_through) {
  if (!writer_) return MakeError(ErrorKind::kReadOnly, db_->path() + ": opened read-only");
  return writer_->CommitBatch(applied_through);
}

void SqliteStore::AbortBatch() {
  if (writer_) writer_->AbortBatch();
}

Result<std::uint64_t> SqliteStore::AppliedThrough() {
  if (!writer_) return MakeError(ErrorKind::kReadOnly, db_->path() + ": opened read-only");
  return writer_->AppliedThrough();
}

Status SqliteStore::AppendReject(const Reject& reject) {
  if (!writer_) return MakeError(ErrorKind::kReadOnly, db_->path() + ": opened read-only");
  return writer_->AppendReject(reject);
}

void SqliteStore::SetRules(const Rules& rules) {
  if (writer_) writer_->SetRules(rules);
  reader_->SetRules(rules);
}

Result<std::vector<StageEvent>> SqliteStore::OrderEvents(const std::string& order_id) {
  return reader_->OrderEvents(order_id);
}
Result<OrderSummary> SqliteStore::FindOrder(const std::string& order_id) {
  return reader_->FindOrder(order_id);
}
Status SqliteStore::VisitOrdersForKpi(const Window& window,
                                      const std::function<void(const OrderSummary&)>& visit) {
  return reader_->VisitOrdersForKpi(window, visit);
}
Status SqliteStore::VisitShippedTimelines(
    const Window& shipped, const std::function<void(std::vector<StageEvent>)>& visit) {
  return reader_->VisitShippedTimelines(shipped, visit);
}
Result<MaterialTotals> SqliteStore::MaterialInWindow(const Window& window) {
  return reader_->MaterialInWindow(window);
}

Result<ActivityTotals> SqliteStore::ActivityInWindow(const Window& window, TimePoint now) {
  return reader_->ActivityInWindow(window, now);
}
void SqliteStore::UseRollups(bool use) { reader_->UseRollups(use); }
Result<std::optional<RollupKpiInputs>> SqliteStore::KpisFromRollups(
    const Rules& rules, const std::optional<TimePoint>& until, TimePoint now) {
  return reader_->KpisFromRollups(rules, until, now);
}
Result<std::vector<OrderSummary>> SqliteStore::ListOrders(const OrderFilter& filter) {
  return reader_->ListOrders(filter);
}
Result<std::vector<Reject>> SqliteStore::RecentRejects(std::size_t limit) {
  return reader_->RecentRejects(limit);
}
Result<std::uint64_t> SqliteStore::RejectTotal() { return reader_->RejectTotal(); }
Result<std::uint64_t> SqliteStore::EventCount() { return reader_->EventCount(); }
Result<BatchView> SqliteStore::FindBatch(const std::string& batch_id) {
  return reader_->FindBatch(batch_id);
}
Result<std::vector<std::string>> SqliteStore::BatchesOfOrder(const std::string& order_id) {
  return reader_->BatchesOfOrder(order_id);
}
Status SqliteStore::VisitTimelinesForFlow(
    const Window& window, const std::function<void(const std::vector<StageEvent>&)>& visit) {
  return reader_->VisitTimelinesForFlow(window, visit);
}
Status SqliteStore::VisitEvents(const Window& window,
                                const std::function<void(const StageEvent&)>& visit) {
  return reader_->VisitEvents(window, visit);
}
Status SqliteStore::VisitVoids(
    const std::function<void(const std::string&, const std::string&)>& visit) {
  return reader_->VisitVoids(visit);
}
Status SqliteStore::VisitOrders(const Window& window,
                                const std::function<void(const OrderSummary&)>& visit) {
  return reader_->VisitOrders(window, visit);
}

}  // namespace floortrack
