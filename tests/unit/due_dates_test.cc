// Unit tests of due dates and corrections: on_time_pct, late and at-risk
// orders (core/due_dates.h), cancelled / on_hold / void effects on the order
// summary and the KPIs (core/corrections.h). Every figure hand-computed.
#include "core/due_dates.h"

#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "core/corrections.h"
#include "core/kpi.h"
#include "core/order_summary.h"

namespace floortrack {
namespace {

constexpr std::int64_t kT0 = 1'780'000'000'000;  // arbitrary epoch ms base
constexpr std::int64_t kHour = 3'600'000;

TimePoint H(double hours) { return FromEpochMs(kT0 + static_cast<std::int64_t>(hours * kHour)); }

StageEvent Ev(const std::string& order, const std::string& key, const std::string& stage,
              double h) {
  StageEvent e;
  e.event_key = key;
  e.order_id = order;
  e.stage = stage;
  e.stage_time = H(h);
  e.received_at = H(h);
  return e;
}

StageEvent Confirmed(const std::string& order, double h, std::optional<double> promised_h) {
  StageEvent e = Ev(order, order + "-c", "confirmed", h);
  if (promised_h) e.promised_at = H(*promised_h);
  return e;
}

StageEvent Void(const std::string& order, const std::string& key, const std::string& target,
                double h) {
  StageEvent e = Ev(order, key, kStageVoid, h);
  e.voids = target;
  return e;
}

TEST_CASE("IsControlStage: the four control stages, no production stage") {
  for (const char* s : {"cancelled", "on_hold", "resumed", "void"}) CHECK(IsControlStage(s));
  for (const std::string& s : Rules{}.stages) CHECK_FALSE(IsControlStage(s));
}

TEST_CASE("Summary: promise from the first confirmed carrying one; production stage entry") {
  Rules rules;
  std::vector<StageEvent> events = {Confirmed("A", 0, std::nullopt), Confirmed("A", 1, 50),
                                    Ev("A", "p1", "printed", 2),     Ev("A", "q1", "qc", 3),
                                    Ev("A", "p2", "polished", 4),    Ev("A", "q2", "qc", 5),
                                    Ev("A", "q3", "qc", 6)};
  events[1].event_key = "A-c2";
  const OrderSummary s = SummarizeOrder(events, rules);
  REQUIRE(s.promised_at);
  CHECK(*s.promised_at == H(50));
  CHECK(s.production_stage == "qc");
  CHECK(*s.production_stage_at == H(5));  // re-entered qc at 5 (rework), not 3, not 6
}

TEST_CASE(
    "Summary: cancelled, on_hold/resumed; AppendToSummary leaves control events to a rebuild") {
  Rules rules;
  std::vector<StageEvent> events = {Confirmed("A", 0, 48), Ev("A", "p", "printed", 2),
                                    Ev("A", "h", "on_hold", 3)};
  OrderSummary s = SummarizeOrder(events, rules);
  CHECK(s.on_hold);
  CHECK(s.current_stage == "on_hold");
  CHECK(s.production_stage == "printed");
  CHECK(*s.production_stage_at == H(2));
  CHECK_FALSE(AppendToSummary(s, Ev("A", "r", "resumed", 4), rules));
  events.push_back(Ev("A", "r", "resumed", 4));
  s = SummarizeOrder(events, rules);
  CHECK_FALSE(s.on_hold);
  // A production event after the hold appends as before and keeps the hold state.
  OrderSummary appended = s;
  CHECK(AppendToSummary(appended, Ev("A", "c", "cast", 5), rules));
  events.push_back(Ev("A", "c", "cast", 5));
  const OrderSummary rebuilt = SummarizeOrder(events, rules);
  CHECK(appended.production_stage == rebuilt.production_stage);
  CHECK(*appended.production_stage_at == *rebuilt.production_stage_at);
  CHECK(appended.event_count == rebuilt.event_count);
  events.push_back(Ev("A", "x", "cancelled", 6));
  s = SummarizeOrder(events, rules);
  REQUIRE(s.cancelled_at);
  CHECK(*s.cancelled_at == H(6));
}

TEST_CASE("Summary: a void removes its event, before or after it arrives; both stay counted") {
  Rules rules;
  StageEvent printed = Ev("A", "p-1", "printed", 2);
  printed.material = Material{"resin", 10, 2, 0};
  printed.material_cost = 5;
  StageEvent fail = Ev("A", "q-1", "qc", 3);
  fail.result = StageResult::kFail;
  const std::vector<StageEvent> with_void = {
      Confirmed("A", 0, 48), printed, fail, Void("A", "v-1", "q-1", 4), Void("A", "v-2", "p-1", 5)};
  const OrderSummary s = SummarizeOrder(with_void, rules);
  CHECK(s.event_count == 5);
  CHECK(s.void_events == 2);
  CHECK(s.current_stage == "confirmed");
  CHECK_FALSE(s.failed_before_ship);
  CHECK(s.material_used_g == 0);
  CHECK(s.material_cost == 0);
  // The void arrives first (out of order): once the event arrives it is voided too.
  OrderSummary early = SummarizeOrder({Confirmed("A", 0, 48), Void("A", "v-1", "q-1", 4)}, rules);
  CHECK_FALSE(AppendToSummary(early, fail, rules));  // an order with voids is always recomputed
  early = SummarizeOrder({Confirmed("A", 0, 48), Void("A", "v-1", "q-1", 4), fail}, rules);
  CHECK_FALSE(early.failed_before_ship);
  CHECK(early.current_stage == "confirmed");
  // A void of an unknown id, of another order's event, or of a void changes nothing.
  const OrderSummary noop = SummarizeOrder(
      {Confirmed("A", 0, 48), fail, Void("A", "v-1", "nope", 4), Void("A", "v-3", "v-1", 5)},
      rules);
  CHECK(noop.failed_before_ship);
  CHECK(noop.current_stage == "qc");
  // A batch event's per-order key "<id>/<order>" is voided by the batch event's id.
  StageEvent batch = Ev("A", "cast-7/A", "cast", 2);
  const OrderSummary b =
      SummarizeOrder({Confirmed("A", 0, 48), batch, Void("A", "v-9", "cast-7", 3)}, rules);
  CHECK(b.current_stage == "confirmed");
}

OrderSummary Shipped(const std::string& id, double confirmed_h, double shipped_h,
                     std::optional<double> promised_h) {
  OrderSummary o;
  o.order_id = id;
  o.confirmed_at = H(confirmed_h);
  o.shipped_at = H(shipped_h);
  if (promised_h) o.promised_at = H(*promised_h);
  return o;
}

TEST_CASE("on_time_pct: shipped in the window by the promise, over those with one") {
  Rules rules;
  const Window window{H(100), H(200)};
  std::vector<OrderSummary> orders = {
      Shipped("A", 0, 120, 120),           // on time (exactly at the promise)
      Shipped("B", 0, 130, 125),           // late
      Shipped("C", 0, 140, std::nullopt),  // no promise: not counted
      Shipped("D", 0, 150, 160),           // on time
      Shipped("E", 0, 90, 80),             // shipped before the window
  };
  OrderSummary cancelled = Shipped("F", 0, 160, 100);
  cancelled.cancelled_at = H(170);  // cancelled: no turnaround, no on_time
  orders.push_back(cancelled);
  KpiReport r = ComputeKpis(orders, {}, rules, window);
  CHECK(r.with_promise == 3);
  REQUIRE(r.on_time_pct);
  CHECK(*r.on_time_pct == doctest::Approx(200.0 / 3));
  CHECK(r.turnaround.count == 4);  // A, B, C, D: F is cancelled
  // A default of 6 days (144 h) promises C confirmed_at + 144 h: on time.
  rules.default_promise_days = 6;
  r = ComputeKpis(orders, {}, rules, window);
  CHECK(r.with_promise == 4);
  CHECK(*r.on_time_pct == doctest::Approx(75.0));
  CHECK(r.targets.kpis.at("on_time_pct").status == TargetStatus::kBelow);  // [95, inf)
}

TEST_CASE("KPIs: a cancelled order is not open") {
  OrderSummary open;
  open.order_id = "A";
  open.confirmed_at = H(0);
  OrderSummary cancelled = open;
  cancelled.order_id = "B";
  cancelled.cancelled_at = H(5);
  const KpiReport r = ComputeKpis({open, cancelled}, {}, Rules{}, Window{H(0), H(10)});
  CHECK(r.open == 1);
  CHECK(r.confirmed == 2);
  // Before the cancellation it was open.
  CHECK(ComputeKpis({open, cancelled}, {}, Rules{}, Window{H(0), H(4)}).open == 2);
}

// Shipped history for the expectations: now = 1000 h.
std::vector<std::vector<StageEvent>> History() {
  return {
      // S1: qc entered at 900, shipped 930 -> qc 30 h; printed 880 -> 50 h.
      {Confirmed("S1", 870, std::nullopt), Ev("S1", "S1p", "printed", 880),
       Ev("S1", "S1q", "qc", 900), Ev("S1", "S1s", "shipped", 930)},
      // S2: qc at 950 (after a rework loop: qc 940, polished 945, qc 950), shipped 960 -> 10 h.
      {Confirmed("S2", 900, std::nullopt), Ev("S2", "S2q1", "qc", 940),
       Ev("S2", "S2o", "polished", 945), Ev("S2", "S2q2", "qc", 950),
       Ev("S2", "S2s", "shipped", 960)},
      // S3: qc 970, shipped 990 -> 20 h; a voided qc at 980 does not count.
      {Confirmed("S3", 960, std::nullopt), Ev("S3", "S3q", "qc", 970),
       Ev("S3", "S3o", "polished", 980), Void("S3", "S3v", "S3o", 981),
       Ev("S3", "S3s", "shipped", 990)},
      // Too old (shipped 960 h before now): ignored.
      {Confirmed("OLD", 0, std::nullopt), Ev("OLD", "OLDq", "qc", 10),
       Ev("OLD", "OLDs", "shipped", 40)},
      // Cancelled after shipping: ignored.
      {Confirmed("X", 900, std::nullopt), Ev("X", "Xq", "qc", 901), Ev("X", "Xs", "shipped", 902),
       Ev("X", "Xc", "cancelled", 903)},
  };
}

TEST_CASE("RemainingAccumulator: p50 per stage of first shipment - last entry, last 30 days") {
  Rules rules;
  RemainingAccumulator acc(rules, H(1000));
  for (auto& t : History()) acc.Add(t);
  const auto remaining = acc.Finish();
  REQUIRE(remaining.count("qc"));
  CHECK(remaining.at("qc").count == 3);        // 10, 20, 30
  CHECK(remaining.at("qc").p50_hours == 20);   // nearest rank 2 of 3
  CHECK(remaining.at("polished").count == 1);  // S2 only: S3's polished is voided
  CHECK(remaining.at("polished").p50_hours == 15);
  CHECK(remaining.at("printed").p50_hours == 50);
  CHECK(remaining.at("confirmed").count == 3);  // 60, 60, 30 -> 60
  CHECK(remaining.at("confirmed").p50_hours == 60);
  CHECK(remaining.count("void") == 0);
}

OrderSummary Open(const std::string& id, const std::string& stage, double entered_h,
                  std::optional<double> promised_h) {
  OrderSummary o;
  o.order_id = id;
  o.confirmed_at = H(900);
  o.production_stage = stage;
  o.production_stage_at = H(entered_h);
  o.current_stage = stage;
  if (promised_h) o.promised_at = H(*promised_h);
  return o;
}

TEST_CASE("ComputeLate: late, at risk, and what is neither") {
  Rules rules;
  std::map<std::string, StageRemaining> remaining = {{"qc", {3, 20}}, {"printed", {1, 50}}};
  std::vector<OrderSummary> orders = {
      Open("L1", "qc", 990, 995),           // promise past 5 h ago: late
      Open("L2", "qc", 980, 960),           // 40 h overdue: late, first
      Open("R1", "qc", 995, 1010),          // expected 1015 > 1010: at risk, margin -5
      Open("R2", "printed", 990, 1030),     // expected 1040: at risk, margin -10
      Open("OK", "qc", 995, 1020),          // expected 1015 <= 1020: fine
      Open("N", "cast", 990, 1001),         // no expectation for cast: not at risk
      Open("NP", "qc", 999, std::nullopt),  // no promise, no default: neither
  };
  OrderSummary held = Open("H", "qc", 995, 1010);
  held.on_hold = true;  // would be at risk: held orders are not
  orders.push_back(held);
  OrderSummary held_late = Open("HL", "qc", 995, 999);
  held_late.on_hold = true;  // past its promise: late all the same, flagged on hold
  orders.push_back(held_late);
  OrderSummary cancelled = Open("C", "qc", 995, 990);
  cancelled.cancelled_at = H(996);
  orders.push_back(cancelled);
  OrderSummary shipped = Open("S", "qc", 995, 990);
  shipped.shipped_at = H(997);
  orders.push_back(shipped);

  const LateReport r = ComputeLate(orders, remaining, rules, H(1000));
  CHECK(r.generated_at == H(1000));
  REQUIRE(r.late.size() == 3);
  CHECK(r.late[0].order_id == "L2");
  CHECK(r.late[0].overdue_hours == 40);
  CHECK(r.late[1].order_id == "L1");
  CHECK(r.late[1].overdue_hours == 5);
  CHECK(r.late[2].order_id == "HL");
  CHECK(r.late[2].on_hold);
  REQUIRE(r.at_risk.size() == 2);
  CHECK(r.at_risk[0].order_id == "R2");
  CHECK(r.at_risk[0].margin_hours == -10);
  CHECK(r.at_risk[0].expected_ship_at == H(1040));
  CHECK(r.at_risk[0].expected_remaining_hours == 50);
  CHECK(r.at_risk[1].order_id == "R1");
  CHECK(r.at_risk[1].margin_hours == -5);

  // A default promise of 4 days (96 h from confirmation at 900 = 996): NP is late by 4 h.
  rules.default_promise_days = 4;
  const LateReport d = ComputeLate(orders, remaining, rules, H(1000));
  bool found = false;
  for (const LateOrder& o : d.late)
    if (o.order_id == "NP") {
      found = true;
      CHECK(o.promise_is_default);
      CHECK(o.overdue_hours == 4);
    }
  CHECK(found);
}

}  // namespace
}  // namespace floortrack
