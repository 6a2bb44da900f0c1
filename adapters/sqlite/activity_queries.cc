// OrderReader's event-level inputs of the shop KPIs (core/shop_kpis.h):
// customers for retention_pct, feedback scores for csi, shifts and pieces
// for labor_pieces_per_hour. Statements are prepared on first use.
#include "adapters/sqlite/order_reader.h"
#include "adapters/sqlite/rollup_sql.h"
#include "adapters/sqlite/rows.h"
#include "adapters/sqlite/statement.h"
#include "core/kpi_rollup.h"

namespace floortrack::sqlite {
namespace {

// ?1 = since, ?2 = until: per customer, the first confirmed order and
// whether one was confirmed in the window.
constexpr const char* kCustomersSql =
    "SELECT MIN(confirmed_ms), MAX(confirmed_ms >= ?1) FROM orders "
    "WHERE customer_id IS NOT NULL AND customer_id <> '' AND confirmed_ms < ?2 "
    "GROUP BY customer_id";
// With the rollups (schema 7): ?1 = since, ?2 = since's UTC day start.
// Customers whose first order is before since: whole days from
// customer_days, the rest of since's day from customers_by_first.
constexpr const char* kCustomersAtStartSql =
    "SELECT (SELECT COALESCE(SUM(firsts), 0) FROM customer_days WHERE day < ?2 / 86400000) + "
    "(SELECT COUNT(*) FROM customers WHERE first_ms >= ?2 AND first_ms < ?1)";
// ... and of those, how many ordered in [?1, ?2) (orders_by_confirmed, then
// each customer's row): what the window holds.
constexpr const char* kCustomersReturningSql =
    "SELECT COUNT(DISTINCT o.customer_id) FROM orders o JOIN customers c "
    "ON c.customer_id = o.customer_id WHERE o.confirmed_ms >= ?1 AND o.confirmed_ms < ?2 "
    "AND c.first_ms < ?1";
// Whether the customers table is kept (rollups built and not marked stale).
constexpr const char* kCustomersKeptSql = FT_ROLLUPS_KEPT_SQL;
// ?3 = the feedback kind. Index events_scores.
constexpr const char* kFeedbackSql =
    "SELECT COALESCE(SUM(" FT_MICROS("score") "), 0), COUNT(*) FROM events e "
    "WHERE score IS NOT NULL "
    "AND stage_ms >= ?1 AND stage_ms < ?2 AND stage = ?3 AND " FT_NOT_VOIDED;
// Shift events have no order. Index events_shifts.
constexpr const char* kShiftsSql =
    "SELECT operator, stage, stage_ms FROM events WHERE order_id = '' "
    "AND stage_ms >= ?1 AND stage_ms < ?2";
// Index-only on events_by_operator (covering); each event counts its
// order's items (a primary-key lookup).
#define FT_PIECES_SQL(extra)                                                                 \
  "SELECT e.operator, e.stage, COALESCE(e.result = 'fail', 0), SUM(COALESCE(o.items, 1)) "  \
  "FROM events e LEFT JOIN orders o ON o.order_id = e.order_id "                             \
  "WHERE e.operator IS NOT NULL AND e.stage_ms >= ?1 AND e.stage_ms < ?2 "                   \
  "AND e.order_id <> '' " extra " GROUP BY 1, 2, 3"
constexpr const char* kPiecesSql = FT_PIECES_SQL("");
// Once a void exists: without the voided events (a lookup per event, and
// the table row for its event_key: about twice the time).
constexpr const char* kPiecesUnvoidedSql = FT_PIECES_SQL("AND " FT_NOT_VOIDED);


}  // namespace

Status OrderReader::Prepared(StmtPtr& slot, const char* sql) {
  if (slot) return Ok{};
  return db_.Prepare(sql, slot);
}

Result<ActivityTotals> OrderReader::ActivityInWindow(const Window& window, TimePoint now) {
  return NoThrow([&]() -> Result<ActivityTotals> {
    ActivityTotals out;
    out.now = now;
    const std::int64_t since = SinceMs(window.since), until = UntilMs(window.until);
    const std::int64_t reach = std::int64_t{rules_.max_shift_hours} * 3'600'000;
    if (window.since) {  // retention needs a start
      if (auto s = Prepared(customers_kept_, kCustomersKeptSql); !s) return s.error();
      auto kept = Count(customers_kept_.get(), "looking for the customer rollup");
      if (!kept) return kept.error();
      if (auto s = kept.value() && use_rollups_ ? ReadRetention(since, until, out)
                                                : ReadCustomers(since, until, out);
          !s)
        return s.error();
    }
    auto rolled = RollupsReadable();
    if (!rolled) return rolled.error();
    if (auto s = rolled.value() ? ReadEventFigures(since, until, nullptr, &out)
                                : ReadFeedbackAndPieces(since, until, out);
        !s)
      return s.error();
    // A shift that started up to max_shift_hours before the window reaches into it.
    if (auto s = ReadShifts(since > kMinMs + reach ? since - reach : kMinMs, until, out); !s)
      return s.error();
    return out;
  });
}

Status OrderReader::ReadFeedbackAndPieces(std::int64_t since, std::int64_t until,
                                          ActivityTotals& out) {
  if (rules_.IsExtraKind(kKindFeedback)) {
    if (auto s = Prepared(feedback_, kFeedbackSql); !s) return s;
    Statement q(feedback_.get());
    q.Int(1, since).Int(2, until).Text(3, kKindFeedback);
    if (int rc = q.Step(); rc != SQLITE_ROW) return db_.SqlError(rc, "summing feedback");
    out.score_micros += q.Int(0);
    out.responses += static_cast<std::size_t>(q.Int(1));
  }
  auto any_void = Count(any_void_.get(), "looking for voids");
  if (!any_void) return any_void.error();
  StmtPtr& pieces = any_void.value() ? pieces_unvoided_ : pieces_;
  if (auto s = Prepared(pieces, any_void.value() ? kPiecesUnvoidedSql : kPiecesSql); !s)
    return s;
  Statement q(pieces.get());
  q.Int(1, since).Int(2, until);
  int rc;
  while ((rc = q.Step()) == SQLITE_ROW)
    out.pieces.push_back({q.Text(0), q.Text(1), q.Int(2) != 0, q.Real(3)});
  if (rc != SQLITE_DONE) return db_.SqlError(rc, "counting pieces");
  return Ok{};
}

// Retention's counts from the customer rollup: cost per window.
Status OrderReader::ReadRetention(std::int64_t since, std::int64_t until, ActivityTotals& out) {
  for (auto [slot, sql] : {std::pair{&customers_at_start_, kCustomersAtStartSql},
                           std::pair{&customers_returning_, kCustomersReturningSql}}) {
    if (auto s = Prepared(*slot, sql); !s) return s;
  }
  std::size_t counts[2];
  for (auto [i, stmt] : {std::pair{0, customers_at_start_.get()},
                         std::pair{1, customers_returning_.get()}}) {
    Statement q(stmt);
    if (i == 0)
      q.Int(1, since).Int(2, DayOf(since) * kMillisPerDay);
    else
      q.Int(1, since).Int(2, until);
    if (int rc = q.Step(); rc != SQLITE_ROW) return db_.SqlError(rc, "counting customers");
    counts[i] = static_cast<std::size_t>(q.Int(0));
  }
  out.retention_counts = {counts[0], counts[1]};
  return Ok{};
}

// Retention's rows from the orders (a database whose rollups are not built).
Status OrderReader::ReadCustomers(std::int64_t since, std::int64_t until, ActivityTotals& out) {
  if (auto s = Prepared(customers_, kCustomersSql); !s) return s;
  Statement q(customers_.get());
  q.Int(1, since).Int(2, until);
  int rc;
  while ((rc = q.Step()) == SQLITE_ROW) out.customers.push_back({q.Time(0), q.Int(1) != 0});
  if (rc != SQLITE_DONE) return db_.SqlError(rc, "reading customers");
  return Ok{};
}

Status OrderReader::ReadShifts(std::int64_t since, std::int64_t until, ActivityTotals& out) {
  if (auto s = Prepared(shifts_, kShiftsSql); !s) return s;
  Statement q(shifts_.get());
  q.Int(1, since).Int(2, until);
  int rc;
  while ((rc = q.Step()) == SQLITE_ROW) {
    const KindRole role = rules_.ExtraRole(q.Text(1));
    if (role != KindRole::kShiftStart && role != KindRole::kShiftEnd) continue;
    out.shifts.push_back({q.Text(0), role == KindRole::kShiftStart, q.Time(2)});
  }
  if (rc != SQLITE_DONE) return db_.SqlError(rc, "reading shifts");
  return Ok{};
}

}  // namespace floortrack::sqlite
