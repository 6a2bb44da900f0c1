// Unit tests for Validate, IsValidOrderId and IsValidUtf8 (core/validation.h).
#include "core/validation.h"

#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

namespace floortrack {
namespace {

// 2026-11-23T08:15:00Z.
constexpr std::int64_t kBaseMs = 1'795'421'700'000;
constexpr std::int64_t kSecondMs = 1'000;
constexpr std::int64_t kMinuteMs = 60 * kSecondMs;

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// The smallest valid event: an order id and a known stage.
EventFields Minimal() {
  EventFields f;
  f.order_id = "ORD-1";
  f.stage = "printed";
  return f;
}

MessageContext Context() {
  return MessageContext{"floor/printer-1", "{\"payload\":1}", FromEpochMs(kBaseMs)};
}

Result<StageEvent> Run(EventFields f, const Rules& rules = Rules{}) {
  return Validate(std::move(f), Context(), rules);
}

// The error message of a validation expected to fail ("" when it passed).
std::string ErrorOf(EventFields f, const Rules& rules = Rules{}) {
  auto r = Run(std::move(f), rules);
  if (r) return "";
  CHECK(r.error().kind == ErrorKind::kInvalid);
  return r.error().message;
}

TEST_CASE("Validate minimal event copies context and leaves optional fields empty") {
  auto r = Run(Minimal());
  REQUIRE(r.ok());
  const StageEvent& e = r.value();
  CHECK(e.order_id == "ORD-1");
  CHECK(e.stage == "printed");
  CHECK(e.topic == "floor/printer-1");
  CHECK(e.raw_payload == "{\"payload\":1}");
  CHECK(ToEpochMs(e.received_at) == kBaseMs);
  CHECK(e.event_key.empty());  // no event_id: Ingest derives the key
  CHECK(e.result == StageResult::kNone);
  CHECK_FALSE(e.material.has_value());
  CHECK(e.material_cost == 0.0);
  CHECK_FALSE(e.value.has_value());
  CHECK_FALSE(e.personalized.has_value());
  CHECK_FALSE(e.promised_at.has_value());
}

TEST_CASE("Validate copies the descriptive fields and event_id as event_key") {
  EventFields f = Minimal();
  f.event_id = "evt-42";
  f.station = "printer-1";
  f.operator_name = "ana";
  f.result = "fail";
  f.defect = "warp";
  f.reason = "too hot";
  f.value = 149.5;
  f.currency = "EUR";
  f.customer_id = "C-7";
  f.product = "ring";
  f.personalized = true;
  auto r = Run(f);
  REQUIRE(r.ok());
  const StageEvent& e = r.value();
  CHECK(e.event_key == "evt-42");
  CHECK(e.station == "printer-1");
  CHECK(e.operator_name == "ana");
  CHECK(e.result == StageResult::kFail);
  CHECK(e.defect == "warp");
  CHECK(e.reason == "too hot");
  REQUIRE(e.value.has_value());
  CHECK(*e.value == 149.5);
  CHECK(e.currency == "EUR");
  CHECK(e.customer_id == "C-7");
  CHECK(e.product == "ring");
  REQUIRE(e.personalized.has_value());
  CHECK(*e.personalized == true);
}

TEST_CASE("Validate rejects a missing or empty order_id") {
  EventFields f = Minimal();
  f.order_id.reset();
  CHECK(ErrorOf(f) == "field 'order_id' is missing");
  f.order_id = "";
  CHECK(Contains(ErrorOf(f), "field 'order_id' must be 1-64 characters"));
}

TEST_CASE("Validate order_id length limit: 64 accepted, 65 rejected") {
  EventFields f = Minimal();
  f.order_id = std::string(64, 'a');
  CHECK(Run(f).ok());
  f.order_id = std::string(65, 'a');
  CHECK(Contains(ErrorOf(f), "'order_id'"));
}

TEST_CASE("Validate order_id characters: [A-Za-z0-9._:-] only") {
  EventFields f = Minimal();
  f.order_id = "Az09._:-";
  CHECK(Run(f).ok());
  for (const char* bad : {"ORD 1", "ORD/1", "ORD#1", "ORD\xC3\xA9", "ORD\n"}) {
    CAPTURE(bad);
    f.order_id = bad;
    CHECK(Contains(ErrorOf(f), "field 'order_id' must be 1-64 characters of [A-Za-z0-9._:-]"));
  }
}

TEST_CASE("IsValidOrderId honours the given maximum") {
  CHECK(IsValidOrderId("abc", 3));
  CHECK_FALSE(IsValidOrderId("abcd", 3));
  CHECK_FALSE(IsValidOrderId("", 3));
}

TEST_CASE("Validate rejects a missing or unknown stage") {
  EventFields f = Minimal();
  f.stage.reset();
  CHECK(ErrorOf(f) == "field 'stage' is missing");
  f.stage = "painted";
  CHECK(ErrorOf(f) == "field 'stage' is not a known stage: 'painted'");
  f.stage = "Printed";  // case-sensitive
  CHECK(Contains(ErrorOf(f), "not a known stage"));
}

TEST_CASE("Validate uses the stage list from Rules") {
  Rules rules;
  rules.stages = {"confirmed", "engraved", "shipped"};
  EventFields f = Minimal();
  f.stage = "engraved";
  auto r = Run(f, rules);
  REQUIRE(r.ok());
  CHECK(r.value().stage == "engraved");
  f.stage = "printed";  // a default stage, not in the custom list
  CHECK(ErrorOf(f, rules) == "field 'stage' is not a known stage: 'printed'");
}

TEST_CASE("Validate event_id length: empty and 129 rejected, 128 accepted") {
  EventFields f = Minimal();
  f.event_id = "";
  CHECK(ErrorOf(f) == "field 'event_id' must be 1-128 characters");
  f.event_id = std::string(129, 'e');
  CHECK(ErrorOf(f) == "field 'event_id' must be 1-128 characters");
  f.event_id = std::string(128, 'e');
  auto r = Run(f);
  REQUIRE(r.ok());
  CHECK(r.value().event_key == std::string(128, 'e'));
}

TEST_CASE("Validate result must be pass or fail") {
  EventFields f = Minimal();
  f.result = "pass";
  auto r = Run(f);
  REQUIRE(r.ok());
  CHECK(r.value().result == StageResult::kPass);
  for (const char* bad : {"ok", "PASS", "", "failed"}) {
    CAPTURE(bad);
    f.result = bad;
    CHECK(ErrorOf(f) == "field 'result' must be \"pass\" or \"fail\"");
  }
}

TEST_CASE("Validate value must be a finite number from 0 to Limits::max_order_value") {
  EventFields f = Minimal();
  f.value = 0.0;
  CHECK(Run(f).ok());
  f.value = -0.01;
  CHECK(ErrorOf(f) == "field 'value' must be a number from 0 to 1000000000");
  f.value = std::nan("");
  CHECK(ErrorOf(f) == "field 'value' must be a number from 0 to 1000000000");
  f.value = std::numeric_limits<double>::infinity();
  CHECK(ErrorOf(f) == "field 'value' must be a number from 0 to 1000000000");
  f.value = 1e9;  // the bound itself is accepted
  CHECK(Run(f).ok());
  f.value = 1.5e9;
  CHECK(ErrorOf(f) == "field 'value' must be a number from 0 to 1000000000");
}

TEST_CASE("Validate material requires type and used_g") {
  EventFields f = Minimal();
  f.material = MaterialFields{std::nullopt, 10.0, std::nullopt, std::nullopt};
  CHECK(ErrorOf(f) == "field 'material.type' is missing");
  f.material = MaterialFields{std::string(""), 10.0, std::nullopt, std::nullopt};
  CHECK(ErrorOf(f) == "field 'material.type' is missing");
  f.material = MaterialFields{std::string("silver-925"), std::nullopt, std::nullopt, std::nullopt};
  CHECK(ErrorOf(f) == "field 'material.used_g' is missing");
}

TEST_CASE("Validate material rejects negative amounts and scrap above used") {
  EventFields f = Minimal();
  f.material = MaterialFields{std::string("silver-925"), -1.0, std::nullopt, std::nullopt};
  CHECK(ErrorOf(f) == "field 'material.used_g' must be from 0 to 100000");
  f.material = MaterialFields{std::string("silver-925"), 10.0, -0.5, std::nullopt};
  CHECK(ErrorOf(f) == "field 'material.scrap_g' must be from 0 to 100000");
  f.material = MaterialFields{std::string("silver-925"), 10.0, 10.5, std::nullopt};
  CHECK(ErrorOf(f) == "field 'material.scrap_g' exceeds 'material.used_g'");
  f.material = MaterialFields{std::string("silver-925"), 10.0, 10.0, std::nullopt};  // equal is fine
  CHECK(Run(f).ok());
}

TEST_CASE(
    "Validate material amounts above Limits::max_material_g are rejected, keeping sums finite") {
  EventFields f = Minimal();
  f.material = MaterialFields{std::string("silver-925"), 1e308, std::nullopt, std::nullopt};
  CHECK(ErrorOf(f) == "field 'material.used_g' must be from 0 to 100000");
  f.material = MaterialFields{std::string("silver-925"), 100000.0, 100000.0, std::nullopt};  // the bound itself
  CHECK(Run(f).ok());
}

TEST_CASE("Validate material scrap defaults to 0") {
  EventFields f = Minimal();
  f.material = MaterialFields{std::string("silver-925"), 12.5, std::nullopt, std::nullopt};
  auto r = Run(f);
  REQUIRE(r.ok());
  REQUIRE(r.value().material.has_value());
  CHECK(r.value().material->type == "silver-925");
  CHECK(r.value().material->used_g == 12.5);
  CHECK(r.value().material->scrap_g == 0.0);
}

TEST_CASE("Validate prices material as used_g times the Rules price; unpriced type costs 0") {
  Rules rules;
  rules.material_cost_per_g = {{"silver-925", 0.25}, {"castable-resin", 2.0}};
  EventFields f = Minimal();
  f.material = MaterialFields{std::string("silver-925"), 12.5, 2.0, std::nullopt};
  auto r = Run(f, rules);
  REQUIRE(r.ok());
  CHECK(r.value().material_cost == 3.125);  // 12.5 g * 0.25 (scrap not deducted)

  f.material = MaterialFields{std::string("castable-resin"), 3.0, std::nullopt, std::nullopt};
  r = Run(f, rules);
  REQUIRE(r.ok());
  CHECK(r.value().material_cost == 6.0);

  f.material = MaterialFields{std::string("gold-750"), 12.5, std::nullopt, std::nullopt};
  r = Run(f, rules);
  REQUIRE(r.ok());
  CHECK(r.value().material_cost == 0.0);
}

TEST_CASE("Validate ts as RFC 3339 text becomes the device stage time") {
  EventFields f = Minimal();
  f.ts = RawTime{std::string("2026-11-23T08:10:00+01:00")};  // 07:10Z, 65 min before receipt
  auto r = Run(f);
  REQUIRE(r.ok());
  const StageEvent& e = r.value();
  CHECK(ToEpochMs(e.stage_time) == kBaseMs - 65 * kMinuteMs);
  CHECK(e.time_source == TimeSource::kDevice);
  REQUIRE(e.device_ts.has_value());
  CHECK(ToEpochMs(*e.device_ts) == kBaseMs - 65 * kMinuteMs);
  CHECK(ToEpochMs(e.received_at) == kBaseMs);
}

TEST_CASE("Validate ts as integer epoch milliseconds") {
  EventFields f = Minimal();
  f.ts = RawTime{std::int64_t{kBaseMs - 1234}};
  auto r = Run(f);
  REQUIRE(r.ok());
  CHECK(ToEpochMs(r.value().stage_time) == kBaseMs - 1234);
  CHECK(r.value().time_source == TimeSource::kDevice);
}

TEST_CASE("Validate rejects ts text that is not RFC 3339") {
  EventFields f = Minimal();
  f.ts = RawTime{std::string("2026-11-23T08:10:00")};
  CHECK(ErrorOf(f) == "field 'ts' is not valid RFC 3339: missing time zone offset (Z or +hh:mm)");
}

TEST_CASE("Validate ts parse errors say what is wrong") {
  EventFields f = Minimal();
  f.ts = RawTime{std::string("2026-13-01T00:00:00Z")};
  CHECK(ErrorOf(f) == "field 'ts' is not valid RFC 3339: month 13 out of range");
  f.ts = RawTime{std::string("2026-11-23T08:15:61Z")};
  CHECK(ErrorOf(f) == "field 'ts' is not valid RFC 3339: second 61 out of range");
  f.ts = RawTime{std::string("2026-02-29T08:15:00Z")};
  CHECK(ErrorOf(f) == "field 'ts' is not valid RFC 3339: day 29 out of range for 2026-02");
}

TEST_CASE("Validate accepts a leap second and a long fraction in ts") {
  EventFields f = Minimal();
  // 2026-06-30T23:59:59Z = 1782863999 s; the leap second reads as .999 of it.
  f.ts = RawTime{std::string("2026-06-30T23:59:60Z")};
  auto r = Run(f);
  REQUIRE(r.ok());
  CHECK(r.value().time_source == TimeSource::kDevice);
  CHECK(ToEpochMs(r.value().stage_time) == 1'782'863'999'999);

  // 08:10:00.1234567890123Z, 13 fraction digits: 5 min before receipt + 123 ms.
  f.ts = RawTime{std::string("2026-11-23T08:10:00.1234567890123Z")};
  r = Run(f);
  REQUIRE(r.ok());
  CHECK(r.value().time_source == TimeSource::kDevice);
  CHECK(ToEpochMs(r.value().stage_time) == kBaseMs - 5 * kMinuteMs + 123);
}

TEST_CASE("Validate rejects ts before 2000-01-01 (epoch seconds sent as ms)") {
  EventFields f = Minimal();
  f.ts = RawTime{std::int64_t{1'795'421'700}};  // seconds, read as ms: January 1970
  CHECK(Contains(ErrorOf(f), "field 'ts' is before 2000-01-01"));
  f.ts = RawTime{std::int64_t{946'684'799'999}};  // 1999-12-31T23:59:59.999Z
  CHECK(Contains(ErrorOf(f), "field 'ts' is before 2000-01-01"));
  f.ts = RawTime{std::string("1999-12-31T23:59:59Z")};
  CHECK(Contains(ErrorOf(f), "field 'ts' is before 2000-01-01"));
  f.ts = RawTime{std::int64_t{946'684'800'000}};  // 2000-01-01T00:00:00Z exactly
  CHECK(Run(f).ok());
}

TEST_CASE("Validate ts up to 5 minutes ahead of receipt is trusted as device time") {
  EventFields f = Minimal();
  f.ts = RawTime{std::int64_t{kBaseMs + 4 * kMinuteMs + 59 * kSecondMs}};
  auto r = Run(f);
  REQUIRE(r.ok());
  CHECK(r.value().time_source == TimeSource::kDevice);
  CHECK(ToEpochMs(r.value().stage_time) == kBaseMs + 299'000);

  f.ts = RawTime{std::int64_t{kBaseMs + 5 * kMinuteMs}};  // exactly the skew: still trusted
  r = Run(f);
  REQUIRE(r.ok());
  CHECK(r.value().time_source == TimeSource::kDevice);
  CHECK(ToEpochMs(r.value().stage_time) == kBaseMs + 300'000);
}

TEST_CASE("Validate ts more than 5 minutes ahead falls back to receipt time, keeping device_ts") {
  EventFields f = Minimal();
  f.ts = RawTime{std::int64_t{kBaseMs + 5 * kMinuteMs + kSecondMs}};
  auto r = Run(f);
  REQUIRE(r.ok());
  const StageEvent& e = r.value();
  CHECK(e.time_source == TimeSource::kReceivedFuture);
  CHECK(ToEpochMs(e.stage_time) == kBaseMs);
  REQUIRE(e.device_ts.has_value());
  CHECK(ToEpochMs(*e.device_ts) == kBaseMs + 301'000);
}

TEST_CASE("Validate future skew comes from Rules") {
  Rules rules;
  rules.max_future_skew = std::chrono::seconds(10);
  EventFields f = Minimal();
  f.ts = RawTime{std::int64_t{kBaseMs + 11 * kSecondMs}};
  auto r = Run(f, rules);
  REQUIRE(r.ok());
  CHECK(r.value().time_source == TimeSource::kReceivedFuture);
  CHECK(ToEpochMs(r.value().stage_time) == kBaseMs);
}

constexpr std::int64_t kDayMs = 86'400'000;

TEST_CASE("Validate ts of a clock reset to 2000-01-01 is flagged before_earliest, not trusted") {
  // Today such an event is stored at 2000-01-01 and the KPIs print a turnaround
  // of about -235,000 hours. Now: receive time, device ts kept, flagged.
  EventFields f = Minimal();
  f.ts = RawTime{std::string("2000-01-01T00:05:00Z")};
  auto r = Run(f);
  REQUIRE(r.ok());
  const StageEvent& e = r.value();
  CHECK(e.time_source == TimeSource::kReceivedBeforeEarliest);
  CHECK(ToEpochMs(e.stage_time) == kBaseMs);
  REQUIRE(e.device_ts.has_value());
  CHECK(ToEpochMs(*e.device_ts) == 946'685'100'000);  // 2000-01-01T00:05:00Z
  CHECK(std::string(TsFlag(e.time_source)) == "before_earliest");

  // The same as epoch milliseconds.
  f.ts = RawTime{std::int64_t{946'685'100'000}};
  r = Run(f);
  REQUIRE(r.ok());
  CHECK(r.value().time_source == TimeSource::kReceivedBeforeEarliest);
  CHECK(ToEpochMs(r.value().stage_time) == kBaseMs);
}

TEST_CASE("Validate earliest_ts boundary: 2020-01-01T00:00:00Z itself is trusted") {
  Rules rules;
  rules.max_past_skew = std::chrono::hours(24 * 365 * 50);  // only earliest_ts in play
  EventFields f = Minimal();
  f.ts = RawTime{std::int64_t{1'577'836'800'000}};  // 2020-01-01T00:00:00Z
  auto r = Run(f, rules);
  REQUIRE(r.ok());
  CHECK(r.value().time_source == TimeSource::kDevice);
  CHECK(ToEpochMs(r.value().stage_time) == 1'577'836'800'000);

  f.ts = RawTime{std::int64_t{1'577'836'799'999}};  // 1 ms earlier
  r = Run(f, rules);
  REQUIRE(r.ok());
  CHECK(r.value().time_source == TimeSource::kReceivedBeforeEarliest);
  CHECK(ToEpochMs(r.value().stage_time) == kBaseMs);
  REQUIRE(r.value().device_ts.has_value());
  CHECK(ToEpochMs(*r.value().device_ts) == 1'577'836'799'999);
}

TEST_CASE("Validate ts before 2000 stays a reject even with an earlier earliest_ts") {
  Rules rules;
  rules.earliest_ts = FromEpochMs(946'684'800'000);  // 2000-01-01
  EventFields f = Minimal();
  f.ts = RawTime{std::int64_t{946'684'799'999}};
  CHECK(Contains(ErrorOf(f, rules), "field 'ts' is before 2000-01-01"));
}

TEST_CASE("Validate ts a year back (backfill) is trusted by default") {
  EventFields f = Minimal();
  // 2025-10-19T08:15:00Z: 400 days before receipt (2026-11-23T08:15:00Z).
  f.ts = RawTime{std::string("2025-10-19T08:15:00Z")};
  auto r = Run(f);
  REQUIRE(r.ok());
  CHECK(r.value().time_source == TimeSource::kDevice);
  CHECK(ToEpochMs(r.value().stage_time) == kBaseMs - 400 * kDayMs);
}

TEST_CASE("Validate ts more than 2 years (730 days) before receipt is flagged too_old") {
  EventFields f = Minimal();
  // 2024-11-23T08:15:00Z is exactly 730 days back (2025 has no Feb 29; 2024's is earlier).
  f.ts = RawTime{std::string("2024-11-23T08:15:00Z")};
  auto r = Run(f);
  REQUIRE(r.ok());
  CHECK(r.value().time_source == TimeSource::kDevice);  // exactly the skew: trusted
  CHECK(ToEpochMs(r.value().stage_time) == kBaseMs - 730 * kDayMs);

  f.ts = RawTime{std::string("2024-11-23T08:14:59.999Z")};
  r = Run(f);
  REQUIRE(r.ok());
  const StageEvent& e = r.value();
  CHECK(e.time_source == TimeSource::kReceivedTooOld);
  CHECK(ToEpochMs(e.stage_time) == kBaseMs);
  REQUIRE(e.device_ts.has_value());
  CHECK(ToEpochMs(*e.device_ts) == kBaseMs - 730 * kDayMs - 1);
  CHECK(std::string(TsFlag(e.time_source)) == "too_old");
}

TEST_CASE("Validate past skew and earliest_ts come from Rules") {
  Rules rules;
  rules.max_past_skew = std::chrono::hours(1);
  rules.earliest_ts = FromEpochMs(kBaseMs - 10 * kDayMs);
  EventFields f = Minimal();
  f.ts = RawTime{std::int64_t{kBaseMs - 61 * kMinuteMs}};
  auto r = Run(f, rules);
  REQUIRE(r.ok());
  CHECK(r.value().time_source == TimeSource::kReceivedTooOld);
  CHECK(ToEpochMs(r.value().stage_time) == kBaseMs);

  f.ts = RawTime{std::int64_t{kBaseMs - 60 * kMinuteMs}};
  r = Run(f, rules);
  REQUIRE(r.ok());
  CHECK(r.value().time_source == TimeSource::kDevice);

  // Before earliest_ts and too old at once: before_earliest is the more telling flag.
  f.ts = RawTime{std::int64_t{kBaseMs - 11 * kDayMs}};
  r = Run(f, rules);
  REQUIRE(r.ok());
  CHECK(r.value().time_source == TimeSource::kReceivedBeforeEarliest);
}

TEST_CASE("Validate a future ts is flagged future even when earliest_ts lies beyond it") {
  Rules rules;
  rules.earliest_ts = FromEpochMs(kBaseMs + 10 * kDayMs);  // a misconfigured future earliest_ts
  EventFields f = Minimal();
  f.ts = RawTime{std::int64_t{kBaseMs + 6 * kMinuteMs}};
  auto r = Run(f, rules);
  REQUIRE(r.ok());
  CHECK(r.value().time_source == TimeSource::kReceivedFuture);
}

TEST_CASE("Validate without ts uses receipt time and kReceivedNoTs") {
  auto r = Run(Minimal());
  REQUIRE(r.ok());
  CHECK(r.value().time_source == TimeSource::kReceivedNoTs);
  CHECK(ToEpochMs(r.value().stage_time) == kBaseMs);
  CHECK_FALSE(r.value().device_ts.has_value());
}

TEST_CASE("Validate parses promised_at as text or epoch ms and checks it") {
  EventFields f = Minimal();
  f.stage = "confirmed";
  f.promised_at = RawTime{std::string("2026-11-30T17:00:00Z")};
  auto r = Run(f);
  REQUIRE(r.ok());
  REQUIRE(r.value().promised_at.has_value());
  // 2026-11-30T17:00:00Z = 2026-11-23T08:15:00Z + 7 d + 8 h 45 min.
  CHECK(ToEpochMs(*r.value().promised_at) == kBaseMs + 7 * 86'400'000LL + 525 * kMinuteMs);

  f.promised_at = RawTime{std::int64_t{kBaseMs + 42}};
  r = Run(f);
  REQUIRE(r.ok());
  CHECK(ToEpochMs(*r.value().promised_at) == kBaseMs + 42);

  f.promised_at = RawTime{std::string("next week")};
  CHECK(ErrorOf(f) == "field 'promised_at' is not valid RFC 3339: year must be 4 digits");
  f.promised_at = RawTime{std::int64_t{1'000}};
  CHECK(Contains(ErrorOf(f), "field 'promised_at' is before 2000-01-01"));
}

TEST_CASE("IsValidUtf8 accepts ASCII and valid 2-, 3- and 4-byte sequences") {
  CHECK(IsValidUtf8(""));
  CHECK(IsValidUtf8("plain ascii {\"a\":1}"));
  CHECK(IsValidUtf8("\xC3\xA9"));          // U+00E9 é
  CHECK(IsValidUtf8("\xC2\x80"));          // U+0080, smallest 2-byte
  CHECK(IsValidUtf8("\xE2\x82\xAC"));      // U+20AC €
  CHECK(IsValidUtf8("\xE0\xA0\x80"));      // U+0800, smallest 3-byte
  CHECK(IsValidUtf8("\xEF\xBF\xBF"));      // U+FFFF
  CHECK(IsValidUtf8("\xF0\x9F\x92\x8D"));  // U+1F48D ring
  CHECK(IsValidUtf8("\xF4\x8F\xBF\xBF"));  // U+10FFFF, the largest
  CHECK(IsValidUtf8("ring \xF0\x9F\x92\x8D caf\xC3\xA9"));
}

TEST_CASE("IsValidUtf8 rejects overlong encodings") {
  CHECK_FALSE(IsValidUtf8("\xC0\x80"));          // NUL as 2 bytes
  CHECK_FALSE(IsValidUtf8("\xC1\xBF"));          // U+007F as 2 bytes
  CHECK_FALSE(IsValidUtf8("\xE0\x9F\xBF"));      // U+07FF as 3 bytes
  CHECK_FALSE(IsValidUtf8("\xF0\x8F\xBF\xBF"));  // U+FFFF as 4 bytes
}

TEST_CASE("IsValidUtf8 rejects UTF-16 surrogates") {
  CHECK_FALSE(IsValidUtf8("\xED\xA0\x80"));  // U+D800
  CHECK_FALSE(IsValidUtf8("\xED\xBF\xBF"));  // U+DFFF
  CHECK(IsValidUtf8("\xED\x9F\xBF"));        // U+D7FF, just below
}

TEST_CASE("IsValidUtf8 rejects code points above U+10FFFF and invalid lead bytes") {
  CHECK_FALSE(IsValidUtf8("\xF4\x90\x80\x80"));  // U+110000
  CHECK_FALSE(IsValidUtf8("\xF8\x88\x80\x80\x80"));
  CHECK_FALSE(IsValidUtf8("\xFF"));
}

TEST_CASE("IsValidUtf8 rejects truncated sequences and lone continuation bytes") {
  CHECK_FALSE(IsValidUtf8("\xE2\x82"));                      // 3-byte sequence cut short at the end
  CHECK_FALSE(IsValidUtf8("\xF0\x9F\x92"));                  // 4-byte cut short
  CHECK_FALSE(IsValidUtf8("\xC3"));                          // 2-byte lead alone
  CHECK_FALSE(IsValidUtf8(std::string("\xE2\x82") + "a"));   // continuation replaced by ASCII
  CHECK_FALSE(IsValidUtf8("\x80"));                          // lone continuation byte
  CHECK_FALSE(IsValidUtf8(std::string("abc\xBF") + "def"));  // lone continuation in the middle
}

}  // namespace
}  // namespace floortrack

namespace floortrack {
namespace {

TEST_CASE("Validate control stages: accepted whatever Rules::stages says, with an order_id") {
  for (const char* stage : {"cancelled", "on_hold", "resumed"}) {
    EventFields f = Minimal();
    f.stage = stage;
    auto e = Run(f);
    REQUIRE(e.ok());
    CHECK(e.value().stage == stage);
    f.order_id.reset();
    f.batch_id = "plate-1";
    CHECK(Contains(ErrorOf(f), "needs an 'order_id'"));
  }
  EventFields held = Minimal();
  held.stage = "on_hold";
  held.material = MaterialFields{"resin", 1.0, 0.0, std::nullopt};
  CHECK(Contains(ErrorOf(held), "cannot carry 'material'"));
}

TEST_CASE("Validate void: names the voided event_id in 'voids'; only a void has it") {
  EventFields f = Minimal();
  f.stage = "void";
  CHECK(Contains(ErrorOf(f), "field 'voids' is missing"));
  f.voids = "";
  CHECK(Contains(ErrorOf(f), "1-128"));
  f.voids = std::string(129, 'x');
  CHECK(Contains(ErrorOf(f), "1-128"));
  f.voids = "evt-7";
  f.event_id = "evt-7";
  CHECK(Contains(ErrorOf(f), "cannot void itself"));
  f.event_id = "evt-8";
  auto e = Run(f);
  REQUIRE(e.ok());
  CHECK(e.value().voids == "evt-7");
  EventFields printed = Minimal();
  printed.voids = "evt-7";
  CHECK(Contains(ErrorOf(printed), "only for stage \"void\""));
}

}  // namespace
}  // namespace floortrack
