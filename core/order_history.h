// OrderHistory: the read port the CLI (and the benchmark) query.
//
// Implementations read committed data only and never block a writer.
// One instance is used from one thread at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/batch.h"
#include "core/kpi.h"
#include "core/order_summary.h"
#include "core/reject.h"
#include "core/result.h"
#include "core/stage_event.h"

namespace floortrack {

struct OrderFilter {
  bool open_only = false;          // not yet shipped, not cancelled
  std::optional<TimePoint> since;  // last activity (stage time) at or after
  std::size_t limit = 0;           // 0 = no limit
};

// What KpisFromRollups gives: the inputs of ReportFromSums (core/kpi.h).
struct RollupKpiInputs {
  KpiSums sums;
  MaterialTotals material;
  ActivityTotals activity;
};

class OrderHistory {
 public:
  virtual ~OrderHistory() = default;
  // The order's events in timeline order; kNotFound when it has none.
  virtual Result<std::vector<StageEvent>> OrderEvents(const std::string& order_id) = 0;
  virtual Result<OrderSummary> FindOrder(const std::string& order_id) = 0;
  // Calls `visit` once for each order of a superset of the orders the KPIs
  // need for `window` (feed them to a KpiAccumulator); stops at the first
  // storage error. Nothing is kept between calls.
  virtual Status VisitOrdersForKpi(const Window& window,
                                   const std::function<void(const OrderSummary&)>& visit) = 0;
  virtual Result<MaterialTotals> MaterialInWindow(const Window& window) = 0;
  // The event-level inputs of retention_pct, csi and labor_pieces_per_hour
  // (core/shop_kpis.h) for `window`; `now` ends shifts still open. The
  // default has none (those KPIs are then null).
  virtual Result<ActivityTotals> ActivityInWindow(const Window& window, TimePoint now) {
    (void)window;
    ActivityTotals none;
    none.now = now;
    return none;
  }
  // The KPI inputs of Window{nullopt, until} from the store's rollups
  // (core/kpi_rollup.h): what VisitOrdersForKpi, MaterialInWindow and
  // ActivityInWindow give for that window, summed per day. nullopt when
  // the store keeps none, or none for `rules` (the caller computes from
  // the orders then). The default keeps none.
  virtual Result<std::optional<RollupKpiInputs>> KpisFromRollups(
      const Rules& rules, const std::optional<TimePoint>& until, TimePoint now) {
    (void)rules, (void)until, (void)now;
    return std::optional<RollupKpiInputs>();
  }
  // Most recently active first.
  virtual Result<std::vector<OrderSummary>> ListOrders(const OrderFilter& filter) = 0;
  // Newest first.
  virtual Result<std::vector<Reject>> RecentRejects(std::size_t limit) = 0;
  // All rejects ever counted, including those rotated out of the table.
  virtual Result<std::uint64_t> RejectTotal() = 0;
  virtual Result<std::uint64_t> EventCount() = 0;
  // The batch's orders and batch-wide events; kNotFound when it has no order.
  virtual Result<BatchView> FindBatch(const std::string& batch_id) = 0;
  // The batches an order was in, by batch id.
  virtual Result<std::vector<std::string>> BatchesOfOrder(const std::string& order_id) = 0;

  // Flow and export (core/flow.h, docs/cli.md "export"). Each streams: one
  // order (or event) at a time, nothing kept between visits, one snapshot;
  // stops at the first storage error. The defaults answer kInternal ("not
  // supported"), so histories that do not serve flow need not implement them.
  //
  // Calls `visit` with the timeline (timeline order) of each order of a
  // superset of those flow needs for `window`: orders with an event before
  // until whose last activity is at or after since, and orders still on the
  // floor (WIP). Events at or after until may be left out; each event may
  // carry its timeline fields only (as VisitShippedTimelines').
  virtual Status VisitTimelinesForFlow(
      const Window& window, const std::function<void(const std::vector<StageEvent>&)>& visit);
  // Every event with stage_time in `window` (without raw payload), in the
  // order the store received them.
  virtual Status VisitEvents(const Window& window,
                             const std::function<void(const StageEvent&)>& visit);
  // Calls `visit(order_id, voids)` for each stored void event (any time):
  // the events it names count nowhere (core/corrections.h).
  virtual Status VisitVoids(
      const std::function<void(const std::string&, const std::string&)>& visit);
  // Full summaries of the orders confirmed or first shipped in `window`;
  // with neither bound, of every order.
  virtual Status VisitOrders(const Window& window,
                             const std::function<void(const OrderSummary&)>& visit);
  // Calls `visit` with the stored events (any order, voids included) of
  // each order first shipped in `shipped`; stops at the first storage
  // error. Stores may fill only the timeline fields (event_key, order_id,
  // stage, stage_time, received_at, station, voids): all flow and the late
  // report read. The default asks ListOrders and OrderEvents; stores may do it in
  // one query.
  virtual Status VisitShippedTimelines(const Window& shipped,
                                       const std::function<void(std::vector<StageEvent>)>& visit) {
    auto orders = ListOrders(OrderFilter{});
    if (!orders) return orders.error();
    for (const OrderSummary& o : orders.value()) {
      if (!o.shipped_at || !shipped.Contains(*o.shipped_at)) continue;
      auto events = OrderEvents(o.order_id);
      if (!events) return events.error();
      visit(std::move(events).value());
    }
    return Ok{};
  }
};

inline Status OrderHistory::VisitTimelinesForFlow(
    const Window&, const std::function<void(const std::vector<StageEvent>&)>&) {
  return MakeError(ErrorKind::kInternal, "this history does not serve flow");
}
inline Status OrderHistory::VisitEvents(const Window&,
                                        const std::function<void(const StageEvent&)>&) {
  return MakeError(ErrorKind::kInternal, "this history does not export events");
}
inline Status OrderHistory::VisitVoids(
    const std::function<void(const std::string&, const std::string&)>&) {
  return MakeError(ErrorKind::kInternal, "this history does not list voids");
}
inline Status OrderHistory::VisitOrders(const Window&,
                                        const std::function<void(const OrderSummary&)>&) {
  return MakeError(ErrorKind::kInternal, "this history does not export orders");
}

// VisitOrdersForKpi's orders, collected (for tests and small windows).
inline Result<std::vector<OrderSummary>> CollectOrdersForKpi(OrderHistory& history,
                                                             const Window& window) {
  std::vector<OrderSummary> out;
  auto visited =
      history.VisitOrdersForKpi(window, [&](const OrderSummary& o) { out.push_back(o); });
  if (!visited) return visited.error();
  return out;
}

}  // namespace floortrack
