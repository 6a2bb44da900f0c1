#include "core/alerts.h"

#include <algorithm>
#include <cstdio>

namespace floortrack {
namespace {

std::string OneDecimal(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

std::string BandText(const KpiBand& band) {
  if (band.min && band.max) return OneDecimal(*band.min) + " to " + OneDecimal(*band.max);
  if (band.min) return "at least " + OneDecimal(*band.min);
  if (band.max) return "at most " + OneDecimal(*band.max);
  return "any";
}

Alert Make(const std::string& rule, const std::string& subject, std::string message) {
  return Alert{rule + "/" + subject, rule, subject, std::move(message)};
}

}  // namespace

double MaxStageHours(const AlertRules& rules, const std::string& stage) {
  auto it = rules.max_stage_hours_by_stage.find(stage);
  return it != rules.max_stage_hours_by_stage.end() ? it->second : rules.max_stage_hours;
}

std::vector<Alert> StuckOrders(const std::vector<OrderSummary>& open, TimePoint now,
                               const AlertRules& rules) {
  std::vector<Alert> out;
  for (const OrderSummary& o : open) {
    // A held order is waiting on purpose; a cancelled one is not open.
    if (!o.confirmed_at || o.shipped_at || o.cancelled_at || o.on_hold) continue;
    // The production stage it is in (a "resumed" or void is not a stage).
    const std::string& stage = o.production_stage.empty() ? o.current_stage : o.production_stage;
    const TimePoint entered = o.production_stage_at.value_or(o.current_stage_at);
    const double hours = std::chrono::duration<double, std::ratio<3600>>(now - entered).count();
    const double limit = MaxStageHours(rules, stage);
    if (hours > limit)
      out.push_back(Make("stuck", o.order_id,
                         o.order_id + " in " + stage + " for " + OneDecimal(hours) + " h (limit " +
                             OneDecimal(limit) + " h)"));
  }
  return out;
}

std::vector<Alert> LateOrders(const LateReport& report) {
  std::vector<Alert> out;
  for (const LateOrder& o : report.late)
    out.push_back(Make("late", o.order_id,
                       o.order_id + " is " + OneDecimal(o.overdue_hours) + " h past its promise (" +
                           FormatRfc3339(o.promised_at) + "), in " + o.current_stage +
                           (o.on_hold ? ", on hold" : "")));
  for (const AtRiskOrder& o : report.at_risk)
    out.push_back(Make("at_risk", o.order_id,
                       o.order_id + " in " + o.current_stage + " is expected to ship " +
                           FormatRfc3339(o.expected_ship_at) + ", " + OneDecimal(-o.margin_hours) +
                           " h after its promise (" + FormatRfc3339(o.promised_at) + ")"));
  return out;
}

std::vector<Alert> KpisOffTarget(const KpiReport& report, const AlertRules& rules) {
  std::vector<Alert> out;
  const std::string over = " over the last " + OneDecimal(rules.kpi_window_days) + " days";
  for (const auto& [kpi, t] : report.targets.kpis) {
    if (t.status != TargetStatus::kBelow && t.status != TargetStatus::kAbove) continue;
    out.push_back(Make("kpi", kpi,
                       kpi + " " + OneDecimal(*t.value) + " is " + TargetStatusName(t.status) +
                           " its target (" + BandText(t.band) + ")" + over));
  }
  for (const auto& [type, m] : report.targets.materials) {
    const TargetResult& t = m.result;
    if (t.status != TargetStatus::kBelow && t.status != TargetStatus::kAbove) continue;
    out.push_back(Make("kpi", type + "." + m.kpi,
                       type + " " + m.kpi + " " + OneDecimal(*t.value) + " is " +
                           TargetStatusName(t.status) + " its target (" + BandText(t.band) + ")" +
                           over));
  }
  return out;
}

std::vector<Alert> SilentDevices(const std::map<std::string, TimePoint>& last_event,
                                 TimePoint watching_since, TimePoint now, const AlertRules& rules,
                                 const WorkingHours& hours, const ShopTimeZone& zone) {
  std::vector<Alert> out;
  for (const auto& [name, filter] : rules.watch) {
    auto it = last_event.find(name);
    const TimePoint since = it != last_event.end() ? it->second : watching_since;
    const double silent_min =
        std::chrono::duration<double, std::ratio<60>>(WorkingTimeBetween(since, now, hours, zone))
            .count();
    if (silent_min >= rules.silent_after_min)
      out.push_back(Make("silent", name,
                         name + " (" + filter + ") sent no event for " + OneDecimal(silent_min) +
                             " working minutes" +
                             (it != last_event.end() ? ", last at " + FormatRfc3339(since)
                                                     : std::string(" since floortrackd started"))));
  }
  return out;
}

std::vector<Alert> RejectRate(std::uint64_t messages, std::uint64_t rejected,
                              const AlertRules& rules) {
  if (messages == 0 || messages < rules.min_messages) return {};
  const double pct = 100.0 * static_cast<double>(rejected) / static_cast<double>(messages);
  if (pct <= rules.max_reject_pct) return {};
  return {Make("reject_rate", "shop",
               OneDecimal(pct) + " % of " + std::to_string(messages) +
                   " messages rejected over the last " + OneDecimal(rules.reject_window_min) +
                   " minutes (limit " + OneDecimal(rules.max_reject_pct) + " %)")};
}

std::vector<AlertChange> AlertBook::Update(const std::vector<Alert>& holding, TimePoint now) {
  std::map<std::string, const Alert*> now_holding;
  for (const Alert& a : holding) now_holding.emplace(a.id, &a);
  std::vector<AlertChange> changes;
  for (auto it = firing_.begin(); it != firing_.end();) {
    auto held = now_holding.find(it->first);
    if (held != now_holding.end()) {
      it->second.alert.message = held->second->message;  // keep the latest figures
      it->second.clear_since.reset();
      ++it;
      continue;
    }
    if (!it->second.clear_since) it->second.clear_since = now;
    if (now - *it->second.clear_since >= resolve_after_) {
      changes.push_back(AlertChange{false, it->second.alert, now});
      it = firing_.erase(it);
    } else {
      ++it;
    }
  }
  for (const auto& [id, alert] : now_holding) {
    if (firing_.count(id)) continue;
    firing_.emplace(id, FiringAlert{*alert, now, std::nullopt});
    changes.push_back(AlertChange{true, *alert, now});
  }
  std::sort(changes.begin(), changes.end(),
            [](const AlertChange& a, const AlertChange& b) { return a.alert.id < b.alert.id; });
  return changes;
}

}  // namespace floortrack
