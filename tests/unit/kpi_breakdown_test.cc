// Unit tests for the KPI breakdowns (core/kpi_breakdown.h), with groups
// computed by hand.
#include "core/kpi_breakdown.h"

#include <doctest/doctest.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace floortrack {
namespace {

constexpr std::int64_t kT0 = 1'700'000'000'000;  // arbitrary epoch ms base
constexpr std::int64_t kHour = 3'600'000;

TimePoint H(double hours) { return FromEpochMs(kT0 + static_cast<std::int64_t>(hours * kHour)); }

OrderSummary Order(const std::string& id, const std::string& product, const std::string& customer,
                   std::optional<double> confirmed_h, std::optional<double> shipped_h,
                   std::optional<double> value = std::nullopt) {
  OrderSummary o;
  o.order_id = id;
  o.product = product;
  o.customer_id = customer;
  if (confirmed_h) o.confirmed_at = H(*confirmed_h);
  if (shipped_h) o.shipped_at = H(*shipped_h);
  o.value = value;
  return o;
}

StageEvent Judged(double at_h, const std::string& station, const std::string& op,
                  StageResult result, const std::string& defect = "") {
  StageEvent e;
  e.order_id = "o";
  e.stage = "qc";
  e.stage_time = H(at_h);
  e.station = station;
  e.operator_name = op;
  e.result = result;
  e.defect = defect;
  return e;
}

TEST_CASE("breakdown key names round-trip; unknown names are nullopt") {
  for (const char* name : {"product", "customer", "material", "station", "operator", "defect"}) {
    auto key = BreakdownKeyFromName(name);
    REQUIRE(key);
    CHECK(std::string(BreakdownKeyName(*key)) == name);
  }
  CHECK_FALSE(BreakdownKeyFromName("bogus"));
  CHECK_FALSE(BreakdownKeyFromName(""));
  CHECK(IsOrderLevel(BreakdownKey::kProduct));
  CHECK(IsEventLevel(BreakdownKey::kDefect));
  CHECK_FALSE(IsOrderLevel(BreakdownKey::kMaterial));
  CHECK_FALSE(IsEventLevel(BreakdownKey::kMaterial));
}

TEST_CASE("by product: each group is the KPIs of its orders alone") {
  const Rules rules;
  const Window window{H(0), H(100)};
  std::vector<OrderSummary> orders = {
      Order("r1", "ring", "c1", 1, 11, 100),            // ring: turnaround 10 h
      Order("r2", "ring", "c2", 2, 32, 300),            // ring: turnaround 30 h
      Order("r3", "ring", "c1", 3, std::nullopt, 200),  // ring: open
      Order("p1", "pendant", "c1", 5, 25, 50),          // pendant: 20 h
      Order("x1", "", "", 6, 10),                       // no product: (none), no value
      Order("old", "bracelet", "c9", -50, -10),         // outside the window: no group
  };
  orders[1].failed_before_ship = true;
  OrderBreakdown by(rules, window, BreakdownKey::kProduct);
  for (const OrderSummary& o : orders) by.Add(o);
  const auto groups = by.Finish();
  REQUIRE(groups.size() == 3);
  CHECK(groups.count("bracelet") == 0);

  const KpiReport& ring = groups.at("ring");
  CHECK(ring.confirmed == 3);
  CHECK(ring.shipped == 2);
  CHECK(ring.open == 1);
  CHECK(ring.turnaround.count == 2);
  CHECK(*ring.turnaround.p50 == doctest::Approx(10));
  CHECK(*ring.turnaround.p90 == doctest::Approx(30));
  CHECK(*ring.first_pass_yield_pct == doctest::Approx(50));  // r2 failed
  CHECK(*ring.order_accuracy_pct == doctest::Approx(100));
  CHECK(*ring.aov == doctest::Approx(200));                 // (100 + 300 + 200) / 3
  CHECK(*ring.repeat_customer_pct == doctest::Approx(50));  // c1 twice, c2 once
  CHECK_FALSE(ring.material_yield_pct);
  CHECK(ring.materials.empty());

  const KpiReport& pendant = groups.at("pendant");
  CHECK(pendant.shipped == 1);
  CHECK(*pendant.turnaround.p50 == doctest::Approx(20));
  CHECK(*pendant.aov == doctest::Approx(50));

  const KpiReport& none = groups.at(kNoValue);
  CHECK(none.shipped == 1);
  CHECK_FALSE(none.aov);

  // Each group equals ComputeKpis over its orders alone.
  std::vector<OrderSummary> rings(orders.begin(), orders.begin() + 3);
  const KpiReport direct = ComputeKpis(rings, MaterialTotals{}, rules, window);
  CHECK(direct.turnaround.mean == ring.turnaround.mean);
  CHECK(direct.aov == ring.aov);
  CHECK(direct.first_pass_yield_pct == ring.first_pass_yield_pct);
}

TEST_CASE("by customer groups by customer_id, empty as (none)") {
  const Window window{H(0), std::nullopt};
  OrderBreakdown by(Rules{}, window, BreakdownKey::kCustomer);
  by.Add(Order("a", "ring", "c1", 1, 5, 10));
  by.Add(Order("b", "pendant", "c1", 2, 4, 30));
  by.Add(Order("c", "ring", "", 3, std::nullopt));
  const auto groups = by.Finish();
  REQUIRE(groups.size() == 2);
  CHECK(groups.at("c1").shipped == 2);
  CHECK(*groups.at("c1").aov == doctest::Approx(20));
  CHECK(*groups.at("c1").repeat_customer_pct == doctest::Approx(100));
  CHECK(groups.at(kNoValue).open == 1);
  CHECK(groups.at(kNoValue).shipped == 0);
}

TEST_CASE("by station and by operator: judged, passed, failed, first pass, defects") {
  const Window window{H(0), H(10)};
  const std::vector<StageEvent> events = {
      Judged(1, "printer-1", "ana", StageResult::kPass),
      Judged(2, "printer-1", "ana", StageResult::kFail, "porosity"),
      Judged(3, "printer-1", "ben", StageResult::kFail, "porosity"),
      Judged(4, "printer-1", "ben", StageResult::kPass),
      Judged(5, "polish-2", "ben", StageResult::kFail),
      Judged(6, "polish-2", "", StageResult::kNone),       // no result: skipped
      Judged(11, "printer-1", "ana", StageResult::kFail),  // after until: skipped
  };
  EventBreakdown stations(window, BreakdownKey::kStation);
  EventBreakdown operators(window, BreakdownKey::kOperator);
  for (const StageEvent& e : events) {
    stations.Add(e);
    operators.Add(e);
  }
  const auto s = stations.Judged();
  REQUIRE(s.size() == 2);
  const JudgedStats& printer = s.at("printer-1");
  CHECK(printer.judged == 4);
  CHECK(printer.passed == 2);
  CHECK(printer.failed == 2);
  CHECK(*printer.first_pass_pct == doctest::Approx(50));
  CHECK(printer.defects.at("porosity") == 2);
  const JudgedStats& polish = s.at("polish-2");
  CHECK(polish.judged == 1);
  CHECK(*polish.first_pass_pct == doctest::Approx(0));
  CHECK(polish.defects.at(kNoValue) == 1);
  CHECK(stations.Defects().empty());

  const auto o = operators.Judged();
  REQUIRE(o.size() == 2);
  CHECK(o.at("ana").judged == 2);
  CHECK(*o.at("ana").first_pass_pct == doctest::Approx(50));
  CHECK(o.at("ben").judged == 3);
  CHECK(*o.at("ben").first_pass_pct == doctest::Approx(100.0 / 3));
}

TEST_CASE("by defect: failed events per defect and where they were found") {
  EventBreakdown by(Window{}, BreakdownKey::kDefect);
  by.Add(Judged(1, "printer-1", "ana", StageResult::kFail, "porosity"));
  by.Add(Judged(2, "caster", "ana", StageResult::kFail, "porosity"));
  by.Add(Judged(3, "printer-1", "ana", StageResult::kFail, "porosity"));
  by.Add(Judged(4, "", "ana", StageResult::kFail));
  by.Add(Judged(5, "printer-1", "ana", StageResult::kPass, "porosity"));  // passed: not a defect
  const auto& d = by.Defects();
  REQUIRE(d.size() == 2);
  CHECK(d.at("porosity").count == 3);
  CHECK(d.at("porosity").stations.at("printer-1") == 2);
  CHECK(d.at("porosity").stations.at("caster") == 1);
  CHECK(d.at(kNoValue).stations.at(kNoValue) == 1);
  CHECK(by.Judged().empty());
}

TEST_CASE("voided events count nowhere, by event_id or a batch event's per-order key") {
  EventBreakdown by(Window{}, BreakdownKey::kStation);
  by.AddVoid("o", "e1");
  by.AddVoid("o", "batch-7");
  by.AddVoid("other", "e3");  // a void of another order: names nothing of "o"
  StageEvent e1 = Judged(1, "qc-1", "ana", StageResult::kFail, "porosity");
  e1.event_key = "e1";
  StageEvent batch = Judged(2, "qc-1", "ana", StageResult::kFail);
  batch.event_key = "batch-7/o";
  StageEvent e3 = Judged(3, "qc-1", "ana", StageResult::kPass);
  e3.event_key = "e3";
  StageEvent void_event = Judged(4, "qc-1", "ana", StageResult::kNone);
  void_event.stage = "void";
  void_event.voids = "e1";
  for (const StageEvent& e : {e1, batch, e3, void_event}) by.Add(e);
  const auto s = by.Judged();
  REQUIRE(s.size() == 1);
  CHECK(s.at("qc-1").judged == 1);
  CHECK(s.at("qc-1").passed == 1);
  CHECK(s.at("qc-1").defects.empty());
}

}  // namespace
}  // namespace floortrack
