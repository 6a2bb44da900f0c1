// RollupWriter::Rebuild: every KPI rollup from the orders and events, for a
// database migrated to schema 7 or rules the rollups were not built for.
// Order-level rollups through core's RollupEntries (the same code the
// appends use); customers, material, feedback and pieces in SQL.
#include <algorithm>
#include <map>
#include <utility>
#include <vector>

#include "adapters/sqlite/rollup_sql.h"
#include "adapters/sqlite/rollup_writer.h"
#include "adapters/sqlite/rows.h"
#include "adapters/sqlite/statement.h"
#include "core/kpi_rollup.h"

namespace floortrack::sqlite {
namespace {

constexpr const char* kClearSql =
    "DELETE FROM kpi_days; DELETE FROM kpi_turnaround; DELETE FROM customers; "
    "DELETE FROM customer_days; DELETE FROM material_days; DELETE FROM feedback_days; "
    "DELETE FROM piece_days;";
constexpr const char* kOrdersSql = "SELECT " FT_KPI_COLUMNS " FROM orders";
constexpr const char* kCustomersSql =
    "INSERT INTO customers(customer_id, first_ms, second_ms) "
    "SELECT customer_id, MIN(CASE WHEN n = 1 THEN confirmed_ms END), "
    "MIN(CASE WHEN n = 2 THEN confirmed_ms END) FROM (SELECT customer_id, confirmed_ms, "
    "ROW_NUMBER() OVER (PARTITION BY customer_id ORDER BY confirmed_ms) AS n FROM orders "
    "WHERE customer_id IS NOT NULL AND confirmed_ms IS NOT NULL) WHERE n <= 2 "
    "GROUP BY customer_id;"
    "INSERT INTO customer_days(day, firsts, seconds) SELECT day, SUM(f), SUM(s) FROM ("
    "SELECT " FT_DAY("first_ms") " AS day, 1 AS f, 0 AS s FROM customers UNION ALL "
    "SELECT " FT_DAY("second_ms") ", 0, 1 FROM customers WHERE second_ms IS NOT NULL) "
    "GROUP BY day;";
// %s: the void condition on events `e` (FT_NOT_VOIDED, or 1 while no void exists).
#define FT_EVENT_ROLLUPS(not_voided)                                                          \
  "INSERT INTO material_days(day, material_type, events, used_micros, scrap_micros, "         \
  "recovered_micros, cost_micros) SELECT " FT_DAY("stage_ms") ", COALESCE(material_type, ''), " \
  "COUNT(*), SUM(" FT_MICROS("used_g") "), SUM(" FT_MICROS("scrap_g") "), "                    \
  "COALESCE(SUM(" FT_MICROS("recovered_g") "), 0), SUM(" FT_MICROS("material_cost") ") "      \
  "FROM events e WHERE used_g IS NOT NULL AND " not_voided " GROUP BY 1, 2;"                  \
  "INSERT INTO feedback_days(day, score_micros, responses) SELECT " FT_DAY("stage_ms") ", "   \
  "SUM(" FT_MICROS("score") "), COUNT(*) FROM events e WHERE score IS NOT NULL AND "          \
  "stage = 'feedback' AND " not_voided " GROUP BY 1;"                                          \
  "INSERT INTO piece_days(day, operator, stage, failed, items) SELECT " FT_DAY("e.stage_ms")  \
  ", e.operator, e.stage, COALESCE(e.result = 'fail', 0), SUM(COALESCE(o.items, 1)) "         \
  "FROM events e LEFT JOIN orders o ON o.order_id = e.order_id WHERE e.operator IS NOT NULL " \
  "AND e.order_id <> '' AND " not_voided " GROUP BY 1, 2, 3, 4;"
constexpr const char* kEventRollupsSql = FT_EVENT_ROLLUPS(FT_NOT_VOIDED);
constexpr const char* kEventRollupsNoVoidSql = FT_EVENT_ROLLUPS("1");
constexpr const char* kAnyVoidSql = "SELECT EXISTS(SELECT 1 FROM events WHERE voids IS NOT NULL)";

}  // namespace

Status RollupWriter::Rebuild(const Rules& rules, const StoreProgressHandler& progress) {
  auto orders = db_.QueryInt("SELECT COUNT(*) FROM orders", "counting orders");
  if (!orders) return orders.error();
  const auto total = static_cast<std::uint64_t>(orders.value());
  if (progress) progress({"building the KPI rollups", 0, total});
  if (auto s = db_.Exec(kClearSql, "clearing the KPI rollups"); !s) return s;
  out_of_step_ = false;

  struct Net {
    KpiCounts counts;
    MoneyCounts money;
  };
  std::map<std::pair<std::int64_t, std::string>, Net> days;
  std::map<std::int64_t, std::pair<std::vector<std::int64_t>, std::vector<std::int64_t>>> turnaround;
  {
    StmtPtr stmt;
    if (auto s = db_.Prepare(kOrdersSql, stmt); !s) return s;
    Statement q(stmt.get());
    std::uint64_t done = 0;
    int rc;
    while ((rc = q.Step()) == SQLITE_ROW) {
      auto order = ReadSummary(q);
      // An unreadable summary counts nowhere (the orders' KPIs refuse it
      // too) until its next event rebuilds it, which rebuilds the rollups.
      if (!order) continue;
      for (const KpiEntry& e : RollupEntries(*order, rules)) {
        const std::int64_t day = DayOf(e.anchor_ms);
        if (e.turnaround_sign != 0) {
          auto& lists = turnaround[day];
          (e.turnaround_sign > 0 ? lists.first : lists.second).push_back(e.turnaround_ms);
          continue;
        }
        Net& net = days[{day, e.currency}];
        net.counts += e.counts;
        net.money += e.money;
      }
      if (progress && ++done % 200000 == 0) progress({"building the KPI rollups", done, total});
    }
    if (rc != SQLITE_DONE) return db_.SqlError(rc, "reading orders for the rollups");
  }
  for (const auto& [key, net] : days) {
    if (auto s = AddToDay(key.first, key.second, net.counts, net.money); !s) return s;
  }
  for (const auto& [day, lists] : turnaround) {
    for (bool removed : {false, true}) {
      const std::vector<std::int64_t>& values = removed ? lists.second : lists.first;
      for (std::size_t from = 0; from < values.size(); from += kTurnaroundChunk) {
        const auto to = std::min(values.size(), from + kTurnaroundChunk);
        const std::vector<std::int64_t> chunk(values.begin() + static_cast<std::ptrdiff_t>(from),
                                              values.begin() + static_cast<std::ptrdiff_t>(to));
        if (auto s = PutChunk(day, removed, static_cast<std::int64_t>(from / kTurnaroundChunk), chunk);
            !s)
          return s;
      }
    }
  }
  if (progress) progress({"building the customer, material, feedback and piece rollups", total, total});
  if (auto s = db_.Exec(kCustomersSql, "building the customer rollup"); !s) return s;
  auto any_void = db_.QueryInt(kAnyVoidSql, "looking for voids");
  if (!any_void) return any_void.error();
  if (auto s = db_.Exec(any_void.value() ? kEventRollupsSql : kEventRollupsNoVoidSql,
                        "building the event rollups");
      !s) {
    return s;
  }
  if (auto s = settings_.Put(kSettingRollupVersion, RollupVersion(rules)); !s) return s;
  if (progress) progress({"built the KPI rollups", total, total});
  return Ok{};
}

}  // namespace floortrack::sqlite
