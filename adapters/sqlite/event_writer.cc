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
    "?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29) ON CONFLICT(event_key) DO NOTHING";
constexpr const char* kOrderEventsSql =
    "SELECT " FT_EVENT_COLUMNS " FROM events WHERE order_id = ?1 ORDER BY stage_ms, seq";
constexpr const char* kFindOrderSql = "SELECT " FT_ORDER_COLUMNS " FROM orders WHERE order_id = ?1";
constexpr const char* kUpsertOrderSql =
    "INSERT INTO orders(" FT_ORDER_COLUMNS ") VALUES "
    "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, "
    "?21, ?22, ?23, ?24, ?25, ?26, ?27) "
    "ON CONFLICT(order_id) DO UPDATE SET (" FT_ORDER_COLUMNS ") = (excluded.order_id, "
    "excluded.confirmed_ms, excluded.shipped_ms, excluded.current_stage, "
    "excluded.current_stage_ms, excluded.last_received_ms, excluded.event_count, excluded.value, "
    "excluded.currency, excluded.customer_id, excluded.product, excluded.personalized, "
    "excluded.used_g, excluded.scrap_g, excluded.material_cost, excluded.failed_before_ship, "
    "excluded.return_reasons, excluded.promised_ms, excluded.cancelled_ms, excluded.on_hold, "
    "excluded.void_events, excluded.production_stage, excluded.production_stage_ms, "
    "excluded.items, excluded.packed_ms, excluded.submitted_ms, excluded.engaged)";
// The update when the indexed columns (confirmed_ms, shipped_ms,
// submitted_ms, packed_ms, cancelled_ms, customer_id) stay as they were:
// those are left out of SET, so SQLite leaves their indexes alone
// (fewer B-tree pages written, and fsynced, per event). Takes BindSummary's parameters; the indexed ones only check that
// the row still has the values the previous summary was read with.
constexpr const char* kUpdateOrderSql =
    "UPDATE orders SET current_stage = ?4, current_stage_ms = ?5, last_received_ms = ?6, "
    "event_count = ?7, value = ?8, currency = ?9, product = ?11, "
    "personalized = ?12, used_g = ?13, scrap_g = ?14, material_cost = ?15, "
    "failed_before_ship = ?16, return_reasons = ?17, promised_ms = ?18, "
    "on_hold = ?20, void_events = ?21, production_stage = ?22, production_stage_ms = ?23, "
    "items = ?24, engaged = ?27 "
    "WHERE order_id = ?1 AND confirmed_ms IS ?2 AND shipped_ms IS ?3 AND submitted_ms IS ?26 "
    "AND packed_ms IS ?25 AND cancelled_ms IS ?19 AND customer_id IS ?10";
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
// A member keeps its weight unless a later event gives one.
constexpr const char* kAddMemberSql =
    "INSERT INTO batch_members(batch_id, order_id, weight_g) VALUES (?1, ?2, ?3) "
    "ON CONFLICT(batch_id, order_id) DO UPDATE SET weight_g = COALESCE(excluded.weight_g, weight_g)";
constexpr const char* kMembersSql =
    "SELECT order_id, weight_g FROM batch_members WHERE batch_id = ?1 ORDER BY order_id";
constexpr const char* kInsertAnchorSql =
    "INSERT INTO batch_events(event_key, batch_id, content, stage, stage_ms, station, result, "
    "material_type, used_g, scrap_g, recovered_g, orders) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) ON CONFLICT(event_key) DO NOTHING";
constexpr const char* kAnchorContentSql = "SELECT content FROM batch_events WHERE event_key = ?1";
constexpr const char* kGetDeviceStateSql = "SELECT state FROM device_state WHERE device = ?1";
constexpr const char* kPutDeviceStateSql =
    "INSERT INTO device_state(device, state, updated_ms) VALUES (?1, ?2, ?3) "
    "ON CONFLICT(device) DO UPDATE SET state = excluded.state, updated_ms = excluded.updated_ms";
