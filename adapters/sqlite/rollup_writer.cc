#include "adapters/sqlite/rollup_writer.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <set>
#include <tuple>
#include <cstdlib>
#include <utility>
#include <vector>

#include "adapters/sqlite/rollup_sql.h"
#include "adapters/sqlite/rows.h"
#include "adapters/sqlite/statement.h"
#include "core/corrections.h"
#include "core/extra_kinds.h"
#include "core/kpi_rollup.h"

namespace floortrack::sqlite {
namespace {

// clang-format off
constexpr const char* kKpiDaySql =
    "INSERT INTO kpi_days(day, currency, " FT_KPI_DAY_COUNTERS ") VALUES (?1, ?2, ?3, ?4, ?5, "
    "?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21) "
    "ON CONFLICT(day, currency) DO UPDATE SET confirmed = confirmed + excluded.confirmed, "
    "personalized = personalized + excluded.personalized, open = open + excluded.open, "
    "shipped = shipped + excluded.shipped, with_promise = with_promise + excluded.with_promise, "
    "on_time = on_time + excluded.on_time, accurate = accurate + excluded.accurate, "
    "first_pass = first_pass + excluded.first_pass, engaged = engaged + excluded.engaged, "
    "designs_submitted = designs_submitted + excluded.designs_submitted, "
    "designs_converted = designs_converted + excluded.designs_converted, "
    "production_orders = production_orders + excluded.production_orders, "
    "production_ms = production_ms + excluded.production_ms, "
    "production_items = production_items + excluded.production_items, "
    "money_orders = money_orders + excluded.money_orders, "
    "value_micros = value_micros + excluded.value_micros, "
    "value_count = value_count + excluded.value_count, "
    "shipped_cost_micros = shipped_cost_micros + excluded.shipped_cost_micros, "
    "shipped_revenue_micros = shipped_revenue_micros + excluded.shipped_revenue_micros";
// clang-format on
// ?1 = day, ?2 = removed (0 or 1): the list's chunks, last first.
constexpr const char* kTurnaroundGetSql =
    "SELECT chunk, vals FROM kpi_turnaround WHERE day = ?1 AND removed = ?2 ORDER BY chunk DESC";
constexpr const char* kTurnaroundPutSql =
    "INSERT INTO kpi_turnaround(day, removed, chunk, vals) VALUES (?1, ?2, ?3, ?4) "
    "ON CONFLICT(day, removed, chunk) DO UPDATE SET vals = excluded.vals";
constexpr const char* kTurnaroundDeleteSql =
    "DELETE FROM kpi_turnaround WHERE day = ?1 AND removed = ?2 AND chunk = ?3";
constexpr const char* kCustomerGetSql =
    "SELECT first_ms, second_ms FROM customers WHERE customer_id = ?1";
// The customer's first two confirmations (orders_by_customer).
constexpr const char* kCustomerOrdersSql =
    "SELECT confirmed_ms FROM orders WHERE customer_id = ?1 AND confirmed_ms IS NOT NULL "
    "ORDER BY confirmed_ms LIMIT 2";
constexpr const char* kCustomerPutSql =
    "INSERT INTO customers(customer_id, first_ms, second_ms) VALUES (?1, ?2, ?3) "
    "ON CONFLICT(customer_id) DO UPDATE SET first_ms = excluded.first_ms, "
    "second_ms = excluded.second_ms";
constexpr const char* kCustomerDeleteSql = "DELETE FROM customers WHERE customer_id = ?1";
constexpr const char* kCustomerDaySql =
    "INSERT INTO customer_days(day, firsts, seconds) VALUES (?1, ?2, ?3) ON CONFLICT(day) "
    "DO UPDATE SET firsts = firsts + excluded.firsts, seconds = seconds + excluded.seconds";
constexpr const char* kMaterialDaySql =
    "INSERT INTO material_days(day, material_type, events, used_micros, scrap_micros, "
    "recovered_micros, cost_micros) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "
    "ON CONFLICT(day, material_type) DO UPDATE SET events = events + excluded.events, "
    "used_micros = used_micros + excluded.used_micros, "
    "scrap_micros = scrap_micros + excluded.scrap_micros, "
    "recovered_micros = recovered_micros + excluded.recovered_micros, "
    "cost_micros = cost_micros + excluded.cost_micros";
constexpr const char* kFeedbackDaySql =
    "INSERT INTO feedback_days(day, score_micros, responses) VALUES (?1, ?2, ?3) "
    "ON CONFLICT(day) DO UPDATE SET score_micros = score_micros + excluded.score_micros, "
    "responses = responses + excluded.responses";
constexpr const char* kPieceDaySql =
    "INSERT INTO piece_days(day, operator, stage, failed, items) VALUES (?1, ?2, ?3, ?4, ?5) "
    "ON CONFLICT(day, operator, stage, failed) DO UPDATE SET items = items + excluded.items";
// ?1 = order, ?2 = event key, ?3 = a void to leave out: whether a void names it.
constexpr const char* kVoidedSql =
    "SELECT EXISTS(SELECT 1 FROM events v WHERE v.order_id = ?1 AND v.voids IS NOT NULL AND "
    "(v.voids = ?2 OR v.voids || '/' || v.order_id = ?2) AND v.event_key <> ?3)";
// ?1 = order, ?2 = the void's target id: the events it names.
constexpr const char* kVoidTargetsSql =
    "SELECT " FT_EVENT_COLUMNS " FROM events WHERE order_id = ?1 AND stage <> 'void' AND "
    "(event_key = ?2 OR event_key = ?2 || '/' || ?1)";
constexpr const char* kOrderEventsSql =
    "SELECT " FT_EVENT_COLUMNS " FROM events WHERE order_id = ?1 AND operator IS NOT NULL";

}  // namespace

// Turnaround values as stored: int64 little-endian, back to back.
std::vector<std::int64_t> DecodeTurnaround(const std::string& blob) {
  std::vector<std::int64_t> out(blob.size() / 8);
  for (std::size_t i = 0; i < out.size(); ++i) {
    std::uint64_t v = 0;
    for (int b = 7; b >= 0; --b) v = (v << 8) | static_cast<unsigned char>(blob[i * 8 + b]);
    out[i] = static_cast<std::int64_t>(v);
  }
  return out;
}

std::string EncodeTurnaround(const std::vector<std::int64_t>& values) {
  std::string out(values.size() * 8, '\0');
  for (std::size_t i = 0; i < values.size(); ++i) {
    auto v = static_cast<std::uint64_t>(values[i]);
    for (int b = 0; b < 8; ++b, v >>= 8) out[i * 8 + b] = static_cast<char>(v & 0xff);
  }
  return out;
}


Result<std::unique_ptr<RollupWriter>> RollupWriter::Create(Database& db, Settings& settings) {
  std::unique_ptr<RollupWriter> w(new RollupWriter(db, settings));
  const std::pair<StmtPtr*, const char*> all[] = {
      {&w->kpi_day_, kKpiDaySql},
      {&w->turnaround_get_, kTurnaroundGetSql},
      {&w->turnaround_put_, kTurnaroundPutSql},
      {&w->turnaround_delete_, kTurnaroundDeleteSql},
      {&w->customer_get_, kCustomerGetSql},
      {&w->customer_orders_, kCustomerOrdersSql},
      {&w->customer_put_, kCustomerPutSql},
      {&w->customer_delete_, kCustomerDeleteSql},
      {&w->customer_day_, kCustomerDaySql},
      {&w->material_day_, kMaterialDaySql},
      {&w->feedback_day_, kFeedbackDaySql},
      {&w->piece_day_, kPieceDaySql},
      {&w->voided_, kVoidedSql},
      {&w->void_targets_, kVoidTargetsSql},
      {&w->order_events_, kOrderEventsSql},
  };
  for (const auto& [slot, sql] : all) {
    if (auto s = db.Prepare(sql, *slot); !s) return s.error();
  }
  return w;
}

Result<bool> RollupWriter::UpToDate(const Rules& rules) {
  auto stored = settings_.Get(kSettingRollupVersion);
  if (!stored) return stored.error();
  return stored.value() && *stored.value() == RollupVersion(rules);
}

Status RollupWriter::OrderChanged(const OrderSummary* previous, const OrderSummary& now,
                                  const Rules& rules) {
  if (auto s = MoveEntries(previous, now, rules); !s) return s;
  const std::string before_customer = previous ? previous->customer_id : "";
  const auto before_confirmed = previous ? previous->confirmed_at : std::nullopt;
  if (before_customer != now.customer_id || before_confirmed != now.confirmed_at) {
    if (!before_customer.empty() && before_customer != now.customer_id) {
      if (auto s = RecountCustomer(before_customer); !s) return s;
    }
    if (!now.customer_id.empty()) {
      if (auto s = RecountCustomer(now.customer_id); !s) return s;
    }
  }
  const int items_before = previous ? previous->items.value_or(1) : 1;
  if (previous && items_before != now.items.value_or(1))
    return MoveOrderPieces(now.order_id, now.items.value_or(1) - items_before);
  return Ok{};
}

// Subtracts the previous summary's entries and adds the new one's, netted
// per row first: most events (a polish, a QC pass) move nothing, and then
// nothing is written.
Status RollupWriter::MoveEntries(const OrderSummary* previous, const OrderSummary& now,
                                 const Rules& rules) {
  struct Net {
    KpiCounts counts;
    MoneyCounts money;
  };
  std::map<std::pair<std::int64_t, std::string>, Net> rows;
  std::map<std::tuple<std::int64_t, std::int64_t, bool>, int> turnaround;  // day, ms, removed
  const auto collect = [&](const OrderSummary& order, int sign) {
    for (const KpiEntry& e : RollupEntries(order, rules)) {
      const std::int64_t day = DayOf(e.anchor_ms);
      if (e.turnaround_sign != 0) {
        turnaround[{day, e.turnaround_ms, e.turnaround_sign < 0}] += sign;
        continue;
      }
      Net& net = rows[{day, e.currency}];
      if (sign > 0) {
        net.counts += e.counts;
        net.money += e.money;
      } else {
        net.counts -= e.counts;
        net.money -= e.money;
      }
    }
  };
  if (previous) collect(*previous, -1);
  collect(now, +1);
  for (const auto& [key, net] : rows) {
    if (net.counts == KpiCounts{} && net.money.IsZero()) continue;
    if (auto s = AddToDay(key.first, key.second, net.counts, net.money); !s) return s;
  }
  for (const auto& [key, n] : turnaround) {
    const auto& [day, ms, removed] = key;
    for (int k = 0; k < std::abs(n); ++k) {
      if (auto s = Turnaround(day, ms, n > 0 ? +1 : -1, removed); !s) return s;
    }
  }
  return Ok{};
}

Status RollupWriter::AddToDay(std::int64_t day, const std::string& currency, const KpiCounts& c,
                              const MoneyCounts& m) {
  Statement q(kpi_day_.get());
  q.Int(1, day).Text(2, currency);
  const std::int64_t values[] = {
      c.confirmed,         c.personalized,      c.open,           c.shipped,
      c.with_promise,      c.on_time,           c.accurate,       c.first_pass,
      c.engaged,           c.designs_submitted, c.designs_converted,
      c.production_orders, c.production_ms,     c.production_items,
      m.orders,            m.value_micros,      m.value_count,    m.shipped_cost_micros,
      m.shipped_revenue_micros};
  int i = 3;
  for (std::int64_t v : values) q.Int(i++, v);
  if (int rc = q.Step(); rc != SQLITE_DONE) return db_.SqlError(rc, "updating the KPI rollup");
  return Ok{};
}

// Appends to the list's last chunk (a new one when it is full), or takes
// one occurrence out: the list's last value fills the hole, so every chunk
// but the last stays full and a day's list is read in few rows.
Status RollupWriter::Turnaround(std::int64_t day, std::int64_t ms, int sign, bool removed) {
  std::vector<std::pair<std::int64_t, std::vector<std::int64_t>>> chunks;  // last first
  {
    Statement q(turnaround_get_.get());
    q.Int(1, day).Int(2, removed ? 1 : 0);
    int rc;
    while ((rc = q.Step()) == SQLITE_ROW) {
      chunks.emplace_back(q.Int(0), DecodeTurnaround(q.Blob(1)));
      if (sign > 0) break;  // appending needs the last one only
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
      return db_.SqlError(rc, "reading the turnaround rollup");
  }
  if (sign > 0) {
    if (chunks.empty() || chunks.front().second.size() >= kTurnaroundChunk)
      return PutChunk(day, removed, chunks.empty() ? 0 : chunks.front().first + 1, {ms});
    chunks.front().second.push_back(ms);
    return PutChunk(day, removed, chunks.front().first, chunks.front().second);
  }
  for (auto& [chunk, values] : chunks) {
    auto it = std::find(values.begin(), values.end(), ms);
    if (it == values.end()) continue;
    auto& last = chunks.front().second;
    *it = last.back();
    last.pop_back();
    if (&values != &last) {
      if (auto s = PutChunk(day, removed, chunk, values); !s) return s;
    }
    return PutChunk(day, removed, chunks.front().first, last);
  }
  // Not there: the rollups do not match the orders (a restored or edited
  // file). The caller marks them stale, to be rebuilt; ingest goes on.
  out_of_step_ = true;
  return Ok{};
}

// Writes a chunk, or deletes it when empty.
Status RollupWriter::PutChunk(std::int64_t day, bool removed, std::int64_t chunk,
                              const std::vector<std::int64_t>& values) {
  Statement q(values.empty() ? turnaround_delete_.get() : turnaround_put_.get());
  q.Int(1, day).Int(2, removed ? 1 : 0).Int(3, chunk);
  if (!values.empty()) q.Blob(4, EncodeTurnaround(values));
  if (int rc = q.Step(); rc != SQLITE_DONE)
    return db_.SqlError(rc, "writing the turnaround rollup");
  return Ok{};
}

Status RollupWriter::CustomerDay(std::optional<std::int64_t> ms, std::int64_t firsts,
                                 std::int64_t seconds) {
  if (!ms) return Ok{};
  Statement q(customer_day_.get());
  q.Int(1, DayOf(*ms)).Int(2, firsts).Int(3, seconds);
  if (int rc = q.Step(); rc != SQLITE_DONE) return db_.SqlError(rc, "updating customer days");
  return Ok{};
}

// The customer's first and second confirmation, from the orders as now saved.
Status RollupWriter::RecountCustomer(const std::string& customer_id) {
  std::optional<std::int64_t> old_first, old_second, first, second;
  {
    Statement q(customer_get_.get());
    q.Text(1, customer_id);
    int rc = q.Step();
    if (rc == SQLITE_ROW) {
      old_first = q.Int(0);
      if (!q.IsNull(1)) old_second = q.Int(1);
    } else if (rc != SQLITE_DONE) {
      return db_.SqlError(rc, "reading a customer");
    }
  }
  {
    Statement q(customer_orders_.get());
    q.Text(1, customer_id);
    int rc;
    while ((rc = q.Step()) == SQLITE_ROW) (first ? second : first) = q.Int(0);
    if (rc != SQLITE_DONE) return db_.SqlError(rc, "reading a customer's orders");
  }
  if (old_first == first && old_second == second) return Ok{};
  if (auto s = CustomerDay(old_first, -1, 0); !s) return s;
  if (auto s = CustomerDay(old_second, 0, -1); !s) return s;
  if (auto s = CustomerDay(first, 1, 0); !s) return s;
  if (auto s = CustomerDay(second, 0, 1); !s) return s;
  Statement q(first ? customer_put_.get() : customer_delete_.get());
  q.Text(1, customer_id);
  if (first) {
    q.Int(2, *first);
    if (second) q.Int(3, *second);
  }
  if (int rc = q.Step(); rc != SQLITE_DONE) return db_.SqlError(rc, "saving a customer");
  return Ok{};
}

Result<bool> RollupWriter::Voided(const std::string& order_id, const std::string& key,
                                  const std::string& except_void_key) {
  Statement q(voided_.get());
  q.Text(1, order_id).Text(2, key).Text(3, except_void_key);
  int rc = q.Step();
  if (rc != SQLITE_ROW) return db_.SqlError(rc, "looking for a void");
  return q.Int(0) != 0;
}

Status RollupWriter::EventFigures(const StageEvent& e, int items, int sign) {
  const std::int64_t day = DayOf(ToEpochMs(e.stage_time));
  if (e.material) {
    Statement q(material_day_.get());
    q.Int(1, day).Text(2, e.material->type).Int(3, sign);
    q.Int(4, sign * ToMicros(e.material->used_g)).Int(5, sign * ToMicros(e.material->scrap_g));
    q.Int(6, sign * ToMicros(e.material->recovered_g)).Int(7, sign * ToMicros(e.material_cost));
    if (int rc = q.Step(); rc != SQLITE_DONE) return db_.SqlError(rc, "updating material days");
  }
  if (e.score && e.stage == kKindFeedback) {
    Statement q(feedback_day_.get());
    q.Int(1, day).Int(2, sign * ToMicros(*e.score)).Int(3, sign);
    if (int rc = q.Step(); rc != SQLITE_DONE) return db_.SqlError(rc, "updating feedback days");
  }
  if (!e.operator_name.empty() && !e.order_id.empty()) {
    Statement q(piece_day_.get());
    q.Int(1, day).Text(2, e.operator_name).Text(3, e.stage);
    q.Int(4, e.result == StageResult::kFail ? 1 : 0).Int(5, sign * items);
    if (int rc = q.Step(); rc != SQLITE_DONE) return db_.SqlError(rc, "updating piece days");
  }
  return Ok{};
}

Status RollupWriter::EventStored(const StageEvent& event, int items_before, int items) {
  if (event.stage == kStageVoid && !event.voids.empty()) {
    // What the void names stops counting, unless another void already took it back.
    Statement q(void_targets_.get());
    q.Text(1, event.order_id).Text(2, event.voids);
    std::vector<StageEvent> targets;
    int rc;
    while ((rc = q.Step()) == SQLITE_ROW) targets.push_back(ReadEvent(q, /*with_raw=*/false));
    if (rc != SQLITE_DONE) return db_.SqlError(rc, "reading a void's target");
    for (const StageEvent& target : targets) {
      auto earlier = Voided(target.order_id, target.event_key, event.event_key);
      if (!earlier) return earlier.error();
      if (earlier.value()) continue;
      if (auto s = EventFigures(target, items_before, -1); !s) return s;
    }
  } else if (!event.order_id.empty()) {
    auto voided = Voided(event.order_id, event.event_key, "");
    if (!voided) return voided.error();
    if (voided.value()) return Ok{};
  }
  return EventFigures(event, items, +1);
}

// The order's items changed by `delta`: each of its counted events with an
// operator (not voided, not the one being inserted) moves its pieces.
Status RollupWriter::MoveOrderPieces(const std::string& order_id, int delta) {
  Statement q(order_events_.get());
  q.Text(1, order_id);
  std::vector<StageEvent> events;
  int rc;
  while ((rc = q.Step()) == SQLITE_ROW) events.push_back(ReadEvent(q, /*with_raw=*/false));
  if (rc != SQLITE_DONE) return db_.SqlError(rc, "reading the order's operator events");
  for (const StageEvent& e : events) {
    if (e.event_key == pending_key_) continue;
    if (e.stage != kStageVoid) {
      auto voided = Voided(order_id, e.event_key, "");
      if (!voided) return voided.error();
      if (voided.value()) continue;
    }
    StageEvent pieces_only = e;
    pieces_only.material.reset();
    pieces_only.score.reset();
    if (auto s = EventFigures(pieces_only, delta, +1); !s) return s;
  }
  return Ok{};
}

}  // namespace floortrack::sqlite
