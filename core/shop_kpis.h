// The shop KPIs that come from events rather than order summaries:
// retention_pct, csi and labor_pieces_per_hour (docs/kpi.md).
//
// A store gathers ActivityTotals for a window (plain values: one row per
// customer, the feedback sums, shift marks and pieces per operator); the
// functions here turn them into figures. Pure functions; no shared state.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/time.h"

namespace floortrack {

struct Window;
struct Rules;

// One customer (with a customer_id) with an order confirmed before the
// window's end.
struct CustomerActivity {
  TimePoint first_order{};         // their first confirmed order
  bool ordered_in_window = false;  // an order confirmed inside the window
};

// One shift_start or shift_end event.
struct ShiftMark {
  std::string operator_name;
  bool start = true;  // shift_start; false: shift_end
  TimePoint at{};
};

// Order items of the events of one operator at one stage in the window
// (voided events left out), split by whether the result was "fail".
struct StagePieces {
  std::string operator_name;
  std::string stage;
  bool failed = false;
  double items = 0;  // the sum of the events' orders' items
};

struct ActivityTotals {
  // Filled by stores that can; empty means no such data (figures nullopt).
  std::vector<CustomerActivity> customers;
  // Or retention counted by the store itself (customers then unused).
  std::optional<std::pair<std::size_t, std::size_t>> retention_counts;  // at start, returning
  std::int64_t score_micros = 0;  // feedback scores in the window, summed in millionths
  std::size_t responses = 0;      // feedback events in the window
  std::vector<ShiftMark> shifts;  // every shift event that can reach into the window
  std::vector<StagePieces> pieces;
  TimePoint now{};  // ends a shift still open (with the window's end)
};

struct RetentionFigures {
  std::size_t at_start = 0;   // customers who had ordered before the window
  std::size_t returning = 0;  // ... and ordered again inside it
  std::optional<double> pct;
};

struct OperatorLabor {
  double pieces = 0;
  double staff_hours = 0;
  std::optional<double> pieces_per_hour;
};

struct LaborFigures {
  std::map<std::string, OperatorLabor> by_operator;
  double pieces = 0;       // pieces by operators with staff time in the window
  double staff_hours = 0;  // all operators
  std::optional<double> pieces_per_hour;
};

// retention_pct: nullopt without a window start (no customers "at the start").
RetentionFigures Retention(const std::vector<CustomerActivity>& customers, const Window& window);
// The same from counts: ActivityTotals::retention_counts when set, else customers.
RetentionFigures Retention(const ActivityTotals& activity, const Window& window);

// Staff time of each operator inside `window`, from their shift marks (any
// order): a shift runs from a shift_start to the operator's next mark; a
// shift_end without a start is ignored; a start followed by another start
// (the end never scanned) ends there; every shift counts at most
// `max_shift` and a shift still open ends at min(now, window end).
std::map<std::string, double> StaffHours(std::vector<ShiftMark> marks, const Window& window,
                                         TimePoint now, Millis max_shift);

// Whether an event at `stage` completes a piece of work: a production stage
// other than the first (the order's confirmation) and "returned".
bool CompletesWork(const std::string& stage, const Rules& rules);

// labor_pieces_per_hour per operator and for the shop.
LaborFigures Labor(const ActivityTotals& activity, const Rules& rules, const Window& window);

}  // namespace floortrack
