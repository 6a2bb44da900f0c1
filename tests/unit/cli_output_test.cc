// Unit tests for the CLI's renderings (tools/cli_output.h): the kpi JSON
// object (which the HTTP API will serve as is) and the status timeline.
//
// tools/cli_output.cc is compiled into the floortrack binary only, so it is
// compiled into this test here; unit_tests links nothing else that defines it.
#include "tools/cli_output.cc"  // NOLINT(bugprone-suspicious-include)

#include <doctest/doctest.h>

#include <set>
#include <string>

namespace floortrack::cli {
namespace {

std::set<std::string> Keys(const nlohmann::json& j) {
  std::set<std::string> keys;
  for (const auto& [k, v] : j.items()) keys.insert(k);
  return keys;
}

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

const std::set<std::string> kKpiKeys = {"window",
                                        "orders",
                                        "turnaround_hours",
                                        "material_yield_pct",
                                        "material_cost_pct",
                                        "order_accuracy_pct",
                                        "first_pass_yield_pct",
                                        "aov",
                                        "personalization_pct",
                                        "on_time_pct",
                                        "orders_with_promise",
                                        "repeat_customer_pct",
                                        "orders_excluded_currency",
                                        "material_loss_pct",
                                        "materials",
                                        "targets",
                                        "retention_pct",
                                        "retention",
                                        "labor_pieces_per_hour",
                                        "labor",
                                        "design_conversion_pct",
                                        "designs_submitted",
                                        "csi",
                                        "csi_responses",
                                        "engagement_pct",
                                        "production_hours",
                                        "production_orders"};

TEST_CASE("KpiJson for one currency: the figures as before plus orders_excluded_currency 0") {
  KpiReport r;
  r.aov = 162.5;
  r.material_cost_pct = 3.75;
  r.currency = "EUR";
  const nlohmann::json j = KpiJson(r);
  CHECK(Keys(j) == kKpiKeys);  // no money_by_currency
  CHECK(j["aov"] == 162.5);
  CHECK(j["material_cost_pct"] == 3.75);
  CHECK(j["orders_excluded_currency"] == 0);
}

TEST_CASE("KpiJson materials: per type, new top-level keys, existing ones unchanged") {
  MaterialTotals material{100, 30, 18, {}};
  material.by_type["silver-925"] = MaterialSums{80, 20, 18, 72};
  material.by_type["castable-resin"] = MaterialSums{20, 10, 0, 6};
  const KpiReport r = ComputeKpis({}, material, Rules{}, Window{});
  const nlohmann::json j = KpiJson(r);
  CHECK(j["material_yield_pct"] == doctest::Approx(70.0));  // (100 - 30) / 100
  CHECK(j["material_loss_pct"] == doctest::Approx(12.0));   // (30 - 18) / 100
  const auto& silver = j["materials"]["silver-925"];
  CHECK(silver["used_g"] == 80.0);
  CHECK(silver["recovered_g"] == 18.0);
  CHECK(silver["yield_pct"] == doctest::Approx(75.0));  // (80 - 20) / 80
  CHECK(silver["loss_pct"] == doctest::Approx(2.5));    // (20 - 18) / 80
  CHECK(silver["cost"] == 72.0);
  CHECK(j["materials"]["castable-resin"]["loss_pct"] == doctest::Approx(50.0));  // 10 / 20
}

TEST_CASE("KpiJson targets: a band, value and status per KPI; materials by type, metals by loss") {
  OrderSummary a;  // turnaround 80 h, accurate, 150 EUR
  a.order_id = "A";
  a.confirmed_at = FromEpochMs(0);
  a.shipped_at = FromEpochMs(80 * 3'600'000LL);
  a.value = 150;
  MaterialTotals material{100, 30, 18, {}};
  material.by_type["silver-925"] = MaterialSums{80, 20, 18, 72};
  material.by_type["castable-resin"] = MaterialSums{20, 10, 0, 6};
  const nlohmann::json t = KpiJson(ComputeKpis({a}, material, Rules{}, Window{}))["targets"];
  CHECK(t["turnaround_hours"] ==
        nlohmann::json({{"min", 72.0}, {"max", 168.0}, {"value", 80.0}, {"status", "inside"}}));
  CHECK(t["aov"]["status"] == "above");  // 150 > 120
  CHECK(t["order_accuracy_pct"]["max"].is_null());
  CHECK(t["order_accuracy_pct"]["status"] == "inside");    // 100 >= 98
  CHECK(t["personalization_pct"]["status"] == "below");    // 0 < 25
  CHECK(t["repeat_customer_pct"]["status"] == "no_data");  // no customer_id
  CHECK(t["repeat_customer_pct"]["value"].is_null());
  CHECK(!t.contains("first_pass_yield_pct"));  // no default band
  const auto& silver = t["materials"]["silver-925"];
  CHECK(silver["kpi"] == "loss_pct");
  CHECK(silver["value"] == doctest::Approx(2.5));  // (20 - 18) / 80
  CHECK(silver["status"] == "inside");             // <= 5
  const auto& resin = t["materials"]["castable-resin"];
  CHECK(resin["kpi"] == "yield_pct");
  CHECK(resin["value"] == doctest::Approx(50.0));  // (20 - 10) / 20
  CHECK(resin["status"] == "below");               // < 85
  const std::string table = KpiTable(ComputeKpis({a}, material, Rules{}, Window{}));
  CHECK(Contains(table, "turnaround_hours"));
  CHECK(Contains(table, "silver-925 loss_pct"));
}

TEST_CASE("KpiJson with several currencies: null money KPIs and money_by_currency") {
  KpiReport r;
  r.orders_excluded_currency = 1;
  r.money_by_currency["EUR"] = MoneyKpis{350.0, 100.0 * 80.0 / 600.0, 3};
  r.money_by_currency["USD"] = MoneyKpis{100.0, std::nullopt, 1};
  const nlohmann::json j = KpiJson(r);
  std::set<std::string> keys = kKpiKeys;
  keys.insert("money_by_currency");
  CHECK(Keys(j) == keys);
  CHECK(j["aov"].is_null());
  CHECK(j["material_cost_pct"].is_null());
  CHECK(j["orders_excluded_currency"] == 1);
  const nlohmann::json& by = j["money_by_currency"];
  CHECK(Keys(by) == std::set<std::string>{"EUR", "USD"});
  CHECK(Keys(by["EUR"]) == std::set<std::string>{"aov", "material_cost_pct", "orders"});
  CHECK(by["EUR"]["aov"] == 350.0);
  CHECK(by["EUR"]["material_cost_pct"].get<double>() == doctest::Approx(13.3333333333));
  CHECK(by["EUR"]["orders"] == 3);
  CHECK(by["USD"]["aov"] == 100.0);
  CHECK(by["USD"]["material_cost_pct"].is_null());
  CHECK(by["USD"]["orders"] == 1);
}

TEST_CASE("KpiTable shows per-currency lines when mixed, an exclusion line when excluding") {
  KpiReport mixed;
  mixed.orders_excluded_currency = 1;
  mixed.money_by_currency["EUR"] = MoneyKpis{350.0, 100.0 * 80.0 / 600.0, 3};
  mixed.money_by_currency["USD"] = MoneyKpis{100.0, 15.0, 1};
  const std::string t = KpiTable(mixed);
  CHECK(Contains(t, "average order value  -\n"));
  CHECK(
      Contains(t, "  EUR  orders 3  average order value 350.0  material cost 13.3 % of revenue\n"));
  CHECK(
      Contains(t, "  USD  orders 1  average order value 100.0  material cost 15.0 % of revenue\n"));
  CHECK(Contains(t, "excluded (currency)  1 orders without a currency\n"));

  KpiReport configured;
  configured.aov = 350.0;
  configured.currency = "EUR";
  configured.orders_excluded_currency = 2;
  const std::string c = KpiTable(configured);
  CHECK(Contains(c, "average order value  350.0\n"));
  CHECK(Contains(c, "excluded (currency)  2 orders not in EUR ([kpi] currency)\n"));
  CHECK_FALSE(Contains(c, "several currencies"));

  KpiReport single;
  single.aov = 162.5;
  single.currency = "EUR";
  const std::string s = KpiTable(single);
  CHECK_FALSE(Contains(s, "currenc"));  // a one-currency shop sees the table it always saw
  CHECK_FALSE(Contains(s, "EUR"));
}

// One order: a trusted event, one without ts, and one of each flagged kind.
std::vector<StageEvent> Timeline() {
  std::vector<StageEvent> events(5);
  const TimePoint received = FromEpochMs(1'795'421'700'000);  // 2026-11-23T08:15:00Z
  for (StageEvent& e : events) {
    e.order_id = "A-1";
    e.stage = "qc";
    e.received_at = received;
    e.stage_time = received;
  }
  events[0].time_source = TimeSource::kDevice;
  events[0].device_ts = events[0].stage_time = FromEpochMs(1'795'421'400'000);  // 08:10:00Z
  events[1].time_source = TimeSource::kReceivedNoTs;
  events[2].time_source = TimeSource::kReceivedBeforeEarliest;
  events[2].device_ts = FromEpochMs(946'685'100'000);  // 2000-01-01T00:05:00Z
  events[3].time_source = TimeSource::kReceivedTooOld;
  events[3].device_ts = FromEpochMs(1'672'531'200'000);  // 2023-01-01T00:00:00Z
  events[4].time_source = TimeSource::kReceivedFuture;
  events[4].device_ts = FromEpochMs(1'795'425'300'000);  // 09:15:00Z
  events[4].result = StageResult::kPass;
  return events;
}

TEST_CASE("StatusJson: flagged timeline entries carry ts_flag and device_ts, others neither") {
  OrderSummary o;
  o.order_id = "A-1";
  const nlohmann::json j = StatusJson(o, Timeline(), FromEpochMs(1'795'421'700'000));
  const nlohmann::json& tl = j["timeline"];
  REQUIRE(tl.size() == 5);
  for (int i : {0, 1}) {
    CAPTURE(i);
    CHECK_FALSE(tl[i].contains("ts_flag"));
    CHECK_FALSE(tl[i].contains("device_ts"));
  }
  CHECK(tl[0]["time_source"] == "device");
  CHECK(tl[1]["time_source"] == "received");
  CHECK(tl[2]["ts_flag"] == "before_earliest");
  CHECK(tl[2]["device_ts"] == "2000-01-01T00:05:00Z");
  CHECK(tl[2]["stage_time"] == "2026-11-23T08:15:00Z");
  CHECK(tl[2]["time_source"] == "received (device ts before earliest_ts)");
  CHECK(tl[3]["ts_flag"] == "too_old");
  CHECK(tl[3]["device_ts"] == "2023-01-01T00:00:00Z");
  CHECK(tl[3]["time_source"] == "received (device ts too old)");
  CHECK(tl[4]["ts_flag"] == "future");
  CHECK(tl[4]["device_ts"] == "2026-11-23T09:15:00Z");
  CHECK(tl[4]["time_source"] == "received (device ts in the future)");
}

TEST_CASE("StatusTable marks flagged entries with the device ts") {
  OrderSummary o;
  o.order_id = "A-1";
  const std::string t = StatusTable(o, Timeline(), FromEpochMs(1'795'421'700'000));
  CHECK(Contains(t, " -\n"));  // the unflagged entries: no result, no mark
  CHECK(Contains(t, " [flagged: device ts 2000-01-01T00:05:00Z before earliest_ts]\n"));
  CHECK(Contains(t, " [flagged: device ts 2023-01-01T00:00:00Z too old]\n"));
  CHECK(Contains(t, " pass [flagged: device ts 2026-11-23T09:15:00Z in the future]\n"));
}

}  // namespace
}  // namespace floortrack::cli
