// KPI targets: the band the shop wants each KPI in, and whether it is.
//
// A band is [min, max]; either side may be open. The shop's KPIs are
// judged against `KpiTargets::bands` by KPI name (turnaround on its
// median). Material is judged per material type: a casting tree turns only
// about half its metal into pieces by design (sprue and button go back to
// the crucible), so a metal's yield says nothing about waste; metals are
// judged by loss (`metal_loss_pct`), everything else (resins) by yield
// (`material_yield_pct`). Which types are metals: `metals`, matched as a
// case-insensitive word inside the type name ("silver", "Silver-925",
// "gold_14k"). Defaults and the reasons for them: docs/kpi.md. Plain
// values and pure functions.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace floortrack {

struct KpiBand {
  std::optional<double> min;
  std::optional<double> max;
  friend bool operator==(const KpiBand&, const KpiBand&) = default;
};

enum class TargetStatus { kInside, kBelow, kAbove, kNoData };

// "inside", "below", "above", "no_data".
const char* TargetStatusName(TargetStatus status);

// Whether `value` is inside `band`; kNoData when there is no value.
TargetStatus Judge(const KpiBand& band, std::optional<double> value);

// The shop-wide KPIs a band may be given for (`[targets]` keys besides the
// material ones). The shop-wide material_yield_pct is not among them: with
// metals cast it mixes resin and metal, so material is judged per type.
inline constexpr const char* kTargetKpis[] = {
    "turnaround_hours",    "order_accuracy_pct",    "first_pass_yield_pct", "material_cost_pct",
    "repeat_customer_pct", "aov",                   "personalization_pct",  "on_time_pct",
    "retention_pct",       "labor_pieces_per_hour", "design_conversion_pct", "csi",
    "engagement_pct",      "production_hours"};

struct KpiTargets;
// Whether `targets` gives a band to a KPI computed from event-level activity
// (retention_pct, csi, labor_pieces_per_hour: core/shop_kpis.h).
bool NeedsActivity(const KpiTargets& targets);

struct KpiTargets {
  // By KPI name (kTargetKpis); first_pass_yield_pct and the extra kinds'
  // KPIs (retention_pct onwards) have no default band.
  std::map<std::string, KpiBand> bands = {
      {"turnaround_hours", {72.0, 168.0}},
      {"order_accuracy_pct", {98.0, std::nullopt}},
      {"material_cost_pct", {20.0, 35.0}},
      {"repeat_customer_pct", {20.0, std::nullopt}},
      {"aov", {70.0, 120.0}},
      {"personalization_pct", {25.0, 40.0}},
      {"on_time_pct", {95.0, std::nullopt}},
  };
  // Per material type that is not a metal: its yield_pct
  // (`[targets] material_yield_pct`).
  KpiBand nonmetal_yield_pct{85.0, std::nullopt};
  // Per metal: its loss_pct, metal gone for good after the sprue and
  // button are recovered (`[targets] metal_loss_pct`).
  KpiBand metal_loss_pct{std::nullopt, 5.0};
  std::vector<std::string> metals = {"brass",    "bronze", "copper", "gold",     "palladium",
                                     "platinum", "silver", "steel",  "sterling", "titanium"};
  friend bool operator==(const KpiTargets&, const KpiTargets&) = default;
};

// Whether material type `type` is a metal under `metals`: one of them
// appears in it as a word (bounded by the ends or by a non-letter),
// ASCII case-insensitively.
bool IsMetal(const std::string& type, const std::vector<std::string>& metals);

struct TargetResult {
  KpiBand band;
  std::optional<double> value;
  TargetStatus status = TargetStatus::kNoData;
};

struct MaterialTargetResult {
  std::string kpi;  // "yield_pct" or "loss_pct"
  TargetResult result;
};

struct TargetReport {
  std::map<std::string, TargetResult> kpis;               // by KPI name, one per band
  std::map<std::string, MaterialTargetResult> materials;  // by material type in the window
};

}  // namespace floortrack