constexpr const char* kOrderIdsSql =
    "SELECT DISTINCT order_id FROM events WHERE order_id <> '' ORDER BY order_id";

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
      {&w->add_member_, kAddMemberSql},        {&w->members_, kMembersSql},
      {&w->insert_anchor_, kInsertAnchorSql},  {&w->anchor_content_, kAnchorContentSql},
      {&w->get_device_state_, kGetDeviceStateSql}, {&w->put_device_state_, kPutDeviceStateSql},
  };
  for (const auto& [slot, sql] : all) {
    if (auto s = db.Prepare(sql, *slot); !s) return s.error();
  }
  auto rollups = RollupWriter::Create(db, settings);
  if (!rollups) return rollups.error();
  w->rollups_ = std::move(rollups).value();
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
  batch_lost_ = in_batch_;
  if (error.kind == ErrorKind::kFull)
    sqlite3_exec(db_.handle(), "PRAGMA wal_checkpoint(TRUNCATE)", nullptr, nullptr, nullptr);
}

// Runs `body` in one BEGIN IMMEDIATE transaction: committed when it
// succeeds, rolled back (and the store readied for a retry) when it fails.
template <class T, class F>
Result<T> EventWriter::InTransaction(F&& body) {
  Result<T> result = NoThrow([&]() -> Result<T> {
    if (!rules_recorded_ && !in_batch_) {
      if (auto s = BringSummariesUpToDate(nullptr); !s) return s.error();
    }
    if (auto s = Begin("beginning the append"); !s) return s.error();
    Result<T> done = body();
    if (!done) return done;
    if (auto s = Commit("committing the append"); !s) return s.error();
    return done;
  });
  if (!result) AfterFailedWrite(result.error());
  return result;
}

Result<AppendStatus> EventWriter::Append(const StageEvent& event, const EventIdentity& identity) {
  return InTransaction<AppendStatus>([&] { return AppendOne(event, identity); });
}

Result<std::vector<AppendStatus>> EventWriter::AppendReading(
    const std::vector<std::pair<StageEvent, EventIdentity>>& events, const std::string& device,
    const std::optional<std::string>& state) {
  return InTransaction<std::vector<AppendStatus>>([&]() -> Result<std::vector<AppendStatus>> {
    std::vector<AppendStatus> statuses;
    for (const auto& [event, identity] : events) {
      auto appended = AppendOne(event, identity);
      if (!appended) return appended.error();
      statuses.push_back(appended.value());
    }
    if (state) {
      Statement q(put_device_state_.get());
      const TimePoint at = events.empty() ? TimePoint{} : events.front().first.received_at;
      q.Text(1, device).Text(2, *state).Int(3, ToEpochMs(at));
      if (int rc = q.Step(); rc != SQLITE_DONE) return db_.SqlError(rc, "saving the device state");
    }
    return statuses;
  });
}

Result<std::string> EventWriter::DeviceState(const std::string& device) {
  return NoThrow([&]() -> Result<std::string> {
    Statement q(get_device_state_.get());
    q.Text(1, device);
    int rc = q.Step();
    if (rc == SQLITE_ROW) return q.Text(0);
    if (rc != SQLITE_DONE) return db_.SqlError(rc, "reading the device state");
    return std::string();
  });
}

Result<StoredRefs> EventWriter::Lookup(const std::string& id) {
  return NoThrow([&]() -> Result<StoredRefs> {
    StoredRefs refs;
    {
      Statement q(find_order_.get());
      q.Text(1, id);
      int rc = q.Step();
      if (rc != SQLITE_ROW && rc != SQLITE_DONE) return db_.SqlError(rc, "looking up an order");
      refs.order_known = rc == SQLITE_ROW;
    }
    auto members = Members(id);
    if (!members) return members.error();
    refs.batch_members = members.value().size();
    return refs;
  });
}

