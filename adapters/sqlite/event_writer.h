// EventWriter: the store's write path. Appends events and rejects, each in
// one BEGIN IMMEDIATE transaction, and keeps order summaries by core's
// summary rule (core/summary_rule.h), for which it is the SummaryStorage.
//
// Append deduplicates by the event's identity (core/event_identity.h): the
// unique event_key (only that conflict is ignored; any other constraint
// failure is an error), the stored content for a reused event_id, the
// delivery tail for content-only events. It inserts the event and updates
// its order's summary in the same transaction, so a crash or error never
// leaves one without the other. After a failed write the transaction
// is rolled back and the writer is ready for a retry of the same call.
//
// Summaries carry a version (SummaryVersion of the rules). BringSummaries-
// UpToDate() rebuilds them all when the stored version differs (new stage
// order, new summary logic, a database migrated from schema 1); SetRules()
// with a new stage order makes the next Append rebuild first.
//
// Borrows the Database and Settings (they must outlive it); used from one
// thread at a time.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "adapters/sqlite/database.h"
#include "adapters/sqlite/progress.h"
#include "adapters/sqlite/settings.h"
#include "core/event_store.h"
#include "core/summary_rule.h"

namespace floortrack::sqlite {

class EventWriter final : public SummaryStorage {
 public:
  static Result<std::unique_ptr<EventWriter>> Create(Database& db, Settings& settings, Rules rules,
                                                     std::size_t max_rejects);

  Result<AppendStatus> Append(const StageEvent& event, const EventIdentity& identity);
  Result<std::uint64_t> BeginEpoch();
  Status AppendReject(const Reject& reject);
  // Takes effect for the next Append; records the rules for the CLI then.
  void SetRules(const Rules& rules);
  // Records the rules (Settings kSettingRules) and rebuilds every summary
  // when their stored version is not the rules' (reporting progress).
  Status BringSummariesUpToDate(const StoreProgressHandler& progress);

  // SummaryStorage (inside the append transaction).
  Result<std::optional<OrderSummary>> LoadSummary(const std::string& order_id) override;
  Result<std::vector<StageEvent>> LoadEventsForSummary(const std::string& order_id) override;
  Status SaveSummary(const OrderSummary& summary, const OrderSummary* previous) override;

 private:
  EventWriter(Database& db, Settings& settings, Rules rules, std::size_t max_rejects);
  Result<AppendStatus> AppendInTransaction(const StageEvent& event, const EventIdentity& identity);
  // Inserts the event and updates its summary; false when its key exists.
  Result<bool> Insert(const StageEvent& event);
  Result<AppendStatus> AppendWithEventId(const StageEvent& event, const EventIdentity& identity);
  Result<AppendStatus> AppendDelivery(const StageEvent& event, const EventIdentity& identity);
  Status AppendRejectInTransaction(const Reject& reject);
  Status RebuildAll(const std::string& version, const StoreProgressHandler& progress);
  Result<std::vector<std::string>> AllOrderIds();
  void AfterFailedWrite(const Error& error);

  Database& db_;
  Settings& settings_;
  Rules rules_;
  bool rules_recorded_ = false;  // rules_ are in Settings and summaries match them
  std::size_t max_rejects_;
  StmtPtr begin_, commit_, insert_event_, order_events_, find_order_, upsert_order_,
      update_order_, insert_reject_, bump_rejects_, trim_rejects_, order_ids_, event_by_key_,
      find_tail_, match_tail_, insert_tail_, trim_tail_;
};

}  // namespace floortrack::sqlite
