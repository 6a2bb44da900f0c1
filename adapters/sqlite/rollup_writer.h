// RollupWriter: keeps the KPI rollups (schema 7, core/kpi_rollup.h) equal to
// what the orders and events hold, inside the writer's append transaction.
//
// - OrderChanged: an order summary changed; its rollup entries move from
//   the previous summary's to the new one's, its customer's first and
//   second confirmations are recounted, and a change of its items moves the
//   pieces of its events.
// - EventStored: an event was stored; its material, feedback score and
//   pieces are added unless a void already names it, and a void takes back
//   those of the event it names.
// - Rebuild: everything from scratch (after migration, or when the rules
//   the rollups depend on changed: RollupVersion), in one transaction.
//
// While the stored RollupVersion is not the rules', nothing is maintained
// (readers compute from the orders) until Rebuild. Borrows the Database
// and Settings; used from the writer's thread only.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "adapters/sqlite/database.h"
#include "adapters/sqlite/progress.h"
#include "adapters/sqlite/settings.h"
#include "core/kpi_sums.h"
#include "core/order_summary.h"
#include "core/rules.h"
#include "core/stage_event.h"

namespace floortrack::sqlite {

inline constexpr const char* kSettingRollupVersion = "kpi_rollup_version";  // RollupVersion()
// The version recorded while the rollups are known not to match (readers
// then compute from the orders; the writer rebuilds them).
inline constexpr const char* kRollupStale = "stale";

class RollupWriter {
 public:
  static Result<std::unique_ptr<RollupWriter>> Create(Database& db, Settings& settings);

  // Whether the stored rollups are those of `rules`; false means Rebuild.
  Result<bool> UpToDate(const Rules& rules);
  // Rebuilds every rollup for `rules`, inside the caller's transaction, and
  // records the version.
  Status Rebuild(const Rules& rules, const StoreProgressHandler& progress);

  // Whether a change found the rollups not matching the orders (then the
  // caller records them stale); cleared by Rebuild.
  bool out_of_step() const { return out_of_step_; }

  // The event being inserted, which OrderChanged leaves to EventStored.
  void BeginEvent(const std::string& event_key) { pending_key_ = event_key; }
  // `previous` is the stored summary before the change (nullptr: none).
  Status OrderChanged(const OrderSummary* previous, const OrderSummary& now, const Rules& rules);
  // After OrderChanged (if the event's order changed): `items` is its
  // order's items after the event, `items_before` before it.
  Status EventStored(const StageEvent& event, int items_before, int items);

 private:
  explicit RollupWriter(Database& db, Settings& settings) : db_(db), settings_(settings) {}
  Status MoveEntries(const OrderSummary* previous, const OrderSummary& now, const Rules& rules);
  Status Turnaround(std::int64_t day, std::int64_t ms, int sign, bool removed);
  Status RecountCustomer(const std::string& customer_id);
  Status CustomerDay(std::optional<std::int64_t> ms, std::int64_t firsts, std::int64_t seconds);
  // Adds sign * the event's event-level figures (pieces at `items`).
  Status EventFigures(const StageEvent& event, int items, int sign);
  Status MoveOrderPieces(const std::string& order_id, int delta);
  Result<bool> Voided(const std::string& order_id, const std::string& key,
                      const std::string& except_void_key);

  Database& db_;
  Settings& settings_;
  std::string pending_key_;
  bool out_of_step_ = false;
  // Adds counts and money to the (day, currency) row of kpi_days.
  Status AddToDay(std::int64_t day, const std::string& currency, const KpiCounts& counts,
                  const MoneyCounts& money);
  Status PutChunk(std::int64_t day, bool removed, std::int64_t chunk,
                  const std::vector<std::int64_t>& values);

  StmtPtr kpi_day_, turnaround_get_, turnaround_put_, turnaround_delete_, customer_get_, customer_orders_,
      customer_put_, customer_delete_, customer_day_, material_day_, feedback_day_, piece_day_,
      voided_, void_targets_, order_events_;
};

}  // namespace floortrack::sqlite
