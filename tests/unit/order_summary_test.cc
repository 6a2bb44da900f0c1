// Unit tests for SortTimeline and SummarizeOrder (core/order_summary.h).
#include "core/order_summary.h"

#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <vector>

namespace floortrack {
namespace {

constexpr std::int64_t kT0 = 1'700'000'000'000;  // arbitrary epoch ms base
constexpr std::int64_t kHour = 3'600'000;

TimePoint H(double hours) { return FromEpochMs(kT0 + static_cast<std::int64_t>(hours * kHour)); }

StageEvent Ev(const std::string& key, const std::string& stage, double stage_h, double received_h) {
  StageEvent e;
  e.event_key = key;
  e.order_id = "O-1";
  e.stage = stage;
  e.stage_time = H(stage_h);
  e.received_at = H(received_h);
  return e;
}

std::vector<std::string> Keys(const std::vector<StageEvent>& events) {
  std::vector<std::string> keys;
  for (const auto& e : events) keys.push_back(e.event_key);
  return keys;
}

TEST_CASE("SortTimeline orders by stage time, not arrival") {
  Rules rules;
  // Arrival order: printed, cast, shipped, then a late confirmed.
  std::vector<StageEvent> events = {
      Ev("printed", "printed", 3, 3), Ev("cast", "cast", 4, 4), Ev("shipped", "shipped", 6, 6),
      Ev("confirmed", "confirmed", 0, 7),  // arrives last, happened first
  };
  SortTimeline(events, rules);
  CHECK(Keys(events) == std::vector<std::string>{"confirmed", "printed", "cast", "shipped"});
}

TEST_CASE("SortTimeline breaks stage-time ties by process order, unknown last") {
  Rules rules;
  // All at the same stage time; indexes: confirmed 0, packed 7, shipped 8,
  // returned 9, "inspected" unknown (-1 => after every known stage).
  std::vector<StageEvent> events = {
      Ev("inspected", "inspected", 2, 1),  // received earliest, but unknown stage
      Ev("shipped", "shipped", 2, 2),     Ev("returned", "returned", 2, 2),
      Ev("packed", "packed", 2, 3),       Ev("confirmed", "confirmed", 2, 4),
  };
  SortTimeline(events, rules);
  CHECK(Keys(events) ==
        std::vector<std::string>{"confirmed", "packed", "shipped", "returned", "inspected"});
}

TEST_CASE("SortTimeline breaks stage+process ties by receive time, then stably") {
  Rules rules;
  std::vector<StageEvent> events = {
      Ev("qc-late", "qc", 5, 9),  Ev("qc-a", "qc", 5, 6),
      Ev("qc-b", "qc", 5, 6),      // ties qc-a on every key: input order kept
      Ev("zeta", "zeta", 5, 8),    // unknown stages tie with each other on index
      Ev("alpha", "alpha", 5, 7),  // -> ordered by receive time, not name
      Ev("qc-early", "qc", 5, 5),
  };
  SortTimeline(events, rules);
  CHECK(Keys(events) ==
        std::vector<std::string>{"qc-early", "qc-a", "qc-b", "qc-late", "alpha", "zeta"});

  // Stability with identical keys, the other way round.
  std::vector<StageEvent> same = {Ev("x2", "cast", 1, 1), Ev("x1", "cast", 1, 1),
                                  Ev("x3", "cast", 1, 1)};
  SortTimeline(same, rules);
  CHECK(Keys(same) == std::vector<std::string>{"x2", "x1", "x3"});
}

TEST_CASE("SortTimeline uses the configured stage order") {
  Rules rules;
  rules.stages = {"shipped", "confirmed"};  // reversed process order
  std::vector<StageEvent> events = {Ev("c", "confirmed", 1, 1), Ev("s", "shipped", 1, 2)};
  SortTimeline(events, rules);
  CHECK(Keys(events) == std::vector<std::string>{"s", "c"});
}

TEST_CASE("SummarizeOrder condenses a full order") {
  Rules rules;
  StageEvent confirmed = Ev("e1", "confirmed", 0, 0.5);
  confirmed.value = 250.0;
  confirmed.currency = "EUR";
  confirmed.customer_id = "C-9";
  confirmed.product = "ring";
  confirmed.personalized = true;

  StageEvent printed = Ev("e2", "printed", 2, 2);
  printed.material = Material{"resin", 10.0, 1.5};
  printed.material_cost = 3.0;

  StageEvent cast = Ev("e3", "cast", 5, 11);  // arrives very late
  cast.material = Material{"silver", 20.0, 2.5};
  cast.material_cost = 17.25;
  cast.result = StageResult::kPass;

  StageEvent qc = Ev("e4", "qc", 8, 8);
  qc.material_cost = 99.0;  // no material: not summed

  StageEvent shipped = Ev("e5", "shipped", 10, 10);

  StageEvent returned = Ev("e6", "returned", 30, 30.25);
  returned.reason = "wrong_size";

  // Hand them over scrambled.
  OrderSummary s = SummarizeOrder({returned, cast, qc, shipped, confirmed, printed}, rules);

  CHECK(s.order_id == "O-1");
  REQUIRE(s.confirmed_at.has_value());
  CHECK(*s.confirmed_at == H(0));
  REQUIRE(s.shipped_at.has_value());
  CHECK(*s.shipped_at == H(10));
  CHECK(s.current_stage == "returned");
  CHECK(s.current_stage_at == H(30));
  // max received: 0.5, 2, 11, 8, 10, 30.25 -> 30.25
  CHECK(s.last_received_at == H(30.25));
  CHECK(s.event_count == 6);
  REQUIRE(s.value.has_value());
  CHECK(*s.value == doctest::Approx(250.0));
  CHECK(s.currency == "EUR");
  CHECK(s.customer_id == "C-9");
  CHECK(s.product == "ring");
  REQUIRE(s.personalized.has_value());
  CHECK(*s.personalized == true);
  // used 10 + 20 = 30; scrap 1.5 + 2.5 = 4; cost 3 + 17.25 = 20.25 (qc's 99 ignored)
  CHECK(s.material_used_g == doctest::Approx(30.0));
  CHECK(s.material_scrap_g == doctest::Approx(4.0));
  CHECK(s.material_cost == doctest::Approx(20.25));
  CHECK_FALSE(s.failed_before_ship);
  CHECK(s.return_reasons == std::vector<std::string>{"wrong_size"});
}

TEST_CASE("SummarizeOrder: current stage is the last on the timeline, not the last to arrive") {
  Rules rules;
  // shipped arrives first (received 10), a late "printed" arrives at 12 with stage time 3.
  OrderSummary s = SummarizeOrder(
      {Ev("a", "confirmed", 0, 0), Ev("b", "shipped", 9, 10), Ev("c", "printed", 3, 12)}, rules);
  CHECK(s.current_stage == "shipped");
  CHECK(s.current_stage_at == H(9));
  CHECK(s.last_received_at == H(12));
  CHECK(s.event_count == 3);
}

TEST_CASE("SummarizeOrder of an unconfirmed order") {
  Rules rules;
  StageEvent printed = Ev("p", "printed", 1, 1);
  printed.value = 10.0;  // order facts off "confirmed" are ignored
  printed.customer_id = "C-1";
  printed.personalized = true;
  OrderSummary s = SummarizeOrder({printed, Ev("c", "cast", 2, 2)}, rules);
  CHECK_FALSE(s.confirmed_at.has_value());
  CHECK_FALSE(s.shipped_at.has_value());
  CHECK_FALSE(s.value.has_value());
  CHECK(s.customer_id.empty());
  CHECK(s.currency.empty());
  CHECK(s.product.empty());
  CHECK_FALSE(s.personalized.has_value());
  CHECK(s.current_stage == "cast");
  CHECK(s.current_stage_at == H(2));
  CHECK(s.event_count == 2);
  CHECK(s.material_used_g == 0);
  CHECK(s.return_reasons.empty());
}

TEST_CASE("SummarizeOrder: a late, earlier 'shipped' event moves shipped_at") {
  Rules rules;
  std::vector<StageEvent> events = {Ev("c", "confirmed", 0, 0), Ev("s2", "shipped", 20, 20)};
  OrderSummary before = SummarizeOrder(events, rules);
  REQUIRE(before.shipped_at.has_value());
  CHECK(*before.shipped_at == H(20));

  events.push_back(Ev("s1", "shipped", 12, 25));  // happened at 12, arrives at 25
  OrderSummary after = SummarizeOrder(events, rules);
  REQUIRE(after.shipped_at.has_value());
  CHECK(*after.shipped_at == H(12));
  // Last on the timeline is still the shipment at 20.
  CHECK(after.current_stage_at == H(20));
  CHECK(after.last_received_at == H(25));
}

TEST_CASE("SummarizeOrder: confirmed_at is the earliest confirmed stage time") {
  Rules rules;
  OrderSummary s = SummarizeOrder(
      {Ev("c2", "confirmed", 4, 4), Ev("c1", "confirmed", 1, 6), Ev("x", "printed", 5, 5)}, rules);
  REQUIRE(s.confirmed_at.has_value());
  CHECK(*s.confirmed_at == H(1));
}

TEST_CASE("SummarizeOrder takes each order fact from the earliest confirmed event carrying it") {
  Rules rules;
  StageEvent first = Ev("c1", "confirmed", 1, 9);  // earliest on timeline, arrives last
  first.value = 100.0;
  first.personalized = false;  // false is still a fact
  StageEvent second = Ev("c2", "confirmed", 2, 2);
  second.value = 999.0;
  second.currency = "USD";
  second.customer_id = "C-2";
  second.personalized = true;
  StageEvent third = Ev("c3", "confirmed", 3, 3);
  third.currency = "EUR";
  third.product = "pendant";

  OrderSummary s = SummarizeOrder({third, second, first}, rules);
  REQUIRE(s.value.has_value());
  CHECK(*s.value == doctest::Approx(100.0));  // c1
  CHECK(s.currency == "USD");                 // c2 (c1 has none)
  CHECK(s.customer_id == "C-2");              // c2
  CHECK(s.product == "pendant");              // c3
  REQUIRE(s.personalized.has_value());
  CHECK(*s.personalized == false);  // c1
}

TEST_CASE("SummarizeOrder: failures before vs after shipment") {
  Rules rules;
  auto fail = [](const std::string& key, const std::string& stage, double t) {
    StageEvent e = Ev(key, stage, t, t);
    e.result = StageResult::kFail;
    return e;
  };

  SUBCASE("fail after shipment does not count") {
    OrderSummary s = SummarizeOrder(
        {Ev("c", "confirmed", 0, 0), Ev("s", "shipped", 10, 10), fail("f", "qc", 11)}, rules);
    CHECK_FALSE(s.failed_before_ship);
  }
  SUBCASE("fail before shipment counts") {
    OrderSummary s = SummarizeOrder(
        {Ev("c", "confirmed", 0, 0), fail("f", "qc", 8), Ev("s", "shipped", 10, 10)}, rules);
    CHECK(s.failed_before_ship);
  }
  SUBCASE("fail at the same instant as shipment does not count (strictly before)") {
    OrderSummary s = SummarizeOrder({Ev("s", "shipped", 10, 10), fail("f", "qc", 10)}, rules);
    CHECK_FALSE(s.failed_before_ship);
  }
  SUBCASE("fail after a late earlier shipment no longer counts") {
    // Shipped at 20 with a fail at 15 -> counts; a late shipped at 12 moves shipped_at
    // to 12, so the fail at 15 is after shipment.
    std::vector<StageEvent> events = {Ev("s2", "shipped", 20, 20), fail("f", "qc", 15)};
    CHECK(SummarizeOrder(events, rules).failed_before_ship);
    events.push_back(Ev("s1", "shipped", 12, 30));
    CHECK_FALSE(SummarizeOrder(events, rules).failed_before_ship);
  }
  SUBCASE("any fail counts when never shipped") {
    OrderSummary s = SummarizeOrder({Ev("c", "confirmed", 0, 0), fail("f", "cast", 50)}, rules);
    CHECK(s.failed_before_ship);
  }
  SUBCASE("pass results do not count") {
    StageEvent pass = Ev("p", "qc", 5, 5);
    pass.result = StageResult::kPass;
    OrderSummary s = SummarizeOrder({pass}, rules);
    CHECK_FALSE(s.failed_before_ship);
  }
}

TEST_CASE("SummarizeOrder keeps return reasons in timeline order, empty kept") {
  Rules rules;
  StageEvent r1 = Ev("r1", "returned", 40, 50);  // arrives after r2
  r1.reason = "defective";
  StageEvent r2 = Ev("r2", "returned", 45, 46);
  StageEvent r3 = Ev("r3", "returned", 60, 60);
  r3.reason = "changed_mind";
  StageEvent not_returned = Ev("q", "qc", 41, 41);
  not_returned.reason = "ignored";
  OrderSummary s = SummarizeOrder({r3, r2, not_returned, Ev("s", "shipped", 30, 30), r1}, rules);
  CHECK(s.return_reasons == std::vector<std::string>{"defective", "", "changed_mind"});
  CHECK(s.current_stage == "returned");
  CHECK(s.current_stage_at == H(60));
}

bool SameSummary(const OrderSummary& a, const OrderSummary& b) {
  return a.order_id == b.order_id && a.confirmed_at == b.confirmed_at &&
         a.shipped_at == b.shipped_at && a.current_stage == b.current_stage &&
         a.current_stage_at == b.current_stage_at && a.last_received_at == b.last_received_at &&
         a.event_count == b.event_count && a.value == b.value && a.currency == b.currency &&
         a.customer_id == b.customer_id && a.product == b.product &&
         a.personalized == b.personalized && a.material_used_g == b.material_used_g &&
         a.material_scrap_g == b.material_scrap_g && a.material_cost == b.material_cost &&
         a.failed_before_ship == b.failed_before_ship && a.return_reasons == b.return_reasons;
}

TEST_CASE("AppendToSummary equals a full recompute whenever it applies, and refuses otherwise") {
  Rules rules;
  const std::vector<std::string> stages = {"confirmed", "printed", "cast",    "qc",
                                           "shipped",   "returned", "polished"};
  std::uint64_t state = 42;
  auto next = [&state](std::uint64_t n) {  // LCG: deterministic, good enough here
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (state >> 33) % n;
  };
  int applied = 0, refused = 0;
  for (int round = 0; round < 300; ++round) {
    std::vector<StageEvent> events;
    OrderSummary incremental;
    const int count = 1 + static_cast<int>(next(10));
    for (int i = 0; i < count; ++i) {
      // Mostly later than everything so far; sometimes equal or earlier.
      StageEvent e = Ev("e" + std::to_string(i), stages[next(stages.size())],
                        static_cast<double>(next(12)), static_cast<double>(next(12)));
      if (next(4) == 0) e.result = next(2) ? StageResult::kFail : StageResult::kPass;
      if (next(3) == 0) {
        e.material = Material{"resin", static_cast<double>(next(100)) / 7.0, 0.1 * next(5)};
        e.material_cost = 0.3 * e.material->used_g;
      }
      if (e.stage == "confirmed") {
        if (next(2)) e.value = 10.0 * next(50) + 0.01;
        if (next(2)) e.currency = next(2) ? "EUR" : "USD";
        if (next(2)) e.customer_id = "C" + std::to_string(next(3));
        if (next(2)) e.personalized = next(2) == 1;
      }
      if (e.stage == "returned") e.reason = next(2) ? "defective" : "";
      events.push_back(e);
      const OrderSummary full = SummarizeOrder(events, rules);
      if (i > 0 && AppendToSummary(incremental, e, rules)) {
        ++applied;
        CHECK(SameSummary(incremental, full));
      } else {
        if (i > 0) {
          ++refused;
          CHECK(e.stage_time <= incremental.current_stage_at);
        }
        incremental = full;  // what the store does: recompute from all events
      }
    }
  }
  CHECK(applied > 100);
  CHECK(refused > 100);
}

TEST_CASE("AppendToSummary: a fail after the first shipment does not count, before it does") {
  Rules rules;
  OrderSummary s = SummarizeOrder({Ev("c", "confirmed", 0, 0)}, rules);
  StageEvent qc = Ev("q", "qc", 1, 1);
  qc.result = StageResult::kFail;
  REQUIRE(AppendToSummary(s, qc, rules));
  CHECK(s.failed_before_ship);
  OrderSummary t = SummarizeOrder({Ev("c", "confirmed", 0, 0), Ev("s", "shipped", 2, 2)}, rules);
  StageEvent late = Ev("l", "returned", 3, 3);
  late.result = StageResult::kFail;
  REQUIRE(AppendToSummary(t, late, rules));
  CHECK_FALSE(t.failed_before_ship);
  // Same stage time as the current last event: refused, untouched.
  OrderSummary before = t;
  CHECK_FALSE(AppendToSummary(t, Ev("x", "packed", 3, 4), rules));
  CHECK(SameSummary(t, before));
}

}  // namespace
}  // namespace floortrack
