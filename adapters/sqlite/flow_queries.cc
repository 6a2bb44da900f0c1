// OrderReader's streaming queries for flow and CSV export (order_reader.h).
//
// Each is one statement (one snapshot of committed data) whose rows are
// handed on as they are stepped, so memory holds one order's events at most.
#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>
#include <unordered_set>
#include <utility>

#include "adapters/sqlite/order_reader.h"
#include "adapters/sqlite/read_snapshot.h"
#include "adapters/sqlite/rows.h"
#include "adapters/sqlite/statement.h"

namespace floortrack::sqlite {
namespace {


// Timelines for flow and the late report read index-only from
// events_timeline (order_id, stage_ms, stage, received_ms, station): each
// order's entries lie together, so a window's orders cost what they hold.
// The rowid (seq) comes with every entry: VisitIndexedTimelines puts an
// order's events in (stage_ms, seq) order, as OrderEvents reads them.
#define FT_INDEXED_TIMELINE_SELECT                                                           \
  "SELECT order_id, stage, stage_ms, received_ms, station, seq FROM events "
#define FT_INDEXED_TIMELINE_ORDER " ORDER BY order_id, stage_ms, stage, received_ms, station, seq"

// ?1 = since, ?2 = until. The orders whose last activity is at or after since
// (orders_by_activity) or that may still be on the floor: open
// (orders_by_shipped) or returned and back in production (orders_reworked;
// the literals must match that partial index's); their events before until:
// flow ignores later ones (core/flow.h).
constexpr const char* kFlowTimelinesSql =
    FT_INDEXED_TIMELINE_SELECT
    "WHERE order_id IN (SELECT order_id FROM orders WHERE current_stage_ms >= ?1 "
    "UNION SELECT order_id FROM orders WHERE shipped_ms IS NULL AND cancelled_ms IS NULL "
    "UNION SELECT order_id FROM orders WHERE return_reasons <> '' AND cancelled_ms IS NULL "
    "AND production_stage NOT IN ('shipped', 'returned')) AND stage_ms < ?2"
    FT_INDEXED_TIMELINE_ORDER;
// ?1 = since, ?2 = until: every event of the orders first shipped in [since, until).
constexpr const char* kShippedTimelinesSql =
    FT_INDEXED_TIMELINE_SELECT
    "WHERE order_id IN (SELECT order_id FROM orders WHERE shipped_ms >= ?1 AND shipped_ms < ?2)"
    FT_INDEXED_TIMELINE_ORDER;
// The orders with a void (index-only on events_voids): their timelines are
// read whole, with the keys the voids name.
constexpr const char* kOrdersWithVoidsSql =
    "SELECT DISTINCT order_id FROM events WHERE voids IS NOT NULL";
constexpr const char* kOrderTimelineSql =
    "SELECT " FT_TIMELINE_COLUMNS " FROM events WHERE order_id = ?1 ORDER BY stage_ms, seq";
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


// Rows come from the index in (stage_ms, stage, received_ms, station, seq)
// order: puts runs of equal stage_ms in seq order, the order OrderEvents
// reads, so SortTimeline (stable) breaks every tie the same way.
void InArrivalOrder(std::vector<StageEvent>& timeline, const std::vector<std::int64_t>& seqs) {
  std::vector<std::size_t> order(timeline.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  auto before = [&](std::size_t a, std::size_t b) {
    if (timeline[a].stage_time != timeline[b].stage_time)
      return timeline[a].stage_time < timeline[b].stage_time;
    return seqs[a] < seqs[b];
  };
  if (std::is_sorted(order.begin(), order.end(), before)) return;
  std::sort(order.begin(), order.end(), before);
  std::vector<StageEvent> sorted;
  sorted.reserve(timeline.size());
  for (std::size_t i : order) sorted.push_back(std::move(timeline[i]));
  timeline = std::move(sorted);
}

}  // namespace

Status OrderReader::VisitIndexedTimelines(
    Statement& q, const char* what, const std::function<void(std::vector<StageEvent>&)>& visit) {
  if (auto s = Prepared(orders_with_voids_, kOrdersWithVoidsSql); !s) return s;
  if (auto s = Prepared(order_timeline_, kOrderTimelineSql); !s) return s;
  // The void set and the timelines from one snapshot: a void committed in
  // between would otherwise leave its order read without the keys it names.
  const ReadSnapshot snapshot(db_.handle());
  std::unordered_set<std::string> with_voids;
  {
    Statement v(orders_with_voids_.get());
    int rc;
    while ((rc = v.Step()) == SQLITE_ROW) with_voids.insert(v.Text(0));
    if (rc != SQLITE_DONE) return db_.SqlError(rc, what);
  }
  std::vector<StageEvent> timeline;
  std::vector<std::int64_t> seqs;  // timeline[i]'s seq
  std::string order_id;
  bool have = false, whole = false;
  auto flush = [&]() -> Status {
    if (!have) return Ok{};
    if (whole) {  // read again with event keys and voids
      timeline.clear();
      Statement t(order_timeline_.get());
      t.Text(1, order_id);
      int rc;
      while ((rc = t.Step()) == SQLITE_ROW) timeline.push_back(ReadTimelineEvent(t));
      if (rc != SQLITE_DONE) return db_.SqlError(rc, what);
    } else {
      InArrivalOrder(timeline, seqs);
    }
    SortTimeline(timeline, rules_);
    visit(timeline);
    timeline.clear();
    seqs.clear();
    return Ok{};
  };
  int rc;
  while ((rc = q.Step()) == SQLITE_ROW) {
    if (!have || q.TextView(0) != order_id) {
      if (auto s = flush(); !s) return s;
      order_id = q.Text(0);
      have = true;
      whole = with_voids.count(order_id) > 0;
    }
    if (whole) continue;
    StageEvent& e = timeline.emplace_back();
    e.order_id = order_id;
    e.stage = q.Text(1);
    e.stage_time = q.Time(2);
    e.received_at = q.Time(3);
    e.station = q.Text(4);
    seqs.push_back(q.Int(5));
  }
  if (rc != SQLITE_DONE) return db_.SqlError(rc, what);
  return flush();
}

Status OrderReader::VisitTimelinesForFlow(
    const Window& window, const std::function<void(const std::vector<StageEvent>&)>& visit) {
  return NoThrow([&]() -> Status {
    if (auto s = Prepared(flow_timelines_, kFlowTimelinesSql); !s) return s;
    Statement q(flow_timelines_.get());
    q.Int(1, SinceMs(window.since)).Int(2, UntilMs(window.until));
    return VisitIndexedTimelines(q, "reading timelines for flow",
                                 [&](std::vector<StageEvent>& t) { visit(t); });
  });
}

Status OrderReader::VisitShippedTimelines(
    const Window& shipped, const std::function<void(std::vector<StageEvent>)>& visit) {
  return NoThrow([&]() -> Status {
    if (auto s = Prepared(shipped_timelines_, kShippedTimelinesSql); !s) return s;
    Statement q(shipped_timelines_.get());
    q.Int(1, SinceMs(shipped.since)).Int(2, UntilMs(shipped.until));
    return VisitIndexedTimelines(q, "reading shipped orders' events",
                                 [&](std::vector<StageEvent>& t) { visit(std::move(t)); });
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
