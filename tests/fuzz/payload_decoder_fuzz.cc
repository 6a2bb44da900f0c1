// libFuzzer target: the whole pure decode path of one device message.
//
// The same steps Ingest::OnMessage runs before touching the store: the UTF-8
// check, JsonPayloadDecoder::Decode with the default Limits, Validate() with
// the default Rules (plus material prices, so the costing path runs) and,
// for events without event_id, DeriveEventKey. Besides the sanitizers
// (ASan, UBSan, LeakSanitizer) it checks the invariants below and traps on
// any violation, so libFuzzer records the input as a crash.
//
// The decoder is also run on invalid UTF-8 (Ingest would reject it first):
// it must stay safe on any bytes, and it must never accept them.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "adapters/event_key.h"
#include "adapters/json_payload_decoder.h"
#include "core/corrections.h"
#include "core/rules.h"
#include "core/validation.h"

namespace {

using namespace floortrack;

#define FUZZ_CHECK(cond)           \
  do {                             \
    if (!(cond)) __builtin_trap(); \
  } while (0)

const Rules& TheRules() {
  static const Rules rules = [] {
    Rules r;  // default stages, limits, accuracy reasons and skew
    r.material_cost_per_g = {{"castable-resin", 0.30}, {"silver-925", 0.90}, {"gold-750", 48.0}};
    return r;
  }();
  return rules;
}

// 2026-10-01T00:00:00Z: a fixed receive time keeps runs reproducible.
const TimePoint kReceivedAt = FromEpochMs(1790812800000);
constexpr std::string_view kTopic = "floor/printer-1/events";

void CheckString(const std::optional<std::string>& s, const Limits& limits) {
  if (!s) return;
  FUZZ_CHECK(s->size() <= limits.max_string_bytes);
  FUZZ_CHECK(IsValidUtf8(*s));  // JSON strings (escapes included) decode to UTF-8
}

void CheckFields(const EventFields& f, const Limits& limits) {
  for (const auto* s : {&f.event_id, &f.order_id, &f.stage, &f.station, &f.operator_name, &f.result,
                        &f.defect, &f.reason, &f.currency, &f.customer_id, &f.product})
    CheckString(*s, limits);
  for (const auto* t : {&f.ts, &f.promised_at})
    if (*t)
      if (const auto* text = std::get_if<std::string>(&**t)) CheckString(*text, limits);
  if (f.material) CheckString(f.material->type, limits);
}

void CheckEvent(const StageEvent& e, const EventFields& f, std::string_view payload,
                const Rules& rules) {
  const Limits& limits = rules.limits;
  // An order's event, a batch's (then for its orders, at store time), or a
  // shift's (an operator's, no order or batch: core/extra_kinds.h).
  const KindRole role = rules.ExtraRole(e.stage);
  if (IsOrderless(role)) {
    FUZZ_CHECK(e.order_id.empty() && e.batch_id.empty() && e.batch_orders.empty());
    FUZZ_CHECK(!e.operator_name.empty());
  } else if (e.order_id.empty()) {
    FUZZ_CHECK(IsValidOrderId(e.batch_id, limits.max_order_id_bytes));
  } else {
    FUZZ_CHECK(IsValidOrderId(e.order_id, limits.max_order_id_bytes));
    FUZZ_CHECK(e.batch_orders.empty());
  }
  if (!e.batch_id.empty()) FUZZ_CHECK(IsValidOrderId(e.batch_id, limits.max_order_id_bytes));
  FUZZ_CHECK(e.batch_orders.size() <= limits.max_batch_orders);
  for (const BatchMember& m : e.batch_orders)
    FUZZ_CHECK(IsValidOrderId(m.order_id, limits.max_order_id_bytes));
  if (e.material)
    FUZZ_CHECK(e.material->recovered_g >= 0 && e.material->recovered_g <= e.material->scrap_g);
  // A configured stage, a control stage (cancelled, on_hold, resumed, void:
  // core/corrections.h), which no stage list names, or a declared extra kind.
  FUZZ_CHECK(rules.StageIndex(e.stage) >= 0 || IsControlStage(e.stage) ||
             rules.IsExtraKind(e.stage));
  // Only feedback carries a score, on the configured scale; items are whole.
  if (e.score)
    FUZZ_CHECK(role == KindRole::kFeedback && *e.score >= rules.csi_min &&
               *e.score <= rules.csi_max);
  if (role == KindRole::kFeedback) FUZZ_CHECK(e.score.has_value());
  if (e.items) FUZZ_CHECK(*e.items >= 1 && *e.items <= 10000);
  FUZZ_CHECK(e.event_key == f.event_id.value_or(""));
  FUZZ_CHECK(e.event_key.size() <= limits.max_event_id_bytes);
  FUZZ_CHECK(e.topic == kTopic);
  FUZZ_CHECK(e.raw_payload == payload);
  FUZZ_CHECK(e.received_at == kReceivedAt);
  FUZZ_CHECK(e.result == StageResult::kNone || e.result == StageResult::kPass ||
             e.result == StageResult::kFail);
  if (e.value) FUZZ_CHECK(std::isfinite(*e.value) && *e.value >= 0);
  if (e.material) {
    FUZZ_CHECK(!e.material->type.empty());
    FUZZ_CHECK(std::isfinite(e.material->used_g) && e.material->used_g >= 0);
    FUZZ_CHECK(std::isfinite(e.material->scrap_g) && e.material->scrap_g >= 0);
    FUZZ_CHECK(e.material->scrap_g <= e.material->used_g);
    FUZZ_CHECK(e.material_cost >= 0);  // may be +inf for absurd grams; never NaN or negative
  } else {
    FUZZ_CHECK(e.material_cost == 0);
  }
  // Stage time: the device ts unless it cannot be right (flagged).
  switch (e.time_source) {
    case TimeSource::kDevice:
      FUZZ_CHECK(e.device_ts && e.stage_time == *e.device_ts);
      FUZZ_CHECK(e.stage_time - e.received_at <= rules.max_future_skew);
      FUZZ_CHECK(e.stage_time >= rules.earliest_ts);
      FUZZ_CHECK(e.received_at - e.stage_time <= rules.max_past_skew);
      break;
    case TimeSource::kReceivedNoTs:
      FUZZ_CHECK(!e.device_ts && !f.ts && e.stage_time == e.received_at);
      break;
    case TimeSource::kReceivedFuture:
      FUZZ_CHECK(e.device_ts && *e.device_ts - e.received_at > rules.max_future_skew);
      FUZZ_CHECK(e.stage_time == e.received_at);
      break;
    case TimeSource::kReceivedBeforeEarliest:
      FUZZ_CHECK(e.device_ts && *e.device_ts < rules.earliest_ts);
      FUZZ_CHECK(e.stage_time == e.received_at);
      break;
    case TimeSource::kReceivedTooOld:
      FUZZ_CHECK(e.device_ts && e.received_at - *e.device_ts > rules.max_past_skew);
      FUZZ_CHECK(e.stage_time == e.received_at);
      break;
    default:
      __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view payload(reinterpret_cast<const char*>(data), size);
  const Rules& rules = TheRules();
  const Limits& limits = rules.limits;
  static const JsonPayloadDecoder decoder;

  const bool utf8 = IsValidUtf8(payload);
  auto fields = decoder.Decode(payload, limits);
  if (!fields) {
    FUZZ_CHECK(fields.error().kind == ErrorKind::kInvalid);
    FUZZ_CHECK(!fields.error().message.empty());
    return 0;
  }
  // Accepted: within the size limit, well-formed UTF-8, and every string bounded.
  FUZZ_CHECK(size <= limits.max_payload_bytes);
  FUZZ_CHECK(utf8);
  CheckFields(fields.value(), limits);
  // Decode is pure: a second run gives the same outcome.
  FUZZ_CHECK(decoder.Decode(payload, limits).ok());

  const EventFields copy = fields.value();
  auto event = Validate(std::move(fields).value(), {kTopic, payload, kReceivedAt}, rules);
  if (!event) {
    FUZZ_CHECK(event.error().kind == ErrorKind::kInvalid);
    FUZZ_CHECK(!event.error().message.empty());
    return 0;
  }
  StageEvent& e = event.value();
  CheckEvent(e, copy, payload, rules);
  if (e.event_key.empty()) {
    e.event_key = DeriveEventKey(kTopic, payload);
    FUZZ_CHECK(e.event_key.size() == 7 + 64 && e.event_key.rfind("sha256:", 0) == 0);
    FUZZ_CHECK(e.event_key == DeriveEventKey(kTopic, payload));
  }
  return 0;
}
