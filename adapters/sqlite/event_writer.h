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
// The KPI rollups (RollupWriter) change in the same transaction as the
// summary and the event they come from.
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
#include <functional>
#include <utility>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "adapters/sqlite/database.h"
#include "adapters/sqlite/progress.h"
#include "adapters/sqlite/rollup_writer.h"
#include "adapters/sqlite/settings.h"
#include "core/event_store.h"
#include "core/summary_rule.h"

namespace floortrack::sqlite {

class EventWriter final : public SummaryStorage {
 public:
  static Result<std::unique_ptr<EventWriter>> Create(Database& db, Settings& settings, Rules rules,
                                                     std::size_t max_rejects);

  Result<AppendStatus> Append(const StageEvent& event, const EventIdentity& identity);
  // A device reading's events and its new state, in one transaction.
  Result<std::vector<AppendStatus>> AppendReading(
      const std::vector<std::pair<StageEvent, EventIdentity>>& events, const std::string& device,
      const std::optional<std::string>& state);
  Result<std::string> DeviceState(const std::string& device);
  Result<StoredRefs> Lookup(const std::string& id);
  Result<std::uint64_t> BeginEpoch();
  Status AppendReject(const Reject& reject);
  // EventStore's batches. Inside one, the writes above neither begin nor
  // commit, and summaries or rollups found stale are rebuilt at the next
  // BeginBatch() (meanwhile readers compute from the orders).
  Status BeginBatch(bool durable);
  Status CommitBatch(std::uint64_t applied_through);
  void AbortBatch();
  Result<std::uint64_t> AppliedThrough();
  // The connection's configured synchronous mode (FULL or NORMAL): what
  // writes outside batches use, and what batches return to.
  void SetSyncFull(bool full) { sync_full_ = synced_full_ = full; }
  // Takes effect for the next Append; records the rules for the CLI then.
  void SetRules(const Rules& rules);
  // Records the rules (Settings kSettingRules) and rebuilds every summary
  // when their stored version is not the rules' and the KPI rollups when
  // theirs is not (reporting progress).
  Status BringSummariesUpToDate(const StoreProgressHandler& progress);

  // SummaryStorage (inside the append transaction).
  Result<std::optional<OrderSummary>> LoadSummary(const std::string& order_id) override;
  Result<std::vector<StageEvent>> LoadEventsForSummary(const std::string& order_id) override;
  Status SaveSummary(const OrderSummary& summary, const OrderSummary* previous) override;

 private:
  EventWriter(Database& db, Settings& settings, Rules rules, std::size_t max_rejects);
  // How an identity is claimed: inserting the event under a key, or a batch
  // event's anchor row; and the content stored under a taken key.
  struct Claim {
    std::function<Result<bool>(const std::string& key)> insert;  // false: key taken
    std::function<Result<std::string>(const std::string& key)> content;
  };
  struct Claimed {
    AppendStatus status;
    std::string key;  // the key it was stored under ("" for a duplicate)
  };
  template <class T, class F>
  Result<T> InTransaction(F&& body);
  Result<AppendStatus> AppendOne(const StageEvent& event, const EventIdentity& identity);
  Result<AppendStatus> AppendBatchEvent(const StageEvent& event, const EventIdentity& identity);
  Result<Claimed> ClaimIdentity(const StageEvent& event, const EventIdentity& identity,
                                const Claim& claim);
  Status ExtendTail(const EventIdentity& identity);
  Result<std::string> StoredContent(const std::string& key);
  // Inserts the event and updates its summary; false when its key exists.
  Result<bool> Insert(const StageEvent& event);
  Status AddMember(const std::string& batch_id, const BatchMember& member);
  Result<std::vector<BatchMember>> Members(const std::string& batch_id);
  Status AppendRejectInTransaction(const Reject& reject);
  // Writes the summary row (`previous`: what it holds now, if known).
  Status WriteSummary(const OrderSummary& summary, const OrderSummary* previous);
  Status MarkStaleIfOutOfStep();
  // Rebuilds the KPI rollups in one transaction.
  Status RebuildRollups(const StoreProgressHandler& progress);
  Status RebuildAll(const std::string& version, const StoreProgressHandler& progress);
  Result<std::vector<std::string>> AllOrderIds();
  void AfterFailedWrite(const Error& error);
  // BEGIN IMMEDIATE and COMMIT of one write; nothing inside a batch.
  Status Begin(const char* what);
  Status Commit(const char* what);

  Database& db_;
  Settings& settings_;
  Rules rules_;
  std::unique_ptr<RollupWriter> rollups_;
  bool rollups_kept_ = false;  // the stored rollups are rules_' and kept in each append
  int items_before_ = 1, items_after_ = 1;  // the inserted event's order's items (SaveSummary)
  bool rules_recorded_ = false;  // rules_ are in Settings and summaries match them
  bool sync_full_ = true;    // configured
  bool synced_full_ = true;  // in effect on the connection
  Status UseSyncFull(bool full);
  bool in_batch_ = false;        // between BeginBatch() and CommitBatch()/AbortBatch()
  bool batch_lost_ = false;      // a write failed inside the batch: it was rolled back
  std::size_t max_rejects_;
  StmtPtr begin_, commit_, insert_event_, order_events_, find_order_, upsert_order_,
      update_order_, insert_reject_, bump_rejects_, trim_rejects_, order_ids_, event_by_key_,
      find_tail_, match_tail_, insert_tail_, trim_tail_, add_member_, members_, insert_anchor_,
      anchor_content_, get_device_state_, put_device_state_;
};

}  // namespace floortrack::sqlite
