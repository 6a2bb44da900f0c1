#include "adapters/sqlite/event_writer.h"

#include <algorithm>
#include <limits>
#include <utility>

#include "adapters/rules_record.h"
#include "adapters/sqlite/rows.h"
#include "adapters/sqlite/statement.h"

namespace floortrack::sqlite {
namespace {

constexpr std::int64_t kMaxInt = std::numeric_limits<std::int64_t>::max();
constexpr std::size_t kRebuildBatch = 5000;  // orders per transaction when rebuilding

constexpr const char* kInsertEventSql =
    "INSERT INTO events(" FT_EVENT_COLUMNS ", raw) VALUES "
    "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, "
    "?21, ?22, ?23, ?24) ON CONFLICT(event_key) DO NOTHING";
constexpr const char* kOrderEventsSql =
    "SELECT " FT_EVENT_COLUMNS " FROM events WHERE order_id = ?1 ORDER BY stage_ms, seq";
constexpr const char* kFindOrderSql = "SELECT " FT_ORDER_COLUMNS " FROM orders WHERE order_id = ?1";
constexpr const char* kUpsertOrderSql =
    "INSERT INTO orders(" FT_ORDER_COLUMNS ") VALUES "
    "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17) "
    "ON CONFLICT(order_id) DO UPDATE SET (" FT_ORDER_COLUMNS ") = (excluded.order_id, "
    "excluded.confirmed_ms, excluded.shipped_ms, excluded.current_stage, "
    "excluded.current_stage_ms, excluded.last_received_ms, excluded.event_count, excluded.value, "
    "excluded.currency, excluded.customer_id, excluded.product, excluded.personalized, "
    "excluded.used_g, excluded.scrap_g, excluded.material_cost, excluded.failed_before_ship, "
    "excluded.return_reasons)";
// The update when confirmed_ms and shipped_ms stay as they were: those two
// columns are left out of SET, so SQLite leaves orders_by_confirmed and
// orders_by_shipped alone (two fewer B-tree pages written, and fsynced, per
// event). Takes BindSummary's parameters; ?2 and ?3 only check that the row
// still has the times the previous summary was read with.
constexpr const char* kUpdateOrderSql =
    "UPDATE orders SET current_stage = ?4, current_stage_ms = ?5, last_received_ms = ?6, "
    "event_count = ?7, value = ?8, currency = ?9, customer_id = ?10, product = ?11, "
    "personalized = ?12, used_g = ?13, scrap_g = ?14, material_cost = ?15, "
    "failed_before_ship = ?16, return_reasons = ?17 "
    "WHERE order_id = ?1 AND confirmed_ms IS ?2 AND shipped_ms IS ?3";
constexpr const char* kInsertRejectSql =
    "INSERT INTO rejects(" FT_REJECT_COLUMNS ") VALUES (?1, ?2, ?3, ?4, ?5)";
constexpr const char* kBumpRejectsSql =
    "INSERT INTO counters(name, value) VALUES ('rejects_total', 1) "
    "ON CONFLICT(name) DO UPDATE SET value = value + 1";
// ?1 = how many newest rows to keep. Reject ids are contiguous (each new id is
// MAX(id) + 1 and only the oldest rows are ever deleted), so this keeps exactly
// the newest ?1 rows without scanning them.
constexpr const char* kTrimRejectsSql =
    "DELETE FROM rejects WHERE id <= (SELECT MAX(id) FROM rejects) - ?1";
constexpr const char* kEventByKeySql =
    "SELECT " FT_EVENT_COLUMNS " FROM events WHERE event_key = ?1";
// ?1 = fingerprint, ?2 = the current epoch: an unmatched entry of an earlier one.
constexpr const char* kFindTailSql =
    "SELECT id FROM delivery_tail WHERE fingerprint = ?1 AND epoch < ?2 AND matched = 0 "
    "ORDER BY id DESC LIMIT 1";
constexpr const char* kMatchTailSql = "UPDATE delivery_tail SET matched = 1 WHERE id = ?1";
constexpr const char* kInsertTailSql = "INSERT INTO delivery_tail(fingerprint, epoch) VALUES (?1, ?2)";
// ?1 = entries kept (ids are contiguous, as for rejects).
constexpr const char* kTrimTailSql =
    "DELETE FROM delivery_tail WHERE id <= (SELECT MAX(id) FROM delivery_tail) - ?1";
constexpr const char* kOrderIdsSql = "SELECT DISTINCT order_id FROM events ORDER BY order_id";

}  // namespace

EventWriter::EventWriter(Database& db, Settings& settings, Rules rules, std::size_t max_rejects)
    : db_(db), settings_(settings), rules_(std::move(rules)), max_rejects_(max_rejects) {}

Result<std::unique_ptr<EventWriter>> EventWriter::Create(Database& db, Settings& settings,
                                                         Rules rules, std::size_t max_rejects) {
  std::unique_ptr<EventWriter> w(new EventWriter(db, settings, std::move(rules), max_rejects));
  const std::pair<StmtPtr*, const char*> all[] = {
      {&w->begin_, "BEGIN IMMEDIATE"},         {&w->commit_, "COMMIT"},
      {&w->insert_event_, kInsertEventSql},    {&w->order_events_, kOrderEventsSql},
      {&w->find_order_, kFindOrderSql},        {&w->upsert_order_, kUpsertOrderSql},
      {&w->update_order_, kUpdateOrderSql},    {&w->insert_reject_, kInsertRejectSql},
      {&w->bump_rejects_, kBumpRejectsSql},    {&w->trim_rejects_, kTrimRejectsSql},
      {&w->order_ids_, kOrderIdsSql},          {&w->event_by_key_, kEventByKeySql},
      {&w->find_tail_, kFindTailSql},          {&w->match_tail_, kMatchTailSql},
      {&w->insert_tail_, kInsertTailSql},      {&w->trim_tail_, kTrimTailSql},
  };
  for (const auto& [slot, sql] : all) {
    if (auto s = db.Prepare(sql, *slot); !s) return s.error();
  }
  return w;
}

void EventWriter::SetRules(const Rules& rules) {
  rules_ = rules;
  rules_recorded_ = false;
}

// Leaves the store ready for a retry. On a full disk the WAL may be what
// fills it, and the WAL is only reset by a checkpoint, which the next commit
// would never reach: so try one now (best effort; it fails too while there is
// no room for the pages it writes back, and the caller retries later).
void EventWriter::AfterFailedWrite(const Error& error) {
  db_.RollbackIfActive();
  if (error.kind == ErrorKind::kFull)
    sqlite3_exec(db_.handle(), "PRAGMA wal_checkpoint(TRUNCATE)", nullptr, nullptr, nullptr);
}

Result<AppendStatus> EventWriter::Append(const StageEvent& event, const EventIdentity& identity) {
  Result<AppendStatus> result = NoThrow([&]() -> Result<AppendStatus> {
    if (!rules_recorded_) {
      if (auto s = BringSummariesUpToDate(nullptr); !s) return s.error();
    }
    if (auto s = db_.Run(begin_.get(), "beginning the append"); !s) return s.error();
    auto appended = AppendInTransaction(event, identity);
    if (!appended) return appended;
    if (auto s = db_.Run(commit_.get(), "committing the append"); !s) return s.error();
    return appended;
  });
  if (!result) AfterFailedWrite(result.error());
  return result;
}

Result<AppendStatus> EventWriter::AppendInTransaction(const StageEvent& event,
                                                      const EventIdentity& identity) {
  switch (identity.kind) {
    case Identity::kEventId:
      return AppendWithEventId(event, identity);
    case Identity::kDelivery:
      return AppendDelivery(event, identity);
    case Identity::kContent:
      break;
  }
  auto inserted = Insert(event);
  if (!inserted) return inserted.error();
  return inserted.value() ? AppendStatus::kInserted : AppendStatus::kDuplicate;
}

Result<bool> EventWriter::Insert(const StageEvent& event) {
  {
    Statement q(insert_event_.get());
    BindEvent(q, event);
    int rc = q.Step();
    if (rc != SQLITE_DONE) return db_.SqlError(rc, "inserting the event");
  }
  if (sqlite3_changes(db_.handle()) == 0) return false;
  if (auto s = UpdateSummary(*this, event, rules_); !s) return s.error();
  return true;
}

// The id is stored: the same content is a redelivery; other content is
// another event that reuses the id, kept under the id and its content.
Result<AppendStatus> EventWriter::AppendWithEventId(const StageEvent& event,
                                                    const EventIdentity& identity) {
  auto inserted = Insert(event);
  if (!inserted) return inserted.error();
  if (inserted.value()) return AppendStatus::kInserted;
  std::optional<StageEvent> stored;
  {
    Statement q(event_by_key_.get());
    q.Text(1, event.event_key);
    int rc = q.Step();
    if (rc == SQLITE_ROW) stored = ReadEvent(q, /*with_raw=*/false);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return db_.SqlError(rc, "reading the stored event");
  }
  if (!stored) return db_.SqlError(SQLITE_INTERNAL, "event_key conflict without a stored event");
  if (CanonicalContent(*stored, false) == CanonicalContent(event, false))
    return AppendStatus::kDuplicate;
  StageEvent reused = event;
  reused.event_key += "#" + identity.fingerprint;
  auto again = Insert(reused);
  if (!again) return again.error();
  return again.value() ? AppendStatus::kStoredReusedId : AppendStatus::kDuplicate;
}

Result<AppendStatus> EventWriter::AppendDelivery(const StageEvent& event,
                                                 const EventIdentity& identity) {
  if (identity.position <= kRedeliveryWindow) {
    std::optional<std::int64_t> match;
    {
      Statement q(find_tail_.get());
      q.Text(1, identity.fingerprint).Int(2, static_cast<std::int64_t>(identity.epoch));
      int rc = q.Step();
      if (rc == SQLITE_ROW) match = q.Int(0);
      if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return db_.SqlError(rc, "reading the redelivery tail");
    }
    if (match) {
      Statement q(match_tail_.get());
      q.Int(1, *match);
      if (int rc = q.Step(); rc != SQLITE_DONE)
        return db_.SqlError(rc, "matching the redelivery tail");
      return AppendStatus::kDuplicate;
    }
  }
  auto inserted = Insert(event);
  if (!inserted) return inserted.error();
  if (!inserted.value()) return AppendStatus::kDuplicate;  // same epoch and position: a retry
  {
    Statement q(insert_tail_.get());
    q.Text(1, identity.fingerprint).Int(2, static_cast<std::int64_t>(identity.epoch));
    if (int rc = q.Step(); rc != SQLITE_DONE) return db_.SqlError(rc, "extending the tail");
  }
  Statement q(trim_tail_.get());
  q.Int(1, static_cast<std::int64_t>(kDeliveryTail));
  if (int rc = q.Step(); rc != SQLITE_DONE) return db_.SqlError(rc, "trimming the tail");
  return AppendStatus::kInserted;
}

Result<std::uint64_t> EventWriter::BeginEpoch() {
  Result<std::uint64_t> result = NoThrow([&]() -> Result<std::uint64_t> {
    if (auto s = db_.Run(begin_.get(), "beginning a connection epoch"); !s) return s.error();
    auto stored = settings_.Get(kSettingEpoch);
    if (!stored) return stored.error();
    const std::uint64_t epoch = (stored.value() ? std::stoull(*stored.value()) : 0) + 1;
    if (auto s = settings_.Put(kSettingEpoch, std::to_string(epoch)); !s) return s.error();
    if (auto s = db_.Run(commit_.get(), "committing a connection epoch"); !s) return s.error();
    return epoch;
  });
  if (!result) AfterFailedWrite(result.error());
  return result;
}

Status EventWriter::AppendReject(const Reject& reject) {
  Status result = NoThrow([&] { return AppendRejectInTransaction(reject); });
  if (!result) AfterFailedWrite(result.error());
  return result;
}

Status EventWriter::AppendRejectInTransaction(const Reject& reject) {
  if (auto s = db_.Run(begin_.get(), "beginning the reject"); !s) return s;
  {
    Statement q(insert_reject_.get());
    q.Int(1, ToEpochMs(reject.received_at)).Text(2, reject.topic).Text(3, reject.reason);
    q.Blob(4, reject.raw_payload).Int(5, static_cast<std::int64_t>(reject.payload_size));
    int rc = q.Step();
    if (rc != SQLITE_DONE) return db_.SqlError(rc, "inserting the reject");
  }
  if (auto s = db_.Run(bump_rejects_.get(), "counting the reject"); !s) return s;
  {
    Statement q(trim_rejects_.get());
    q.Int(1, static_cast<std::int64_t>(std::min<std::size_t>(max_rejects_, kMaxInt)));
    int rc = q.Step();
    if (rc != SQLITE_DONE) return db_.SqlError(rc, "rotating rejects");
  }
  return db_.Run(commit_.get(), "committing the reject");
}

// ---------------------------------------------------------------------------
// SummaryStorage.

Result<std::optional<OrderSummary>> EventWriter::LoadSummary(const std::string& order_id) {
  Statement q(find_order_.get());
  q.Text(1, order_id);
  int rc = q.Step();
  if (rc == SQLITE_DONE) return std::optional<OrderSummary>();
  if (rc != SQLITE_ROW) return db_.SqlError(rc, "reading the order summary");
  // An unreadable row (bad return_reasons) is rebuilt from the events.
  return ReadSummary(q);
}

Result<std::vector<StageEvent>> EventWriter::LoadEventsForSummary(const std::string& order_id) {
  Statement q(order_events_.get());
  q.Text(1, order_id);
  std::vector<StageEvent> events;
  int rc;
  while ((rc = q.Step()) == SQLITE_ROW) events.push_back(ReadEvent(q, /*with_raw=*/false));
  if (rc != SQLITE_DONE) return db_.SqlError(rc, "reading the order's events");
  return events;
}

Status EventWriter::SaveSummary(const OrderSummary& summary, const OrderSummary* previous) {
  const bool keys_same = previous && previous->confirmed_at == summary.confirmed_at &&
                         previous->shipped_at == summary.shipped_at;
  {
    Statement q(keys_same ? update_order_.get() : upsert_order_.get());
    BindSummary(q, summary);
    int rc = q.Step();
    if (rc != SQLITE_DONE) return db_.SqlError(rc, "updating the order summary");
  }
  if (keys_same && sqlite3_changes(db_.handle()) != 1) {
    // The row was not as loaded (cannot happen inside one transaction): write it whole.
    return SaveSummary(summary, nullptr);
  }
  return Ok{};
}

// ---------------------------------------------------------------------------
// Summary versions and the rules record.

Status EventWriter::BringSummariesUpToDate(const StoreProgressHandler& progress) {
  return NoThrow([&]() -> Status {
    const std::string version = SummaryVersion(rules_);
    auto stored = settings_.Get(kSettingSummaryVersion);
    if (!stored) return stored.error();
    if (stored.value() != version) {
      if (auto s = RebuildAll(version, progress); !s) return s;
    }
    const std::string record = EncodeRules(rules_);
    auto recorded = settings_.Get(kSettingRules);
    if (!recorded) return recorded.error();
    if (recorded.value() != record) {
      if (auto s = settings_.Put(kSettingRules, record); !s) return s;
    }
    rules_recorded_ = true;
    return Ok{};
  });
}

Result<std::vector<std::string>> EventWriter::AllOrderIds() {
  Statement q(order_ids_.get());
  std::vector<std::string> ids;
  int rc;
  while ((rc = q.Step()) == SQLITE_ROW) ids.push_back(q.Text(0));
  if (rc != SQLITE_DONE) return db_.SqlError(rc, "listing orders");
  return ids;
}

// Rebuilds in batches of kRebuildBatch orders, each its own transaction, so
// the WAL stays small; the new version is stored with the last batch. An
// interrupted rebuild leaves the old version stored and starts over next time
// (rebuilding a summary is idempotent).
Status EventWriter::RebuildAll(const std::string& version, const StoreProgressHandler& progress) {
  auto ids = AllOrderIds();
  if (!ids) return ids.error();
  const std::vector<std::string>& orders = ids.value();
  const std::uint64_t total = orders.size();
  std::size_t next = 0;
  do {
    if (progress) progress({"rebuilding order summaries (" + version + ")", next, total});
    if (auto s = db_.Run(begin_.get(), "beginning the summary rebuild"); !s) return s;
    const std::size_t end = std::min(orders.size(), next + kRebuildBatch);
    Status s = Ok{};
    for (; next < end && s; ++next) s = RebuildSummary(*this, orders[next], rules_);
    if (s && next == orders.size()) s = settings_.Put(kSettingSummaryVersion, version);
    if (s) s = db_.Run(commit_.get(), "committing the summary rebuild");
    if (!s) {
      db_.RollbackIfActive();
      return s;
    }
  } while (next < orders.size());
  if (progress && total > 0) progress({"rebuilt order summaries", total, total});
  return Ok{};
}

}  // namespace floortrack::sqlite
