// Unit tests for the KPI breakdown renderings (tools/breakdown_output.h):
// the kpi JSON object plus "by", the group shapes and the table rows.
//
// tools/breakdown_output.cc is compiled into floortrack_reports only, so it
// is compiled into this test here (KpiJson comes from cli_output_test.cc).
#include "tools/breakdown_output.cc"  // NOLINT(bugprone-suspicious-include)

#include <doctest/doctest.h>

#include <set>
#include <string>

namespace floortrack::cli {
namespace {

std::set<std::string> KeysOf(const nlohmann::json& j) {
  std::set<std::string> keys;
  for (const auto& [k, v] : j.items()) keys.insert(k);
  return keys;
}

KpiReport Shipped(std::size_t n, double p50) {
  KpiReport r;
  r.shipped = n;
  r.turnaround.count = n;
  r.turnaround.p50 = p50;
  r.turnaround.p90 = p50;
  r.first_pass_yield_pct = 50;
  return r;
}

TEST_CASE("kpi --by product --json: the kpi object plus by, groups without shop-wide fields") {
  KpiBreakdownReport r;
  r.key = BreakdownKey::kProduct;
  r.kpis = Shipped(3, 24);
  r.kpis.materials["silver-925"].sums.used_g = 20;
  r.orders["ring"] = Shipped(2, 24);
  r.orders[kNoValue] = Shipped(1, 48);
  const nlohmann::json j = KpiBreakdownJson(r);
  std::set<std::string> expected = KeysOf(KpiJson(r.kpis));
  expected.insert("by");
  CHECK(KeysOf(j) == expected);
  CHECK(j["by"]["key"] == "product");
  const auto& groups = j["by"]["groups"];
  REQUIRE(groups.size() == 2);
  CHECK(groups[0]["value"] == kNoValue);
  CHECK(groups[1]["value"] == "ring");
  CHECK(groups[1]["orders"]["shipped"] == 2);
  CHECK(groups[1]["turnaround_hours"]["p50"] == 24.0);
  CHECK(groups[1]["first_pass_yield_pct"] == 50.0);
  for (const char* shop_wide :
       {"window", "material_yield_pct", "material_loss_pct", "materials", "targets"})
    CHECK_FALSE(groups[1].contains(shop_wide));
  const std::string table = KpiBreakdownTable(r);
  CHECK(table.find("PRODUCT") != std::string::npos);
  CHECK(table.find("ring ") != std::string::npos);
  CHECK(table.find("(all) ") != std::string::npos);
}

TEST_CASE("kpi --by station, defect, material --json: the group fields") {
  KpiBreakdownReport r;
  r.key = BreakdownKey::kStation;
  JudgedStats s;
  s.judged = 2;
  s.passed = 1;
  s.failed = 1;
  s.first_pass_pct = 50;
  s.defects["porosity"] = 1;
  r.judged["printer-1"] = s;
  nlohmann::json g = KpiBreakdownJson(r)["by"]["groups"][0];
  CHECK(KeysOf(g) ==
        std::set<std::string>{"value", "judged", "passed", "failed", "first_pass_pct", "defects"});
  CHECK(g["defects"]["porosity"] == 1);
  CHECK(KpiBreakdownTable(r).find("porosity 1") != std::string::npos);

  r.key = BreakdownKey::kDefect;
  r.defects["porosity"].count = 3;
  r.defects["porosity"].stations["printer-1"] = 3;
  g = KpiBreakdownJson(r)["by"]["groups"][0];
  CHECK(KeysOf(g) == std::set<std::string>{"value", "count", "stations"});
  CHECK(g["stations"]["printer-1"] == 3);

  r.key = BreakdownKey::kMaterial;
  r.kpis.materials["silver-925"].sums.used_g = 20;
  r.kpis.materials["silver-925"].loss_pct = 5;
  g = KpiBreakdownJson(r)["by"]["groups"][0];
  CHECK(g["value"] == "silver-925");
  CHECK(g["loss_pct"] == 5.0);
  CHECK(KeysOf(g) == std::set<std::string>{"value", "used_g", "scrap_g", "recovered_g", "yield_pct",
                                           "loss_pct", "cost"});
}

}  // namespace
}  // namespace floortrack::cli
