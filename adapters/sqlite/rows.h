// Rows: how events, order summaries and rejects map to the store's columns.
//
// The column lists are shared by the SQL text of the writer and the reader
// (FT_EVENT_COLUMNS etc. are macros so they concatenate into literals) and by
// the Bind/Read functions here, which must agree with them position by
// position. orders.return_reasons encoding: each reason as "<decimal byte
// length>:" followed by its bytes, concatenated; no reasons is "".
// Pure functions over a Statement.
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/sqlite/statement.h"
#include "core/kpi.h"
#include "core/order_summary.h"
#include "core/reject.h"
#include "core/stage_event.h"

// clang-format off
// Column order shared by the event SELECTs and ReadEvent(); raw is last.
#define FT_EVENT_COLUMNS                                                                    \
  "event_key, order_id, stage, stage_ms, received_ms, device_ms, time_source, topic, "      \
  "station, operator, result, defect, reason, material_type, used_g, scrap_g, "             \
  "material_cost, value, currency, customer_id, product, personalized, promised_ms, "       \
  "batch_id, recovered_g, voids, items, score"

#define FT_ORDER_COLUMNS                                                                    \
  "order_id, confirmed_ms, shipped_ms, current_stage, current_stage_ms, last_received_ms, " \
  "event_count, value, currency, customer_id, product, personalized, used_g, scrap_g, "     \
  "material_cost, failed_before_ship, return_reasons, promised_ms, cancelled_ms, on_hold, "   \
  "void_events, production_stage, production_stage_ms, items, packed_ms, submitted_ms, "    \
  "engaged"

// Only the columns the KPIs (and kpi --by product, customer) read, in
// FT_ORDER_COLUMNS' positions (NULL reads back as "" or 0): a third of the
// decoding for a million rows.
#define FT_KPI_COLUMNS                                                                      \
  "order_id, confirmed_ms, shipped_ms, NULL, NULL, NULL, NULL, value, currency, "           \
  "customer_id, product, personalized, NULL, NULL, material_cost, failed_before_ship, "     \
  "return_reasons, promised_ms, cancelled_ms, NULL, NULL, NULL, NULL, items, packed_ms, "  \
  "submitted_ms, engaged"

// What flow and the late report read of an event (ReadTimelineEvent): its
// place on the order's timeline, its station and what it voids.
#define FT_TIMELINE_COLUMNS                                                                 \
  "event_key, order_id, stage, stage_ms, received_ms, station, voids"

#define FT_REJECT_COLUMNS "received_ms, topic, reason, raw, payload_size"

// A WHERE term over events aliased `e`: not named by a void of the same
// order (directly, or as a batch event's per-order key "<id>/<order>").
#define FT_NOT_VOIDED                                                                       \
  "NOT EXISTS (SELECT 1 FROM events v WHERE v.order_id = e.order_id AND "                   \
  "v.voids IS NOT NULL AND e.stage <> 'void' AND "                                          \
  "(v.voids = e.event_key OR v.voids || '/' || v.order_id = e.event_key))"
// clang-format on

namespace floortrack::sqlite {

inline constexpr std::int64_t kMinMs = std::numeric_limits<std::int64_t>::min();
inline constexpr std::int64_t kMaxMs = std::numeric_limits<std::int64_t>::max();
// A window's bounds as SQL parameters: an open bound is the extreme value.
inline std::int64_t SinceMs(const std::optional<TimePoint>& t) { return t ? ToEpochMs(*t) : kMinMs; }
inline std::int64_t UntilMs(const std::optional<TimePoint>& t) { return t ? ToEpochMs(*t) : kMaxMs; }

inline constexpr int kEventRawColumn = 28;  // in "SELECT FT_EVENT_COLUMNS, raw"

// Binds ?1..?29 (FT_EVENT_COLUMNS, then raw).
void BindEvent(Statement& q, const StageEvent& e);
StageEvent ReadEvent(const Statement& q, bool with_raw);
// FT_TIMELINE_COLUMNS; every other field keeps its default.
StageEvent ReadTimelineEvent(const Statement& q);

// Binds ?1..?27 (FT_ORDER_COLUMNS).
void BindSummary(Statement& q, const OrderSummary& o);
// nullopt when return_reasons is malformed.
std::optional<OrderSummary> ReadSummary(const Statement& q);

Reject ReadReject(const Statement& q);  // FT_REJECT_COLUMNS

// Material sums in millionths (FT_MICROS), per material type.
struct MaterialMicros {
  std::int64_t used = 0, scrap = 0, recovered = 0, cost = 0;
};
// Adds a row (type, used, scrap, recovered, cost in millionths) to `by_type`.
void AddMaterialMicros(const Statement& q, std::map<std::string, MaterialMicros>& by_type);
// The totals, in grams and currency units.
MaterialTotals MaterialFromMicros(const std::map<std::string, MaterialMicros>& by_type);

std::string EncodeReasons(const std::vector<std::string>& reasons);
std::optional<std::vector<std::string>> DecodeReasons(std::string_view s);

}  // namespace floortrack::sqlite
