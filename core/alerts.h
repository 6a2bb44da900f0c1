// Alerts: conditions on the shop floor worth telling someone about
// (docs/alerts.md), and the book that turns "holds now" into "fired once,
// resolved once".
//
// Each rule below is a pure function from plain values to the alerts whose
// condition holds at `now`; an alert's id is "<rule>/<subject>", e.g.
// "stuck/A1042", "silent/printer-1", "kpi/order_accuracy_pct". AlertBook
// keeps what is firing: a condition that starts to hold fires at once; a
// firing alert resolves only after its condition has stayed away for
// `resolve_after` (the minimum hold), so a value hovering at a threshold does
// not flap. A plain value, not thread-safe: its owner serializes access.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/due_dates.h"
#include "core/kpi.h"
#include "core/order_summary.h"
#include "core/shop_time.h"
#include "core/time.h"

namespace floortrack {

struct Alert {
  std::string id;       // "<rule>/<subject>"
  std::string rule;     // "late", "at_risk", "stuck", "kpi", "silent", "reject_rate"
  std::string subject;  // order id, station, KPI name, "shop"
  std::string message;  // one line for a person, e.g. "A1042 in polished for 52.0 h (limit 48 h)"
};

// [alerts]
struct AlertRules {
  double max_stage_hours = 48;                             // any stage
  std::map<std::string, double> max_stage_hours_by_stage;  // overrides
  // Watched devices and stations: name -> MQTT topic filter of its events.
  std::map<std::string, std::string> watch;
  double silent_after_min = 60;  // working minutes without an event
  double max_reject_pct = 10;    // of the messages over reject_window_min
  double reject_window_min = 60;
  std::size_t min_messages = 20;            // fewer messages in the window: no verdict
  double kpi_window_days = 7;               // rolling window KPIs are judged over
  std::chrono::seconds resolve_after{600};  // the minimum hold
  double interval_s = 60;                   // evaluation timer
  friend bool operator==(const AlertRules&, const AlertRules&) = default;
};

double MaxStageHours(const AlertRules& rules, const std::string& stage);

// stuck/<order>: open orders (not shipped, not cancelled, not on hold) in
// their current production stage longer than its limit. Orders without a
// confirmation are not tracked.
std::vector<Alert> StuckOrders(const std::vector<OrderSummary>& open, TimePoint now,
                               const AlertRules& rules);

// late/<order>: open orders past their promise (held ones too);
// at_risk/<order>: open orders expected to ship after it (core/due_dates.h).
std::vector<Alert> LateOrders(const LateReport& report);

// kpi/<kpi>, kpi/<material>.<kpi>: KPIs below or above their band over
// the rolling window (report.targets).
std::vector<Alert> KpisOffTarget(const KpiReport& report, const AlertRules& rules);

// silent/<name>: watched devices with no event for silent_after_min
// minutes of working time. `last_event` by watch name (absent: since
// `watching_since`).
std::vector<Alert> SilentDevices(const std::map<std::string, TimePoint>& last_event,
                                 TimePoint watching_since, TimePoint now, const AlertRules& rules,
                                 const WorkingHours& hours, const ShopTimeZone& zone);

// reject_rate/shop: rejected over (stored + duplicates + rejected) messages
// in the window above max_reject_pct, with at least min_messages.
std::vector<Alert> RejectRate(std::uint64_t messages, std::uint64_t rejected,
                              const AlertRules& rules);

struct FiringAlert {
  Alert alert;
  TimePoint fired_at{};
  std::optional<TimePoint> clear_since;  // condition gone since; resolves after resolve_after
};

struct AlertChange {
  bool fired = true;  // false: resolved
  Alert alert;
  TimePoint at{};
};

class AlertBook {
 public:
  explicit AlertBook(std::chrono::milliseconds resolve_after) : resolve_after_(resolve_after) {}
  // `holding`: every alert whose condition holds at `now` (any order, ids
  // unique). Returns what fired and what resolved, in id order.
  std::vector<AlertChange> Update(const std::vector<Alert>& holding, TimePoint now);
  const std::map<std::string, FiringAlert>& firing() const { return firing_; }
  // After a restart: the alerts that were firing.
  void Restore(std::map<std::string, FiringAlert> firing) { firing_ = std::move(firing); }
  void SetResolveAfter(std::chrono::milliseconds d) { resolve_after_ = d; }

 private:
  std::chrono::milliseconds resolve_after_;
  std::map<std::string, FiringAlert> firing_;
};

}  // namespace floortrack
