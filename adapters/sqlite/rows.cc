#include "adapters/sqlite/rows.h"

namespace floortrack::sqlite {

void BindEvent(Statement& q, const StageEvent& e) {
  q.Text(1, e.event_key).Text(2, e.order_id).Text(3, e.stage).Int(4, ToEpochMs(e.stage_time));
  q.Int(5, ToEpochMs(e.received_at)).TimeOrNull(6, e.device_ts);
  q.Int(7, static_cast<int>(e.time_source)).Text(8, e.topic).TextOrNull(9, e.station);
  q.TextOrNull(10, e.operator_name).TextOrNull(11, ToString(e.result)).TextOrNull(12, e.defect);
  q.TextOrNull(13, e.reason);
  if (e.material) {
    q.TextOrNull(14, e.material->type).Real(15, e.material->used_g).Real(16, e.material->scrap_g);
    q.Real(25, e.material->recovered_g);
  }
  q.Real(17, e.material_cost).RealOrNull(18, e.value).TextOrNull(19, e.currency);
  q.TextOrNull(20, e.customer_id).TextOrNull(21, e.product).BoolOrNull(22, e.personalized);
  q.TimeOrNull(23, e.promised_at).TextOrNull(24, e.batch_id).TextOrNull(26, e.voids);
  if (e.items) q.Int(27, *e.items);
  q.RealOrNull(28, e.score).Blob(29, e.raw_payload);
}

namespace {

// Columns 0-4 of FT_EVENT_COLUMNS and FT_TIMELINE_COLUMNS alike: the
// event's key, order and place on the timeline.
StageEvent ReadPlace(const Statement& q) {
  StageEvent e;
  e.event_key = q.Text(0);
  e.order_id = q.Text(1);
  e.stage = q.Text(2);
  e.stage_time = q.Time(3);
  e.received_at = q.Time(4);
  return e;
}

}  // namespace

StageEvent ReadEvent(const Statement& q, bool with_raw) {
  StageEvent e = ReadPlace(q);
  e.device_ts = q.OptTime(5);
  e.time_source = TimeSourceFromCode(q.Int(6));
  e.topic = q.Text(7);
  e.station = q.Text(8);
  e.operator_name = q.Text(9);
  e.result = StageResultFromString(q.Text(10));
  e.defect = q.Text(11);
  e.reason = q.Text(12);
  if (!q.IsNull(14)) e.material = Material{q.Text(13), q.Real(14), q.Real(15), q.Real(24)};
  e.material_cost = q.Real(16);
  e.value = q.OptReal(17);
  e.currency = q.Text(18);
  e.customer_id = q.Text(19);
  e.product = q.Text(20);
  e.personalized = q.OptBool(21);
  e.promised_at = q.OptTime(22);
  e.batch_id = q.Text(23);
  e.voids = q.Text(25);
  if (!q.IsNull(26)) e.items = static_cast<int>(q.Int(26));
  e.score = q.OptReal(27);
  if (with_raw) e.raw_payload = q.Blob(kEventRawColumn);
  return e;
}

StageEvent ReadTimelineEvent(const Statement& q) {
  StageEvent e = ReadPlace(q);
  e.station = q.Text(5);
  e.voids = q.Text(6);
  return e;
}

std::string EncodeReasons(const std::vector<std::string>& reasons) {
  std::string out;
  for (const std::string& r : reasons) out += std::to_string(r.size()) + ":" + r;
  return out;
}

std::optional<std::vector<std::string>> DecodeReasons(std::string_view s) {
  std::vector<std::string> out;
  while (!s.empty()) {
    std::size_t colon = s.find(':');
    if (colon == 0 || colon == std::string_view::npos || colon > 9) return std::nullopt;
    std::size_t n = 0;
    for (char c : s.substr(0, colon)) {
      if (c < '0' || c > '9') return std::nullopt;
      n = n * 10 + static_cast<std::size_t>(c - '0');
    }
    s.remove_prefix(colon + 1);
    if (n > s.size()) return std::nullopt;
    out.emplace_back(s.substr(0, n));
    s.remove_prefix(n);
  }
  return out;
}

void BindSummary(Statement& q, const OrderSummary& o) {
  q.Text(1, o.order_id).TimeOrNull(2, o.confirmed_at).TimeOrNull(3, o.shipped_at);
  q.Text(4, o.current_stage).Int(5, ToEpochMs(o.current_stage_at));
  q.Int(6, ToEpochMs(o.last_received_at)).Int(7, o.event_count).RealOrNull(8, o.value);
  q.TextOrNull(9, o.currency).TextOrNull(10, o.customer_id).TextOrNull(11, o.product);
  q.BoolOrNull(12, o.personalized).Real(13, o.material_used_g).Real(14, o.material_scrap_g);
  q.Real(15, o.material_cost).Int(16, o.failed_before_ship ? 1 : 0);
  q.Text(17, EncodeReasons(o.return_reasons)).TimeOrNull(18, o.promised_at);
  q.TimeOrNull(19, o.cancelled_at).Int(20, o.on_hold ? 1 : 0).Int(21, o.void_events);
  q.Text(22, o.production_stage).TimeOrNull(23, o.production_stage_at);
  if (o.items) q.Int(24, *o.items);
  q.TimeOrNull(25, o.packed_at).TimeOrNull(26, o.submitted_at).Int(27, o.engaged ? 1 : 0);
}

std::optional<OrderSummary> ReadSummary(const Statement& q) {
  OrderSummary o;
  o.order_id = q.Text(0);
  o.confirmed_at = q.OptTime(1);
  o.shipped_at = q.OptTime(2);
  o.current_stage = q.Text(3);
  o.current_stage_at = q.Time(4);
  o.last_received_at = q.Time(5);
  o.event_count = static_cast<int>(q.Int(6));
  o.value = q.OptReal(7);
  o.currency = q.Text(8);
  o.customer_id = q.Text(9);
  o.product = q.Text(10);
  o.personalized = q.OptBool(11);
  o.material_used_g = q.Real(12);
  o.material_scrap_g = q.Real(13);
  o.material_cost = q.Real(14);
  o.failed_before_ship = q.Int(15) != 0;
  auto reasons = DecodeReasons(q.Text(16));
  if (!reasons) return std::nullopt;
  o.return_reasons = std::move(*reasons);
  o.promised_at = q.OptTime(17);
  o.cancelled_at = q.OptTime(18);
  o.on_hold = q.Int(19) != 0;
  o.void_events = static_cast<int>(q.Int(20));
  o.production_stage = q.Text(21);
  o.production_stage_at = q.OptTime(22);
  if (!q.IsNull(23)) o.items = static_cast<int>(q.Int(23));
  o.packed_at = q.OptTime(24);
  o.submitted_at = q.OptTime(25);
  o.engaged = q.Int(26) != 0;
  return o;
}

Reject ReadReject(const Statement& q) {
  Reject r;
  r.received_at = q.Time(0);
  r.topic = q.Text(1);
  r.reason = q.Text(2);
  r.raw_payload = q.Blob(3);
  r.payload_size = static_cast<std::size_t>(q.Int(4));
  return r;
}

void AddMaterialMicros(const Statement& q, std::map<std::string, MaterialMicros>& by_type) {
  MaterialMicros& m = by_type[q.Text(0)];
  m.used += q.Int(1);
  m.scrap += q.Int(2);
  m.recovered += q.Int(3);
  m.cost += q.Int(4);
}

MaterialTotals MaterialFromMicros(const std::map<std::string, MaterialMicros>& by_type) {
  MaterialTotals totals;
  const auto units = [](std::int64_t micros) { return static_cast<double>(micros) / 1e6; };
  MaterialMicros all;
  for (const auto& [type, m] : by_type) {
    totals.by_type[type] = MaterialSums{units(m.used), units(m.scrap), units(m.recovered), units(m.cost)};
    all.used += m.used;
    all.scrap += m.scrap;
    all.recovered += m.recovered;
  }
  totals.used_g = units(all.used);
  totals.scrap_g = units(all.scrap);
  totals.recovered_g = units(all.recovered);
  return totals;
}

}  // namespace floortrack::sqlite
