#include "core/shop_kpis.h"

#include <algorithm>
#include <tuple>

#include "core/kpi.h"
#include "core/rules.h"

namespace floortrack {
namespace {

constexpr double kMillisPerHour = 3'600'000.0;

// Milliseconds of [from, to) inside the window.
double InsideMs(TimePoint from, TimePoint to, const Window& window) {
  if (window.since) from = std::max(from, *window.since);
  if (window.until) to = std::min(to, *window.until);
  return to > from ? static_cast<double>((to - from).count()) : 0.0;
}

}  // namespace

RetentionFigures Retention(const std::vector<CustomerActivity>& customers, const Window& window) {
  RetentionFigures out;
  if (!window.since) return out;
  for (const CustomerActivity& c : customers) {
    if (c.first_order >= *window.since) continue;
    ++out.at_start;
    if (c.ordered_in_window) ++out.returning;
  }
  if (out.at_start > 0)
    out.pct = 100.0 * static_cast<double>(out.returning) / static_cast<double>(out.at_start);
  return out;
}

RetentionFigures Retention(const ActivityTotals& activity, const Window& window) {
  if (!activity.retention_counts) return Retention(activity.customers, window);
  RetentionFigures out;
  if (!window.since) return out;
  std::tie(out.at_start, out.returning) = *activity.retention_counts;
  if (out.at_start > 0)
    out.pct = 100.0 * static_cast<double>(out.returning) / static_cast<double>(out.at_start);
  return out;
}

std::map<std::string, double> StaffHours(std::vector<ShiftMark> marks, const Window& window,
                                         TimePoint now, Millis max_shift) {
  std::stable_sort(marks.begin(), marks.end(), [](const ShiftMark& a, const ShiftMark& b) {
    if (a.operator_name != b.operator_name) return a.operator_name < b.operator_name;
    return a.at < b.at;
  });
  TimePoint open_end = now;
  if (window.until) open_end = std::min(open_end, *window.until);
  std::map<std::string, double> ms;
  for (std::size_t i = 0; i < marks.size(); ++i) {
    const ShiftMark& m = marks[i];
    if (!m.start) continue;  // an end without its start
    const bool has_next = i + 1 < marks.size() && marks[i + 1].operator_name == m.operator_name;
    TimePoint end = has_next ? marks[i + 1].at : std::max(open_end, m.at);
    end = std::min(end, m.at + max_shift);
    ms[m.operator_name] += InsideMs(m.at, end, window);
  }
  std::map<std::string, double> hours;
  for (const auto& [name, total] : ms) hours[name] = total / kMillisPerHour;
  return hours;
}

bool CompletesWork(const std::string& stage, const Rules& rules) {
  const int index = rules.StageIndex(stage);
  return index > 0 && stage != kStageReturned;
}

LaborFigures Labor(const ActivityTotals& activity, const Rules& rules, const Window& window) {
  LaborFigures out;
  const Millis max_shift = std::chrono::hours(rules.max_shift_hours);
  for (const auto& [name, hours] : StaffHours(activity.shifts, window, activity.now, max_shift)) {
    out.by_operator[name].staff_hours = hours;
    out.staff_hours += hours;
  }
  for (const StagePieces& p : activity.pieces) {
    if (p.failed || p.operator_name.empty() || !CompletesWork(p.stage, rules)) continue;
    out.by_operator[p.operator_name].pieces += p.items;
  }
  for (auto& [name, labor] : out.by_operator) {
    if (labor.staff_hours <= 0) continue;
    labor.pieces_per_hour = labor.pieces / labor.staff_hours;
    out.pieces += labor.pieces;
  }
  if (out.staff_hours > 0) out.pieces_per_hour = out.pieces / out.staff_hours;
  return out;
}

}  // namespace floortrack