// An event of a batch without an order is recorded for the batch's orders;
// anything else is one event of one order.
Result<AppendStatus> EventWriter::AppendOne(const StageEvent& event, const EventIdentity& identity) {
  if (!event.batch_id.empty() && event.order_id.empty()) return AppendBatchEvent(event, identity);
  Claim claim{[&](const std::string& key) -> Result<bool> {
                StageEvent keyed = event;
                keyed.event_key = key;
                return Insert(keyed);
              },
              [&](const std::string& key) -> Result<std::string> { return StoredContent(key); }};
  auto claimed = ClaimIdentity(event, identity, claim);
  if (!claimed) return claimed.error();
  if (claimed.value().status != AppendStatus::kDuplicate && !event.batch_id.empty()) {
    if (auto s = AddMember(event.batch_id, BatchMember{event.order_id, std::nullopt}); !s)
      return s.error();
  }
  return claimed.value().status;
}

// The identity rule (core/event_identity.h) over a claim: inserting the
// event under a key, or a batch event's anchor row.
Result<EventWriter::Claimed> EventWriter::ClaimIdentity(const StageEvent& event,
                                                        const EventIdentity& identity,
                                                        const Claim& claim) {
  const Claimed duplicate{AppendStatus::kDuplicate, ""};
  if (identity.kind == Identity::kDelivery && identity.position <= kRedeliveryWindow) {
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
      return duplicate;
    }
  }
  auto inserted = claim.insert(event.event_key);
  if (!inserted) return inserted.error();
  if (inserted.value()) {
    if (identity.kind == Identity::kDelivery) {
      if (auto s = ExtendTail(identity); !s) return s.error();
    }
    return Claimed{AppendStatus::kInserted, event.event_key};
  }
  if (identity.kind != Identity::kEventId) return duplicate;
  // The id is taken: the same content is a redelivery; other content is
  // another event that reuses the id, kept under the id and its content.
  auto stored = claim.content(event.event_key);
  if (!stored) return stored.error();
  if (stored.value() == CanonicalContent(event, false)) return duplicate;
  const std::string reused = event.event_key + "#" + identity.fingerprint;
  auto again = claim.insert(reused);
  if (!again) return again.error();
  return again.value() ? Claimed{AppendStatus::kStoredReusedId, reused} : duplicate;
}

Status EventWriter::ExtendTail(const EventIdentity& identity) {
  {
    Statement q(insert_tail_.get());
    q.Text(1, identity.fingerprint).Int(2, static_cast<std::int64_t>(identity.epoch));
    if (int rc = q.Step(); rc != SQLITE_DONE) return db_.SqlError(rc, "extending the tail");
  }
  Statement q(trim_tail_.get());
  q.Int(1, static_cast<std::int64_t>(kDeliveryTail));
  if (int rc = q.Step(); rc != SQLITE_DONE) return db_.SqlError(rc, "trimming the tail");
  return Ok{};
}

