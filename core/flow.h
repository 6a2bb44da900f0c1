// Flow: how long orders stay in each stage, what is waiting now, and where.
//
// A "stay" is a run of consecutive events of one stage on an order's
// timeline (a repeated scan does not restart it). A stay that is followed by
// a stay in another stage is a dwell: entered_at = the stay's first event,
// left_at = the next stay's first event. A dwell belongs to the window its
// left_at falls in. The last stay of a timeline is work in progress (WIP)
// unless its stage is terminal ("shipped" or "returned"): stays in terminal
// stages are never dwells nor WIP. Definitions and an example: docs/kpi.md,
// "Flow". "now" is always an input; nothing here reads a clock.
// Pure functions and a plain accumulator; no shared state (thread-compatible).
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/kpi.h"
#include "core/rules.h"
#include "core/stage_event.h"
#include "core/time.h"

namespace floortrack {

// Whether a stage takes part in flow: one of Rules::stages. The hook for
// later non-production kinds (feedback, shift events, ...): exclude them here.
bool IsProductionStage(const std::string& stage, const Rules& rules);
// "shipped" and "returned": the order left the floor (no dwell, no WIP).
bool IsTerminalStage(const std::string& stage);

struct Dwell {
  std::string stage;
  std::string station;  // of the event that entered the stage; "" when none
  TimePoint entered_at{};
  TimePoint left_at{};
  double hours = 0;
};

struct WipStay {
  std::string stage;
  std::string station;
  TimePoint entered_at{};
  double hours = 0;  // as_of - entered_at
};

struct OrderFlow {
  std::vector<Dwell> dwells;   // in timeline order
  std::optional<WipStay> wip;  // the open last stay, if any
};

// One order's flow as of `as_of`. `timeline`: the order's events in timeline
// order (SortTimeline). Events of non-production stages and events at or
// after `as_of` are ignored.
OrderFlow FlowOfOrder(const std::vector<StageEvent>& timeline, const Rules& rules, TimePoint as_of);

// When WIP is measured for `window` at `now`: until when it is before now,
// else now.
TimePoint FlowAsOf(const Window& window, TimePoint now);

// Dwell and WIP figures of one stage (or one stage at one station).
struct FlowStats {
  std::string stage;
  std::string station;    // by_station rows only
  std::size_t count = 0;  // dwells ending in the window
  std::optional<double> p50_hours, p90_hours, max_hours;
  std::size_t wip_count = 0;
  std::optional<double> wip_oldest_hours;
  double wip_order_hours = 0;  // sum of the WIP orders' hours in the stage
};

struct FlowBottleneck {
  std::optional<std::string> wip;  // most wip_order_hours (> 0); ties: earlier stage
  std::optional<std::string> p90;  // longest p90_hours; ties: earlier stage
};

struct FlowReport {
  Window window;
  TimePoint as_of{};
  std::vector<FlowStats> stages;      // every non-terminal stage of Rules::stages, in order
  bool by_station_requested = false;  // by_station is meaningful
  std::vector<FlowStats> by_station;  // (stage, station) pairs with data, stage order then station
  FlowBottleneck bottleneck;
};

// Accumulates the flow of many orders one timeline at a time: Add() each
// order that may be relevant (any superset), then Finish() once. Keeps only
// the dwell hours per stage (and per station when asked).
class FlowAccumulator {
 public:
  FlowAccumulator(const Rules& rules, const Window& window, TimePoint now, bool by_station);
  // `timeline`: one order's events in timeline order.
  void Add(const std::vector<StageEvent>& timeline);
  FlowReport Finish();

  TimePoint as_of() const { return as_of_; }

 private:
  struct Acc {
    std::vector<double> hours;
    std::size_t wip_count = 0;
    double wip_oldest = 0;
    double wip_order_hours = 0;
    void AddWip(double h);
  };
  static FlowStats Stats(const std::string& stage, const std::string& station, Acc& acc);

  Rules rules_;
  Window window_;
  TimePoint as_of_;
  bool by_station_;
  std::map<std::string, Acc> stages_;
  std::map<std::pair<std::string, std::string>, Acc> stations_;
};

}  // namespace floortrack
