#include "adapters/sqlite/order_reader.h"

#include <algorithm>
#include <limits>
#include <map>
#include <utility>

#include "adapters/sqlite/rollup_sql.h"
#include "adapters/sqlite/rows.h"
#include "adapters/sqlite/statement.h"

namespace floortrack::sqlite {
namespace {


constexpr const char* kOrderEventsSql =
    "SELECT " FT_EVENT_COLUMNS ", raw FROM events WHERE order_id = ?1 ORDER BY stage_ms, seq";
constexpr const char* kFindOrderSql = "SELECT " FT_ORDER_COLUMNS " FROM orders WHERE order_id = ?1";
// ?1 = since (inclusive), ?2 = until (exclusive). Five disjoint arms, each
// one index range, so no row is read twice and nothing is deduplicated:
// confirmed in the window; shipped in it but confirmed outside it; open at
// until and confirmed before since (unshipped; shipped at or after until).
constexpr const char* kOrdersForKpiSql =
    "SELECT " FT_KPI_COLUMNS " FROM orders WHERE confirmed_ms >= ?1 AND confirmed_ms < ?2 "
    "UNION ALL SELECT " FT_KPI_COLUMNS " FROM orders WHERE shipped_ms >= ?1 AND shipped_ms < ?2 "
    "AND (confirmed_ms IS NULL OR confirmed_ms < ?1 OR confirmed_ms >= ?2) "
    "UNION ALL SELECT " FT_KPI_COLUMNS " FROM orders WHERE shipped_ms IS NULL AND confirmed_ms < ?1 "
    "UNION ALL SELECT " FT_KPI_COLUMNS " FROM orders WHERE shipped_ms >= ?2 AND confirmed_ms < ?1 "
    // A design submitted in the window apart from the confirmation
    // ([kpi] design_submitted_stage; orders_by_submitted), in no arm above.
    "UNION ALL SELECT " FT_KPI_COLUMNS " FROM orders WHERE submitted_ms >= ?1 "
    "AND submitted_ms < ?2 AND submitted_ms IS NOT confirmed_ms "
    "AND (confirmed_ms IS NULL OR confirmed_ms < ?1 OR confirmed_ms >= ?2) "
    "AND (shipped_ms IS NULL OR shipped_ms < ?1 OR shipped_ms >= ?2) "
    "AND NOT (confirmed_ms IS NOT NULL AND confirmed_ms < ?1 AND "
    "(shipped_ms IS NULL OR shipped_ms >= ?2))";
// With no `since` nearly every order is relevant: one sequential scan beats
// index ranges with a table lookup per row. The KpiAccumulator ignores the rest.
constexpr const char* kAllOrdersSql = "SELECT " FT_KPI_COLUMNS " FROM orders";
// Per material type, index-only on events_material (covering); the totals
// are the sums of the rows. Sums in millionths (FT_MICROS), as the rollups
// keep them, so both give the same figures to the last digit.
#define FT_MATERIAL_SUMS                                                              \
  "SELECT material_type, SUM(" FT_MICROS("used_g") "), SUM(" FT_MICROS("scrap_g") "), " \
  "COALESCE(SUM(" FT_MICROS("recovered_g") "), 0), SUM(" FT_MICROS("material_cost") ") "
constexpr const char* kMaterialSql =
    FT_MATERIAL_SUMS "FROM events "
    "WHERE used_g IS NOT NULL AND stage_ms >= ?1 AND stage_ms < ?2 GROUP BY material_type";
// ?1 = since, ?2 = limit (-1 = none).
constexpr const char* kListOrdersSql =
    "SELECT " FT_ORDER_COLUMNS " FROM orders WHERE current_stage_ms >= ?1 "
    "ORDER BY current_stage_ms DESC, order_id LIMIT ?2";
// The open ones: orders_by_shipped finds them (shipped_ms IS NULL) without
// walking every order; cancelled ones are not open.
constexpr const char* kListOpenOrdersSql =
    "SELECT " FT_ORDER_COLUMNS " FROM orders WHERE shipped_ms IS NULL AND cancelled_ms IS NULL "
    "AND current_stage_ms >= ?1 "
    "ORDER BY current_stage_ms DESC, order_id LIMIT ?2";
constexpr const char* kRecentRejectsSql =
    "SELECT " FT_REJECT_COLUMNS " FROM rejects ORDER BY id DESC LIMIT ?1";
constexpr const char* kRejectTotalSql = "SELECT value FROM counters WHERE name = 'rejects_total'";
constexpr const char* kEventCountSql = "SELECT COUNT(*) FROM events";
constexpr const char* kBatchMembersSql =
    "SELECT m.order_id, m.weight_g, COALESCE(o.current_stage, '') FROM batch_members m "
    "LEFT JOIN orders o ON o.order_id = m.order_id WHERE m.batch_id = ?1 ORDER BY m.order_id";
constexpr const char* kBatchEventsSql =
    "SELECT stage, stage_ms, station, result, material_type, used_g, scrap_g, recovered_g, orders "
    "FROM batch_events WHERE batch_id = ?1 ORDER BY stage_ms, event_key";
// Whether any void was ever stored (the partial index events_voids).
constexpr const char* kAnyVoidSql = "SELECT EXISTS(SELECT 1 FROM events WHERE voids IS NOT NULL)";
// kMaterialSql without the events a void of the same order names (directly,
// or as a batch event's per-order key "<id>/<order>"). Slower (no longer
// index-only), so used only once a void exists.
constexpr const char* kMaterialUnvoidedSql =
    FT_MATERIAL_SUMS "FROM events e "
    "WHERE used_g IS NOT NULL AND stage_ms >= ?1 AND stage_ms < ?2 AND " FT_NOT_VOIDED " "
    "GROUP BY material_type";
constexpr const char* kBatchesOfOrderSql =
    "SELECT batch_id FROM batch_members WHERE order_id = ?1 ORDER BY batch_id";

std::int64_t LimitOrAll(std::size_t limit) {
  return limit == 0 || limit > static_cast<std::size_t>(kMaxMs) ? -1
                                                                : static_cast<std::int64_t>(limit);
}

}  // namespace

Result<std::unique_ptr<OrderReader>> OrderReader::Create(Database& db, Rules rules) {
  std::unique_ptr<OrderReader> r(new OrderReader(db, std::move(rules)));
  const std::pair<StmtPtr*, const char*> all[] = {
      {&r->order_events_, kOrderEventsSql},       {&r->find_order_, kFindOrderSql},
      {&r->orders_for_kpi_, kOrdersForKpiSql},    {&r->all_orders_, kAllOrdersSql},
      {&r->material_, kMaterialSql},
      {&r->list_orders_, kListOrdersSql},         {&r->list_open_orders_, kListOpenOrdersSql},
      {&r->recent_rejects_, kRecentRejectsSql},   {&r->reject_total_, kRejectTotalSql},
      {&r->event_count_, kEventCountSql},         {&r->batch_members_, kBatchMembersSql},
      {&r->batch_events_, kBatchEventsSql},       {&r->batches_of_order_, kBatchesOfOrderSql},
      {&r->any_void_, kAnyVoidSql},
      {&r->material_unvoided_, kMaterialUnvoidedSql},
  };
  for (const auto& [slot, sql] : all) {
    if (auto s = db.Prepare(sql, *slot); !s) return s.error();
  }
  return r;
}

Result<std::vector<StageEvent>> OrderReader::OrderEvents(const std::string& order_id) {
  return NoThrow([&]() -> Result<std::vector<StageEvent>> {
    Statement q(order_events_.get());
    q.Text(1, order_id);
    std::vector<StageEvent> events;
    int rc;
    while ((rc = q.Step()) == SQLITE_ROW) events.push_back(ReadEvent(q, /*with_raw=*/true));
    if (rc != SQLITE_DONE) return db_.SqlError(rc, "reading the order's events");
    if (events.empty()) return MakeError(ErrorKind::kNotFound, "no events for order " + order_id);
    SortTimeline(events, rules_);
    return events;
  });
}

Result<OrderSummary> OrderReader::FindOrder(const std::string& order_id) {
  return NoThrow([&]() -> Result<OrderSummary> {
    Statement q(find_order_.get());
    q.Text(1, order_id);
    int rc = q.Step();
    if (rc == SQLITE_DONE) return MakeError(ErrorKind::kNotFound, "no order " + order_id);
    if (rc != SQLITE_ROW) return db_.SqlError(rc, "reading the order");
    auto summary = ReadSummary(q);
    if (!summary) {
      return MakeError(ErrorKind::kCorrupt,
                       db_.path() + ": bad return_reasons of order " + order_id);
    }
    return std::move(*summary);
  });
}

// Hands every row of a bound order-summary query to `visit`.
Status OrderReader::Visit(Statement& q, const char* what,
                          const std::function<void(const OrderSummary&)>& visit) {
  int rc;
  while ((rc = q.Step()) == SQLITE_ROW) {
    auto summary = ReadSummary(q);
    if (!summary)
      return MakeError(ErrorKind::kCorrupt, db_.path() + ": bad return_reasons in " + what);
    visit(*summary);
  }
  if (rc != SQLITE_DONE) return db_.SqlError(rc, what);
  return Ok{};
}

Status OrderReader::VisitOrdersForKpi(const Window& window,
                                      const std::function<void(const OrderSummary&)>& visit) {
  return NoThrow([&]() -> Status {
    Statement q(window.since ? orders_for_kpi_.get() : all_orders_.get());
    if (window.since) q.Int(1, SinceMs(window.since)).Int(2, UntilMs(window.until));
    return Visit(q, "reading orders for KPIs", visit);
  });
}

Result<MaterialTotals> OrderReader::MaterialInWindow(const Window& window) {
  return NoThrow([&]() -> Result<MaterialTotals> {
    std::map<std::string, MaterialMicros> by_type;
    auto rolled = RollupsReadable();
    if (!rolled) return rolled.error();
    const std::int64_t since = SinceMs(window.since), until = UntilMs(window.until);
    if (auto s = rolled.value() ? ReadEventFigures(since, until, &by_type, nullptr)
                                : ReadMaterial(since, until, by_type);
        !s)
      return s.error();
    return MaterialFromMicros(by_type);
  });
}

Status OrderReader::ReadMaterial(std::int64_t since, std::int64_t until,
                                 std::map<std::string, MaterialMicros>& by_type) {
  auto any_void = Count(any_void_.get(), "looking for voids");
  if (!any_void) return any_void.error();
  Statement q(any_void.value() ? material_unvoided_.get() : material_.get());
  q.Int(1, since).Int(2, until);
  int rc;
  while ((rc = q.Step()) == SQLITE_ROW) AddMaterialMicros(q, by_type);
  if (rc != SQLITE_DONE) return db_.SqlError(rc, "summing material");
  return Ok{};
}

Result<std::vector<OrderSummary>> OrderReader::ListOrders(const OrderFilter& filter) {
  return NoThrow([&]() -> Result<std::vector<OrderSummary>> {
    Statement q(filter.open_only ? list_open_orders_.get() : list_orders_.get());
    q.Int(1, SinceMs(filter.since)).Int(2, LimitOrAll(filter.limit));
    std::vector<OrderSummary> out;
    auto visited = Visit(q, "listing orders", [&](const OrderSummary& o) { out.push_back(o); });
    if (!visited) return visited.error();
    return out;
  });
}

Result<std::vector<Reject>> OrderReader::RecentRejects(std::size_t limit) {
  return NoThrow([&]() -> Result<std::vector<Reject>> {
    Statement q(recent_rejects_.get());
    q.Int(1, LimitOrAll(limit));
    std::vector<Reject> out;
    int rc;
    while ((rc = q.Step()) == SQLITE_ROW) out.push_back(ReadReject(q));
    if (rc != SQLITE_DONE) return db_.SqlError(rc, "reading rejects");
    return out;
  });
}

Result<std::uint64_t> OrderReader::Count(sqlite3_stmt* stmt, const char* what) {
  return NoThrow([&]() -> Result<std::uint64_t> {
    Statement q(stmt);
    int rc = q.Step();
    if (rc == SQLITE_DONE) return std::uint64_t{0};
    if (rc != SQLITE_ROW) return db_.SqlError(rc, what);
    return static_cast<std::uint64_t>(q.Int(0));
  });
}

Result<std::uint64_t> OrderReader::RejectTotal() {
  return Count(reject_total_.get(), "reading the reject total");
}

Result<std::uint64_t> OrderReader::EventCount() {
  return Count(event_count_.get(), "counting events");
}

Result<BatchView> OrderReader::FindBatch(const std::string& batch_id) {
  return NoThrow([&]() -> Result<BatchView> {
    BatchView view;
    view.batch_id = batch_id;
    {
      Statement q(batch_members_.get());
      q.Text(1, batch_id);
      int rc;
      while ((rc = q.Step()) == SQLITE_ROW) view.members.push_back({q.Text(0), q.OptReal(1), q.Text(2)});
      if (rc != SQLITE_DONE) return db_.SqlError(rc, "reading the batch's orders");
    }
    if (view.members.empty()) return MakeError(ErrorKind::kNotFound, "no batch " + batch_id);
    Statement q(batch_events_.get());
    q.Text(1, batch_id);
    int rc;
    while ((rc = q.Step()) == SQLITE_ROW) {
      BatchEventView e;
      e.stage = q.Text(0);
      e.stage_time = q.Time(1);
      e.station = q.Text(2);
      e.result = StageResultFromString(q.Text(3));
      if (!q.IsNull(5)) e.material = Material{q.Text(4), q.Real(5), q.Real(6), q.Real(7)};
      e.orders = static_cast<std::size_t>(q.Int(8));
      view.events.push_back(std::move(e));
    }
    if (rc != SQLITE_DONE) return db_.SqlError(rc, "reading the batch's events");
    // Timeline order: stage time, then the stage's place in the process.
    std::stable_sort(view.events.begin(), view.events.end(),
                     [this](const BatchEventView& a, const BatchEventView& b) {
                       if (a.stage_time != b.stage_time) return a.stage_time < b.stage_time;
                       return static_cast<unsigned>(rules_.StageIndex(a.stage)) <
                              static_cast<unsigned>(rules_.StageIndex(b.stage));
                     });
    return view;
  });
}

Result<std::vector<std::string>> OrderReader::BatchesOfOrder(const std::string& order_id) {
  return NoThrow([&]() -> Result<std::vector<std::string>> {
    Statement q(batches_of_order_.get());
    q.Text(1, order_id);
    std::vector<std::string> out;
    int rc;
    while ((rc = q.Step()) == SQLITE_ROW) out.push_back(q.Text(0));
    if (rc != SQLITE_DONE) return db_.SqlError(rc, "reading the order's batches");
    return out;
  });
}

}  // namespace floortrack::sqlite
