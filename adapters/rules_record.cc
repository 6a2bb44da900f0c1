#include "adapters/rules_record.h"

#include <nlohmann/json.hpp>

namespace floortrack {
namespace {

using json = nlohmann::json;

json EncodeLimits(const Limits& l) {
  return {{"max_payload_bytes", l.max_payload_bytes},
          {"max_string_bytes", l.max_string_bytes},
          {"max_event_id_bytes", l.max_event_id_bytes},
          {"max_order_id_bytes", l.max_order_id_bytes},
          {"max_depth", l.max_depth},
          {"max_fields", l.max_fields},
          {"max_reject_payload_bytes", l.max_reject_payload_bytes},
          {"max_material_g", l.max_material_g},
          {"max_order_value", l.max_order_value}};
}

json EncodeBand(const KpiBand& band) {
  return json::array(
      {band.min ? json(*band.min) : json(nullptr), band.max ? json(*band.max) : json(nullptr)});
}

KpiBand DecodeBand(const json& j) {
  KpiBand band;
  if (j.is_array() && j.size() == 2) {
    if (j[0].is_number()) band.min = j[0].get<double>();
    if (j[1].is_number()) band.max = j[1].get<double>();
  }
  return band;
}

json EncodeTargets(const KpiTargets& t) {
  json bands = json::object();
  for (const auto& [kpi, band] : t.bands) bands[kpi] = EncodeBand(band);
  return {{"bands", bands},
          {"nonmetal_yield_pct", EncodeBand(t.nonmetal_yield_pct)},
          {"metal_loss_pct", EncodeBand(t.metal_loss_pct)},
          {"metals", t.metals}};
}

KpiTargets DecodeTargets(const json& j) {
  KpiTargets t;
  if (auto it = j.find("bands"); it != j.end() && it->is_object()) {
    t.bands.clear();
    for (const auto& [kpi, band] : it->items()) t.bands[kpi] = DecodeBand(band);
  }
  if (auto it = j.find("nonmetal_yield_pct"); it != j.end()) t.nonmetal_yield_pct = DecodeBand(*it);
  if (auto it = j.find("metal_loss_pct"); it != j.end()) t.metal_loss_pct = DecodeBand(*it);
  if (auto it = j.find("metals"); it != j.end()) t.metals = it->get<std::vector<std::string>>();
  return t;
}

template <class T>
void Take(const json& j, const char* key, T& out) {
  if (auto it = j.find(key); it != j.end()) out = it->get<T>();
}

}  // namespace

std::string EncodeRules(const Rules& rules) {
  json j;
  j["stages"] = rules.stages;
  j["material_cost_per_g"] = rules.material_cost_per_g;
  j["accuracy_failure_reasons"] = rules.accuracy_failure_reasons;
  j["max_future_skew_ms"] = rules.max_future_skew.count();
  j["max_past_skew_ms"] = rules.max_past_skew.count();
  j["earliest_ts_ms"] = ToEpochMs(rules.earliest_ts);
  j["kpi_currency"] = rules.kpi_currency;
  j["default_promise_days"] = rules.default_promise_days;
  j["extra_kinds"] = rules.extra_kinds;
  j["design_submitted_stage"] = rules.design_submitted_stage;
  j["csi_scale"] = {rules.csi_min, rules.csi_max};
  j["max_shift_hours"] = rules.max_shift_hours;
  j["limits"] = EncodeLimits(rules.limits);
  j["targets"] = EncodeTargets(rules.targets);
  j["shop_timezone"] = rules.shop_timezone;
  j["working_hours"] = FormatWorkingHours(rules.working_hours);
  return j.dump();
}

Result<Rules> DecodeRules(std::string_view text) {
  try {
    const json j = json::parse(text);
    if (!j.is_object()) return MakeError(ErrorKind::kCorrupt, "rules record is not a JSON object");
    Rules r;
    Take(j, "stages", r.stages);
    Take(j, "material_cost_per_g", r.material_cost_per_g);
    Take(j, "accuracy_failure_reasons", r.accuracy_failure_reasons);
    if (auto it = j.find("max_future_skew_ms"); it != j.end())
      r.max_future_skew = Millis(it->get<std::int64_t>());
    if (auto it = j.find("max_past_skew_ms"); it != j.end())
      r.max_past_skew = Millis(it->get<std::int64_t>());
    if (auto it = j.find("earliest_ts_ms"); it != j.end())
      r.earliest_ts = FromEpochMs(it->get<std::int64_t>());
    Take(j, "kpi_currency", r.kpi_currency);
    Take(j, "default_promise_days", r.default_promise_days);
    // A record written before extra kinds existed: the defaults.
    Take(j, "extra_kinds", r.extra_kinds);
    Take(j, "design_submitted_stage", r.design_submitted_stage);
    if (auto it = j.find("csi_scale"); it != j.end() && it->is_array() && it->size() == 2) {
      r.csi_min = (*it)[0].get<double>();
      r.csi_max = (*it)[1].get<double>();
    }
    Take(j, "max_shift_hours", r.max_shift_hours);
    if (auto it = j.find("limits"); it != j.end()) {
      const json& l = *it;
      Take(l, "max_payload_bytes", r.limits.max_payload_bytes);
      Take(l, "max_string_bytes", r.limits.max_string_bytes);
      Take(l, "max_event_id_bytes", r.limits.max_event_id_bytes);
      Take(l, "max_order_id_bytes", r.limits.max_order_id_bytes);
      Take(l, "max_depth", r.limits.max_depth);
      Take(l, "max_fields", r.limits.max_fields);
      Take(l, "max_reject_payload_bytes", r.limits.max_reject_payload_bytes);
      Take(l, "max_material_g", r.limits.max_material_g);
      Take(l, "max_order_value", r.limits.max_order_value);
    }
    Take(j, "shop_timezone", r.shop_timezone);
    if (auto it = j.find("working_hours"); it != j.end() && it->is_string())
      if (auto hours = ParseWorkingHours(it->get<std::string>())) r.working_hours = hours.value();
    // A record written before [targets] existed: the defaults.
    if (auto it = j.find("targets"); it != j.end() && it->is_object())
      r.targets = DecodeTargets(*it);
    return r;
  } catch (const std::exception& e) {
    return MakeError(ErrorKind::kCorrupt, std::string("rules record unreadable: ") + e.what());
  }
}

}  // namespace floortrack