// A batch event: claimed by its anchor row in batch_events, then recorded
// for each target order (the listed ones, else every member) under
// "<key>/<order>", with its share of the material: by weight when every
// target's weight is known, else equal.
Result<AppendStatus> EventWriter::AppendBatchEvent(const StageEvent& event,
                                                   const EventIdentity& identity) {
  for (const BatchMember& m : event.batch_orders) {
    if (auto s = AddMember(event.batch_id, m); !s) return s.error();
  }
  // The batch's members as recorded (the listed orders included, with the
  // weight on record for any listed without one): read once.
  auto members = Members(event.batch_id);
  if (!members) return members.error();
  std::vector<BatchMember> targets = std::move(members).value();
  if (!event.batch_orders.empty()) {
    std::vector<BatchMember> listed;
    for (const BatchMember& t : event.batch_orders)
      for (const BatchMember& m : targets)
        if (m.order_id == t.order_id) listed.push_back(m);
    targets = std::move(listed);
  }
  const std::string content = CanonicalContent(event, false);
  Claim anchor{[&](const std::string& key) -> Result<bool> {
                 Statement q(insert_anchor_.get());
                 q.Text(1, key).Text(2, event.batch_id).Text(3, content).Text(4, event.stage);
                 q.Int(5, ToEpochMs(event.stage_time)).TextOrNull(6, event.station);
                 q.TextOrNull(7, ToString(event.result));
                 if (event.material) {
                   q.Text(8, event.material->type).Real(9, event.material->used_g);
                   q.Real(10, event.material->scrap_g).Real(11, event.material->recovered_g);
                 }
                 q.Int(12, static_cast<std::int64_t>(targets.size()));
                 if (int rc = q.Step(); rc != SQLITE_DONE)
                   return db_.SqlError(rc, "recording the batch event");
                 return sqlite3_changes(db_.handle()) > 0;
               },
               [&](const std::string& key) -> Result<std::string> {
                 Statement q(anchor_content_.get());
                 q.Text(1, key);
                 int rc = q.Step();
                 if (rc == SQLITE_ROW) return q.Text(0);
                 return db_.SqlError(rc == SQLITE_DONE ? SQLITE_INTERNAL : rc,
                                     "reading the stored batch event");
               }};
  auto claimed = ClaimIdentity(event, identity, anchor);
  if (!claimed) return claimed.error();
  if (claimed.value().status == AppendStatus::kDuplicate) return AppendStatus::kDuplicate;

  double total_weight = 0;
  bool weighed = true;
  for (const BatchMember& t : targets) {
    weighed = weighed && t.weight_g.has_value();
    total_weight += t.weight_g.value_or(0);
  }
  weighed = weighed && total_weight > 0;
  for (const BatchMember& t : targets) {
    StageEvent each = event;
    each.order_id = t.order_id;
    each.event_key = claimed.value().key + "/" + t.order_id;
    each.batch_orders.clear();
    const double share = weighed ? *t.weight_g / total_weight : 1.0 / static_cast<double>(targets.size());
    if (each.material) {
      each.material->used_g *= share;
      each.material->scrap_g *= share;
      each.material->recovered_g *= share;
      each.material_cost *= share;
    }
    auto inserted = Insert(each);
    if (!inserted) return inserted.error();
  }
  return claimed.value().status;
}

Status EventWriter::AddMember(const std::string& batch_id, const BatchMember& member) {
  Statement q(add_member_.get());
  q.Text(1, batch_id).Text(2, member.order_id).RealOrNull(3, member.weight_g);
  if (int rc = q.Step(); rc != SQLITE_DONE) return db_.SqlError(rc, "adding an order to a batch");
  return Ok{};
}

Result<std::vector<BatchMember>> EventWriter::Members(const std::string& batch_id) {
  Statement q(members_.get());
  q.Text(1, batch_id);
  std::vector<BatchMember> out;
  int rc;
  while ((rc = q.Step()) == SQLITE_ROW) out.push_back({q.Text(0), q.OptReal(1)});
  if (rc != SQLITE_DONE) return db_.SqlError(rc, "reading a batch's orders");
  return out;
}

Result<std::string> EventWriter::StoredContent(const std::string& key) {
  Statement q(event_by_key_.get());
  q.Text(1, key);
  int rc = q.Step();
  if (rc == SQLITE_ROW) return CanonicalContent(ReadEvent(q, /*with_raw=*/false), false);
  if (rc != SQLITE_DONE) return db_.SqlError(rc, "reading the stored event");
  return db_.SqlError(SQLITE_INTERNAL, "event_key conflict without a stored event");
}

