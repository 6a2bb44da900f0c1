// Unit tests for NearestRank and ComputeKpis (core/kpi.h).
#include "core/kpi.h"

#include <doctest/doctest.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace floortrack {
namespace {

constexpr std::int64_t kT0 = 1'700'000'000'000;  // arbitrary epoch ms base
constexpr std::int64_t kHour = 3'600'000;

TimePoint H(double hours) { return FromEpochMs(kT0 + static_cast<std::int64_t>(hours * kHour)); }

std::vector<double> Range(int from, int to) {
  std::vector<double> v;
  for (int i = from; i <= to; ++i) v.push_back(i);
  return v;
}

OrderSummary Order(const std::string& id, std::optional<double> confirmed_h,
                   std::optional<double> shipped_h) {
  OrderSummary o;
  o.order_id = id;
  if (confirmed_h) o.confirmed_at = H(*confirmed_h);
  if (shipped_h) o.shipped_at = H(*shipped_h);
  return o;
}

TEST_CASE("NearestRank on 1..10") {
  const std::vector<double> v = Range(1, 10);
  CHECK(NearestRank(v, 50) == 5);    // ceil(0.50 * 10) = 5
  CHECK(NearestRank(v, 90) == 9);    // ceil(0.90 * 10) = 9
  CHECK(NearestRank(v, 95) == 10);   // ceil(0.95 * 10) = ceil(9.5) = 10
  CHECK(NearestRank(v, 100) == 10);  // rank 10
  CHECK(NearestRank(v, 10) == 1);    // ceil(1.0) = 1
  CHECK(NearestRank(v, 11) == 2);    // ceil(1.1) = 2
  CHECK(NearestRank(v, 1) == 1);     // ceil(0.1) = 1
  CHECK(NearestRank(v, 50.5) == 6);  // ceil(5.05) = 6
  CHECK(NearestRank(v, 0.5) == 1);   // ceil(0.05) = 1
}

TEST_CASE("NearestRank on a single value") {
  const std::vector<double> v = {7.25};
  CHECK(NearestRank(v, 50) == 7.25);
  CHECK(NearestRank(v, 90) == 7.25);
  CHECK(NearestRank(v, 95) == 7.25);
  CHECK(NearestRank(v, 100) == 7.25);
  CHECK(NearestRank(v, 0.1) == 7.25);
}

TEST_CASE("NearestRank small and duplicate lists") {
  CHECK(NearestRank({10, 20, 30}, 50) == 20);       // ceil(1.5) = 2
  CHECK(NearestRank({10, 20, 30}, 90) == 30);       // ceil(2.7) = 3
  CHECK(NearestRank({10, 20, 30, 40}, 50) == 20);   // ceil(2.0) = 2: exactly half at or below
  CHECK(NearestRank({10, 20, 30, 40}, 75) == 30);   // ceil(3.0) = 3
  CHECK(NearestRank({10, 20, 30, 40}, 76) == 40);   // ceil(3.04) = 4
  CHECK(NearestRank({1, 1, 2, 2, 2, 3}, 50) == 2);  // ceil(3.0) = 3 -> third value, 2
  CHECK(NearestRank({1, 1, 2, 2, 2, 3}, 33) == 1);  // ceil(1.98) = 2 -> 1
}

TEST_CASE("NearestRank is exact where p/100*n is inexact in floating point") {
  // In doubles 0.07 * 100 = 7.000000000000001 and 0.14 * 50 = 7.000000000000001; a naive
  // ceil would give rank 8. The exact ranks are 7.
  const std::vector<double> hundred = Range(1, 100);
  CHECK(NearestRank(hundred, 7) == 7);
  CHECK(NearestRank(hundred, 57) == 57);
  CHECK(NearestRank(hundred, 95) == 95);
  CHECK(NearestRank(hundred, 100) == 100);
  CHECK(NearestRank(Range(1, 50), 14) == 7);
  CHECK(NearestRank(Range(1, 20), 95) == 19);  // 0.95 * 20 = 19
  CHECK(NearestRank(Range(1, 20), 90) == 18);  // 0.90 * 20 = 18
}

TEST_CASE("Window bounds") {
  Window w{H(100), H(200)};
  CHECK(w.Contains(H(100)));
  CHECK_FALSE(w.Contains(H(200)));
  CHECK(w.Before(H(199.9)));
  CHECK_FALSE(w.Before(H(200)));
  Window open;
  CHECK(open.Contains(H(-1e6)));
  CHECK(open.Before(H(1e6)));
}

// A hand-built set of orders around the window [100h, 200h).
std::vector<OrderSummary> SampleOrders() {
  std::vector<OrderSummary> orders;

  // A: confirmed before the window, shipped in it. Turnaround 110.5 - 90 = 20.5 h.
  OrderSummary a = Order("A", 90, 110.5);
  a.value = 200;
  a.material_cost = 20;
  a.customer_id = "C1";
  a.personalized = true;
  orders.push_back(a);

  // B: confirmed at `since` (inclusive), shipped in window. Turnaround 30 h. A failure
  // before shipment; a return reason that does not count against accuracy.
  OrderSummary b = Order("B", 100, 130);
  b.value = 100;
  b.material_cost = 15;
  b.customer_id = "C1";
  b.personalized = false;
  b.failed_before_ship = true;
  b.return_reasons = {"changed_mind"};
  orders.push_back(b);

  // C: confirmed in window, shipped exactly at `until` (excluded) -> still open.
  OrderSummary c = Order("C", 120, 200);
  c.value = 300;
  c.material_cost = 1000;  // not shipped in window: ignored
  c.customer_id = "C2";
  c.personalized = true;
  c.return_reasons = {"wrong_item"};  // not shipped in window: ignored
  orders.push_back(c);

  // D: confirmed in window, no value, never shipped -> open.
  OrderSummary d = Order("D", 150, std::nullopt);
  d.customer_id = "C1";
  orders.push_back(d);

  // E: never confirmed, shipped in window: counted shipped, no turnaround.
  OrderSummary e = Order("E", std::nullopt, 150);
  e.material_cost = 5;
  e.return_reasons = {"wrong_item"};
  orders.push_back(e);

  // F: confirmed and shipped in window. Turnaround 190 - 110 = 80 h.
  OrderSummary f = Order("F", 110, 190);
  f.value = 400;
  f.material_cost = 60;
  f.customer_id = "C3";
  f.personalized = true;
  f.return_reasons = {"changed_mind", "defective"};
  orders.push_back(f);

  // G: confirmed and shipped before the window: excluded everywhere.
  OrderSummary g = Order("G", 50, 80);
  g.value = 1000;
  g.material_cost = 900;
  g.customer_id = "C3";
  g.personalized = true;
  g.failed_before_ship = true;
  orders.push_back(g);

  // H: confirmed exactly at `until`: not in window, not open.
  OrderSummary h = Order("H", 200, std::nullopt);
  h.value = 5000;
  h.customer_id = "C2";
  orders.push_back(h);

  // I: entirely after the window.
  OrderSummary i = Order("I", 250, 260);
  i.value = 7000;
  i.material_cost = 7;
  i.customer_id = "C3";
  orders.push_back(i);

  // J: confirmed before `since`, never shipped -> open (open ignores `since`).
  OrderSummary j = Order("J", 60, std::nullopt);
  j.customer_id = "C4";
  orders.push_back(j);

  // K: confirmed in window, no customer id, personalized false, never shipped -> open.
  OrderSummary k = Order("K", 180, std::nullopt);
  k.personalized = false;
  orders.push_back(k);

  return orders;
}

TEST_CASE("ComputeKpis on a hand-built set") {
  Rules rules;
  const Window window{H(100), H(200)};
  const MaterialTotals material{80.0, 6.0, 0, {}};
  const KpiReport r = ComputeKpis(SampleOrders(), material, rules, window);

  REQUIRE(r.window.since.has_value());
  REQUIRE(r.window.until.has_value());
  CHECK(*r.window.since == H(100));
  CHECK(*r.window.until == H(200));

  // Confirmed in [100, 200): B(100) C(120) D(150) F(110) K(180) = 5.
  CHECK(r.confirmed == 5);
  // Shipped in [100, 200): A(110.5) B(130) E(150) F(190) = 4 (C at 200 excluded).
  CHECK(r.shipped == 4);
  // Open: C (shipped at until), D, J (confirmed before since), K = 4.
  CHECK(r.open == 4);

  // Turnaround over A, B, F (E unconfirmed): sorted [20.5, 30, 80].
  CHECK(r.turnaround.count == 3);
  REQUIRE(r.turnaround.mean.has_value());
  CHECK(*r.turnaround.mean == doctest::Approx(43.5));  // (20.5 + 30 + 80) / 3 = 130.5 / 3
  REQUIRE(r.turnaround.p50.has_value());
  CHECK(*r.turnaround.p50 == doctest::Approx(30.0));  // rank ceil(1.5) = 2
  REQUIRE(r.turnaround.p90.has_value());
  CHECK(*r.turnaround.p90 == doctest::Approx(80.0));  // rank ceil(2.7) = 3
  REQUIRE(r.turnaround.p95.has_value());
  CHECK(*r.turnaround.p95 == doctest::Approx(80.0));  // rank ceil(2.85) = 3
  REQUIRE(r.turnaround.max.has_value());
  CHECK(*r.turnaround.max == doctest::Approx(80.0));

  // Yield: 100 * (80 - 6) / 80 = 92.5.
  REQUIRE(r.material_yield_pct.has_value());
  CHECK(*r.material_yield_pct == doctest::Approx(92.5));
  // Cost: shipped A B E F -> cost 20 + 15 + 5 + 60 = 100; revenue 200 + 100 + 0 + 400 = 700;
  // 100 * 100 / 700 = 14.285714...
  REQUIRE(r.material_cost_pct.has_value());
  CHECK(*r.material_cost_pct == doctest::Approx(100.0 * 100.0 / 700.0));
  CHECK(*r.material_cost_pct == doctest::Approx(14.2857142857));
  // Accuracy: A ok, B ok (changed_mind), E wrong_item, F defective -> 2 / 4 = 50.
  REQUIRE(r.order_accuracy_pct.has_value());
  CHECK(*r.order_accuracy_pct == doctest::Approx(50.0));
  // First pass: B failed before ship -> 3 / 4 = 75.
  REQUIRE(r.first_pass_yield_pct.has_value());
  CHECK(*r.first_pass_yield_pct == doctest::Approx(75.0));
  // AOV: confirmed in window with a value: B 100, C 300, F 400 -> 800 / 3 = 266.666...
  REQUIRE(r.aov.has_value());
  CHECK(*r.aov == doctest::Approx(800.0 / 3.0));
  // Personalization: C, F true of B C D F K -> 2 / 5 = 40.
  REQUIRE(r.personalization_pct.has_value());
  CHECK(*r.personalization_pct == doctest::Approx(40.0));
  // Repeat customers: in-window customers C1 (B, D), C2 (C), C3 (F); K has none.
  // C1 repeats -> 1 / 3 = 33.333...
  REQUIRE(r.repeat_customer_pct.has_value());
  CHECK(*r.repeat_customer_pct == doctest::Approx(100.0 / 3.0));
}

// SampleOrders() with the currencies given by order id (others: none).
std::vector<OrderSummary> WithCurrencies(const std::map<std::string, std::string>& currency) {
  std::vector<OrderSummary> orders = SampleOrders();
  for (OrderSummary& o : orders)
    if (auto it = currency.find(o.order_id); it != currency.end()) o.currency = it->second;
  return orders;
}

// Money in SampleOrders over [100h, 200h). Taking part: confirmed in the window with a
// value (aov): B 100, C 300, F 400; shipped in the window (material_cost_pct): A 20/200,
// B 15/100, E 5/no value, F 60/400. D and K (confirmed in the window, no value, not
// shipped) take no part; G, H, I lie outside.

TEST_CASE("Money KPIs: one currency on every order changes nothing, configured or not") {
  const Window window{H(100), H(200)};
  const KpiReport plain = ComputeKpis(SampleOrders(), MaterialTotals{}, Rules{}, window);
  REQUIRE(plain.aov.has_value());
  REQUIRE(plain.material_cost_pct.has_value());
  CHECK(*plain.aov == doctest::Approx(800.0 / 3.0));
  CHECK(*plain.material_cost_pct == doctest::Approx(100.0 * 100.0 / 700.0));

  std::map<std::string, std::string> all_eur;
  for (const char* id : {"A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "K"})
    all_eur[id] = "EUR";
  Rules eur;
  eur.kpi_currency = "EUR";
  for (const Rules& rules : {Rules{}, eur}) {
    const KpiReport r = ComputeKpis(WithCurrencies(all_eur), MaterialTotals{}, rules, window);
    // Bit for bit the figures of the currency-blind sums.
    REQUIRE(r.aov.has_value());
    CHECK(*r.aov == *plain.aov);
    REQUIRE(r.material_cost_pct.has_value());
    CHECK(*r.material_cost_pct == *plain.material_cost_pct);
    CHECK(r.orders_excluded_currency == 0);
    CHECK(r.money_by_currency.empty());
    CHECK(r.currency == "EUR");
  }
  // Some orders with the currency, some without, one in lower case: still one currency.
  const KpiReport partly =
      ComputeKpis(WithCurrencies({{"A", "EUR"}, {"C", "eur"}}), MaterialTotals{}, Rules{}, window);
  CHECK(*partly.aov == *plain.aov);
  CHECK(*partly.material_cost_pct == *plain.material_cost_pct);
  CHECK(partly.orders_excluded_currency == 0);
  CHECK(partly.money_by_currency.empty());
  CHECK(partly.currency == "EUR");
  // No currency anywhere: as before, and no currency to name.
  CHECK(plain.orders_excluded_currency == 0);
  CHECK(plain.money_by_currency.empty());
  CHECK(plain.currency.empty());
}

TEST_CASE("Money KPIs: currencies outside the window or on orders taking no part do not mix") {
  // D (no value, not shipped) says USD; H (confirmed at until) GBP; I (after) CHF; G (before)
  // JPY. None takes part in the window's money KPIs, so the EUR figures stand.
  const KpiReport r = ComputeKpis(WithCurrencies({{"A", "EUR"},
                                                  {"B", "EUR"},
                                                  {"C", "EUR"},
                                                  {"F", "EUR"},
                                                  {"D", "USD"},
                                                  {"H", "GBP"},
                                                  {"I", "CHF"},
                                                  {"G", "JPY"}}),
                                  MaterialTotals{}, Rules{}, Window{H(100), H(200)});
  REQUIRE(r.aov.has_value());
  CHECK(*r.aov == doctest::Approx(800.0 / 3.0));
  REQUIRE(r.material_cost_pct.has_value());
  CHECK(*r.material_cost_pct == doctest::Approx(100.0 * 100.0 / 700.0));
  CHECK(r.money_by_currency.empty());
  CHECK(r.orders_excluded_currency == 0);
}

TEST_CASE("Money KPIs: a configured currency counts only its orders") {
  Rules rules;
  rules.kpi_currency = "EUR";
  // B is in USD; E has no currency and counts as EUR. H and I (USD) lie outside the window.
  const KpiReport r = ComputeKpis(
      WithCurrencies(
          {{"A", "EUR"}, {"B", "USD"}, {"C", "EUR"}, {"F", "EUR"}, {"H", "USD"}, {"I", "USD"}}),
      MaterialTotals{}, rules, Window{H(100), H(200)});
  // AOV over C 300 and F 400 (B left out) = 350.
  REQUIRE(r.aov.has_value());
  CHECK(*r.aov == doctest::Approx(350.0));
  // Cost over A, E, F: (20 + 5 + 60) / (200 + 0 + 400) = 85 / 600 -> 14.1666...%.
  REQUIRE(r.material_cost_pct.has_value());
  CHECK(*r.material_cost_pct == doctest::Approx(100.0 * 85.0 / 600.0));
  // B, counted once though it is both confirmed and shipped in the window.
  CHECK(r.orders_excluded_currency == 1);
  CHECK(r.money_by_currency.empty());
  CHECK(r.currency == "EUR");
  // The other KPIs do not look at currency.
  CHECK(r.confirmed == 5);
  CHECK(r.shipped == 4);
}

TEST_CASE("Money KPIs: orders without a currency count as the configured one") {
  Rules rules;
  rules.kpi_currency = "USD";
  // A and F in EUR are left out; B in USD; C and E without a currency count as USD.
  const KpiReport r = ComputeKpis(WithCurrencies({{"A", "EUR"}, {"B", "USD"}, {"F", "EUR"}}),
                                  MaterialTotals{}, rules, Window{H(100), H(200)});
  // AOV over B 100 and C 300 = 200.
  REQUIRE(r.aov.has_value());
  CHECK(*r.aov == doctest::Approx(200.0));
  // Cost over B, E: (15 + 5) / (100 + 0) = 20%.
  REQUIRE(r.material_cost_pct.has_value());
  CHECK(*r.material_cost_pct == doctest::Approx(20.0));
  CHECK(r.orders_excluded_currency == 2);  // A, F
  CHECK(r.currency == "USD");

  // A configured currency no order uses: everything with a currency is left out.
  rules.kpi_currency = "GBP";
  const KpiReport none = ComputeKpis(
      WithCurrencies({{"A", "EUR"}, {"B", "USD"}, {"C", "EUR"}, {"E", "EUR"}, {"F", "EUR"}}),
      MaterialTotals{}, rules, Window{H(100), H(200)});
  CHECK_FALSE(none.aov.has_value());
  CHECK_FALSE(none.material_cost_pct.has_value());
  CHECK(none.orders_excluded_currency == 5);
}

TEST_CASE("Money KPIs: several currencies and none configured give them per currency") {
  // A C F in EUR, B in USD, E (shipped, no value) without a currency; H in GBP lies outside.
  const KpiReport r = ComputeKpis(
      WithCurrencies({{"A", "EUR"}, {"B", "USD"}, {"C", "EUR"}, {"F", "eur"}, {"H", "GBP"}}),
      MaterialTotals{}, Rules{}, Window{H(100), H(200)});
  CHECK_FALSE(r.aov.has_value());
  CHECK_FALSE(r.material_cost_pct.has_value());
  CHECK(r.currency.empty());
  REQUIRE(r.money_by_currency.size() == 2);
  REQUIRE(r.money_by_currency.count("EUR") == 1);
  REQUIRE(r.money_by_currency.count("USD") == 1);
  const MoneyKpis& eur = r.money_by_currency.at("EUR");
  // EUR: AOV over C 300, F 400 = 350; cost A, F: (20 + 60) / (200 + 400) = 13.333...%; A C F.
  REQUIRE(eur.aov.has_value());
  CHECK(*eur.aov == doctest::Approx(350.0));
  REQUIRE(eur.material_cost_pct.has_value());
  CHECK(*eur.material_cost_pct == doctest::Approx(100.0 * 80.0 / 600.0));
  CHECK(eur.orders == 3);
  const MoneyKpis& usd = r.money_by_currency.at("USD");
  // USD: B alone: AOV 100, cost 15 / 100 = 15%.
  REQUIRE(usd.aov.has_value());
  CHECK(*usd.aov == doctest::Approx(100.0));
  REQUIRE(usd.material_cost_pct.has_value());
  CHECK(*usd.material_cost_pct == doctest::Approx(15.0));
  CHECK(usd.orders == 1);
  // E has no currency: it belongs to neither, so it is left out.
  CHECK(r.orders_excluded_currency == 1);
  // Nothing else changes.
  CHECK(r.confirmed == 5);
  CHECK(r.shipped == 4);
  CHECK(*r.order_accuracy_pct == doctest::Approx(50.0));
}

TEST_CASE("Money KPIs: KpiAccumulator fed one order at a time agrees per currency") {
  const std::vector<OrderSummary> orders =
      WithCurrencies({{"A", "EUR"}, {"B", "USD"}, {"C", "EUR"}, {"F", "EUR"}});
  const Window window{H(100), H(200)};
  KpiAccumulator kpis(Rules{}, window);
  for (const OrderSummary& o : orders) kpis.Add(o);
  const KpiReport a = kpis.Finish(MaterialTotals{});
  const KpiReport b = ComputeKpis(orders, MaterialTotals{}, Rules{}, window);
  REQUIRE(a.money_by_currency.size() == 2);
  CHECK(*a.money_by_currency.at("EUR").aov == *b.money_by_currency.at("EUR").aov);
  CHECK(a.orders_excluded_currency == b.orders_excluded_currency);
}

TEST_CASE("ComputeKpis with an unbounded window counts everything") {
  Rules rules;
  const KpiReport r = ComputeKpis(SampleOrders(), MaterialTotals{}, rules, Window{});
  // Confirmed: all but E = 10 (A B C D F G H I J K).
  CHECK(r.confirmed == 10);
  // Shipped: A B C E F G I = 7.
  CHECK(r.shipped == 7);
  // Open (no until): confirmed and never shipped: D H J K = 4.
  CHECK(r.open == 4);
  // Turnaround: A 20.5, B 30, C 80, F 80, G 30, I 10 -> sorted [10, 20.5, 30, 30, 80, 80].
  CHECK(r.turnaround.count == 6);
  CHECK(*r.turnaround.mean == doctest::Approx(250.5 / 6.0));
  CHECK(*r.turnaround.p50 == doctest::Approx(30.0));  // rank ceil(3.0) = 3
  CHECK(*r.turnaround.p90 == doctest::Approx(80.0));  // rank ceil(5.4) = 6
  CHECK(*r.turnaround.max == doctest::Approx(80.0));
  // Repeat: C1 (A B D), C2 (C H), C3 (F G I), C4 (J) -> 3 / 4 = 75.
  CHECK(*r.repeat_customer_pct == doctest::Approx(75.0));
  // Accuracy: C wrong_item, E wrong_item, F defective fail; A B G I ok -> 4 / 7.
  CHECK(*r.order_accuracy_pct == doctest::Approx(400.0 / 7.0));
  // First pass: B, G failed -> 5 / 7.
  CHECK(*r.first_pass_yield_pct == doctest::Approx(500.0 / 7.0));
  // Yield: no material used -> null.
  CHECK_FALSE(r.material_yield_pct.has_value());
}

TEST_CASE("ComputeKpis: zero denominators are null") {
  Rules rules;

  SUBCASE("no orders at all") {
    const KpiReport r = ComputeKpis({}, MaterialTotals{}, rules, Window{H(0), H(10)});
    CHECK(r.confirmed == 0);
    CHECK(r.shipped == 0);
    CHECK(r.open == 0);
    CHECK(r.turnaround.count == 0);
    CHECK_FALSE(r.turnaround.mean.has_value());
    CHECK_FALSE(r.turnaround.p50.has_value());
    CHECK_FALSE(r.turnaround.p90.has_value());
    CHECK_FALSE(r.turnaround.p95.has_value());
    CHECK_FALSE(r.turnaround.max.has_value());
    CHECK_FALSE(r.material_yield_pct.has_value());
    CHECK_FALSE(r.material_cost_pct.has_value());
    CHECK_FALSE(r.order_accuracy_pct.has_value());
    CHECK_FALSE(r.first_pass_yield_pct.has_value());
    CHECK_FALSE(r.aov.has_value());
    CHECK_FALSE(r.personalization_pct.has_value());
    CHECK_FALSE(r.repeat_customer_pct.has_value());
  }

  SUBCASE("shipped orders without value: cost share null, accuracy defined") {
    OrderSummary o = Order("X", std::nullopt, 5);
    o.material_cost = 12;
    const KpiReport r = ComputeKpis({o}, MaterialTotals{10, 10, 0, {}}, rules, Window{H(0), H(10)});
    CHECK(r.shipped == 1);
    CHECK(r.turnaround.count == 0);
    CHECK_FALSE(r.turnaround.mean.has_value());
    CHECK_FALSE(r.material_cost_pct.has_value());
    REQUIRE(r.order_accuracy_pct.has_value());
    CHECK(*r.order_accuracy_pct == doctest::Approx(100.0));
    REQUIRE(r.first_pass_yield_pct.has_value());
    CHECK(*r.first_pass_yield_pct == doctest::Approx(100.0));
    // Yield: 100 * (10 - 10) / 10 = 0, a value, not null.
    REQUIRE(r.material_yield_pct.has_value());
    CHECK(*r.material_yield_pct == doctest::Approx(0.0));
  }

  SUBCASE("confirmed orders without value or customer") {
    const KpiReport r =
        ComputeKpis({Order("X", 1, std::nullopt)}, MaterialTotals{}, rules, Window{H(0), H(10)});
    CHECK(r.confirmed == 1);
    CHECK(r.open == 1);
    CHECK_FALSE(r.aov.has_value());
    CHECK_FALSE(r.repeat_customer_pct.has_value());
    REQUIRE(r.personalization_pct.has_value());
    CHECK(*r.personalization_pct == doctest::Approx(0.0));  // 0 of 1
    CHECK_FALSE(r.order_accuracy_pct.has_value());
    CHECK_FALSE(r.first_pass_yield_pct.has_value());
  }
}

TEST_CASE("ComputeKpis: accuracy follows the configured failure reasons") {
  Rules rules;
  rules.accuracy_failure_reasons = {"changed_mind"};
  OrderSummary a = Order("A", 0, 1);
  a.return_reasons = {"defective"};  // no longer a failure
  OrderSummary b = Order("B", 0, 2);
  b.return_reasons = {"", "changed_mind"};
  OrderSummary c = Order("C", 0, 3);
  c.return_reasons = {""};
  const KpiReport r = ComputeKpis({a, b, c}, MaterialTotals{}, rules, Window{});
  // Only B fails -> 2 / 3.
  CHECK(*r.order_accuracy_pct == doctest::Approx(200.0 / 3.0));
}

TEST_CASE("ComputeKpis: open orders at the window edges") {
  Rules rules;
  const Window window{H(10), H(20)};
  // Only `until` matters for open; `until` is exclusive.
  auto open_count = [&](std::optional<double> confirmed, std::optional<double> shipped) {
    return ComputeKpis({Order("X", confirmed, shipped)}, MaterialTotals{}, rules, window).open;
  };
  CHECK(open_count(19, std::nullopt) == 1);            // confirmed just before until
  CHECK(open_count(20, std::nullopt) == 0);            // confirmed at until: not before it
  CHECK(open_count(5, std::nullopt) == 1);             // confirmed before since still counts
  CHECK(open_count(15, 20) == 1);                      // shipped at until: not shipped before until
  CHECK(open_count(15, 19.999) == 0);                  // shipped just before until
  CHECK(open_count(5, 8) == 0);                        // shipped before since
  CHECK(open_count(15, 25) == 1);                      // shipped after until
  CHECK(open_count(std::nullopt, std::nullopt) == 0);  // never confirmed
  CHECK(open_count(std::nullopt, 30) == 0);

  // Millisecond precision at the edge.
  OrderSummary o;
  o.confirmed_at = H(20) - Millis{1};
  CHECK(ComputeKpis({o}, MaterialTotals{}, rules, window).open == 1);
  o.shipped_at = H(20) - Millis{1};
  CHECK(ComputeKpis({o}, MaterialTotals{}, rules, window).open == 0);

  // With no until, open = confirmed and never shipped.
  const Window no_until{H(10), std::nullopt};
  CHECK(ComputeKpis({Order("X", 1000, std::nullopt)}, MaterialTotals{}, rules, no_until).open == 1);
  CHECK(ComputeKpis({Order("X", 1, 1e6)}, MaterialTotals{}, rules, no_until).open == 0);
}

TEST_CASE("ComputeKpis: turnaround is measured in hours from milliseconds") {
  Rules rules;
  OrderSummary o;
  o.confirmed_at = FromEpochMs(kT0);
  o.shipped_at = FromEpochMs(kT0 + 5'400'000 + 36);  // 1.5 h + 36 ms = 1.50001 h
  const KpiReport r = ComputeKpis({o}, MaterialTotals{}, rules, Window{});
  CHECK(r.turnaround.count == 1);
  CHECK(*r.turnaround.mean == doctest::Approx(1.50001).epsilon(1e-12));
  CHECK(*r.turnaround.p50 == doctest::Approx(1.50001).epsilon(1e-12));
  CHECK(*r.turnaround.p95 == doctest::Approx(1.50001).epsilon(1e-12));
  CHECK(*r.turnaround.max == doctest::Approx(1.50001).epsilon(1e-12));
}

TEST_CASE("repeat_customer_pct counts exactly over many customers") {
  // 1,000 orders; customer i % 300: customers 0..99 have 4 orders (i < 1000
  // hits residues 0..99 four times: 0, 300, 600, 900), 100..299 have 3.
  // Every customer repeats -> 100 %. Then 300 single-order customers join:
  // 300 of 600 repeat -> 50 %.
  std::vector<OrderSummary> orders;
  for (int i = 0; i < 1000; ++i) {
    OrderSummary o = Order("O" + std::to_string(i), 10, std::nullopt);
    o.customer_id = "cust-" + std::to_string(i % 300);
    orders.push_back(o);
  }
  const Window all{};
  CHECK(*ComputeKpis(orders, {}, Rules{}, all).repeat_customer_pct == doctest::Approx(100.0));
  for (int i = 0; i < 300; ++i) {
    OrderSummary o = Order("S" + std::to_string(i), 10, std::nullopt);
    o.customer_id = "single-" + std::to_string(i);
    orders.push_back(o);
  }
  CHECK(*ComputeKpis(orders, {}, Rules{}, all).repeat_customer_pct == doctest::Approx(50.0));
}

TEST_CASE("KpiAccumulator fed one order at a time equals ComputeKpis") {
  std::vector<OrderSummary> orders = {Order("A", 1, 30), Order("B", 2, std::nullopt),
                                      Order("C", std::nullopt, 40), Order("D", 5, 9)};
  orders[0].customer_id = orders[1].customer_id = "c1";
  orders[0].value = 100;
  orders[3].return_reasons = {"wrong_size"};
  const Window window{H(0), H(35)};
  const MaterialTotals material{10, 1, 0, {}};
  KpiAccumulator kpis(Rules{}, window);
  for (const OrderSummary& o : orders) kpis.Add(o);
  const KpiReport a = kpis.Finish(material);
  const KpiReport b = ComputeKpis(orders, material, Rules{}, window);
  CHECK(a.confirmed == b.confirmed);
  CHECK(a.shipped == b.shipped);
  CHECK(a.open == b.open);
  CHECK(a.turnaround.count == b.turnaround.count);
  CHECK(*a.turnaround.p50 == *b.turnaround.p50);
  CHECK(*a.order_accuracy_pct == *b.order_accuracy_pct);
  CHECK(*a.repeat_customer_pct == *b.repeat_customer_pct);
  CHECK(*a.aov == *b.aov);
  CHECK(a.confirmed == 3);  // A, B, D
  CHECK(a.shipped == 2);    // A (30 h), D (9 h); C ships at 40 h, outside
}

}  // namespace
}  // namespace floortrack
