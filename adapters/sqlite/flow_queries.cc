// OrderReader's streaming queries for flow and CSV export (order_reader.h).
//
// Each is one statement (one snapshot of committed data) whose rows are
// handed on as they are stepped, so memory holds one order's events at most.
#include <limits>
#include <utility>

#include "adapters/sqlite/order_reader.h"
#include "adapters/sqlite/rows.h"
#include "adapters/sqlite/statement.h"

namespace floortrack::sqlite {
namespace {


// ?1 = since, ?2 = until, ?3/?4 = the terminal stages. The orders (by
// orders_by_activity or a scan of the orders table) whose last activity is at
// or after since or whose current stage is not terminal, with an event
// before until (events_by_order); their events walk events_by_order in
// (order_id, stage_ms, seq) order, so no sort and one order after another.
constexpr const char* kFlowTimelinesSql =
    "SELECT " FT_EVENT_COLUMNS
    " FROM events WHERE order_id IN ("
    "SELECT o.order_id FROM orders o WHERE (o.current_stage_ms >= ?1 "
    "OR o.current_stage NOT IN (?3, ?4)) AND EXISTS (SELECT 1 FROM events f "
    "WHERE f.order_id = o.order_id AND f.stage_ms < ?2)) "
    "ORDER BY order_id, stage_ms, seq";
// No index has stage_ms first for all events (events_material covers only
// material events): one pass over the table in seq (arrival) order, no sort.
constexpr const char* kExportEventsSql =
    "SELECT " FT_EVENT_COLUMNS " FROM events WHERE stage_ms >= ?1 AND stage_ms < ?2 ORDER BY seq";
// Index-only on events_voids (partial: void events only).
constexpr const char* kVoidsSql = "SELECT order_id, voids FROM events WHERE voids IS NOT NULL";
// Two disjoint arms, as the KPIs read them: confirmed in the window; first
// shipped in it but confirmed outside it (or never).
constexpr const char* kExportOrdersSql =
    "SELECT " FT_ORDER_COLUMNS
    " FROM orders WHERE confirmed_ms >= ?1 AND confirmed_ms < ?2 "
    "UNION ALL SELECT " FT_ORDER_COLUMNS
    " FROM orders WHERE shipped_ms >= ?1 AND shipped_ms < ?2 "
    "AND (confirmed_ms IS NULL OR confirmed_ms < ?1 OR confirmed_ms >= ?2)";
constexpr const char* kExportAllOrdersSql = "SELECT " FT_ORDER_COLUMNS " FROM orders";


}  // namespace

Status OrderReader::VisitTimelinesForFlow(
    const Window& window, const std::function<void(const std::vector<StageEvent>&)>& visit) {
  return NoThrow([&]() -> Status {
    if (!flow_timelines_)
      if (auto s = db_.Prepare(kFlowTimelinesSql, flow_timelines_); !s) return s.error();
    Statement q(flow_timelines_.get());
    q.Int(1, SinceMs(window.since)).Int(2, UntilMs(window.until));
    q.Text(3, kStageShipped).Text(4, kStageReturned);
    std::vector<StageEvent> timeline;
    auto flush = [&] {
      if (timeline.empty()) return;
      SortTimeline(timeline, rules_);
      visit(timeline);
      timeline.clear();
    };
    int rc;
    while ((rc = q.Step()) == SQLITE_ROW) {
      StageEvent e = ReadEvent(q, /*with_raw=*/false);
      if (!timeline.empty() && timeline.front().order_id != e.order_id) flush();
      timeline.push_back(std::move(e));
    }
    if (rc != SQLITE_DONE) return db_.SqlError(rc, "reading timelines for flow");
    flush();
    return Ok{};
  });
}

Status OrderReader::VisitEvents(const Window& window,
                                const std::function<void(const StageEvent&)>& visit) {
  return NoThrow([&]() -> Status {
    if (!export_events_)
      if (auto s = db_.Prepare(kExportEventsSql, export_events_); !s) return s.error();
    Statement q(export_events_.get());
    q.Int(1, SinceMs(window.since)).Int(2, UntilMs(window.until));
    int rc;
    while ((rc = q.Step()) == SQLITE_ROW) visit(ReadEvent(q, /*with_raw=*/false));
    if (rc != SQLITE_DONE) return db_.SqlError(rc, "reading events");
    return Ok{};
  });
}

Status OrderReader::VisitVoids(
    const std::function<void(const std::string&, const std::string&)>& visit) {
  return NoThrow([&]() -> Status {
    if (!voids_)
      if (auto s = db_.Prepare(kVoidsSql, voids_); !s) return s.error();
    Statement q(voids_.get());
    int rc;
    while ((rc = q.Step()) == SQLITE_ROW) visit(q.Text(0), q.Text(1));
    if (rc != SQLITE_DONE) return db_.SqlError(rc, "reading voids");
    return Ok{};
  });
}

Status OrderReader::VisitOrders(const Window& window,
                                const std::function<void(const OrderSummary&)>& visit) {
  return NoThrow([&]() -> Status {
    const bool all = !window.since && !window.until;
    StmtPtr& stmt = all ? export_all_orders_ : export_orders_;
    if (!stmt)
      if (auto s = db_.Prepare(all ? kExportAllOrdersSql : kExportOrdersSql, stmt); !s)
        return s.error();
    Statement q(stmt.get());
    if (!all) q.Int(1, SinceMs(window.since)).Int(2, UntilMs(window.until));
    return Visit(q, "reading orders", visit);
  });
}

}  // namespace floortrack::sqlite
