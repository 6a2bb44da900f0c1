// Alert rules and the alert book (core/alerts.h), on hand-made values.
#include "core/alerts.h"

#include <doctest/doctest.h>

namespace floortrack {
namespace {

using std::chrono::hours;
using std::chrono::minutes;

TimePoint At(const char* t) { return *ParseRfc3339(t); }

OrderSummary Open(const char* id, const char* stage, TimePoint entered) {
  OrderSummary o;
  o.order_id = id;
  o.confirmed_at = entered - hours(1);
  o.current_stage = stage;
  o.current_stage_at = entered;
  return o;
}

TEST_CASE("StuckOrders: past the stage's limit (override or default), open orders only") {
  AlertRules rules;  // 48 h by default
  rules.max_stage_hours_by_stage["cast"] = 24;
  const TimePoint now = At("2026-11-24T12:00:00Z");
  OrderSummary shipped = Open("S", "shipped", now - hours(100));
  shipped.shipped_at = now - hours(100);
  OrderSummary unconfirmed = Open("U", "printed", now - hours(100));
  unconfirmed.confirmed_at.reset();
  const auto alerts = StuckOrders({Open("A", "polished", now - hours(49)),  // 49 > 48
                                   Open("B", "polished", now - hours(48)),  // not more than 48
                                   Open("C", "cast", now - hours(25)),      // 25 > 24
                                   shipped, unconfirmed},
                                  now, rules);
  REQUIRE(alerts.size() == 2);
  CHECK(alerts[0].id == "stuck/A");
  CHECK(alerts[0].message == "A in polished for 49.0 h (limit 48.0 h)");
  CHECK(alerts[1].id == "stuck/C");
  CHECK(alerts[1].rule == "stuck");
  CHECK(alerts[1].subject == "C");
}

TEST_CASE("StuckOrders: a held or cancelled order is never stuck; the production stage counts") {
  const TimePoint now = At("2026-11-24T12:00:00Z");
  OrderSummary held = Open("H", "polished", now - hours(60));
  held.on_hold = true;
  OrderSummary cancelled = Open("X", "polished", now - hours(60));
  cancelled.cancelled_at = now - hours(1);
  OrderSummary resumed = Open("R", "resumed", now - hours(1));  // resumed an hour ago
  resumed.production_stage = "polished";                        // in polished for 60 h
  resumed.production_stage_at = now - hours(60);
  const auto alerts = StuckOrders({held, cancelled, resumed}, now, AlertRules{});
  REQUIRE(alerts.size() == 1);
  CHECK(alerts[0].message == "R in polished for 60.0 h (limit 48.0 h)");
}

TEST_CASE("LateOrders: late/<order> and at_risk/<order> from the late report") {
  LateReport r;
  LateOrder late;
  late.order_id = "A1042";
  late.promised_at = At("2026-11-23T12:00:00Z");
  late.current_stage = "qc";
  late.overdue_hours = 24;
  r.late.push_back(late);
  AtRiskOrder risk;
  risk.order_id = "A2";
  risk.promised_at = At("2026-11-25T12:00:00Z");
  risk.current_stage = "cast";
  risk.expected_ship_at = At("2026-11-26T00:00:00Z");
  risk.margin_hours = -12;
  r.at_risk.push_back(risk);
  const auto alerts = LateOrders(r);
  REQUIRE(alerts.size() == 2);
  CHECK(alerts[0].id == "late/A1042");
  CHECK(alerts[0].message == "A1042 is 24.0 h past its promise (2026-11-23T12:00:00Z), in qc");
  CHECK(alerts[1].id == "at_risk/A2");
  CHECK(alerts[1].message ==
        "A2 in cast is expected to ship 2026-11-26T00:00:00Z, 12.0 h after its promise "
        "(2026-11-25T12:00:00Z)");
}

TEST_CASE("KpisOffTarget: below or above the band, per KPI and per material; no_data is quiet") {
  KpiReport r;
  r.order_accuracy_pct = 96.0;
  r.aov = 100.0;
  r.materials["silver"].loss_pct = 7.5;
  r.targets = JudgeTargets(r, KpiTargets{});
  const auto alerts = KpisOffTarget(r, AlertRules{});
  REQUIRE(alerts.size() == 2);
  CHECK(alerts[0].id == "kpi/order_accuracy_pct");
  CHECK(alerts[0].message ==
        "order_accuracy_pct 96.0 is below its target (at least 98.0) over the last 7.0 days");
  CHECK(alerts[1].id == "kpi/silver.loss_pct");
}

TEST_CASE("SilentDevices: working minutes since the last event, not wall-clock minutes") {
  AlertRules rules;
  rules.watch = {{"printer-1", "octoprint/p1/#"}, {"qc-1", "floor/qc/qc-1/#"}};
  rules.silent_after_min = 60;
  const FixedOffsetZone utc;
  const WorkingHours h = DefaultWorkingHours();  // Mon-Fri 08-18
  // Monday 2026-11-30 08:30: printer-1 last seen Friday 17:30 -> 30 + 30 = 60 working minutes.
  const TimePoint now = At("2026-11-30T08:30:00Z");
  const std::map<std::string, TimePoint> last = {{"printer-1", At("2026-11-27T17:30:00Z")},
                                                 {"qc-1", At("2026-11-30T08:00:00Z")}};
  auto alerts = SilentDevices(last, At("2026-11-27T00:00:00Z"), now, rules, h, utc);
  REQUIRE(alerts.size() == 1);
  CHECK(alerts[0].id == "silent/printer-1");
  // Sunday: nobody works, nothing is silent however long.
  CHECK(SilentDevices({}, At("2026-11-28T00:00:00Z"), At("2026-11-29T23:00:00Z"), rules, h, utc)
            .empty());
}

TEST_CASE("RejectRate: above the threshold with enough messages") {
  AlertRules rules;                           // 10 %, at least 20 messages
  CHECK(RejectRate(100, 10, rules).empty());  // exactly 10 %: not above
  CHECK(RejectRate(100, 11, rules).size() == 1);
  CHECK(RejectRate(19, 19, rules).empty());  // too few to judge
  CHECK(RejectRate(100, 11, rules)[0].id == "reject_rate/shop");
}

TEST_CASE("AlertBook: fires once, resolves once after the hold, no flapping") {
  AlertBook book(minutes(10));
  const Alert a{"stuck/A", "stuck", "A", "A in cast for 30 h"};
  const TimePoint t0 = At("2026-11-24T12:00:00Z");
  auto c = book.Update({a}, t0);
  REQUIRE(c.size() == 1);
  CHECK(c[0].fired);
  CHECK(book.Update({a}, t0 + minutes(1)).empty());  // still holding: nothing new
  CHECK(book.Update({}, t0 + minutes(2)).empty());   // gone, but not for 10 min yet
  CHECK(book.Update({a}, t0 + minutes(5)).empty());  // back: still the same firing alert
  CHECK(book.Update({}, t0 + minutes(6)).empty());
  CHECK(book.Update({}, t0 + minutes(15)).empty());  // 9 min clear
  c = book.Update({}, t0 + minutes(16));             // 10 min clear: resolves
  REQUIRE(c.size() == 1);
  CHECK_FALSE(c[0].fired);
  CHECK(c[0].alert.id == "stuck/A");
  CHECK(book.firing().empty());
  CHECK(book.Update({}, t0 + minutes(30)).empty());       // resolved once only
  CHECK(book.Update({a}, t0 + minutes(31)).size() == 1);  // a new episode fires again
}

}  // namespace
}  // namespace floortrack
