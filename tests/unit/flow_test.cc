// Unit tests for stage dwell, WIP and bottlenecks (core/flow.h), all figures
// worked out by hand (the same example as docs/kpi.md, "Flow").
#include "core/flow.h"

#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "core/order_summary.h"

namespace floortrack {
namespace {

constexpr std::int64_t kT0 = 1'700'000'000'000;
constexpr std::int64_t kHour = 3'600'000;

TimePoint H(double hours) { return FromEpochMs(kT0 + static_cast<std::int64_t>(hours * kHour)); }

StageEvent Ev(const std::string& order, const std::string& stage, double hours,
              const std::string& station = "", StageResult result = StageResult::kNone) {
  StageEvent e;
  e.order_id = order;
  e.stage = stage;
  e.stage_time = H(hours);
  e.received_at = e.stage_time;
  e.station = station;
  e.result = result;
  return e;
}

std::vector<StageEvent> Sorted(std::vector<StageEvent> events) {
  SortTimeline(events, Rules{});
  return events;
}

// A: the rework loop printed -> failed QC -> polished (scanned twice) -> qc.
std::vector<StageEvent> OrderA() {
  return Sorted({Ev("A", "confirmed", 0, "web"), Ev("A", "print_started", 1, "p1"),
                 Ev("A", "printed", 5, "p1"), Ev("A", "qc", 6, "bench-q", StageResult::kFail),
                 Ev("A", "polished", 8, "bench-1"), Ev("A", "polished", 9, "bench-1"),
                 Ev("A", "qc", 10, "bench-q", StageResult::kPass), Ev("A", "packed", 11, "pack"),
                 Ev("A", "shipped", 12, "pack")});
}
std::vector<StageEvent> OrderB() {
  return Sorted({Ev("B", "confirmed", 2, "web"), Ev("B", "print_started", 3, "p2"),
                 Ev("B", "printed", 4, "p2")});
}
// C: its confirmed stay straddles since = 0 (entered at -5, left at 3).
std::vector<StageEvent> OrderC() {
  return Sorted({Ev("C", "confirmed", -5, "web"), Ev("C", "photo", 1, "cam"),
                 Ev("C", "print_started", 3, "p1")});
}
// D: both dwells end before the window.
std::vector<StageEvent> OrderD() {
  return Sorted({Ev("D", "confirmed", -10, "web"), Ev("D", "print_started", -2, "p1"),
                 Ev("D", "printed", -1, "p1")});
}

const FlowStats& Stage(const FlowReport& r, const std::string& stage) {
  for (const FlowStats& s : r.stages)
    if (s.stage == stage) return s;
  FAIL("no stage " << stage);
  return r.stages.front();
}

TEST_CASE("FlowOfOrder: a rework loop counts each stay; a repeat scan does not restart one") {
  OrderFlow f = FlowOfOrder(OrderA(), Rules{}, H(20));
  REQUIRE(f.dwells.size() == 7);
  const std::vector<std::string> stages = {
      "confirmed", "print_started", "printed", "qc", "polished", "qc", "packed"};
  const std::vector<double> hours = {1, 4, 1, 2, 2, 1, 1};
  for (std::size_t i = 0; i < stages.size(); ++i) {
    CHECK(f.dwells[i].stage == stages[i]);
    CHECK(f.dwells[i].hours == hours[i]);
  }
  CHECK(f.dwells[4].entered_at == H(8));  // the scan at 9 h is the same stay
  CHECK(f.dwells[4].left_at == H(10));
  CHECK(f.dwells[4].station == "bench-1");
  CHECK_FALSE(f.wip.has_value());  // shipped: terminal
}

TEST_CASE("FlowOfOrder: the last stay is WIP; unknown stages are ignored; returned is terminal") {
  OrderFlow b = FlowOfOrder(OrderB(), Rules{}, H(20));
  REQUIRE(b.wip.has_value());
  CHECK(b.wip->stage == "printed");
  CHECK(b.wip->hours == 16);
  CHECK(b.wip->station == "p2");

  OrderFlow c = FlowOfOrder(OrderC(), Rules{}, H(20));
  REQUIRE(c.dwells.size() == 1);  // "photo" is not a stage
  CHECK(c.dwells[0].hours == 8);

  OrderFlow r =
      FlowOfOrder(Sorted({Ev("R", "packed", 0), Ev("R", "shipped", 1), Ev("R", "returned", 30)}),
                  Rules{}, H(40));
  CHECK(r.dwells.size() == 1);  // packed; shipped -> returned is not floor time
  CHECK_FALSE(r.wip.has_value());
  // A production scan after the return puts it back on the floor.
  OrderFlow rework =
      FlowOfOrder(Sorted({Ev("R", "shipped", 1), Ev("R", "returned", 30), Ev("R", "polished", 35)}),
                  Rules{}, H(40));
  CHECK(rework.dwells.empty());
  REQUIRE(rework.wip.has_value());
  CHECK(rework.wip->hours == 5);
}

TEST_CASE("FlowAccumulator: dwell percentiles, WIP and bottlenecks by hand") {
  FlowAccumulator acc(Rules{}, Window{H(0), std::nullopt}, H(20), false);
  for (const auto& t : {OrderA(), OrderB(), OrderC(), OrderD()}) acc.Add(t);
  FlowReport r = acc.Finish();
  CHECK(r.as_of == H(20));
  REQUIRE(r.stages.size() == 8);  // Rules::stages without shipped, returned
  CHECK(r.stages.front().stage == "confirmed");
  CHECK(r.stages.back().stage == "packed");

  const FlowStats& confirmed = Stage(r, "confirmed");  // A 1, B 1, C 8 (D's ends at -2)
  CHECK(confirmed.count == 3);
  CHECK(*confirmed.p50_hours == 1);  // rank ceil(1.5) = 2 of [1, 1, 8]
  CHECK(*confirmed.p90_hours == 8);  // rank ceil(2.7) = 3
  CHECK(*confirmed.max_hours == 8);
  CHECK(confirmed.wip_count == 0);
  CHECK_FALSE(confirmed.wip_oldest_hours.has_value());

  const FlowStats& started = Stage(r, "print_started");  // A 4, B 1; WIP C since 3
  CHECK(started.count == 2);
  CHECK(*started.p50_hours == 1);
  CHECK(*started.p90_hours == 4);
  CHECK(started.wip_count == 1);
  CHECK(*started.wip_oldest_hours == 17);
  CHECK(started.wip_order_hours == 17);

  const FlowStats& printed = Stage(r, "printed");  // A 1; WIP B 16, D 21
  CHECK(printed.count == 1);
  CHECK(*printed.p90_hours == 1);
  CHECK(printed.wip_count == 2);
  CHECK(*printed.wip_oldest_hours == 21);
  CHECK(printed.wip_order_hours == 37);

  const FlowStats& qc = Stage(r, "qc");  // A 2 (failed), then 1
  CHECK(qc.count == 2);
  CHECK(*qc.p50_hours == 1);
  CHECK(*qc.p90_hours == 2);
  CHECK(Stage(r, "polished").count == 1);
  CHECK(*Stage(r, "polished").max_hours == 2);
  CHECK(Stage(r, "cast").count == 0);
  CHECK_FALSE(Stage(r, "cast").p50_hours.has_value());

  CHECK(r.bottleneck.wip == std::optional<std::string>("printed"));    // 37 order-hours
  CHECK(r.bottleneck.p90 == std::optional<std::string>("confirmed"));  // 8 h
  CHECK(r.by_station.empty());
}

TEST_CASE("FlowAccumulator: a dwell belongs to the window it ends in; WIP as of until") {
  // [6, 10) with now = 20: WIP is measured at 10 and events from 10 on are ignored.
  FlowAccumulator acc(Rules{}, Window{H(6), H(10)}, H(20), false);
  acc.Add(OrderA());
  FlowReport r = acc.Finish();
  CHECK(r.as_of == H(10));
  CHECK(Stage(r, "printed").count == 1);        // [5, 6) straddles since = 6: ends inside
  CHECK(Stage(r, "qc").count == 1);             // [6, 8) ends at 8
  CHECK(Stage(r, "print_started").count == 0);  // [1, 5) ends before the window
  CHECK(Stage(r, "polished").count == 0);       // [8, 10) would end at 10: not before until
  CHECK(Stage(r, "polished").wip_count == 1);   // so at 10 it is still in polishing
  CHECK(*Stage(r, "polished").wip_oldest_hours == 2);
}

TEST_CASE("FlowAccumulator: per station") {
  FlowAccumulator acc(Rules{}, Window{H(0), std::nullopt}, H(20), true);
  for (const auto& t : {OrderA(), OrderB(), OrderD()}) acc.Add(t);
  FlowReport r = acc.Finish();
  REQUIRE(r.by_station_requested);
  std::vector<const FlowStats*> printed;
  for (const FlowStats& s : r.by_station)
    if (s.stage == "printed") printed.push_back(&s);
  REQUIRE(printed.size() == 2);
  CHECK(printed[0]->station == "p1");  // A's dwell 1 h; D waiting 21 h
  CHECK(printed[0]->count == 1);
  CHECK(printed[0]->wip_count == 1);
  CHECK(*printed[0]->wip_oldest_hours == 21);
  CHECK(printed[1]->station == "p2");  // B waiting 16 h, no dwell
  CHECK(printed[1]->count == 0);
  CHECK_FALSE(printed[1]->p50_hours.has_value());
  CHECK(printed[1]->wip_order_hours == 16);
  CHECK(r.by_station.front().stage == "confirmed");  // stage order first
}

TEST_CASE("FlowAccumulator: no data gives no bottleneck") {
  FlowAccumulator acc(Rules{}, Window{}, H(0), false);
  FlowReport r = acc.Finish();
  CHECK_FALSE(r.bottleneck.wip.has_value());
  CHECK_FALSE(r.bottleneck.p90.has_value());
  CHECK(IsProductionStage("qc", Rules{}));
  CHECK_FALSE(IsProductionStage("feedback", Rules{}));
}

TEST_CASE("FlowOfOrder: a cancelled order waits nowhere; a voided event counts nowhere") {
  // B cancelled at 6 h while printed: no WIP from then on.
  std::vector<StageEvent> b = OrderB();
  b.push_back(Ev("B", "cancelled", 6));
  CHECK_FALSE(FlowOfOrder(Sorted(b), Rules{}, H(7)).wip.has_value());
  CHECK(FlowOfOrder(Sorted(b), Rules{}, H(5.5)).wip.has_value());  // before the cancel
  // E shipped at 3 h; a bench scan timed on receipt at 4 h does not make it WIP again,
  // a return at 5 h and a repair scan at 6 h do.
  std::vector<StageEvent> e = {Ev("E", "confirmed", 0), Ev("E", "shipped", 3),
                               Ev("E", "packed", 4)};
  CHECK_FALSE(FlowOfOrder(Sorted(e), Rules{}, H(4.5)).wip.has_value());
  e.push_back(Ev("E", "returned", 5));
  e.push_back(Ev("E", "polished", 6));
  REQUIRE(FlowOfOrder(Sorted(e), Rules{}, H(7)).wip.has_value());
  CHECK(FlowOfOrder(Sorted(e), Rules{}, H(7)).wip->stage == "polished");
  // D: a mis-scan "polished" at 3 h, voided: confirmed lasts 0 -> 4 (4 h), not 0 -> 3.
  StageEvent wrong = Ev("D", "polished", 3, "bench-1");
  wrong.event_key = "d-wrong";
  StageEvent v = Ev("D", "void", 3.5);
  v.voids = "d-wrong";
  const OrderFlow d =
      FlowOfOrder(Sorted({Ev("D", "confirmed", 0, "web"), wrong, v, Ev("D", "printed", 4, "p1")}),
                  Rules{}, H(5));
  REQUIRE(d.dwells.size() == 1);
  CHECK(d.dwells[0].stage == "confirmed");
  CHECK(d.dwells[0].hours == doctest::Approx(4.0));
  REQUIRE(d.wip.has_value());
  CHECK(d.wip->stage == "printed");
}

}  // namespace
}  // namespace floortrack
