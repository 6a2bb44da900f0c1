// core/kpi_rollup.h with hand-computed entries, and the rollup sums against
// KpiAccumulator on random orders for every end (exactly equal).
#include "core/kpi_rollup.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <random>

#include "core/kpi.h"

namespace floortrack {
namespace {

constexpr std::int64_t kT0 = 1'700'000'000'000;  // 2023-11-14T22:13:20Z
constexpr std::int64_t kHour = 3'600'000;

TimePoint H(std::int64_t hours) { return FromEpochMs(kT0 + hours * kHour); }

// Sums of the entries that count for Window{nullopt, until}.
KpiSums SumUntil(const std::vector<OrderSummary>& orders, const Rules& rules,
                 std::optional<TimePoint> until) {
  KpiSums sums;
  std::vector<std::int64_t> removed;
  for (const OrderSummary& o : orders)
    for (const KpiEntry& e : RollupEntries(o, rules))
      if (!until || e.anchor_ms < ToEpochMs(*until)) AddEntry(e, sums, removed);
  RemoveValues(sums.turnaround_ms, removed);
  return sums;
}

TEST_CASE("RollupEntries: an order shipped, then cancelled") {
  // Confirmed at 0 h with 120.5 EUR, shipped at 30 h (turnaround 30 h,
  // promise 48 h: on time), cancelled at 40 h.
  OrderSummary o;
  o.order_id = "A";
  o.confirmed_at = H(0);
  o.shipped_at = H(30);
  o.cancelled_at = H(40);
  o.promised_at = H(48);
  o.value = 120.5;
  o.currency = "eur";
  o.material_cost = 12.25;
  Rules rules;
  const auto entries = RollupEntries(o, rules);
  // 0 h: confirmed, open, value; 30 h: shipped (open and money's double
  // count taken back there too), turnaround +30 h; 40 h: promise and
  // turnaround taken back.
  REQUIRE(entries.size() == 5);
  const KpiEntry& at0 = entries[0];
  CHECK(at0.anchor_ms == kT0);
  CHECK(at0.currency == "EUR");
  CHECK(at0.counts.confirmed == 1);
  CHECK(at0.counts.open == 1);
  CHECK(at0.money.orders == 1);
  CHECK(at0.money.value_micros == 120'500'000);
  const KpiEntry& at30 = entries[1];
  CHECK(at30.anchor_ms == kT0 + 30 * kHour);
  CHECK(at30.counts.open == -1);
  CHECK(at30.counts.shipped == 1);
  CHECK(at30.counts.with_promise == 1);
  CHECK(at30.counts.on_time == 1);
  CHECK(at30.money.orders == 1 - 1);
  CHECK(at30.money.shipped_cost_micros == 12'250'000);
  CHECK(at30.money.shipped_revenue_micros == 120'500'000);
  CHECK(entries[2].turnaround_sign == +1);
  CHECK(entries[2].turnaround_ms == 30 * kHour);
  CHECK(entries[3].anchor_ms == kT0 + 40 * kHour);
  CHECK(entries[3].counts.with_promise == -1);
  CHECK(entries[3].counts.on_time == -1);
  CHECK(entries[4].turnaround_sign == -1);

  // Before 40 h the shipment counts; from 40 h on the cancellation takes
  // its turnaround and on-time back, as KpiAccumulator does.
  const auto until35 = SumUntil({o}, rules, H(35));
  CHECK(until35.turnaround_ms == std::vector<std::int64_t>{30 * kHour});
  CHECK(until35.counts.on_time == 1);
  const auto all = SumUntil({o}, rules, std::nullopt);
  CHECK(all.turnaround_ms.empty());
  CHECK(all.counts.on_time == 0);
  CHECK(all.counts.shipped == 1);
  CHECK(all.counts.open == 0);
}

TEST_CASE("DayOf floors, before 1970 too") {
  CHECK(DayOf(0) == 0);
  CHECK(DayOf(kMillisPerDay - 1) == 0);
  CHECK(DayOf(kMillisPerDay) == 1);
  CHECK(DayOf(-1) == -1);
  CHECK(DayOf(-kMillisPerDay) == -1);
  CHECK(DayOf(-kMillisPerDay - 1) == -2);
}

TEST_CASE("RemoveValues takes one occurrence of each") {
  std::vector<std::int64_t> v = {5, 3, 5, 7, 3};
  RemoveValues(v, {5, 3});
  std::sort(v.begin(), v.end());
  CHECK(v == std::vector<std::int64_t>{3, 5, 7});
}

TEST_CASE("Rollup sums equal KpiAccumulator's for every end, on random orders") {
  std::mt19937 rng(7);
  const auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  const auto maybe = [&](int hours) -> std::optional<TimePoint> {
    if (pick(3) == 0) return std::nullopt;
    return H(pick(hours));
  };
  Rules rules;
  rules.default_promise_days = 2;
  std::vector<OrderSummary> orders;
  for (int i = 0; i < 400; ++i) {
    OrderSummary o;
    o.order_id = "O" + std::to_string(i);
    o.confirmed_at = maybe(500);
    o.shipped_at = maybe(600);  // sometimes before the confirmation: late data
    o.cancelled_at = pick(4) == 0 ? maybe(600) : std::nullopt;
    o.packed_at = maybe(600);
    o.submitted_at = pick(2) ? o.confirmed_at : maybe(500);
    if (pick(4)) o.value = pick(100000) / 100.0;
    o.currency = std::vector<std::string>{"EUR", "usd", "", "Usd"}[static_cast<std::size_t>(pick(4))];
    o.material_cost = pick(1000) / 7.0;
    if (pick(3) == 0) o.items = 1 + pick(5);
    if (pick(2)) o.personalized = pick(2) == 1;
    o.failed_before_ship = pick(5) == 0;
    o.engaged = pick(4) == 0;
    if (pick(5) == 0) o.return_reasons = {pick(2) ? "wrong_size" : "changed_mind"};
    orders.push_back(o);
  }
  std::vector<std::optional<TimePoint>> untils = {std::nullopt, H(0), H(599), H(1000)};
  for (int k = 0; k < 40; ++k) untils.push_back(H(pick(620)));
  for (const auto& until : untils) {
    KpiAccumulator acc(rules, Window{std::nullopt, until});
    for (const OrderSummary& o : orders) acc.Add(o);
    KpiSums want = acc.Sums();
    KpiSums got = SumUntil(orders, rules, until);
    CHECK(want.counts == got.counts);
    for (auto* s : {&want, &got}) {
      std::sort(s->turnaround_ms.begin(), s->turnaround_ms.end());
      for (auto it = s->money.begin(); it != s->money.end();)
        it = it->second.IsZero() ? s->money.erase(it) : std::next(it);
    }
    CHECK(want.turnaround_ms == got.turnaround_ms);
    CHECK(want.money == got.money);
  }
}

}  // namespace
}  // namespace floortrack