Result<bool> EventWriter::Insert(const StageEvent& event) {
  {
    Statement q(insert_event_.get());
    BindEvent(q, event);
    int rc = q.Step();
    if (rc != SQLITE_DONE) return db_.SqlError(rc, "inserting the event");
  }
  if (sqlite3_changes(db_.handle()) == 0) return false;
  rollups_->BeginEvent(event.event_key);
  items_before_ = items_after_ = 1;
  // A shift event belongs to no order: nothing to summarize.
  if (!event.order_id.empty()) {
    if (auto s = UpdateSummary(*this, event, rules_); !s) return s.error();
  }
  if (rollups_kept_) {
    if (auto s = rollups_->EventStored(event, items_before_, items_after_); !s) return s.error();
  }
  return true;
}

Result<std::uint64_t> EventWriter::BeginEpoch() {
  Result<std::uint64_t> result = NoThrow([&]() -> Result<std::uint64_t> {
    if (auto s = Begin("beginning a connection epoch"); !s) return s.error();
    auto stored = settings_.Get(kSettingEpoch);
    if (!stored) return stored.error();
    const std::uint64_t epoch = (stored.value() ? std::stoull(*stored.value()) : 0) + 1;
    if (auto s = settings_.Put(kSettingEpoch, std::to_string(epoch)); !s) return s.error();
    if (auto s = Commit("committing a connection epoch"); !s) return s.error();
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
  if (auto s = Begin("beginning the reject"); !s) return s;
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
  return Commit("committing the reject");
}

Status EventWriter::Begin(const char* what) {
  if (batch_lost_)
    return MakeError(ErrorKind::kInternal, "the batch was rolled back after an error");
  if (in_batch_) return Ok{};
  if (auto s = UseSyncFull(sync_full_); !s) return s;
  return db_.Run(begin_.get(), what);
}

Status EventWriter::Commit(const char* what) {
  if (in_batch_) return Ok{};
  return db_.Run(commit_.get(), what);
}

// ---------------------------------------------------------------------------
// Batches.

// PRAGMA synchronous may change between transactions; FULL syncs the WAL
// at this commit, and with it every frame committed before.
Status EventWriter::UseSyncFull(bool full) {
  if (synced_full_ == full) return Ok{};
  if (auto s = db_.Exec(full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL",
                        "setting synchronous");
      !s)
    return s;
  synced_full_ = full;
  return Ok{};
}

Status EventWriter::BeginBatch(bool durable) {
  Status result = NoThrow([&]() -> Status {
    if (!rules_recorded_) {
      if (auto s = UseSyncFull(sync_full_); !s) return s;
      if (auto s = BringSummariesUpToDate(nullptr); !s) return s;
    }
    if (auto s = UseSyncFull(durable && sync_full_); !s) return s;
    return db_.Run(begin_.get(), "beginning a batch");
  });
  if (!result) {
    AfterFailedWrite(result.error());
    return result;
  }
  in_batch_ = true;
  batch_lost_ = false;
  return Ok{};
}

Status EventWriter::CommitBatch(std::uint64_t applied_through) {
  Status result = NoThrow([&]() -> Status {
    if (batch_lost_)
      return MakeError(ErrorKind::kInternal, "the batch was rolled back after an error");
    if (auto s = settings_.Put(kSettingJournalApplied, std::to_string(applied_through)); !s)
      return s;
    return db_.Run(commit_.get(), "committing a batch");
  });
  if (!result) AfterFailedWrite(result.error());
  in_batch_ = false;
  batch_lost_ = false;
  return result;
}

void EventWriter::AbortBatch() {
  db_.RollbackIfActive();
  in_batch_ = false;
  batch_lost_ = false;
}

Result<std::uint64_t> EventWriter::AppliedThrough() {
  return NoThrow([&]() -> Result<std::uint64_t> {
    auto stored = settings_.Get(kSettingJournalApplied);
    if (!stored) return stored.error();
    return stored.value() ? std::stoull(*stored.value()) : std::uint64_t{0};
  });
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
  // The rollups move from what the row held to what it will hold.
  std::optional<OrderSummary> stored;
  if (rollups_kept_ && !previous) {
    Statement q(find_order_.get());
    q.Text(1, summary.order_id);
    int rc = q.Step();
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return db_.SqlError(rc, "reading the order summary");
    if (rc == SQLITE_ROW) {
      stored = ReadSummary(q);
      // Unreadable: what it counted is unknown, so the rollups are rebuilt
      // (BringSummariesUpToDate); until then readers compute from the orders.
      if (!stored) {
        if (auto s = settings_.Put(kSettingRollupVersion, kRollupStale); !s) return s;
        rollups_kept_ = false;
        rules_recorded_ = false;
      }
    }
    if (stored) previous = &*stored;
  }
  if (previous) items_before_ = previous->items.value_or(1);
  items_after_ = summary.items.value_or(1);
  if (auto s = WriteSummary(summary, previous); !s) return s;
  if (!rollups_kept_) return Ok{};
  if (auto s = rollups_->OrderChanged(previous, summary, rules_); !s) return s;
  return MarkStaleIfOutOfStep();
}

// Rollups that do not match the orders are recorded stale in this
// transaction and rebuilt before the next append (BringSummariesUpToDate).
Status EventWriter::MarkStaleIfOutOfStep() {
  if (!rollups_->out_of_step()) return Ok{};
  if (auto s = settings_.Put(kSettingRollupVersion, kRollupStale); !s) return s;
  rollups_kept_ = false;
  rules_recorded_ = false;
  return Ok{};
}

Status EventWriter::WriteSummary(const OrderSummary& summary, const OrderSummary* previous) {
  const bool keys_same = previous && previous->confirmed_at == summary.confirmed_at &&
                         previous->shipped_at == summary.shipped_at &&
                         previous->submitted_at == summary.submitted_at &&
                         previous->packed_at == summary.packed_at &&
                         previous->cancelled_at == summary.cancelled_at &&
                         previous->customer_id == summary.customer_id;
  {
    Statement q(keys_same ? update_order_.get() : upsert_order_.get());
    BindSummary(q, summary);
    int rc = q.Step();
    if (rc != SQLITE_DONE) return db_.SqlError(rc, "updating the order summary");
  }
  if (keys_same && sqlite3_changes(db_.handle()) != 1) {
    // The row was not as loaded (cannot happen inside one transaction): write it whole.
    return WriteSummary(summary, nullptr);
  }
  return Ok{};
}

// ---------------------------------------------------------------------------
// Summary versions and the rules record.

Status EventWriter::BringSummariesUpToDate(const StoreProgressHandler& progress) {
  return NoThrow([&]() -> Status {
    const std::string version = SummaryVersion(rules_);
    auto rollups = rollups_->UpToDate(rules_);
    if (!rollups) return rollups.error();
    rollups_kept_ = rollups.value();
    auto stored = settings_.Get(kSettingSummaryVersion);
    if (!stored) return stored.error();
    if (stored.value() != version) {
      // The rollups follow the summaries: while they are rebuilt (and if
      // that is interrupted) the rollups are stale, and rebuilt after them.
      if (rollups_kept_) {
        if (auto s = settings_.Put(kSettingRollupVersion, kRollupStale); !s) return s;
        rollups_kept_ = false;
      }
      if (auto s = RebuildAll(version, progress); !s) return s;
    }
    if (!rollups_kept_) {
      if (auto s = RebuildRollups(progress); !s) return s;
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

Status EventWriter::RebuildRollups(const StoreProgressHandler& progress) {
  if (auto s = db_.Run(begin_.get(), "beginning the rollup rebuild"); !s) return s;
  Status s = rollups_->Rebuild(rules_, progress);
  if (s) s = db_.Run(commit_.get(), "committing the rollup rebuild");
  if (!s) {
    db_.RollbackIfActive();
    return s;
  }
  rollups_kept_ = true;
  return Ok{};
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
  rollups_->BeginEvent("");
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
