#include "core/kpi_targets.h"

#include <cctype>

#include "core/kpi.h"

namespace floortrack {
namespace {

char Lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }
bool IsLetter(char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0; }

bool ContainsWord(const std::string& text, const std::string& word) {
  if (word.empty() || word.size() > text.size()) return false;
  for (std::size_t at = 0; at + word.size() <= text.size(); ++at) {
    bool same = true;
    for (std::size_t i = 0; i < word.size() && same; ++i)
      same = Lower(text[at + i]) == Lower(word[i]);
    if (!same) continue;
    const bool starts = at == 0 || !IsLetter(text[at - 1]);
    const bool ends = at + word.size() == text.size() || !IsLetter(text[at + word.size()]);
    if (starts && ends) return true;
  }
  return false;
}

std::optional<double> ValueOf(const KpiReport& r, const std::string& kpi) {
  if (kpi == "turnaround_hours") return r.turnaround.p50;
  if (kpi == "order_accuracy_pct") return r.order_accuracy_pct;
  if (kpi == "first_pass_yield_pct") return r.first_pass_yield_pct;
  if (kpi == "material_cost_pct") return r.material_cost_pct;
  if (kpi == "repeat_customer_pct") return r.repeat_customer_pct;
  if (kpi == "aov") return r.aov;
  if (kpi == "personalization_pct") return r.personalization_pct;
  if (kpi == "on_time_pct") return r.on_time_pct;
  if (kpi == "retention_pct") return r.retention_pct;
  if (kpi == "labor_pieces_per_hour") return r.labor_pieces_per_hour;
  if (kpi == "design_conversion_pct") return r.design_conversion_pct;
  if (kpi == "csi") return r.csi;
  if (kpi == "engagement_pct") return r.engagement_pct;
  if (kpi == "production_hours") return r.production_hours;
  return std::nullopt;
}

TargetResult JudgedAs(const KpiBand& band, std::optional<double> value) {
  return TargetResult{band, value, Judge(band, value)};
}

}  // namespace

bool NeedsActivity(const KpiTargets& targets) {
  for (const char* kpi : {"retention_pct", "csi", "labor_pieces_per_hour"}) {
    auto it = targets.bands.find(kpi);
    if (it != targets.bands.end() && (it->second.min || it->second.max)) return true;
  }
  return false;
}

const char* TargetStatusName(TargetStatus status) {
  switch (status) {
    case TargetStatus::kInside:
      return "inside";
    case TargetStatus::kBelow:
      return "below";
    case TargetStatus::kAbove:
      return "above";
    case TargetStatus::kNoData:
      break;
  }
  return "no_data";
}

TargetStatus Judge(const KpiBand& band, std::optional<double> value) {
  if (!value) return TargetStatus::kNoData;
  if (band.min && *value < *band.min) return TargetStatus::kBelow;
  if (band.max && *value > *band.max) return TargetStatus::kAbove;
  return TargetStatus::kInside;
}

bool IsMetal(const std::string& type, const std::vector<std::string>& metals) {
  for (const std::string& metal : metals)
    if (ContainsWord(type, metal)) return true;
  return false;
}

TargetReport JudgeTargets(const KpiReport& report, const KpiTargets& targets) {
  TargetReport out;
  for (const auto& [kpi, band] : targets.bands)
    out.kpis[kpi] = JudgedAs(band, ValueOf(report, kpi));
  for (const auto& [type, m] : report.materials) {
    if (IsMetal(type, targets.metals))
      out.materials[type] = {"loss_pct", JudgedAs(targets.metal_loss_pct, m.loss_pct)};
    else
      out.materials[type] = {"yield_pct", JudgedAs(targets.nonmetal_yield_pct, m.yield_pct)};
  }
  return out;
}

}  // namespace floortrack
