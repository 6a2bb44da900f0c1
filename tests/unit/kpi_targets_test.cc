// KPI targets (core/kpi_targets.h): judging a value against a band, which
// material types are metals, and the config's [targets] table.
#include "core/kpi_targets.h"

#include <doctest/doctest.h>

#include <limits>
#include <string>

#include "adapters/config_file.h"
#include "adapters/rules_record.h"
#include "core/kpi.h"

namespace floortrack {
namespace {

TEST_CASE("Judge: inside includes both bounds; an open side never fails; no value is no_data") {
  const KpiBand band{72.0, 168.0};
  CHECK(Judge(band, 72.0) == TargetStatus::kInside);
  CHECK(Judge(band, 168.0) == TargetStatus::kInside);
  CHECK(Judge(band, 71.99) == TargetStatus::kBelow);
  CHECK(Judge(band, 168.01) == TargetStatus::kAbove);
  CHECK(Judge(band, std::nullopt) == TargetStatus::kNoData);
  CHECK(Judge(KpiBand{98.0, std::nullopt}, 1e9) == TargetStatus::kInside);
  CHECK(Judge(KpiBand{std::nullopt, 5.0}, -3.0) == TargetStatus::kInside);
  CHECK(Judge(KpiBand{}, 42.0) == TargetStatus::kInside);
  CHECK(std::string(TargetStatusName(TargetStatus::kNoData)) == "no_data");
}

TEST_CASE("IsMetal: a listed metal as a word of the type name, any case") {
  const std::vector<std::string> metals = KpiTargets{}.metals;
  CHECK(IsMetal("silver", metals));
  CHECK(IsMetal("Silver-925", metals));
  CHECK(IsMetal("gold_14k", metals));
  CHECK(IsMetal("14k gold", metals));
  CHECK_FALSE(IsMetal("castable-resin", metals));
  CHECK_FALSE(IsMetal("goldenrod-resin", metals));  // "gold" is not a word of it
  CHECK_FALSE(IsMetal("wax", metals));
  CHECK_FALSE(IsMetal("silver", {}));
}

TEST_CASE("JudgeTargets: turnaround on p50, each band once, materials split metal/non-metal") {
  KpiReport r;
  r.turnaround.p50 = 200.0;
  r.turnaround.p90 = 100.0;  // not what is judged
  r.order_accuracy_pct = 97.5;
  r.material_cost_pct = 30.0;
  r.materials["bronze"].loss_pct = 6.0;
  r.materials["bronze"].yield_pct = 50.0;
  r.materials["wax"].yield_pct = 90.0;
  const TargetReport t = JudgeTargets(r, KpiTargets{});
  CHECK(t.kpis.size() == KpiTargets{}.bands.size());
  CHECK(t.kpis.at("turnaround_hours").status == TargetStatus::kAbove);
  CHECK(*t.kpis.at("turnaround_hours").value == 200.0);
  CHECK(t.kpis.at("order_accuracy_pct").status == TargetStatus::kBelow);
  CHECK(t.kpis.at("material_cost_pct").status == TargetStatus::kInside);
  CHECK(t.kpis.at("aov").status == TargetStatus::kNoData);
  CHECK(t.materials.at("bronze").kpi == "loss_pct");
  CHECK(t.materials.at("bronze").result.status == TargetStatus::kAbove);  // 6 > 5
  CHECK(t.materials.at("wax").kpi == "yield_pct");
  CHECK(t.materials.at("wax").result.status == TargetStatus::kInside);  // 90 >= 85
}

TEST_CASE("[targets]: arrays with inf, tables with one side, metals; defaults kept elsewhere") {
  auto c = ParseConfig(R"([targets]
turnaround_hours = [48, 120]
order_accuracy_pct = [99.5, inf]
aov = { max = 200 }
first_pass_yield_pct = { min = 90 }
material_yield_pct = [-inf, inf]
metal_loss_pct = [0, 3]
metals = ["argentium"]
)",
                       "t.toml");
  REQUIRE(c.ok());
  const KpiTargets& t = c.value().rules.targets;
  CHECK(t.bands.at("turnaround_hours") == KpiBand{48.0, 120.0});
  CHECK(t.bands.at("order_accuracy_pct") == KpiBand{99.5, std::nullopt});
  CHECK(t.bands.at("aov") == KpiBand{std::nullopt, 200.0});
  CHECK(t.bands.at("first_pass_yield_pct") == KpiBand{90.0, std::nullopt});
  CHECK(t.bands.at("personalization_pct") == KpiBand{25.0, 40.0});  // default
  CHECK(t.nonmetal_yield_pct == KpiBand{});
  CHECK(t.metal_loss_pct == KpiBand{0.0, 3.0});
  CHECK(t.metals == std::vector<std::string>{"argentium"});
}

TEST_CASE("[targets]: each bad band is an error naming its key") {
  auto error = [](const char* text) {
    auto c = ParseConfig(std::string("[targets]\n") + text, "t.toml");
    return c ? std::string() : c.error().message;
  };
  CHECK(error("aov = [120, 70]\n") == "t.toml: key 'targets.aov': min is above max");
  CHECK(error("aov = [70]\n").find("key 'targets.aov': must be [min, max]") != std::string::npos);
  CHECK(error("aov = [\"a\", 1]\n").find("key 'targets.aov'") != std::string::npos);
  CHECK(error("aov = [inf, 100]\n").find("min may be -inf") != std::string::npos);
  CHECK(error("aov = { low = 1 }\n") == "t.toml: key 'targets.aov.low': unknown key");
  CHECK(error("aov = { min = \"x\" }\n") == "t.toml: key 'targets.aov.min': must be a number");
  CHECK(error("turnaround = [1, 2]\n") == "t.toml: key 'targets.turnaround': unknown key");
  CHECK(error("metals = [\"\"]\n") == "t.toml: key 'targets.metals': names must be non-empty");
}

TEST_CASE("the rules record carries the targets; an older record gets the defaults") {
  Rules rules;
  rules.targets.bands = {{"aov", KpiBand{std::nullopt, 90.0}}};
  rules.targets.metal_loss_pct = KpiBand{1.0, 4.0};
  rules.targets.metals = {"gold"};
  auto back = DecodeRules(EncodeRules(rules));
  REQUIRE(back.ok());
  CHECK(back.value().targets == rules.targets);
  auto old = DecodeRules(R"({"stages":["confirmed","shipped"]})");
  REQUIRE(old.ok());
  CHECK(old.value().targets == KpiTargets{});
}

}  // namespace
}  // namespace floortrack
