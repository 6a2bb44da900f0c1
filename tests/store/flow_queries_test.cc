// Store tests of the streaming flow and export reads (VisitTimelinesForFlow,
// VisitShippedTimelines, VisitEvents, VisitOrders) on a real SQLite file.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "core/due_dates.h"
#include "core/flow.h"
#include "store_fixture.h"

namespace floortrack {
namespace {

constexpr std::int64_t kHour = 3'600'000;
constexpr std::int64_t kT0 = 1'700'000'000'000;
std::int64_t H(std::int64_t h) { return kT0 + h * kHour; }

void Fill(SqliteStore& store) {
  // A: a rework loop, appended out of order (qc at 5 h before polished at 4 h).
  MustAppend(store, Event("a1", "A", "confirmed", H(0)));
  MustAppend(store, Event("a2", "A", "printed", H(2)));
  MustAppend(store, Event("a3", "A", "qc", H(3)));
  MustAppend(store, Event("a5", "A", "qc", H(5)));
  MustAppend(store, Event("a4", "A", "polished", H(4)));
  MustAppend(store, Event("a6", "A", "shipped", H(6)));
  MustAppend(store, Event("b1", "B", "confirmed", H(1)));
  MustAppend(store, Event("b2", "B", "printed", H(2)));
  MustAppend(store, Event("c1", "C", "confirmed", H(-100)));  // shipped long before: not needed
  MustAppend(store, Event("c2", "C", "shipped", H(-90)));
  MustAppend(store, Event("d1", "D", "confirmed", H(-100)));  // idle since -95 h: WIP
  MustAppend(store, Event("d2", "D", "printed", H(-95)));
  MustAppend(store, Event("e1", "E", "confirmed", H(50)));  // nothing before until
}

TEST_CASE("VisitTimelinesForFlow streams the relevant orders' timelines, one order at a time") {
  TempDir dir;
  auto store = MustOpen(Options(dir.File("flow.db")));
  Fill(*store);
  auto reader = MustOpenReadOnly(dir.File("flow.db"));
  const Window window{At(H(0)), At(H(10))};
  std::vector<std::string> orders;
  FlowAccumulator flow(Rules{}, window, At(H(10)), false);
  auto visited = reader->VisitTimelinesForFlow(window, [&](const std::vector<StageEvent>& t) {
    REQUIRE_FALSE(t.empty());
    for (const StageEvent& e : t) CHECK(e.order_id == t.front().order_id);
    orders.push_back(t.front().order_id);
    if (t.front().order_id == "A") {
      REQUIRE(t.size() == 6);
      CHECK(t[3].stage == "polished");  // timeline order, not arrival order
      CHECK(t[4].stage == "qc");
    }
    flow.Add(t);
  });
  REQUIRE_MESSAGE(visited.ok(), (visited.ok() ? "" : visited.error().message));
  CHECK(orders == std::vector<std::string>{"A", "B", "D"});
  FlowReport r = flow.Finish();
  for (const FlowStats& s : r.stages) {
    if (s.stage == "qc") {
      CHECK(s.count == 2);  // [3, 4) and [5, 6)
      CHECK(*s.max_hours == 1);
    }
    if (s.stage == "printed") {
      CHECK(s.count == 1);      // A [2, 3)
      CHECK(s.wip_count == 2);  // B since 2 h (8 h), D since -95 h (105 h)
      CHECK(s.wip_order_hours == 113);
    }
  }
  CHECK(r.bottleneck.wip == std::optional<std::string>("printed"));
}

TEST_CASE("VisitEvents and VisitOrders: the export windows") {
  TempDir dir;
  auto store = MustOpen(Options(dir.File("export.db")));
  Fill(*store);
  auto reader = MustOpenReadOnly(dir.File("export.db"));
  std::vector<std::string> keys;
  auto events = reader->VisitEvents(Window{At(H(0)), At(H(3))},
                                    [&](const StageEvent& e) { keys.push_back(e.event_key); });
  REQUIRE(events.ok());
  CHECK(keys == std::vector<std::string>{"a1", "a2", "b1", "b2"});  // arrival order

  std::set<std::string> ids;
  auto orders = reader->VisitOrders(Window{At(H(0)), At(H(10))},
                                    [&](const OrderSummary& o) { ids.insert(o.order_id); });
  REQUIRE(orders.ok());
  CHECK(ids == std::set<std::string>{"A", "B"});  // A once, though confirmed and shipped in it
  ids.clear();
  // Shipped in the window but confirmed before it.
  REQUIRE(reader
              ->VisitOrders(Window{At(H(-95)), At(H(-80))},
                            [&](const OrderSummary& o) {
                              ids.insert(o.order_id);
                              CHECK(o.current_stage == "shipped");
                            })
              .ok());
  CHECK(ids == std::set<std::string>{"C"});
  std::size_t all = 0;
  REQUIRE(reader->VisitOrders(Window{}, [&](const OrderSummary&) { ++all; }).ok());
  CHECK(all == 5);
}

// A random floor: orders through the stages with repeat scans, rework
// loops, scans of one stage at one instant from two stations (ties only
// arrival order breaks), voids, cancellations, returns with rework, orders
// idle for weeks; appended in random order.
std::vector<StageEvent> RandomFloor(std::mt19937& rng, int orders) {
  const auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  const std::vector<std::string> stages = Rules{}.stages;
  const char* stations[] = {"bench-1", "bench-2", ""};
  std::vector<StageEvent> events;
  for (int i = 0; i < orders; ++i) {
    const std::string id = "F" + std::to_string(i);
    std::int64_t t = H(-24 * 40 + pick(24 * 40));
    int n = 0;
    auto add = [&](const std::string& stage, std::int64_t at) {
      StageEvent e = Event(id + "-" + std::to_string(n++), id, stage, at);
      e.station = stations[pick(3)];
      events.push_back(e);
      return e;
    };
    add("confirmed", t);
    const int reach = pick(static_cast<int>(stages.size()) + 2);
    for (int s = 1; s < reach && s < static_cast<int>(stages.size()); ++s) {
      t += pick(4) == 0 ? 0 : pick(30) * kHour / (1 + pick(3));
      const StageEvent e = add(stages[static_cast<std::size_t>(s)], t);
      if (pick(5) == 0) add(e.stage, t);                     // same instant, maybe another station
      if (pick(6) == 0) add(e.stage, t + pick(3) * kHour);   // a repeat scan
      if (pick(8) == 0 && s > 2) add(stages[static_cast<std::size_t>(s - 1)], t + kHour);  // rework
      if (pick(10) == 0) {
        StageEvent v = Event(id + "-v" + std::to_string(n++), id, "void", t + 2 * kHour);
        v.voids = e.event_key;
        events.push_back(v);
      }
    }
    if (reach >= static_cast<int>(stages.size()) && pick(3) == 0) {
      add("returned", t + pick(48) * kHour);
      if (pick(2)) add("polished", t + 60 * kHour);  // reworked, then idle
    }
    if (pick(8) == 0) add("cancelled", t + (pick(40) - 10) * kHour);
  }
  std::shuffle(events.begin(), events.end(), rng);
  return events;
}

using StatsRow = std::tuple<std::string, std::string, std::size_t, std::optional<double>,
                            std::optional<double>, std::optional<double>, std::size_t,
                            std::optional<double>, double>;
std::vector<StatsRow> Rows(const std::vector<FlowStats>& stats) {
  std::vector<StatsRow> out;
  for (const FlowStats& s : stats)
    out.emplace_back(s.stage, s.station, s.count, s.p50_hours, s.p90_hours, s.max_hours,
                     s.wip_count, s.wip_oldest_hours, s.wip_order_hours);
  return out;
}

TEST_CASE("on random floors, flow and the late report's remaining times from the indexed "
          "timelines equal those over every order's whole timeline") {
  for (unsigned seed : {1u, 2u, 3u, 4u}) {
    CAPTURE(seed);
    std::mt19937 rng(seed);
    TempDir dir;
    auto store = MustOpen(Options(dir.File("floor.db")));
    for (const StageEvent& e : RandomFloor(rng, 120)) MustAppend(*store, e);
    std::vector<std::vector<StageEvent>> whole;
    auto all = store->ListOrders(OrderFilter{});
    REQUIRE(all.ok());
    for (const OrderSummary& o : all.value()) whole.push_back(store->OrderEvents(o.order_id).value());
    // In order_id order, as the store streams them: sums of hours then add
    // in the same order, so they are equal to the last bit.
    std::sort(whole.begin(), whole.end(),
              [](const auto& x, const auto& y) { return x.front().order_id < y.front().order_id; });

    const std::int64_t now = H(0);
    const Window windows[] = {{At(H(-24 * 30)), std::nullopt},
                              {At(H(-24 * 7)), At(H(-24 * 2) + 1234)},
                              {At(H(-24 * 45)), At(H(-24 * 20))},
                              {At(H(-5)), std::nullopt}};
    for (const Window& w : windows) {
      for (bool by_station : {false, true}) {
        FlowAccumulator brute(Rules{}, w, At(now), by_station);
        for (const auto& t : whole) brute.Add(t);
        FlowAccumulator indexed(Rules{}, w, At(now), by_station);
        REQUIRE(store->VisitTimelinesForFlow(w, [&](const auto& t) { indexed.Add(t); }).ok());
        const FlowReport a = brute.Finish(), b = indexed.Finish();
        CHECK(Rows(a.stages) == Rows(b.stages));
        CHECK(Rows(a.by_station) == Rows(b.by_station));
        CHECK(a.bottleneck.wip == b.bottleneck.wip);
      }
    }
    const Window shipped{At(now) - kRemainingWindow, At(now)};
    RemainingAccumulator brute(Rules{}, At(now)), indexed(Rules{}, At(now));
    for (const auto& t : whole) brute.Add(t);
    REQUIRE(store->VisitShippedTimelines(shipped, [&](auto t) { indexed.Add(std::move(t)); }).ok());
    const auto a = brute.Finish(), b = indexed.Finish();
    REQUIRE(a.size() == b.size());
    CHECK_FALSE(a.empty());
    for (const auto& [stage, r] : a) {
      CHECK(r.count == b.at(stage).count);
      CHECK(r.p50_hours == b.at(stage).p50_hours);
    }
  }
}

const std::string kSchema7Fixture = std::string(FLOORTRACK_FIXTURES) + "/schema7/floortrack.db";

TEST_CASE("a schema-7 database (the previous release) migrates to 8; flow reads its indexes") {
  TempDir dir;
  const std::string path = dir.File("ft.db");
  std::filesystem::copy_file(kSchema7Fixture, path);
  std::vector<StoreProgress> steps;
  StoreOptions options = Options(path);
  options.progress = [&](const StoreProgress& p) { steps.push_back(p); };
  auto opened = SqliteStore::OpenForWriting(options, Rules{});
  REQUIRE_MESSAGE(opened.ok(), (opened.ok() ? "" : opened.error().message));
  SqliteStore& store = *opened.value();
  REQUIRE_FALSE(steps.empty());
  CHECK(steps.front().step.find("from schema 7 to 8") != std::string::npos);
  {
    RawDb raw(path);
    CHECK(raw.Int("PRAGMA user_version") == 8);
    CHECK(raw.Int("SELECT COUNT(*) FROM sqlite_master WHERE name = 'events_by_order'") == 0);
    CHECK(raw.Int("SELECT COUNT(*) FROM orders INDEXED BY orders_reworked WHERE "
                  "return_reasons <> '' AND cancelled_ms IS NULL") == 1);  // T3
  }
  const std::int64_t day = 24 * kHour;
  const std::int64_t oct1 = 1'790'812'800'000;  // 2026-10-01T00:00:00Z
  const TimePoint now = At(oct1 + 9 * day);     // 2026-10-10T00:00:00Z

  // By hand (make_fixture.py): confirmed dwells T1 2 h, T2 6 h (its voided
  // print counts nowhere), T3 12 h; T1 printed 10:00 (p1, the 11:00 scan is
  // the same stay) to cast 14:00: 4 h; cast to shipped 18 h. WIP: T2 printed
  // since 10-01 15:00 (201 h), T3 polished since 10-03 10:00 after its
  // return (158 h); T4 is cancelled.
  FlowAccumulator flow(Rules{}, Window{At(oct1), std::nullopt}, now, true);
  REQUIRE(store.VisitTimelinesForFlow(Window{At(oct1), std::nullopt},
                                      [&](const auto& t) { flow.Add(t); })
              .ok());
  const FlowReport r = flow.Finish();
  std::map<std::string, FlowStats> by_stage;
  for (const FlowStats& s : r.stages) by_stage[s.stage] = s;
  CHECK(by_stage["confirmed"].count == 3);
  CHECK(by_stage["confirmed"].p50_hours == 6);
  CHECK(by_stage["confirmed"].max_hours == 12);
  CHECK(by_stage["confirmed"].wip_count == 0);
  CHECK(by_stage["printed"].count == 1);
  CHECK(by_stage["printed"].max_hours == 4);
  CHECK(by_stage["printed"].wip_order_hours == 201);
  CHECK(by_stage["cast"].max_hours == 18);
  CHECK(by_stage["polished"].wip_order_hours == 158);
  CHECK(r.bottleneck.wip == std::optional<std::string>("printed"));
  std::vector<std::pair<std::string, std::string>> stations;
  for (const FlowStats& s : r.by_station) stations.emplace_back(s.stage, s.station);
  using P = std::pair<std::string, std::string>;
  CHECK(stations == std::vector<P>{P{"confirmed", ""}, P{"printed", "p1"}, P{"printed", "p2"},
                                   P{"cast", "c1"}, P{"polished", "b1"}});

  // A window after all activity: only the orders still on the floor.
  std::vector<std::string> visited;
  REQUIRE(store.VisitTimelinesForFlow(Window{At(oct1 + 5 * day), std::nullopt},
                                      [&](const auto& t) { visited.push_back(t.front().order_id); })
              .ok());
  CHECK(visited == std::vector<std::string>{"T2", "T3"});

  // Appends keep orders_reworked: T2 ships, T3 is cancelled.
  MustAppend(store, Event("t2-s", "T2", "shipped", oct1 + 8 * day));
  MustAppend(store, Event("t3-x", "T3", "cancelled", oct1 + 8 * day));
  RawDb raw(path);
  CHECK(raw.Int("SELECT COUNT(*) FROM orders INDEXED BY orders_reworked WHERE "
                "return_reasons <> '' AND cancelled_ms IS NULL") == 0);
}

}  // namespace
}  // namespace floortrack
