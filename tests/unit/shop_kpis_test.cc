// Unit tests for the extra kinds' KPIs (docs/kpi.md): retention_pct,
// labor_pieces_per_hour, design_conversion_pct, csi, engagement_pct and
// production_hours, each on a hand-computed case; and what extra kinds do to
// validation and the order summary.
#include "core/shop_kpis.h"

#include <doctest/doctest.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/kpi.h"
#include "core/order_summary.h"
#include "core/validation.h"

namespace floortrack {
namespace {

constexpr std::int64_t kT0 = 1'700'000'000'000;  // arbitrary epoch ms base
constexpr std::int64_t kHour = 3'600'000;

TimePoint H(double hours) { return FromEpochMs(kT0 + static_cast<std::int64_t>(hours * kHour)); }

Window Between(double since_h, double until_h) { return Window{H(since_h), H(until_h)}; }

OrderSummary Order(const std::string& id, std::optional<double> confirmed_h,
                   std::optional<double> shipped_h) {
  OrderSummary o;
  o.order_id = id;
  if (confirmed_h) o.confirmed_at = o.submitted_at = H(*confirmed_h);
  if (shipped_h) o.shipped_at = H(*shipped_h);
  return o;
}

TEST_CASE("retention_pct: customers who ordered before the window and again inside it") {
  // Window [100 h, 200 h). a: first 10 h, again in the window -> returning.
  // b: first 50 h, not again -> at start, not returning. c: first 150 h (new
  // in the window) -> not at start. d: first 99 h, again at 199 h -> returning.
  const std::vector<CustomerActivity> customers = {
      {H(10), true}, {H(50), false}, {H(150), true}, {H(99), true}};
  const RetentionFigures r = Retention(customers, Between(100, 200));
  CHECK(r.at_start == 3);
  CHECK(r.returning == 2);
  REQUIRE(r.pct.has_value());
  CHECK(*r.pct == doctest::Approx(100.0 * 2 / 3));
  // No start: no customers "at the start".
  CHECK_FALSE(Retention(customers, Window{}).pct.has_value());
  // Nobody before the start: null, not 0.
  CHECK_FALSE(Retention({{H(150), true}}, Between(100, 200)).pct.has_value());
}

TEST_CASE("StaffHours: pairs, a missing end, a repeated start, the window and the cap") {
  const Millis cap = std::chrono::hours(12);
  // ann: 8-16 h (8 h). bob: start 9 h, start again 12 h (no end scanned: the
  // first ends at 12 h = 3 h), end 14 h (2 h) -> 5 h. cy: end without start
  // at 5 h ignored; start 20 h still open, now = 23 h -> 3 h.
  // dee: start 0 h, end 30 h -> capped at 12 h.
  const std::vector<ShiftMark> marks = {
      {"bob", true, H(12)},  {"ann", true, H(8)},   {"bob", true, H(9)},
      {"ann", false, H(16)}, {"bob", false, H(14)}, {"cy", false, H(5)},
      {"cy", true, H(20)},   {"dee", true, H(0)},   {"dee", false, H(30)}};
  auto hours = StaffHours(marks, Window{}, H(23), cap);
  CHECK(hours["ann"] == doctest::Approx(8));
  CHECK(hours["bob"] == doctest::Approx(5));
  CHECK(hours["cy"] == doctest::Approx(3));
  CHECK(hours["dee"] == doctest::Approx(12));
  // Clipped to [10 h, 15 h): ann 10-15 = 5; bob 10-12 + 12-14 = 4; cy 0; dee
  // 10-12 = 2.
  hours = StaffHours(marks, Between(10, 15), H(23), cap);
  CHECK(hours["ann"] == doctest::Approx(5));
  CHECK(hours["bob"] == doctest::Approx(4));
  CHECK(hours["cy"] == doctest::Approx(0));
  CHECK(hours["dee"] == doctest::Approx(2));
}

TEST_CASE("labor_pieces_per_hour: per operator and for the shop") {
  Rules rules;  // stages confirmed, print_started, ..., shipped, returned
  ActivityTotals a;
  a.now = H(100);
  a.shifts = {
      {"ann", true, H(8)}, {"ann", false, H(12)}, {"bob", true, H(8)}, {"bob", false, H(10)}};
  a.pieces = {
      {"ann", "polished", false, 10},  // counts
      {"ann", "qc", true, 3},          // failed: not completed
      {"ann", "confirmed", false, 5},  // the confirmation is no work
      {"bob", "printed", false, 4},    // counts
      {"bob", "returned", false, 2},   // not work done
      {"cy", "packed", false, 7},      // no staff time: no rate, not in the shop's
  };
  const LaborFigures l = Labor(a, rules, Window{});
  CHECK(l.by_operator.at("ann").pieces == doctest::Approx(10));
  CHECK(l.by_operator.at("ann").staff_hours == doctest::Approx(4));
  CHECK(*l.by_operator.at("ann").pieces_per_hour == doctest::Approx(2.5));
  CHECK(*l.by_operator.at("bob").pieces_per_hour == doctest::Approx(2));
  CHECK(l.by_operator.at("cy").pieces == doctest::Approx(7));
  CHECK_FALSE(l.by_operator.at("cy").pieces_per_hour.has_value());
  CHECK(l.pieces == doctest::Approx(14));
  CHECK(l.staff_hours == doctest::Approx(6));
  CHECK(*l.pieces_per_hour == doctest::Approx(14.0 / 6));
  CHECK_FALSE(Labor(ActivityTotals{}, rules, Window{}).pieces_per_hour.has_value());
}

TEST_CASE("design_conversion_pct, engagement_pct, production_hours and csi in the report") {
  Rules rules;
  const Window w = Between(100, 200);
  std::vector<OrderSummary> orders;
  // d1: submitted 110, shipped 150, engaged -> converted, engaged.
  OrderSummary d1 = Order("d1", 110, 150);
  d1.engaged = true;
  d1.packed_at = H(140);  // 30 h for 2 items
  d1.items = 2;
  // d2: submitted 120, shipped 160, returned wrong_size -> not converted.
  OrderSummary d2 = Order("d2", 120, 160);
  d2.return_reasons = {"wrong_size"};
  d2.packed_at = H(150);  // 30 h for 1 item (items absent)
  // d3: submitted 130, never shipped -> not converted.
  OrderSummary d3 = Order("d3", 130, std::nullopt);
  // d4: submitted 90 (before the window), shipped 170 -> shipped in window,
  // not submitted in it; packed at 95 (outside).
  OrderSummary d4 = Order("d4", 90, 170);
  d4.packed_at = H(95);
  // d5: submitted 140, shipped 180, returned for a non-accuracy reason ->
  // converted; cancelled d6 (submitted 150) -> not converted.
  OrderSummary d5 = Order("d5", 140, 180);
  d5.return_reasons = {"changed_mind"};
  OrderSummary d6 = Order("d6", 150, std::nullopt);
  d6.cancelled_at = H(151);
  orders = {d1, d2, d3, d4, d5, d6};

  ActivityTotals activity;
  activity.score_micros = (9 + 7 + 8) * 1'000'000;
  activity.responses = 3;
  KpiAccumulator acc(rules, w);
  for (const OrderSummary& o : orders) acc.Add(o);
  const KpiReport r = acc.Finish({}, activity);

  CHECK(r.designs_submitted == 5);  // d1, d2, d3, d5, d6
  REQUIRE(r.design_conversion_pct.has_value());
  CHECK(*r.design_conversion_pct == doctest::Approx(40));  // d1, d5
  CHECK(r.shipped == 4);                                   // d1, d2, d4, d5
  CHECK(*r.engagement_pct == doctest::Approx(25));         // d1
  CHECK(r.production_orders == 2);                         // d1, d2
  CHECK(*r.production_hours == doctest::Approx((30.0 + 30.0) / 3));
  CHECK(*r.csi == doctest::Approx(8));
  CHECK(r.csi_responses == 3);
  // Without activity: csi, retention and labor are null, the rest stand.
  KpiAccumulator bare(rules, w);
  for (const OrderSummary& o : orders) bare.Add(o);
  const KpiReport b = bare.Finish({});
  CHECK_FALSE(b.csi.has_value());
  CHECK_FALSE(b.retention_pct.has_value());
  CHECK_FALSE(b.labor_pieces_per_hour.has_value());
  CHECK(*b.design_conversion_pct == doctest::Approx(40));
}

TEST_CASE("design_submitted_stage: a design stage apart from the confirmation") {
  Rules rules;
  rules.extra_kinds.push_back("design_submitted");
  rules.design_submitted_stage = "design_submitted";
  StageEvent sub;
  sub.order_id = "A";
  sub.stage = "design_submitted";
  sub.stage_time = sub.received_at = H(1);
  StageEvent conf = sub;
  conf.stage = "confirmed";
  conf.stage_time = conf.received_at = H(5);
  const OrderSummary s = SummarizeOrder({conf, sub}, rules);
  REQUIRE(s.submitted_at.has_value());
  CHECK(*s.submitted_at == H(1));
  CHECK(*s.confirmed_at == H(5));
  CHECK(s.production_stage == "confirmed");  // an extra kind is no production stage
}

StageEvent Ev(const std::string& stage, double h) {
  StageEvent e;
  e.order_id = "A";
  e.stage = stage;
  e.stage_time = e.received_at = H(h);
  return e;
}

TEST_CASE("Summary: items, packed, engaged; extra kinds are never the production stage") {
  Rules rules;
  StageEvent confirmed = Ev("confirmed", 0);
  confirmed.items = 3;
  StageEvent feedback = Ev("feedback", 60);
  feedback.score = 9;
  const std::vector<StageEvent> events = {confirmed, Ev("packed", 40), Ev("shipped", 48),
                                          Ev("review", 50), feedback};
  const OrderSummary s = SummarizeOrder(events, rules);
  CHECK(s.items == 3);
  CHECK(*s.packed_at == H(40));
  CHECK(s.engaged);
  CHECK(s.production_stage == "shipped");
  CHECK(*s.production_stage_at == H(48));
  CHECK(s.current_stage == "feedback");  // the timeline's last event
  // Appending an extra kind keeps the incremental summary equal to a rebuild.
  OrderSummary inc = SummarizeOrder({confirmed, Ev("packed", 40), Ev("shipped", 48)}, rules);
  REQUIRE(AppendToSummary(inc, Ev("review", 50), rules));
  REQUIRE(AppendToSummary(inc, feedback, rules));
  const OrderSummary full = SummarizeOrder(events, rules);
  CHECK(inc.engaged == full.engaged);
  CHECK(inc.production_stage == full.production_stage);
  CHECK(inc.production_stage_at == full.production_stage_at);
  CHECK(inc.current_stage == full.current_stage);
  // Not declared in extra_kinds: a review engages nothing (and is rejected at
  // validation, below).
  Rules bare;
  bare.extra_kinds.clear();
  CHECK_FALSE(SummarizeOrder(events, bare).engaged);
}

Result<StageEvent> Check(EventFields f, const Rules& rules = Rules{}) {
  const MessageContext m{"shop/events", "{}", H(0)};
  return Validate(std::move(f), m, rules);
}

EventFields Fields(const std::string& stage) {
  EventFields f;
  f.stage = stage;
  f.order_id = "A1";
  return f;
}

TEST_CASE("Validation of extra kinds: shifts, feedback scores, items") {
  EventFields shift;
  shift.stage = "shift_start";
  shift.operator_name = "ann";
  REQUIRE(Check(shift));
  CHECK(Check(shift).value().order_id.empty());
  EventFields nobody = shift;
  nobody.operator_name.reset();
  CHECK(Check(nobody).error().message == "stage 'shift_start' needs an 'operator'");
  EventFields with_order = shift;
  with_order.order_id = "A1";
  CHECK_FALSE(Check(with_order));

  EventFields feedback = Fields("feedback");
  CHECK(Check(feedback).error().message == "field 'score' is missing (stage \"feedback\")");
  feedback.score = 10;
  REQUIRE(Check(feedback));
  CHECK(*Check(feedback).value().score == 10);
  feedback.score = 11;
  CHECK(Check(feedback).error().message == "field 'score' must be a number from 1 to 10");
  Rules five;
  five.csi_min = 1;
  five.csi_max = 5;
  feedback.score = 6;
  CHECK_FALSE(Check(feedback, five));
  EventFields scored = Fields("polished");
  scored.score = 5;
  CHECK(Check(scored).error().message == "field 'score' is only for stage \"feedback\"");

  EventFields items = Fields("confirmed");
  items.items = 4;
  CHECK(*Check(items).value().items == 4);
  for (double bad : {0.0, 2.5, -1.0, 1e9}) {
    items.items = bad;
    CHECK(Check(items).error().message == "field 'items' must be a whole number from 1 to 10000");
  }
  // An undeclared kind is an unknown stage.
  Rules none;
  none.extra_kinds.clear();
  CHECK(Check(Fields("review"), none).error().message ==
        "field 'stage' is not a known stage: 'review'");
  // A shift event is no order's: without the kind declared, no order_id is an error.
  CHECK(Check(shift, none).error().message == "field 'order_id' is missing");
}

}  // namespace
}  // namespace floortrack

namespace floortrack {
namespace {

TEST_CASE("NeedsActivity: only a band on retention_pct, csi or labor_pieces_per_hour") {
  KpiTargets targets;  // the defaults give none of them a band
  CHECK_FALSE(NeedsActivity(targets));
  targets.bands["engagement_pct"] = {50.0, std::nullopt};  // from order summaries
  CHECK_FALSE(NeedsActivity(targets));
  targets.bands["csi"] = {std::nullopt, std::nullopt};  // "any": no band
  CHECK_FALSE(NeedsActivity(targets));
  targets.bands["csi"] = {8.0, std::nullopt};
  CHECK(NeedsActivity(targets));
  KpiTargets labor;
  labor.bands["labor_pieces_per_hour"] = {std::nullopt, 4.0};
  CHECK(NeedsActivity(labor));
}

}  // namespace
}  // namespace floortrack
