// The rules record: Rules to JSON and back, and lenient reading of records
// written by other releases.
#include "adapters/rules_record.h"

#include <doctest/doctest.h>

namespace floortrack {
namespace {

TEST_CASE("the rules record round-trips every field the CLI answers with") {
  Rules rules;
  rules.stages = {"confirmed", "printed", "stone_set", "polished", "shipped", "returned"};
  rules.material_cost_per_g = {{"silver-925", 0.9}, {"gold-14k", 38.0}};
  rules.accuracy_failure_reasons = {"wrong_size"};
  rules.kpi_currency = "EUR";
  rules.max_future_skew = Millis(60'000);
  rules.max_past_skew = Millis(86'400'000);
  rules.earliest_ts = FromEpochMs(1'700'000'000'000);
  rules.limits.max_payload_bytes = 1234;
  rules.default_promise_days = 14;
  auto back = DecodeRules(EncodeRules(rules));
  REQUIRE(back.ok());
  const Rules& r = back.value();
  CHECK(r.stages == rules.stages);
  CHECK(r.material_cost_per_g == rules.material_cost_per_g);
  CHECK(r.accuracy_failure_reasons == rules.accuracy_failure_reasons);
  CHECK(r.kpi_currency == "EUR");
  CHECK(r.max_future_skew == rules.max_future_skew);
  CHECK(r.max_past_skew == rules.max_past_skew);
  CHECK(r.earliest_ts == rules.earliest_ts);
  CHECK(r.limits.max_payload_bytes == 1234);
  CHECK(r.default_promise_days == 14);
}

TEST_CASE("a record from another release: unknown keys ignored, missing keys default") {
  auto r = DecodeRules(R"({"stages":["confirmed","shipped"],"from_the_future":1})");
  REQUIRE(r.ok());
  CHECK(r.value().stages == std::vector<std::string>{"confirmed", "shipped"});
  CHECK(r.value().accuracy_failure_reasons == Rules{}.accuracy_failure_reasons);
}

TEST_CASE("a damaged record is kCorrupt, never an exception") {
  CHECK(DecodeRules("not json").error().kind == ErrorKind::kCorrupt);
  CHECK(DecodeRules("[]").error().kind == ErrorKind::kCorrupt);
  CHECK(DecodeRules(R"({"stages":"confirmed"})").error().kind == ErrorKind::kCorrupt);
}

}  // namespace
}  // namespace floortrack
