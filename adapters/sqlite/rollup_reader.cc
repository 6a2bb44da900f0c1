// OrderReader::KpisFromRollups: the KPI inputs of a window with no start
// from the per-day rollups (schema 7, core/kpi_rollup.h). The days before
// until's day come from the rollup tables, one row per day (and currency,
// material, operator); the rest of that day from the orders and events, as
// the windowed queries read them. Statements are prepared on first use.
#include <algorithm>
#include <limits>
#include <map>
#include <tuple>

#include "adapters/sqlite/order_reader.h"
#include "adapters/sqlite/read_snapshot.h"
#include "adapters/sqlite/rollup_sql.h"
#include "adapters/sqlite/rows.h"
#include "adapters/sqlite/statement.h"
#include "core/extra_kinds.h"
#include "core/kpi_rollup.h"

namespace floortrack::sqlite {
namespace {

constexpr const char* kRollupVersionSql =
    "SELECT value FROM settings WHERE name = 'kpi_rollup_version'";
// ?1 = the first day not read.
constexpr const char* kKpiDaysSql =
    "SELECT currency, SUM(confirmed), SUM(personalized), SUM(open), SUM(shipped), "
    "SUM(with_promise), SUM(on_time), SUM(accurate), SUM(first_pass), SUM(engaged), "
    "SUM(designs_submitted), SUM(designs_converted), SUM(production_orders), "
    "SUM(production_ms), SUM(production_items), SUM(money_orders), SUM(value_micros), "
    "SUM(value_count), SUM(shipped_cost_micros), SUM(shipped_revenue_micros) "
    "FROM kpi_days WHERE day < ?1 GROUP BY currency";
constexpr const char* kTurnaroundDaysSql =
    "SELECT removed, vals FROM kpi_turnaround WHERE day < ?1";
constexpr const char* kCustomerDaysSql =
    "SELECT COALESCE(SUM(firsts), 0), COALESCE(SUM(seconds), 0) FROM customer_days "
    "WHERE day < ?1";
// ?1, ?2: the days [?1, ?2).
constexpr const char* kMaterialDaysSql =
    "SELECT material_type, SUM(used_micros), SUM(scrap_micros), SUM(recovered_micros), "
    "SUM(cost_micros) FROM material_days WHERE day >= ?1 AND day < ?2 GROUP BY material_type "
    "HAVING SUM(events) > 0";
constexpr const char* kFeedbackDaysSql =
    "SELECT COALESCE(SUM(score_micros), 0), COALESCE(SUM(responses), 0) FROM feedback_days "
    "WHERE day >= ?1 AND day < ?2";
constexpr const char* kPieceDaysSql =
    "SELECT operator, stage, failed, SUM(items) FROM piece_days WHERE day >= ?1 AND day < ?2 "
    "GROUP BY 1, 2, 3";
constexpr const char* kRollupsKeptSql = FT_ROLLUPS_KEPT_SQL;
// ?1, ?2: the orders with a rollup anchor in [?1, ?2) (each a time that
// some index orders).
#define FT_EDGE_ARM(column) \
  "SELECT " FT_KPI_COLUMNS " FROM orders WHERE " column " >= ?1 AND " column " < ?2"
// A submission at the confirmation is the confirmed arm's; the others are
// in the partial index orders_by_submitted.
constexpr const char* kEdgeOrdersSql =
    FT_EDGE_ARM("confirmed_ms") " UNION " FT_EDGE_ARM("shipped_ms") " UNION " FT_EDGE_ARM(
        "packed_ms") " UNION " FT_EDGE_ARM("cancelled_ms") " UNION " FT_EDGE_ARM(
        "submitted_ms") " AND submitted_ms IS NOT confirmed_ms";
constexpr const char* kEdgeCustomersSql =
    "SELECT (SELECT COUNT(*) FROM customers WHERE first_ms >= ?1 AND first_ms < ?2), "
    "(SELECT COUNT(*) FROM customers WHERE second_ms >= ?1 AND second_ms < ?2)";

}  // namespace

Status OrderReader::AddRollupDays(std::int64_t day, RollupKpiInputs& in,
                                  std::vector<std::int64_t>& removed) {
  const std::pair<StmtPtr*, const char*> all[] = {
      {&kpi_days_, kKpiDaysSql},
      {&turnaround_days_, kTurnaroundDaysSql},
      {&customer_days_, kCustomerDaysSql},
  };
  for (const auto& [slot, sql] : all) {
    if (auto s = Prepared(*slot, sql); !s) return s;
  }
  int rc;
  {
    Statement q(kpi_days_.get());
    q.Int(1, day);
    while ((rc = q.Step()) == SQLITE_ROW) {
      KpiCounts c;
      std::int64_t* counters[] = {&c.confirmed,         &c.personalized,      &c.open,
                                  &c.shipped,           &c.with_promise,      &c.on_time,
                                  &c.accurate,          &c.first_pass,        &c.engaged,
                                  &c.designs_submitted, &c.designs_converted, &c.production_orders,
                                  &c.production_ms,     &c.production_items};
      int col = 1;
      for (std::int64_t* v : counters) *v = q.Int(col++);
      in.sums.counts += c;
      MoneyCounts m{q.Int(15), q.Int(16), q.Int(17), q.Int(18), q.Int(19)};
      if (!m.IsZero()) in.sums.money[q.Text(0)] += m;
    }
    if (rc != SQLITE_DONE) return db_.SqlError(rc, "reading the KPI rollup");
  }
  {
    Statement q(turnaround_days_.get());
    q.Int(1, day);
    while ((rc = q.Step()) == SQLITE_ROW) {
      std::vector<std::int64_t>& list = q.Int(0) != 0 ? removed : in.sums.turnaround_ms;
      for (std::int64_t v : DecodeTurnaround(q.Blob(1))) list.push_back(v);
    }
    if (rc != SQLITE_DONE) return db_.SqlError(rc, "reading the turnaround rollup");
  }
  Statement q(customer_days_.get());
  q.Int(1, day);
  if ((rc = q.Step()) != SQLITE_ROW) return db_.SqlError(rc, "reading customer days");
  in.sums.customers += q.Int(0);
  in.sums.repeat_customers += q.Int(1);
  return Ok{};
}

Result<bool> OrderReader::RollupsReadable() {
  if (!use_rollups_) return false;
  if (auto s = Prepared(rollups_kept_, kRollupsKeptSql); !s) return s.error();
  auto kept = Count(rollups_kept_.get(), "looking for the rollups");
  if (!kept) return kept.error();
  return kept.value() != 0;
}

Status OrderReader::ReadEventFigures(std::int64_t since, std::int64_t until,
                                     std::map<std::string, MaterialMicros>* material,
                                     ActivityTotals* activity) {
  const std::pair<StmtPtr*, const char*> all[] = {
      {&material_days_, kMaterialDaysSql},
      {&feedback_days_, kFeedbackDaysSql},
      {&piece_days_, kPieceDaysSql},
  };
  for (const auto& [slot, sql] : all) {
    if (auto s = Prepared(*slot, sql); !s) return s;
  }
  // Whole days [first, end); the rest of the window from the events.
  constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
  constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
  const std::int64_t first = since == kMin ? kMin : DayOf(since - 1) + 1;
  const std::int64_t end = until == kMax ? kMax : DayOf(until);
  std::vector<std::pair<std::int64_t, std::int64_t>> partial;  // ranges read from the events
  if (first >= end) {
    partial.emplace_back(since, until);
  } else {
    if (first != kMin && since < first * kMillisPerDay) partial.emplace_back(since, first * kMillisPerDay);
    if (end != kMax && end * kMillisPerDay < until) partial.emplace_back(end * kMillisPerDay, until);
  }
  int rc;
  if (material) {
    if (first < end) {
      Statement q(material_days_.get());
      q.Int(1, first).Int(2, end);
      while ((rc = q.Step()) == SQLITE_ROW) AddMaterialMicros(q, *material);
      if (rc != SQLITE_DONE) return db_.SqlError(rc, "reading material days");
    }
    for (const auto& [from, to] : partial) {
      if (auto s = ReadMaterial(from, to, *material); !s) return s;
    }
  }
  if (!activity) return Ok{};
  ActivityTotals rows;
  for (const auto& [from, to] : partial) {
    if (auto s = ReadFeedbackAndPieces(from, to, rows); !s) return s;
  }
  activity->score_micros += rows.score_micros;
  activity->responses += rows.responses;
  std::map<std::tuple<std::string, std::string, bool>, double> pieces;
  for (const StagePieces& p : rows.pieces) pieces[{p.operator_name, p.stage, p.failed}] += p.items;
  if (first < end) {
    if (rules_.IsExtraKind(kKindFeedback)) {
      Statement q(feedback_days_.get());
      q.Int(1, first).Int(2, end);
      if ((rc = q.Step()) != SQLITE_ROW) return db_.SqlError(rc, "reading feedback days");
      activity->score_micros += q.Int(0);
      activity->responses += static_cast<std::size_t>(q.Int(1));
    }
    Statement q(piece_days_.get());
    q.Int(1, first).Int(2, end);
    while ((rc = q.Step()) == SQLITE_ROW)
      pieces[{q.Text(0), q.Text(1), q.Int(2) != 0}] += q.Real(3);
    if (rc != SQLITE_DONE) return db_.SqlError(rc, "reading piece days");
  }
  for (const auto& [key, items] : pieces)
    if (items != 0)
      activity->pieces.push_back({std::get<0>(key), std::get<1>(key), std::get<2>(key), items});
  return Ok{};
}

Result<std::optional<RollupKpiInputs>> OrderReader::KpisFromRollups(
    const Rules& rules, const std::optional<TimePoint>& until, TimePoint now) {
  return NoThrow([&]() -> Result<std::optional<RollupKpiInputs>> {
    const std::optional<RollupKpiInputs> none;
    if (!use_rollups_) return none;
    const ReadSnapshot snapshot(db_.handle());
    if (auto s = Prepared(rollup_version_, kRollupVersionSql); !s) return s.error();
    {
      Statement q(rollup_version_.get());
      int rc = q.Step();
      if (rc == SQLITE_DONE || (rc == SQLITE_ROW && q.Text(0) != RollupVersion(rules))) return none;
      if (rc != SQLITE_ROW) return db_.SqlError(rc, "reading the rollup version");
    }
    RollupKpiInputs in;
    in.activity.now = now;
    std::vector<std::int64_t> removed;
    const std::int64_t until_ms = UntilMs(until);
    // Without an end every day is whole.
    const std::int64_t day = until ? DayOf(until_ms) : std::numeric_limits<std::int64_t>::max();
    if (auto s = AddRollupDays(day, in, removed); !s) return s.error();
    if (until) {
      // The part of until's day before until, from the rows.
      const std::int64_t from = day * kMillisPerDay;
      for (auto [slot, sql] : {std::pair{&edge_orders_, kEdgeOrdersSql},
                               std::pair{&edge_customers_, kEdgeCustomersSql}}) {
        if (auto s = Prepared(*slot, sql); !s) return s.error();
      }
      Statement q(edge_orders_.get());
      q.Int(1, from).Int(2, until_ms);
      auto visited = Visit(q, "reading the orders of the day", [&](const OrderSummary& order) {
        for (const KpiEntry& e : RollupEntries(order, rules))
          if (e.anchor_ms >= from && e.anchor_ms < until_ms) AddEntry(e, in.sums, removed);
      });
      if (!visited) return visited.error();
      Statement c(edge_customers_.get());
      c.Int(1, from).Int(2, until_ms);
      if (int rc = c.Step(); rc != SQLITE_ROW) return db_.SqlError(rc, "counting customers");
      in.sums.customers += c.Int(0);
      in.sums.repeat_customers += c.Int(1);
    }
    RemoveValues(in.sums.turnaround_ms, std::move(removed));
    std::map<std::string, MaterialMicros> material;
    if (auto s = ReadEventFigures(kMinMs, until_ms, &material, &in.activity); !s) return s.error();
    in.material = MaterialFromMicros(material);
    if (auto s = ReadShifts(kMinMs, until_ms, in.activity); !s) return s.error();
    return std::optional<RollupKpiInputs>(std::move(in));
  });
}

}  // namespace floortrack::sqlite
