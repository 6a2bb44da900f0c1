// Corrections on a real SQLite file: a void rebuilds its order's summary in
// the same transaction (before or after the event it names arrives), keeps
// both events stored, and takes the voided event's material out of the
// material KPIs; cancel and hold land in the summary columns; late reads
// the shipped timelines back (core/corrections.h, core/due_dates.h).
#include "core/corrections.h"

#include <doctest/doctest.h>

#include "core/due_dates.h"
#include "tests/store/store_fixture.h"

namespace floortrack {
namespace {

constexpr std::int64_t kT = 1'780'000'000'000;
constexpr std::int64_t kH = 3'600'000;

StageEvent VoidOf(const std::string& key, const std::string& order, const std::string& target,
                  std::int64_t ms) {
  StageEvent e = Event(key, order, kStageVoid, ms);
  e.voids = target;
  return e;
}

TEST_CASE("a void rebuilds the summary, both events stay stored, material leaves the KPIs") {
  TempDir dir;
  auto store = MustOpen(Options(dir.File("ft.db")));
  StageEvent confirmed = Event("A-c", "A", "confirmed", kT);
  confirmed.promised_at = At(kT + 48 * kH);
  MustAppend(*store, confirmed);
  StageEvent printed = WithMaterial(Event("A-p", "A", "printed", kT + kH), 10, 4);
  MustAppend(*store, printed);
  StageEvent fail = Event("A-q", "A", "qc", kT + 2 * kH);
  fail.result = StageResult::kFail;
  MustAppend(*store, fail);
  CHECK(store->FindOrder("A").value().failed_before_ship);
  CHECK(store->MaterialInWindow(Window{}).value().by_type.at("silver").used_g == 10);

  MustAppend(*store, VoidOf("A-v1", "A", "A-q", kT + 3 * kH));
  MustAppend(*store, VoidOf("A-v2", "A", "A-p", kT + 4 * kH));
  MustAppend(*store, VoidOf("A-v2", "A", "A-p", kT + 4 * kH), AppendStatus::kDuplicate);
  const OrderSummary s = store->FindOrder("A").value();
  CHECK_FALSE(s.failed_before_ship);
  CHECK(s.current_stage == "confirmed");
  CHECK(s.event_count == 5);
  CHECK(s.void_events == 2);
  CHECK(s.material_used_g == 0);
  REQUIRE(s.promised_at);
  CHECK(*s.promised_at == At(kT + 48 * kH));
  CHECK(store->EventCount().value() == 5);
  CHECK(store->OrderEvents("A").value().size() == 5);
  // Windowed material (the events table) and all-time (the summaries) agree.
  CHECK(store->MaterialInWindow(Window{At(kT), At(kT + 10 * kH)}).value().used_g == 0);
  CHECK(store->MaterialInWindow(Window{}).value().used_g == 0);
}

TEST_CASE("a void that arrives before its event takes effect when the event arrives") {
  TempDir dir;
  const std::string path = dir.File("ft.db");
  auto store = MustOpen(Options(path));
  MustAppend(*store, Event("B-c", "B", "confirmed", kT));
  MustAppend(*store, VoidOf("B-v", "B", "B-x", kT + 5 * kH));
  CHECK(store->FindOrder("B").value().current_stage == "confirmed");
  MustAppend(*store, Event("B-x", "B", "cancelled", kT + 6 * kH));  // later than everything
  OrderSummary s = store->FindOrder("B").value();
  CHECK_FALSE(s.cancelled_at);
  CHECK(s.current_stage == "confirmed");
  MustAppend(*store, Event("B-h", "B", "on_hold", kT + 7 * kH));
  MustAppend(*store, Event("B-s", "B", "printed", kT + 8 * kH));
  s = store->FindOrder("B").value();
  CHECK(s.on_hold);
  CHECK(s.production_stage == "printed");
  CHECK(*s.production_stage_at == At(kT + 8 * kH));
  store.reset();
  // A reader sees the same summary.
  auto reader = MustOpenReadOnly(path);
  const OrderSummary r = reader->FindOrder("B").value();
  CHECK(r.on_hold);
  CHECK(r.void_events == 1);
  CHECK(r.production_stage == "printed");
}

TEST_CASE("late: shipped timelines from the store give the expectations") {
  TempDir dir;
  auto store = MustOpen(Options(dir.File("ft.db")));
  const std::int64_t now = kT + 100 * kH;
  // S shipped 10 h after entering qc.
  MustAppend(*store, Event("S-c", "S", "confirmed", kT));
  MustAppend(*store, Event("S-q", "S", "qc", kT + 50 * kH));
  MustAppend(*store, Event("S-s", "S", "shipped", kT + 60 * kH));
  // O entered qc 5 h ago, promised in 2 h: expected in 5 h, at risk by 3 h.
  StageEvent c = Event("O-c", "O", "confirmed", kT + 80 * kH);
  c.promised_at = At(now + 2 * kH);
  MustAppend(*store, c);
  MustAppend(*store, Event("O-q", "O", "qc", now - 5 * kH));
  // K would be late, but is cancelled: not even listed as open.
  StageEvent k = Event("K-c", "K", "confirmed", kT + 80 * kH);
  k.promised_at = At(now - kH);
  MustAppend(*store, k);
  MustAppend(*store, Event("K-x", "K", "cancelled", kT + 90 * kH));
  RemainingAccumulator acc(Rules{}, At(now));
  REQUIRE(store->VisitShippedTimelines(Window{At(now) - kRemainingWindow, At(now)},
                                       [&](std::vector<StageEvent> t) { acc.Add(std::move(t)); }));
  auto open = store->ListOrders(OrderFilter{true, std::nullopt, 0});
  REQUIRE(open.ok());
  REQUIRE(open.value().size() == 1);
  CHECK(open.value()[0].order_id == "O");
  const LateReport r = ComputeLate(open.value(), acc.Finish(), Rules{}, At(now));
  CHECK(r.late.empty());
  REQUIRE(r.at_risk.size() == 1);
  CHECK(r.at_risk[0].order_id == "O");
  CHECK(r.at_risk[0].margin_hours == doctest::Approx(-3));
}

}  // namespace
}  // namespace floortrack
