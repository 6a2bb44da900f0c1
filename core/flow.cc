#include "core/flow.h"

#include <algorithm>

#include "core/corrections.h"

namespace floortrack {
namespace {

double HoursBetween(TimePoint from, TimePoint to) {
  return static_cast<double>((to - from).count()) / 3'600'000.0;
}

}  // namespace

bool IsProductionStage(const std::string& stage, const Rules& rules) {
  return rules.StageIndex(stage) >= 0;
}

bool IsTerminalStage(const std::string& stage) {
  return stage == kStageShipped || stage == kStageReturned;
}

OrderFlow FlowOfOrder(const std::vector<StageEvent>& timeline, const Rules& rules,
                      TimePoint as_of) {
  OrderFlow flow;
  // Voided events count nowhere; a cancelled order waits nowhere.
  const std::set<std::string> voided = VoidedKeys(timeline);
  bool cancelled = false;
  bool shipped = false;
  const StageEvent* stay = nullptr;  // the first event of the current stay
  for (const StageEvent& e : timeline) {
    if (e.stage == kStageVoid || IsVoided(e, voided)) continue;
    if (e.stage == kStageCancelled && e.stage_time < as_of) cancelled = true;
    // Shipped, the order is out of the shop: a production scan timed after
    // it (a bench scan timed on receipt) does not put it back on the floor;
    // a return does.
    if (e.stage_time < as_of && e.stage == kStageShipped) shipped = true;
    if (e.stage_time < as_of && e.stage == kStageReturned) shipped = false;
    if (e.stage_time >= as_of || !IsProductionStage(e.stage, rules)) continue;
    if (stay && stay->stage == e.stage) continue;  // a repeat scan: same stay
    if (stay && !IsTerminalStage(stay->stage)) {
      flow.dwells.push_back({stay->stage, stay->station, stay->stage_time, e.stage_time,
                             HoursBetween(stay->stage_time, e.stage_time)});
    }
    stay = &e;
  }
  if (stay && !IsTerminalStage(stay->stage) && !cancelled && !shipped)
    flow.wip = WipStay{stay->stage, stay->station, stay->stage_time,
                       HoursBetween(stay->stage_time, as_of)};
  return flow;
}

TimePoint FlowAsOf(const Window& window, TimePoint now) {
  return window.until && *window.until < now ? *window.until : now;
}

void FlowAccumulator::Acc::AddWip(double h) {
  wip_oldest = wip_count == 0 ? h : std::max(wip_oldest, h);
  ++wip_count;
  wip_order_hours += h;
}

FlowAccumulator::FlowAccumulator(const Rules& rules, const Window& window, TimePoint now,
                                 bool by_station)
    : rules_(rules), window_(window), as_of_(FlowAsOf(window, now)), by_station_(by_station) {}

void FlowAccumulator::Add(const std::vector<StageEvent>& timeline) {
  OrderFlow flow = FlowOfOrder(timeline, rules_, as_of_);
  for (const Dwell& d : flow.dwells) {
    if (!window_.Contains(d.left_at)) continue;
    stages_[d.stage].hours.push_back(d.hours);
    if (by_station_) stations_[{d.stage, d.station}].hours.push_back(d.hours);
  }
  if (flow.wip) {
    stages_[flow.wip->stage].AddWip(flow.wip->hours);
    if (by_station_) stations_[{flow.wip->stage, flow.wip->station}].AddWip(flow.wip->hours);
  }
}

FlowStats FlowAccumulator::Stats(const std::string& stage, const std::string& station, Acc& acc) {
  FlowStats s;
  s.stage = stage;
  s.station = station;
  s.count = acc.hours.size();
  if (!acc.hours.empty()) {
    std::sort(acc.hours.begin(), acc.hours.end());
    s.p50_hours = NearestRank(acc.hours, 50);
    s.p90_hours = NearestRank(acc.hours, 90);
    s.max_hours = acc.hours.back();
  }
  s.wip_count = acc.wip_count;
  if (acc.wip_count > 0) s.wip_oldest_hours = acc.wip_oldest;
  s.wip_order_hours = acc.wip_order_hours;
  return s;
}

FlowReport FlowAccumulator::Finish() {
  FlowReport report;
  report.window = window_;
  report.as_of = as_of_;
  report.by_station_requested = by_station_;
  for (const std::string& stage : rules_.stages) {
    if (IsTerminalStage(stage) || !IsProductionStage(stage, rules_)) continue;
    Acc empty;
    auto it = stages_.find(stage);
    report.stages.push_back(Stats(stage, "", it == stages_.end() ? empty : it->second));
  }
  double most_wip = 0, longest_p90 = 0;
  for (const FlowStats& s : report.stages) {
    if (s.wip_order_hours > most_wip) {
      most_wip = s.wip_order_hours;
      report.bottleneck.wip = s.stage;
    }
    if (s.p90_hours && (!report.bottleneck.p90 || *s.p90_hours > longest_p90)) {
      longest_p90 = *s.p90_hours;
      report.bottleneck.p90 = s.stage;
    }
  }
  if (by_station_) {
    std::vector<std::pair<std::pair<std::string, std::string>, Acc*>> rows;
    for (auto& [key, acc] : stations_) rows.emplace_back(key, &acc);
    std::stable_sort(rows.begin(), rows.end(), [this](const auto& a, const auto& b) {
      return rules_.StageIndex(a.first.first) < rules_.StageIndex(b.first.first);
    });
    for (auto& [key, acc] : rows) report.by_station.push_back(Stats(key.first, key.second, *acc));
  }
  return report;
}

}  // namespace floortrack
