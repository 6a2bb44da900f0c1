#include "core/validation.h"

#include <cmath>

#include "core/corrections.h"
#include "core/extra_kinds.h"

namespace floortrack {
namespace {

// 2000-01-01T00:00:00Z: earlier device times are taken as a unit mistake
// (epoch seconds sent as milliseconds) rather than real history.
constexpr std::int64_t kEarliestEpochMs = 946684800000;

// Pieces one order may hold: more than any workshop puts in one order.
constexpr int kMaxItems = 10000;

Error Invalid(std::string message) { return MakeError(ErrorKind::kInvalid, std::move(message)); }

// A config number as the shop wrote it: "1", "0.5".
std::string Number(double v) {
  std::string s = std::to_string(v);
  s.erase(s.find_last_not_of('0') + 1);
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

Result<TimePoint> ToTime(const RawTime& raw, const char* field) {
  TimePoint t{};
  if (const auto* text = std::get_if<std::string>(&raw)) {
    auto parsed = ParseRfc3339OrError(*text);
    if (!parsed)
      return Invalid(std::string("field '") + field +
                     "' is not valid RFC 3339: " + parsed.error().message);
    t = parsed.value();
  } else {
    t = FromEpochMs(std::get<std::int64_t>(raw));
  }
  if (ToEpochMs(t) < kEarliestEpochMs)
    return Invalid(std::string("field '") + field +
                   "' is before 2000-01-01 (epoch seconds instead of milliseconds?)");
  return t;
}

Result<Material> ToMaterial(const MaterialFields& m, const Rules& rules, double& cost) {
  if (!m.type || m.type->empty()) return Invalid("field 'material.type' is missing");
  if (!m.used_g) return Invalid("field 'material.used_g' is missing");
  double used = *m.used_g, scrap = m.scrap_g.value_or(0.0);
  const double max = rules.limits.max_material_g;
  if (!std::isfinite(used) || used < 0 || used > max)
    return Invalid("field 'material.used_g' must be from 0 to " +
                   std::to_string(static_cast<long>(max)));
  if (!std::isfinite(scrap) || scrap < 0 || scrap > max)
    return Invalid("field 'material.scrap_g' must be from 0 to " +
                   std::to_string(static_cast<long>(max)));
  if (scrap > used) return Invalid("field 'material.scrap_g' exceeds 'material.used_g'");
  const double recovered = m.recovered_g.value_or(0.0);
  if (!std::isfinite(recovered) || recovered < 0 || recovered > scrap)
    return Invalid("field 'material.recovered_g' must be from 0 to 'material.scrap_g'");
  auto price = rules.material_cost_per_g.find(*m.type);
  cost = price == rules.material_cost_per_g.end() ? 0.0 : used * price->second;
  return Material{*m.type, used, scrap, recovered};
}

Status CheckBatch(const EventFields& f, const Rules& rules) {
  const std::size_t max = rules.limits.max_order_id_bytes;
  if (f.batch_id && !IsValidOrderId(*f.batch_id, max))
    return Invalid("field 'batch_id' must be 1-64 characters of [A-Za-z0-9._:-]");
  if (!f.orders) return Ok{};
  if (!f.batch_id) return Invalid("field 'orders' needs a 'batch_id'");
  if (f.orders->empty()) return Invalid("field 'orders' is empty");
  if (f.orders->size() > rules.limits.max_batch_orders)
    return Invalid("field 'orders' lists more than " + std::to_string(rules.limits.max_batch_orders) +
                   " orders");
  for (const BatchOrderFields& o : *f.orders) {
    if (!IsValidOrderId(o.order_id, max))
      return Invalid("field 'orders' has an order id that is not 1-64 characters of "
                     "[A-Za-z0-9._:-]");
    if (o.weight_g && (!std::isfinite(*o.weight_g) || *o.weight_g < 0 ||
                       *o.weight_g > rules.limits.max_material_g))
      return Invalid("field 'orders' has a weight_g that is not a number from 0 to " +
                     std::to_string(static_cast<long>(rules.limits.max_material_g)));
  }
  return Ok{};
}

// Control events (core/corrections.h) concern one order; a void names the
// event it voids, and only a void has `voids`.
Status CheckControl(const EventFields& f, const Rules& rules) {
  if (!IsControlStage(*f.stage)) {
    if (f.voids) return Invalid("field 'voids' is only for stage \"void\"");
    return Ok{};
  }
  if (!f.order_id) return Invalid("stage '" + *f.stage + "' needs an 'order_id'");
  if (f.material) return Invalid("stage '" + *f.stage + "' cannot carry 'material'");
  if (*f.stage != kStageVoid) return Ok{};
  if (!f.voids) return Invalid("field 'voids' is missing (the event_id a void voids)");
  if (f.voids->empty() || f.voids->size() > rules.limits.max_event_id_bytes)
    return Invalid("field 'voids' must be 1-128 characters");
  if (f.event_id && *f.event_id == *f.voids) return Invalid("a void cannot void itself");
  return Ok{};
}

// Extra kinds (core/extra_kinds.h): shift events name an operator and no
// order or batch; a feedback event carries a score on the configured scale;
// only feedback has a score.
Status CheckExtraKind(const EventFields& f, const Rules& rules) {
  const KindRole role = rules.ExtraRole(*f.stage);
  if (f.score && role != KindRole::kFeedback)
    return Invalid("field 'score' is only for stage \"" + std::string(kKindFeedback) + "\"");
  if (role == KindRole::kFeedback) {
    if (!f.score) return Invalid("field 'score' is missing (stage \"feedback\")");
    if (!std::isfinite(*f.score) || *f.score < rules.csi_min || *f.score > rules.csi_max)
      return Invalid("field 'score' must be a number from " + Number(rules.csi_min) + " to " +
                     Number(rules.csi_max));
  }
  if (!IsOrderless(role)) return Ok{};
  if (!f.operator_name || f.operator_name->empty())
    return Invalid("stage '" + *f.stage + "' needs an 'operator'");
  if (f.order_id || f.batch_id || f.orders)
    return Invalid("stage '" + *f.stage + "' is a shift event: no 'order_id' or 'batch_id'");
  if (f.material) return Invalid("stage '" + *f.stage + "' cannot carry 'material'");
  return Ok{};
}

Status CheckItems(const EventFields& f) {
  if (!f.items) return Ok{};
  const double n = *f.items;
  if (!std::isfinite(n) || n < 1 || n > kMaxItems || n != std::floor(n))
    return Invalid("field 'items' must be a whole number from 1 to " + std::to_string(kMaxItems));
  return Ok{};
}

Status CheckIdentity(const EventFields& f, const Rules& rules) {
  if (auto batch = CheckBatch(f, rules); !batch) return batch;
  if (!f.stage) return Invalid("field 'stage' is missing");
  const bool orderless = IsOrderless(rules.ExtraRole(*f.stage));
  if (!f.order_id && !f.batch_id && !orderless) return Invalid("field 'order_id' is missing");
  if (f.order_id && !IsValidOrderId(*f.order_id, rules.limits.max_order_id_bytes))
    return Invalid("field 'order_id' must be 1-64 characters of [A-Za-z0-9._:-]");
  if (f.order_id && f.orders)
    return Invalid("field 'orders' and field 'order_id' exclude each other");
  if (rules.StageIndex(*f.stage) < 0 && !IsControlStage(*f.stage) && !rules.IsExtraKind(*f.stage))
    return Invalid("field 'stage' is not a known stage: '" + *f.stage + "'");
  if (auto control = CheckControl(f, rules); !control) return control;
  if (auto extra = CheckExtraKind(f, rules); !extra) return extra;
  if (auto items = CheckItems(f); !items) return items;
  if (f.event_id && (f.event_id->empty() || f.event_id->size() > rules.limits.max_event_id_bytes))
    return Invalid("field 'event_id' must be 1-128 characters");
  if (f.result && *f.result != "pass" && *f.result != "fail")
    return Invalid("field 'result' must be \"pass\" or \"fail\"");
  if (f.value &&
      (!std::isfinite(*f.value) || *f.value < 0 || *f.value > rules.limits.max_order_value))
    return Invalid("field 'value' must be a number from 0 to " +
                   std::to_string(static_cast<long>(rules.limits.max_order_value)));
  return Ok{};
}

// How far a device ts can be trusted; kDevice when it can.
TimeSource Judge(TimePoint ts, TimePoint received_at, const Rules& rules) {
  if (ts - received_at > rules.max_future_skew) return TimeSource::kReceivedFuture;
  if (ts < rules.earliest_ts) return TimeSource::kReceivedBeforeEarliest;
  if (received_at - ts > rules.max_past_skew) return TimeSource::kReceivedTooOld;
  return TimeSource::kDevice;
}

// Stage time: the device's ts unless it cannot be right (flagged; see Judge).
Status AssignTimes(const EventFields& f, const Rules& rules, StageEvent& e) {
  e.stage_time = e.received_at;
  e.time_source = TimeSource::kReceivedNoTs;
  if (f.ts) {
    auto ts = ToTime(*f.ts, "ts");
    if (!ts) return ts.error();
    e.device_ts = ts.value();
    e.time_source = Judge(ts.value(), e.received_at, rules);
    if (e.time_source == TimeSource::kDevice) e.stage_time = ts.value();
  }
  if (f.promised_at) {
    auto promised = ToTime(*f.promised_at, "promised_at");
    if (!promised) return promised.error();
    e.promised_at = promised.value();
  }
  return Ok{};
}

}  // namespace

Result<StageEvent> Validate(EventFields f, const MessageContext& message, const Rules& rules) {
  if (auto identity = CheckIdentity(f, rules); !identity) return identity.error();
  StageEvent e;
  e.topic = std::string(message.topic);
  e.received_at = message.received_at;
  e.raw_payload = std::string(message.payload);
  if (auto times = AssignTimes(f, rules, e); !times) return times.error();
  if (f.material) {
    auto material = ToMaterial(*f.material, rules, e.material_cost);
    if (!material) return material.error();
    e.material = std::move(material).value();
  }
  e.event_key = f.event_id.value_or("");
  e.order_id = f.order_id.value_or("");
  e.batch_id = f.batch_id.value_or("");
  if (f.orders)
    for (BatchOrderFields& o : *f.orders) e.batch_orders.push_back({std::move(o.order_id), o.weight_g});
  e.stage = std::move(*f.stage);
  e.result = StageResultFromString(f.result.value_or(""));
  e.station = f.station.value_or("");
  e.operator_name = f.operator_name.value_or("");
  e.defect = f.defect.value_or("");
  e.reason = f.reason.value_or("");
  e.value = f.value;
  e.currency = f.currency.value_or("");
  e.customer_id = f.customer_id.value_or("");
  e.product = f.product.value_or("");
  e.personalized = f.personalized;
  e.voids = f.voids.value_or("");
  if (f.items) e.items = static_cast<int>(*f.items);
  e.score = f.score;
  return e;
}

bool IsValidOrderId(std::string_view id, std::size_t max) {
  if (id.empty() || id.size() > max) return false;
  for (char c : id) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == ':' || c == '-';
    if (!ok) return false;
  }
  return true;
}

bool IsValidUtf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  std::size_t n = s.size(), i = 0;
  while (i < n) {
    unsigned char c = p[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    int len;
    unsigned cp;
    if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else
      return false;
    if (i + len > n) return false;
    for (int k = 1; k < len; ++k) {
      if ((p[i + k] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (p[i + k] & 0x3F);
    }
    static constexpr unsigned kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += len;
  }
  return true;
}

}  // namespace floortrack
